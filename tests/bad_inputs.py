"""A corpus of bad (and tricky but valid) inputs, generated into a folder: expression files, reference networks
and TF lists. Each case says what must happen: ``error`` (InputError / CLI status 2 with a message matching
``expect``), ``warn`` (read, with a warning matching ``expect``), ``ok`` (read without error) or ``any``."""

from __future__ import annotations

import gzip
import io
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

GENES = [f"G{i}" for i in range(6)]
CELLS = [f"c{i}" for i in range(8)]


@dataclass
class Case:
    id: str
    kind: str  # expr | net | tfs
    make: Callable[[Path], Path]
    mode: str  # error | warn | ok | any
    expect: str = ""  # regex the message must match (error / warn)


def _values(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).poisson(3.0, (len(CELLS), len(GENES))).astype(float) + np.eye(8, 6)


def table(values=None, genes=GENES, cells=CELLS, sep=",", corner="cell", fmt="{:g}", eol="\n") -> str:
    values = _values() if values is None else values
    lines = [sep.join([corner] + list(genes))]
    for c, row in zip(cells, values):
        lines.append(sep.join([c] + [v if isinstance(v, str) else fmt.format(v) for v in row]))
    return eol.join(lines) + eol


def _text(name: str, text: str, encoding: str = "utf-8") -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / name
        p.write_bytes(text.encode(encoding))
        return p
    return make


def _bytes(name: str, data: bytes | Callable[[], bytes]) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / name
        p.write_bytes(data() if callable(data) else data)
        return p
    return make


def _gz(text: str, cut: float | None = None) -> Callable[[], bytes]:
    """gzip of ``text``; ``cut`` keeps that fraction of the compressed bytes (a truncated download)."""
    def make() -> bytes:
        data = gzip.compress(text.encode())
        return data[: max(12, int(len(data) * cut))] if cut else data
    return make


def _with(value_fn) -> str:
    v = _values()
    value_fn(v)
    return table(v)


def _h5ad(name: str, build) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        import anndata as ad
        import pandas as pd

        X, obs, var = build()
        a = ad.AnnData(X=X, obs=pd.DataFrame(index=obs), var=pd.DataFrame(index=var))
        p = d / name
        a.write_h5ad(p)
        return p
    return make


def _tenx(files: dict[str, str | bytes], gz: bool = False) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        folder = d / "tenx"
        folder.mkdir()
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            if gz:
                (folder / (name + ".gz")).write_bytes(gzip.compress(data))
            else:
                (folder / name).write_bytes(data)
        return folder
    return make


def _mtx(n_genes=6, n_cells=8, entries=None) -> str:
    entries = entries if entries is not None else [(g + 1, c + 1, (g + c) % 4 + 1) for g in range(n_genes) for c in range(n_cells) if (g + c) % 3]
    head = f"%%MatrixMarket matrix coordinate integer general\n{n_genes} {n_cells} {len(entries)}\n"
    return head + "".join(f"{g} {c} {v}\n" for g, c, v in entries)


TENX_GENES2 = "".join(f"ENSG{i}\tG{i}\n" for i in range(6))
TENX_GENES3 = "".join(f"ENSG{i}\tG{i}\tGene Expression\n" for i in range(6))
TENX_BARCODES = "".join(f"AAAC{i}-1\n" for i in range(8))


def _huge_sparse_tenx(d: Path) -> Path:
    folder = d / "huge"
    folder.mkdir()
    (folder / "matrix.mtx").write_text(_mtx(100_000, 200_000, [(1, 1, 3), (2, 2, 5), (3, 3, 1), (4, 5, 2), (5, 4, 7)]))
    (folder / "genes.tsv").write_text("".join(f"E{i}\tG{i}\n" for i in range(100_000)))
    (folder / "barcodes.tsv").write_text("".join(f"B{i}\n" for i in range(200_000)))
    return folder


def _pickle_payload() -> bytes:
    return pickle.dumps({"x": 1}) + b"\n" * 10


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("data.csv", table())
    return buf.getvalue()


def _net(rows: list[tuple[str, str]], header: str = "Gene1,Gene2") -> str:
    return header + "\n" + "".join(f"{a},{b}\n" for a, b in rows)


GOOD_NET = [("G0", "G1"), ("G0", "G2"), ("G1", "G3"), ("G2", "G4")]
SPARSE_GENES = [f"G{i}" for i in range(6)]


def expression_cases() -> list[Case]:
    v = _values()
    C = []
    add = lambda *a: C.append(Case(*a))
    # -- empty / structure
    add("empty_csv", "expr", _text("e.csv", ""), "error", "empty")
    add("blank_lines_csv", "expr", _text("b.csv", "\n\n  \n"), "error", "empty")
    add("header_only", "expr", _text("h.csv", "cell,G0,G1\n"), "error", "one line")
    add("one_line_5mb_numbers", "expr", _text("one.csv", ",".join(["1.5"] * 1_300_000) + "\n"), "error", "one line")
    add("header_100k_same_label", "expr", _text("same.csv", "cell," + ",".join(["g"] * 100_000) + "\n"
                                                  + "c1," + ",".join(["1"] * 100_000) + "\n"
                                                  + "c2," + ",".join(["2"] * 100_000) + "\n"), "any", "more than once|constant|same value")
    add("header_100k_same_label_50kb", "expr", _text("same2.csv", "cell," + ",".join(["g"] * 25_000) + "\n"), "error", "one line")
    add("single_column", "expr", _text("s.csv", "G0\n1\n2\n3\n"), "error", "single column")
    add("ragged_rows", "expr", _text("r.csv", table() + "c9,1,2\n"), "error", "fields|ragged|missing")
    add("long_row", "expr", _text("l.csv", table() + "c9," + ",".join(["1"] * 9) + "\n"), "error", "fields|ragged")
    add("header_longer", "expr", _text("hl.csv", "cell,G0,G1,G2,G3\nc0,1,2\nc1,3,4\n"), "error", "header|fields|ragged")
    add("only_commas", "expr", _text("oc.csv", ",,,\n,,,\n,,,\n"), "error", "")
    add("one_cell", "expr", _text("1c.csv", table(v[:1], cells=CELLS[:1]) ), "error", "at least 2|one line")
    add("one_gene", "expr", _text("1g.csv", "cell,G0\n" + "".join(f"c{i},{i + 1}\n" for i in range(8))), "error", "at least 2")
    # -- values
    add("extra_text_field", "expr", _text("nn.csv", table().replace("c3,", "c3,abc,", 1)), "error", "")
    add("text_value", "expr", _text("tv.csv", table([[str(x) for x in r] for r in v.tolist()][:3] + [["x"] * 6] + v[4:].tolist())), "error", "non-numeric")
    add("nan_values", "expr", _text("nan.csv", table(np.where(v > 4, np.nan, v))), "error", "NaN")
    add("all_nan", "expr", _text("an.csv", table(np.full((8, 6), np.nan))), "error", "NaN")
    add("inf_values", "expr", _text("inf.csv", table(np.where(v > 5, np.inf, v))), "error", "infinite")
    add("overflow_1e400", "expr", _text("ov.csv", table([["1e400"] + [str(x) for x in r[1:]] for r in v.tolist()])), "error", "infinite|non-numeric")
    add("hex_values", "expr", _text("hx.csv", table([["0x10"] + [str(x) for x in r[1:]] for r in v.tolist()])), "error", "non-numeric")
    add("thousands_sep", "expr", _text("ts.csv", table([['"1,000"'] + [str(x) for x in r[1:]] for r in v.tolist()])), "error", "non-numeric")
    add("all_zero", "expr", _text("z.csv", table(np.zeros((8, 6)))), "error", "zero")
    add("all_constant", "expr", _text("k.csv", table(np.full((8, 6), 3.0))), "error", "constant")
    add("all_1e38", "expr", _text("big.csv", table(np.full((8, 6), 1e38) * (1 + np.eye(8, 6)) / 2)), "error", "overflow")
    add("neg_1e38", "expr", _text("nbig.csv", table(np.where(v > 4, -1e38, v))), "error", "overflow")
    add("extreme_1e9", "expr", _text("x9.csv", table(np.where(v > 5, 1e9, v))), "warn", "Extreme")
    add("zero_gene", "expr", _text("zg.csv", _with(lambda a: a.__setitem__((slice(None), 2), 0))), "warn", "zero in every")
    add("constant_gene", "expr", _text("kg.csv", _with(lambda a: a.__setitem__((slice(None), 3), 7))), "warn", "same value")
    add("zero_cell", "expr", _text("zc.csv", _with(lambda a: a.__setitem__(4, 0))), "warn", "cells are zero")
    add("negative_ok", "expr", _text("neg.csv", table(v - 3)), "ok")
    add("float_ok", "expr", _text("fl.csv", table(np.log1p(v))), "ok")
    # -- names
    add("dup_genes", "expr", _text("dg.csv", table(genes=["G0", "G1", "G1", "G3", "G4", "G5"])), "error", "more than once")
    add("dup_cells", "expr", _text("dc.csv", table(cells=["c0", "c0", "c2", "c3", "c3", "c5", "c6", "c7"])), "warn", "cell name.*more than once")
    add("bom_first_gene", "expr", _text("bom.csv", "\ufeff" + table().split("\n", 1)[0].split(",", 1)[1] + "\n" + table().split("\n", 1)[1]), "warn", "byte-order mark")
    add("bom_inside_label", "expr", _text("bom2.csv", table(genes=["G0", "\ufeffG1", "G2", "G3", "G4", "G5"])), "warn", "byte-order mark")
    add("nul_in_label", "expr", _text("nul.csv", table(genes=["G0", "G\x001", "G2", "G3", "G4", "G5"])), "any", "NUL|binary|control")
    add("empty_gene_name", "expr", _text("eg.csv", table(genes=["G0", "", "G2", "G3", "G4", "G5"])), "warn", "empty")
    add("empty_cell_name", "expr", _text("ec.csv", table(cells=["c0", "", "c2", "c3", "c4", "c5", "c6", "c7"])), "warn", "empty")
    add("tab_in_name", "expr", _text("tab.csv", table(genes=["G0", '"G\t1"', "G2", "G3", "G4", "G5"])), "warn", "tab")
    add("space_edges_name", "expr", _text("sp.tsv", table(genes=["G0", "G1", "G2", "G3", "G4", "G5"], cells=[" c0", *CELLS[1:]], sep="\t")), "any", "spaces")
    add("latin1_names", "expr", _text("lat.csv", table(genes=["G0", "Gène1", "G2", "G3", "G4", "G5"]), "latin-1"), "warn", "Latin-1")
    add("ctrl_char_name", "expr", _text("ctl.csv", table(genes=["G0", "G\x071", "G2", "G3", "G4", "G5"])), "warn", "control")
    add("na_gene_name_ok", "expr", _text("na.csv", table(genes=["G0", "NA", "G2", "G3", "G4", "G5"])), "ok")
    add("quoted_names_ok", "expr", _text("q.csv", table(genes=["G0", '"G,1"', "G2", "G3", "G4", "G5"])), "ok")
    # -- formats
    add("semicolon_ok", "expr", _text("sc.csv", table(sep=";")), "ok")
    add("tsv_ok", "expr", _text("t.tsv", table(sep="\t")), "ok")
    add("whitespace_ok", "expr", _text("ws.txt", table(sep=" ")), "ok")
    add("crlf_ok", "expr", _text("crlf.csv", table(eol="\r\n")), "ok")
    add("trailing_blank_ok", "expr", _text("tb.csv", table() + "\n\n\n"), "ok")
    add("genes_by_cells_ok", "expr", _text("gbc.csv", table(v.T, genes=CELLS, cells=GENES, corner="gene")), "ok")
    add("gz_ok", "expr", _bytes("ok.csv.gz", _gz(table())), "ok")
    add("gz_truncated", "expr", _bytes("tr.csv.gz", _gz(table(np.random.default_rng(5).random((8, 6)) * 1000, fmt="{:.9f}"), cut=0.6)), "error", "truncated|corrupt|read")
    add("gz_header_only_bytes", "expr", _bytes("tr2.csv.gz", _gz(table(), cut=0.01)), "error", "truncated|corrupt|read|empty")
    add("not_gzip_named_gz", "expr", _text("ng.csv.gz", table()), "error", "gzip")
    add("gzip_named_csv", "expr", _bytes("gn.csv", _gz(table())), "error", "gzip")
    add("binary_random", "expr", _bytes("bin.csv", lambda: np.random.default_rng(0).bytes(4096)), "error", "binary|text")
    add("pickle_named_csv", "expr", _bytes("pk.csv", _pickle_payload), "error", "pickle|binary|text")
    add("zip_named_csv", "expr", _bytes("zp.csv", _zip_bytes), "error", "zip")
    add("hdf5_named_csv", "expr", _bytes("h.csv", b"\x89HDF\r\n\x1a\n" + b"\0" * 200), "error", "HDF5")
    add("unsupported_ext", "expr", _text("d.xlsx", "x"), "error", "Unsupported")
    add("no_ext", "expr", _text("data", table()), "error", "Unsupported")
    add("dir_named_csv", "expr", lambda d: (d / "dir.csv").mkdir() or d / "dir.csv", "error", "not a 10x folder")
    add("missing_file", "expr", lambda d: d / "nope.csv", "error", "not found")
    # -- h5ad
    add("h5ad_ok", "expr", _h5ad("ok.h5ad", lambda: (v.astype(np.float32), CELLS, GENES)), "ok")
    add("h5ad_bool", "expr", _h5ad("bool.h5ad", lambda: (v > 3, CELLS, GENES)), "warn", "booleans")
    add("h5ad_all_zero_sparse", "expr", _h5ad("zs.h5ad", lambda: (__import__("scipy.sparse").sparse.csr_matrix((8, 6), dtype=np.float32), CELLS, GENES)), "error", "zero")
    add("h5ad_1e38_sparse", "expr", _h5ad("bs.h5ad", lambda: (__import__("scipy.sparse").sparse.csr_matrix(v.astype(np.float32) * 1e37), CELLS, GENES)), "error", "overflow")
    add("h5ad_nan", "expr", _h5ad("nan.h5ad", lambda: (np.where(v > 4, np.nan, v).astype(np.float32), CELLS, GENES)), "error", "NaN")
    add("h5ad_dup_cells", "expr", _h5ad("dc.h5ad", lambda: (v.astype(np.float32), ["a"] * 8, GENES)), "warn", "more than once")
    add("h5ad_int_ok", "expr", _h5ad("int.h5ad", lambda: (v.astype(np.int32), CELLS, GENES)), "ok")
    add("h5ad_truncated", "expr", lambda d: _h5ad("t0.h5ad", lambda: (v.astype(np.float32), CELLS, GENES))(d).replace(d / "full.h5ad")
        and _bytes("trunc.h5ad", (d / "full.h5ad").read_bytes()[:600])(d), "error", "truncated|corrupt")
    add("h5ad_random", "expr", _bytes("rnd.h5ad", lambda: np.random.default_rng(1).bytes(2048)), "error", "h5ad")
    add("h5ad_empty", "expr", _bytes("e.h5ad", b""), "error", "h5ad")
    # -- 10x
    add("tenx_uncompressed_v2_ok", "expr", _tenx({"matrix.mtx": _mtx(), "genes.tsv": TENX_GENES2, "barcodes.tsv": TENX_BARCODES}), "ok")
    add("tenx_uncompressed_v3_ok", "expr", _tenx({"matrix.mtx": _mtx(), "features.tsv": TENX_GENES3, "barcodes.tsv": TENX_BARCODES}), "ok")
    add("tenx_gz_v3_ok", "expr", _tenx({"matrix.mtx": _mtx(), "features.tsv": TENX_GENES3, "barcodes.tsv": TENX_BARCODES}, gz=True), "ok")
    add("tenx_one_column_genes_ok", "expr", _tenx({"matrix.mtx": _mtx(), "genes.tsv": "".join(f"G{i}\n" for i in range(6)), "barcodes.tsv": TENX_BARCODES}), "ok")
    add("tenx_no_barcodes", "expr", _tenx({"matrix.mtx": _mtx(), "genes.tsv": TENX_GENES2}), "error", "barcodes")
    add("tenx_shape_mismatch", "expr", _tenx({"matrix.mtx": _mtx(), "genes.tsv": TENX_GENES2, "barcodes.tsv": TENX_BARCODES[:20]}), "error", "barcodes|lists")
    add("tenx_corrupt_mtx", "expr", _tenx({"matrix.mtx": "%%MatrixMarket matrix coordinate integer general\n6 8 3\n1 1\n", "genes.tsv": TENX_GENES2, "barcodes.tsv": TENX_BARCODES}), "error", "10x")
    add("tenx_garbage_mtx", "expr", _tenx({"matrix.mtx": b"\x00\x01garbage", "genes.tsv": TENX_GENES2, "barcodes.tsv": TENX_BARCODES}), "error", "10x")
    add("tenx_all_zero", "expr", _tenx({"matrix.mtx": _mtx(entries=[]), "genes.tsv": TENX_GENES2, "barcodes.tsv": TENX_BARCODES}), "error", "zero")
    add("tenx_dup_symbols", "expr", _tenx({"matrix.mtx": _mtx(), "genes.tsv": "".join(f"E{i}\tG{i % 3}\n" for i in range(6)), "barcodes.tsv": TENX_BARCODES}), "warn", "made unique")
    add("tenx_h5_random", "expr", _bytes("x.h5", lambda: np.random.default_rng(2).bytes(1024)), "error", "10x")
    add("folder_without_matrix", "expr", lambda d: (d / "f").mkdir() or d / "f", "error", "not a 10x folder")
    add("huge_sparse_200k_x_100k", "expr", _huge_sparse_tenx, "any", "")
    return C


def network_cases() -> list[Case]:
    C = []
    add = lambda *a: C.append(Case(*a))
    add("net_ok", "net", _text("n.csv", _net(GOOD_NET)), "ok")
    add("net_scenic_ok", "net", _text("n.tsv", "TF\ttarget\timportance\n" + "".join(f"{a}\t{b}\t{i + 1}\n" for i, (a, b) in enumerate(GOOD_NET))), "ok")
    add("net_empty", "net", _text("e.csv", ""), "error", "empty")
    add("net_header_only", "net", _text("h.csv", "Gene1,Gene2\n"), "error", "no edges|empty")
    add("net_binary", "net", _bytes("b.csv", lambda: np.random.default_rng(3).bytes(4096)), "error", "binary|text")
    add("net_pickle", "net", _bytes("p.csv", _pickle_payload), "error", "pickle|binary|text")
    add("net_latin1", "net", _text("l.csv", _net(GOOD_NET + [("G0", "Gène9")]), "latin-1"), "warn", "Latin-1")
    add("net_gz_truncated", "net", _bytes("t.csv.gz", _gz(_net([(f"R{i}", f"T{i * 7919 % 1000}") for i in range(2000)]), cut=0.5)), "error", "truncated|corrupt|read")
    add("net_gz_ok", "net", _bytes("ok.csv.gz", _gz(_net(GOOD_NET))), "ok")
    add("net_no_columns", "net", _text("c.csv", "a,b\nG0,G1\n"), "error", "regulator and target")
    add("net_single_column", "net", _text("s.csv", "Gene1\nG0\nG1\n"), "error", "single column")
    add("net_bad_weight", "net", _text("w.csv", "TF,target,importance\nG0,G1,high\n"), "error", "non-numeric weight")
    add("net_inf_weight", "net", _text("wi.csv", "TF,target,importance\nG0,G1,inf\nG0,G2,1\n"), "error", "infinite")
    add("net_self_loops", "net", _text("sl.csv", _net(GOOD_NET + [("G1", "G1"), ("G2", "G2")])), "warn", "self-loops")
    add("net_duplicates", "net", _text("d.csv", _net(GOOD_NET + GOOD_NET[:2])), "warn", "repeated")
    add("net_empty_names", "net", _text("en.csv", _net(GOOD_NET + [("", "G1"), ("G2", "")])), "warn", "empty gene name")
    add("net_only_self_loops", "net", _text("osl.csv", _net([("G1", "G1")])), "error", "no usable")
    add("net_no_gene_in_data", "net", _text("ng.csv", _net([("X1", "X2"), ("X1", "X3")])), "error", "None of|No predicted")
    add("net_bom", "net", _text("bom.csv", "\ufeff" + _net(GOOD_NET)), "any", "byte-order")
    add("net_nul_name", "net", _text("nul.csv", _net(GOOD_NET + [("G0", "G\x005")])), "any", "NUL|binary")
    add("net_ragged", "net", _text("r.csv", _net(GOOD_NET) + "G0,G1,G2,G3\n"), "error", "fields")
    add("net_missing", "net", lambda d: d / "missing.csv", "error", "not found")
    return C


def tf_cases() -> list[Case]:
    C = []
    add = lambda *a: C.append(Case(*a))
    add("tfs_ok", "tfs", _text("t.txt", "G0\nG1\n"), "ok")
    add("tfs_table_ok", "tfs", _text("t.csv", ",TF,index\n0,G0,0\n1,G1,1\n"), "ok")
    add("tfs_empty", "tfs", _text("e.txt", ""), "error", "empty")
    add("tfs_blank", "tfs", _text("b.txt", "\n  \n\n"), "error", "empty")
    add("tfs_header_only", "tfs", _text("h.txt", "TF\n"), "error", "no TF names")
    add("tfs_binary", "tfs", _bytes("bin.txt", lambda: np.random.default_rng(4).bytes(4096)), "error", "binary|text")
    add("tfs_pickle", "tfs", _bytes("p.txt", _pickle_payload), "error", "pickle|binary|text")
    add("tfs_latin1", "tfs", _text("l.txt", "G0\nGène1\nG1\n", "latin-1"), "warn", "Latin-1")
    add("tfs_gz_truncated", "tfs", _bytes("t.txt.gz", _gz("".join(f"TF{i * 7919 % 100000}\n" for i in range(3000)), cut=0.5)), "error", "truncated|corrupt|read")
    add("tfs_table_no_tf_column", "tfs", _text("n.csv", "gene,x\nG0,1\n"), "error", "TF' column")
    add("tfs_duplicates", "tfs", _text("d.txt", "G0\nG0\nG1\n"), "warn", "repeated")
    add("tfs_none_in_data", "tfs", _text("x.txt", "X1\nX2\n"), "error", "None of|none of")
    add("tfs_nul_name", "tfs", _text("nul.txt", "G0\nG\x001\nG1\n"), "any", "NUL|binary")
    add("tfs_bom", "tfs", _text("bom.txt", "\ufeffG0\nG1\n"), "any", "byte-order")
    add("tfs_tab_name", "tfs", _text("tab.txt", "G0\nG\t1 x\nG1\n"), "any", "")
    add("tfs_missing", "tfs", lambda d: d / "nope.txt", "error", "not found")
    return C


def all_cases() -> list[Case]:
    return expression_cases() + network_cases() + tf_cases()

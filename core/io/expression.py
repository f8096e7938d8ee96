"""Read an expression matrix into AnnData (cells x genes) from h5ad, CSV/TSV(.gz), 10x mtx or 10x h5.

Every problem with the file becomes an :class:`~core.errors.InputError` with a specific message. The
decision about orientation is recorded in ``adata.uns["scgrn_input"]`` (``layout``, ``layout_rule``).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError
from .layout import CELLS_BY_GENES, GENES_BY_CELLS, LAYOUTS, LayoutDecision, infer_layout

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")


def detect_format(path: str | Path) -> str:
    """One of h5ad, 10x-h5, 10x-mtx, table."""
    p = Path(path)
    name = p.name.lower()
    if p.is_dir():
        if any((p / f).exists() for f in ("matrix.mtx", "matrix.mtx.gz")):
            return "10x-mtx"
        raise InputError(f"Folder {p.name!r} is not a 10x folder: it has no matrix.mtx(.gz).")
    if name.endswith(".h5ad"):
        return "h5ad"
    if name.endswith(".h5"):
        return "10x-h5"
    if name.endswith((".mtx", ".mtx.gz")):
        return "10x-mtx"
    if name.endswith(TABLE_SUFFIXES):
        return "table"
    raise InputError(
        f"Unsupported file type {p.name!r}: use .h5ad, .csv/.tsv/.txt (optionally .gz), a 10x .h5 file or a 10x mtx folder."
    )


def read_expression(path: str | Path, layout: str = "auto", *, name: str | None = None) -> ad.AnnData:
    """Read ``path`` as cells x genes AnnData.

    ``layout`` is ``auto`` (see :mod:`core.io.layout` for the rule), ``cells-by-genes`` or
    ``genes-by-cells``; it only matters for tables. ``name`` is the display name (defaults to the file name).
    """
    if layout not in LAYOUTS:
        raise InputError(f"Unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}.")
    path = Path(path)
    try:
        return _read_expression(path, layout, name or path.name)
    except InputError as exc:
        if name and name != path.name:  # never name the storage folder of an upload
            msg = str(exc).replace(str(path), name)
            msg = re.sub(rf"(?<![\w.]){re.escape(path.name)}(?![\w.])", lambda _: name, msg)
            raise InputError(msg) from exc
        raise


def _read_expression(path: Path, layout: str, name: str) -> ad.AnnData:
    if not path.exists():
        raise InputError(f"File not found: {path}")
    fmt = detect_format(path)
    warnings: list[str] = []
    if fmt == "h5ad":
        adata, decision = _read_h5ad(path), LayoutDecision(CELLS_BY_GENES, "h5ad stores cells as rows")
    elif fmt == "10x-h5":
        adata, decision = _read_10x_h5(path), LayoutDecision(CELLS_BY_GENES, "10x files store cells as columns of genes")
    elif fmt == "10x-mtx":
        adata, decision = _read_10x_mtx(path if path.is_dir() else path.parent), LayoutDecision(
            CELLS_BY_GENES, "10x files store cells as columns of genes"
        )
    else:
        adata, decision = _read_table(path, layout, warnings)
    warnings += validate_expression(adata)
    adata.uns["scgrn_input"] = {
        "name": name,
        "format": fmt,
        "layout": decision.layout,
        "layout_rule": decision.rule,
        "warnings": warnings,
    }
    return adata


# ---- tables ----------------------------------------------------------------------------------------


MAX_HEADER_FIELDS = 2_000_000


def _encoding(path: Path) -> str:
    """utf-8 (with or without BOM) when the start of the file decodes, else latin-1; binary content refused."""
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                head = fh.read(1 << 16)
                while fh.read(1 << 24):  # the whole stream, so that a truncated file is said so now
                    pass
        else:
            with open(path, "rb") as fh:
                head = fh.read(1 << 16)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path.name}: could not be read ({exc}; a truncated or corrupt gzip file?).") from exc
    if head.startswith(b"\x1f\x8b"):
        raise InputError(f"{path.name} is gzip-compressed but its name does not end in .gz: rename it to {path.name}.gz.")
    if head[:4] in (b"PK\x03\x04", b"\x89HDF") or head.startswith(b"\x80"):
        raise InputError(f"{path.name}: not a text table (a zip, HDF5 or pickle file?).")
    odd = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    if head and odd > max(8, len(head) // 20):
        raise InputError(f"{path.name}: not a text table ({odd} control bytes in the first {len(head)} bytes: binary content?).")
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a multi-byte character cut by the 64 KB window
            return "utf-8-sig"
        return "latin-1"


def bom_warning(path: Path) -> list[str]:
    """A warning when the file starts with a UTF-8 byte-order mark (it is removed, not read as part of a name)."""
    try:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as fh:
            start = fh.read(3)
    except (OSError, EOFError):
        return []
    return [f"{path.name} starts with a byte-order mark (BOM); it was removed from the first label."] if start == b"\xef\xbb\xbf" else []


def _open_text(path: Path, encoding: str = "utf-8") -> io.TextIOBase:
    if path.name.lower().endswith(".gz"):
        try:
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding=encoding, errors="replace")
        except OSError as exc:
            raise InputError(f"{path.name}: not a valid gzip file ({exc}).") from exc
    return open(path, encoding=encoding, errors="replace")


def sniff_delimiter(path: Path, encoding: str = "utf-8") -> str:
    """Guess the delimiter (comma, tab, semicolon or whitespace) from the first lines."""
    try:
        with _open_text(path, encoding) as fh:
            head = [fh.readline(1 << 24) for _ in range(5)]
    except (OSError, EOFError) as exc:
        raise InputError(f"{path.name}: could not be read ({exc}; a truncated or corrupt gzip file?).") from exc
    lines = [ln for ln in head if ln.strip()]
    if not lines:
        raise InputError(f"{path.name} is empty.")
    counts = {d: min(ln.count(d) for ln in lines) for d in [",", "\t", ";"]}
    best = max(counts, key=counts.get)
    if counts[best] > 0:
        return best
    if all(len(ln.split()) > 1 for ln in lines):
        return r"\s+"
    raise InputError(
        f"{path.name}: found a single column. Expected a table separated by commas, tabs or semicolons "
        "with gene and cell labels (is the delimiter right?)."
    )


def _header(path: Path, delim: str, encoding: str) -> tuple[list[str], bool]:
    """The header's labels as written (pandas would rename duplicates to 'X.1', slowly) and whether a data row
    follows it."""
    with _open_text(path, encoding) as fh:
        line = fh.readline(1 << 26)
        if not line.endswith(("\n", "\r")) and len(line) >= 1 << 26:
            raise InputError(f"{path.name}: the first line is over 64 MB long; not a usable table header.")
        more = any(ln.strip() for ln in (fh.readline(1 << 20) for _ in range(3)))
    line = line.lstrip("\ufeff").rstrip("\r\n")
    if delim == r"\s+":
        labels = line.split()
    else:
        labels = next(csv.reader([line], delimiter=delim), [])
    if len(labels) > MAX_HEADER_FIELDS:
        raise InputError(f"{path.name}: the header has {len(labels):,} fields, over the {MAX_HEADER_FIELDS:,} this reader accepts.")
    return [s.strip() for s in labels], more


WIDE_FIELDS = 20_000  # pandas spends ~0.1 ms per column: wider all-number tables are parsed here instead


class _Done(Exception):
    pass


def _read_wide(path: Path, delim: str, encoding: str, n_fields: int) -> pd.DataFrame | None:
    """A very wide table of plain numbers as a DataFrame (row labels as index, no header), or None to let
    pandas parse it (text values, NA tokens, ragged rows: pandas' messages)."""
    with _open_text(path, encoding) as fh:
        fh.readline()
        lines = [ln.rstrip("\r\n") for ln in fh if ln.strip()]
    rows = [ln.split() if delim == r"\s+" else ln.split(delim) for ln in lines]
    if not rows or len({len(r) for r in rows}) != 1 or '"' in lines[0]:
        return None
    try:
        values = np.array([r[1:] for r in rows], dtype=object).astype(np.float64)
    except ValueError:
        return None
    return pd.DataFrame(values, index=pd.Index([r[0].strip() for r in rows], dtype=object))


def _read_table(path: Path, layout: str, warnings: list[str]) -> tuple[ad.AnnData, LayoutDecision]:
    encoding = _encoding(path)
    if encoding == "latin-1":
        warnings.append(f"{path.name} is not valid UTF-8; it was read as Latin-1 (check accented names).")
    warnings += bom_warning(path)
    delim = sniff_delimiter(path, encoding)
    labels, more = _header(path, delim, encoding)
    if not more:
        raise InputError(f"{path.name}: only one line ({len(labels):,} fields): a table needs a header line and data rows.")
    df = _read_wide(path, delim, encoding, len(labels)) if len(labels) > WIDE_FIELDS else None
    try:
        if df is not None:
            raise _Done
        # header=None + our own header: pandas' renaming of repeated labels is quadratic (100k labels: minutes).
        # keep_default_na=False keeps genes named "NA"/"NaN" as names; NA-like values are handled in _check_numeric
        df = pd.read_csv(path, sep=delim, header=None, skiprows=1, index_col=0, encoding=encoding,
                         engine="python" if delim == r"\s+" else "c", encoding_errors="replace",
                         quoting=csv.QUOTE_MINIMAL, keep_default_na=False, na_values=[])
    except _Done:
        pass
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path.name} is empty.") from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"{path.name}: rows have different numbers of fields (ragged rows): {str(exc)[:200]}".strip()) from exc
    except (UnicodeDecodeError, EOFError, OSError, zlib.error) as exc:
        raise InputError(f"{path.name}: could not be read to the end ({type(exc).__name__}: {str(exc)[:120]}; "
                         "a truncated or corrupt file?).") from exc
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise InputError(f"{path.name}: no data rows or columns after the header (need labels plus values).")
    if len(labels) == df.shape[1] + 1:
        labels = labels[1:]
    if len(labels) != df.shape[1]:
        raise InputError(f"{path.name}: the header has {len(labels)} labels but the rows have {df.shape[1]} values "
                         "after the row label (ragged header?).")
    df.index = df.index.map(str)
    df.columns = pd.Index(labels, dtype=object)
    _check_numeric(df, path.name)
    if layout == "auto":
        decision = infer_layout(df.index, df.columns)
    else:
        decision = LayoutDecision(layout, "chosen explicitly")
    if decision.layout == GENES_BY_CELLS:
        df = df.T
    X = df.to_numpy(dtype=np.float32)
    adata = ad.AnnData(X=X, obs=pd.DataFrame(index=df.index.copy()), var=pd.DataFrame(index=df.columns.copy()))
    adata.obs_names.name = None
    adata.var_names.name = None
    return adata, decision


_NA_TOKENS = {"", "NA", "N/A", "NaN", "nan", "NAN", "NULL", "null", "None", "#N/A", "-nan"}


def _check_numeric(df: pd.DataFrame, name: str) -> None:
    """Convert text columns to numbers in place; NA-like tokens become NaN (rejected later with a count),
    anything else is reported with its row and column."""
    bad_cols = [i for i, t in enumerate(df.dtypes) if not pd.api.types.is_numeric_dtype(t)]
    for i in bad_cols:
        col = df.iloc[:, i].astype(str).str.strip()
        coerced = pd.to_numeric(col, errors="coerce")
        bad = col[coerced.isna() & ~col.isin(_NA_TOKENS)]
        if len(bad):
            row, value = bad.index[0], bad.iloc[0]
            raise InputError(
                f"{name}: non-numeric value {str(value)[:40]!r} at row {row!r}, column {df.columns[i]!r} "
                f"({len(bad_cols)} column(s) with text). Expression values must be numbers."
            )
        df.isetitem(i, coerced)


# ---- binary formats ----------------------------------------------------------------------------------


#: an h5ad whose X is stored dense and larger than this is read backed and kept sparse (CSR), block by block
DENSE_H5AD_BYTES = 512 * 1024**2
#: rows per block: about this many bytes of the dense X at a time
BLOCK_BYTES = 64 * 1024**2


def _read_h5ad(path: Path) -> ad.AnnData:
    try:
        adata = _read_h5ad_sparse(path) or ad.read_h5ad(path)
    except Exception as exc:  # h5py raises OSError/KeyError/... on truncated or foreign files
        raise InputError(
            f"{path.name} could not be read as h5ad: the file is truncated, corrupt or not an AnnData file ({type(exc).__name__})."
        ) from exc
    return adata


def _read_h5ad_sparse(path: Path) -> ad.AnnData | None:
    """A large h5ad with a dense, mostly-zero X: opened backed (anndata ``backed="r"``) and X read a block of rows
    at a time into CSR, so the dense matrix never sits in memory. None when X is sparse on disk, small, or more
    than half non-zero (a normal read is then as small or smaller)."""
    import h5py

    with h5py.File(path, "r") as f:  # a peek at X's storage: a sparse X is a group, read normally
        X = f.get("X")
        if not isinstance(X, h5py.Dataset) or X.ndim != 2 or X.size * X.dtype.itemsize <= DENSE_H5AD_BYTES:
            return None
    backed = ad.read_h5ad(path, backed="r")
    try:
        X = backed.X
        step = max(1, BLOCK_BYTES // max(1, X.shape[1] * X.dtype.itemsize))
        blocks = []
        for i in range(0, X.shape[0], step):
            blocks.append(sp.csr_matrix(np.asarray(X[i:i + step], dtype=np.float32)))
            if i == 0 and blocks[0].nnz > 0.5 * blocks[0].shape[0] * blocks[0].shape[1]:
                return None
        mem = {k: v.copy() for k, v in (("obs", backed.obs), ("var", backed.var))}
        out = ad.AnnData(X=sp.vstack(blocks, format="csr"), **mem, uns=dict(backed.uns),
                         obsm=dict(backed.obsm), varm=dict(backed.varm), layers=dict(backed.layers))
        out.uns["scgrn_read"] = {"backed": True, "dense_on_disk_bytes": int(X.size * X.dtype.itemsize)}
        return out
    finally:
        backed.file.close()


def _read_10x_h5(path: Path) -> ad.AnnData:
    import scanpy as sc

    try:
        adata = sc.read_10x_h5(path)
    except Exception as exc:
        raise InputError(f"{path.name} could not be read as a 10x .h5 file ({type(exc).__name__}: {exc}).") from exc
    adata.var_names_make_unique()
    return adata


def _find(folder: Path, *stems: str) -> Path | None:
    for stem in stems:
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def _read_10x_mtx(folder: Path) -> ad.AnnData:
    """A 10x folder, v2 (genes.tsv) or v3 (features.tsv), each file gzipped or not."""
    import scipy.io

    from ..memory import require_memory

    mtx = _find(folder, "matrix.mtx")
    feats = _find(folder, "features.tsv", "genes.tsv")
    barcodes = _find(folder, "barcodes.tsv")
    if mtx is None or feats is None or barcodes is None:
        raise InputError("A 10x folder needs matrix.mtx(.gz), features.tsv(.gz) or genes.tsv(.gz), and barcodes.tsv(.gz).")
    try:
        with (gzip.open(mtx, "rt") if mtx.name.endswith(".gz") else open(mtx)) as fh:
            line = fh.readline()
            while line.startswith("%"):
                line = fh.readline()
        n_genes, n_cells, nnz = (int(x) for x in line.split()[:3])
        require_memory(nnz * 16.0, f"Reading the {nnz:,} non-zero values of {mtx.name}")
        m = scipy.io.mmread(mtx)
        genes = pd.read_csv(feats, sep="\t", header=None, dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)
        cells = pd.read_csv(barcodes, sep="\t", header=None, dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"{folder.name}: could not read the 10x folder (needs matrix.mtx, features.tsv or genes.tsv, barcodes.tsv; "
            f"{type(exc).__name__}: {str(exc)[:160]})."
        ) from exc
    m = sp.csr_matrix(m).T.tocsr()  # files store genes x cells
    if m.shape != (len(cells), len(genes)):
        raise InputError(f"{folder.name}: matrix.mtx is {m.shape[1]} genes x {m.shape[0]} cells but the folder lists "
                         f"{len(genes)} genes and {len(cells)} barcodes.")
    symbols = genes.iloc[:, 1] if genes.shape[1] > 1 else genes.iloc[:, 0]
    var = pd.DataFrame({"gene_ids": genes.iloc[:, 0].to_numpy()}, index=pd.Index(symbols.to_numpy(), dtype=object))
    if genes.shape[1] > 2:
        var["feature_types"] = genes.iloc[:, 2].to_numpy()
    adata = ad.AnnData(X=m.astype(np.float32), obs=pd.DataFrame(index=pd.Index(cells.iloc[:, 0].to_numpy(), dtype=object)), var=var)
    if not adata.var_names.is_unique:
        adata.var_names_make_unique()
        adata.uns["scgrn_renamed_genes"] = True
    return adata


# ---- validation ----------------------------------------------------------------------------------------


def validate_expression(adata: ad.AnnData) -> list[str]:
    """Raise InputError for data no model can use: <2 cells, <2 genes, NaN/inf, duplicated genes, non-numeric,
    all-zero, constant or overflowing values. Returns warnings (odd names, renamed duplicate cells, boolean
    values read as 0/1, degenerate genes/cells, extreme values)."""
    from ..data.matrix_stats import matrix_stats
    from .checks import label_warnings, value_checks

    warnings: list[str] = []
    if adata.n_obs < 2:
        raise InputError(f"The data hold {adata.n_obs} cell(s); at least 2 cells are needed (is the layout flipped?).")
    if adata.n_vars < 2:
        raise InputError(f"The data hold {adata.n_vars} gene(s); at least 2 genes are needed (is the layout flipped?).")
    adata.var_names = adata.var_names.map(str)
    adata.obs_names = adata.obs_names.map(str)
    dup = adata.var_names[adata.var_names.duplicated()].unique()
    if len(dup):
        shown = ", ".join(repr(str(d)[:40]) for d in list(dup[:5]))
        raise InputError(f"{len(dup)} gene name(s) appear more than once: {shown}. Gene names must be unique.")
    if adata.uns.pop("scgrn_renamed_genes", False):
        warnings.append("Some gene symbols appear more than once in the 10x features; they were made unique (-1, -2, ...).")
    warnings += label_warnings(adata.var_names, "gene") + label_warnings(adata.obs_names, "cell")
    if not adata.obs_names.is_unique:
        dups = adata.obs_names[adata.obs_names.duplicated()].unique()
        warnings.append(f"{len(dups)} cell name(s) appear more than once (e.g. {', '.join(repr(str(d)[:30]) for d in dups[:3])}); "
                        "they were made unique by adding -1, -2, ...")
        adata.obs_names_make_unique()
    data = adata.X.data if sp.issparse(adata.X) else np.asarray(adata.X)
    if data.dtype.kind == "b":
        adata.X = adata.X.astype(np.float32)
        data = adata.X.data if sp.issparse(adata.X) else np.asarray(adata.X)
        warnings.append("The values were booleans (True/False); they were read as 1/0.")
    if data.dtype.kind not in "iuf":
        raise InputError(f"Expression values have type {data.dtype}; numbers are needed.")
    stats = matrix_stats(adata.X)
    if stats.n_nan or stats.n_inf:
        where = ""
        if not sp.issparse(adata.X):
            r, c = np.argwhere(~np.isfinite(np.asarray(adata.X)))[0]
            where = f" (first at cell {adata.obs_names[r]!r}, gene {adata.var_names[c]!r})"
        raise InputError(f"The data contain {stats.n_nan} missing/NaN and {stats.n_inf} infinite value(s){where}; "
                         "fill or remove them first.")
    warnings += value_checks(adata.X, stats)
    return warnings

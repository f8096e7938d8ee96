"""Readers: every format and layout round-trips; bad input gets a specific message (InputError)."""

from __future__ import annotations

import gzip

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.io
import scipy.sparse as sp

from core.errors import InputError
from core.io import read_expression, read_network, read_tf_list
from core.io.networks import network_overlap


@pytest.fixture()
def small():
    rng = np.random.default_rng(0)
    X = rng.poisson(2.0, size=(12, 7)).astype(np.float32)
    cells = [f"cell{i}" for i in range(12)]
    genes = ["Sox2", "Nanog", "Pou5f1", "Gata6", "Klf4", "Myc", "Actb"]
    return X, cells, genes


def _same(adata, X, cells, genes):
    assert list(adata.obs_names) == cells and list(adata.var_names) == genes
    np.testing.assert_allclose(np.asarray(adata.X.todense() if sp.issparse(adata.X) else adata.X), X)


@pytest.mark.parametrize("suffix,sep", [(".csv", ","), (".tsv", "\t"), (".txt", "\t"), (".csv.gz", ",")])
@pytest.mark.parametrize("orientation", ["cells-by-genes", "genes-by-cells"])
def test_tables_roundtrip_auto_layout(tmp_path, small, suffix, sep, orientation):
    X, cells, genes = small
    df = pd.DataFrame(X, index=cells, columns=genes)
    if orientation == "genes-by-cells":
        df = df.T
    path = tmp_path / f"expr{suffix}"
    df.to_csv(path, sep=sep, compression="gzip" if suffix.endswith(".gz") else None)
    adata = read_expression(path)
    _same(adata, X, cells, genes)
    assert adata.uns["scgrn_input"]["layout"] == orientation
    # the explicit layout gives the same and the opposite one transposes
    assert read_expression(path, layout=orientation).shape == (12, 7)
    flipped = "genes-by-cells" if orientation == "cells-by-genes" else "cells-by-genes"
    assert read_expression(path, layout=flipped).shape == (7, 12)


def test_h5ad_roundtrip(tmp_path, small):
    X, cells, genes = small
    a = ad.AnnData(X=sp.csr_matrix(X), obs=pd.DataFrame(index=cells), var=pd.DataFrame(index=genes))
    a.write_h5ad(tmp_path / "x.h5ad")
    _same(read_expression(tmp_path / "x.h5ad"), X, cells, genes)


def test_10x_mtx_folder(tmp_path, small):
    X, cells, genes = small
    d = tmp_path / "filtered_feature_bc_matrix"
    d.mkdir()
    with gzip.open(d / "matrix.mtx.gz", "wb") as fh:
        scipy.io.mmwrite(fh, sp.coo_matrix(X.T))
    with gzip.open(d / "features.tsv.gz", "wt") as fh:
        fh.writelines(f"ENSG{i:05d}\t{g}\tGene Expression\n" for i, g in enumerate(genes))
    with gzip.open(d / "barcodes.tsv.gz", "wt") as fh:
        fh.writelines(f"{c}\n" for c in cells)
    _same(read_expression(d), X, cells, genes)


def test_10x_h5(tmp_path, small):
    import h5py

    X, cells, genes = small
    m = sp.csc_matrix(X.T.astype(np.int32))  # genes x cells, CSC over cells
    with h5py.File(tmp_path / "x.h5", "w") as f:
        g = f.create_group("matrix")
        g["data"], g["indices"], g["indptr"] = m.data, m.indices, m.indptr
        g["shape"] = np.array(m.shape)
        g["barcodes"] = np.array(cells, dtype="S")
        feat = g.create_group("features")
        feat["id"] = np.array([f"ENSG{i}" for i in range(len(genes))], dtype="S")
        feat["name"] = np.array(genes, dtype="S")
        feat["feature_type"] = np.array(["Gene Expression"] * len(genes), dtype="S")
        feat["genome"] = np.array(["GRCh38"] * len(genes), dtype="S")
    _same(read_expression(tmp_path / "x.h5"), X, cells, genes)


def test_layout_rule_on_barcodes_and_symbols():
    from core.io.layout import infer_layout

    bc = [f"{''.join(np.random.default_rng(i).choice(list('ACGT'), 16))}-1" for i in range(30)]
    assert infer_layout(bc, ["A", "B"]).layout == "cells-by-genes"
    assert infer_layout(["IL1B", "CLEC4E", "SOX9", "GATA4", "NR5A1", "WT1"], [f"E{i}_3_{i}" for i in range(50)]).layout == "genes-by-cells"


# ---- bad input -------------------------------------------------------------------------------------------

BAD_TABLES = {
    "empty": ("", "empty"),
    "ragged": (",c1,c2\ng1,1,2\ng2,1,2,3,4\n", "different numbers of fields"),
    "non_numeric": (",c1,c2\ng1,1,abc\ng2,1,2\n", "non-numeric value 'abc'"),
    "nan": (",c1,c2,c3\ng1,1,,2\ng2,1,2,3\n", "missing/NaN"),
    "inf": (",c1,c2,c3\ng1,1,inf,2\ng2,1,2,3\n", "infinite"),
    "dup_genes": ("cell,Sox2,Sox2,Myc\nc1,1,2,3\nc2,1,2,3\n", "appear more than once"),
    "one_cell": ("cell,Sox2,Nanog,Myc\nc1,1,2,3\n", "at least 2 cells"),
    "wrong_delimiter": ("cell|Sox2|Nanog\nc1|1|2\nc2|1|2\n", "single column"),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_bad_tables_give_specific_messages(tmp_path, case):
    text, message = BAD_TABLES[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_expression(path, layout="cells-by-genes" if case in ("dup_genes", "one_cell") else "auto")


def test_truncated_h5ad(tmp_path, small):
    X, cells, genes = small
    a = ad.AnnData(X=X, obs=pd.DataFrame(index=cells), var=pd.DataFrame(index=genes))
    a.write_h5ad(tmp_path / "x.h5ad")
    data = (tmp_path / "x.h5ad").read_bytes()
    (tmp_path / "cut.h5ad").write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="truncated"):
        read_expression(tmp_path / "cut.h5ad")


def test_unsupported_extension(tmp_path):
    (tmp_path / "x.pkl").write_bytes(b"\x80\x04")
    with pytest.raises(InputError, match="Unsupported file type"):
        read_expression(tmp_path / "x.pkl")


def test_script_gene_name_is_kept_verbatim(tmp_path):
    (tmp_path / "x.csv").write_text("cell,<script>alert(1)</script>,Myc\nc1,1,2\nc2,3,4\n")
    a = read_expression(tmp_path / "x.csv", layout="cells-by-genes")
    assert "<script>alert(1)</script>" in list(a.var_names)  # stored as data; escaped where rendered


# ---- networks and TF lists ---------------------------------------------------------------------------------


def test_network_formats(tmp_path):
    (tmp_path / "beeline.csv").write_text("Gene1,Gene2,Type\nSox2,Nanog,+\nMyc,Sox2,-\n")
    (tmp_path / "scenic.tsv").write_text("TF\ttarget\timportance\nSox2\tNanog\t2.5\nMyc\tSox2\t1.0\n")
    (tmp_path / "deepsem.tsv").write_text("TF\tTarget\tEdgeWeight\nSox2\tNanog\t0.3\nMyc\tSox2\t-0.1\n")
    for name in ("beeline.csv", "scenic.tsv", "deepsem.tsv"):
        net = read_network(tmp_path / name)
        assert list(net["source"]) == ["Sox2", "Myc"] and list(net["target"]) == ["Nanog", "Sox2"]
    assert list(read_network(tmp_path / "scenic.tsv")["weight"]) == [2.5, 1.0]
    assert list(read_network(tmp_path / "beeline.csv")["Type"]) == ["+", "-"]


def test_network_none_of_whose_genes_are_in_data(tmp_path):
    (tmp_path / "n.csv").write_text("Gene1,Gene2\nFOO1,BAR2\n")
    with pytest.raises(InputError, match="None of the 2 genes"):
        network_overlap(read_network(tmp_path / "n.csv"), ["Sox2", "Myc"])


def test_network_without_columns(tmp_path):
    (tmp_path / "n.csv").write_text("a,b\nx,y\n")
    with pytest.raises(InputError, match="regulator and target columns"):
        read_network(tmp_path / "n.csv")


def test_tf_lists(tmp_path):
    (tmp_path / "plain.txt").write_text("Sox2\nMyc\n\nSox2\n")
    (tmp_path / "genelink.csv").write_text(",TF,index\n0,RUNX1T1,5\n1,MEIS1,7\n")
    assert read_tf_list(tmp_path / "plain.txt") == ["Sox2", "Myc"]
    assert read_tf_list(tmp_path / "genelink.csv") == ["RUNX1T1", "MEIS1"]
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(InputError, match="empty"):
        read_tf_list(tmp_path / "empty.txt")


def test_beeline_real_data_layout(shared_data):
    a = read_expression(shared_data / "beeline/mDC_TFs500/expression.csv")
    assert a.shape == (383, 821) and a.uns["scgrn_input"]["layout"] == "genes-by-cells"


def test_gene_called_na_survives_network_reading(tmp_path):
    (tmp_path / "n.csv").write_text("Gene1,Gene2\nNA,NaN\nSox2,NA\n")
    net = read_network(tmp_path / "n.csv")
    assert list(net["source"]) == ["NA", "Sox2"] and list(net["target"]) == ["NaN", "NA"]


def test_gene_called_na_in_expression_table(tmp_path):
    (tmp_path / "x.csv").write_text(",c1,c2,c3\nNA,1,2,3\nSox2,4,5,6\n")
    a = read_expression(tmp_path / "x.csv", layout="genes-by-cells")
    assert list(a.var_names) == ["NA", "Sox2"]
    (tmp_path / "y.csv").write_text(",c1,c2,c3\nNA,1,NA,3\nSox2,4,5,6\n")
    with pytest.raises(InputError, match="1 missing/NaN"):
        read_expression(tmp_path / "y.csv", layout="genes-by-cells")

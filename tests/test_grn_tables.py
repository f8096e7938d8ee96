"""Hub genes, network size, comparing two runs, and opening a run directory for the explorer."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from core.errors import InputError
from core.grn.compare import compare_top_k
from core.grn.edges import write_edges
from core.grn.explorer import open_network
from core.grn.hubs import hub_genes, network_size


def _df(rows):
    return pd.DataFrame(rows, columns=["source", "target", "weight"])


def test_hubs_and_size():
    e = _df([("A", "x", 5), ("A", "y", 4), ("A", "z", 1), ("B", "x", 3), ("C", "x", 2), ("B", "y", 0.5)])
    regs, tgts = hub_genes(e, n=2)
    assert list(regs["gene"]) == ["A", "B"] and list(regs["out_degree"]) == [3, 2]
    assert list(tgts["gene"]) == ["x", "y"] and list(tgts["in_degree"]) == [3, 2]
    assert network_size(e) == {"edges": 6, "genes": 6, "regulators": 3, "targets": 3}


def test_compare_top_k():
    a = _df([("A", "B", 9), ("A", "C", 8), ("B", "C", 7), ("C", "D", 1)])
    b = _df([("A", "C", 5), ("C", "B", 4), ("D", "E", 3), ("A", "B", 0.1)])
    cmp = compare_top_k(a, b, 3)
    assert cmp.n_shared == 1 and cmp.jaccard == pytest.approx(1 / 5)
    assert set(zip(cmp.only_a.source, cmp.only_a.target)) == {("A", "B"), ("B", "C")}
    assert set(zip(cmp.only_b.source, cmp.only_b.target)) == {("C", "B"), ("D", "E")}
    assert cmp.shared.iloc[0].tolist() == ["A", "C", 2, 1]
    und = compare_top_k(a, b, 3, directed=False)  # B-C and C-B now match
    assert und.n_shared == 2 and und.jaccard == pytest.approx(2 / 4)
    assert compare_top_k(a, a, 4).jaccard == 1.0
    with pytest.raises(InputError):
        compare_top_k(a, b, 0)


def test_open_network_reads_run_dir_and_reference(tmp_path):
    run = tmp_path / "run1"
    run.mkdir()
    edges = pd.DataFrame({"source": ["T1", "T1", "T2"], "target": ["g1", "g2", "g1"], "weight": [0.9, 0.5, 0.7],
                          "signed_weight": [0.9, -0.5, 0.7]})
    write_edges(edges, run / "edges.tsv")
    (tmp_path / "ref.csv").write_text("Gene1,Gene2\nT1,g2\n")
    (run / "params.json").write_text(json.dumps({"task": "grn", "tfs": ["T1", "T2"], "reference": str(tmp_path / "ref.csv")}))
    net = open_network(run)
    assert list(net.edges["weight"]) == [0.9, 0.7, 0.5] and list(net.edges["rank"]) == [1, 2, 3]
    assert net.edges["signed_weight"].dtype.kind == "f"
    assert net.tfs == {"T1", "T2"}
    assert net.reference().values.tolist() == [["T1", "g2"]]
    assert open_network(run) is net  # cached until edges.tsv changes
    assert set(net.positions()) == {"T1", "T2", "g1", "g2"} and net.layout_file.is_file()
    with pytest.raises(InputError, match="no edges.tsv"):
        open_network(tmp_path)


def test_load_edges_keeps_gene_names_like_na(tmp_path):
    from core.grn.explorer import load_edges

    edges = pd.DataFrame({"source": ["NA", "TF"], "target": ["null", "NA"], "weight": [0.2, 0.9]})
    write_edges(edges, tmp_path / "edges.tsv")
    back = load_edges(tmp_path / "edges.tsv")
    assert back[["source", "target"]].values.tolist() == [["TF", "NA"], ["NA", "null"]]
    with pytest.raises(InputError, match="File not found"):
        load_edges(tmp_path / "missing.tsv")

"""``scgrn export``: each format from a run's edges.tsv, top-k / threshold, clean user errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from core.cli import main
from core.grn.edges import adjacency_to_edges, write_edges
from core.io.networks import read_network

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def edges_tsv(tmp_path):
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(12)]
    S = rng.normal(size=(12, 12))
    edges = adjacency_to_edges(np.abs(S), genes, signed=S, tfs=genes[:3])
    path = tmp_path / "edges.tsv"
    write_edges(edges, path)
    return path, edges


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("fmt", ["scenic", "beeline", "graphml", "gexf", "sif", "gmt", "html"])
def test_export_each_format_top_k(edges_tsv, tmp_path, capsys, fmt):
    src, edges = edges_tsv
    out = tmp_path / f"out.{fmt}"
    assert main(["export", str(src), "--format", fmt, "--top-k", "10", "--out", str(out)]) == 0
    res = _last_json(capsys.readouterr().out)
    assert res["edges"] == 10 and res["format"] == fmt and out.is_file()
    top = set(zip(edges["source"][:10], edges["target"][:10]))
    if fmt in ("scenic", "beeline"):
        back = read_network(out)
        assert set(zip(back["source"], back["target"])) == top
    elif fmt in ("graphml", "gexf"):
        G = (nx.read_graphml if fmt == "graphml" else nx.read_gexf)(out)
        assert set(G.edges()) == top
    elif fmt == "sif":
        rows = [ln.split("\t") for ln in out.read_text().splitlines()]
        assert {(r[0], r[2]) for r in rows} == top
    elif fmt == "gmt":
        n = sum(len(ln.split("\t")) - 2 for ln in out.read_text().splitlines())
        assert n == 10
    else:
        assert "new vis.Network(" in out.read_text()


def test_export_threshold(edges_tsv, tmp_path, capsys):
    src, edges = edges_tsv
    thr = float(edges["weight"].iloc[6])
    out = tmp_path / "t.csv"
    assert main(["export", str(src), "-f", "beeline", "--threshold", str(thr), "-o", str(out)]) == 0
    assert _last_json(capsys.readouterr().out)["edges"] == int((edges["weight"] >= thr).sum())
    assert len(read_network(out)) == int((edges["weight"] >= thr).sum())


def test_export_errors_are_clean(edges_tsv, tmp_path):
    src, _ = edges_tsv
    cmd = [sys.executable, "-m", "core", "export", str(src), "-f", "sif", "--threshold", "99", "-o", str(tmp_path / "x")]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "no edge has weight >= 99" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run(cmd[:4] + [str(tmp_path / "missing.tsv"), "-f", "sif", "-o", str(tmp_path / "x")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "not found" in proc.stderr and "Traceback" not in proc.stderr
    with pytest.raises(SystemExit):  # argparse: top-k and threshold are exclusive
        main(["export", str(src), "-f", "sif", "--top-k", "3", "--threshold", "0.1", "-o", "x"])

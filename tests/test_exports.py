"""Every export format round-trips: read back by networkx, by the project's network reader, or parsed."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.grn.edges import adjacency_to_edges
from core.grn.exports import FORMATS, export_bytes, export_edges, filter_edges
from core.io.networks import read_network

ODD = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def edges():
    rng = np.random.default_rng(3)
    genes = ["TF1", "TF2", "TF3", ODD, "g 4", "g-5", "g6", "g7"]
    S = rng.normal(size=(8, 8))
    return adjacency_to_edges(np.abs(S), genes, signed=S, tfs=["TF1", "TF2", "TF3", ODD]).head(20)


def _pairs(df, s="source", t="target"):
    return list(zip(df[s].astype(str), df[t].astype(str)))


@pytest.mark.parametrize("fmt", ["scenic", "beeline"])
def test_tables_round_trip_through_our_reader(edges, fmt, tmp_path):
    path = export_edges(edges, fmt, tmp_path / f"net{FORMATS[fmt]}")
    header = path.read_text().splitlines()[0]
    assert header == {"scenic": "TF\ttarget\timportance", "beeline": "Gene1,Gene2,EdgeWeight"}[fmt]
    back = read_network(path)
    assert _pairs(back) == _pairs(edges)
    np.testing.assert_allclose(back["weight"].to_numpy(), edges["weight"].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_formats_round_trip_through_networkx(edges, fmt):
    data = export_bytes(edges, fmt, tfs=["TF1", "TF2", "TF3", ODD])
    G = (nx.read_graphml if fmt == "graphml" else nx.read_gexf)(io.BytesIO(data))
    assert G.is_directed()
    assert set(G.edges()) == set(_pairs(edges))
    for row in edges.itertuples():
        d = G.edges[row.source, row.target]
        assert float(d["weight"]) == pytest.approx(row.weight)
        assert float(d["signed_weight"]) == pytest.approx(row.signed_weight)
    assert G.nodes[ODD]["is_tf"] in (True, "true", "True") and G.nodes["g7"]["is_tf"] in (False, "false", "False")


def test_sif_round_trip(edges):
    text = export_bytes(edges, "sif").decode()
    back = pd.read_csv(io.StringIO(text), sep="\t", header=None, names=["s", "kind", "t"], keep_default_na=False)
    assert _pairs(back, "s", "t") == _pairs(edges)
    expected = np.where(edges["signed_weight"] >= 0, "activates", "represses")
    assert list(back["kind"]) == list(expected)
    G = nx.DiGraph(_pairs(back, "s", "t"))  # Cytoscape-style reading: a directed graph
    assert G.number_of_edges() == len(edges)


def test_gmt_regulons(edges):
    strong = filter_edges(edges, threshold=float(edges["weight"].median()))
    lines = export_bytes(strong, "gmt").decode().splitlines()
    sets = {ln.split("\t")[0]: ln.split("\t")[2:] for ln in lines}
    for tf, grp in strong.groupby("source"):
        assert sets[tf] == list(grp.sort_values("weight", ascending=False)["target"])
    assert set(sets) == set(strong["source"])


def test_html_and_pictures(edges):
    html_text = export_bytes(edges, "html").decode()
    assert "new vis.Network(" in html_text and ODD not in html_text
    png = export_bytes(edges, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(png), format="png")
    assert img.shape[0] > 100 and img.shape[1] > 100 and img.std() > 0  # not a blank picture
    svg = export_bytes(edges, "svg")
    root = ET.fromstring(svg)  # well-formed XML, names escaped
    assert root.tag.endswith("svg") and b"<img" not in svg


def test_filter_and_errors(edges):
    assert len(filter_edges(edges, top_k=5)) == 5
    thr = float(edges["weight"].iloc[3])
    assert len(filter_edges(edges, threshold=thr)) == 4
    with pytest.raises(InputError, match="unknown export format"):
        export_bytes(edges, "xlsx")
    bad = edges.copy()
    bad.loc[0, "source"] = "TF\t1"
    with pytest.raises(InputError, match="tabs"):
        export_bytes(bad, "sif")

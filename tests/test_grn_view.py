"""The GRN view: fixed layout across thresholds, draw cap, escaping, neighbourhoods, overlays."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.grn.edges import adjacency_to_edges
from core.grn.view import infer_tfs, layout, layout_for, mark_reference, select_edges, view_html

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "</script><script>alert(1)</script>"


def _edges(n_genes=40, seed=0, names=None):
    rng = np.random.default_rng(seed)
    genes = names or [f"G{i:02d}" for i in range(n_genes)]
    S = rng.normal(size=(len(genes), len(genes)))
    return adjacency_to_edges(np.abs(S), genes, signed=S, tfs=genes[:8])


def _datasets(html_text):
    """The nodes and edges JSON embedded in the page, decoded as the browser would."""
    found = re.findall(r"new vis\.DataSet\(asElement\((\[.*?\])\)\);", html_text, flags=re.S)
    assert len(found) == 2
    return json.loads(found[0]), json.loads(found[1])


def test_layout_is_computed_once_and_positions_do_not_move_with_threshold():
    layout.clear_cache()
    edges = _edges()
    calls = layout.LAYOUT_CALLS
    pos = layout_for(edges, key="net-a")
    htmls = []
    for thr in (0.5, 1.0, 2.0):
        pos_again = layout_for(edges, key="net-a")  # what every slider move does
        assert pos_again is pos
        htmls.append(view_html(select_edges(edges, threshold=thr), pos_again))
    assert layout.LAYOUT_CALLS == calls + 1
    xy = [{n["id"]: (n["x"], n["y"]) for n in _datasets(h)[0]} for h in htmls]
    assert len(xy[0]) > len(xy[2]) > 0  # higher thresholds draw fewer genes
    for g, p in xy[2].items():  # ... each at the very same place
        assert xy[0][g] == p == xy[1][g]
    # a different network gets its own layout; the same seed reproduces it
    other = layout_for(_edges(seed=1), key="net-b")
    assert layout.LAYOUT_CALLS == calls + 2 and other != pos
    layout.clear_cache()
    assert layout_for(edges, key="net-a") == pos


def test_layout_persists_in_cache_file(tmp_path):
    layout.clear_cache()
    edges = _edges()
    f = tmp_path / "layout.json"
    pos = layout_for(edges, key="run1", cache_file=f)
    assert f.is_file()
    layout.clear_cache()
    calls = layout.LAYOUT_CALLS
    assert layout_for(edges, key="run1", cache_file=f) == pos
    assert layout.LAYOUT_CALLS == calls  # read back, not recomputed
    layout_for(edges, key="run1-changed", cache_file=f)  # a new key does not trust the old file
    assert layout.LAYOUT_CALLS == calls + 1


def test_every_gene_gets_a_position_physics_off():
    edges = _edges()
    pos = layout_for(edges)
    assert set(pos) == set(edges["source"]) | set(edges["target"])
    nodes, _ = _datasets(view_html(select_edges(edges, top_k=50), pos))
    assert all(n["physics"] is False for n in nodes)
    assert all(isinstance(n["x"], float) for n in nodes)


def test_threshold_and_top_k():
    edges = _edges()
    sel = select_edges(edges, threshold=1.5)
    assert len(sel.edges) and (sel.edges["weight"] >= 1.5).all()
    assert sel.n_matching == int((edges["weight"] >= 1.5).sum())
    sel = select_edges(edges, threshold=1.0, top_k=7)
    assert len(sel.edges) == 7 and list(sel.edges["rank"]) == list(range(1, 8))
    with pytest.raises(InputError):
        select_edges(edges, top_k=0)


def test_draw_cap_keeps_strongest_edges_and_says_so():
    edges = _edges(n_genes=60)  # 8 TFs x 59 targets = 472 edges
    sel = select_edges(edges, cap=100)
    assert len(sel.edges) == 100 and sel.n_matching == len(edges) and sel.capped
    assert sel.edges["weight"].min() >= edges["weight"].nlargest(100).min()
    assert "100 strongest of 472" in sel.note
    html_text = view_html(sel, layout_for(edges))
    assert len(_datasets(html_text)[1]) == 100
    assert "100 strongest of 472" in html_text
    assert select_edges(edges, cap=1000).note is None


def test_user_strings_are_escaped_everywhere():
    names = [XSS_IMG, XSS_SCRIPT] + [f"G{i}" for i in range(10)]
    edges = _edges(names=names)
    html_text = view_html(select_edges(edges), layout_for(edges), tfs=infer_tfs(edges), reference=edges.head(3))
    # the raw strings never appear in the page: not in markup, not able to close the <script>
    assert XSS_IMG not in html_text and XSS_SCRIPT not in html_text
    assert "onerror=alert(1)>" not in html_text
    assert html_text.lower().count("</script") == 2  # only the page's own two script blocks end
    nodes, edge_items = _datasets(html_text)
    labels = {n["label"] for n in nodes}
    assert {XSS_IMG, XSS_SCRIPT} <= labels  # the canvas still shows the real names
    titles = " ".join(n["title"] for n in nodes) + " ".join(e["title"] for e in edge_items)
    assert "&lt;img src=x onerror=alert(1)&gt;" in titles  # tooltip HTML gets html.escape'd names
    assert "<img" not in titles and "<script" not in titles


def test_note_is_escaped():
    from core.grn.view.html import network_html

    edges = _edges().head(5)
    out = network_html(edges, layout_for(edges), note=XSS_IMG)
    assert XSS_IMG not in out and "&lt;img src=x" in out


def test_tfs_distinct_sizes_by_out_degree_colours_by_sign():
    edges = _edges()
    sel = select_edges(edges, top_k=80)
    nodes, items = _datasets(view_html(sel, layout_for(edges), tfs=infer_tfs(edges)))
    shape = {n["id"]: n["shape"] for n in nodes}
    size = {n["id"]: n["size"] for n in nodes}
    tfs = set(edges["source"])
    assert all((shape[g] == "diamond") == (g in tfs) for g in shape)
    out_deg = sel.edges["source"].value_counts()
    busiest, quietest = out_deg.idxmax(), out_deg.idxmin()
    if out_deg.max() > out_deg.min():
        assert size[busiest] > size[quietest]
    by_pair = {(e["from"], e["to"]): e for e in items}
    for row in sel.edges.itertuples():
        e = by_pair[(row.source, row.target)]
        assert e["color"] == ("#c0392b" if row.signed_weight >= 0 else "#2c7fb8")
    widest = max(items, key=lambda e: e["width"])
    assert (widest["from"], widest["to"]) == (sel.edges.source[0], sel.edges.target[0])


def test_reference_overlay_marks_true_positives():
    edges = _edges()
    sel = select_edges(edges, top_k=60)
    ref = sel.edges.iloc[[0, 5, 9]][["source", "target"]]
    ref = pd.concat([ref, pd.DataFrame({"source": ["G99"], "target": ["G98"]})])
    marked = mark_reference(sel.edges, ref)
    assert marked["in_reference"].sum() == 3
    _, items = _datasets(view_html(sel, layout_for(edges), reference=ref))
    green = {(e["from"], e["to"]) for e in items if e["color"] == "#1a9850"}
    assert green == set(zip(ref["source"][:3], ref["target"][:3]))


def test_neighbourhood_one_and_two_steps():
    edges = pd.DataFrame({
        "source": ["A", "B", "C", "X", "D"], "target": ["B", "C", "D", "Y", "E"], "weight": [5, 4, 3, 2, 1.0],
    })
    one = select_edges(edges, gene="B", steps=1).edges
    assert set(zip(one.source, one.target)) == {("A", "B"), ("B", "C")}
    two = select_edges(edges, gene="B", steps=2).edges
    assert set(zip(two.source, two.target)) == {("A", "B"), ("B", "C"), ("C", "D")}
    # the neighbourhood is taken at the threshold
    thr = select_edges(edges, gene="B", steps=2, threshold=3.5).edges
    assert set(zip(thr.source, thr.target)) == {("A", "B"), ("B", "C")}
    with pytest.raises(InputError, match="not in this network"):
        select_edges(edges, gene="nope")
    with pytest.raises(InputError, match="no edge at this threshold"):
        select_edges(edges, gene="E", threshold=3.5)
    focus = [n for n in _datasets(view_html(select_edges(edges, gene="B"), layout_for(edges)))[0] if n["id"] == "B"]
    assert focus[0]["borderWidth"] == 4


def test_offline_no_external_resources():
    edges = _edges().head(10)
    out = view_html(select_edges(edges), layout_for(edges))
    assert "new vis.Network(" in out and len(out) > 400_000  # vis-network's JavaScript is inlined
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?://", out)


def test_threshold_grid_value_is_on_the_step_grid_and_shows_enough_edges():
    from core.grn.view import threshold_grid

    edges = _edges(n_genes=60)
    g = threshold_grid(edges, n_default=100)
    assert g["min"] <= g["value"] <= g["max"] and g["min"] <= edges["weight"].min()
    assert g["max"] >= edges["weight"].max()
    steps = (g["value"] - g["min"]) / g["step"]
    assert abs(steps - round(steps)) < 1e-6
    assert (edges["weight"] >= g["value"]).sum() >= 100

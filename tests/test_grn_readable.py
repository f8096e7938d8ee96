"""The readable GRN view: rank cuts, a searched gene's own layout, labels/legend of what is drawn, precision
next to random on the same candidates, the housekeeping hint, modules, and the picture export."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.grn.edges import adjacency_to_edges
from core.grn.readout import housekeeping_hint, shown_precision
from core.grn.view import layout_for, select_edges, view_html
from core.grn.view.cuts import cut_edges, cut_steps, default_step, describe_cut, describe_selection
from core.grn.view.focus import focus_layout
from core.grn.view.html import legend_items
from core.grn.view.modules import find_modules, module_table


def _edges(n=40, seed=0, signed=True):
    rng = np.random.default_rng(seed)
    genes = [f"G{i:02d}" for i in range(n)]
    S = rng.normal(size=(n, n))
    return adjacency_to_edges(np.abs(S), genes, signed=S if signed else None, tfs=genes[:8])


def _nodes(html_text):
    return json.loads(re.findall(r"new vis\.DataSet\(asElement\((\[.*?\])\)\);", html_text, flags=re.S)[0])


def _options(html_text):
    return json.loads(re.search(r"var options = (\{.*?\});\n", html_text, flags=re.S).group(1))


def test_rank_cuts():
    e = select_edges(_edges()).matching
    assert len(cut_edges(e, "top_k", 25)) == 25
    per = cut_edges(e, "per_target", 2)
    assert per.groupby("target").size().max() == 2 and per["target"].nunique() == e["target"].nunique()
    # each target keeps its 2 strongest regulators
    best = e.sort_values("weight", ascending=False).groupby("target").head(2)
    assert set(zip(per.source, per.target)) == set(zip(best.source, best.target))
    assert len(cut_edges(e, "quantile", 10)) == round(len(e) * 0.1)
    assert cut_steps("top_k", 120)[-1] == 120 and default_step("top_k", 120) == 120
    assert default_step("top_k", 10_000) == 300
    assert default_step("top_k", 10_000, n_genes=5_000) == 300
    assert default_step("top_k", 720, n_genes=60) == 100  # ~2 edges per gene on a small network
    with pytest.raises(InputError):
        cut_edges(e, "quantile", 0)


def test_caption_counts_the_edges_drawn_around_a_searched_gene():
    e = _edges()
    sel = select_edges(e, cut=("top_k", 200), gene="G03", steps=1)
    n = len(sel.matching)
    assert 0 < n < 200  # the neighbourhood is a part of the cut
    words = describe_selection(describe_cut("top_k", 200), n, "G03", 1)
    assert words == f"Showing {n} edges of the top 200 edges within 1 step of G03"
    assert describe_selection(describe_cut("top_k", 200), 200) == "Showing the top 200 edges"
    assert "2 steps" in describe_selection("top 5 edges", 1, "G03", 2) and "1 edge " in describe_selection("top 5 edges", 1, "G03", 2)


def test_searched_gene_is_centred_with_neighbours_around_and_labelled():
    e = _edges()
    sel = select_edges(e, cut=("top_k", 200), gene="G03")
    pos = focus_layout(sel.edges, "G03")
    assert pos["G03"] == (0.0, 0.0) and set(pos) == set(sel.genes)
    regs = set(sel.edges.loc[sel.edges.target == "G03", "source"])
    tgts = set(sel.edges.loc[sel.edges.source == "G03", "target"])
    only_r, only_t = regs - tgts, tgts - regs
    assert only_r and only_t
    assert np.mean([pos[g][0] for g in only_r]) < 0 < np.mean([pos[g][0] for g in only_t])  # regulators left
    nodes = {n["id"]: n for n in _nodes(view_html(sel, layout_for(e), tfs=set(e.source)))}
    assert nodes["G03"]["focus"] and nodes["G03"]["always"]
    assert (nodes["G03"]["x"], nodes["G03"]["y"]) == (0.0, 0.0)
    # without a search the fixed layout is used
    full = select_edges(e, cut=("top_k", 50))
    pos0 = layout_for(e)
    assert all((n["x"], n["y"]) == tuple(pos0[n["id"]]) for n in _nodes(view_html(full, pos0)))


def test_legend_shows_only_what_is_drawn():
    unsigned = _edges(signed=False).head(50)
    texts = [i["text"] for i in legend_items(unsigned, set(), False)]
    assert "positive" not in texts and "negative" not in texts and "TF" not in texts
    signed = _edges().head(200)
    texts = [i["text"] for i in legend_items(signed, set(signed.source), False)]
    assert {"positive", "negative", "TF"} <= set(texts)
    opts = _options(view_html(select_edges(unsigned), layout_for(unsigned)))
    assert [i["text"] for i in opts["legend"]] == [i["text"] for i in legend_items(unsigned, set(), False)]


def test_precision_of_shown_edges_next_to_random_on_the_same_candidates():
    genes = [f"G{i}" for i in range(10)]
    ref = pd.DataFrame({"source": ["G0", "G0", "G1"], "target": ["G2", "G3", "G4"]})
    shown = pd.DataFrame({"source": ["G0", "G0", "G5"], "target": ["G2", "G9", "G1"], "weight": [3.0, 2.0, 1.0]})
    r = shown_precision(shown, ref, genes, tfs=["G0", "G1"])
    # candidates: 2 TFs x 10 genes - 2 self pairs = 18; 3 true; G5 -> G1 is no candidate
    assert r["n_candidates"] == 18 and r["n_shown"] == 2 and r["hits"] == 1
    assert r["precision"] == pytest.approx(0.5) and r["random"] == pytest.approx(3 / 18)
    assert r["ratio"] == pytest.approx(3.0)
    around = shown_precision(shown, ref, genes, tfs=["G0", "G1"], focus="G0")
    assert around["n_candidates"] == 9 + 1 and around["random"] == pytest.approx(2 / 10)


def test_housekeeping_hint():
    assert housekeeping_hint(["RPL10", "RPS3", "MT-CO1", "STAT1"], tfs_given=False)
    assert housekeeping_hint(["RPL10", "RPS3", "MT-CO1", "STAT1"], tfs_given=True) is None
    assert housekeeping_hint(["STAT1", "IRF1", "SPI1", "RPL10"], tfs_given=False) is None


def test_modules_split_two_cliques():
    a = [f"A{i}" for i in range(5)]
    b = [f"B{i}" for i in range(5)]
    rows = [(x, y, 1.0) for grp in (a, b) for x in grp for y in grp if x != y] + [("A0", "B0", 0.1)]
    e = pd.DataFrame(rows, columns=["source", "target", "weight"])
    mods = find_modules(e)
    assert len({mods[g] for g in a}) == 1 and len({mods[g] for g in b}) == 1 and mods["A1"] != mods["B1"]
    table = module_table(mods, tfs={"A0"})
    assert list(table["size"]) == [5, 5] and "A0" in set(table["tfs"])


def test_picture_export_has_labels_and_legend():
    from core.grn.exports import export_bytes

    e = select_edges(_edges(), cut=("top_k", 60)).matching
    svg = export_bytes(e, "svg", tfs=set(e.source)).decode()
    assert "G00" in svg or "G01" in svg  # gene labels are drawn as text
    assert "TF" in svg and "positive" in svg  # legend entries
    around = export_bytes(e, "svg", tfs=set(e.source), focus="G03").decode()
    assert "G03" in around

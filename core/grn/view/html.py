"""The interactive GRN picture: a pyvis (vis-network) HTML page with fixed node positions.

Every user string (gene names) reaches the page either as JSON through Jinja's ``tojson`` (which escapes
``< > & '``, so ``</script>`` cannot end the script) or, in tooltips, as HTML built here with
:func:`html.escape`. vis-network's JavaScript is inlined, so the page works offline.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader
from pyvis.network import Network

from .layout import ring_position

TEMPLATE = "scgrn_network.html"
TF_COLOUR, TARGET_COLOUR, FOCUS_COLOUR = "#f28e2b", "#76b7e4", "#7b3294"
POS_COLOUR, NEG_COLOUR, UNSIGNED_COLOUR = "#c0392b", "#2c7fb8", "#888888"
TP_COLOUR, FP_COLOUR = "#1a9850", "#c8c8c8"
HUB_LABELS = 15  # the best-connected genes drawn are labelled at every zoom, like TFs and the focus gene
TF_LABELS = 60  # at most this many TFs (by degree) are always labelled


def always_labelled(edges: pd.DataFrame, tfs: set[str], focus: str | None = None) -> set[str]:
    """Genes labelled at every zoom: the focus gene, the hubs (degree), TFs (up to ``TF_LABELS`` by degree)."""
    deg = pd.concat([edges["source"], edges["target"]]).value_counts()
    hubs = [g for g in deg.index[:HUB_LABELS] if deg[g] > 1]
    drawn_tfs = [g for g in deg.index if g in tfs][:TF_LABELS]
    return set(hubs) | set(drawn_tfs) | ({focus} if focus else set())


def legend_items(edges: pd.DataFrame, tfs: set[str], has_ref: bool, modules: dict | None = None) -> list[dict]:
    """What the legend shows: only what is drawn (no sign colours for an unsigned network)."""
    genes = set(edges["source"]).union(edges["target"])
    items = []
    if genes & tfs:
        items.append({"kind": "node", "symbol": "\u25c6", "colour": TF_COLOUR, "text": "TF"})
    if genes - tfs and not modules:
        items.append({"kind": "node", "symbol": "\u25cf", "colour": TARGET_COLOUR, "text": "gene"})
    if modules:
        items.append({"kind": "node", "symbol": "\u25cf", "colour": "#777777", "text": "colour = module"})
    if has_ref:
        items += [{"kind": "edge", "colour": TP_COLOUR, "text": "in reference"},
                  {"kind": "edge", "colour": FP_COLOUR, "text": "not in reference"}]
    elif "signed_weight" in edges.columns:
        signs = set((edges["signed_weight"] >= 0).tolist())
        if True in signs:
            items.append({"kind": "edge", "colour": POS_COLOUR, "text": "positive"})
        if False in signs:
            items.append({"kind": "edge", "colour": NEG_COLOUR, "text": "negative"})
    else:
        items.append({"kind": "edge", "colour": UNSIGNED_COLOUR, "text": "edge (unsigned)"})
    items.append({"kind": "text", "text": "size = out-degree, width = rank score"})
    return items


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _edge_colour(row, has_sign: bool, has_ref: bool) -> str:
    if has_ref:
        return TP_COLOUR if row.in_reference else FP_COLOUR
    if has_sign:
        return POS_COLOUR if row.signed_weight >= 0 else NEG_COLOUR
    return UNSIGNED_COLOUR


def build_network(
    edges: pd.DataFrame,
    positions: dict[str, tuple[float, float]],
    *,
    tfs: set[str] | None = None,
    focus: str | None = None,
    reference: bool = False,
    note: str | None = None,
    height: str = "640px",
    modules: dict[str, int] | None = None,
) -> Network:
    """A pyvis Network of ``edges`` (already selected) at the fixed ``positions``; physics off.

    ``tfs``: genes drawn as TFs (diamonds). ``reference``: colour edges by ``in_reference`` (true
    positives green) instead of by sign. ``note`` is shown above the graph (escaped). ``modules`` (gene ->
    module number) colours genes by module. TFs, hubs and the focus gene carry ``always: true`` (labelled at
    every zoom by the page's script, which sizes labels in screen pixels).
    """
    from .modules import module_colour

    net = Network(height=height, width="100%", directed=True, heading=note or "", cdn_resources="in_line")
    net.templateEnv = Environment(
        loader=FileSystemLoader([str(Path(__file__).parent / "templates"), str(Path(net.template_dir))]),
        autoescape=False,  # the template escapes explicitly (|tojson, |e)
    )
    net.path = TEMPLATE
    tfs = set(tfs or ())
    has_sign = "signed_weight" in edges.columns
    has_ref = reference and "in_reference" in edges.columns
    out_deg = edges["source"].value_counts()
    in_deg = edges["target"].value_counts()
    genes = sorted(set(edges["source"]).union(edges["target"]))
    always = always_labelled(edges, tfs, focus)
    for g in genes:
        x, y = positions.get(g) or ring_position(g, positions)
        k_out, k_in = int(out_deg.get(g, 0)), int(in_deg.get(g, 0))
        is_tf = g in tfs
        title = (
            f"<b>{html.escape(g)}</b><br>{'TF' if is_tf else 'gene'} &middot; "
            f"{k_out} target(s), {k_in} regulator(s) shown"
        )
        colour = TF_COLOUR if is_tf else TARGET_COLOUR
        if modules is not None and g in modules:
            colour = module_colour(modules[g])
            title += f"<br>module {int(modules[g]) + 1}"
        node = dict(
            label=g, title=title, x=x, y=y, physics=False,
            shape="diamond" if is_tf else "dot",
            color=colour,
            size=8 + 4 * math.sqrt(k_out),
            always=g in always, focus=g == focus,
        )
        if g == focus:
            node.update(color={"background": node["color"], "border": FOCUS_COLOUR}, borderWidth=4,
                        font={"size": 22, "bold": True})
        net.add_node(g, **node)
    wmax = float(edges["weight"].abs().max()) if len(edges) else 1.0
    wmax = wmax if wmax > 0 else 1.0
    for row in edges.itertuples(index=False):
        parts = [f"{html.escape(row.source)} &rarr; {html.escape(row.target)}", f"weight {_fmt(row.weight)}"]
        if has_sign:
            parts.append(f"signed {_fmt(row.signed_weight)}")
        if "rank" in edges.columns:
            parts.append(f"rank {int(row.rank)}")
        if "confidence" in edges.columns:
            parts.append(f"confidence {float(row.confidence):.2f}")
        if has_ref:
            parts.append("in reference" if row.in_reference else "not in reference")
        net.add_edge(
            row.source, row.target,
            width=0.5 + 4.5 * abs(float(row.weight)) / wmax,
            color=_edge_colour(row, has_sign, has_ref),
            title="<br>".join(parts),
        )
    many = len(edges) > 300
    net.options = {
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": many, "hideEdgesOnZoom": many},
        "edges": {"smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.4}}},
        "nodes": {"font": {"size": 14}, "borderWidth": 1},
        "reference": bool(has_ref),
        "legend": legend_items(edges, tfs, bool(has_ref), modules),
    }
    return net


def network_html(edges: pd.DataFrame, positions: dict[str, tuple[float, float]], **kwargs) -> str:
    """Standalone HTML (vis-network inlined) for :func:`build_network`'s arguments."""
    return build_network(edges, positions, **kwargs).generate_html()


__all__ = ["always_labelled", "build_network", "legend_items", "network_html"]

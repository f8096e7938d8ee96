"""GRN page (basic view; the GRN explorer deepens it): a finished run's network with a threshold slider."""

import html

import streamlit as st

from core.grn.edges import read_edges
from ui.common import pick_run, user_errors

st.title("Gene regulatory network")
run = pick_run("grn")
if run is None:
    st.info("No finished GRN run yet: launch one on the Train page.")
    st.stop()

with user_errors():
    edges = read_edges(run.artifact("edges.tsv"))
    k = st.slider("Edges shown (top-k by weight)", 1, min(len(edges), 500), min(len(edges), 100))
    shown = edges.head(k)
    from pyvis.network import Network

    net = Network(height="600px", width="100%", directed=True, cdn_resources="in_line")
    for g in sorted(set(shown["source"]) | set(shown["target"])):
        net.add_node(g, label=html.escape(g), title=html.escape(g))
    for s, t, w in shown[["source", "target", "weight"]].itertuples(index=False):
        net.add_edge(s, t, value=float(w), title=f"{html.escape(s)} → {html.escape(t)}: {w:.3g}")
    st.iframe(net.generate_html(notebook=False), height=620)
    st.dataframe(shown, hide_index=True, width="stretch")

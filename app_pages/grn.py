"""GRN page: explore a finished run's network (layout only; the logic lives in core.grn)."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.errors import InputError
from core.grn.compare import compare_top_k, scores_table
from core.grn.edge_scatter import edge_expression, edge_scatter, load_cells
from core.grn.explorer import open_network
from core.grn.exports import FORMATS, MIME, export_bytes
from core.grn.hubs import hub_genes, network_size
from core.grn.confidence_task import launch_confidence
from core.grn.consensus_task import consensus_run
from core.grn.readout import housekeeping_hint, shown_precision
from core.grn.view import mark_reference, select_edges, view_html
from core.grn.view.cuts import MODES, cut_steps, default_step, describe_cut, describe_selection, weight_at_cut
from core.grn.view.modules import find_modules, module_table
from core.jobs.rundir import list_runs
from ui.common import pick_run, run_label, user_errors

st.title("Gene regulatory network")


@st.cache_resource(max_entries=2, show_spinner="Reading the dataset's expression…")
def _cells(dataset: str):
    return load_cells(dataset)


run = pick_run("grn")
if run is None:
    st.info("No finished GRN run yet: launch one on the Train page.")
    st.stop()

with user_errors():
    net = open_network(run.path)
    edges = net.edges
    if edges.empty:
        raise InputError("This run's network has no edges.")
    reference = net.reference()

    # ---- controls --------------------------------------------------------------------------------
    c = st.columns([2, 3, 3, 1, 2])
    mode = c[0].selectbox("Show", list(MODES), format_func=MODES.get, key=f"mode_{run.id}",
                          help="Cut the network by rank: the strongest edges overall, the best regulators of each "
                               "target, or a top share of all edges. The raw weight at the cut is shown below.")
    options = cut_steps(mode, len(edges))
    value = c[1].select_slider(
        MODES[mode], options=options, value=default_step(mode, len(edges), len(net.genes())), key=f"cut_{mode}_{run.id}",
        format_func=(lambda v: "all" if v == len(edges) else f"{v:,}") if mode == "top_k"
        else (lambda v: f"{v:g} %") if mode == "quantile" else str,
        help="The node layout stays fixed while it moves.",
    )
    gene = c[2].selectbox("Search a gene", net.genes(), index=None, placeholder="type a gene name…", key=f"gene_{run.id}")
    steps = c[3].radio("Steps", [1, 2], horizontal=False, key=f"steps_{run.id}", disabled=gene is None)
    overlay = c[4].toggle("Reference", value=False, disabled=reference is None, key=f"ref_{run.id}",
                          help="Colour edges found in the reference network green"
                          if reference is not None else "No reference network for this run (add one on the Data page).")
    min_conf = None
    if "confidence" in edges.columns:
        min_conf = c[4].slider("Min. confidence", 0.0, 1.0, 0.0, 0.05, key=f"conf_{run.id}",
                               help="Share of ensemble members (or bootstrap resamples) that rank the edge in "
                                    "their top k; 1 = every one.")

    sel = select_edges(edges, cut=(mode, value), gene=gene, steps=int(steps), min_confidence=min_conf)
    positions = net.positions()
    matching = mark_reference(sel.matching, reference)
    size = network_size(sel.matching)
    st.caption(describe_selection(describe_cut(mode, value), size["edges"], gene, int(steps))
               + f" ({weight_at_cut(sel.matching)}; the raw weight is a detail of each method).")

    m = st.columns(5)
    m[0].metric("Edges shown", f"{size['edges']:,}", help=f"of {sel.n_total:,} in the network")
    m[1].metric("Genes", f"{size['genes']:,}")
    m[2].metric("Regulators", f"{size['regulators']:,}")
    m[3].metric("Targets", f"{size['targets']:,}")
    prec = shown_precision(sel.matching, reference, net.genes(), net.params.get("tfs"), sel.focus) \
        if reference is not None else None
    if prec is not None:
        m[4].metric("Precision of shown edges", f"{prec['precision']:.1%}",
                    delta=f"{prec['ratio']:.1f}× random ({prec['random']:.1%})", delta_color="off",
                    delta_arrow="up" if prec["ratio"] > 1 else "down" if prec["ratio"] < 1 else "off",
                    help=f"{prec['hits']:,} of the {prec['n_shown']:,} shown candidate edges are in the reference; "
                         f"edges drawn at random from the same {prec['n_candidates']:,} candidate pairs would "
                         f"reach {prec['random']:.2%}.")
    top_regs, _ = hub_genes(sel.matching, n=10)
    hint = housekeeping_hint(top_regs["gene"].tolist(), bool(net.params.get("tfs")))
    if hint:
        st.info(hint, icon=":material/lightbulb:")

    tab_graph, tab_table, tab_expr, tab_hubs, tab_modules, tab_scores, tab_compare, tab_export = st.tabs(
        ["Network", "Edges", "Expression", "Hubs", "Modules", "Scores", "Compare runs", "Export"]
    )

    # ---- the graph --------------------------------------------------------------------------------
    with tab_graph:
        if sel.note:
            st.warning(sel.note)
        if sel.edges.empty:
            st.info("No edge passes these filters: show more edges or lower the confidence.")
        else:
            colour_modules = st.toggle("Colour modules", value=False, key=f"modcol_{run.id}",
                                       help="Colour genes by their Leiden community in the shown network.")
            modules = find_modules(sel.edges) if colour_modules else None
            page_html = view_html(sel, positions, tfs=net.tfs, reference=reference if overlay else None,
                                  show_note=False, modules=modules)
            st.iframe(page_html, height=720)
            st.caption("TFs, hubs and the searched gene are labelled at every zoom; other genes once few enough "
                       "are in view. Drag to pan, scroll to zoom, hover for details.")

    # ---- the edge table ---------------------------------------------------------------------------
    with tab_table:
        needle = st.text_input("Filter by gene (substring)", key=f"filter_{run.id}")
        table = matching
        if needle:
            table = table[table["source"].str.contains(needle, case=False, regex=False)
                          | table["target"].str.contains(needle, case=False, regex=False)]
        limit = 5000
        if len(table) > limit:
            st.caption(f"Showing the {limit:,} strongest of {len(table):,} edges; download them all under Export.")
        cols = [col for col in ["rank", "source", "target", "weight", "signed_weight", "confidence", "in_reference"]
                if col in table]
        st.dataframe(table.head(limit)[cols], hide_index=True, width="stretch")
        if "confidence" not in edges.columns:
            pending = [r for r in list_runs() if r.params.get("task") == "grn_confidence"
                       and r.params.get("parent") == str(run.path) and r.state in ("queued", "running")]
            if pending:
                st.info(f"Bootstrap confidence is being computed (run {pending[0].id}); reload when it has finished.")
            else:
                b = st.columns([1, 2, 3])
                n_boot = b[0].number_input("Resamples", min_value=2, max_value=100, value=10, key=f"nboot_{run.id}")
                if b[1].button("Compute edge confidence", key=f"boot_{run.id}",
                               help="Fit this method again on resamples of the cells (a background job); each "
                                    "edge gets the share of resamples ranking it in their top 1 %."):
                    launch_confidence(run, n_boot=int(n_boot))
                    st.rerun()

    # ---- expression of one edge's genes ---------------------------------------------------------------
    with tab_expr:
        shown = sel.matching.head(500)
        if shown.empty or not net.params.get("dataset"):
            st.info("No edge shown, or this run has no dataset to read expression from.")
        else:
            pick = st.selectbox("Edge", range(len(shown)), key=f"edge_{run.id}",
                                                format_func=lambda i: f"{shown['source'].iat[i]} → {shown['target'].iat[i]}",
                                help="An edge of the shown network (search a gene to list its edges first).")
            tf, target = shown["source"].iat[pick], shown["target"].iat[pick]
            matrix, var_names, groups = _cells(net.params["dataset"])
            expr = edge_expression(matrix, var_names, tf, target)
            signed = shown["signed_weight"].iat[pick] if "signed_weight" in shown else None
            fig_e, _ = edge_scatter(expr, tf, target, groups, signed)
            st.plotly_chart(fig_e, width="stretch", key=f"edge_scatter_{run.id}")
            st.caption("Each dot is a cell (log-normalised expression)"
                       + (f", coloured by {groups[0]}." if groups else "; no cell labels or clusters are known "
                          "for this dataset (set a label column on the Data page or run an embedding)."))

    # ---- hubs -------------------------------------------------------------------------------------
    with tab_hubs:
        regs, tgts = hub_genes(sel.matching, n=15)
        h = st.columns(2)
        h[0].markdown("**Top regulators** (out-degree)")
        h[0].dataframe(regs, hide_index=True, width="stretch")
        h[1].markdown("**Top targets** (in-degree)")
        h[1].dataframe(tgts, hide_index=True, width="stretch")

    # ---- modules ----------------------------------------------------------------------------------
    with tab_modules:
        mods = find_modules(sel.edges) if not sel.edges.empty else {}
        mtable = module_table(mods, net.tfs)
        if mtable.empty:
            st.info("No module of 3 genes or more in the shown network: show more edges.")
        else:
            st.caption(f"{len(mtable)} Leiden communities of the {len(sel.edges):,} drawn edges (genes in smaller "
                       "groups are left out). Turn on “Colour modules” on the Network tab to see them.")
            st.dataframe(mtable.drop(columns="colour"), hide_index=True, width="stretch")
            st.download_button("Download modules (CSV)", data=mtable.drop(columns="colour").to_csv(index=False),
                               file_name=f"{run.id}_modules.csv", mime="text/csv", key=f"dl_modules_{run.id}")

    # ---- scores -----------------------------------------------------------------------------------
    with tab_scores:
        if reference is None:
            st.info("No reference network for this run: upload one on the Data page to get EPR / AUPRC.")
        else:
            ev = net.evaluation()
            if ev is None:
                st.info("Scoring is not available in this installation (core.grn.scoring missing).")
            else:
                s = st.columns(4)
                s[0].metric("EPR", f"{ev.metrics['epr']:.3f}", help="Early precision ratio (1 = random)")
                s[1].metric("AUPRC ratio", f"{ev.metrics['auprc_ratio']:.3f}", help="AUPRC / edge density (1 = random)")
                s[2].metric("True edges", f"{ev.metrics['n_true_edges']:,}")
                s[3].metric("Candidates", f"{ev.metrics['n_candidates']:,}")
                pr = ev.pr_curve
                fig = go.Figure(go.Scatter(x=pr["recall"], y=pr["precision"], mode="lines", name="this run"))
                fig.add_hline(y=ev.metrics["density"], line_dash="dot", annotation_text="random")
                fig.update_layout(height=360, xaxis_title="recall", yaxis_title="precision",
                                  margin=dict(l=10, r=10, t=30, b=10), title="Precision-recall (whole network)")
                st.plotly_chart(fig, width="stretch")
                conv = ev.metrics.get("convention", "beeline")
                st.caption({"beeline": "Scored as in BEELINE (Pratapa et al. 2020): candidates are every TF → gene "
                                       "pair of the reference's genes; EPR counts the top-k edges, k = true edges.",
                            "deepsem": "Scored as in the DeepSEM tutorial (Shu et al. 2021): the top-k TF → gene "
                                       "edges, k = true edges."}.get(conv, f"Scoring convention: {conv}.")
                           + f" Reference: the network given with the dataset ({ev.metrics['n_true_edges']:,} true "
                             "edges among the candidates).")

    # ---- compare two runs -------------------------------------------------------------------------
    with tab_compare:
        done = [r for r in list_runs() if r.params.get("task") == "grn" and r.state == "finished"]
        sweep_id = run.params.get("sweep_id")
        st.markdown("**Scores of the finished networks of this dataset**")
        only_sweep = sweep_id and st.toggle("Only this run's sweep", value=True, key=f"only_sweep_{run.id}",
                                            help="The runs launched together as one grid on the Train page.")
        same = [r for r in done if r.params.get("dataset") == run.params.get("dataset")
                and (not only_sweep or r.params.get("sweep_id") == sweep_id)]
        scores = scores_table(same[::-1])
        best = [c for c in ("EPR", "AUPRC ratio") if scores[c].notna().any()]
        st.dataframe(scores.style.format({"EPR": "{:.3f}", "AUPRC ratio": "{:.3f}", "seconds": "{:.1f}"}, na_rep="—")
                     .highlight_max(subset=best, color="#d7ecdf"), hide_index=True, width="stretch",
                     column_config={"model": st.column_config.TextColumn(width="medium")})
        st.caption("EPR: early precision ratio; AUPRC ratio: area under the precision-recall curve over the edge "
                   "density; 1 = random, empty without a reference network; the best of each is shaded. Runs of a "
                   "sweep show one column per swept parameter, oldest run first.")
        st.markdown("**Two networks side by side**")
        others = [r for r in done if r.id != run.id]
        if not others:
            st.info("Finish another GRN run to compare networks.")
        else:
            cc = st.columns([3, 1, 1])
            other = cc[0].selectbox("Compare with", others, format_func=run_label, key=f"other_{run.id}")
            k = cc[1].number_input("k", min_value=1, max_value=len(edges), value=min(500, len(edges)), step=100)
            directed = cc[2].toggle("Directed", value=True, help="Off: (a, b) and (b, a) count as the same edge")
            cmp = compare_top_k(edges, open_network(other.path).edges, int(k), directed=directed)
            x = st.columns(4)
            x[0].metric("Jaccard", f"{cmp.jaccard:.3f}")
            x[1].metric("Shared", f"{cmp.n_shared:,}")
            x[2].metric("Only in this run", f"{len(cmp.only_a):,}")
            x[3].metric("Only in the other", f"{len(cmp.only_b):,}")
            y = st.columns(2)
            y[0].dataframe(cmp.only_a, hide_index=True, width="stretch")
            y[1].dataframe(cmp.only_b, hide_index=True, width="stretch")
            st.markdown("**Consensus network**")
            picked = st.multiselect(
                "Fuse this run with", others, format_func=run_label, key=f"cons_{run.id}",
                help="Ranks the edges of the selected runs (any methods) on their common genes and regulators and "
                     "averages the ranks; from three runs up, a run whose strongest edges disagree with the "
                     "others' is left out (as DeepSEM does with its ensemble members). Saved as a new run.")
            if st.button("Build consensus", key=f"cons_go_{run.id}", disabled=not picked):
                new = consensus_run([run, *picked])
                st.query_params["run"] = new.id
                st.session_state.pop("pick_run", None)  # the run picker then follows ?run= to the new run
                st.rerun()

    # ---- exports ----------------------------------------------------------------------------------
    with tab_export:
        st.caption(f"Exports hold the {len(sel.matching):,} edges of the {describe_cut(mode, value)}"
                   + (f" around {gene}" if gene else "") + ".")
        e_cols = st.columns(5)
        labels = {"scenic": "SCENIC TSV", "beeline": "BEELINE CSV", "graphml": "GraphML", "gexf": "GEXF",
                  "sif": "SIF", "gmt": "GMT regulons", "html": "HTML (view)", "png": "PNG (view)", "svg": "SVG (view)"}
        export_edges = sel.matching
        for i, fmt in enumerate(FORMATS):
            view_fmt = fmt in ("html", "png", "svg")

            def make(fmt=fmt, view_fmt=view_fmt):
                src = sel.edges if view_fmt else export_edges
                return export_bytes(src, fmt, tfs=net.tfs, positions=positions, focus=sel.focus,
                                    reference=reference if overlay else None)

            e_cols[i % 5].download_button(
                labels[fmt], data=make, file_name=f"{run.id}_grn{FORMATS[fmt]}", mime=MIME[fmt],
                key=f"dl_{fmt}_{run.id}", on_click="ignore", width="stretch",
            )

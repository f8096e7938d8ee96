"""Simulation page: simulate cells from a finished run of any model that can simulate (in the background) and
compare them with the real cells. Layout only: everything is computed by core.simulation."""

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core.jobs.rundir import ACTIVE, list_runs
from core.registry import get_method, methods
from core.embedding.views import qualitative_palette, tidy_log_axes
from core.simulation.advice import undertrained
from core.simulation.compare import sample_sizes
from core.simulation.side_by_side import (BETTER_WORDS, FIGURES, best_per_figure, default_selection, figures_by_row,
                                          figures_table, grn_consistency_table, same_data_simulations,
                                          shared_cluster_proportions, simulator_name)
from core.simulation.task import launch_simulation, load_comparison, simulation_choices, simulation_sources
from ui.common import STATE_ICONS, param_widgets, run_label, run_title, user_errors

st.title("Simulation")
st.caption("Do the model's cells look real? Simulate cells from a trained generative model and compare them "
           "with the real cells: per-gene statistics, a classifier test, a distance, a joint UMAP and GRN consistency.")

all_runs = list_runs()
models = simulation_sources(all_runs)
sims = [r for r in all_runs if r.params.get("task") == "simulate"]

# ---- 1. generate -------------------------------------------------------------------------------------
with st.expander("Generate simulated cells", expanded=not sims):
    if not models:
        able = ", ".join(s.label for s in methods("simulate").values())
        st.info(f"No finished run of a model that can simulate ({able}) yet: train one on the Train page first.")
    else:
        src = st.selectbox("Trained model", models, format_func=run_label, key="sim_source")
        spec = get_method(src.params.get("method"), src.params.get("origin"))
        warn = undertrained(src.params, src.metrics().get("n_cells"))
        if warn:
            st.warning(warn, icon=":material/warning:")
        c = st.columns(2)
        n_cells = int(c[0].number_input("Cells to simulate", 10, 100_000, 500, step=100))
        seed = int(c[1].number_input("Seed", 0, 2**31 - 1, 0, key="sim_seed"))
        options = {}
        if spec.simulation_params:
            st.caption(f"How {spec.label} simulates:")
            options = param_widgets(spec.simulation_params, spec.simulation_defaults(), f"sim_{spec.name}",
                                    choices=simulation_choices(src))
        if st.button("Generate", type="primary"):
            with user_errors():
                run = launch_simulation(src.path, n_cells, options=options, seed=seed)
                st.query_params["sim"] = run.id
                st.rerun()

if not sims:
    st.stop()

# ---- 2. pick a simulation ------------------------------------------------------------------------------
ids = [r.id for r in sims]
wanted = st.query_params.get("sim")
sim_run = st.selectbox("Simulation", sims, index=ids.index(wanted) if wanted in ids else 0, format_func=run_label)
if st.query_params.get("sim") != sim_run.id:
    st.query_params["sim"] = sim_run.id


@st.fragment(run_every=1.0)
def wait_for(run) -> None:
    state = run.state
    if state in ACTIVE:
        st.info(f"{STATE_ICONS.get(state)} Simulation {state}… (it runs in the background; you can leave this page)")
        prog = run.progress()
        if prog:
            st.progress(prog[-1]["epoch"] / max(prog[-1]["n_epochs"], 1), text=["simulating", "comparing", "done"][min(prog[-1]["epoch"], 3) - 1])
    else:
        st.rerun()


if sim_run.state in ACTIVE:
    wait_for(sim_run)
    st.stop()
if sim_run.state != "finished":
    st.error(f"This simulation {sim_run.state}: {sim_run.status.get('reason')}")
    st.stop()

loaded = load_comparison(sim_run.path)
if loaded is None:
    st.warning("This simulation has no comparison saved.")
    st.stop()
res, readings = loaded
s = res.summary
sp = sim_run.params.get("params", {})

# ---- 3. headline ----------------------------------------------------------------------------------------
c = st.columns(6)
c[0].metric("Classifier AUC", f"{s['classifier_auc']:.2f}", help="0.5 = indistinguishable, 1 = always told apart")
c[1].metric("Mean r", f"{s['mean_corr']:.2f}")
c[2].metric("Variance r", f"{s['var_corr']:.2f}")
c[3].metric("Zero-fraction r", f"{s['zero_frac_corr']:.2f}")
c[4].metric("Energy distance", f"{s['energy_distance']:.3g}", help=f"coefficient {s.get('energy_coefficient', float('nan')):.3f} (0 = same, 1 = separated)")
if "nn_distance_ratio" in s:
    c[5].metric("Nearest-real ratio", f"{s['nn_distance_ratio']:.2f}",
                help="distance from a simulated cell to its nearest real cell / distance between neighbouring real cells: "
                     "~1 = new cells, ~0 = near-copies of real cells")
src_run = next((r for r in all_runs if str(r.path) == str(sp.get("source_run"))), None)
if src_run is not None:
    warn = undertrained(src_run.params, src_run.metrics().get("n_cells"))
    if warn:
        st.warning(warn, icon=":material/warning:")
for line in readings:
    st.markdown(f"- {line}")
opts = dict(sp.get("options") or {})
if src_run is not None:  # only the options the source family has, and only those that apply
    try:
        known = {q.name: q for q in get_method(src_run.params.get("method"), src_run.params.get("origin")).simulation_params}
    except Exception:
        known = {}
    opts = {k: v for k, v in opts.items() if k in known and v not in (None, "")}
    if opts.get("mode") == "prior":
        opts.pop("noise", None)
    opts = {known[k].title: v for k, v in opts.items()}
real_what = (f"the {s['n_real']} real cells of component {(sp.get('options') or {}).get('component')}"
             if (sp.get("options") or {}).get("component") is not None else f"{s['n_real']} real cells")
transform = {"lognorm": "library-size normalised and log1p-transformed", "log1p": "log1p-transformed",
             "none": "as they are"}.get(str(s.get("transform")), s.get("transform"))
st.caption(f"{s['n_sim']} simulated vs {real_what}, {s['n_genes']} genes; values {transform} "
           f"before PCA ({s.get('n_pcs')} components). Simulated from "
           f"{run_title(src_run) if src_run is not None else 'a deleted run'}"
           + (": " + ", ".join(f"{k} {v}" for k, v in opts.items()) if opts else "") + ". " + sample_sizes(s))
sim_file = sim_run.artifact("simulated.h5ad")
if sim_file.exists():
    st.download_button("Download simulated cells (.h5ad)", sim_file.read_bytes(), file_name=f"simulated_{sim_run.id}.h5ad",
                       mime="application/octet-stream")

tabs = st.tabs(["Per-gene statistics", "Mean-variance trend", "Joint UMAP", "GRN consistency", "Classifier"])

with tabs[0]:
    g = res.genes
    cols = st.columns(3)
    for col, (stat, title, log) in zip(cols, [("mean", "Mean", True), ("var", "Variance", True), ("zero_frac", "Zero fraction", False)]):
        x, y = g[f"real_{stat}"], g[f"sim_{stat}"]
        fig = px.scatter(x=x, y=y, hover_name=g.index, log_x=log, log_y=log, labels={"x": "real", "y": "simulated"},
                         title=f"{title} (r = {s.get(f'{stat}_corr', float('nan')):.2f})")
        lo, hi = float(np.nanmin([x.min(), y.min()])), float(np.nanmax([x.max(), y.max()]))
        lo = max(lo, 1e-4) if log else lo
        fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(dash="dash", color="grey"), showlegend=False))
        fig.update_layout(height=350, margin=dict(l=10, r=10, t=40, b=10))
        col.plotly_chart(tidy_log_axes(fig), width="stretch")
    words = {f"{src}_{stat}": f"{name} {label}" for src, name in (("real", "real"), ("sim", "simulated"))
             for stat, label in (("mean", "mean"), ("var", "variance"), ("zero_frac", "zero fraction"))}
    st.dataframe(g, width="stretch", column_config={
        c: st.column_config.NumberColumn(words.get(c, c.replace("_", " ")), format="%.3g") for c in g.columns})

with tabs[1]:
    g = res.genes
    long = pd.concat([
        pd.DataFrame({"mean": g["real_mean"], "variance": g["real_var"], "source": "real"}),
        pd.DataFrame({"mean": g["sim_mean"], "variance": g["sim_var"], "source": "simulated"}),
    ])
    long = long[(long["mean"] > 0) & (long["variance"] > 0)]
    colours = {"real": "#2b6cb0", "simulated": "#dd6b20"}  # each trend in its points' colour
    fig = px.scatter(long, x="mean", y="variance", color="source", log_x=True, log_y=True, opacity=0.45,
                     title="Per-gene mean vs variance", color_discrete_map=colours)
    t = res.trend
    for src_name, part in t.groupby("source"):
        fig.add_trace(go.Scatter(x=10 ** part["log10_mean"], y=10 ** part["log10_var"], mode="lines",
                                 line=dict(color=colours.get(str(src_name)), width=3),
                                 name=f"{src_name} trend (binned median)"))
    fig.update_layout(height=450)
    st.plotly_chart(tidy_log_axes(fig), width="stretch")

with tabs[2]:
    if res.cells is None:
        st.info("The joint UMAP was not computed for this simulation.")
    else:
        cells = res.cells
        cols = st.columns(2)
        for col, colour in zip(cols, ["source", "cluster"]):
            n_cat = cells[colour].nunique()
            order = sorted(cells[colour].astype(str).unique(), key=lambda c: (not c.isdigit(), int(c) if c.isdigit() else 0, c))
            fig = px.scatter(cells, x="umap1", y="umap2", color=colour, opacity=0.6, title=f"Joint UMAP by {colour}",
                             color_discrete_sequence=qualitative_palette(n_cat), category_orders={colour: order})
            fig.update_traces(marker=dict(size=4))
            fig.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=10))
            col.plotly_chart(fig, width="stretch")
        props = res.cluster_props.reset_index().melt(id_vars=res.cluster_props.index.name or "index",
                                                     var_name="source", value_name="fraction")
        props.columns = ["cluster", "source", "fraction"]
        fig = px.bar(props, x="cluster", y="fraction", color="source", barmode="group",
                     title=f"Cluster proportions (Leiden on the joint data; total-variation distance {s.get('cluster_tvd', float('nan')):.2f})")
        st.plotly_chart(fig, width="stretch")

with tabs[3]:
    if res.grn is None or res.grn.empty:
        st.info("GRN consistency was not computed for this simulation.")
    else:
        gr = res.grn.copy()
        gr["K"] = [f"{k:.0%}" for k in gr["k"]]
        fig = go.Figure([
            go.Bar(x=gr["K"], y=gr["overlap"], name="overlap real vs simulated"),
            go.Bar(x=gr["K"], y=gr["chance"], name="chance (random ranking)"),
        ])
        fig.update_layout(barmode="group", yaxis_title="fraction of top-K% real edges recovered", xaxis_title="K",
                          xaxis_type="category",
                          title=f"GRN consistency ({str(s.get('grn_method', 'pearson')).capitalize()} network on real and on simulated cells)")
        st.plotly_chart(fig, width="stretch")
        st.dataframe(gr[["K", "n_edges", "overlap", "chance"]], hide_index=True)

with tabs[4]:
    folds = res.classifier_folds
    grouped = " grouped by originating cell (a perturbed cell and its real cell share a fold)" if s.get("classifier_grouped") else ""
    st.markdown(f"Random forest on {s.get('n_pcs')} PCA components (PCA fitted on both sets), 5-fold stratified "
                f"cross-validation{grouped} on class-balanced sets. AUC per fold: {', '.join(f'{f:.3f}' for f in folds)}.")
    st.markdown(f"Energy distance on the same PCA space: E = 2·mean‖x−y‖ − mean‖x−x′‖ − mean‖y−y′‖ = "
                f"{s['energy_distance']:.4g}; coefficient E / (2·mean‖x−y‖) = {s.get('energy_coefficient', float('nan')):.4f}.")

# ---- 4. several simulators side by side ----------------------------------------------------------------------
st.subheader("Simulators side by side")
candidates = same_data_simulations(all_runs, sim_run)
if len(candidates) < 2:
    st.info("Only this simulation was made on these real cells. Simulate from other trained models (scGAN, cscGAN, "
            "VAE, GMVAE, DeepSEM ...) on the same dataset to compare them here side by side.")
    st.stop()
names = {r.id: simulator_name(r) for r in candidates}
chosen_ids = st.multiselect("Simulations to compare (same real cells)", list(names),
                            default=[r.id for r in default_selection(candidates)], format_func=names.get,
                            help="Every simulation on this dataset; by default the newest of each simulator.")
chosen = [r for r in candidates if r.id in chosen_ids]
if len(chosen) < 2:
    st.info("Pick at least two simulations.")
    st.stop()
table = figures_table(chosen)
best = best_per_figure(table)
rows = figures_by_row(table)
best_cell = {f"{f.label} ({BETTER_WORDS[f.better]})": best[f.label] for f in FIGURES if f.label in best}
st.dataframe(
    rows.style.format(lambda v: f"{v:,.0f}" if float(v).is_integer() and abs(v) >= 10 else f"{v:.3f}",
                      na_rep="—")
    .apply(lambda r: ["font-weight: bold; background-color: #e8f3ea" if c == best_cell.get(r.name) else ""
                      for c in r.index], axis=1),
    width="stretch")
st.caption(" · ".join(f"**{f.label}**: {f.help}" for f in FIGURES) + ". The best simulator per figure is shaded.")
st.markdown("Best per figure: " + "; ".join(f"**{k}** {v.split(' · ')[0]}" for k, v in best.items()) + ".")
long = table.drop(columns="cells").reset_index(names="simulator").melt(id_vars="simulator", var_name="figure",
                                                                       value_name="value").dropna()
fig = px.bar(long, x="figure", y="value", color="simulator", barmode="group",
             title="Every figure, one bar per simulator (see the table for which direction is better)")
fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
st.plotly_chart(fig, width="stretch")

c = st.columns(2)
with c[0], user_errors():
    from core.data.store import load_prepared

    @st.cache_data(show_spinner="Assigning simulated cells to the real cells' clusters…", max_entries=8)
    def _shared(dataset: str, ids: tuple[str, ...]):
        return shared_cluster_proportions(load_prepared(dataset), [r for r in chosen if r.id in ids],
                                          seed=int(sim_run.params.get("seed", 0)))

    props, tvd, where = _shared(str(sim_run.params["dataset"]), tuple(r.id for r in chosen))
    long = props.reset_index().melt(id_vars="cluster", var_name="source", value_name="fraction")
    fig = px.bar(long, x="cluster", y="fraction", color="source", barmode="group",
                 title=f"Cluster proportions on the real cells' clusters ({where})")
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25),
                      xaxis_type="category")
    st.plotly_chart(fig, width="stretch")
    st.caption("Each simulated cell is given the cluster of its 15 nearest real cells. Distance of each mix from "
               "the real one (TVD, 0 = same): " + ", ".join(f"{k.split(' · ')[0]} {v:.2f}" for k, v in tvd.items()))
with c[1]:
    grn = grn_consistency_table(chosen)
    if grn.empty:
        st.info("GRN consistency was not computed for these simulations.")
    else:
        fig = px.bar(grn, x="K", y="overlap", color="simulator", barmode="group",
                     title="GRN consistency: top-K% real edges recovered")
        chance = grn.drop_duplicates("K")
        fig.add_trace(go.Scatter(x=chance["K"], y=chance["chance"], mode="markers", name="chance",
                                 marker=dict(symbol="line-ew-open", size=30, color="black")))
        fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25),
                          xaxis_type="category")
        st.plotly_chart(fig, width="stretch")

"""Embedding page: UMAP / clusters / scores of a finished embedding run, and all runs side by side."""

import streamlit as st

import plotly.express as px
import plotly.graph_objects as go

from core.embedding import explore as E
from core.embedding import regulon_views as RV
from core.embedding import views as V
from core.grn.regulons import DEFAULT_TOP_TARGETS
from core.grn.regulons_task import launch_regulons
from core.registry import methods
from core.memory import human_bytes
from ui.common import choice_words, run_label, user_errors

st.title("Embedding")
runs = V.finished_embed_runs()
if not runs:
    able = ", ".join(s.label for s in methods(task="embed").values())
    st.info(f"No finished embedding yet: train one ({able}) on the Train page "
            "(task “Cell embedding / clusters”); its UMAP and scores appear here.")
    st.stop()

ids = [r.id for r in runs]
wanted = st.query_params.get("run")
run = st.selectbox("Run", runs, index=ids.index(wanted) if wanted in ids else 0,
                   format_func=lambda r: f"{r.params.get('label') or r.params.get('method')} · "
                                         f"{choice_words('likelihood', (r.params.get('params') or {}).get('likelihood', ''))} · {r.id}")
if st.query_params.get("run") != run.id:
    st.query_params["run"] = run.id
method = run.params.get("method", "")
m = run.metrics()


@st.cache_resource(max_entries=4, show_spinner="Loading the embedding…")
def _load(path: str, mtime: float):
    return V.load_embedding(path)


adata = _load(str(run.path / V.ARTIFACT), (run.path / V.ARTIFACT).stat().st_mtime)

# ---- score cards -------------------------------------------------------------------------------
fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
c = st.columns(6)
c[0].metric("ASW (labels)", fmt(m.get("asw_labels")), help="Silhouette of the known labels on the latent (-1..1).")
c[1].metric("ASW (clusters)", fmt(m.get("asw_clusters")), help="Silhouette of the Leiden clusters on the latent.")
c[2].metric("ARI", fmt(m.get("ari")), help="Adjusted Rand index, Leiden clusters vs labels.")
c[3].metric("NMI", fmt(m.get("nmi")), help="Normalised mutual information, Leiden clusters vs labels.")
c[4].metric("Active units", f"{m.get('active_units', '—')} / {m.get('latent_dim', '—')}",
            help="Latent dimensions whose posterior mean varies across cells (A_z > 0.01).")
c[5].metric("Training time", f"{m.get('seconds', 0):.1f} s")
if m.get("model_ari") is not None:
    st.caption(f"GMVAE's own clusters (argmax q(y|x)): {m.get('n_model_clusters')} used, "
               f"ARI {fmt(m.get('model_ari'))}, NMI {fmt(m.get('model_nmi'))}, ASW {fmt(m.get('model_asw_clusters'))}.")
if not m.get("labels_key"):
    st.caption("No label column was given, so ASW (labels), ARI and NMI are not computed.")

# ---- UMAP ----------------------------------------------------------------------------------------


@st.cache_resource(max_entries=4, show_spinner="Loading regulon activity…")
def _activity(path: str, mtime: float):
    return RV.load_activity(path)


@st.fragment(run_every=2.0)
def _wait_regulons(job) -> None:
    if job.state in ("queued", "running"):
        st.info(f"Scoring regulons in the background (run {job.id}, {job.state})…", icon=":material/hourglass:")
    else:
        st.rerun()


activity = None
left, right = st.columns([3, 1])
with right:
    opts = V.colour_options(adata, method)
    kind = st.radio("Colour by", ["obs", "gene", "latent", "regulon"], horizontal=True,
                    format_func={"obs": "label / cluster", "gene": "gene", "latent": "latent dim",
                                 "regulon": "regulon"}.get)
    if kind == "regulon":
        grns = RV.matching_grn_runs(adata.var_names)
        if not grns:
            st.warning("No finished GRN run has this dataset's genes: infer a network on the Train page.")
            st.stop()
        grn = st.selectbox("Network", grns, format_func=run_label, key="regulon_grn",
                           help="A finished GRN run whose genes match this embedding's data.")
        top = st.number_input("Targets per regulon", min_value=5, max_value=500, value=DEFAULT_TOP_TARGETS, step=5,
                              key="regulon_top", help="Each TF's strongest targets, signed by the network.")
        jobs = RV.regulon_runs(run, grn, int(top))
        done = [j for j in jobs if j.state == "finished"]
        if done:
            activity = _activity(str(done[0].path), (done[0].path / "regulons.h5ad").stat().st_mtime)
            opts["regulon"] = list(activity.columns)
            st.caption(f"Activity: decoupler ULM t-value of each cell's expression on the regulon "
                       f"({len(activity.columns)} regulons).")
        elif any(j.state in ("queued", "running") for j in jobs):
            _wait_regulons(next(j for j in jobs if j.state in ("queued", "running")))
            st.stop()
        else:
            failed = next((j for j in jobs if j.state == "failed"), None)
            if failed is not None:
                st.error(failed.status.get("reason") or "Regulon scoring failed.")
            if st.button("Score regulons", type="primary", key="regulon_go",
                         help="Build each TF's regulon from the network and score it in every cell "
                              "(decoupler ULM, a background job of seconds)."):
                with user_errors():
                    launch_regulons(run, grn, top_targets=int(top))
                    st.rerun()
            st.stop()
    if not opts[kind]:
        st.warning("Nothing to colour by of this kind.")
        st.stop()
    name = st.selectbox("Which", opts[kind], key=f"colour_{kind}")
with left:
    with user_errors():
        if kind == "regulon":
            values, categorical = RV.regulon_values(activity, name), False
        else:
            values, categorical = V.colour_values(adata, method, kind, name)
        title = f"{run.params.get('label', method)}: {name}" + (" regulon activity" if kind == "regulon" else "")
        density = adata.n_obs >= V.DENSITY_OFFER_CELLS and st.toggle(
            "Density view", value=adata.n_obs >= V.DENSITY_DEFAULT_CELLS, key="umap_density",
            help=f"{adata.n_obs:,} cells: draw the UMAP as a {V.DENSITY_BINS} x {V.DENSITY_BINS} image binned on the "
                 "server instead of one WebGL point per cell.")
        if density:
            fig, what = V.density_figure(adata, values, categorical, title=title)
            st.plotly_chart(fig, key=f"umap_density_{run.id}", width="stretch")
            st.caption(what)
            event = None
        else:
            fig = V.umap_figure(adata, values, categorical, title=title)
            event = st.plotly_chart(fig, on_select="rerun", selection_mode=("lasso", "box"), key=f"umap_{run.id}",
                                    width="stretch")
with right:
    cells = V.selected_cells(event, fig)
    st.markdown(f"**Selection:** {len(cells)} cells")
    sel_name = st.text_input("Save selection as obs column", value="selection", max_chars=40)
    if st.button("Save selection", disabled=len(cells) == 0):
        with user_errors():
            V.save_selection(run, sel_name, cells)
            _load.clear()
            st.success(f"Saved obs['{sel_name}'] ({len(cells)} cells) into {V.ARTIFACT}.")
            st.rerun()
    st.download_button("Download AnnData (.h5ad)", data=lambda p=run.path / V.ARTIFACT: p.read_bytes(),
                       file_name=f"{run.id}_embedding.h5ad", mime="application/octet-stream")

# ---- raw vs denoised ------------------------------------------------------------------------------
if E.can_denoise(run):
    st.subheader("Raw vs denoised expression")

    @st.cache_resource(max_entries=4, show_spinner="Denoising every cell with the trained model (once per run)…")
    def _denoised(path: str, mtime: float):
        return E.denoised(run, adata)

    show_den = st.toggle(
        "Show raw vs denoised", value=adata.n_obs <= E.AUTO_DENOISE_CELLS, key=f"denoise_on_{run.id}",
        help=f"Denoising runs the model once over all {adata.n_obs:,} cells and keeps a dense {adata.n_obs:,} x "
             f"{adata.n_vars:,} layer (about {human_bytes(E.denoise_bytes(adata))}) in the run folder; above "
             f"{E.AUTO_DENOISE_CELLS:,} cells it waits until you ask.")
    if show_den:
        genes = V.colour_options(adata, method)["gene"]
        gene = st.selectbox("Gene", genes, key=f"denoise_gene_{run.id}",
                            index=genes.index(name) if kind == "gene" and name in genes else 0)
        with user_errors():
            den = _denoised(str(run.path), (run.path / V.ARTIFACT).stat().st_mtime)
            raw, clean, scale = E.gene_raw_and_denoised(adata, den, gene)
            cols = st.columns(2)
            for col, values, what in ((cols[0], raw, "raw"), (cols[1], clean, "denoised")):
                fig = V.umap_figure(adata, values, False, title=f"{gene}, {what}")
                fig.update_layout(height=420, dragmode="pan")
                col.plotly_chart(fig, width="stretch", key=f"den_{what}_{run.id}")
            st.caption(f"Both on the scale {scale}. Denoised = the model's expected expression per cell (the decoder's "
                       "mean at the cell's latent position, before zero inflation): the sampling noise and dropouts of "
                       "the raw counts are gone. The whole layer is cached in the run folder (denoised.h5ad); "
                       "`scgrn denoise` writes it for any data.")

# ---- latent interpolation -------------------------------------------------------------------------
if E.can_interpolate(run):
    st.subheader("Latent interpolation")
    st.caption("Pick two groups of cells; the model walks the straight line between their latent centres, decodes "
               "each step and shows the genes that change most along the way.")
    choices = E.group_choices(adata)
    LASSO = "(the lasso / box selection above)"
    picked = []
    cols = st.columns(2)
    for col, letter, default in ((cols[0], "A", 0), (cols[1], "B", 1)):
        with col:
            source = st.selectbox(f"Group {letter} from", [*choices, LASSO], key=f"interp_src_{letter}_{run.id}")
            if source == LASSO:
                picked.append(("cells", None, None, f"selection ({len(cells)} cells)"))
            else:
                vals = choices[source]
                value = st.selectbox(f"Group {letter}: {source} =", vals, key=f"interp_val_{letter}_{run.id}",
                                     index=min(default, len(vals) - 1))
                picked.append(("column", source, value, f"{source} {value}"))
    c = st.columns(3)
    n_steps = int(c[0].slider("Steps along the line", 5, 50, 20, key=f"interp_steps_{run.id}"))
    n_top = int(c[1].slider("Genes in the heatmap", 5, 50, 20, key=f"interp_top_{run.id}"))
    state_key = f"interp_{run.id}"
    if c[2].button("Walk the latent line", type="primary", key=f"interp_go_{run.id}"):
        with user_errors():
            masks = [E.group(adata, kind_, col_, val_, cells=cells, what=f"Group {letter}")
                     for (kind_, col_, val_, _), letter in zip(picked, "AB")]
            labels = (picked[0][3], picked[1][3])
            st.session_state[state_key] = (E.interpolate_run(run, adata, *masks, n_steps=n_steps, labels=labels),
                                           masks, labels)
    if state_key in st.session_state:
        path, masks, labels = st.session_state[state_key]
        left, right = st.columns([1, 1])
        with left:
            fig = V.umap_figure(adata, E.group_labels(*masks, labels), True, title="The path over the UMAP")
            if path.umap is not None:
                fig.add_trace(go.Scatter(x=path.umap[:, 0], y=path.umap[:, 1], mode="lines+markers", name="path A → B",
                                         line=dict(color="black", width=3),
                                         marker=dict(size=8, color=path.t, colorscale="Plasma", showscale=False),
                                         hovertext=[f"t = {t:.2f}" for t in path.t]))
            fig.update_layout(height=480, dragmode="pan")
            st.plotly_chart(fig, width="stretch", key=f"interp_umap_{run.id}")
        with right:
            heat = path.heatmap(n_top)
            fig = px.imshow(heat, aspect="auto", color_continuous_scale="Viridis",
                            labels=dict(x=f"t (0 = {labels[0]}, 1 = {labels[1]})", y="gene",
                                        color="log1p per 10k"),
                            title=f"The {len(heat)} genes that change most along the path")
            fig.update_layout(height=480, margin=dict(l=10, r=10, t=40, b=10))
            st.plotly_chart(fig, width="stretch", key=f"interp_heat_{run.id}")
        top = path.top_genes(n_top)
        st.dataframe(top, width="stretch", column_config={
            "start": st.column_config.NumberColumn("start (A)", format="%.3g"),
            "end": st.column_config.NumberColumn("end (B)", format="%.3g"),
            "log1p_change": st.column_config.NumberColumn("change (log1p, B − A)", format="%.3f"),
            "log1p_range": st.column_config.NumberColumn("range along the path (log1p)", format="%.3f"),
            "monotonic": st.column_config.CheckboxColumn("monotonic")})
        d = st.columns(2)
        d[0].download_button("Download the decoded path (.csv)", path.to_csv(), file_name=f"interpolation_{run.id}.csv",
                             mime="text/csv")
        d[1].download_button("Download the gene changes (.csv)", path.changes().to_csv(),
                             file_name=f"interpolation_genes_{run.id}.csv", mime="text/csv")
# ---- regulon specificity -------------------------------------------------------------------------
if activity is not None:
    st.subheader("Regulon specificity per cluster")
    groups = RV.group_columns(adata, opts["obs"])
    by = st.selectbox("Clusters", groups, key="regulon_clusters") if groups else None
    if by is not None:
        with user_errors():
            fig_rss, rss = RV.specificity_figure(activity, adata.obs[by].astype(str).to_numpy())
            st.plotly_chart(fig_rss, width="stretch")
            st.caption("RSS (Suo et al. 2018): 1 − Jensen–Shannon distance between a regulon's activity over the "
                       "cells and the cluster's membership; 1 = active only in that cluster. The three most "
                       "specific regulons of each cluster are shown.")
            st.download_button("Download cluster × regulon RSS (CSV)", data=rss.to_csv(), mime="text/csv",
                               file_name=f"{run.id}_regulon_rss.csv", key="dl_rss")

# ---- latent activity -----------------------------------------------------------------------------
if m.get("latent_activity"):
    st.subheader("Latent activity")
    st.caption("A_z = variance over cells of E[z|x] per latent dimension; dimensions below 0.01 are unused.")
    st.plotly_chart(V.activity_figure(m["latent_activity"]), width="stretch")

# ---- comparison ----------------------------------------------------------------------------------
st.subheader("All finished embeddings of this dataset")
same = [r for r in runs if r.params.get("dataset") == run.params.get("dataset")]
table = V.comparison_table(same)
st.dataframe(table, hide_index=True, width="stretch",
             column_config={k: st.column_config.NumberColumn(format="%.3f")
                            for k in ("ASW labels", "ASW clusters", "ARI", "NMI")})

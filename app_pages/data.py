"""Data page: choose sample data or upload, check the summary and QC, preprocess, add a reference network."""

import pandas as pd
import plotly.express as px
import streamlit as st

from core.data.preprocess import PRESET_TITLES, PRESETS, apply_preset
from core.data.sample import SAMPLES, SAMPLE_DIR, sample_path
from core.data.store import list_prepared, save_prepared
from core.data.summary import counts_layer, qc_metrics, summarize
from core.errors import InputError, ScgrnError
from core.io.expression import read_expression
from core.io.layout import LAYOUTS
from core.io.networks import network_overlap, read_network, read_tf_list, tf_overlap
from core.io.data_folder import data_folder, how_to_configure, list_data_files, resolve_in_folder
from core.io.uploads import store_uploads
from core.embedding.views import tidy_log_axes
from core.jobs.workspace import MAX_UPLOAD_MB, quota_bytes, usage_bytes
from core.memory import human_bytes
from ui.common import current_or_default_dataset, guided_start, set_current_dataset, user_errors

st.title("Data")


@st.cache_resource(max_entries=4, show_spinner="Reading the data…")
def _read(path: str, layout: str, mtime: float, name: str | None = None):
    return read_expression(path, layout=layout, name=name)


def _mtime(path) -> float:
    from pathlib import Path

    return Path(path).stat().st_mtime


current = current_or_default_dataset()
guided_start()
if current is not None:
    m = current.meta
    pre = m.get("preprocessing") or "none"
    st.success(f"Current dataset: **{m.get('name')}** — {m.get('n_cells'):,} cells × {m.get('n_genes'):,} genes "
               f"({PRESET_TITLES.get(pre, pre)}"
               + (f"; values were {m['value_kind']}" if pre == "none" and m.get("value_kind") else "")
               + "). Go to **Train** to fit a model, or prepare another dataset below.")

source = st.radio("Source", ["Sample data", "Upload", "Server folder", "Earlier dataset"], horizontal=True,
                  help="Big files: put them in the server data folder and read them from there (no upload).")
path = upload_name = None
ref_file = tfs_file = None
sample = None

if source == "Sample data":
    name = st.selectbox("Sample dataset", list(SAMPLES), format_func=lambda k: SAMPLES[k].title)
    sample = SAMPLES[name]
    st.caption(sample.description)
    with user_errors():
        path = sample_path(name)
        if sample.reference:
            ref_file = SAMPLE_DIR / sample.reference
        if sample.tfs:
            tfs_file = SAMPLE_DIR / sample.tfs
elif source == "Upload":
    ups = st.file_uploader(
        "Expression data: .h5ad, .csv/.tsv/.txt (optionally .gz), a 10x .h5 file, or the three files of a 10x folder",
        accept_multiple_files=True,
        help=f"At most {MAX_UPLOAD_MB} MB per upload; the workspace holds at most {quota_bytes() / 1024**3:.0f} GB "
             "(SCGRN_QUOTA_GB). Each upload is stored once; unused uploads are removed after a day.",
    )
    st.caption(f"Limit: {MAX_UPLOAD_MB} MB per upload · workspace {usage_bytes() / 1024**3:.2f} of "
               f"{quota_bytes() / 1024**3:.0f} GB used. Uploads suit small files; read bigger ones from the "
               "**Server folder** (no copy through the browser).")
    if not ups:  # removing the files forgets them (and any error they gave)
        for k in ("upload_path", "upload_key", "upload_name", "upload_error"):
            st.session_state.pop(k, None)
    else:
        key = tuple((u.name, u.size) for u in ups)
        if st.session_state.get("upload_key") != key:
            # a new file replaces the previous one at once: its summary, button and old errors go
            for k in ("upload_path", "upload_name", "upload_error"):
                st.session_state.pop(k, None)
            st.session_state["upload_key"] = key
            try:
                st.session_state["upload_path"] = str(store_uploads((u.name, u.getvalue()) for u in ups))
                st.session_state["upload_name"] = ups[0].name if len(ups) == 1 else "10x upload"
            except ScgrnError as exc:
                st.session_state["upload_error"] = str(exc)
        if st.session_state.get("upload_error"):
            st.error(f"Upload: {st.session_state['upload_error']}")
            st.stop()
        path = st.session_state.get("upload_path")
        upload_name = st.session_state.get("upload_name")
elif source == "Server folder":
    folder = None
    with user_errors():
        folder = data_folder()
        if folder is None:
            st.info(how_to_configure())
    if folder is None:
        st.stop()
    files, cut = list_data_files(folder)
    st.caption(f"Read-only folder `{folder}` · {len(files)} expression file(s)" + (" (list cut)" if cut else "")
               + ". Files are read in place; nothing is copied or changed there.")
    if not files:
        st.info("No expression files (.h5ad, .csv/.tsv/.txt(.gz), 10x .h5, 10x folders) in the data folder.")
        st.stop()
    st.dataframe(pd.DataFrame({"file": [f.rel for f in files], "kind": [f.kind for f in files],
                               "size": [human_bytes(f.size) for f in files]}), hide_index=True, width="stretch",
                 height=min(400, 40 + 35 * len(files)))
    rel = st.selectbox("File to read", [f.rel for f in files],
                       format_func=lambda r: f"{r} ({human_bytes(next(f.size for f in files if f.rel == r))})")
    with user_errors():
        path = resolve_in_folder(rel, folder)
        upload_name = rel.rsplit("/", 1)[-1]
    if path is None:
        st.stop()
else:
    prepared = list_prepared()
    if not prepared:
        st.info("No datasets prepared yet.")
    else:
        ds = st.selectbox("Prepared dataset", prepared, format_func=lambda d: f"{d.meta.get('name')} · {d.id}")
        if st.button("Use this dataset", type="primary"):
            set_current_dataset(ds)
            st.rerun()
    st.stop()

if path is None:
    st.info("Pick a sample dataset or upload a file to begin.")
    st.stop()

layout = st.segmented_control("Table orientation", LAYOUTS, default="auto",
                              help="Only tables (CSV/TSV) are ambiguous. 'auto' applies the rule shown below.") or "auto"
adata = None
with user_errors():
    adata = _read(str(path), layout, _mtime(path), upload_name)
if adata is None:  # an unreadable file: nothing of a previous file stays on screen
    st.stop()

s = summarize(adata)
c = st.columns([1, 1, 1.6, 1, 1])  # "log-normalised" needs the wider card
c[0].metric("Cells", f"{s.n_cells:,}")
c[1].metric("Genes", f"{s.n_genes:,}")
c[2].metric("Values look like", s.value_kind)
c[3].metric("Zeros", f"{s.sparsity:.1%}")
c[4].metric("Max value", f"{s.max_value:.4g}", help=f"Values range from {s.min_value:.4g} to {s.max_value:.4g}.")
st.caption(f"Orientation: **{s.layout}** — {s.layout_rule}. If that is wrong, flip it above.")
for w in s.warnings:
    st.warning(w, icon=":material/warning:")

with st.expander("Quality control", expanded=False):
    cells, genes = qc_metrics(adata)
    q = st.columns(2)
    q[0].plotly_chart(px.histogram(cells, x="total", nbins=50, title="Total per cell"), width="stretch")
    q[1].plotly_chart(px.histogram(cells, x="genes_detected", nbins=50, title="Genes detected per cell"), width="stretch")
    q = st.columns(2)
    q[0].plotly_chart(tidy_log_axes(px.histogram(genes, x="mean", nbins=50, log_y=True, title="Mean per gene")),
                      width="stretch")
    q[1].plotly_chart(px.histogram(genes, x="detected_fraction", nbins=50, title="Fraction of cells detecting each gene"),
                      width="stretch")
    st.dataframe(adata.obs.head(50), width="stretch")

st.subheader("Preprocessing")
default_preset = "log1p" if s.value_kind == "counts" else "none"
preset = st.selectbox("Preset", list(PRESETS), index=list(PRESETS).index(default_preset), format_func=lambda k: f"{k} — {PRESETS[k]}")
n_hvg = st.number_input("Highly variable genes to keep", 100, 20000, 2000, step=100) if preset == "log1p_hvg" else 2000
if counts_layer(adata) is not None:
    st.caption("Raw counts are kept in `layers['counts']` for the count likelihoods (NB, ZINB, Poisson) and CaTran.")
else:
    st.caption(f"These values are {s.value_kind}, not raw counts: the count likelihoods (NB, ZINB, Poisson) do not "
               "apply; use the Gaussian or Continuous Bernoulli likelihood for a VAE.")

st.subheader("Labels, reference network and TFs")
cols = st.columns(2)
labels = cols[0].selectbox("Cell labels (for ASW/ARI)", ["(none)"] + s.label_columns,
                           index=(s.label_columns.index(sample.labels) + 1) if sample and sample.labels in s.label_columns else 0)
pert = cols[1].selectbox("Perturbation column (CaTran interventional loss)", ["(none)"] + [c for c in adata.obs.columns],
                         index=0, help="An obs column naming the perturbed gene; 'control'/'non-targeting' otherwise.")
cols = st.columns(2)
ref_up = cols[0].file_uploader("Reference network (BEELINE Gene1,Gene2 / SCENIC TF,target,importance / DeepSEM TSV)",
                               type=["csv", "tsv", "txt", "gz"])
tf_up = cols[1].file_uploader("TF list (one per line, or a CSV with a TF column)", type=["csv", "tsv", "txt"])
reference = tfs = None
with user_errors("Reference network: "):
    if ref_up is not None:
        ref_file = store_uploads([(ref_up.name, ref_up.getvalue())])
    if ref_file is not None:
        reference = read_network(ref_file)
        for w in reference.attrs.get("warnings", []):
            cols[0].warning(w)
        ov = network_overlap(reference, adata.var_names)
        cols[0].caption(f"{ov['n_edges']} edges; {ov['n_genes_in_data']}/{ov['n_genes']} of its genes are in the data, "
                        f"{ov['n_edges_in_data']} edges usable.")
with user_errors("TF list: "):
    if tf_up is not None:
        tfs_file = store_uploads([(tf_up.name, tf_up.getvalue())])
    if tfs_file is not None:
        tf_warnings: list[str] = []
        tfs = read_tf_list(tfs_file, tf_warnings)
        for w in tf_warnings:
            cols[1].warning(w)
        n_in = tf_overlap(tfs, adata.var_names)
        cols[1].caption(f"{len(tfs)} TFs, {n_in} of them in the data.")

default_name = sample.name if sample else str(adata.uns.get("scgrn_input", {}).get("name", "upload"))
for suffix in (".gz", ".h5ad", ".csv", ".tsv", ".txt", ".h5"):
    default_name = default_name.removesuffix(suffix)
ds_name = st.text_input("Dataset name", value=default_name, max_chars=60, key=f"ds_name_{path}",
                        help="How this dataset is listed on every page.")
if st.button("Use this dataset", type="primary"):
    with user_errors(), st.spinner("Preparing…"):
        prepared = apply_preset(adata, preset, int(n_hvg))
        meta = {"source": str(path), "layout": s.layout, "layout_rule": s.layout_rule, "preprocessing": preset,
                "labels_key": None if labels == "(none)" else labels,
                "perturbation_key": None if pert == "(none)" else pert, "value_kind": s.value_kind}
        ds = save_prepared(prepared, ds_name.strip() or default_name, reference=reference, tfs=tfs, meta=meta)
        set_current_dataset(ds)
        st.rerun()

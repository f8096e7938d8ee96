"""Shared page helpers: user-error display, current dataset/run in the URL, run pickers, param forms."""

from __future__ import annotations

import contextlib
import time
from typing import Any, Iterator

import streamlit as st

from core.errors import ScgrnError
from core.jobs.rundir import Run, get_run, list_runs, short_run_id
from core.data.store import PreparedDataset, list_prepared

STATE_ICONS = {"queued": ":material/hourglass_empty:", "running": ":material/play_circle:",
               "finished": ":material/check_circle:", "failed": ":material/error:", "cancelled": ":material/cancel:"}
STATE_COLORS = {"queued": "gray", "running": "blue", "finished": "green", "failed": "red", "cancelled": "orange"}


@contextlib.contextmanager
def user_errors(prefix: str = "") -> Iterator[None]:
    """Show ScgrnError messages as st.error (never a traceback); other errors as a short generic message."""
    try:
        yield
    except ScgrnError as exc:
        st.error(f"{prefix}{exc}")
    except (FileNotFoundError, PermissionError) as exc:
        st.error(f"{prefix}{exc}")


def current_dataset() -> PreparedDataset | None:
    """The dataset chosen on the Data page (kept in the URL as ?dataset=ID so a reload keeps it)."""
    ds_id = st.session_state.get("dataset_id") or st.query_params.get("dataset")
    if not ds_id:
        return None
    for d in list_prepared():
        if d.id == ds_id:
            return d
    return None


def current_or_default_dataset() -> PreparedDataset:
    """The current dataset; on a first visit the newest prepared one, or the synthetic sample prepared now."""
    ds = current_dataset()
    if ds is None:
        prepared = list_prepared()
        if prepared:
            ds = prepared[0]
        else:
            from core.data.sample import prepare_sample

            with st.spinner("First visit: preparing the synthetic sample dataset so that you can start at once…"):
                ds = prepare_sample("synthetic")
        set_current_dataset(ds)
    return ds


def set_current_dataset(ds: PreparedDataset) -> None:
    st.session_state["dataset_id"] = ds.id
    st.query_params["dataset"] = ds.id


def run_title(run: Run) -> str:
    """Model · dataset · creation time · short id (no state: for widgets that outlive a state change)."""
    p = run.params
    when = time.strftime("%m-%d %H:%M", time.localtime(p.get("created", 0)))
    dataset = p.get("dataset_name") or "unnamed dataset"
    return f"{p.get('label') or p.get('method')} · {dataset} · {when} · {short_run_id(run.id)}"


def run_label(run: Run) -> str:
    return f"[{run.status.get('state')}] {run_title(run)}"


# metric key -> card label, in display order; a finished run shows those of its metrics that are present
HEADLINE_METRICS = {
    "epr": "EPR", "auprc_ratio": "AUPRC ratio", "n_edges": "Edges",
    "asw_labels": "ASW (labels)", "ari": "ARI", "nmi": "NMI", "active_units": "Active units",
    "classifier_auc": "Classifier AUC", "mean_corr": "Mean r", "energy_distance": "Energy distance",
    "seconds": "Seconds",
}


def headline_metrics(metrics: dict) -> list[tuple[str, str]]:
    """(label, formatted value) for the headline metrics present in a run's metrics (at most 6)."""
    cards = []
    for key, label in HEADLINE_METRICS.items():
        v = metrics.get(key)
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, float):
            cards.append((label, f"{v:.3g}" if key != "seconds" else f"{v:.1f}"))
        elif isinstance(v, int):
            cards.append((label, f"{v:,}"))
    return cards[:6]


def pick_run(task: str | None = None, *, finished_only: bool = True, key: str = "run") -> Run | None:
    """A run selector synced with ?run=ID (so reloading the page reattaches to the same run)."""
    runs = [r for r in list_runs() if (task is None or r.params.get("task") == task)]
    if finished_only:
        runs = [r for r in runs if r.state == "finished"]
    if not runs:
        return None
    ids = [r.id for r in runs]
    wanted = st.query_params.get("run")
    index = ids.index(wanted) if wanted in ids else 0
    chosen = st.selectbox("Run", runs, index=index, format_func=run_label, key=f"pick_{key}")
    if chosen is not None and st.query_params.get("run") != chosen.id:
        st.query_params["run"] = chosen.id
    return chosen


def url_run() -> Run | None:
    rid = st.query_params.get("run")
    if not rid:
        return None
    try:
        return get_run(rid)
    except ScgrnError:
        return None


def param_form(spec, preset: str | None, key: str) -> dict[str, Any]:
    """Widgets for a MethodSpec's parameters (defaults from the chosen preset); returns the values."""
    return param_widgets(spec.params, spec.resolve_params({}, preset), f"{key}_{spec.name}_{preset}")


def param_widgets(params, base: dict[str, Any], key: str, choices: dict[str, list[str]] | None = None
                  ) -> dict[str, Any]:
    """One widget per Param (three columns), starting from ``base``; an unset (None) number stays empty and
    means the rule in its help. ``choices``: known values of text parameters (a list to pick from; the first
    entry, "(all)", leaves the parameter unset)."""
    values: dict[str, Any] = {}
    cols = st.columns(3)
    for i, p in enumerate(params):
        col = cols[i % 3]
        wkey = f"{key}_{p.name}"
        default = base.get(p.name, p.default)
        label = p.title + (" (unset: see help)" if p.nullable and default is None else "")
        lo = p.min if p.min is not None else None
        hi = p.max if p.max is not None else None
        with col:
            if p.kind == "bool":
                values[p.name] = st.checkbox(label, value=bool(default), help=p.help, key=wkey)
            elif p.kind == "choice":
                opts = list(p.choices or [])
                values[p.name] = st.selectbox(label, opts, index=opts.index(default) if default in opts else 0,
                                              help=p.help, key=wkey, format_func=lambda c, n=p.name: choice_words(n, c))
            elif p.kind == "int":
                v = st.number_input(label, value=None if default is None else int(default), step=1, help=p.help,
                                    key=wkey, min_value=None if lo is None else int(lo),
                                    max_value=None if hi is None else int(hi))
                values[p.name] = None if v is None else int(v)
            elif p.kind == "float":
                v = st.number_input(label, value=None if default is None else float(default), help=p.help, key=wkey,
                                    format="%.6g", min_value=None if lo is None else float(lo),
                                    max_value=None if hi is None else float(hi))
                values[p.name] = None if v is None else float(v)
            elif choices and choices.get(p.name):
                opts = [None, *choices[p.name]]
                values[p.name] = st.selectbox(p.title, opts, index=opts.index(default) if default in opts else 0,
                                              help=p.help, key=wkey, format_func=lambda c: "(all)" if c is None else c)
            else:
                text = st.text_input(label, value="" if default is None else str(default), help=p.help, key=wkey)
                values[p.name] = None if (p.nullable and default is None and not text) else text
    return values


def human_duration(seconds: float | None) -> str:
    """A time left in words ("about 41 minutes", the Train page's wording); a dash when unknown."""
    from core.jobs.estimate import duration_words

    return "—" if seconds is None else duration_words(seconds)


def _rounded(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_rounded(x) for x in v[:12]) + (" …" if len(v) > 12 else "")
    return str(v)


# metric key -> words for the "All metrics" table (beyond the headline cards); internal keys are left out
METRIC_WORDS = {
    "asw_clusters": "ASW (Leiden clusters)", "n_leiden_clusters": "Leiden clusters", "latent_dim": "latent dimensions",
    "latent_activity": "latent activity A_z per dimension", "seconds_total": "seconds incl. UMAP and scores",
    "n_cells": "cells", "labels_key": "label column", "likelihood": "likelihood", "n_model_clusters": "model clusters",
    "model_ari": "ARI (model clusters)", "model_nmi": "NMI (model clusters)", "model_asw_clusters": "ASW (model clusters)",
    "n_true_edges": "true edges", "n_candidates": "candidate pairs", "density": "edge density (random precision)",
    "convention": "scoring convention", "var_corr": "variance r", "zero_frac_corr": "zero-fraction r",
    "energy_coefficient": "energy coefficient", "nn_distance_ratio": "nearest-real ratio",
    "copy_fraction": "near-copy fraction", "cluster_tvd": "cluster mix distance (TVD)",
    "grn_overlap_10": "GRN overlap at top 10%",
    "grn_genes": "genes in (TFs + variable genes)", "grn_cells": "cells in (subsample)",
    "wasserstein": "Wasserstein estimate (critic: real minus generated)",
    "diversity": "diversity of generated cells (1 = as varied as the real cells)",
    "kl_weight": "KL weight (annealing)",
}
INTERNAL_METRICS = {"method", "latent_key", "cluster_key", "params", "seed"}


def reading_title(key: str) -> str:
    """A per-epoch term or metric in words (chart titles on the Runs page)."""
    return METRIC_WORDS.get(key) or key.replace("_", " ")


def metrics_table(metrics: dict):
    """All metrics of a run as a two-column table of words and rounded numbers (nested dicts and internal keys
    left out)."""
    import pandas as pd

    rows = [{"metric": HEADLINE_METRICS.get(k) or METRIC_WORDS.get(k) or k.replace("_", " "),
             "value": choice_words(k, v)}
            for k, v in metrics.items() if not isinstance(v, dict) and v is not None and k not in INTERNAL_METRICS]
    return pd.DataFrame(rows, columns=["metric", "value"])


def params_table(run: Run):
    """A run's hyperparameters in words: the spec's label for each name, choice codes with their meaning."""
    import pandas as pd

    from core.registry import get_method

    p = run.params
    try:
        spec = get_method(p.get("method"), p.get("origin"))
        by_name = {q.name: q for q in spec.params}
    except Exception:  # a run of a method no longer registered: plain names
        by_name = {}
    rows = []
    for k, v in (p.get("params") or {}).items():
        q = by_name.get(k)
        rows.append({"hyperparameter": q.title if q else k.replace("_", " "),
                     "value": "unset (rule in its help)" if v is None else choice_words(k, v),
                     "meaning": (q.help if q else "")})
    return pd.DataFrame(rows, columns=["hyperparameter", "value", "meaning"])


def choice_words(name: str, value: Any) -> str:
    """A choice code in words where the app knows one (likelihood codes -> their full names)."""
    if name == "likelihood":
        from core.distributions import LIKELIHOODS

        lk = LIKELIHOODS.get(str(value))
        if lk is not None:
            return f"{lk.label} ({value})"
    return _rounded(value)


def guided_start() -> None:
    """A short guided start on the first visit (until the first run exists or it is dismissed)."""
    if st.session_state.get("hide_guide") or list_runs():
        return
    with st.container(border=True):
        st.markdown(
            "#### Welcome to scGRN Studio\n"
            "Learn **gene regulatory networks** (DeepSEM, GRNBoost2, correlation) and **cell embeddings** "
            "(VAE, GMVAE) from single-cell expression, then explore them and check simulated cells against real ones.\n\n"
            "1. **Data** (this page): a synthetic sample with a known ground-truth network is already loaded; "
            "upload your own below when you are ready.\n"
            "2. **Train**: pick *Gene regulatory network → DeepSEM* (the CPU-friendly setting is suggested) and "
            "press **Launch**; the **Runs** page shows its progress and time left.\n"
            "3. **Explore**: the **GRN** page draws the network and scores it against the known one; train a "
            "*VAE* for the **Embedding** (UMAP, clusters) and **Simulation** pages.")
        c = st.columns([1, 1, 4])
        c[0].page_link("app_pages/train.py", label="Start training", icon=":material/model_training:")
        if c[1].button("Hide this guide", key="hide_guide_btn"):
            st.session_state["hide_guide"] = True
            st.rerun()

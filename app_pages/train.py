"""Train page: choose a model and its hyperparameters (with presets) and launch it in the background."""

import streamlit as st

from core.data.grn_inputs import CELL_CHOICES, DEFAULT_MAX_CELLS, DEFAULT_TOP_GENES, GENE_CHOICES, plan_grn_inputs
from core.data.store import load_prepared
from core.device import device_label, resolve_device
from core.jobs.cluster_probe import cluster_choice, settings_stamp
from core.jobs.estimate import LONG_S, estimate, fits, run_shape, suggest_lighter
from core.jobs.launch import grn_input_settings, launch
from core.jobs.machine_defaults import machine_defaults
from core.memory import human_bytes
from core.errors import InputError
from core.jobs.sweep import expand_grid, launch_sweep, split_values, sweepable
from core.registry import methods
from ui.common import current_or_default_dataset, param_widgets, user_errors


@st.cache_data(max_entries=8, show_spinner="Choosing variable genes…")
def input_plan(h5ad: str, tfs: tuple, n_top: int, max_cells: int, seed: int, labels_key: str | None) -> dict:
    """What a network run on this dataset will get (genes, cells), as plain values."""
    rec = plan_grn_inputs(load_prepared(h5ad), list(tfs), n_top_genes=n_top, max_cells=max_cells, seed=seed,
                          labels_key=labels_key)
    return {"words": rec.words(), "n_genes": rec.n_genes, "n_cells": rec.n_cells}


st.title("Train")
ds = current_or_default_dataset()
meta = ds.meta
st.caption(f"Dataset: **{meta.get('name')}** — {meta.get('n_cells')} cells × {meta.get('n_genes')} genes, "
           f"preprocessing: {meta.get('preprocessing')}. Change it on the Data page.")

TASKS = {"grn": "Gene regulatory network", "embed": "Cell embedding / clusters",
         "generate": "Simulator (generative model)"}
available = {t: methods(task=t) for t in TASKS if methods(task=t)}
task = st.radio("What to learn", list(available), format_func=TASKS.get, horizontal=True)
specs = available[task]
name = st.selectbox("Model", list(specs), format_func=lambda k: specs[k].label)
spec = specs[name]
if spec.description:
    st.caption(spec.description)

preset = None
if spec.presets:
    preset = st.selectbox("Preset", list(spec.presets), help="Presets fill the hyperparameters below; every value stays editable.")
    for name_, note in spec.preset_notes.items():
        st.caption(f"**{name_}**: {note}")
base = spec.resolve_params({}, preset)
fitted, budget_s, why = {}, 0.0, ""
if task == "grn":  # defaults that fit this machine (fewer members and a time budget on a CPU)
    with user_errors():
        shape = run_shape(meta, task, grn_input_settings(None), len(ds.tfs or []))
        fitted, budget_s, why = machine_defaults(spec, *shape, base, "auto")
with st.expander("Hyperparameters", expanded=True):
    if why:
        st.info(why, icon=":material/speed:")
    values = param_widgets(spec.params, {**base, **fitted}, f"train_{spec.name}_{preset}")

c = st.columns(4)
seed = int(c[0].number_input("Seed", 0, 2**31 - 1, 0))
device = c[1].selectbox("Device", ["auto", "cpu", "cuda", "mps"])
with user_errors():
    c[1].caption(f"auto → {device_label(resolve_device('auto'))}")
use_tfs = use_ref = False
if task == "grn":  # TFs and the reference network apply to networks only; no greyed-out boxes
    if ds.tfs and spec.uses_tfs:
        use_tfs = c[2].checkbox("Restrict sources to TFs", value=True, help="Only the dataset's TFs regulate.")
    elif spec.uses_tfs:
        c[2].caption("No TF list: every gene may regulate (add one on the Data page).")
    if ds.reference is not None:
        use_ref = c[3].checkbox("Score against reference", value=True, help="EPR and AUPRC ratio on the GRN page.")
    else:
        c[3].caption("No reference network: add one on the Data page to score the result.")

grn_inputs = None
if task == "grn":
    st.subheader("Inputs")
    c = st.columns(2)
    n_top = c[0].selectbox("Genes", GENE_CHOICES, index=GENE_CHOICES.index(DEFAULT_TOP_GENES),
                           format_func=lambda n: f"TFs + top {n:,} variable genes" if n else "all genes",
                           help="BEELINE's recipe: the TFs plus the most variable genes (scanpy highly_variable_genes).")
    max_cells = c[1].selectbox("Cells", CELL_CHOICES, index=CELL_CHOICES.index(DEFAULT_MAX_CELLS),
                               format_func=lambda n: f"at most {n:,} (subsample)" if n else "all cells",
                               help="More cells than this: a subsample, stratified by cluster when the data have a "
                                    "cluster/label column.")
    grn_inputs = {"n_top_genes": n_top, "max_cells": max_cells}
    plan = None
    with user_errors():
        plan = input_plan(str(ds.h5ad), tuple(ds.tfs or []) if use_tfs else (), n_top, max_cells, seed,
                          meta.get("labels_key"))
    if plan is not None:
        st.info(f"Going in: {plan['words']}.", icon=":material/filter_alt:")

# ---- estimate before launch ------------------------------------------------------------------------
est, too_big = None, False
with user_errors():
    if task == "grn" and plan is not None:
        n_cells, n_genes = plan["n_cells"], plan["n_genes"]
    else:
        n_cells, n_genes = run_shape(meta, task, None)
    resolved = spec.resolve_params(values)
    est = estimate(spec, n_cells, n_genes, resolved, device)
if est is not None:
    c = st.columns([4, 1])
    c[0].info(f"Estimate: {est.words()}.", icon=":material/timer:")
    if c[1].button("Re-measure speed", help="Time the calibration matmul again (the machine may be busier or "
                   "quieter than when it was measured)."):
        from core.device import resolve_device as _rd
        from core.jobs.speed import measure

        measure(_rd(device))
        st.rerun()
    if not fits(est):
        too_big = True
        st.error(f"This run will not fit in memory here: it needs about {human_bytes(est.bytes)}"
                 + (f" and {human_bytes(est.device_bytes)} on the GPU" if est.device_bytes else "")
                 + ". Keep fewer genes or cells, or a smaller ensemble / batch.")
    elif est.seconds > LONG_S:
        lighter = suggest_lighter(spec, n_cells, n_genes, resolved, device)
        st.warning("A long run." + (f" Lighter: {lighter[1]}." if lighter else "")
                   + " Fewer genes or cells (Inputs) shorten it too.", icon=":material/hourglass_top:")
budget_min = st.number_input("Time budget (minutes, 0 = none)", 0, 100000, int(round(budget_s / 60)),
                             help="Training stops at the end of the epoch after this long, and the result is read "
                                  "out of what was learned.", key=f"budget_{name}") if spec.neural else 0

# ---- sweep: a grid of values, one run per point ----------------------------------------------------
sweep: dict = {}
n_runs = 1
with st.expander("Sweep: try several values at once (quick parameter tuning)"):
    options = sweepable(spec)
    chosen = st.multiselect("Parameters to vary (up to 3)", list(options), max_selections=3, key=f"sweep_{name}",
                            format_func=lambda n: options[n].title,
                            help="Each combination of the values below becomes one run; the runs are grouped as "
                                 "one sweep on the Runs page, and the GRN / Embedding comparison tables show the grid.")
    if chosen:
        cols = st.columns(len(chosen))
        for col, n in zip(cols, chosen):
            p = options[n]
            start = ", ".join(map(str, p.choices)) if p.choices else str(seed if n == "seed" else values.get(n) or "")
            sweep[n] = col.text_input(f"{p.title} values", value=start, key=f"sweep_{name}_{n}",
                                      help=f"Comma-separated ({p.kind}). {p.help}")
        try:
            n_runs = len(expand_grid(values, sweep, spec))
        except InputError as exc:
            n_runs = 0
            st.error(str(exc))
        else:
            st.info(f"**{n_runs} run{'s' if n_runs != 1 else ''}** will be launched: "
                    + " × ".join(f"{options[k].title} ({len(split_values(v))})" for k, v in sweep.items())
                    + ". Swept values replace the form's value of that parameter.", icon=":material/grid_on:")

# ---- where to run ----------------------------------------------------------------------------------
@st.cache_data(ttl=30, show_spinner="Asking the cluster…")
def _cluster(settings: str) -> tuple[bool, str, str]:
    """(usable, why not / partitions, expected start) from the saved settings, sinfo and sbatch --test-only
    (asked again after 30 s, or at once when the settings file changes)."""
    return cluster_choice()


usable, cluster_words, start_words = _cluster(settings_stamp())
where = "local"
if usable:
    where = st.radio("Where to run", ["local", "slurm"], horizontal=True,
                     format_func={"local": "This machine", "slurm": "The cluster (SLURM)"}.get,
                     help="The cluster uses the settings on the Settings page; a sweep goes as one job array.")
    if where == "slurm":
        st.caption(f"{cluster_words} {start_words}")
else:
    st.caption(f"Where to run: this machine. {cluster_words}")

if spec.unavailable:
    st.warning(spec.unavailable)
label = f"Launch {n_runs} runs" if sweep else "Launch"
if st.button(label, type="primary", disabled=bool(spec.unavailable) or too_big or (bool(sweep) and not n_runs)):
    with user_errors():
        executor = None  # this machine: the local FIFO queue
        if where != "local":
            from core.jobs.executor import get_executor

            executor = get_executor(where)
        common = dict(preset=preset, seed=seed, device=device, use_tfs=use_tfs, use_reference=use_ref, task=task,
                      executor=executor, grn_inputs=grn_inputs, time_budget_s=60.0 * budget_min)
        if sweep:
            run = launch_sweep(ds, name, values, sweep, **common)[0]
        else:
            run = launch(ds, name, values, **common)
        st.session_state["launched"] = run.id
        st.query_params["run"] = run.id
        st.switch_page("app_pages/runs.py", query_params={"run": run.id})

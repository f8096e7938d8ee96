"""Runs page: every run from disk, live progress (loss curve, ETA), logs, cancel. Reattaches via ?run=ID."""

import time

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.jobs.executor import executor_for
from core.jobs.slurm import describe as slurm_words
from core.jobs.rundir import ACTIVE, epoch_readings, list_runs, loss_terms
from core.jobs.cluster_probe import queued_start
from core.jobs.sweep import sweep_groups
from ui.sweeps import SCORE_LABELS, sweep_table, sweep_title
from ui.common import (STATE_COLORS, STATE_ICONS, headline_metrics, human_duration, metrics_table, params_table,
                       reading_title, run_title)

st.title("Runs")
runs = list_runs()
if not runs:
    st.info("No runs yet: launch one on the Train page.")
    st.stop()



@st.fragment(run_every=2.0)
def table() -> None:
    rows = []
    for r in list_runs():
        prog = r.progress()
        rows.append({"state": r.state, "model": r.params.get("label"), "dataset": r.params.get("dataset_name") or "—",
                     "epoch": f"{prog[-1]['epoch']}/{prog[-1]['n_epochs']}" if prog else "",
                     "device": r.status.get("device"),
                     "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(r.params.get("created", 0))),
                     "sweep": r.params.get("sweep_id") or "", "id": r.id})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"device": st.column_config.TextColumn("device", width="medium"),
                                "model": st.column_config.TextColumn("model", width="large")})


table()


@st.fragment(run_every=2.0)
def sweeps() -> None:
    groups = sweep_groups(list_runs())
    if not groups:
        return
    st.subheader("Sweeps")
    for i, members in enumerate(groups.values()):
        with st.expander(sweep_title(members), expanded=i == 0):
            st.dataframe(sweep_table(members), hide_index=True, width="stretch",
                         column_config={"id": st.column_config.TextColumn("id", width="medium"),
                                        **{k: st.column_config.NumberColumn(format="%.3f") for k in SCORE_LABELS},
                                        "Seconds": st.column_config.NumberColumn(format="%.1f")})
            done = [r for r in members if r.state == "finished"]
            target = {"grn": ("app_pages/grn.py", "the GRN page's Compare runs tab"),
                      "embed": ("app_pages/embedding.py", "the Embedding page")}.get(members[0].params.get("task"))
            if done and target:
                st.page_link(target[0], label=f"Compare the finished runs side by side on {target[1]}",
                             icon=":material/compare:", query_params={"run": done[0].id})


sweeps()

ids = [r.id for r in runs]
wanted = st.query_params.get("run")
run = st.selectbox("Run", runs, index=ids.index(wanted) if wanted in ids else 0, format_func=run_title)
if st.query_params.get("run") != run.id:
    st.query_params["run"] = run.id


@st.cache_data(ttl=15, show_spinner=False)
def _slurm_start(job_id: str) -> str | None:
    return queued_start(job_id)


@st.fragment(run_every=1.0)
def live(run) -> None:
    st_ = run.status
    state = st_.get("state")
    prog = run.progress()
    c = st.columns(4)
    c[0].markdown(f"State\n\n:{STATE_COLORS.get(state, 'gray')}-badge[{STATE_ICONS.get(state, '')} {state}]")
    c[1].markdown(f"Device\n\n**{st_.get('device') or '—'}**")
    if prog:
        last = prog[-1]
        c[2].metric("Step" if run.params.get("task") == "simulate" else "Epoch", f"{last['epoch']} / {last['n_epochs']}")
        eta = run.eta_seconds()
        stage = run.stage if state == "running" else None
        done = last["epoch"] >= last["n_epochs"]
        c[3].metric("Time left", "finishing" if state == "running" and done
                    else human_duration(eta) if eta is not None and state == "running" else "—")
        st.progress(min(1.0, last["epoch"] / max(last["n_epochs"], 1)),
                    text=f"{stage}…" if stage and done else None)
        if stage and done:
            st.info(f":material/pending: Training is done; now: **{stage}**. This step has no epochs, so there is "
                    "no time estimate; it usually takes seconds to a minute.")
    on_cluster = slurm_words(st_)
    if on_cluster:
        st.caption(on_cluster)
        if state == "queued" and st_.get("slurm_job_id"):
            start = _slurm_start(str(st_.get("slurm_job_id")))
            st.info("Queued on the cluster: " + (f"SLURM expects it to start {start}." if start
                                                 else "SLURM cannot tell yet when it will start."))
    elif state == "queued":
        st.info("Queued: waiting for the device (one job at a time per device, first come first served).")
    if state == "failed":
        st.error(f"Failed: {st_.get('reason')}")
    if state == "cancelled":
        st.warning("Cancelled.")
    if state == "finished":
        m = st_.get("metrics", {}) or {}
        st.success("Finished.")
        cards = headline_metrics(m)
        if cards:
            for col, (label, value) in zip(st.columns(len(cards)), cards):
                col.metric(label, value)
        with st.expander("All metrics"):
            st.dataframe(metrics_table(m), hide_index=True, width="stretch")
        task = run.params.get("task")
        target, param = {"grn": ("app_pages/grn.py", "run"), "embed": ("app_pages/embedding.py", "run"),
                         "simulate": ("app_pages/simulation.py", "sim")}.get(task, (None, None))
        if target:
            st.page_link(target, label="Open the result", icon=":material/open_in_new:", query_params={param: run.id})
    for w in run.warnings():
        st.warning(w, icon=":material/warning:")
    losses = loss_terms(prog)
    for heading, names in (("**Training loss** (one chart per term: the terms live on very different scales)", losses),
                           ("**Other per-epoch readings**", epoch_readings(prog) if losses else [])):
        if not names:
            continue
        st.markdown(heading)
        epochs = [p["epoch"] for p in prog]
        cols = st.columns(min(len(names), 3))
        for i, k in enumerate(names):
            fig = go.Figure(go.Scatter(x=epochs, y=[p.get(k) for p in prog], mode="lines+markers" if len(prog) < 30
                                       else "lines", name=k, showlegend=False))
            fig.update_layout(height=240, margin=dict(l=10, r=10, t=30, b=10), title=reading_title(k),
                              xaxis=dict(title="epoch", tickformat="d", dtick=None if len(prog) > 10 else 1))
            cols[i % len(cols)].plotly_chart(fig, width="stretch", key=f"loss_{run.id}_{k}")
    if state in ACTIVE and st.button("Cancel run", key=f"cancel_{run.id}"):
        executor_for(run).cancel(run)
        st.rerun()
    with st.expander("Log"):
        st.code(run.log_tail() or "(empty)", language=None)
    with st.expander("Parameters"):
        st.dataframe(params_table(run), hide_index=True, width="stretch",
                     column_config={"hyperparameter": st.column_config.TextColumn(width="medium"),
                                    "value": st.column_config.TextColumn(width="medium"),
                                    "meaning": st.column_config.TextColumn(width="large")})
        p = run.params
        st.caption(f"Seed {p.get('seed')}, device requested: {p.get('device')}; the full record is "
                   "params.json in the run folder.")


live(run)

"""Runs page: every run from disk, live progress (loss curve, ETA), logs, cancel. Reattaches via ?run=ID."""

import time

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.jobs.executor import default_executor
from core.jobs.rundir import ACTIVE, list_runs, loss_terms
from ui.common import STATE_COLORS, STATE_ICONS, headline_metrics, run_title

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
        rows.append({"state": r.state, "model": r.params.get("label"), "dataset": r.params.get("dataset_name"),
                     "epoch": f"{prog[-1]['epoch']}/{prog[-1]['n_epochs']}" if prog else "",
                     "device": r.status.get("device"),
                     "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(r.params.get("created", 0))),
                     "id": r.id})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


table()

ids = [r.id for r in runs]
wanted = st.query_params.get("run")
run = st.selectbox("Run", runs, index=ids.index(wanted) if wanted in ids else 0, format_func=run_title)
if st.query_params.get("run") != run.id:
    st.query_params["run"] = run.id


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
        c[2].metric("Epoch", f"{last['epoch']} / {last['n_epochs']}")
        eta = run.eta_seconds()
        c[3].metric("ETA", f"{eta:.0f} s" if eta is not None and state == "running" else "—")
        st.progress(min(1.0, last["epoch"] / max(last["n_epochs"], 1)))
    if state == "queued":
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
            st.json(m)
        task = run.params.get("task")
        target, param = {"grn": ("app_pages/grn.py", "run"), "embed": ("app_pages/embedding.py", "run"),
                         "simulate": ("app_pages/simulation.py", "sim")}.get(task, (None, None))
        if target:
            st.page_link(target, label="Open the result", icon=":material/open_in_new:", query_params={param: run.id})
    losses = loss_terms(prog)
    if losses:
        fig = go.Figure()
        for k in losses:
            fig.add_trace(go.Scatter(x=[p["epoch"] for p in prog], y=[p.get(k) for p in prog], name=k, mode="lines"))
        fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="epoch", title="Training loss")
        st.plotly_chart(fig, width="stretch")
    if state in ACTIVE and st.button("Cancel run", key=f"cancel_{run.id}"):
        default_executor().cancel(run)
        st.rerun()
    with st.expander("Log"):
        st.code(run.log_tail() or "(empty)", language=None)
    with st.expander("Parameters"):
        st.json(run.params)


live(run)

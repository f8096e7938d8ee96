"""Runs through a real SLURM cluster (the one-node test cluster of scripts/slurm_test_cluster.sh, which .ci/run
starts as root): a GRN run that finishes and draws, a cancel from the app (scancel seen by SLURM), a run over
its 1-minute time limit ending "failed: time limit", a 4-run sweep as ONE job array (through `scgrn submit`),
and another process (an app or CLI restarted mid-run) reading a running job's state. Skips, with the reason,
where no SLURM cluster answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.jobs.cluster_probe import cluster_answers

REPO = Path(__file__).resolve().parents[1]
DONE = ("finished", "failed", "cancelled")


def _no_cluster() -> str | None:
    probe = cluster_answers()
    if not probe.ok:
        return probe.message
    conf = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True, timeout=10).stdout
    name = next((ln.split("=", 1)[1].strip() for ln in conf.splitlines() if ln.startswith("ClusterName")), "?")
    if name != "scgrntest" and not os.environ.get("SCGRN_SLURM_TESTS"):
        return (f"the SLURM cluster here ({name}) is not the one-node test cluster; set SCGRN_SLURM_TESTS=1 to "
                "run these tests on it anyway (they submit small jobs and need /tmp shared with its nodes)")
    out = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True, timeout=10).stdout
    if not any(s.strip().rstrip("*") in ("idle", "mixed", "allocated") for s in out.splitlines()):
        return f"the SLURM node is not up (sinfo: {out.strip() or 'no nodes'})"
    return None


_WHY = _no_cluster()
pytestmark = pytest.mark.skipif(
    _WHY is not None, reason=f"no SLURM test cluster ({_WHY}); as root, `bash scripts/slurm_test_cluster.sh` starts one")


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """A workspace shared with the node (same machine), a saved cluster set-up and the synthetic sample."""
    home = tmp_path_factory.mktemp("slurm_ws")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCGRN_HOME", str(home))
        from core.data.sample import prepare_sample
        from core.jobs.cluster_config import ClusterConfig, save_config

        save_config(ClusterConfig(enabled=True, cpus_per_job=1, mem_gb=1.0, time_limit_min=10))
        yield {"home": home, "dataset": prepare_sample("synthetic")}
        from core.jobs.executor import executor_for
        from core.jobs.rundir import ACTIVE, list_runs

        for run in list_runs():  # leave no job of this module on the cluster (scancel by its own job id)
            if run.state in ACTIVE:
                executor_for(run).cancel(run)


@pytest.fixture(scope="module", autouse=True)
def over_time_limit(ws, debug_method):
    """Submitted first (it needs over a minute): a 200-s job under a 1-minute SLURM time limit."""
    from core.jobs.cluster_config import ClusterConfig
    from core.jobs.slurm import SlurmExecutor

    run = _debug_run(ws, epochs=400, seconds_per_epoch=0.5)
    SlurmExecutor(ClusterConfig(enabled=True, cpus_per_job=1, mem_gb=1.0, time_limit_min=1)).submit(run)
    return run


def _debug_run(ws, **params):
    from core.jobs.rundir import create_run
    from tests.families.debug_family import SPEC

    ds = ws["dataset"]
    return create_run("grn", "debug", ds.h5ad, {"fail": "none", **params}, tfs=ds.tfs, extra={"origin": SPEC.origin})


def _wait(run, states=DONE, timeout=120.0) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if run.state in states:
            return run.state
        time.sleep(0.5)
    raise AssertionError(f"run stuck in {run.state}: {run.status} log: {run.log_tail(20)}")


def _cli(*args: str) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, env=env,
                          cwd=str(REPO), timeout=180)
    return done.returncode, done.stdout + done.stderr


def _last_json(out: str):
    return json.loads(out.strip().splitlines()[-1])


def test_grn_run_on_slurm_finishes_and_draws(ws):
    from core.grn.explorer import open_network
    from core.grn.view import layout_for, select_edges, view_html
    from core.jobs.executor import get_executor
    from core.jobs.launch import launch

    run = launch(ws["dataset"], "pearson", {}, executor=get_executor("slurm"))
    st = run.status_raw()
    assert st["executor"] == "slurm" and st["slurm_job_id"].isdigit()
    assert _wait(run) == "finished", run.status
    edges = open_network(run.path).edges  # as the GRN page reads it
    assert len(edges) > 50 and run.metrics().get("epr", 0) > 1  # the sample's true network is recovered
    html = view_html(select_edges(edges, top_k=40), layout_for(edges), tfs=set(ws["dataset"].tfs))
    assert str(edges.source.iloc[0]) in html and str(edges.target.iloc[0]) in html


def test_cancel_from_the_app_scancels_the_job(ws):
    from core.jobs.executor import executor_for, get_executor
    from core.jobs.slurm import query_job

    run = _debug_run(ws, epochs=400, seconds_per_epoch=0.3)
    get_executor("slurm").submit(run)
    job_id = run.status_raw()["slurm_job_id"]
    _wait(run, ("running",), timeout=90)
    executor_for(run).cancel(run)  # what the Runs page's Cancel button and `scgrn cancel` call
    assert run.state == "cancelled" and run.status["reason"] == "Cancelled by the user."
    queue = subprocess.run(["squeue", "-h", "-j", job_id, "-o", "%i %T"], capture_output=True, text=True).stdout
    assert "RUNNING" not in queue and "PENDING" not in queue
    job, why = query_job(job_id, max_age=0)
    assert why is None and job is not None and job.state == "CANCELLED", (job, why)
    n = len(run.progress())
    time.sleep(2)
    assert len(run.progress()) == n and run.state == "cancelled"  # nothing runs on after scancel


def test_sweep_from_the_cli_is_one_job_array(ws):
    code, out = _cli("submit", str(ws["dataset"].path), "--model", "pearson", "--executor", "slurm",
                     "--sweep", "seed=0,1,2,3")
    assert code == 0, out
    res = _last_json(out)
    assert len(res["run_ids"]) == 4 and res["sweep_id"]
    arrays = {j.split("_")[0] for j in res["slurm_job_ids"]}
    assert len(arrays) == 1 and sorted(j.split("_")[1] for j in res["slurm_job_ids"]) == ["0", "1", "2", "3"]
    from core.jobs.rundir import get_run

    runs = [get_run(i) for i in res["run_ids"]]
    assert [r.params["sweep_grid"] for r in runs] == [{"seed": s} for s in range(4)]
    for r in runs:
        assert _wait(r) == "finished", r.status
    code, out = _cli("runs", "--json")
    rows = {row["id"]: row for row in _last_json(out)}
    assert all(rows[i]["executor"] == "slurm" and rows[i]["state"] == "finished" for i in res["run_ids"])
    assert {rows[i]["slurm_job_id"] for i in res["run_ids"]} == set(res["slurm_job_ids"])


def test_a_restarted_process_reattaches_to_a_running_job(ws):
    from core.jobs.executor import get_executor

    run = _debug_run(ws, epochs=40, seconds_per_epoch=0.4)
    get_executor("slurm").submit(run)
    job_id = run.status_raw()["slurm_job_id"]
    _wait(run, ("running",), timeout=90)
    code, out = _cli("runs", "--json")  # a fresh process: nothing but the workspace and SLURM
    row = {r["id"]: r for r in _last_json(out)}[run.id]
    assert code == 0 and (row["state"], row["executor"], row["slurm_job_id"]) == ("running", "slurm", job_id)
    assert row["slurm_state"] == "RUNNING"
    assert _wait(run) == "finished"


def test_run_over_its_time_limit_ends_failed_time_limit(over_time_limit):
    run = over_time_limit
    assert _wait(run, timeout=170) == "failed", run.status
    reason = run.status["reason"]
    assert reason.startswith("time limit") and "1 min" in reason, reason
    assert run.status["slurm_state"] == "TIMEOUT"  # SLURM itself ended it at the limit
    assert run.status["ended"] - run.status["started"] > 30
    n = len(run.progress())
    assert 0 < n < 400  # it ran, and was stopped well before its 400 epochs


def test_a_job_slurm_refuses_fails_in_words(ws):
    from core.errors import InputError
    from core.jobs.cluster_config import ClusterConfig
    from core.jobs.launch import launch
    from core.jobs.rundir import list_runs
    from core.jobs.slurm import SlurmExecutor

    bad = SlurmExecutor(ClusterConfig(enabled=True, partition="no_such_partition", mem_gb=1.0))
    with pytest.raises(InputError, match="SLURM refused the job: .*[Ii]nvalid partition"):
        launch(ws["dataset"], "pearson", {}, executor=bad)
    run = list_runs()[0]
    assert run.state == "failed" and "Invalid partition" in run.status["reason"]

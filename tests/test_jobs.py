"""The run protocol with real background processes: progress, finish, cancel, crash, NaN, FIFO queue, and
recovery after a 'server restart' (a fresh executor reading the same workspace)."""

from __future__ import annotations

import json
import time

import pytest

from core.data.sample import prepare_sample
from core.jobs.executor import LocalExecutor
from core.jobs.rundir import Run, create_run, list_runs


@pytest.fixture()
def dataset(workspace, debug_method):
    return prepare_sample("synthetic")


def _launch(ds, **params) -> Run:
    from tests.families.debug_family import SPEC

    run = create_run("grn", "debug", ds.h5ad, params, tfs=ds.tfs, extra={"origin": SPEC.origin})
    LocalExecutor().submit(run)
    return run


def _wait(run: Run, states=("finished", "failed", "cancelled"), timeout=90.0) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if run.state in states:
            return run.state
        time.sleep(0.1)
    raise AssertionError(f"run stuck in {run.state}: {run.status}")


def test_run_reports_progress_and_finishes(dataset):
    run = _launch(dataset, epochs=4, seconds_per_epoch=0.05, fail="none")
    assert _wait(run) == "finished", run.status
    prog = run.progress()
    assert [p["epoch"] for p in prog] == [1, 2, 3, 4]
    assert prog[-1]["loss"] == pytest.approx(0.25)
    assert run.has("edges.tsv") and run.has("environment.json") and run.has("log.txt")
    env = json.loads(run.artifact("environment.json").read_text())
    assert env["packages"]["torch"] and env["device"].startswith("cpu")
    assert run.status["device"].startswith("cpu")


def test_crash_ends_failed_with_reason(dataset):
    run = _launch(dataset, epochs=4, seconds_per_epoch=0.01, fail="crash")
    assert _wait(run) == "failed"
    assert "ZeroDivisionError" in run.status["reason"] and "simulated crash" in run.status["reason"]
    assert "Traceback" in run.log_tail()  # full traceback kept in the log, not in the UI reason


def test_nan_loss_ends_failed(dataset):
    run = _launch(dataset, epochs=4, seconds_per_epoch=0.01, fail="nan")
    assert _wait(run) == "failed"
    assert "nan" in run.status["reason"].lower() and "epoch 2" in run.status["reason"]


def test_cancel_kills_process_group(dataset):
    run = _launch(dataset, epochs=200, seconds_per_epoch=0.1)
    _wait(run, states=("running",))
    LocalExecutor().cancel(run)
    assert run.state == "cancelled"
    pid = run.status["pid"]
    from core.jobs.process import is_alive

    assert not is_alive(pid)


def test_fifo_queue_one_job_per_device(dataset):
    # the first job runs long enough (>= 6 s) that the two later ones are surely launched while it holds the
    # slot, however slow the machine; what is asserted is the order, not wall-clock luck
    first = _launch(dataset, epochs=60, seconds_per_epoch=0.1)
    _wait(first, states=("running",))
    second = _launch(dataset, epochs=2, seconds_per_epoch=0.01)
    deadline = time.time() + 60
    while not second.status.get("pid") and time.time() < deadline:  # its process is up and waiting
        time.sleep(0.1)
    assert second.state == "queued", second.status
    third = _launch(dataset, epochs=2, seconds_per_epoch=0.01)
    seen_waiting = False
    while first.state == "running":
        if second.state == "queued" and third.state == "queued":
            seen_waiting = True
        time.sleep(0.1)
    assert seen_waiting
    for r in (first, second, third):
        assert _wait(r) == "finished"
    assert second.status["started"] >= first.status["ended"] - 0.5
    assert third.status["started"] >= second.status["ended"] - 0.5


def test_server_restart_loses_nothing(dataset):
    run = _launch(dataset, epochs=20, seconds_per_epoch=0.1)
    _wait(run, states=("running",))
    # the 'server' goes away: a new executor and a fresh listing from disk see the same live run
    del run
    runs = list_runs()
    assert len(runs) == 1 and runs[0].state == "running"
    assert _wait(runs[0]) == "finished"
    assert len(runs[0].progress()) == 20


def test_killed_process_is_reported_failed(dataset):
    import os
    import signal

    run = _launch(dataset, epochs=200, seconds_per_epoch=0.1)
    _wait(run, states=("running",))
    os.killpg(os.getpgid(run.status["pid"]), signal.SIGKILL)
    assert _wait(run) == "failed"
    assert "unexpectedly" in run.status["reason"]


def test_bad_parameters_rejected_before_launch(dataset):
    from core.errors import InputError
    from core.jobs.launch import launch

    with pytest.raises(InputError, match="must be one of"):
        launch(dataset, "debug", {"fail": "explode"})
    with pytest.raises(InputError, match="no parameter"):
        launch(dataset, "pearson", {"epochs": 3})
    assert list_runs() == []

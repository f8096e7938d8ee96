"""Faults around background jobs: three near-simultaneous launches keep FIFO order, a light job does not wait
behind a long neural run, damaged or wrong-shaped run files never break a listing or a page, and the device
label states the threads a run used."""

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


def _launch(ds, method="debug", **params) -> Run:
    from tests.families.debug_family import SPEC

    run = create_run("grn", method, ds.h5ad, params, tfs=ds.tfs, extra={"origin": SPEC.origin})
    LocalExecutor().submit(run)
    return run


def _wait(run: Run, states=("finished", "failed", "cancelled"), timeout=120.0) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if run.state in states:
            return run.state
        time.sleep(0.1)
    raise AssertionError(f"run stuck in {run.state}: {run.status}")


def test_three_simultaneous_launches_start_in_order(dataset):
    # submitted back to back: the later processes may well be up before the earlier ones have said which
    # device they wait for; the order must still be the order of submission
    runs = [_launch(dataset, epochs=2, seconds_per_epoch=0.3) for _ in range(3)]
    for r in runs:
        assert _wait(r) == "finished", r.status
    started = [r.status["started"] for r in runs]
    assert started == sorted(started), [r.id for r in runs]
    for before, after in zip(runs, runs[1:]):
        assert after.status["started"] >= before.status["ended"] - 0.5


def test_light_job_does_not_wait_behind_a_neural_run(dataset):
    long = _launch(dataset, epochs=400, seconds_per_epoch=0.1)
    _wait(long, states=("running",))
    light = create_run("grn", "pearson", dataset.h5ad, {}, tfs=dataset.tfs)
    LocalExecutor().submit(light)
    assert _wait(light) == "finished", light.status
    assert light.status["device_key"] == "light"
    assert long.state == "running"  # the light job finished while the neural one still held the device
    LocalExecutor().cancel(long)


def test_device_label_states_threads_used(dataset):
    run = create_run("grn", "deepsem", dataset.h5ad, {"epochs": 1, "threads": 1, "ensemble": 1}, tfs=dataset.tfs)
    from core.jobs.runner import run_job

    assert run_job(run.path, poll=0.05) == 0, run.status
    assert run.status["device"] == "cpu (1 threads)"


WRONG = {
    "params_list": ("params.json", "[1, 2, 3]"),
    "params_epoch_only": ("params.json", '{"epoch": 3}'),
    "params_created_string": ("params.json", '{"task": "grn", "method": "pearson", "created": "yesterday", "label": 5}'),
    "params_half_written": ("params.json", '{"task": "grn", "meth'),
    "params_binary": ("params.json", b"\x80\x04\x95garbage\xff"),
    "status_half_written": ("status.json", '{"state": "runn'),
    "status_string": ("status.json", '"running"'),
    "status_bad_state": ("status.json", '{"state": "exploded", "pid": "x", "metrics": [1]}'),
    "status_running_dead_pid": ("status.json", '{"state": "running", "pid": 999999999}'),
    "progress_garbage": ("progress.jsonl", '{"epoch": 1}\n[1]\n"x"\n{"epoch": "2", "n_epochs": 3}\n{"epoch": 1, "n_epochs": 2, "time": "x", "loss": 1}\nnot json\n'),
    "metrics_list": ("metrics.json", "[]"),
}


def _damage(workspace, name: str) -> Run:
    from core.data.sample import prepare_sample

    ds = prepare_sample("synthetic")
    run = create_run("grn", "pearson", ds.h5ad, {}, extra={"dataset_name": "synthetic"})
    file, content = WRONG[name]
    p = run.path / file
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return run


@pytest.mark.parametrize("name", list(WRONG))
def test_damaged_run_files_never_break_listings(workspace, name, capsys):
    from core.cli import main

    good = create_run("grn", "pearson", workspace / "x.h5ad", {})
    bad = _damage(workspace, name)
    runs = list_runs()
    assert {r.id for r in runs} == {good.id, bad.id}
    for r in runs:
        assert isinstance(r.params["created"], float)
        assert isinstance(r.status, dict) and isinstance(r.progress(), list) and isinstance(r.metrics(), dict)
        r.eta_seconds()
    capsys.readouterr()
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert good.id in out and bad.id in out
    listed = json.loads(out.strip().splitlines()[-1])["runs"]
    assert len(listed) == 2


def test_runs_page_survives_damaged_run_files(workspace):
    from streamlit.testing.v1 import AppTest

    from tests.test_app_pages import ROOT

    for name in WRONG:
        _damage(workspace, name)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("app_pages/runs.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for rid in [r.id for r in list_runs()]:
        at.query_params["run"] = rid
        at.run()
        assert not at.exception, (rid, [e.value for e in at.exception])


def test_half_written_status_reads_failed_not_lost(workspace):
    run = _damage(workspace, "status_half_written")
    assert run.state == "failed" and "damaged" in run.status["reason"]

"""A job killed with -9 mid-epoch shows 'failed' on the open Runs page within seconds, without a reload."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

from browser_support import browser_page, screenshot, streamlit_server

pytestmark = pytest.mark.browser


def test_killed_job_shows_failed_without_reload(tmp_path, monkeypatch, debug_method):
    ws = tmp_path / "ws"
    ws.mkdir()
    monkeypatch.setenv("SCGRN_HOME", str(ws))
    monkeypatch.setenv("SCGRN_PLUGINS", "tests.families.debug_family")
    from core.data.sample import prepare_sample
    from core.jobs.executor import LocalExecutor
    from core.jobs.rundir import create_run
    ds = prepare_sample("synthetic")
    run = create_run("grn", "debug", ds.h5ad, {"epochs": 400, "seconds_per_epoch": 0.2}, tfs=ds.tfs,
                     extra={"origin": debug_method.origin})
    LocalExecutor().submit(run)
    with streamlit_server({"SCGRN_HOME": str(ws), "SCGRN_PLUGINS": "tests.families.debug_family"}) as url, \
            browser_page() as page:
        page.goto(f"{url}/runs?run={run.id}")
        page.get_by_text("running").first.wait_for(timeout=90_000)
        page.get_by_text(re.compile(r"^Epoch$")).first.wait_for(timeout=60_000)
        url_before = page.url
        os.killpg(os.getpgid(run.status["pid"]), signal.SIGKILL)
        t0 = time.time()
        page.get_by_text("Failed: The job's process ended unexpectedly").first.wait_for(timeout=15_000)
        took = time.time() - t0
        assert page.url == url_before  # no reload, no navigation: the live fragment picked it up
        screenshot(page, "fault_killed_run")
    assert run.state == "failed"
    assert took < 15

"""Real browser (headless Debian chromium): pick sample data, launch a job, reload mid-run, see the
finished network drawn. Saves a screenshot of every page under test-artifacts/screenshots/."""

from __future__ import annotations

import json
import re
import time

import pytest

from browser_support import browser_page, nav, screenshot, select_option, streamlit_server, wait_app_idle

pytestmark = pytest.mark.browser


def test_sample_data_to_network_with_reload(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    with streamlit_server({"SCGRN_HOME": str(ws), "SCGRN_PLUGINS": "tests.families.debug_family"}) as url, browser_page() as page:
        page.goto(url)
        page.get_by_text("Current dataset").first.wait_for(timeout=90_000)
        page.get_by_role("button", name="Use this dataset").wait_for(timeout=60_000)
        wait_app_idle(page)
        screenshot(page, "01_data")

        nav(page, "Train")
        page.get_by_text("What to learn").wait_for(timeout=60_000)
        select_option(page, "Model", "Diagnostic job")
        page.get_by_role("spinbutton", name="epochs").fill("40")
        page.get_by_role("spinbutton", name="seconds per epoch").fill("0.4")
        page.get_by_role("spinbutton", name="seconds per epoch").press("Tab")
        wait_app_idle(page)
        screenshot(page, "02_train")
        page.get_by_role("button", name="Launch").click()

        page.wait_for_url(re.compile(r".*runs.*run=.*"), timeout=60_000)
        run_id = page.url.split("run=")[1].split("&")[0]
        status = ws / "runs" / run_id / "status.json"
        deadline = time.time() + 60
        while time.time() < deadline and json.loads(status.read_text())["state"] != "running":
            time.sleep(0.2)
        run_url = page.url
        page.reload()  # mid-run: the page reattaches to the same run from the URL
        assert page.url == run_url
        page.get_by_text(re.compile(r"^Epoch$")).first.wait_for(timeout=60_000)
        assert json.loads(status.read_text())["state"] == "running"  # the reload happened mid-run
        screenshot(page, "03_runs_running")
        page.get_by_text("Finished.").first.wait_for(timeout=120_000)
        screenshot(page, "04_runs_finished")

        page.get_by_role("link", name=re.compile("Open the result")).click()
        page.wait_for_url(re.compile(r".*grn.*"), timeout=30_000)
        frame = page.frame_locator("iframe").first
        frame.locator("canvas").first.wait_for(timeout=60_000)  # vis-network drew the graph
        screenshot(page, "05_grn")

        for name, shown in (("Embedding", "No finished embedding yet"), ("Simulation", "Generate simulated cells")):
            nav(page, name)
            page.get_by_role("heading", name=re.compile(name)).first.wait_for(timeout=60_000)
            page.get_by_text(shown).first.wait_for(timeout=60_000)
            wait_app_idle(page)
            screenshot(page, f"06_{name.lower()}")

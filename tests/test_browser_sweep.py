"""Real browser (headless Debian chromium): a 4-run sweep (GENIE3: trees per target x random forest / extra
trees) chosen and launched from the Train page, grouped on the Runs page, and compared on the GRN page with
one column per swept parameter.

Where it runs: on the one-node test SLURM cluster (one job array) when ``sinfo`` answers there
(``bash scripts/slurm_test_cluster.sh`` starts it as root; another cluster only with SCGRN_SLURM_TESTS=1),
otherwise through this machine's FIFO queue. Screenshots: test-artifacts/screenshots/sweep_train.png, sweep_runs.png, sweep_comparison.png.
"""

from __future__ import annotations

import json
import re
import sys
import time

import pytest

from browser_support import SCREENSHOTS, browser_page, screenshot, select_option, streamlit_server, wait_app_idle

pytestmark = pytest.mark.browser


def _cluster_partition() -> str | None:
    """The default partition of a SLURM cluster that answers now, with the SLURM back-end installed; else None."""
    import importlib.util

    from core.jobs.cluster_probe import cluster_answers

    if importlib.util.find_spec("core.jobs.slurm") is None or not cluster_answers(timeout=5).ok:
        return None
    import os
    import subprocess

    conf = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True, timeout=10).stdout
    name = next((ln.split("=", 1)[1].strip() for ln in conf.splitlines() if ln.startswith("ClusterName")), "?")
    if name != "scgrntest" and not os.environ.get("SCGRN_SLURM_TESTS"):
        return None  # a real cluster (not the one-node test cluster): never submit to it by accident

    out = subprocess.run(["sinfo", "-h", "-o", "%P"], capture_output=True, text=True, timeout=10).stdout.split()
    default = [p.rstrip("*") for p in out if p.endswith("*")]
    return (default or [p.rstrip("*") for p in out] or [None])[0]


def _statuses(ws) -> dict[str, dict]:
    out = {}
    for d in (ws / "runs").iterdir():
        try:
            out[d.name] = {**json.loads((d / "status.json").read_text()),
                           "params": json.loads((d / "params.json").read_text())}
        except (OSError, ValueError):
            continue
    return out


def _pick(page, box, option: str) -> None:
    """Choose ``option`` in a Streamlit multiselect (its list opens late while the page reruns: retried)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(4):
        wait_app_idle(page)
        box.locator("input").click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        page.keyboard.press("Escape")
        wait_app_idle(page)
        return
    raise AssertionError(f"could not choose {option!r} in the multiselect")


def test_sweep_from_train_page_to_comparison_table(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    partition = _cluster_partition()
    if partition is not None:
        from core.jobs.cluster_config import ClusterConfig, save_config

        import os

        os.environ["SCGRN_HOME"] = str(ws)  # save_config writes under $SCGRN_HOME
        try:
            save_config(ClusterConfig(enabled=True, partition=partition, gpus_per_job=0, cpus_per_job=1, mem_gb=1.0,
                                      time_limit_min=10, python=sys.executable))
        finally:
            os.environ.pop("SCGRN_HOME")
    with streamlit_server({"SCGRN_HOME": str(ws)}) as url, browser_page(height=1100) as page:
        page.goto(url)
        page.get_by_role("button", name="Use this dataset").wait_for(timeout=90_000)
        wait_app_idle(page)
        page.get_by_test_id("stSidebarNavLink").filter(has_text="Train").click()
        page.get_by_text("What to learn").wait_for(timeout=60_000)
        select_option(page, "Model", "GENIE3")
        wait_app_idle(page)
        jobs = page.get_by_role("spinbutton", name="worker processes (n_jobs)")
        jobs.fill("1")  # the machine is shared: one core per run
        jobs.press("Tab")
        wait_app_idle(page)

        page.get_by_text("Sweep: try several values at once").click()
        box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Parameters to vary")
        box.wait_for(timeout=30_000)
        for option in ("trees per target (n_estimators)", "tree method"):
            _pick(page, box, option)
        trees = page.get_by_role("textbox", name="trees per target (n_estimators) values")
        trees.fill("10, 50")
        trees.press("Tab")
        wait_app_idle(page)
        if page.get_by_role("textbox", name="tree method values").input_value() != "RF, ET":
            screenshot(page, "sweep_debug")
        assert page.get_by_role("textbox", name="tree method values").input_value() == "RF, ET"
        page.get_by_text("4 runs", exact=False).first.wait_for(timeout=30_000)
        if partition is not None:
            page.get_by_text("The cluster (SLURM)").click()
            page.get_by_text(re.compile("would start|cannot tell")).first.wait_for(timeout=30_000)
            wait_app_idle(page)
        screenshot(page, "sweep_train")
        page.get_by_role("button", name="Launch 4 runs").click()
        page.wait_for_url(re.compile(r".*runs.*run=.*"), timeout=60_000)

        deadline = time.time() + 480
        while time.time() < deadline:
            st = _statuses(ws)
            if len(st) == 4 and all(s.get("state") in ("finished", "failed", "cancelled") for s in st.values()):
                break
            time.sleep(1.0)
        st = _statuses(ws)
        assert sorted(s.get("state") for s in st.values()) == ["finished"] * 4, st
        assert len({s["params"]["sweep_id"] for s in st.values()}) == 1
        grids = sorted((s["params"]["sweep_grid"]["n_estimators"], s["params"]["sweep_grid"]["tree_method"])
                       for s in st.values())
        assert grids == [(10, "ET"), (10, "RF"), (50, "ET"), (50, "RF")]
        assert all(s["params"]["params"]["n_jobs"] == 1 for s in st.values())
        if partition is not None:  # one job array: <array id>_<index>
            ids = {str(s.get("slurm_job_id")) for s in st.values()}
            assert len({i.split("_")[0] for i in ids}) == 1 and all("_" in i for i in ids), ids
            assert {s.get("executor") for s in st.values()} == {"slurm"}

        page.reload()
        page.get_by_role("heading", name="Sweeps").wait_for(timeout=60_000)
        page.get_by_text(re.compile(r"GENIE3 · 4 runs: 4 finished")).first.wait_for(timeout=60_000)
        wait_app_idle(page)
        screenshot(page, "sweep_runs")

        first = min(st, key=lambda k: st[k]["params"]["created"])
        page.goto(f"{url}/grn?run={first}")
        page.get_by_role("tab", name="Compare runs").wait_for(timeout=90_000)
        wait_app_idle(page)
        page.get_by_role("tab", name="Compare runs").click()
        page.get_by_text("Scores of the finished networks of this dataset").wait_for(timeout=30_000)
        panel = page.locator('[role="tabpanel"]').filter(has_text="Scores of the finished networks")
        panel.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
        wait_app_idle(page)
        page.wait_for_timeout(1000)  # the data grid paints its canvas
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        heading = panel.get_by_text("Scores of the finished networks of this dataset")
        caption = panel.get_by_text(re.compile("^EPR: early precision ratio"))
        heading.scroll_into_view_if_needed()
        top, bottom = heading.bounding_box(), caption.bounding_box()
        box = panel.bounding_box()
        path = SCREENSHOTS / "sweep_comparison.png"  # the table with its heading and legend, as shown in a talk
        page.screenshot(path=str(path), clip={"x": box["x"] - 8, "y": top["y"] - 8, "width": box["width"] + 16,
                                              "height": bottom["y"] + bottom["height"] - top["y"] + 16})
        assert path.stat().st_size > 10_000

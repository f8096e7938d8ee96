"""Real browser (headless Debian chromium): the demo path of a lab-meeting presentation, end to end.

Sample data (first visit, guided start) -> Train DeepSEM (the CPU-friendly preset when there is one; tiny epochs
here) -> Runs -> GRN page -> Train a VAE (tiny epochs) -> Runs (loss chart per term) -> Embedding -> Simulation
(under-trained warning, result tabs). A screenshot of every view goes to test-artifacts/demo/ (looked at by a
person; the asserts check what must be on screen).
"""

from __future__ import annotations

import re
import time

import pytest

import browser_support as B
from browser_support import browser_page, nav, select_option, streamlit_server, wait_app_idle

pytestmark = pytest.mark.browser
DEMO = B.ROOT / "test-artifacts" / "demo"


def settle(page) -> None:
    """Let a rerun start (the status widget appears a moment after an input), then wait for it to end."""
    time.sleep(0.7)
    wait_app_idle(page)


def shot(page, name: str) -> None:
    DEMO.mkdir(parents=True, exist_ok=True)
    settle(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # no focus tooltip
    page.mouse.move(1, 1)
    time.sleep(0.3)
    page.screenshot(path=str(DEMO / f"{name}.png"), full_page=True)


def _spin(page, label: str, value: str) -> None:
    box = page.get_by_role("spinbutton", name=re.compile(f"^{label}"))
    box.first.fill(value)
    box.first.press("Tab")
    settle(page)


def _wait_finished(page, screenshot_stage: str | None = None, timeout: float = 150) -> None:
    """Wait on the Runs page until the run finished; screenshot the post-processing stage if it is seen."""
    deadline, seen = time.time() + timeout, False
    while time.time() < deadline:
        if page.get_by_text("Finished.").count():
            return
        if screenshot_stage and not seen and page.get_by_text("Training is done; now:").count():
            page.screenshot(path=str(DEMO / f"{screenshot_stage}.png"), full_page=True)
            seen = True
        time.sleep(0.3)
    raise AssertionError("the run did not finish in time")


def test_demo_path(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    with streamlit_server({"SCGRN_HOME": str(ws)}) as url, browser_page(height=1700) as page:
        # ---- first visit: the sample is prepared, the guide says what to do ----
        page.goto(url)
        page.get_by_text("Welcome to scGRN Studio").first.wait_for(timeout=120_000)
        page.get_by_role("button", name="Use this dataset").wait_for(timeout=60_000)
        shot(page, "01_data_first_visit")
        page.get_by_text("Quality control").first.click()
        page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=60_000)
        shot(page, "02_data_quality_control")

        # ---- DeepSEM, the suggested CPU setting, tiny epochs ----
        nav(page, "Train")
        page.get_by_text("What to learn").wait_for(timeout=60_000)
        select_option(page, "Model", "DeepSEM")
        settle(page)
        presets = page.locator('[data-testid="stSelectbox"]').filter(has_text="Preset").first
        presets.click()
        cpu = page.get_by_role("option", name=re.compile("CPU", re.I))
        if cpu.count():
            cpu.first.click()
        else:
            page.keyboard.press("Escape")
        settle(page)
        _spin(page, "epochs", "4")
        _spin(page, "ensemble", "2")
        page.get_by_text("Restrict sources to TFs").first.wait_for(timeout=30_000)
        shot(page, "03_train_deepsem")
        page.get_by_role("button", name="Launch").click()
        page.wait_for_url(re.compile(r".*runs.*run=.*"), timeout=60_000)
        _wait_finished(page)
        shot(page, "04_runs_deepsem_finished")
        assert page.get_by_text(re.compile(r"ETA \d+ s")).count() == 0

        page.get_by_role("link", name=re.compile("Open the result")).click()
        page.wait_for_url(re.compile(r".*grn.*"), timeout=30_000)
        page.frame_locator("iframe").first.locator("canvas").first.wait_for(timeout=60_000)
        shot(page, "05_grn_network")
        scores = page.get_by_role("tab", name=re.compile("Scores|Score"))
        if scores.count():
            scores.first.click()
            shot(page, "06_grn_scores")
            assert page.get_by_text(re.compile(r"\.h5ad|/runs/|\(beeline\)")).count() == 0

        # ---- VAE, tiny epochs (the Simulation page must then say it is under-trained) ----
        nav(page, "Train")
        page.get_by_text("What to learn").wait_for(timeout=60_000)
        page.get_by_text("Cell embedding / clusters").first.click()
        settle(page)
        time.sleep(1.0)
        settle(page)
        model_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Model").first
        if "VAE" not in model_box.inner_text().split("\n")[-1]:
            select_option(page, "Model", "VAE")
            settle(page)
        page.get_by_text("Variational autoencoder").first.wait_for(timeout=60_000)
        _spin(page, "epochs", "15")
        assert page.get_by_text("Restrict sources to TFs").count() == 0  # no greyed-out boxes for embeddings
        shot(page, "07_train_vae")
        page.get_by_role("button", name="Launch").click()
        page.wait_for_url(re.compile(r".*runs.*run=.*"), timeout=60_000)
        _wait_finished(page, screenshot_stage="08_runs_vae_postprocessing")
        page.get_by_text("All metrics").first.click()
        page.get_by_text("Parameters").last.click()
        shot(page, "09_runs_vae_finished")
        assert page.get_by_text("Negative binomial (nb)").count() >= 1  # likelihood in words

        # ---- Embedding ----
        page.get_by_role("link", name=re.compile("Open the result")).click()
        page.wait_for_url(re.compile(r".*embedding.*"), timeout=30_000)
        page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=60_000)
        shot(page, "10_embedding")

        # ---- Simulation ----
        nav(page, "Simulation")
        page.get_by_text("Generate simulated cells").first.wait_for(timeout=60_000)
        page.get_by_text(re.compile("trained for only 15 epochs")).first.wait_for(timeout=30_000)
        _spin(page, "Cells to simulate", "200")
        shot(page, "11_simulation_generate")
        page.get_by_role("button", name="Generate").click()
        page.get_by_text("Classifier AUC").first.wait_for(timeout=150_000)
        page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=60_000)
        shot(page, "12_simulation_result")
        assert page.get_by_text(re.compile("keep zeros", re.I)).count() == 0
        for i, tab in enumerate(("Mean-variance trend", "Joint UMAP", "GRN consistency", "Classifier")):
            page.get_by_role("tab", name=tab).click()
            time.sleep(1.0)
            shot(page, f"{13 + i}_simulation_{tab.split()[0].lower().replace('-', '_')}")
        nav(page, "Runs")
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
        shot(page, "17_runs_list")


def test_upload_state_is_replaced_by_a_bad_second_file(tmp_path):
    """A good CSV shows its summary and a name field; a bad second file replaces all of it with its error."""
    import numpy as np
    import pandas as pd

    ws = tmp_path / "ws"
    ws.mkdir()
    good = tmp_path / "my_cells.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.poisson(3, (30, 8)), index=[f"c{i}" for i in range(30)],
                 columns=[f"g{j}" for j in range(8)]).to_csv(good)
    bad = tmp_path / "broken.csv"
    bad.write_text("this is not\na table at all\x00\x01")
    with streamlit_server({"SCGRN_HOME": str(ws)}) as url, browser_page(height=1700) as page:
        page.goto(url)
        page.get_by_text("Current dataset").first.wait_for(timeout=120_000)
        page.get_by_text("Upload", exact=True).first.click()
        settle(page)
        files = page.locator('[data-testid="stFileUploader"] input[type="file"]').first
        files.set_input_files(str(good))
        page.get_by_role("textbox", name="Dataset name").wait_for(timeout=60_000)
        assert page.get_by_role("textbox", name="Dataset name").input_value() == "my_cells"
        assert page.get_by_role("button", name="Use this dataset").count() == 1
        shot(page, "18_upload_good")
        # the user removes the first file (its chip's delete button), then picks the second
        page.locator('[data-testid="stFileChipDeleteBtn"], [data-testid="stFileUploaderDeleteBtn"]').first.click()
        page.get_by_role("textbox", name="Dataset name").wait_for(state="detached", timeout=60_000)
        settle(page)
        files.set_input_files(str(bad))
        page.locator('[data-testid="stAlert"]').filter(has_text=re.compile("broken|read|table|parse|column", re.I)).first \
            .wait_for(timeout=60_000)
        settle(page)
        assert page.get_by_role("button", name="Use this dataset").count() == 0  # no button of the previous file
        assert page.get_by_text("Values look like").count() == 0  # nor its summary
        shot(page, "19_upload_bad_second_file")

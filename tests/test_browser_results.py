"""Real browser (headless Debian chromium): the Embedding and Simulation pages of finished runs.

A VAE (NB likelihood) is trained briefly on the bundled synthetic counts sample (3 cell states) through the job
runner, then cells are simulated from it and compared with the real ones (a ``simulate`` run). The pages are
opened by deep link, their plotly charts must draw (WebGL/SVG in the DOM) and the score cards show numbers.
Screenshots: test-artifacts/screenshots/07_embedding_vae.png, 08_simulation_vae.png.
"""

from __future__ import annotations

import os
import re

import pytest

from browser_support import browser_page, screenshot, streamlit_server, wait_app_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from browser_support import chromium_path

    chromium_path()  # skip before training when there is no browser
    home = tmp_path_factory.mktemp("scgrn_results")
    old = os.environ.get("SCGRN_HOME")
    os.environ["SCGRN_HOME"] = str(home)
    try:
        from core.data.sample import prepare_sample
        from core.jobs.launch import launch
        from core.jobs.rundir import create_run
        from core.jobs.runner import run_job

        class Inline:  # run the job in this process (the executor itself is tested in test_jobs.py)
            def submit(self, run):
                assert run_job(run.path, poll=0.05) == 0, run.status

        ds = prepare_sample("synthetic")
        vae = launch(ds, "vae", {"likelihood": "nb", "epochs": 40, "latent_dim": 6}, device="cpu", executor=Inline())
        sim = create_run("simulate", "simulate", vae.params["dataset"],
                         {"source_run": str(vae.path), "n_cells": 300, "noise": 0.5}, seed=0, device="cpu",
                         label="Simulation from VAE", extra={"dataset_name": "synthetic"})
        assert run_job(sim.path, poll=0.05) == 0, sim.status
    finally:
        if old is None:
            os.environ.pop("SCGRN_HOME", None)
        else:
            os.environ["SCGRN_HOME"] = old
    return home, vae.id, sim.id


def _plot_drawn(page) -> None:
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=60_000)


def test_embedding_and_simulation_pages_draw(runs):
    home, vae_id, sim_id = runs
    with streamlit_server({"SCGRN_HOME": str(home)}) as url, browser_page() as page:
        page.goto(f"{url}/embedding?run={vae_id}")
        page.get_by_text("ASW (labels)").first.wait_for(timeout=90_000)
        _plot_drawn(page)
        wait_app_idle(page)
        asw = page.locator('[data-testid="stMetric"]').filter(has_text="ASW (labels)").first.inner_text()
        assert re.search(r"-?\d\.\d", asw), asw  # a number, not a dash
        screenshot(page, "07_embedding_vae")

        page.goto(f"{url}/simulation?sim={sim_id}")
        page.get_by_text("Classifier AUC").first.wait_for(timeout=90_000)
        _plot_drawn(page)
        wait_app_idle(page)
        auc = page.locator('[data-testid="stMetric"]').filter(has_text="Classifier AUC").first.inner_text()
        assert re.search(r"[01]\.\d\d", auc), auc
        assert page.get_by_text(re.compile("random forest picks out the simulated one")).count() >= 1
        screenshot(page, "08_simulation_vae")

"""Real browser (headless Debian chromium): several simulators side by side on the Simulation page, and latent
interpolation (plus raw vs denoised) on the Embedding page.

scGAN, cscGAN and a VAE are trained briefly on the bundled synthetic counts sample through the job runner, cells
are simulated from each (``simulate`` runs), then the pages are opened by deep link.
Screenshots: test-artifacts/screenshots/17_simulators_side_by_side.png, 18_latent_interpolation.png.
"""

from __future__ import annotations

import os
import re

import pytest

from browser_support import browser_page, screenshot, streamlit_server, wait_app_idle

pytestmark = pytest.mark.browser
GAN = {"epochs": 30, "generator_widths": "64,64", "critic_widths": "64,64", "latent_dim": 16, "critic_steps": 3,
       "lr_generator": 1e-3, "lr_critic": 1e-3}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from browser_support import chromium_path

    chromium_path()  # skip before training when there is no browser
    home = tmp_path_factory.mktemp("scgrn_generative")
    old = os.environ.get("SCGRN_HOME")
    os.environ["SCGRN_HOME"] = str(home)
    try:
        import torch

        from core.data.sample import prepare_sample
        from core.jobs.launch import launch
        from core.jobs.runner import run_job
        from core.simulation.task import launch_simulation

        torch.set_num_threads(1)

        class Inline:  # run the job in this process (the executor itself is tested in test_jobs.py)
            def submit(self, run):
                assert run_job(run.path, poll=0.05) == 0, run.status

        ds = prepare_sample("synthetic")
        vae = launch(ds, "vae", {"likelihood": "nb", "epochs": 30, "latent_dim": 6}, device="cpu", executor=Inline())
        sources = [launch(ds, "scgan", GAN, device="cpu", executor=Inline()),
                   launch(ds, "cscgan", GAN, device="cpu", executor=Inline()), vae]
        sims = [launch_simulation(s.path, 200, embed=False, executor=Inline()) for s in sources]
    finally:
        if old is None:
            os.environ.pop("SCGRN_HOME", None)
        else:
            os.environ["SCGRN_HOME"] = old
    return home, vae.id, sims[-1].id


def test_simulators_side_by_side_and_interpolation_draw(runs):
    home, vae_id, sim_id = runs
    with streamlit_server({"SCGRN_HOME": str(home)}) as url, browser_page(height=1100) as page:
        page.goto(f"{url}/simulation?sim={sim_id}")
        page.get_by_text("Simulators side by side").first.wait_for(timeout=120_000)
        page.get_by_text(re.compile("Cluster proportions on the real cells")).first.wait_for(timeout=120_000)
        wait_app_idle(page, 120_000)
        assert page.get_by_text("Best per figure").count() >= 1
        for name in ("scGAN", "cscGAN", "VAE"):
            assert page.get_by_text(re.compile(rf"\b{name}\b")).count() >= 1
        page.get_by_text("Simulators side by side").first.scroll_into_view_if_needed()
        screenshot(page, "17_simulators_side_by_side")

        page.goto(f"{url}/embedding?run={vae_id}")
        page.get_by_text("Latent interpolation").first.wait_for(timeout=120_000)
        page.get_by_text("Raw vs denoised expression").first.wait_for(timeout=120_000)
        wait_app_idle(page, 120_000)
        page.get_by_role("button", name="Walk the latent line").click()
        page.get_by_text(re.compile("genes that change most along the path")).first.wait_for(timeout=120_000)
        wait_app_idle(page, 120_000)
        assert page.get_by_text("Download the decoded path (.csv)").count() == 1
        page.get_by_text("The path over the UMAP").first.scroll_into_view_if_needed()
        screenshot(page, "18_latent_interpolation")


"""AppTest of the Simulation page: a finished simulation shows every comparison; Generate launches a job."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytest.importorskip("core.models.vae.model")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def finished_vae_run(workspace):
    from core.data.store import save_prepared
    from core.data.synthetic import synthetic_dataset
    from core.context import RunContext
    from core.jobs.rundir import create_run
    from core.models.build import train_model

    adata = synthetic_dataset(n_cells=150, n_genes=15, n_tfs=5, seed=0)[0]
    ds = save_prepared(adata, "tiny")
    run = create_run("embed", "vae", ds.h5ad, {"likelihood": "nb"}, seed=0, device="cpu", label="VAE",
                     extra={"dataset_name": "tiny"})
    model = train_model("vae", adata, RunContext(seed=0), {"epochs": 2, "latent_dim": 3, "hidden": 8})
    model.save(run.path / "checkpoints" / "model.pt")
    run.set_status("finished")
    return run


def test_page_shows_a_finished_simulation(finished_vae_run):
    from core.jobs.rundir import create_run
    from core.jobs.runner import run_job

    src = finished_vae_run
    sim = create_run("simulate", "simulate", src.params["dataset"],
                     {"source_run": str(src.path), "n_cells": 80, "options": {"noise": 0.5}}, seed=0, device="cpu",
                     label="Simulation from VAE")
    assert run_job(sim.path, poll=0.05) == 0, sim.status
    at = AppTest.from_file(str(ROOT / "app_pages/simulation.py"), default_timeout=60)
    at.query_params["sim"] = sim.id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label for m in at.metric}
    assert {"Classifier AUC", "Mean r", "Energy distance"} <= labels
    text = " ".join(md.value for md in at.markdown)
    assert "random forest picks out the simulated one" in text and "top 10%" in text
    assert len(at.tabs) == 5


def test_generate_launches_a_background_simulation(finished_vae_run, monkeypatch):
    import core.jobs.executor as executor
    from core.jobs.rundir import list_runs

    submitted = []

    class Recorder:  # the real LocalExecutor is exercised by the Train page tests; here we check the request
        def submit(self, run):
            submitted.append(run)

    monkeypatch.setattr(executor, "default_executor", lambda: Recorder())
    at = AppTest.from_file(str(ROOT / "app_pages/simulation.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    next(n for n in at.number_input if n.label == "Cells to simulate").set_value(50)
    next(b for b in at.button if b.label == "Generate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    sims = [r for r in list_runs() if r.params.get("task") == "simulate"]
    assert len(sims) == 1 and [r.id for r in submitted] == [sims[0].id]
    p = sims[0].params
    assert p["params"]["n_cells"] == 50 and p["params"]["source_run"] == str(finished_vae_run.path)
    assert p["dataset"] == finished_vae_run.params["dataset"] and sims[0].state == "queued"
    assert any("queued" in i.value for i in at.info)  # the page waits for it

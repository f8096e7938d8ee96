"""The model contract (core.models.base / fit / registry): a family added in one file with one register() call
trains through the job system, shows in the Train form, the CLI and the Embedding page, and simulates; every
loss term is checked and plotted; the Data page's perturbation column reaches CaTran; a DeepSEM embedding run
simulates."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.errors import NonFiniteLossError
from core.models.base import CHECKPOINT, BaseModel, capabilities_of
from core.models.fit import LossOutput, TrainingPlan, fit
from core.registry import get_method, methods

ROOT = Path(__file__).resolve().parents[1]
FA = "tests.families.fa_family"


@pytest.fixture(scope="module")
def fa_spec():
    import importlib

    return importlib.import_module(FA).FactorAnalysis.spec


def _wait(run, timeout=120.0) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline and run.state not in ("finished", "failed", "cancelled"):
        time.sleep(0.2)
    return run.state


def test_every_family_declares_the_capabilities_its_model_has():
    for spec in methods().values():
        if spec.model is not None:
            assert set(spec.capabilities) == capabilities_of(spec.load_model()), spec.name
            assert spec.load_model().spec is spec, spec.name  # hyperparameters come from this one spec


def test_a_family_in_one_file_trains_embeds_and_simulates_through_the_app(workspace, fa_spec, monkeypatch):
    from core.data.sample import prepare_sample
    from core.jobs.executor import LocalExecutor
    from core.jobs.launch import launch
    from core.jobs.runner import run_job
    from core.simulation.task import launch_simulation, load_comparison, simulation_sources

    assert fa_spec.origin == FA and "factor_analysis" in methods("latent") and "factor_analysis" in methods("simulate")
    ds = prepare_sample("synthetic")
    # 1. it trains through the job system: a background process that imports the family from the run's record
    run = launch(ds, "factor_analysis", {"factors": 3, "epochs": 40}, task="embed", executor=LocalExecutor())
    assert run.params["origin"] == FA
    assert _wait(run) == "finished", run.status
    prog = run.progress()
    assert len(prog) == 40 and set(prog[-1]["terms"]) == {"loss", "nll", "noise"}
    assert prog[-1]["nll"] < prog[0]["nll"]  # it learns
    assert (run.path / "checkpoints" / CHECKPOINT).exists() and run.metrics()["latent_dim"] == 3
    # 2. the Embedding page shows its latent
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("app_pages/embedding.py")
    at.query_params["run"] = run.id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    next(r for r in at.radio if r.label == "Colour by").set_value("latent").run()
    assert not at.exception and [f"z{i}" for i in range(3)] == next(s for s in at.selectbox if s.label == "Which").options
    # 3. it can be simulated from, with its own simulation option
    assert [r.id for r in simulation_sources([run])] == [run.id]
    sim = launch_simulation(run.path, 40, options={"scale": 0.5}, grn_method="", embed=False,
                            executor=type("Held", (), {"submit": lambda self, r: None})())
    assert run_job(sim.path, poll=0.05) == 0, sim.status
    res, _ = load_comparison(sim.path)
    assert res.summary["n_sim"] == 40 and 0.0 <= res.summary["classifier_auc"] <= 1.0


def test_the_train_form_and_the_cli_list_a_registered_family(workspace, fa_spec, tmp_path, capsys):
    from core.cli import main

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("app_pages/train.py").run()
    next(r for r in at.radio if r.label == "What to learn").set_value("embed").run()
    model = next(s for s in at.selectbox if s.label == "Model")
    assert "Factor analysis (test family)" in model.options  # shown by its label
    model.set_value("factor_analysis").run()
    assert not at.exception and {"factors", "epochs", "lr"} <= {n.label for n in at.number_input}
    data = tmp_path / "d.h5ad"
    import anndata as ad

    ad.read_h5ad(ROOT / "sample_data/synthetic.h5ad").write_h5ad(data)
    out = tmp_path / "e.h5ad"
    assert main(["--plugin", FA, "embed", str(data), "--model", "factor_analysis", "--param", "epochs=5",
                 "--out", str(out)]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["method"] == "factor_analysis" and last["latent_dim"] == 4 and out.exists()
    assert main(["--plugin", "no.such.module", "runs"]) == 2


def test_every_named_term_is_checked_for_nan():
    class Plan(TrainingPlan):
        n_epochs = 3

        def __init__(self):
            self.w = torch.nn.Parameter(torch.ones(1))

        def configure_optimizers(self):
            return {"sgd": torch.optim.SGD([self.w], lr=0.1)}

        def batches(self, epoch):
            self.epoch = epoch
            yield None

        def training_step(self, batch):
            bad = float("inf") if self.epoch == 1 else 0.0
            return LossOutput((self.w ** 2).sum(), {"regulariser": torch.tensor(bad)})

    seen = []
    with pytest.raises(NonFiniteLossError, match="regulariser became inf at epoch 2"):
        fit(Plan(), [type("CB", (), {"on_epoch_end": lambda self, e, n, rec: seen.append(rec)})()])
    assert len(seen) == 1 and set(seen[0]["terms"]) == {"loss", "regulariser"}


def test_the_runs_page_plots_every_loss_term(workspace):
    from core.data.sample import prepare_sample
    from core.jobs.launch import launch
    from core.jobs.rundir import loss_terms
    from core.jobs.runner import run_job

    ds = prepare_sample("synthetic")
    held = type("Held", (), {"submit": lambda self, r: None})()
    run = launch(ds, "gmvae", {"epochs": 3, "clusters": 3, "hidden": 16}, task="embed", executor=held)
    assert run_job(run.path, poll=0.05) == 0, run.status
    assert loss_terms(run.progress()) == ["loss", "reconstruction", "kl", "balance"]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("app_pages/runs.py")
    at.query_params["run"] = run.id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # one small chart per term (the terms live on very different scales), epochs on an integer axis
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    names = {t["name"] for c in charts for t in c["data"] if c["layout"].get("xaxis", {}).get("title", {}).get("text") == "epoch"}
    # every loss term, plus the other per-epoch readings that change (GMVAE: its KL warm-up weight)
    assert names == {"loss", "reconstruction", "kl", "balance", "kl_weight"}


def test_the_data_pages_perturbation_column_reaches_catran(workspace):
    from core.data.perturbation import perturbation_dataset
    from core.data.store import save_prepared
    from core.jobs.launch import launch
    from core.jobs.runner import run_job

    adata, _, tfs, perturbed = perturbation_dataset(n_genes=15, n_tfs=5, n_perturbed=2, n_control=60,
                                                    cells_per_perturbation=20, seed=0)
    adata.obs["guide"] = adata.obs.pop("perturbation")  # a column name the model cannot guess
    ds = save_prepared(adata, "screen", tfs=tfs, meta={"perturbation_key": "guide"})
    held = type("Held", (), {"submit": lambda self, r: None})()
    run = launch(ds, "catran", {"epochs": 1, "min_steps_per_epoch": 2}, executor=held)  # no key typed on the form
    assert run.params["params"]["perturbation_key"] == ""
    assert run_job(run.path, poll=0.05) == 0, run.status
    model = BaseModel.load(run.path / "checkpoints" / CHECKPOINT)
    assert model.state["perturbation_key"] == "guide"
    assert f"{len(perturbed)} perturbed genes" in run.log_tail()
    assert "interventional" in run.progress()[-1]["terms"]


def test_a_deepsem_embedding_run_can_be_simulated(workspace):
    from core.data.sample import prepare_sample
    from core.jobs.launch import launch
    from core.jobs.runner import run_job
    from core.simulation.task import launch_simulation, simulation_sources

    ds = prepare_sample("synthetic")
    held = type("Held", (), {"submit": lambda self, r: None})()
    run = launch(ds, "deepsem", {"ensemble": 1, "epochs": 2, "hidden": 8}, task="embed", executor=held)
    assert run.params["task"] == "embed"
    assert run_job(run.path, poll=0.05) == 0, run.status
    assert run.metrics()["latent_key"] == "X_deepsem"
    assert simulation_sources([run]) == [run]
    sim = launch_simulation(run.path, 30, options={"keep_zeros": False}, grn_method="", embed=False, executor=held)
    assert run_job(sim.path, poll=0.05) == 0, sim.status
    import anndata as ad

    cells = ad.read_h5ad(sim.path / "simulated.h5ad")
    assert cells.n_obs == 30 and cells.uns["simulation"]["model"] == "deepsem"
    assert np.isfinite(np.asarray(cells.X)).all()


def test_checkpoints_have_one_layout_and_name_their_family(tmp_path, synthetic_small):
    from core.context import RunContext
    from core.models.build import train_model

    adata, _, _ = synthetic_small
    for name, params in (("deepsem", {"ensemble": 1, "epochs": 1, "hidden": 8}), ("vae", {"epochs": 1}),
                         ("catran", {"epochs": 1, "min_steps_per_epoch": 1}), ("pca", {})):
        model = train_model(name, adata, RunContext(seed=0), params)
        path = model.save(tmp_path / name / CHECKPOINT)
        raw = torch.load(path, weights_only=True)
        assert raw["family"] == name and set(raw) >= {"params", "seed", "genes", "state", "state_dict"}
        loaded = BaseModel.load(path, adata)
        assert type(loaded) is type(model) and loaded.params == model.params
    assert get_method("pca").can("latent") and not get_method("pca").can("simulate")

"""Simulating cells from trained models (VAE, GMVAE, DeepSEM): output contract, modes, run directories, job task,
CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import InputError

pytest.importorskip("core.models.vae.model")

from core.context import RunContext  # noqa: E402
from core.models.build import train_model  # noqa: E402
from core.simulation.simulate import simulate, simulate_from_run  # noqa: E402


@pytest.fixture(scope="module")
def data():
    from core.data.synthetic import synthetic_dataset

    adata, _, tfs = synthetic_dataset(n_cells=200, n_genes=20, n_tfs=6, seed=0)
    return adata


@pytest.fixture(scope="module")
def vae(data):
    return train_model("vae", data, RunContext(seed=0), {"likelihood": "nb", "epochs": 3, "latent_dim": 4, "hidden": 16})


@pytest.fixture(scope="module")
def gmvae(data):
    return train_model("gmvae", data, RunContext(seed=0), {"likelihood": "poisson", "epochs": 3, "clusters": 3,
                                                          "latent_dim": 4, "hidden": 16})


def test_prior_sampling_contract(vae, data):
    sim = simulate(vae, 50, mode="prior", seed=1, run_id="r1")
    assert sim.shape == (50, data.n_vars) and list(sim.var_names) == list(data.var_names)
    assert sim.obs["source"].eq("simulated").all() and sim.obs["origin"].eq("prior").all()
    assert sim.uns["run_id"] == "r1" and sim.uns["simulation"]["mode"] == "prior"
    X = np.asarray(sim.X)
    assert X.min() >= 0 and np.allclose(X, np.round(X)) and X.sum() > 0  # counts sampled from the NB
    assert sim.uns["simulation"]["layer"] == "counts" and "counts" in sim.layers
    again = simulate(vae, 50, mode="prior", seed=1)
    assert np.array_equal(np.asarray(again.X), X)  # same seed, same cells
    assert not np.array_equal(np.asarray(simulate(vae, 50, mode="prior", seed=2).X), X)


def test_perturb_keeps_originating_cells(vae, data):
    sim = simulate(vae, 40, adata=data, noise=0.5, seed=0)  # the default mode: perturb
    assert sim.uns["simulation"]["mode"] == "perturb"
    origins = sim.obs["origin"].astype(str)
    assert origins.is_unique and set(origins) <= set(data.obs_names)
    more = simulate(vae, 250, adata=data, noise=0.5, seed=0)  # more cells than real ones: every cell used
    assert set(more.obs["origin"].astype(str)) == set(data.obs_names)
    # perturbed cells follow their originating cell's library size (kept by the model)
    idx = [data.obs_names.get_loc(o) for o in more.obs["origin"].astype(str)]
    real_lib = np.asarray(data.X)[idx].sum(1)
    assert np.corrcoef(real_lib, np.asarray(more.X).sum(1))[0, 1] > 0.5


def test_perturb_noise_defaults_to_the_posterior(vae, data):
    # noise 1 = z drawn from q(z|x) itself (posterior-predictive cells); it was 0.5 for the VAE before
    sim = simulate(vae, 20, adata=data, seed=0)
    assert sim.uns["simulation"]["noise"] == 1.0


def test_default_vae_epochs_gives_small_data_enough_steps():
    from core.models.vae.train import MAX_EPOCHS as MAX_VAE_EPOCHS
    from core.models.vae.train import MIN_STEPS as MIN_VAE_STEPS
    from core.models.vae.train import default_epochs as default_vae_epochs

    # a few hundred cells = a few mini-batches per epoch: scvi's 400 epochs would be ~2000 steps (under-fitted)
    assert default_vae_epochs(700) == MAX_VAE_EPOCHS
    e = default_vae_epochs(5000)
    assert e * -(-5000 // 128) >= MIN_VAE_STEPS and e == 400  # scvi's rule already gives enough steps
    assert default_vae_epochs(100_000) == round(20000 / 100_000 * 400)  # large data: scvi's rule unchanged
    assert all(1 <= default_vae_epochs(n) <= MAX_VAE_EPOCHS for n in (1, 10, 128, 129, 10**6))


def test_gmvae_component_and_errors(gmvae, vae, data):
    sim = simulate(gmvae, 30, mode="prior", component=1, seed=0)
    assert sim.obs["origin"].eq("component 1").all() and sim.uns["simulation"]["component"] == 1
    assign = gmvae.get_clusters(data)
    k = int(np.bincount(assign).argmax())
    pert = simulate(gmvae, 20, adata=data, mode="perturb", component=k, seed=0)
    idx = [data.obs_names.get_loc(o) for o in pert.obs["origin"].astype(str)]
    assert (assign[idx] == k).all() and pert.uns["simulation"]["component"] == k
    with pytest.raises(InputError, match="between 0 and 2"):
        simulate(gmvae, 10, mode="prior", component=3)
    with pytest.raises(InputError, match="no parameter 'component'"):
        simulate(vae, 10, component=0)
    with pytest.raises(InputError, match="at least 1"):
        simulate(vae, 0)


@pytest.fixture()
def finished_vae_run(workspace, data, vae):
    from core.data.store import save_prepared
    from core.jobs.rundir import create_run

    ds = save_prepared(data, "tiny")
    run = create_run("embed", "vae", ds.h5ad, {"likelihood": "nb"}, seed=0, device="cpu")
    vae.save(run.path / "checkpoints" / "model.pt")
    run.set_status("finished")
    return run


def test_simulate_from_run_and_cli(finished_vae_run, tmp_path, capsys):
    from core.cli import main

    sim = simulate_from_run(finished_vae_run.path, 30, noise=0.2, seed=0)
    assert sim.uns["simulation"]["noise"] == 0.2
    assert sim.uns["run_id"] == finished_vae_run.id and sim.n_obs == 30
    out = tmp_path / "sim.h5ad"
    assert main(["simulate", str(finished_vae_run.path), "--n-cells", "25", "--out", str(out), "--compare"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["n_cells"] == 25 and last["run_id"] == finished_vae_run.id and out.exists()
    assert 0.0 <= last["classifier_auc"] <= 1.0
    assert main(["simulate", str(finished_vae_run.path), "--n-cells", "5", "--component", "1", "--out", str(out)]) == 2


def test_simulate_task_writes_artifacts(finished_vae_run):
    from core.jobs.rundir import create_run
    from core.jobs.runner import run_job
    from core.simulation.task import load_comparison

    src = finished_vae_run
    run = create_run("simulate", "simulate", src.params["dataset"],
                     {"source_run": str(src.path), "n_cells": 60, "options": {"noise": 0.5}, "embed": False}, seed=0,
                     device="cpu")
    assert run_job(run.path, poll=0.05) == 0, run.status
    assert run.artifact("simulated.h5ad").exists()
    res, readings = load_comparison(run.path)
    assert res.summary["n_sim"] == 60 and len(res.genes) == 20 and len(readings) >= 4
    assert run.status["metrics"]["classifier_auc"] == res.summary["classifier_auc"]


def test_cli_trains_on_a_data_file(data, tmp_path, capsys):
    from core.cli import main

    path = tmp_path / "real.h5ad"
    data.write_h5ad(path)
    out = tmp_path / "sim.h5ad"
    assert main(["simulate", str(path), "--model", "gmvae", "--param", "clusters=2", "--param", "epochs=2",
                 "--n-cells", "20", "--component", "0", "--mode", "prior", "--out", str(out)]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["simulation_model"] == "gmvae" and last["simulation_component"] == 0
    assert main(["simulate", str(path), "--n-cells", "20", "--out", str(out)]) == 2  # no --model for a data file


@pytest.fixture(scope="module")
def deepsem(data):
    pytest.importorskip("core.models.deepsem.model")
    return train_model("deepsem", data, RunContext(seed=0), {"epochs": 2, "hidden": 8, "ensemble": 1})


def test_deepsem_perturbs_real_cells_and_keeps_zeros(deepsem, data):
    from core.simulation.task import compare_simulated

    sim = simulate(deepsem, 60, adata=data, noise=1.0, keep_zeros=True, seed=0, run_id="d1")
    assert sim.shape == (60, data.n_vars) and sim.obs["source"].eq("simulated").all()
    info = sim.uns["simulation"]
    assert info["model"] == "deepsem" and info["scale"] == "log-normalised counts" and info["keep_zeros"]
    idx = [data.obs_names.get_loc(o) for o in sim.obs["origin"].astype(str)]
    real = np.asarray(data.X)[idx]
    X = np.asarray(sim.X)
    assert np.all(X[real == 0] == 0) and X.min() >= 0  # zero pattern of the originating cell
    assert (X[real > 0] > 0).mean() > 0.5
    free = np.asarray(simulate(deepsem, 60, adata=data, noise=1.0, keep_zeros=False, seed=0).X)
    assert (free[real == 0] != 0).any()
    res = compare_simulated(data, sim, deepsem, embed=False, grn_method=None)
    assert res.summary["transform"] == "none" and res.summary["n_sim"] == 60  # both on DeepSEM's log scale
    with pytest.raises(InputError, match="no parameter 'component'"):
        simulate(deepsem, 10, adata=data, component=0)


def test_deepsem_run_directory(workspace, data, deepsem):
    from core.data.store import save_prepared
    from core.jobs.rundir import create_run

    ds = save_prepared(data, "tiny")
    run = create_run("grn", "deepsem", ds.h5ad, {"layer": ""}, seed=0, device="cpu")
    deepsem.save(run.path / "checkpoints" / "model.pt")
    run.set_status("finished")
    sim = simulate_from_run(run.path, 25, noise=0.5, seed=3)
    assert sim.uns["run_id"] == run.id and sim.n_obs == 25 and set(sim.obs["origin"].astype(str)) <= set(data.obs_names)

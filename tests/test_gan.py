"""scGAN / cscGAN: library-size normalised output, named loss terms, cluster-conditioned simulation, save/load."""

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import InputError
from core.models.base import BaseModel
from core.registry import methods
from core.simulation.simulate import simulate

SMALL = dict(epochs=120, generator_widths="32,32", critic_widths="32,32", latent_dim=8, batch_size=64,
             critic_steps=3, lr_generator=1e-3, lr_critic=1e-3)


@pytest.fixture(scope="module")
def two_types():
    """Two cell types with different expressed gene programmes (Poisson counts)."""
    rng = np.random.default_rng(0)
    n, g = 160, 16
    rate = np.full((2, g), 0.5)
    rate[0, :8], rate[1, 8:] = 12.0, 12.0
    y = np.repeat([0, 1], n // 2)
    X = rng.poisson(rate[y] * rng.uniform(0.7, 1.3, (n, 1))).astype(np.float32)
    a = ad.AnnData(X, obs=pd.DataFrame({"cell_type": pd.Categorical(np.array(["A", "B"])[y])},
                                       index=[f"c{i}" for i in range(n)]),
                   var=pd.DataFrame(index=[f"g{j}" for j in range(g)]))
    return a


def test_gans_are_registered_simulators():
    sims = methods("simulate")
    assert {"scgan", "cscgan"} <= set(sims) and "generate" in sims["scgan"].tasks
    assert {p.title for p in sims["cscgan"].params} >= {"critic steps per generator step", "gradient-penalty weight",
                                                         "latent size", "generator layer widths"}


def test_cscgan_simulates_cells_of_the_asked_cluster(two_types, tmp_path):
    torch.set_num_threads(1)
    from core.models.gan.model import CscGAN

    logs = []

    class Listen:
        def on_epoch_end(self, e, n, record):
            pass

        def log(self, m):
            logs.append(m)

    model = CscGAN(two_types, seed=0, **SMALL).train([Listen()])
    last = model.history[-1]
    assert {"generator_loss", "critic_loss", "wasserstein", "gradient_penalty"} <= set(last["terms"])
    assert "diversity" in last["metrics"]
    real = model.normalised(two_types)
    centres = np.stack([np.log1p(real[two_types.obs["cell_type"] == t]).mean(0) for t in ("A", "B")])
    for k, name in enumerate(("A", "B")):
        sim = simulate(model, 60, adata=two_types, seed=1, cluster=name)
        X = np.asarray(sim.X)
        np.testing.assert_allclose(X.sum(1), model.state["scale"], rtol=1e-4)  # library-size normalisation layer
        d = np.linalg.norm(np.log1p(X)[:, None, :] - centres[None], axis=2)
        assert (d.argmin(1) == k).mean() > 0.9, name
        assert set(sim.obs["origin"]) == {f"cluster {name}"}
    with pytest.raises(InputError, match="Unknown cluster"):
        simulate(model, 5, cluster="Z")
    path = model.save(tmp_path / "model.pt")
    again = BaseModel.load(path)
    np.testing.assert_allclose(again.generate(4, np.zeros(4, int), seed=3), model.generate(4, np.zeros(4, int), seed=3),
                               rtol=1e-5)


def test_scgan_refuses_negative_values_and_clusters(two_types):
    from core.models.gan.model import ScGAN

    bad = two_types.copy()
    bad.X[0, 0] = -1
    with pytest.raises(InputError, match="negative"):
        ScGAN(bad, **SMALL)
    model = ScGAN(two_types, seed=0, **{**SMALL, "epochs": 2}).train()
    with pytest.raises(InputError, match="cscGAN"):
        model.simulate(None, 5, cluster="A")


def test_a_cscgan_generate_run_is_a_simulation_source(workspace):
    from core.data.sample import prepare_sample
    from core.jobs.launch import launch
    from core.jobs.runner import run_job
    from core.simulation.task import launch_simulation, simulation_sources

    ds = prepare_sample("synthetic")
    held = type("Held", (), {"submit": lambda self, r: None})()
    run = launch(ds, "cscgan", {**SMALL, "epochs": 3}, executor=held)
    assert run.params["task"] == "generate"
    assert run_job(run.path, poll=0.05) == 0, run.status
    assert {"wasserstein", "diversity", "generator_loss"} <= set(run.metrics())
    assert simulation_sources([run]) == [run]
    sim = launch_simulation(run.path, 30, grn_method="", embed=False, executor=held)
    assert run_job(sim.path, poll=0.05) == 0, sim.status
    assert 0.0 <= sim.metrics()["classifier_auc"] <= 1.0

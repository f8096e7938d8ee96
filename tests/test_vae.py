"""VAE / GMVAE on tiny data: every likelihood trains, input checks, persistence, determinism, clusters."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pytest
import torch

from core.distributions import LIKELIHOODS
from core.errors import InputError, NonFiniteLossError
from core.context import RunContext
from core.models.base import BaseModel
from core.models.vae import GMVAE, VAE


def VAEModel(adata, clusters=0, **params):
    """The VAE, or the GMVAE with ``clusters`` components."""
    return GMVAE(adata, clusters=clusters, **params) if clusters else VAE(adata, **params)


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: threads only add overhead on a shared CPU
    yield
    torch.set_num_threads(n)


def blobs(n_per=60, n_genes=40, k=3, seed=0) -> ad.AnnData:
    """k well-separated cell types: each over-expresses its own block of genes (NB counts)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(k), n_per)
    mu = np.full((k, n_genes), 1.0)
    for j in range(k):
        mu[j, j * (n_genes // k):(j + 1) * (n_genes // k)] = 20.0
    lib = rng.uniform(0.7, 1.3, (len(labels), 1))
    counts = rng.poisson(rng.gamma(5.0, mu[labels] * lib / 5.0)).astype(np.float32)
    a = ad.AnnData(np.log1p(counts), obs={"label": labels.astype(str)})
    a.obs_names = [f"c{i}" for i in range(a.n_obs)]
    a.var_names = [f"g{i}" for i in range(n_genes)]
    a.layers["counts"] = counts
    return a


@pytest.fixture(scope="module")
def data():
    return blobs()


@pytest.mark.parametrize("likelihood", list(LIKELIHOODS))
@pytest.mark.parametrize("clusters", [0, 3])
def test_every_likelihood_trains_without_nan(data, likelihood, clusters):
    ctx = RunContext(seed=1)
    model = VAEModel(data, likelihood=likelihood, clusters=clusters, latent_dim=4, hidden=16, device="cpu", seed=1)
    model.train([ctx], epochs=3, batch_size=64, kl_warmup=2)
    assert len(ctx.history) == 3 and all(np.isfinite(r["loss"]) for r in ctx.history)
    z = model.get_latent()
    assert z.shape == (data.n_obs, 4) and np.isfinite(z).all()
    # count likelihoods picked the raw-count layer automatically, the others X
    assert model.state["layer"] == ("counts" if LIKELIHOODS[likelihood].counts else None)
    sim = model.sample_prior(7, component=1 if clusters else None)
    assert sim.shape == (7, data.n_vars) and np.isfinite(sim.X).all() and (sim.X >= 0).all()
    if LIKELIHOODS[likelihood].counts:
        assert np.array_equal(sim.X, np.round(sim.X))


def test_loss_decreases(data):
    model = VAEModel(data, likelihood="nb", latent_dim=4, hidden=32, device="cpu").train(epochs=20, lr=1e-2, kl_warmup=0)
    assert model.history[-1]["terms"]["loss"] < 0.9 * model.history[0]["terms"]["loss"]


def test_count_likelihood_refuses_non_counts_and_names_the_layer(data):
    with pytest.raises(InputError, match=r"non-integer.*choose layer 'counts'"):
        VAEModel(data, likelihood="nb", layer="X")
    neg = data.copy()
    neg.layers["counts"][0, 0] = -1
    with pytest.raises(InputError, match="negative values"):
        VAEModel(neg, likelihood="zinb", layer="counts")
    bare = ad.AnnData(data.X.copy())
    with pytest.raises(InputError, match="Gaussian / Continuous Bernoulli"):
        VAEModel(bare, likelihood="poisson")
    with pytest.raises(InputError, match="Layer 'nope' not found"):
        VAEModel(data, likelihood="gaussian", layer="nope")


def test_cb_targets_are_scaled_to_unit_interval(data):
    model = VAEModel(data, likelihood="cb", latent_dim=2, hidden=8, device="cpu")
    t = model.data.x_target
    assert t.min() == 0.0 and t.max() == pytest.approx(1.0) and np.allclose(t.max(0), 1.0)


def test_save_load_roundtrip_identical_latent(data, tmp_path):
    model = VAEModel(data, likelihood="zinb", clusters=3, latent_dim=3, hidden=16, device="cpu").train(epochs=2)
    path = model.save(tmp_path / "m.pt")
    loaded = BaseModel.load(path, device="cpu")
    np.testing.assert_array_equal(loaded.get_latent(data), model.get_latent())
    np.testing.assert_array_equal(loaded.get_clusters(data), model.get_clusters())
    assert loaded.params == model.params and loaded.state == model.state
    with pytest.raises(InputError, match="missing"):
        loaded.get_latent(data[:, :10])


def test_same_seed_same_result_different_seed_differs(data):
    fit = lambda s: VAEModel(data, likelihood="nb", latent_dim=3, hidden=16, seed=s, device="cpu").train(epochs=3)  # noqa: E731
    a, b, c = fit(5), fit(5), fit(6)
    np.testing.assert_array_equal(a.get_latent(), b.get_latent())
    assert not np.allclose(a.get_latent(), c.get_latent())


def test_gmvae_recovers_well_separated_clusters(data):
    """GMVAE clusters depend on the initialisation (like k-means): most seeds must find the 3 types."""
    from sklearn.metrics import adjusted_rand_score

    aris = []
    for seed in range(3):
        model = VAEModel(data, likelihood="nb", clusters=3, latent_dim=4, hidden=32, seed=seed, device="cpu")
        model.train(epochs=40, batch_size=64, kl_warmup=10)
        aris.append(adjusted_rand_score(data.obs["label"], model.get_clusters()))
    assert sum(a > 0.9 for a in aris) >= 2, aris


def test_nonfinite_loss_aborts_with_clear_reason(data):
    model = VAEModel(data, likelihood="gaussian", latent_dim=2, hidden=8, device="cpu")
    with torch.no_grad():
        model.module.px.log_scale.fill_(float("nan"))
    with pytest.raises(NonFiniteLossError, match="diverged"):
        model.train(epochs=2)


def test_perturb_keeps_cells_and_grows_with_noise(data):
    model = VAEModel(data, likelihood="nb", latent_dim=4, hidden=32, device="cpu").train(epochs=10)
    near, far = model.perturb(data, noise=0.0, seed=0), model.perturb(data, noise=5.0, seed=0)
    assert near.shape == data.shape and list(near.obs_names) == list(data.obs_names)
    assert "counts" in near.layers and np.array_equal(near.X, np.round(near.X))
    ref = np.log1p(data.layers["counts"])
    err = lambda s: np.mean((np.log1p(s.X) - ref) ** 2)  # noqa: E731
    assert err(near) < err(far)
    with pytest.raises(InputError):
        VAEModel(data, likelihood="nb").sample_prior(3, component=0)

"""DeepSEM: the fused per-gene MLP, ensemble independence, training, getters, persistence, runner."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core.context import RunContext
from core.models.deepsem.model import DeepSEM
from core.models.deepsem.module import DeepSEMModule, TokenMLP
from core.grn.task import infer_grn
from core.models.base import BaseModel
from core.models.deepsem.preprocess import Transform, expression_matrix
from core.registry import get_method


@pytest.fixture(scope="module")
def tiny():
    from core.data.synthetic import synthetic_dataset

    adata, truth, tfs = synthetic_dataset(n_cells=80, n_genes=16, n_tfs=4, seed=3)
    return adata, truth, tfs


def _reference_mlp(m: TokenMLP, u: torch.Tensor) -> torch.Tensor:
    a1 = torch.tanh(u[..., None] * m.w1[:, None, :] + m.b1[:, None, :])
    a2 = torch.tanh(a1 @ m.w2 + m.b2[:, None, :])
    return a2 @ m.w3 + m.b3[:, None, :]


@pytest.mark.parametrize("shared_input", [True, False])
def test_token_mlp_matches_autograd(shared_input):
    torch.manual_seed(0)
    m = TokenMLP(3, 8, 2, [0, 1, 2]).double()
    m.chunk_bytes = 1  # chunks of 256 tokens: several, the last one partial
    u = torch.randn(1 if shared_input else 3, 700, dtype=torch.double, requires_grad=not shared_input)
    out, ref = m(u), _reference_mlp(m, u)
    assert torch.allclose(out, ref, atol=1e-12)
    g = torch.randn_like(ref)
    wrt = list(m.parameters()) + ([] if shared_input else [u])
    for a, b in zip(torch.autograd.grad(out, wrt, g), torch.autograd.grad(ref, wrt, g)):
        assert torch.allclose(a, b, atol=1e-10)


def test_token_mlp_input_gradient_with_frozen_weights():
    """The W-only epochs: decoder weights frozen, only the gradient w.r.t. the tokens is propagated."""
    torch.manual_seed(1)
    m = TokenMLP(2, 8, 1, [0, 1]).double().requires_grad_(False)
    m.chunk_bytes = 1
    u = torch.randn(2, 600, dtype=torch.double, requires_grad=True)
    g = torch.randn(2, 600, 1, dtype=torch.double)
    (du,) = torch.autograd.grad(m(u), [u], g)
    (du_ref,) = torch.autograd.grad(_reference_mlp(m, u), [u], g)
    assert torch.allclose(du, du_ref, atol=1e-10)


def test_ensemble_members_are_independent_models():
    ens = DeepSEMModule(12, n_members=3, hidden=8, seed=5)
    single = DeepSEMModule(12, n_members=1, hidden=8, seed=6)  # = member 1 of the ensemble
    x = torch.randn(7, 12)
    mu_e, lv_e = ens.encode(x)
    mu_s, lv_s = single.encode(x)
    assert torch.allclose(mu_e[1], mu_s[0], atol=1e-6) and torch.allclose(lv_e[1], lv_s[0], atol=1e-6)
    assert torch.allclose(ens.W[1], single.W[0])
    assert not torch.allclose(ens.W[0], ens.W[1])
    # member 0's loss does not depend on member 2's parameters
    out = ens(x)
    grads = torch.autograd.grad(out["rec"][0] + out["kl"][0], [ens.decoder.w2, ens.W])
    assert grads[0][2].abs().max() == 0 and grads[1][2].abs().max() == 0
    assert grads[0][0].abs().max() > 0
    # W starts at 1/(G-1) + U(0, 2e-4) with a zero diagonal
    W = ens.W.detach()
    assert torch.all(torch.diagonal(W, dim1=1, dim2=2) == 0)
    off = W[0][~torch.eye(12, dtype=bool)]
    assert off.min() >= 1 / 11 and off.max() <= 1 / 11 + 2e-4


def test_decode_inverse_matches_solve():
    m = DeepSEMModule(10, n_members=2, hidden=8, seed=0)
    z = torch.randn(2, 5, 10)
    a = m.grn_matrix()
    assert torch.allclose(m.decode(z, a=a), m.decode(z, a_inv=torch.linalg.inv(a)), atol=1e-4)


def test_transforms_and_inverse():
    rng = np.random.default_rng(0)
    X = rng.gamma(2.0, 1.0, size=(50, 6)) * (rng.random((50, 6)) > 0.3)
    t = Transform.fit(X, "zscore")
    Z, mask = t.apply(X)
    assert mask is None and np.allclose(Z.mean(0), 0, atol=1e-5) and np.allclose(Z.std(0), 1, atol=1e-4)
    assert np.allclose(t.inverse(Z), X, atol=1e-4)
    t = Transform.fit(X, "nonzero")
    Z, mask = t.apply(X)
    nz = X != 0
    assert np.array_equal(mask.astype(bool), nz)
    for j in range(6):
        assert abs(Z[nz[:, j], j].mean()) < 1e-5
    assert Z.min() >= -10 and Z.max() <= 10
    assert np.allclose(t.inverse(Z)[nz], X[nz], atol=1e-4)


def test_counts_are_log_normalised(tiny):
    adata, _, _ = tiny
    X, counts = expression_matrix(adata)
    assert counts
    raw = np.asarray(adata.X)
    expected = np.log1p(raw / raw.sum(1, keepdims=True) * np.median(raw.sum(1)))
    assert np.allclose(X, expected, rtol=1e-4, atol=1e-4)
    logged = adata.copy()
    logged.X = X
    assert not expression_matrix(logged)[1]


def test_train_getters_save_load(tiny, tmp_path):
    adata, _, tfs = tiny
    ctx = RunContext(seed=1)
    model = DeepSEM(adata, ensemble=2, hidden=16, seed=1, epochs=6, lr=1e-3)
    model.train(callbacks=[ctx])
    assert [h["epoch"] for h in ctx.history] == list(range(1, 7))
    assert ctx.history[-1]["reconstruction"] < ctx.history[0]["reconstruction"]  # it learns
    W = model.adjacency()
    assert W.shape == (2, 16, 16) and np.all(np.diagonal(W, axis1=1, axis2=2) == 0)
    edges = model.get_grn(tfs=tfs, aggregate="mean")
    assert set(edges.source) <= set(tfs) and not (edges.source == edges.target).any()
    assert edges.weight.is_monotonic_decreasing and len(edges) == len(tfs) * 15
    g = {n: i for i, n in enumerate(model.genes)}
    r = edges.iloc[0]
    col = W[:, g[r.target], g[r.source]]
    assert np.isclose(r.weight, np.abs(col).mean(), atol=1e-6) and np.isclose(r.signed_weight, col.mean(), atol=1e-6)

    lat = model.get_latent()
    assert lat.shape == (adata.n_obs, 16) and np.isfinite(lat).all()
    sim, origin, settings = model.simulate(None, n_cells=30, noise=1.0, seed=0, keep_zeros=True)
    assert sim.shape == (30, 16) and (sim.X >= 0).all() and settings["keep_zeros"]
    X, _ = expression_matrix(adata)
    src = adata.obs_names.get_indexer(origin)
    assert np.all(sim.X[X[src] == 0] == 0)
    sim2, _, _ = model.simulate(None, n_cells=30, noise=1.0, seed=0, keep_zeros=True)
    assert np.array_equal(sim.X, sim2.X)
    assert not np.array_equal(sim.X, model.simulate(None, n_cells=30, noise=0.0, seed=0)[0].X)

    path = tmp_path / "model.pt"
    model.save(path)
    loaded = BaseModel.load(path, adata=adata)
    assert isinstance(loaded, DeepSEM)
    pd.testing.assert_frame_equal(loaded.get_grn(tfs=tfs, aggregate="mean"), edges)
    assert np.allclose(loaded.get_latent(), lat, atol=1e-6)


def test_same_seed_same_result(tiny):
    adata, _, _ = tiny
    e1 = DeepSEM(adata, hidden=8, seed=4, epochs=3).train().get_grn()
    e2 = DeepSEM(adata, hidden=8, seed=4, epochs=3).train().get_grn()
    e3 = DeepSEM(adata, hidden=8, seed=5, epochs=3).train().get_grn()
    pd.testing.assert_frame_equal(e1, e2)
    assert not np.allclose(e1.weight.to_numpy(), e3.weight.to_numpy())


def test_runner_through_registry(tiny):
    adata, _, tfs = tiny
    spec = get_method("deepsem")
    assert spec.presets["cell-type-specific"]["alpha"] == 1.0
    params = spec.resolve_params({"ensemble": 2, "epochs": 3, "hidden": 8}, preset="cell-type-specific")
    assert params["beta"] == 0.01 and params["setting"] == "cell-type-specific"
    ctx = RunContext(seed=0, tfs=tfs)
    edges = infer_grn(adata, "deepsem", ctx, params)
    assert set(edges.columns) >= {"source", "target", "weight", "signed_weight"}
    assert set(edges.source) <= set(tfs)
    assert len(ctx.history) == 3 and set(ctx.history[-1]["terms"]) == {"loss", "reconstruction", "kl", "l1"}
    # only a setting: unset epochs/alpha/beta follow it
    model = DeepSEM(adata, setting="cell-type-specific", ensemble=1, hidden=8, prior="learned")
    assert (model.setting("epochs"), model.setting("alpha"), model.setting("beta")) == (150, 1.0, 0.01)
    assert model.params["epochs"] is None


def test_bad_inputs_are_user_errors(tiny):
    from core.errors import InputError

    adata, _, _ = tiny
    with pytest.raises(InputError):
        DeepSEM(adata, setting="nope")
    with pytest.raises(InputError):
        DeepSEM(adata, ensemble=0)
    with pytest.raises(InputError):
        DeepSEM(adata[:, :1].copy())


def test_supplied_inverse_has_the_gradients_of_a_solve():
    from core.models.deepsem.module import _ApplyInverse

    gen = torch.Generator().manual_seed(0)
    S, B, G = 3, 5, 9
    a = (torch.eye(G) - 0.1 * torch.randn(S, G, G, generator=gen).double()).requires_grad_()
    z = torch.randn(S, B, G, generator=gen, dtype=torch.float64, requires_grad=True)
    g = torch.randn(S, B, G, generator=gen, dtype=torch.float64)
    y = _ApplyInverse.apply(z, a, torch.linalg.inv(a.detach()))
    dz, da = torch.autograd.grad((y * g).sum(), (z, a))
    y_ref = torch.linalg.solve(a, z, left=False)
    dz_ref, da_ref = torch.autograd.grad((y_ref * g).sum(), (z, a))
    assert torch.allclose(y, y_ref) and torch.allclose(dz, dz_ref) and torch.allclose(da, da_ref)


def test_refine_inverse_tracks_a_moving_matrix_and_falls_back_on_a_jump():
    from core.models.deepsem.module import refine_inverse

    gen = torch.Generator().manual_seed(1)
    G = 60
    a0 = torch.eye(G) - 0.02 * torch.rand(2, G, G, generator=gen)
    x0 = torch.linalg.inv(a0)
    a1 = a0 - 1e-3 * torch.randn(2, G, G, generator=gen)  # a W step
    x1 = refine_inverse(a1, x0)
    assert float((torch.eye(G) - a1 @ x1).abs().max()) < 1e-5 < float((torch.eye(G) - a1 @ x0).abs().max())
    a2 = a0 - 0.5 * torch.randn(2, G, G, generator=gen)  # far away: Newton-Schulz would diverge
    assert torch.allclose(refine_inverse(a2, x0), torch.linalg.inv(a2), atol=1e-4)


def test_inverse_updates_train_the_same_model_as_lu_solves(tiny):
    adata, _, _ = tiny
    runs = []
    for updates in (False, True):
        model = DeepSEM(adata, ensemble=2, hidden=8, seed=2, epochs=6, lr=1e-3)
        model.inverse_updates = updates
        runs.append(model.train().adjacency())
    # float32 rounding only (W moves by ~4e-3 in these epochs; a wrong gradient would differ by that much)
    assert np.abs(runs[0] - runs[1]).max() < 1e-5 and np.abs(runs[0]).max() > 1e-3


# ---- DAZZLE options ------------------------------------------------------------------------------------------
REFERENCE_RUNS = {  # W saved by the code before the DAZZLE options existed (tests/data/deepsem_w_before_dazzle.npz)
    "non_specific": dict(ensemble=2, epochs=6),
    "cell_type_specific": dict(setting="cell-type-specific", ensemble=1, epochs=4),
    "learned_mc": dict(ensemble=1, epochs=4, prior="learned", kl="mc", lr_decay=True),
}
DAZZLE_OFF = dict(dropout_augmentation=0.0, nonzero_loss=False, l1_delay=0, optimiser="alternating")


@pytest.mark.parametrize("name", list(REFERENCE_RUNS))
def test_dazzle_options_off_train_bit_identical_w(tiny, name):
    from pathlib import Path

    adata, _, _ = tiny
    ref = np.load(Path(__file__).parent / "data" / "deepsem_w_before_dazzle.npz")
    n = torch.get_num_threads()
    try:
        W = DeepSEM(adata, hidden=16, seed=7, lr=1e-3, threads=1, **REFERENCE_RUNS[name], **DAZZLE_OFF).train().adjacency()
    finally:
        torch.set_num_threads(n)
    W = W.astype(np.float32)
    if not np.array_equal(W, ref[name]):
        diff = float(np.abs(W - ref[name]).max())
        assert diff < 1e-5, f"W changed: max |dW| {diff}"
        pytest.skip(f"W differs from the saved one by {diff:.1e} only: other CPU kernels than the machine that saved it")


def test_dazzle_preset_trains_every_option(tiny):
    adata, _, tfs = tiny
    spec = get_method("deepsem")
    params = spec.resolve_params({"ensemble": 2, "epochs": 7, "hidden": 8}, preset="DAZZLE")
    assert (params["dropout_augmentation"], params["optimiser"], params["l1_delay"], params["nonzero_loss"]) == (0.1, "joint", 5, True)
    model = DeepSEM(adata, seed=0, **params)
    assert {"da_w", "da_b"} <= {n for n, _ in model.module.named_parameters()}
    ctx = RunContext(seed=0)
    model.train(callbacks=[ctx])
    hist = ctx.history
    assert set(hist[-1]["terms"]) == {"loss", "reconstruction", "kl", "l1", "dropout_classifier"}
    # L1 off for the first 5 epochs: the loss is rec + kl + 0.5 * classifier, then alpha * l1 joins it
    for t in hist[:5]:
        assert t["loss"] == pytest.approx(t["reconstruction"] + t["kl"] + 0.5 * t["dropout_classifier"], rel=1e-4)
    t = hist[6]
    assert t["loss"] == pytest.approx(t["reconstruction"] + t["kl"] + 0.5 * t["dropout_classifier"] + 100 * t["l1"], rel=1e-4)
    edges = model.get_grn(tfs=tfs)
    assert len(edges) == len(tfs) * 15 and np.isfinite(edges.weight).all()
    # joint: W moves in every epoch (alternating leaves it frozen in network epochs)
    m1 = DeepSEM(adata, seed=0, **{**params, "epochs": 1})
    W0 = m1.module.W.detach().clone()
    m1.train()
    assert not torch.equal(W0, m1.module.W.detach())
    m2 = DeepSEM(adata, seed=0, ensemble=2, hidden=8, epochs=1)
    W0 = m2.module.W.detach().clone()
    m2.train()
    assert torch.equal(W0, m2.module.W.detach())


def test_dropout_augmentation_zeroes_entries_and_the_classifier_learns(tiny):
    adata, _, _ = tiny
    model = DeepSEM(adata, seed=0, ensemble=1, hidden=8, epochs=1, dropout_augmentation=0.3)
    plan = model.training_plan()
    seen = {}
    real_forward = model.module.forward

    def spy(x, *a, **kw):
        seen["x"], seen["inj"] = x, kw["injected"]
        return real_forward(x, *a, **kw)

    model.module.forward = spy
    plan.configure_optimizers()
    plan.on_epoch_start(0)
    idx = next(iter(plan.batches(0)))
    plan.training_step(idx)
    inj = seen["inj"]
    zero = torch.as_tensor(model.transform.apply(np.zeros((1, len(model.genes))))[0][0])
    assert 0.2 < inj.float().mean() < 0.4  # about 30 % injected
    assert torch.equal(seen["x"][inj], zero.expand_as(seen["x"])[inj])  # injected = a raw zero, transformed
    assert torch.equal(seen["x"][~inj], plan.Z[idx][~inj])
    # with a strong weight the classifier beats chance at telling injected zeros apart
    ctx = RunContext(seed=0)
    m = DeepSEM(adata, seed=0, ensemble=1, hidden=8, epochs=30, lr=1e-2, dropout_augmentation=0.3, da_weight=5.0,
                optimiser="joint")
    m.train(callbacks=[ctx])
    assert ctx.history[-1]["dropout_classifier"] < 0.9 * ctx.history[0]["dropout_classifier"]

"""CaTran: architecture, masking, training, interventional loss, export, persistence (tiny data, seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.data.perturbation import perturbation_dataset
from core.errors import InputError
from core.context import RunContext
from core.models.base import BaseModel
from core.models.build import train_model
from core.models.catran.model import CaTran, perturbation_indices
from core.models.catran.module import CaTranModule, n_parameters
from core.models.catran.train import (
    effect_loss,
    hide_by_shuffling,
    interventional_loss,
    measured_effects,
    reconstruction_loss,
)
from core.registry import get_method

FAST = dict(epochs=2, min_steps_per_epoch=2, batch_cells=128)


@pytest.fixture(scope="module")
def pert_data():
    return perturbation_dataset(n_genes=20, n_tfs=6, n_perturbed=3, n_control=120, cells_per_perturbation=40, seed=0)


@pytest.mark.parametrize("n_genes", [30, 500, 2000])
def test_parameter_count_matches_paper_formula(n_genes):
    n = n_parameters(CaTranModule(n_genes, embed_dim=40))
    expected = 9000 + 40 * n_genes
    assert abs(n - expected) / expected < 0.10, (n, expected)
    # the per-gene part is exactly the embedding
    assert n_parameters(CaTranModule(n_genes + 1)) - n == 40


def test_shuffling_permutes_values_among_hidden_positions():
    x = torch.arange(40 * 25, dtype=torch.float32).reshape(40, 25)  # all values distinct
    corrupted, hidden = hide_by_shuffling(x, 0.8, torch.Generator().manual_seed(0))
    assert (hidden.sum(1) == 20).all()  # 80% of the genes of every cell
    assert torch.equal(corrupted[~hidden], x[~hidden])  # visible untouched
    assert torch.equal(corrupted[hidden].sort().values, x[hidden].sort().values)  # same multiset
    assert (corrupted[hidden] != x[hidden]).float().mean() > 0.9  # really moved


def test_attention_rows_sum_to_one_over_sources_without_self():
    m = CaTranModule(12)
    A = m.attention().detach()
    assert torch.allclose(A.sum(1), torch.ones(12), atol=1e-5)
    assert torch.all(torch.diagonal(A) == 0)
    pred, A_sub = m(torch.randn(7, 5), torch.tensor([0, 3, 4, 8, 11]))
    assert pred.shape == (7, 5) and torch.allclose(A_sub.sum(1), torch.ones(5), atol=1e-5)


def test_training_lowers_loss_and_is_seed_reproducible(synthetic_small):
    adata, _, tfs = synthetic_small
    a = trained(adata, ctx=RunContext(seed=3), epochs=4, min_steps_per_epoch=3, batch_cells=128)
    b = trained(adata, ctx=RunContext(seed=3), epochs=4, min_steps_per_epoch=3, batch_cells=128)
    c = trained(adata, ctx=RunContext(seed=4), epochs=4, min_steps_per_epoch=3, batch_cells=128)
    assert a.history[-1]["terms"]["loss"] < a.history[0]["terms"]["loss"]
    np.testing.assert_array_equal(a.get_adjacency(), b.get_adjacency())
    assert not np.array_equal(a.get_adjacency(), c.get_adjacency())


def trained(adata, ctx=None, **params) -> CaTran:
    """CaTran with the run context's seed and TFs, trained with the context as its progress callback."""
    ctx = ctx or RunContext()
    return CaTran(adata, seed=ctx.seed, tfs=ctx.tfs, **params).train(callbacks=[ctx])


def test_uses_counts_layer_by_default(synthetic_small):
    adata, _, _ = synthetic_small
    ad = adata.copy()
    ad.X = np.log1p(ad.X)
    assert CaTran(ad, standardize=False).data["X"].max() == pytest.approx(float(ad.layers["counts"].max()))
    assert CaTran(ad, use_counts=False, standardize=False).data["X"].max() == pytest.approx(float(ad.X.max()))


def test_get_grn_top_k_no_self_loops_and_tf_sources(synthetic_small):
    adata, _, tfs = synthetic_small
    m = trained(adata, ctx=RunContext(seed=0), **FAST)
    edges = m.get_grn(top_k=25)
    assert len(edges) == 25 and (edges.source != edges.target).all()
    assert edges.weight.is_monotonic_decreasing
    assert edges.attrs["n_parameters"] == m.n_parameters
    tf_edges = m.get_grn(top_k=40, tfs=tfs)
    assert len(tf_edges) == 40 and set(tf_edges.source) <= set(tfs)
    sym = m.get_adjacency(symmetrise=True)
    np.testing.assert_array_equal(sym, sym.T)


def test_save_load_round_trip(tmp_path, synthetic_small):
    adata, _, _ = synthetic_small
    m = trained(adata, ctx=RunContext(seed=1), **FAST)
    m.save(tmp_path / "model.pt")
    loaded = BaseModel.load(tmp_path / "model.pt", adata=adata)
    assert isinstance(loaded, CaTran)
    np.testing.assert_array_equal(m.get_adjacency(), loaded.get_adjacency())
    assert loaded.genes == m.genes and loaded.history == m.history


def test_interventional_loss_targets_perturbed_source_column():
    torch.manual_seed(0)
    x, pred = torch.randn(30, 4), torch.randn(30, 4)
    attn = torch.softmax(torch.randn(4, 4, requires_grad=True), 1)
    pert = torch.tensor([1] * 10 + [-1] * 20)
    loss = interventional_loss(pred, x, attn, pert)
    loss.backward()
    assert loss > 0
    assert interventional_loss(pred, x, attn, torch.full((30,), -1)) is None


def test_interventional_targets_paper_vs_centred():
    # identical errors in perturbed and other cells: the paper's importance is 0.5, the centred one 0
    x = torch.zeros(20, 3)
    pred = torch.ones(20, 3)
    attn = torch.full((3, 3), 0.25)
    pert = torch.tensor([0] * 10 + [-1] * 10)
    paper = interventional_loss(pred, x, attn, pert, "paper")
    centred = interventional_loss(pred, x, attn, pert, "centred")
    assert paper.item() == pytest.approx(0.5 * 0.25**2)
    assert centred.item() == pytest.approx(0.5 * 0.25**2)  # |0.25 - 0.5| == |0.25 - 0|
    attn = torch.full((3, 3), 0.5)
    assert interventional_loss(pred, x, attn, pert, "paper").item() == pytest.approx(0.0)
    assert interventional_loss(pred, x, attn, pert, "centred").item() == pytest.approx(0.5 * 0.5**2)


def test_scaled_target_is_capped_by_the_rows_strongest_weight():
    # gene 1 perfectly predicted in cells where gene 0 is perturbed: importance -> 1 (centred)
    x = torch.zeros(20, 3)
    pred = torch.ones(20, 3)
    pred[:10, 1] = 0.0
    pert = torch.tensor([0] * 10 + [-1] * 10)
    attn = torch.tensor([[0.0, 0.5, 0.5], [0.2, 0.0, 0.8], [0.5, 0.5, 0.0]])
    # centred: A[1, 0] = 0.2 pulled to 1; scaled: to 1 * max(row 1) = 0.8; gene 2 unaffected -> 0
    centred = interventional_loss(pred, x, attn, pert, "centred")
    scaled = interventional_loss(pred, x, attn, pert, "scaled")
    assert centred.item() == pytest.approx((0.5 * 0.8**2 + 0.5 * 0.5**2) / 2, rel=1e-3)
    assert scaled.item() == pytest.approx((0.5 * 0.6**2 + 0.5 * 0.5**2) / 2, rel=1e-3)


def test_interventional_training_runs_and_changes_result(pert_data):
    adata, _, tfs, perturbed = pert_data
    assert set(perturbed) <= set(tfs) and "control" in set(adata.obs["perturbation"])
    ctx_obs, ctx_int = RunContext(seed=0), RunContext(seed=0)
    obs = trained(adata, ctx=ctx_obs, **FAST)
    itv = trained(adata, perturbation_key="perturbation", ctx=ctx_int, **FAST)
    assert "interventional" in ctx_int.history[-1]["terms"] and "interventional" not in ctx_obs.history[-1]["terms"]
    assert not np.allclose(obs.get_adjacency(), itv.get_adjacency())


def test_perturbation_labels_and_errors(synthetic_small):
    adata, _, _ = synthetic_small
    idx = perturbation_indices(["control", "G001", "non-targeting", "nope"], ["TF01", "G001"])
    assert idx.tolist() == [-1, 1, -1, -1]
    with pytest.raises(InputError, match="not an obs column"):
        CaTran(adata, perturbation_key="guide")
    ad = adata.copy()
    ad.obs["guide"] = "control"
    with pytest.raises(InputError, match="names a gene"):
        CaTran(ad, perturbation_key="guide")


def test_runner_via_registry(synthetic_small):
    adata, _, tfs = synthetic_small
    spec = get_method("catran")
    params = spec.resolve_params({"epochs": 2, "min_steps_per_epoch": 2, "top_k": 30})
    edges = train_model(spec, adata, RunContext(seed=0, tfs=tfs), params).get_grn(tfs=tfs)
    assert len(edges) == 30 and set(edges.source) <= set(tfs)
    assert abs(edges.attrs["n_parameters"] - (9000 + 40 * adata.n_vars)) < 0.1 * (9000 + 40 * adata.n_vars)
    assert {"embed_dim", "lr", "perturbation_key", "top_k", "symmetrise"} <= set(spec.defaults())


def test_cli_grn_with_perturbation_key(tmp_path, pert_data, capsys):
    import json

    from core.cli import main

    adata, _, tfs, _ = pert_data
    path = tmp_path / "pert.h5ad"
    adata.write_h5ad(path)
    out = tmp_path / "edges.tsv"
    rc = main(["grn", str(path), "--model", "catran", "--perturbation-key", "perturbation", "--top-k", "15",
               "--epochs", "1", "--param", "min_steps_per_epoch=1", "--param", "batch_cells=64", "--out", str(out)])
    assert rc == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["model"] == "catran" and result["n_edges"] == 15
    assert result["params"]["perturbation_key"] == "perturbation"
    assert result["n_parameters"] == 8734 + 40 * adata.n_vars
    assert main(["grn", str(path), "--model", "catran", "--perturbation-key", "guide", "--epochs", "1",
                 "--out", str(out)]) == 2


def test_measured_effects_gate_scale_and_missing_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    pert = np.full(400, -1)
    pert[:100] = 0  # gene 0 perturbed: gene 1 shifts strongly, gene 2 weakly, genes 3-4 not at all
    X[:100, 1] += 3.0
    X[:100, 2] += 0.5
    E = measured_effects(X, pert)
    assert np.isnan(E[1:]).all()  # never perturbed
    assert E[0, 0] == 0.0 and E[0, 1] == pytest.approx(1.0)
    assert 0.0 < E[0, 2] < 1.0 and E[0, 3] == 0.0 and E[0, 4] == 0.0
    # scale-free: multiplying a gene's values changes nothing
    X2 = X.copy()
    X2[:, 2] *= 100.0
    np.testing.assert_allclose(measured_effects(X2, pert), E)


def test_effect_loss_targets_live_on_the_rows_scale():
    attn = torch.tensor([[0.0, 0.3, 0.7], [0.6, 0.0, 0.4], [0.2, 0.8, 0.0]], requires_grad=True)
    effects = torch.tensor([[0.0, 1.0, 0.0], [float("nan")] * 3, [float("nan")] * 3])
    loss = effect_loss(attn, effects)
    # A[1, 0] = 0.6 -> 1 * max(row 1) = 0.6 (no loss); A[2, 0] = 0.2 -> 0 (non-responder)
    assert loss.item() == pytest.approx(0.5 * 0.2**2 / 2, rel=1e-4)
    loss.backward()
    assert attn.grad[2, 0] > 0 and attn.grad[1, 0] == 0
    assert effect_loss(attn, torch.full((3, 3), float("nan"))) is None


def test_reconstruction_loss_skips_masked_positions():
    x, pred = torch.zeros(4, 3), torch.zeros(4, 3)
    pred[0, 1] = 5.0  # the only error, at a position masked out
    hidden = torch.ones(4, 3, dtype=torch.bool)
    keep = torch.ones(4, 3, dtype=torch.bool)
    keep[0, 1] = False
    assert reconstruction_loss(pred, x, hidden).item() > 0
    assert reconstruction_loss(pred, x, hidden, keep).item() == 0.0


def test_interventional_loss_raises_attention_on_true_targets(pert_data):
    # a knock-out moves its targets strongly: with the (default, measured-effect) interventional loss the
    # perturbed genes put more attention on their true targets, and less on the genes that do not respond
    adata, truth, _, perturbed = pert_data
    kw = dict(epochs=20, min_steps_per_epoch=5, batch_cells=256)  # 100 Lion steps: attention leaves uniform
    obs = trained(adata, ctx=RunContext(seed=0), **kw).get_adjacency()
    itv = trained(adata, perturbation_key="perturbation", ctx=RunContext(seed=0), **kw).get_adjacency()
    genes = list(adata.var_names)
    true_w = {"obs": [], "itv": []}
    other_w = {"obs": [], "itv": []}
    for g in perturbed:
        i = genes.index(g)
        targets = set(truth.Gene2[truth.Gene1 == g])
        for j, t in enumerate(genes):
            if j == i:
                continue
            bucket = true_w if t in targets else other_w
            bucket["obs"].append(obs[i, j])
            bucket["itv"].append(itv[i, j])
    t_obs, t_itv = np.mean(true_w["obs"]), np.mean(true_w["itv"])
    o_obs, o_itv = np.mean(other_w["obs"]), np.mean(other_w["itv"])
    assert t_itv > 1.3 * t_obs and o_itv < o_obs
    # and the true targets now stand out from the non-targets of the perturbed genes (measured ~2.6 vs ~1.1)
    assert t_itv / o_itv > 2.0 and t_itv / o_itv > 1.5 * t_obs / o_obs


def test_unknown_intervention_target_is_rejected(pert_data):
    adata = pert_data[0]
    with pytest.raises(ValueError, match="intervention_target"):
        trained(adata, perturbation_key="perturbation", ctx=RunContext(seed=0), intervention_target="nope", **FAST)


def test_source_mask_puts_no_attention_on_other_sources():
    m = CaTranModule(10)
    src = torch.zeros(10, dtype=torch.bool)
    src[[1, 4, 7]] = True
    m.set_sources(src)
    A = m.attention().detach()
    assert torch.all(A[:, ~src] == 0)
    assert torch.allclose(A.sum(1), torch.ones(10), atol=1e-5)  # each target: a distribution over the TFs
    # a subset whose only source is the target itself: that row has no allowed source -> zeros, no NaN
    idx = torch.tensor([0, 4, 5])
    A_sub = m.attention(idx)
    assert torch.isfinite(A_sub).all() and A_sub[1].sum() == 0 and torch.allclose(A_sub[[0, 2]].sum(1), torch.ones(2))
    pred, _ = m(torch.randn(6, 3), idx)
    pred.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in m.parameters() if p.grad is not None)
    m.set_sources(None)
    assert (m.attention().detach()[:, ~src].sum(0) > 0).all()


def test_tf_list_restricts_trained_attention_sources(tmp_path, synthetic_small):
    adata, _, tfs = synthetic_small
    genes = list(adata.var_names)
    is_tf = np.isin(genes, tfs)
    m = trained(adata, ctx=RunContext(seed=0, tfs=tfs), tf_sources=True, **FAST)
    A = m.get_attention()  # [target, source]
    assert np.all(A[:, ~is_tf] == 0) and np.allclose(A.sum(1), 1.0)
    edges = m.get_grn(top_k=None)
    assert set(edges.loc[edges.weight > 0, "source"]) <= set(tfs)
    m.save(tmp_path / "c.pt")
    np.testing.assert_array_equal(CaTran.load(tmp_path / "c.pt").get_attention(), A)
    # no TF list, or tf_sources off (default): every gene is a source (the unrestricted behaviour)
    for free in (trained(adata, ctx=RunContext(seed=0), tf_sources=True, **FAST),
                 trained(adata, ctx=RunContext(seed=0, tfs=tfs), **FAST)):
        assert (free.get_attention()[:, ~is_tf].sum(1) > 0).all()


def test_gene_subsets_hold_every_source():
    from core.models.catran.train import sample_genes

    gen = torch.Generator().manual_seed(0)
    src = torch.zeros(50, dtype=torch.bool)
    src[[3, 10, 20, 41]] = True
    for _ in range(5):
        g = sample_genes(50, 12, gen, src)
        assert len(g) == 12 and len(set(g.tolist())) == 12 and bool(torch.all(g[1:] > g[:-1]))
        assert set(torch.nonzero(src).flatten().tolist()) <= set(g.tolist())
    assert len(sample_genes(50, 12, gen)) == 12 and len(sample_genes(50, 60, gen, src)) == 50


def test_ensemble_ranks_by_the_mean_attention_of_consecutive_seeds(synthetic_small):
    adata, _, tfs = synthetic_small
    fast = dict(epochs=2, min_steps_per_epoch=2, batch_cells=128)
    ctx = RunContext(seed=5, tfs=tfs)
    edges = trained(adata, ctx, ensemble=2, **fast).get_grn(tfs=tfs)
    assert ctx.seed == 5 and [r["epoch"] for r in ctx.history] == [1, 2, 1, 2]  # progress restarts per member
    mean = (trained(adata, ctx=RunContext(seed=5), **fast).get_adjacency()
            + trained(adata, ctx=RunContext(seed=6), **fast).get_adjacency()) / 2
    genes = list(adata.var_names)
    got = {(s, t): w for s, t, w in zip(edges.source, edges.target, edges.weight)}
    for s, t in list(got)[:20]:
        assert got[s, t] == pytest.approx(mean[genes.index(s), genes.index(t)], rel=1e-5)
    assert set(edges.source) <= set(tfs)


def test_steps_per_epoch_scale_with_gene_pair_coverage():
    from core.models.catran.train import pair_coverage, steps_per_epoch

    assert pair_coverage(60, 500) == 1.0
    cov = pair_coverage(821, 500)  # BEELINE mDC in 500-gene batches
    assert cov == pytest.approx(500 * 499 / (821 * 820)) and 0.37 < cov < 0.372
    assert pair_coverage(821, 500, n_sources=300) == pytest.approx(200 / 521)  # sources in every batch
    # a small dataset (one batch) gets min_pair_steps / coverage steps; a big one at least one pass over its cells
    assert steps_per_epoch(383, 2048, 20, 1.0) == 20
    assert steps_per_epoch(383, 2048, 20, cov) == 54
    assert steps_per_epoch(200_000, 2048, 20, 1.0) == 98


def test_steps_per_epoch_grow_at_most_linearly_with_genes():
    """Issue 13: (genes / 500)^2 steps made 20k-gene data take 32,000 steps per epoch. Up to 2 x max_genes the
    pair-coverage rule holds (BEELINE mDC 821 and mHSC-L 560 genes keep 54 and 26 steps); beyond, linear."""
    from core.models.catran.train import effective_coverage, pair_coverage, steps_per_epoch

    def steps(g):
        return steps_per_epoch(383, 2048, 20, effective_coverage(g, 500))

    assert steps(821) == 54 and steps(560) == 26 and steps(400) == 20  # unchanged on BEELINE sizes
    assert effective_coverage(821, 500) == pair_coverage(821, 500)
    assert steps(2000) == 160 and steps(20_000) == 1600  # 2 x genes / 500 x 20
    assert steps(20_000) / steps(2000) == pytest.approx(10, rel=0.01)  # linear: 10x genes, 10x steps
    assert steps(20_000) < 20 / pair_coverage(20_000, 500) / 10  # the old rule: 32,000
    # restricted sources in every batch: already linear, unchanged
    assert effective_coverage(821, 500, n_sources=300) == pytest.approx(200 / 521)


def test_training_takes_the_coverage_scaled_number_of_steps(monkeypatch):
    # 30 genes in 10-gene batches: a pair is in 10*9/(30*29) of the batches (2 pair steps would need 20 steps), but
    # 30 genes is over 2 x 10, so the linear floor 10 / (2 * 30) applies: ceil(2 / (1/6)) = 12 steps
    import lion_pytorch

    rng = np.random.default_rng(0)
    import anndata as ad

    adata = ad.AnnData(rng.normal(size=(40, 30)).astype(np.float32))
    calls = []
    orig = lion_pytorch.Lion.step
    monkeypatch.setattr(lion_pytorch.Lion, "step", lambda self, *a, **k: (calls.append(1), orig(self, *a, **k))[1])
    trained(adata, ctx=RunContext(seed=0), epochs=1, min_steps_per_epoch=2, batch_cells=64, max_genes=10)
    assert len(calls) == 12


def _layer_by_layer(m: CaTranModule, x: torch.Tensor, gene_idx: torch.Tensor) -> torch.Tensor:
    """The published architecture step by step (materialised tokens), the reference for the factored forward."""
    attn = m.attention(gene_idx)
    tokens = m.token(torch.cat([x.unsqueeze(-1), m.embedding(gene_idx).expand(x.shape[0], -1, -1)], -1))
    tokens = m.token_bn(tokens)
    mixed = torch.einsum("lj,bjc->blc", attn, tokens)
    h = m.act(m.mix_bn2(m.mix_linear(m.mix_bn(mixed))))
    return m.head2(m.act(m.head1(h))).squeeze(-1)


@pytest.mark.parametrize("training", [True, False])
def test_factored_forward_equals_the_layer_by_layer_network(training):
    torch.manual_seed(0)
    a = CaTranModule(30, 8).double()
    with torch.no_grad():  # move every parameter off its initial value (batch norms included)
        for p in a.parameters():
            p.add_(0.3 * torch.randn_like(p))
    b = CaTranModule(30, 8).double()
    b.load_state_dict(a.state_dict())
    x = torch.randn(17, 12, dtype=torch.float64) * 2 + 0.5
    genes = torch.tensor([0, 2, 3, 5, 7, 11, 13, 17, 19, 23, 27, 29])
    for _ in range(2 if not training else 1):  # eval: use running statistics gathered in training
        a.train(), b.train()
        a(x, genes), _layer_by_layer(b, x, genes)
    a.train(training), b.train(training)
    out_a, _ = a(x, genes)
    out_b = _layer_by_layer(b, x, genes)
    assert torch.allclose(out_a, out_b, atol=1e-10, rtol=1e-9)
    for (name, buf_a), buf_b in zip(a.named_buffers(), b.buffers()):
        assert torch.allclose(buf_a.double(), buf_b.double(), atol=1e-12), name
    weights = torch.randn_like(out_a)
    (out_a * weights).sum().backward()
    (out_b * weights).sum().backward()
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        assert pa.grad is not None and torch.allclose(pa.grad, pb.grad, atol=1e-9, rtol=1e-7), name

"""Summary, preprocessing presets, sample data and the correlation baseline on real computations."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.preprocess import apply_preset, nonzero_standardize
from core.data.summary import summarize, value_kind
from core.errors import InputError


def test_value_kinds():
    rng = np.random.default_rng(0)
    counts = rng.poisson(3, size=(50, 10)).astype(float)
    assert value_kind(counts) == "counts"
    assert value_kind(np.log1p(counts / counts.sum(1, keepdims=True) * 1e4)) == "log-normalised"
    assert value_kind((counts - counts.mean(0)) / (counts.std(0) + 1)) == "scaled"


def test_presets_record_steps_and_keep_counts(synthetic_small):
    adata, _, _ = synthetic_small
    out = apply_preset(adata, "log1p")
    assert value_kind(out.X) == "log-normalised" and value_kind(out.layers["counts"]) == "counts"
    assert any("normalize_log1p" in k for k in out.uns["scgrn_preprocessing"])
    np.testing.assert_allclose(np.expm1(out.X).sum(1), 1e4, rtol=1e-3)
    z = apply_preset(out, "zscore")
    np.testing.assert_allclose(z.X.mean(0), 0, atol=1e-5)
    with pytest.raises(InputError, match="needs raw counts"):
        apply_preset(z, "log1p")
    hv = apply_preset(adata, "log1p_hvg", n_top_genes=20)
    assert hv.n_vars == 20


def test_nonzero_standardize_keeps_zeros():
    X = np.array([[0, 1.0], [2.0, 0], [4.0, 3.0], [0, 5.0]])
    Z = nonzero_standardize(X)
    assert (Z[X == 0] == 0).all()
    np.testing.assert_allclose(Z[X[:, 0] != 0, 0], [-1, 1])
    assert np.abs(nonzero_standardize(np.array([[0.0], [1.0], [1e9]] * 50))).max() <= 10


def test_synthetic_data_carries_its_network(synthetic_small):
    """Pearson on the simulated counts ranks true edges far above chance (the sample data are learnable)."""
    from core.grn.correlation import pearson_grn
    from core.context import RunContext

    adata, truth, tfs = synthetic_small
    s = summarize(adata)
    assert s.value_kind == "counts" and 0.05 < s.sparsity < 0.9
    edges = pearson_grn(apply_preset(adata, "log1p"), RunContext(tfs=tfs))
    true = set(zip(truth.Gene1, truth.Gene2))
    k = len(true)
    precision = np.mean([(a, b) in true for a, b in zip(edges.source[:k], edges.target[:k])])
    density = k / (len(tfs) * (adata.n_vars - 1))
    assert precision > 1.5 * density  # EPR > 1.5 even on this tiny, dense network
    assert set(edges.source) <= set(tfs) and not (edges.source == edges.target).any()


def test_synthetic_knockout_silences_gene():
    from core.data.synthetic import random_network, simulate_counts

    net = random_network(n_genes=20, n_tfs=5, seed=1)
    a = simulate_counts(net, n_cells=100, perturbations=["TF03"], cells_per_perturbation=50, knockdown=0.0, seed=2)
    ko = a[a.obs["perturbation"] == "TF03"]
    assert ko.n_obs == 50 and (ko[:, "TF03"].X == 0).all()


def test_pbmc_counts_are_integers_with_labels():
    from core.data.sample import pbmc68k_counts

    a = pbmc68k_counts()
    assert a.shape == (700, 765) and value_kind(a.X) == "counts"
    assert a.obs["bulk_labels"].nunique() == 10

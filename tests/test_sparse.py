"""Sparse end to end (issue 13): reading, preprocessing and VAE training keep a sparse X sparse; only
mini-batches are densified."""

import tracemalloc

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp

from core.data.preprocess import apply_preset, nonzero_standardize
from core.io import expression
from core.io.expression import read_expression
from core.models.vae.model import GMVAE, VAE


def sparse_counts(n_cells, n_genes, density=0.06, seed=0):
    """Counts with 4 cell groups, built sparse (never dense): each group raises its own quarter of the genes."""
    rng = np.random.default_rng(seed)
    m = sp.random(n_cells, n_genes, density=density, format="csr", random_state=seed, dtype=np.float32,
                  data_rvs=lambda k: rng.poisson(2.0, k) + 1.0)
    group = rng.integers(0, 4, n_cells)
    rows, cols = m.nonzero()
    boost = (cols * 4 // n_genes) == group[rows]
    m.data[boost] *= 4
    out = ad.AnnData(m)
    out.obs_names = [f"cell{i}" for i in range(n_cells)]
    out.var_names = [f"g{j}" for j in range(n_genes)]
    out.obs["group"] = group.astype(str)
    return out


def _pipeline(path, **vae):
    adata = read_expression(path)
    assert sp.issparse(adata.X)
    adata = apply_preset(adata, "log1p")
    assert sp.issparse(adata.X) and sp.issparse(adata.layers["counts"])
    model = VAE(adata, likelihood="nb", layer="counts", latent_dim=8, device="cpu", **vae).train(epochs=1)
    return model.get_latent()


def test_20k_cells_read_preprocess_vae_epoch_never_dense(tmp_path, monkeypatch):
    """20k x 2k counts (5 % non-zero): read + log1p preset + one NB VAE epoch + the latent, with numpy's
    allocations traced (after a warm-up on tiny data, so imports are not counted) and every sparse ->
    dense conversion of half the matrix or more recorded. A dense float32 copy alone is 160 MB."""
    n, g = 20_000, 2_000
    sparse_counts(200, 50).write_h5ad(tmp_path / "tiny.h5ad")
    _pipeline(tmp_path / "tiny.h5ad", hidden=8)  # imports and first-call caches
    path = tmp_path / "big.h5ad"
    sparse_counts(n, g, density=0.05).write_h5ad(path)
    dense_bytes = n * g * 4
    full = []
    for cls in (sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.csc_array, sp.coo_matrix, sp.coo_array):
        for name in ("toarray", "todense"):
            real = getattr(cls, name)

            def watched(self, *a, _real=real, **k):
                if self.shape[0] * self.shape[1] >= n * g // 2:
                    full.append(self.shape)
                return _real(self, *a, **k)

            monkeypatch.setattr(cls, name, watched)
    tracemalloc.start()
    try:
        z = _pipeline(path, hidden=32, batch_size=512)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not full, f"the whole matrix was densified: {full}"
    assert z.shape == (n, 8) and np.isfinite(z).all()
    assert peak < dense_bytes, f"traced peak {peak / 1e6:.0f} MB vs dense {dense_bytes / 1e6:.0f} MB"


@pytest.mark.parametrize("cls,likelihood,layer", [(VAE, "nb", "counts"), (VAE, "cb", "X"), (GMVAE, "gaussian", "X")])
def test_sparse_and_dense_train_the_same_model(cls, likelihood, layer):
    """Densifying per batch changes nothing: the same seed gives the same latent from a sparse or a dense X."""
    sparse = apply_preset(sparse_counts(300, 40, density=0.3), "log1p")
    dense = sparse.copy()
    dense.X, dense.layers["counts"] = sparse.X.toarray(), sparse.layers["counts"].toarray()
    kw = dict(likelihood=likelihood, layer=layer, hidden=16, latent_dim=3, device="cpu", seed=0)
    if cls is GMVAE:
        kw["clusters"] = 3
    a, b = cls(sparse, **kw).train(epochs=2), cls(dense, **kw).train(epochs=2)
    assert a.data.sparse and not b.data.sparse
    assert a.state == b.state
    np.testing.assert_allclose(a.get_latent(), b.get_latent(), rtol=1e-4, atol=1e-5)
    sim_a, _, _ = a.simulate(None, 50, seed=1)
    sim_b, _, _ = b.simulate(None, 50, seed=1)
    np.testing.assert_allclose(np.asarray(sim_a.X), np.asarray(sim_b.X), rtol=1e-3, atol=1e-3)


def test_nonzero_standardize_sparse_matches_dense():
    m = sparse_counts(200, 30, density=0.2).X
    m.data[:5] = 0.0  # explicit zeros are zeros
    out = nonzero_standardize(m)
    assert sp.issparse(out)
    ref = nonzero_standardize(m.toarray())
    np.testing.assert_allclose(out.toarray(), ref, atol=1e-5)
    col = m.toarray()[:, 3]
    v = col[col != 0]
    np.testing.assert_allclose(ref[col != 0, 3], (v - v.mean()) / v.std(), atol=1e-6)


def test_large_dense_h5ad_is_read_backed_into_sparse(tmp_path, monkeypatch):
    """An h5ad with a dense X above the threshold is read block by block into CSR, values and names unchanged."""
    src = sparse_counts(500, 60, density=0.1)
    src.X = src.X.toarray()
    src.layers["counts"] = src.X.copy()
    src.write_h5ad(tmp_path / "dense.h5ad")
    monkeypatch.setattr(expression, "DENSE_H5AD_BYTES", 1000)
    monkeypatch.setattr(expression, "BLOCK_BYTES", 60 * 4 * 64)  # 64 rows per block
    out = read_expression(tmp_path / "dense.h5ad")
    assert sp.issparse(out.X) and out.uns["scgrn_read"]["backed"]
    np.testing.assert_array_equal(out.X.toarray(), src.X)
    assert list(out.obs_names) == list(src.obs_names) and list(out.obs["group"]) == list(src.obs["group"])
    np.testing.assert_array_equal(np.asarray(out.layers["counts"]), src.X)
    monkeypatch.setattr(expression, "DENSE_H5AD_BYTES", 1 << 40)
    assert not sp.issparse(read_expression(tmp_path / "dense.h5ad").X)  # small files: a plain read

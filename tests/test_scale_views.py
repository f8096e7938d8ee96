"""Views at 100k cells (issue 13): the UMAP travels as compact typed arrays, the density view bins on the
server, and the marker size shrinks with the number of cells."""

import json

import anndata as ad
import numpy as np
import pytest

from core.embedding import views as V


def _embedding(n, seed=0):
    rng = np.random.default_rng(seed)
    a = ad.AnnData(np.zeros((n, 1), np.float32))
    a.obsm["X_umap"] = rng.normal(size=(n, 2)).astype(np.float64)
    return a


def test_umap_of_100k_cells_is_webgl_with_small_markers_and_compact_payload():
    a = _embedding(100_000)
    values = np.asarray(a.obsm["X_umap"][:, 0])
    fig = V.umap_figure(a, values, categorical=False)
    tr = fig.data[0]
    assert tr.type == "scattergl" and tr.marker.size == 2
    payload = fig.to_json()
    # float32 coordinates + colour and int32 indices: 16 bytes a cell, ~26 base64-encoded (float64: ~43)
    assert len(payload) < 100_000 * 30, len(payload) / 100_000
    assert json.loads(payload)["data"][0]["x"]["dtype"] == "f4"
    assert V.marker_style(1_000)["size"] == 5 and V.marker_style(20_000)["size"] == 3


def test_density_view_bins_cells_on_the_server():
    a = _embedding(5_000)
    xy = a.obsm["X_umap"]
    values = (xy[:, 0] > 0).astype(float)  # 1 on the right half, 0 on the left
    fig, what = V.density_figure(a, values, categorical=False, bins=20)
    z = np.asarray(fig.data[0].z, float)  # rows = y bins, columns = x bins
    assert z.shape == (20, 20) and "mean value" in what
    x = np.asarray(fig.data[0].x, float)
    assert np.nanmin(z[:, x > 0.3]) == 1.0 and np.nanmax(z[:, x < -0.3]) == 0.0
    fig, what = V.density_figure(a, np.array(["a"] * 5_000), categorical=True, bins=20)
    counts = 10 ** np.nan_to_num(np.asarray(fig.data[0].z, float), nan=-np.inf)
    assert counts.sum() == pytest.approx(5_000) and "number of cells" in what
    assert len(fig.to_json()) < 50_000  # an image of 20 x 20 pixels, whatever the number of cells


def test_silhouette_of_many_cells_is_sampled(monkeypatch):
    from core.embedding import metrics as M

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 3_000)
    latent = labels[:, None] * 3.0 + rng.normal(size=(3_000, 4))
    full = M.asw(latent, labels)
    monkeypatch.setattr(M, "ASW_MAX_CELLS", 500)
    sampled = M.asw(latent, labels)
    assert sampled != full and abs(sampled - full) < 0.05 and sampled == M.asw(latent, labels)


def test_sparse_qc_metrics_match_dense():
    import scipy.sparse as sp

    from core.data.summary import qc_metrics

    rng = np.random.default_rng(1)
    dense = rng.poisson(0.5, size=(300, 40)).astype(np.float32)
    m = sp.csr_matrix(dense)
    m.data[:7] = 0.0  # explicit zeros are not detected genes
    dense = m.toarray()
    cs, gs = qc_metrics(ad.AnnData(m))
    cd, gd = qc_metrics(ad.AnnData(dense))
    np.testing.assert_allclose(cs.to_numpy(float), cd.to_numpy(float), rtol=1e-6)
    np.testing.assert_allclose(gs.to_numpy(float), gd.to_numpy(float), rtol=1e-5, atol=1e-9)


def test_grn_layout_of_2000_genes_is_igraph_deterministic_and_spread():
    import pandas as pd

    from core.grn.view import layout as L

    rng = np.random.default_rng(0)
    genes = [f"g{i}" for i in range(2_000)]
    e = pd.DataFrame({"source": np.repeat(genes[:100], 30), "target": rng.choice(genes, 3_000),
                      "weight": rng.random(3_000)})
    e = e[e.source != e.target]
    a, b = L.compute_layout(e, seed=1), L.compute_layout(e, seed=1)
    assert a == b and len(a) == len(set(e.source) | set(e.target))
    xy = np.array(list(a.values()))
    assert np.isfinite(xy).all() and len(np.unique(xy.round(1), axis=0)) > 0.95 * len(xy)  # no pile-ups

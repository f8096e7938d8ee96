"""Latent interpolation: endpoints decode near their groups' mean expression; top genes; CSV; UMAP path."""

import io

import numpy as np
import pandas as pd
import pytest
import torch

from core.embedding.interpolate import interpolate, label_mask
from core.errors import InputError


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    from core.data.synthetic import synthetic_dataset
    from core.models.vae.model import VAE

    adata, _, _ = synthetic_dataset(n_cells=300, n_genes=30, n_tfs=8, seed=1)
    model = VAE(adata, likelihood="nb", epochs=120, kl_warmup=5, hidden=32, latent_dim=4, seed=0).train()
    out = model.embed(adata)
    out.obsm["X_umap"] = out.obsm[model.latent_key][:, :2] * 3.0
    return model, out


def test_endpoints_decode_near_their_group_means(trained):
    model, adata = trained
    a, b = label_mask(adata, "cell_state", "state1"), label_mask(adata, "cell_state", "state2")
    path = interpolate(model, adata, a, b, n_steps=11, labels=("state1", "state2"))
    X = np.asarray(adata.X)
    norm = X / X.sum(1, keepdims=True) * 1e4
    mean_a, mean_b = np.log1p(norm[a].mean(0)), np.log1p(norm[b].mean(0))
    start, end = np.log1p(path.expression.iloc[0].to_numpy()), np.log1p(path.expression.iloc[-1].to_numpy())
    dist = lambda u, v: float(np.abs(u - v).mean())  # noqa: E731
    assert dist(start, mean_a) < dist(start, mean_b) and dist(end, mean_b) < dist(end, mean_a)
    top = path.top_genes(5)
    diff = np.abs(mean_a - mean_b)
    genes = list(adata.var_names)
    assert np.mean([diff[genes.index(g)] for g in top.index]) > np.median(diff)  # they differ between the groups
    assert path.heatmap(5).shape == (5, 11)
    back = pd.read_csv(io.StringIO(path.to_csv()), index_col=0)
    assert back.shape == (11, len(genes)) and back.index[0] == 0.0 and back.index[-1] == 1.0
    assert path.umap.shape == (11, 2)


def test_interpolation_needs_cells_in_both_groups(trained):
    model, adata = trained
    with pytest.raises(InputError, match="no cells"):
        interpolate(model, adata, label_mask(adata, "cell_state", "nope"), adata.obs_names[:5].tolist())

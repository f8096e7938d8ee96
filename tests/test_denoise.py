"""Denoised expression of the VAE / GMVAE: recovers hidden counts better than the gene-mean floor; CLI."""

import json

import anndata as ad
import numpy as np
import pytest
import torch

from core.cli import main
from core.models.holdout import gene_mean_floor, hide_counts, recovery


@pytest.fixture(scope="module")
def masked_data():
    from core.data.synthetic import synthetic_dataset

    adata, _, _ = synthetic_dataset(n_cells=400, n_genes=30, n_tfs=8, seed=3)
    X = np.asarray(adata.X)
    masked, hidden = hide_counts(X, 0.1, seed=0)
    m = ad.AnnData(masked, obs=adata.obs.copy(), var=adata.var.copy())
    m.layers["counts"] = masked.copy()
    return X, masked, hidden, m


def test_hide_counts_hides_a_tenth_of_the_nonzero_counts(masked_data):
    X, masked, (rows, cols), _ = masked_data
    assert np.all(X[rows, cols] > 0) and np.all(masked[rows, cols] == 0)
    assert abs(rows.size / np.count_nonzero(X) - 0.1) < 0.01
    assert (masked.sum(1) > 0).all()


@pytest.mark.parametrize("family", ["vae", "gmvae"])
def test_denoised_expression_recovers_hidden_counts_better_than_the_gene_mean(masked_data, family):
    torch.set_num_threads(1)
    from core.models.vae.model import GMVAE, VAE

    X, masked, hidden, m = masked_data
    cls = {"vae": VAE, "gmvae": GMVAE}[family]
    extra = {"clusters": 3} if family == "gmvae" else {}
    model = cls(m, likelihood="nb", epochs=40, kl_warmup=5, hidden=32, latent_dim=4, seed=0, **extra).train()
    out = model.denoise(m)
    den = out.layers["denoised"]
    assert den.shape == X.shape and np.all(den > 0)
    np.testing.assert_allclose(den.sum(1), masked.sum(1), rtol=1e-3)  # observed library size
    ours, floor = recovery(X, masked, den, hidden), recovery(X, masked, gene_mean_floor(masked), hidden)
    assert ours["r_log"] > floor["r_log"] + 0.02, (ours, floor)
    assert ours["rmse_log"] < floor["rmse_log"], (ours, floor)
    cp10k = model.get_denoised(m, library=1e4)
    np.testing.assert_allclose(cp10k.sum(1), 1e4, rtol=1e-3)


def test_scgrn_denoise_cli_writes_the_denoised_layer(masked_data, tmp_path, capsys):
    _, _, _, m = masked_data
    src = tmp_path / "in.h5ad"
    m.write_h5ad(src)
    out = tmp_path / "out.h5ad"
    rc = main(["denoise", str(src), "--model", "vae", "--param", "epochs=2", "--param", "hidden=16", "--out", str(out)])
    assert rc == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["layer"] == "denoised" and result["model"] == "vae"
    back = ad.read_h5ad(out)
    assert back.layers["denoised"].shape == m.shape and back.uns["denoised"]["model"] == "vae"
    assert main(["denoise", str(src), "--model", "pearson", "--out", str(out)]) == 2


def test_posterior_samples_average_converges_is_seeded_and_changes_the_output(masked_data):
    """``n_samples`` > 1 averages the decoded mean over posterior draws of z: reproducible with a seed, different
    from decoding the posterior mean, and the average of more draws moves less between seeds."""
    torch.set_num_threads(1)
    from core.models.vae.model import VAE

    _, _, _, m = masked_data
    model = VAE(m, likelihood="nb", epochs=15, kl_warmup=3, hidden=16, latent_dim=4, seed=0).train()
    at_mean = model.get_denoised(m)
    a = model.get_denoised(m, n_samples=4, seed=1)
    np.testing.assert_array_equal(a, model.get_denoised(m, n_samples=4, seed=1))
    assert not np.allclose(a, at_mean, rtol=1e-3)
    np.testing.assert_allclose(a.sum(1), m.X.sum(1), rtol=1e-3)  # still at the observed library
    spread = {n: np.abs(model.get_denoised(m, n_samples=n, seed=1) - model.get_denoised(m, n_samples=n, seed=2)).mean()
              for n in (2, 64)}
    assert spread[64] < 0.5 * spread[2], spread
    with pytest.raises(Exception, match="n_samples"):
        model.get_denoised(m, n_samples=0)

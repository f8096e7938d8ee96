"""VAE.get_gene_correlation: the model's gene-gene correlation from gamma draws (not the decoded means)."""

import numpy as np

from core.context import RunContext
from core.data.synthetic import random_network, simulate_counts
from core.models.build import train_model


def test_gene_correlation_is_a_seeded_correlation_matrix_and_differs_from_the_means():
    net = random_network(n_genes=20, n_tfs=4, seed=0)
    a = simulate_counts(net, n_cells=150, seed=1)
    m = train_model("vae", a, RunContext(seed=0), {"likelihood": "nb", "epochs": 5})
    c = m.get_gene_correlation(a, n_samples=3, seed=0)
    assert c.shape == (20, 20)
    np.testing.assert_allclose(c, c.T, atol=1e-10)
    np.testing.assert_allclose(np.diag(c), 1.0)
    assert np.abs(c).max() <= 1.0
    np.testing.assert_array_equal(c, m.get_gene_correlation(a, n_samples=3, seed=0))
    mean_corr = np.corrcoef(np.log1p(m.get_denoised(a, library=1e4)), rowvar=False)
    iu = np.triu_indices(20, 1)
    # the gamma draws add gene-specific variation: correlations shrink relative to those of the decoded means
    assert np.abs(c[iu]).mean() < np.abs(mean_corr[iu]).mean()

"""core.data.matrix_stats: the one-pass CSR statistics equal numpy's on the dense matrix, implicit zeros included."""

import numpy as np
import pytest
import scipy.sparse as sp

from core.data.matrix_stats import matrix_stats


def _awkward(seed=0):
    rng = np.random.default_rng(seed)
    dense = rng.normal(size=(40, 25)) * (rng.random((40, 25)) < 0.3)
    dense[:, 7] = 0.0  # an empty gene
    dense[:, 9] = -2.0  # a gene negative everywhere (no implicit zero)
    dense[5, 9] = -3.0
    dense[3, :] = 0.0  # a cell empty but for gene 9
    dense[3, 9] = -2.0
    return dense


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_stats_equal_dense(fmt):
    dense = _awkward()
    m = sp.csr_matrix(dense)
    m.data[0] = 0.0  # a stored zero is not a detected gene
    dense.flat[np.ravel_multi_index((m.nonzero()[0][0], m.indices[0]), dense.shape)] = 0.0
    s, d = matrix_stats(m.asformat(fmt)), matrix_stats(dense)
    for field in ("cell_sum", "cell_min", "cell_max", "gene_sum", "gene_sumsq", "gene_min", "gene_max"):
        np.testing.assert_allclose(getattr(s, field), getattr(d, field), atol=1e-12, err_msg=field)
    np.testing.assert_array_equal(s.cell_nonzero, (dense != 0).sum(axis=1))
    np.testing.assert_array_equal(s.gene_nonzero, (dense != 0).sum(axis=0))
    assert s.gene_max[9] == -2.0 and s.gene_min[9] == -3.0  # a full column: no implicit zero
    assert s.gene_min[7] == s.gene_max[7] == 0.0
    assert (s.cell_min[3], s.cell_max[3], s.cell_nonzero[3]) == (-2.0, 0.0, 1)
    assert s.abs_max == np.abs(dense).max()


def test_non_finite_values_are_counted():
    dense = _awkward().astype(np.float32)
    dense[1, 1], dense[2, 2], dense[4, 4] = np.nan, np.inf, -np.inf
    for X in (dense, sp.csr_matrix(dense)):
        st = matrix_stats(X)
        assert (st.n_nan, st.n_inf) == (1, 2)

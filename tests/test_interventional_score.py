"""CausalBench statistical score on simulated knock-outs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.perturbation import perturbation_dataset
from core.errors import InputError
from core.grn.interventional_score import interventional_score


@pytest.fixture(scope="module")
def data():
    return perturbation_dataset(n_genes=20, n_tfs=6, n_perturbed=2, n_control=200, cells_per_perturbation=80, seed=0)


def test_true_edges_score_above_random_pairs(data):
    adata, truth, tfs, perturbed = data
    true = truth[truth.Gene1.isin(perturbed)]
    true_edges = pd.DataFrame({"source": true.Gene1, "target": true.Gene2, "weight": 1.0})
    res = interventional_score(true_edges, adata, top_k=None)
    assert res["n_evaluated"] == len(true_edges) and res["precision"] >= 0.8
    others = [g for g in adata.var_names if not ((true.Gene1 == perturbed[0]) & (true.Gene2 == g)).any() and g != perturbed[0]]
    # a knocked-out gene's non-targets mostly do not move (the simulator's effects run along true edges)
    fake = pd.DataFrame({"source": perturbed[0], "target": others, "weight": 1.0})
    fake_res = interventional_score(fake, adata, top_k=None)
    assert fake_res["mean_wasserstein"] < res["mean_wasserstein"]


def test_unperturbed_sources_are_skipped_and_top_k(data):
    adata, _, tfs, perturbed = data
    free = [t for t in tfs if t not in perturbed][0]
    edges = pd.DataFrame({"source": [free, perturbed[0], perturbed[0]], "target": ["G001", "G002", "G003"], "weight": [3.0, 2.0, 1.0]})
    assert interventional_score(edges, adata, top_k=None)["n_evaluated"] == 2
    assert interventional_score(edges, adata, top_k=2)["n_evaluated"] == 1
    with pytest.raises(InputError):
        interventional_score(edges, adata, perturbation_key="guide")

"""Real-vs-simulated comparison and the naive peer, on tiny synthetic data."""

from __future__ import annotations

import json

import anndata as ad
import numpy as np
import pytest

from core.errors import InputError
from core.grn.correlation import correlation_matrix
from core.simulation import compare as C
from core.simulation.naive import naive_peer
from core.simulation.readings import readings


@pytest.fixture(scope="module")
def data():
    from core.data.synthetic import synthetic_dataset

    adata, _, tfs = synthetic_dataset(n_cells=400, n_genes=30, n_tfs=8, seed=0)
    return adata, tfs


def _cmp(real, sim, **kw):
    kw.setdefault("embed", False)
    kw.setdefault("n_estimators", 60)
    return C.compare(real, sim, **kw)


def test_same_distribution_is_near_chance(data):
    adata, _ = data
    res = _cmp(adata[:200], adata[200:])
    s = res.summary
    assert 0.35 <= s["classifier_auc"] <= 0.65
    assert s["mean_corr"] > 0.95 and s["zero_frac_corr"] > 0.85
    assert s["transform"] == "lognorm"
    assert s["grn_overlap_10"] > 0.5  # same generating network => same top correlations


def test_shifted_copy_is_told_apart(data):
    adata, _ = data
    shifted = adata.copy()
    shifted.X = np.asarray(shifted.X).copy()
    shifted.X[:, :8] *= 4  # TFs four times higher
    res = _cmp(adata, shifted)
    assert res.summary["classifier_auc"] > 0.95
    same = _cmp(adata[:200], adata[200:])
    assert res.summary["energy_distance"] > 3 * same.summary["energy_distance"]


def test_naive_peer_keeps_marginals_breaks_structure(data):
    adata, tfs = data
    naive = naive_peer(adata, n_cells=400, seed=1)
    assert naive.obs["source"].eq("naive").all() and list(naive.var_names) == list(adata.var_names)
    # each gene's values come from that gene's observed values
    X = np.asarray(adata.X)
    for j in (0, 15, 29):
        assert set(np.unique(naive.X[:, j])) <= set(np.unique(X[:, j]))
    res = _cmp(adata, naive)
    s = res.summary
    assert s["mean_corr"] > 0.98 and s["var_corr"] > 0.95 and s["zero_frac_corr"] > 0.95
    assert s["grn_overlap_10"] < 0.3  # chance is 0.10; the real data score > 0.5 (test above)
    Cn = np.abs(correlation_matrix(C.log_normalize(np.asarray(naive.X, dtype=float)))).mean()
    Cr = np.abs(correlation_matrix(C.log_normalize(X.astype(float)))).mean()
    assert Cn < 0.5 * Cr
    assert s["classifier_auc"] > 0.8


def test_perturbed_twins_stay_in_one_fold(data):
    """A simulated cell made from real cell c must not be trained on while c is tested (or vice versa).

    Near-copies of the real cells, with plain stratified folds, score an AUC near 0 (each held-out real cell
    looks like the 'simulated' twin the forest was trained on): a biased test. With the originating cell
    named in obs["origin"] the folds keep twins together and the AUC is the fair ~0.5.
    """
    adata, _ = data
    rng = np.random.default_rng(0)
    X = np.asarray(adata.X).astype(int)
    twins = ad.AnnData(rng.binomial(X, 0.97).astype(np.float32), var=adata.var[[]].copy())
    twins.obs_names = [f"s{i}" for i in range(twins.n_obs)]
    unlinked = _cmp(adata, twins, grn_method=None).summary
    assert not unlinked["classifier_grouped"] and unlinked["classifier_auc"] < 0.3  # the bias, shown
    twins.obs["origin"] = adata.obs_names.to_numpy()
    linked = _cmp(adata, twins, grn_method=None).summary
    assert linked["classifier_grouped"] and 0.35 <= linked["classifier_auc"] <= 0.65
    # ... which is why the copy check exists: near-copies sit on top of real cells, unlike a real split
    assert linked["nn_distance_ratio"] < 0.3 and linked["copy_fraction"] > 0.2
    half = _cmp(adata[:200], adata[200:], grn_method=None).summary
    assert 0.7 < half["nn_distance_ratio"] < 1.5 and half["copy_fraction"] < 0.05
    assert any("near-copies" in t for t in readings(linked))
    # the groups: real cell c and its twin share one; unlinked simulated cells get their own
    gr, gs = C.origin_groups(adata, twins)
    assert list(gr[:3]) == list(gs[:3])
    twins.obs["origin"] = ["prior"] * twins.n_obs
    assert C.origin_groups(adata, twins) is None
    # all simulated cells from 2 real cells: grouped 5-fold CV is impossible, plain folds are used instead
    twins.obs["origin"] = [adata.obs_names[i % 2] for i in range(twins.n_obs)]
    few = _cmp(adata, twins, grn_method=None).summary
    assert not few["classifier_grouped"] and np.isfinite(few["classifier_auc"])


def test_energy_distance_zero_for_identical_and_positive_otherwise():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(80, 5))
    assert C.energy_distance(A, A.copy())["energy_distance"] == pytest.approx(0.0, abs=1e-12)
    B = A + np.array([2.0, 0, 0, 0, 0])
    e = C.energy_distance(A, B)
    assert e["energy_distance"] > 1.0 and 0 < e["energy_coefficient"] < 1
    # known value for two point masses: E = 2|a-b| - 0 - 0, coefficient = 1
    p = C.energy_distance(np.zeros((3, 2)), np.ones((4, 2)))
    assert p["energy_distance"] == pytest.approx(2 * np.sqrt(2)) and p["energy_coefficient"] == pytest.approx(1.0)


def test_grn_overlap_definition():
    import pandas as pd

    real = pd.DataFrame({"source": list("aaaabbbb"), "target": list("bcdeacde"), "weight": np.arange(8, 0, -1.0)})
    sim = real.copy()
    sim["weight"] = sim["weight"].to_numpy()[::-1]  # reversed ranking
    out = C.grn_overlap(real, sim, ks=(0.25, 0.5, 1.0))
    assert out["n_edges"].tolist() == [2, 4, 8]
    assert out["overlap"].tolist() == [0.0, 0.0, 1.0]
    assert C.grn_overlap(real, real, ks=(0.25,))["overlap"].iloc[0] == 1.0


def test_joint_embedding_clusters_and_proportions(data):
    adata, _ = data
    res = C.compare(adata[:200], adata[200:], embed=True, n_estimators=30, grn_method=None)
    assert set(res.cells["source"]) == {"real", "simulated"} and len(res.cells) == 400
    assert res.cluster_props.sum().round(6).tolist() == [1.0, 1.0]
    assert res.summary["cluster_tvd"] < 0.3
    d = res.to_dict()
    json.dumps(d)
    assert "cluster_proportions" in d
    texts = readings(res.summary)
    assert any("random forest" in t for t in texts) and any("clusters" in t for t in texts)


def test_readings_wording():
    texts = readings({"classifier_auc": 0.55, "grn_overlap_10": 0.09, "mean_corr": 0.99})
    assert "55% of the time" in texts[0] and "close to chance" in texts[0]
    assert "gene-gene structure is lost" in texts[-1]
    assert "almost always recognised" in readings({"classifier_auc": 0.97})[0]


def test_input_errors(data):
    adata, _ = data
    other = ad.AnnData(np.ones((20, 3), dtype=np.float32))
    other.var_names = ["x", "y", "z"]
    with pytest.raises(InputError, match="share 0 gene"):
        C.compare(adata, other)
    with pytest.raises(InputError, match="Layer 'nope'"):
        C.compare(adata, adata, layer="nope")


def test_cli_compare_prints_json_last(data, tmp_path, capsys):
    from core.cli import main

    adata, _ = data
    adata[:200].write_h5ad(tmp_path / "real.h5ad")
    naive_peer(adata[200:], seed=3).write_h5ad(tmp_path / "sim.h5ad")
    assert main(["compare", str(tmp_path / "real.h5ad"), str(tmp_path / "sim.h5ad"), "--out", str(tmp_path / "c.json")]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("classifier_auc", "mean_corr", "var_corr", "zero_frac_corr", "energy_distance"):
        assert isinstance(last[key], float)
    assert last["classifier_auc"] > 0.7 and json.loads((tmp_path / "c.json").read_text())["n_real"] == 200
    assert main(["compare", str(tmp_path / "real.h5ad"), str(tmp_path / "sim.h5ad"), "--layer", "nope"]) == 2


def test_large_sets_are_subsampled_and_the_sizes_stated(data, monkeypatch):
    """Above the cap each set is compared on a random subsample, never densified whole; the page's sentence
    states both sizes. Under the cap nothing is said."""
    adata, _ = data
    densified = []
    real_dense = C.dense_matrix
    monkeypatch.setattr(C, "dense_matrix", lambda a, layer=None: densified.append(a.n_obs) or real_dense(a, layer))
    res = _cmp(adata, adata[:300], grn_method=None, max_compare_cells=250, max_cells=100)
    s = res.summary
    assert densified == [250, 250]
    assert (s["n_real"], s["n_real_total"], s["n_sim"], s["n_sim_total"]) == (250, 400, 250, 300)
    assert s["n_pca_cells"] == [100, 100]
    sentence = C.sample_sizes(s)
    assert "250 of 400 real and 250 of 300 simulated" in sentence and "on 100 real and 100 simulated" in sentence
    small = _cmp(adata[:200], adata[200:], grn_method=None)
    assert small.summary["n_real_total"] == 200 and C.sample_sizes(small.summary) == ""

"""EPR / AUPRC ratio under BEELINE's and DeepSEM's conventions: published fixed point and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.grn.scoring import evaluate_grn, score_grn

# Truth A->B, B->C: TFs {A, B}, genes {A, B, C}; pool without self pairs = A->B, A->C, B->A, B->C (4), k = 2.
TRUTH = pd.DataFrame({"Gene1": ["A", "B"], "Gene2": ["B", "C"]})


def edges(rows):
    return pd.DataFrame(rows, columns=["source", "target", "weight"])


def test_deepsem_demo_fixed_point(shared_data):
    d = shared_data / "deepsem_hESC_demo"
    out = pd.read_csv(d / "deepsem_demo_output_seed0.tsv", sep="\t")
    label = pd.read_csv(d / "label.csv")
    m = score_grn(out, label, convention="deepsem")
    assert round(m["epr"], 3) == 1.218
    assert round(m["auprc_ratio"], 3) == 1.163
    assert m["n_true_edges"] == 4526 and m["n_tfs"] == 34 and m["n_genes"] == 813
    # BEELINE's pool has no self pairs: same EPR here (no ties), slightly different AUPRC ratio.
    b = score_grn(out, label, convention="beeline")
    assert b["epr"] == pytest.approx(m["epr"])
    assert b["auprc_ratio"] == pytest.approx(1.16187, abs=1e-4)


@pytest.mark.parametrize("convention", ["beeline", "deepsem"])
def test_perfect_ranking_reaches_the_maximum(convention):
    m = score_grn(edges([("A", "B", 0.9), ("B", "C", -0.8), ("A", "C", 0.1), ("B", "A", 0.05)]), TRUTH, convention=convention)
    assert m["n_true_edges"] == 2 and m["n_candidates"] == 4
    assert m["epr"] == pytest.approx(2.0)  # 1 / density
    assert m["auprc_ratio"] == pytest.approx(1.0 / m["density"])


def test_worst_ranking_beeline():
    m = score_grn(edges([("B", "A", 0.9), ("A", "C", 0.8), ("A", "B", 0.1), ("B", "C", 0.05)]), TRUTH)
    assert m["epr"] == 0.0
    assert m["auprc_ratio"] == pytest.approx((1 / 3 + 2 / 4) / 2 / 0.5)  # positives at ranks 3 and 4


def test_ties_at_cutoff_kept_by_beeline_not_by_deepsem():
    rows = [("A", "B", 0.9), ("A", "C", 0.5), ("B", "C", 0.5), ("B", "A", 0.1)]
    b = evaluate_grn(edges(rows), TRUTH, convention="beeline")
    assert b.metrics["n_top_edges"] == 3 and b.metrics["epr"] == pytest.approx((2 / 3) / 0.5)
    assert set(b.top_edges.target) == {"B", "C"} and b.top_edges.is_true.sum() == 2
    d = evaluate_grn(edges(rows), TRUTH, convention="deepsem")
    assert d.metrics["n_top_edges"] == 2 and d.metrics["epr"] == pytest.approx(1 / (4 / 4))


def test_missing_pairs_scored_zero_vs_minus_one_with_self_pairs():
    only = edges([("A", "B", 0.9), ("C", "A", 5.0), ("A", "A", 7.0)])  # non-TF source and self-loop ignored
    b = score_grn(only, TRUTH, convention="beeline")
    assert b["n_predicted_in_pool"] == 1 and b["epr"] == pytest.approx(2.0)
    assert b["auprc_ratio"] == pytest.approx((0.5 * 1 + 0.5 * 0.5) / 0.5)
    d = score_grn(only, TRUTH, convention="deepsem")
    assert d["n_pool_auprc"] == 6  # TF x genes including A->A and B->B
    assert d["auprc_ratio"] == pytest.approx((0.5 * 1 + 0.5 * 2 / 6) / (2 / 6))


def test_self_loops_and_duplicates_in_truth():
    truth = pd.concat([TRUTH, pd.DataFrame({"Gene1": ["A", "A"], "Gene2": ["A", "B"]})])
    assert score_grn(edges([("A", "B", 1.0)]), truth)["n_true_edges"] == 2  # BEELINE drops both
    assert score_grn(edges([("A", "B", 1.0)]), truth, convention="deepsem")["n_true_edges"] == 3  # keeps A->A


def test_tf_list_restricts_pool():
    m = score_grn(edges([("A", "B", 1.0), ("A", "C", 0.5)]), TRUTH, tfs=["A", "Z"])
    assert m["n_tfs"] == 1 and m["n_candidates"] == 2 and m["n_true_edges"] == 1
    with pytest.raises(InputError, match="TFs"):
        score_grn(edges([("A", "B", 1.0)]), TRUTH, tfs=["Z"])


@pytest.mark.parametrize("convention", ["beeline", "deepsem"])
def test_random_ranking_scores_about_one(convention):
    rng = np.random.default_rng(0)
    genes = [f"g{i}" for i in range(120)]
    tfs = genes[:15]
    pool = [(t, g) for t in tfs for g in genes if t != g]
    picked = rng.choice(len(pool), size=180, replace=False)
    truth = pd.DataFrame([pool[i] for i in picked], columns=["Gene1", "Gene2"])
    eprs, ratios = [], []
    for seed in range(20):
        w = np.random.default_rng(seed + 1).random(len(pool))
        m = score_grn(edges([(s, t, x) for (s, t), x in zip(pool, w)]), truth, convention=convention)
        eprs.append(m["epr"])
        ratios.append(m["auprc_ratio"])
    assert 0.85 < np.mean(eprs) < 1.15
    assert 0.85 < np.mean(ratios) < 1.15


def test_pr_curve_and_bad_input():
    ev = evaluate_grn(edges([("A", "B", 0.9), ("B", "C", 0.8)]), TRUTH)
    assert {"recall", "precision"} <= set(ev.pr_curve.columns)
    assert ev.pr_curve.recall.max() == 1.0
    with pytest.raises(InputError, match="convention"):
        score_grn(edges([("A", "B", 1.0)]), TRUTH, convention="dream5")
    with pytest.raises(InputError, match="no edges"):
        score_grn(edges([("A", "B", 1.0)]), pd.DataFrame({"Gene1": ["A"], "Gene2": ["A"]}))

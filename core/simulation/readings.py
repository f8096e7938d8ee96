"""Plain-language readings of a real-vs-simulated comparison (shown next to the figures in the app)."""

from __future__ import annotations

import math
from typing import Any


def _ok(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def read_auc(auc: float) -> str:
    """What a classifier AUC means for the user."""
    pct = round(100 * auc)
    if auc < 0.4:
        verdict = (
            "below chance, which happens when simulated cells are near-copies of real cells that the comparison "
            "cannot link to their originating cells (no obs['origin']), so a cell and its copy land in different "
            "cross-validation folds"
        )
    elif auc <= 0.6:
        verdict = "close to chance: the simulated cells are hard to tell from real ones"
    elif auc <= 0.75:
        verdict = "the simulated cells are somewhat distinguishable from real ones"
    elif auc <= 0.9:
        verdict = "the simulated cells are clearly distinguishable from real ones"
    else:
        verdict = "the simulated cells are almost always recognised as fake"
    return (
        f"Shown one real and one simulated cell, a random forest picks out the simulated one {pct}% of the time "
        f"(AUC {auc:.2f}; 50% = chance) — {verdict}."
    )


def read_corr(name: str, r: float) -> str:
    quality = "closely" if r >= 0.95 else "fairly well" if r >= 0.8 else "only loosely" if r >= 0.5 else "poorly"
    return f"Per-gene {name} of simulated cells match the real ones {quality} (Pearson r = {r:.2f})."


def read_energy(coef: float) -> str:
    # Rough bands: two halves of one real dataset score ~0.003-0.006; a gene-wise shuffled copy ~0.02.
    level = "very close" if coef < 0.008 else "close" if coef < 0.015 else "noticeably different" if coef < 0.1 else "far apart"
    return (
        f"In PCA space the two clouds of cells are {level} (energy coefficient {coef:.3f}; 0 = same distribution, "
        "1 = completely separated)."
    )


def read_copies(ratio: float) -> str:
    """What the nearest-neighbour distance ratio (copy check) means."""
    if ratio < 0.3:
        tail = ("the simulated cells are near-copies of real cells: a realistic-looking comparison then says little "
                "about the model generating new cells")
    elif ratio < 0.7:
        tail = "the simulated cells stay closer to real cells than real cells are to each other"
    else:
        tail = "the simulated cells are new cells, not copies"
    return (f"A simulated cell's nearest real cell is {ratio:.2f} times as far as a real cell's nearest other real cell "
            f"(1 = as far, 0 = identical) — {tail}.")


def read_clusters(tvd: float, n_clusters: int | None = None) -> str:
    pct = round(100 * tvd)
    what = f"{n_clusters} joint clusters" if n_clusters else "the joint clusters"
    tail = "similar cell-type mix" if tvd <= 0.1 else "some clusters are over- or under-represented" if tvd <= 0.3 else "the cell-type mix differs strongly"
    return f"Across {what}, {pct}% of the simulated cells would have to move cluster to match the real mix — {tail}."


def read_grn(overlap: float, k: float) -> str:
    pct = round(100 * overlap)
    fold = overlap / k if k > 0 else float("nan")
    tail = "the simulated cells keep the gene-gene structure" if fold >= 3 or overlap >= 0.5 else (
        "the gene-gene structure is partly kept" if fold >= 1.5 else "little more than chance: the gene-gene structure is lost"
    )
    return (
        f"Of the top {k:.0%} gene-gene edges inferred on real cells, {pct}% are also in the top {k:.0%} inferred on "
        f"simulated cells (chance: {k:.0%}) — {tail}."
    )


def readings(summary: dict[str, Any]) -> list[str]:
    """Sentences for every figure present in a comparison summary (``Comparison.summary``)."""
    out: list[str] = []
    if _ok(summary.get("classifier_auc")):
        out.append(read_auc(summary["classifier_auc"]))
    for key, name in (("mean_corr", "means"), ("var_corr", "variances"), ("zero_frac_corr", "zero fractions")):
        if _ok(summary.get(key)):
            out.append(read_corr(name, summary[key]))
    if _ok(summary.get("nn_distance_ratio")):
        out.append(read_copies(summary["nn_distance_ratio"]))
    if _ok(summary.get("energy_coefficient")):
        out.append(read_energy(summary["energy_coefficient"]))
    if _ok(summary.get("cluster_tvd")):
        out.append(read_clusters(summary["cluster_tvd"], summary.get("n_clusters")))
    if _ok(summary.get("grn_overlap_10")):
        out.append(read_grn(summary["grn_overlap_10"], 0.10))
    return out

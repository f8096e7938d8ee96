"""Scores of a latent space (scikit-learn): ASW vs labels / clusters, ARI, NMI, latent activity.

ASW is the plain silhouette coefficient on the latent (Euclidean, in [-1, 1]; higher = better separated),
not scib's rescaled (ASW + 1) / 2. Latent activity A_z = Var_cells(E[z|x]) per dimension; a unit is
active when A_z > 0.01 (Burda et al. 2016).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score

ACTIVE_THRESHOLD = 0.01
#: silhouettes cost cells²: above this many cells they are computed on a random sample of this size
ASW_MAX_CELLS = 10_000


def asw(latent: np.ndarray, groups) -> float | None:
    """Silhouette of ``groups`` on ``latent``; None when fewer than 2 or as many groups as cells. Above
    ASW_MAX_CELLS cells, on a random sample of that many cells (seeded: the same score every time)."""
    groups = np.asarray(groups).astype(str)
    k = len(np.unique(groups))
    if k < 2 or k >= len(groups):
        return None
    if len(groups) > ASW_MAX_CELLS:
        return float(silhouette_score(latent, groups, sample_size=ASW_MAX_CELLS, random_state=0))
    return float(silhouette_score(latent, groups))


def ari(clusters, labels) -> float:
    return float(adjusted_rand_score(np.asarray(labels).astype(str), np.asarray(clusters).astype(str)))


def nmi(clusters, labels) -> float:
    return float(normalized_mutual_info_score(np.asarray(labels).astype(str), np.asarray(clusters).astype(str)))


def latent_activity(latent: np.ndarray) -> np.ndarray:
    """A_z: variance over cells of the posterior mean, per latent dimension."""
    return np.asarray(latent, dtype=np.float64).var(0)


def active_units(activity: np.ndarray, threshold: float = ACTIVE_THRESHOLD) -> int:
    return int((np.asarray(activity) > threshold).sum())


def embedding_metrics(latent: np.ndarray, clusters, labels=None, prefix: str = "") -> dict:
    """asw_clusters, (asw_labels, ari, nmi when labels are given); keys get ``prefix``."""
    out = {"asw_clusters": asw(latent, clusters)}
    if labels is not None:
        out.update(asw_labels=asw(latent, labels), ari=ari(clusters, labels), nmi=nmi(clusters, labels))
    return {prefix + k: v for k, v in out.items()}

"""Likelihoods of the generative models, as torch.distributions objects with log-space ``log_prob``.

``gaussian`` and ``cb`` reuse torch's Normal and ContinuousBernoulli (both numerically sound: torch's CB
uses a Taylor expansion of its normaliser near p = 0.5); the count likelihoods live in :mod:`.counts`.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch.distributions import ContinuousBernoulli, Normal

from .counts import NegativeBinomial, Poisson, ZeroInflatedNegativeBinomial, ZeroInflatedPoisson

Gaussian = Normal

__all__ = [
    "LIKELIHOODS",
    "ContinuousBernoulli",
    "Gaussian",
    "Likelihood",
    "NegativeBinomial",
    "Poisson",
    "ZeroInflatedNegativeBinomial",
    "ZeroInflatedPoisson",
]


@dataclass(frozen=True)
class Likelihood:
    name: str
    label: str
    counts: bool  # needs non-negative integer data
    hint: str


LIKELIHOODS: dict[str, Likelihood] = {
    lk.name: lk
    for lk in (
        Likelihood("gaussian", "Gaussian", False,
                   "Continuous, already log-normalised data; fast baseline, ignores count noise."),
        Likelihood("cb", "Continuous Bernoulli", False,
                   "Values in [0, 1]: log1p(x) is divided by each gene's maximum over cells before fitting."),
        Likelihood("poisson", "Poisson", True,
                   "Raw UMI counts with little overdispersion (technical noise only)."),
        Likelihood("zip", "Zero-inflated Poisson", True,
                   "Raw counts with more zeros than a Poisson explains."),
        Likelihood("nb", "Negative binomial", True,
                   "Raw UMI counts (recommended default): Poisson noise plus gene-wise overdispersion."),
        Likelihood("zinb", "Zero-inflated NB", True,
                   "Raw counts from full-length / low-capture protocols with excess zeros."),
    )
}

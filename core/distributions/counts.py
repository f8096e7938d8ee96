"""Count likelihoods parametrised in log space: Poisson, ZIP, NB (mean, inverse dispersion) and ZINB.

Decoders emit log-means and zero-inflation logits, so every ``log_prob`` below works from logarithms
(``lgamma``/``softplus``/``logaddexp``) and never takes the log of a tiny probability. The NB/ZINB formulas
follow scvi-tools (``log_nb_positive`` / ``log_zinb_positive``), rewritten to take ``log_mu`` directly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.distributions import Distribution, Gamma, constraints
from torch.distributions import Poisson as _TorchPoisson
from torch.distributions.utils import broadcast_all


def _log_mu(mu, log_mu):
    if (mu is None) == (log_mu is None):
        raise ValueError("give exactly one of mu or log_mu")
    return torch.log(mu) if log_mu is None else log_mu


class Poisson(_TorchPoisson):
    """torch's Poisson, optionally built from ``log_rate``; log_prob then stays in log space (rate -> 0 safe)."""

    def __init__(self, rate=None, log_rate=None, validate_args=False):
        if log_rate is None:
            log_rate = torch.log(torch.as_tensor(rate))
        self.log_rate = torch.as_tensor(log_rate)
        super().__init__(self.log_rate.exp(), validate_args=validate_args)

    def log_prob(self, value):
        value = torch.as_tensor(value, dtype=self.log_rate.dtype, device=self.log_rate.device)
        return value * self.log_rate - self.log_rate.exp() - torch.lgamma(value + 1)


class ZeroInflatedPoisson(Distribution):
    """p(x) = pi * [x == 0] + (1 - pi) * Poisson(x; rate), with pi = sigmoid(zi_logits)."""

    arg_constraints = {"zi_logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, rate=None, zi_logits=None, log_rate=None, validate_args=False):
        self.log_rate, self.zi_logits = broadcast_all(_log_mu(rate, log_rate), zi_logits)
        super().__init__(self.log_rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return torch.sigmoid(-self.zi_logits) * self.log_rate.exp()

    def log_prob(self, value):
        rate = self.log_rate.exp()
        sp = F.softplus(self.zi_logits)  # -log(1 - pi)
        zero = torch.logaddexp(self.zi_logits, -rate) - sp
        nonzero = -sp + value * self.log_rate - rate - torch.lgamma(value + 1)
        return torch.where(value < 0.5, zero, nonzero)

    @torch.no_grad()
    def sample(self, sample_shape=torch.Size()):
        shape = self._extended_shape(sample_shape)
        counts = torch.poisson(self.log_rate.exp().expand(shape))
        keep = torch.rand(shape, device=counts.device) >= torch.sigmoid(self.zi_logits).expand(shape)
        return counts * keep


class NegativeBinomial(Distribution):
    """Negative binomial with mean ``mu`` and inverse dispersion ``theta`` (variance mu + mu^2 / theta).

    Equivalent to a Gamma(theta, theta / mu)-Poisson mixture; theta -> inf gives Poisson(mu).
    """

    arg_constraints = {"theta": constraints.positive}
    support = constraints.nonnegative_integer

    def __init__(self, mu=None, theta=None, log_mu=None, validate_args=False):
        # no broadcast_all: a gene-wise theta (G,) stays (G,), so lgamma(theta) is computed once per gene
        self.log_mu = torch.as_tensor(_log_mu(mu, log_mu))
        self.theta = torch.as_tensor(theta, dtype=self.log_mu.dtype, device=self.log_mu.device)
        super().__init__(torch.broadcast_shapes(self.log_mu.shape, self.theta.shape), validate_args=validate_args)

    @property
    def mu(self):
        return self.log_mu.exp().expand(self.batch_shape)

    @property
    def mean(self):
        return self.mu

    @property
    def variance(self):
        return self.mu + self.mu**2 / self.theta

    def _log_nb_terms(self, value):
        log_theta = torch.log(self.theta)
        log_theta_mu = torch.log(self.theta + self.log_mu.exp())  # theta >= 1e-4 in the models: no underflow
        zero_term = self.theta * (log_theta - log_theta_mu)  # log NB(0)
        rest = (
            value * (self.log_mu - log_theta_mu)
            + torch.lgamma(value + self.theta)
            - torch.lgamma(self.theta)
            - torch.lgamma(value + 1)
        )
        return zero_term, rest

    def log_prob(self, value):
        zero_term, rest = self._log_nb_terms(value)
        return zero_term + rest

    @torch.no_grad()
    def sample_rate(self, sample_shape=torch.Size()):
        """The gamma-distributed Poisson rate, Gamma(theta, theta / mu): expression with its biological
        (gene-specific) variation but without the Poisson sampling noise."""
        shape = self._extended_shape(sample_shape)
        theta = self.theta.expand(shape)
        return Gamma(theta, theta / self.mu.expand(shape).clamp_min(1e-30)).sample()

    @torch.no_grad()
    def sample(self, sample_shape=torch.Size()):
        return torch.poisson(self.sample_rate(sample_shape))


class ZeroInflatedNegativeBinomial(NegativeBinomial):
    """ZINB: pi * [x == 0] + (1 - pi) * NB(x; mu, theta), with pi = sigmoid(zi_logits)."""

    arg_constraints = {"theta": constraints.positive, "zi_logits": constraints.real}

    def __init__(self, mu=None, theta=None, zi_logits=None, log_mu=None, validate_args=False):
        super().__init__(theta=theta, log_mu=_log_mu(mu, log_mu), validate_args=validate_args)
        self.zi_logits = torch.as_tensor(zi_logits, dtype=self.log_mu.dtype, device=self.log_mu.device)
        self._batch_shape = torch.broadcast_shapes(self._batch_shape, self.zi_logits.shape)

    @property
    def mean(self):
        return torch.sigmoid(-self.zi_logits) * self.mu

    @property
    def variance(self):
        keep = torch.sigmoid(-self.zi_logits)
        mu = self.mu
        return keep * (mu + mu**2 / self.theta) + keep * (1 - keep) * mu**2

    def log_prob(self, value):
        zero_term, rest = self._log_nb_terms(value)
        sp = F.softplus(self.zi_logits)  # -log(1 - pi)
        zero = torch.logaddexp(self.zi_logits, zero_term) - sp
        nonzero = -sp + zero_term + rest
        return torch.where(value < 0.5, zero, nonzero)

    @torch.no_grad()
    def sample(self, sample_shape=torch.Size()):
        counts = super().sample(sample_shape)
        keep = torch.rand_like(counts) >= torch.sigmoid(self.zi_logits).expand(counts.shape)
        return counts * keep

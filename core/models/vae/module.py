"""Pure nn.Modules: the VAE and the Gaussian-mixture VAE (scVAE, Grønbech et al. 2020).

Architecture follows scvi-tools' SCVI defaults (one hidden layer of 128 units, BatchNorm, ReLU, dropout in
the encoder; Gaussian q(z|x) with variance floored at 1e-4). Decoders emit log-means / logits and hand
them to the likelihood objects of :mod:`core.distributions`.

Library size (count likelihoods): the decoder outputs a softmax over genes and the mean is the cell's
*observed* library size times that fraction, ``log_mu = log(library) + log_softmax(h)`` (as scvi-tools
with ``use_observed_lib_size=True``). Dispersion is gene-wise and clamped to theta in [1e-4, 1e4].
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Distribution

from ..fit import LossOutput

from ...distributions import (
    LIKELIHOODS,
    ContinuousBernoulli,
    Gaussian,
    NegativeBinomial,
    Poisson,
    ZeroInflatedNegativeBinomial,
    ZeroInflatedPoisson,
)

VAR_EPS = 1e-4
PRIOR_SPREAD = 1.0  # sd of the initial GMVAE component means
LOG_THETA_MIN, LOG_THETA_MAX = math.log(1e-4), math.log(1e4)


def mlp(n_in: int, n_hidden: int, n_layers: int, dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(n_layers):
        layers += [
            nn.Linear(n_in if i == 0 else n_hidden, n_hidden),
            nn.BatchNorm1d(n_hidden, momentum=0.01, eps=1e-3),
            nn.ReLU(),
        ]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class GaussianHead(nn.Module):
    """Linear map to the mean and floored variance of a diagonal Gaussian."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.mean = nn.Linear(n_in, n_out)
        self.var = nn.Linear(n_in, n_out)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.mean(h), torch.exp(self.var(h).clamp(max=15.0)) + VAR_EPS


class LikelihoodHead(nn.Module):
    """Decoder output layer: hidden -> a distribution over the genes."""

    def __init__(self, n_hidden: int, n_genes: int, likelihood: str):
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"unknown likelihood {likelihood!r}")
        self.likelihood = likelihood
        self.main = nn.Linear(n_hidden, n_genes)
        if likelihood in ("zip", "zinb"):
            self.zi = nn.Linear(n_hidden, n_genes)
        if likelihood in ("nb", "zinb"):
            self.log_theta = nn.Parameter(torch.randn(n_genes))
        if likelihood == "gaussian":
            self.log_scale = nn.Parameter(torch.zeros(n_genes))

    def forward(self, h: torch.Tensor, log_library: torch.Tensor | None = None) -> Distribution:
        out = self.main(h)
        lk = self.likelihood
        if lk == "gaussian":
            return Gaussian(out, F.softplus(self.log_scale) + 1e-3, validate_args=False)
        if lk == "cb":
            return ContinuousBernoulli(logits=out.clamp(-30, 30), validate_args=False)
        log_mu = F.log_softmax(out, dim=-1) + log_library
        if lk == "poisson":
            return Poisson(log_rate=log_mu)
        if lk == "zip":
            return ZeroInflatedPoisson(log_rate=log_mu, zi_logits=self.zi(h))
        theta = self.log_theta.clamp(LOG_THETA_MIN, LOG_THETA_MAX).exp()
        if lk == "nb":
            return NegativeBinomial(log_mu=log_mu, theta=theta)
        return ZeroInflatedNegativeBinomial(log_mu=log_mu, theta=theta, zi_logits=self.zi(h))


def kl_normal(qm, qv, pm, pv) -> torch.Tensor:
    """KL(N(qm, qv) || N(pm, pv)) summed over the last dimension."""
    return 0.5 * (torch.log(pv / qv) + (qv + (qm - pm) ** 2) / pv - 1.0).sum(-1)


class VAE(nn.Module):
    """x -> q(z|x) = N(mu(x), var(x)); z -> p(x|z) of the chosen likelihood; prior N(0, I)."""

    def __init__(self, n_genes: int, likelihood: str = "nb", latent_dim: int = 10, hidden: int = 128,
                 n_layers: int = 1, dropout: float = 0.1):
        super().__init__()
        self.n_genes, self.latent_dim, self.likelihood = n_genes, latent_dim, likelihood
        self.encoder = mlp(n_genes, hidden, n_layers, dropout)
        self.z_head = GaussianHead(hidden, latent_dim)
        self.decoder = mlp(latent_dim, hidden, n_layers, 0.0)
        self.px = LikelihoodHead(hidden, n_genes, likelihood)

    def encode(self, x_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.z_head(self.encoder(x_in))

    def decode(self, z: torch.Tensor, log_library: torch.Tensor | None = None) -> Distribution:
        return self.px(self.decoder(z), log_library)

    def latent_mean(self, x_in: torch.Tensor) -> torch.Tensor:
        return self.encode(x_in)[0]

    def prior(self, n: int, component: int | None = None) -> torch.Tensor:
        ref = self.z_head.mean.weight
        return torch.randn(n, self.latent_dim, device=ref.device, dtype=ref.dtype)

    def loss(self, x_in, x_target, log_library, beta: float = 1.0, free_nats: float = 0.0) -> LossOutput:
        qm, qv = self.encode(x_in)
        z = qm + qv.sqrt() * torch.randn_like(qm)
        recon = self.decode(z, log_library).log_prob(x_target).sum(-1)
        kl = kl_normal(qm, qv, torch.zeros_like(qm), torch.ones_like(qv))
        kl_mean = kl.mean()
        kl_used = torch.clamp(kl_mean, min=free_nats) if free_nats > 0 else kl_mean
        loss = -recon.mean() + beta * kl_used
        return LossOutput(loss, {"reconstruction": -recon.mean().detach(), "kl": kl_mean.detach()}, n=x_in.shape[0])


class GMVAE(VAE):
    """Gaussian-mixture VAE: y ~ Cat(1/C), z|y ~ N(m_y, v_y) (learned), x|z ~ likelihood.

    Inference q(y|x) q(z|x, y); the ELBO marginalises y exactly (every component is decoded and
    weighted by q(y|x)) with an analytic KL for y. Clusters are argmax_y q(y|x). ``balance`` > 0 adds
    balance * KL(mean_batch q(y|x) || uniform) to the loss, against collapse onto few components.
    """

    def __init__(self, n_genes: int, likelihood: str = "nb", latent_dim: int = 10, hidden: int = 128,
                 clusters: int = 10, n_layers: int = 1, dropout: float = 0.1, balance: float = 0.0):
        super().__init__(n_genes, likelihood, latent_dim, hidden, n_layers, dropout)
        self.clusters, self.balance = clusters, float(balance)
        self.y_logits = nn.Linear(hidden, clusters)
        self.z_head = GaussianHead(hidden + clusters, latent_dim)
        # spread the component means so they start distinguishable
        self.prior_mean = nn.Parameter(torch.randn(clusters, latent_dim) * PRIOR_SPREAD)
        self.prior_logvar = nn.Parameter(torch.zeros(clusters, latent_dim))

    def _encode_all(self, x_in):
        """q(y|x) probabilities (B, C) and q(z|x,y) moments (B, C, D)."""
        h = self.encoder(x_in)
        b, c = h.shape[0], self.clusters
        log_qy = F.log_softmax(self.y_logits(h), dim=-1)
        onehot = torch.eye(c, device=h.device, dtype=h.dtype).expand(b, c, c)
        hy = torch.cat([h.unsqueeze(1).expand(b, c, h.shape[1]), onehot], dim=-1).reshape(b * c, -1)
        qm, qv = self.z_head(hy)
        return log_qy, qm.view(b, c, -1), qv.view(b, c, -1)

    def encode(self, x_in):
        log_qy, qm, qv = self._encode_all(x_in)
        w = log_qy.exp().unsqueeze(-1)
        mean = (w * qm).sum(1)
        var = (w * (qv + qm**2)).sum(1) - mean**2  # moments of the mixture q(z|x)
        return mean, var.clamp_min(VAR_EPS)

    def cluster_probs(self, x_in) -> torch.Tensor:
        return F.softmax(self.y_logits(self.encoder(x_in)), dim=-1)

    def prior_var(self) -> torch.Tensor:
        return torch.exp(self.prior_logvar.clamp(-8.0, 8.0)) + VAR_EPS

    def prior(self, n: int, component: int | None = None) -> torch.Tensor:
        dev = self.prior_mean.device
        if component is None:
            comp = torch.randint(self.clusters, (n,), device=dev)
        else:
            if not 0 <= component < self.clusters:
                raise ValueError(f"component must be in [0, {self.clusters}), got {component}")
            comp = torch.full((n,), component, device=dev, dtype=torch.long)
        m, v = self.prior_mean[comp], self.prior_var()[comp]
        return m + v.sqrt() * torch.randn_like(m)

    def loss(self, x_in, x_target, log_library, beta: float = 1.0, free_nats: float = 0.0) -> LossOutput:
        log_qy, qm, qv = self._encode_all(x_in)
        b, c, d = qm.shape
        qy = log_qy.exp()
        z = qm + qv.sqrt() * torch.randn_like(qm)
        # decode all B*C latents, then view the likelihood as (B, C, G) against x (B, 1, G): the terms that
        # depend on x only (lgamma(x + theta), lgamma(x + 1)) are computed once per cell, not C times
        h = self.decoder(z.reshape(b * c, d)).view(b, c, -1)
        lib = None if log_library is None else log_library.view(b, 1, 1)
        recon = self.px(h, lib).log_prob(x_target.unsqueeze(1)).sum(-1)
        kl_z = kl_normal(qm, qv, self.prior_mean.unsqueeze(0), self.prior_var().unsqueeze(0))
        kl_y = (qy * (log_qy + math.log(c))).sum(-1)
        recon_m = (qy * recon).sum(-1).mean()
        kl = (qy * kl_z).sum(-1).mean() + kl_y.mean()
        kl_used = torch.clamp(kl, min=free_nats) if free_nats > 0 else kl
        loss = -recon_m + beta * kl_used
        terms = {"reconstruction": -recon_m.detach(), "kl": kl.detach()}
        if self.balance > 0:  # KL(batch-average q(y|x) || uniform): keeps every component in use
            q_bar = qy.mean(0)
            balance = (q_bar * (torch.log(q_bar + 1e-8) + math.log(c))).sum()
            loss = loss + self.balance * balance
            terms["balance"] = balance.detach()
        return LossOutput(loss, terms, n=b)

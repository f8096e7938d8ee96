"""Likelihood log_probs against scipy.stats / hand formulas (float64), including extreme parameters."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import special, stats

from core.distributions import (
    ContinuousBernoulli,
    Gaussian,
    NegativeBinomial,
    Poisson,
    ZeroInflatedNegativeBinomial,
    ZeroInflatedPoisson,
)

RNG = np.random.default_rng(0)
N = 400
X = RNG.poisson(RNG.gamma(0.6, 6.0, N)).astype(float)  # many zeros, some large counts
X[:40] = 0
MU = np.exp(RNG.uniform(-6, 5, N))
TOL = dict(rtol=1e-5, atol=1e-5)


def t(a):
    return torch.as_tensor(a, dtype=torch.float64)


def nb_ref(x, mu, theta):
    return stats.nbinom.logpmf(x, theta, theta / (theta + mu))


def zi_ref(x, logits, base_logpmf, base_zero):
    log_pi, log_keep = special.log_expit(logits), special.log_expit(-logits)
    zero = np.logaddexp(log_pi, log_keep + base_zero)
    return np.where(x == 0, zero, log_keep + base_logpmf)


@pytest.mark.parametrize("log_rate", [np.log(MU), np.full(N, -30.0), np.full(N, 8.0)])
def test_poisson_matches_scipy(log_rate):
    x = np.where(log_rate < -20, 0, X)  # rate -> 0: only zeros have finite mass
    ours = Poisson(log_rate=t(log_rate)).log_prob(t(x)).numpy()
    np.testing.assert_allclose(ours, stats.poisson.logpmf(x, np.exp(log_rate)), **TOL)


def test_poisson_rate_to_zero_is_finite_and_minus_inf_free():
    lp = Poisson(log_rate=t([-50.0, -50.0])).log_prob(t([0.0, 3.0]))
    assert lp[0].item() == pytest.approx(0.0, abs=1e-12)
    assert torch.isfinite(lp).all() and lp[1] < -100


@pytest.mark.parametrize("theta", [RNG.uniform(0.05, 50, N), np.full(N, 1e6), np.full(N, 1e-3)])
def test_nb_matches_scipy(theta):
    ours = NegativeBinomial(mu=t(MU), theta=t(theta)).log_prob(t(X)).numpy()
    np.testing.assert_allclose(ours, nb_ref(X, MU, theta), **TOL)


def test_nb_large_theta_tends_to_poisson():
    ours = NegativeBinomial(mu=t(MU), theta=t(np.full(N, 1e9))).log_prob(t(X)).numpy()
    np.testing.assert_allclose(ours, stats.poisson.logpmf(X, MU), rtol=1e-4, atol=1e-4)


def test_nb_log_mu_equals_mu():
    theta = t(RNG.uniform(0.1, 10, N))
    a = NegativeBinomial(mu=t(MU), theta=theta).log_prob(t(X))
    b = NegativeBinomial(log_mu=t(np.log(MU)), theta=theta).log_prob(t(X))
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("logits", [RNG.normal(0, 2, N), np.full(N, -40.0), np.full(N, 40.0)])
def test_zinb_matches_hand_formula(logits):
    theta = RNG.uniform(0.05, 50, N)
    ours = ZeroInflatedNegativeBinomial(mu=t(MU), theta=t(theta), zi_logits=t(logits)).log_prob(t(X)).numpy()
    ref = zi_ref(X, logits, nb_ref(X, MU, theta), nb_ref(0, MU, theta))
    np.testing.assert_allclose(ours, ref, **TOL)
    if logits[0] < -20:  # pi -> 0: plain NB (zeros differ only where NB(0) < pi = e^-40)
        nz = X > 0
        np.testing.assert_allclose(ours[nz], nb_ref(X, MU, theta)[nz], **TOL)
    if logits[0] > 20:  # pi -> 1: zeros certain
        assert np.abs(ours[X == 0]).max() < 1e-6


def test_zinb_extreme_dispersion():
    theta, logits = np.full(N, 1e6), RNG.normal(0, 2, N)
    ours = ZeroInflatedNegativeBinomial(mu=t(MU), theta=t(theta), zi_logits=t(logits)).log_prob(t(X)).numpy()
    np.testing.assert_allclose(ours, zi_ref(X, logits, nb_ref(X, MU, theta), nb_ref(0, MU, theta)), **TOL)


@pytest.mark.parametrize("logits", [RNG.normal(0, 2, N), np.full(N, -40.0), np.full(N, 40.0)])
def test_zip_matches_hand_formula(logits):
    ours = ZeroInflatedPoisson(rate=t(MU), zi_logits=t(logits)).log_prob(t(X)).numpy()
    ref = zi_ref(X, logits, stats.poisson.logpmf(X, MU), -MU)
    np.testing.assert_allclose(ours, ref, **TOL)


def test_gaussian_and_cb_match_formulas():
    x = RNG.uniform(0.0, 1.0, N)
    loc, scale = RNG.normal(0, 1, N), np.exp(RNG.uniform(-4, 2, N))
    np.testing.assert_allclose(Gaussian(t(loc), t(scale)).log_prob(t(x)).numpy(),
                               stats.norm.logpdf(x, loc, scale), **TOL)
    p = np.concatenate([RNG.uniform(1e-4, 1 - 1e-4, N - 3), [0.5, 0.4999, 1e-6]])
    # CB(x; p) = C(p) p^x (1-p)^(1-x), C(p) = 2 atanh(1 - 2p) / (1 - 2p)  (C(0.5) = 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(np.abs(p - 0.5) < 1e-3, 2.0 + 4.0 / 3.0 * (1 - 2 * p) ** 2,
                     2 * np.arctanh(1 - 2 * p) / (1 - 2 * p))
    ref = np.log(c) + x * np.log(p) + (1 - x) * np.log1p(-p)
    ours = ContinuousBernoulli(probs=t(p)).log_prob(t(x)).numpy()
    np.testing.assert_allclose(ours, ref, **TOL)


def test_sampling_moments():
    torch.manual_seed(0)
    n = 200_000
    mu, theta, logit = torch.tensor(4.0), torch.tensor(2.0), torch.tensor(-1.0)
    keep = torch.sigmoid(-logit).item()
    s = NegativeBinomial(mu=mu, theta=theta).sample((n,))
    assert s.mean().item() == pytest.approx(4.0, rel=0.03)
    assert s.var().item() == pytest.approx(4 + 16 / 2, rel=0.05)
    s = ZeroInflatedNegativeBinomial(mu=mu, theta=theta, zi_logits=logit).sample((n,))
    assert s.mean().item() == pytest.approx(keep * 4.0, rel=0.03)
    assert (s == 0).float().mean().item() == pytest.approx(1 - keep + keep * (2 / 6) ** 2, abs=0.01)
    s = ZeroInflatedPoisson(rate=mu, zi_logits=logit).sample((n,))
    assert s.mean().item() == pytest.approx(keep * 4.0, rel=0.03)
    s = Poisson(log_rate=torch.log(mu)).sample((n,))
    assert s.var().item() == pytest.approx(4.0, rel=0.05)
    assert torch.equal(s, s.round()) and (s >= 0).all()


def test_nb_sample_rate_is_the_gamma_mixing_rate():
    from core.distributions.counts import NegativeBinomial, ZeroInflatedNegativeBinomial

    torch.manual_seed(0)
    mu, theta = torch.tensor([2.0, 50.0]), torch.tensor([0.5, 4.0])
    for d in (NegativeBinomial(mu=mu, theta=theta), ZeroInflatedNegativeBinomial(mu=mu, theta=theta, zi_logits=torch.zeros(2))):
        r = d.sample_rate((200_000,))
        assert (r > 0).all() and not torch.equal(r, r.round())  # continuous rates, no zero inflation
        torch.testing.assert_close(r.mean(0), mu, rtol=0.02, atol=0)
        torch.testing.assert_close(r.var(0), mu**2 / theta, rtol=0.05, atol=0)

"""Pure nn.Modules of scGAN / cscGAN (Marouf et al. 2020): generator, critic, gradient penalty.

* Generator: z ~ N(0, I) -> [Linear -> BatchNorm -> LeakyReLU] x layers -> Linear -> ReLU -> **library-size
  normalisation (LSN)**: each generated cell is rescaled to sum to the training cells' library scale, so the
  generator only learns the composition of a cell.
* Critic: the cell's values -> log1p (keeps the critic's input well scaled; the gradient penalty is taken with
  respect to the values themselves) -> [Linear -> LeakyReLU] x layers -> a real number (no sigmoid: WGAN).
* cscGAN: the generator's BatchNorm layers are **conditional** (per-class scale and shift, de Vries et al.
  2017) and the critic is a **projection critic** (Miyato & Koyama 2018): ``f(x) + <embed(y), phi(x)>``.
"""

from __future__ import annotations

import torch
from torch import nn


class ConditionalBatchNorm(nn.Module):
    """BatchNorm without its own affine; scale and shift looked up per class (one class: plain BatchNorm)."""

    def __init__(self, n: int, n_classes: int):
        super().__init__()
        self.bn = nn.BatchNorm1d(n, affine=False)
        self.gamma = nn.Embedding(max(n_classes, 1), n)
        self.beta = nn.Embedding(max(n_classes, 1), n)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, h: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.gamma(y) * self.bn(h) + self.beta(y)


class Generator(nn.Module):
    def __init__(self, n_genes: int, latent_dim: int, widths: tuple[int, ...], n_classes: int = 1):
        super().__init__()
        self.latent_dim, self.n_classes = latent_dim, n_classes
        dims = (latent_dim, *widths)
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.norms = nn.ModuleList(ConditionalBatchNorm(b, n_classes) for b in widths)
        self.out = nn.Linear(dims[-1], n_genes)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, z: torch.Tensor, y: torch.Tensor, scale: float) -> torch.Tensor:
        h = z
        for lin, norm in zip(self.linears, self.norms):
            h = self.act(norm(lin(h), y))
        x = torch.relu(self.out(h))
        return x * (scale / x.sum(1, keepdim=True).clamp_min(1e-8))  # library-size normalisation layer

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        ref = self.out.weight
        return torch.randn(n, self.latent_dim, generator=generator).to(ref.device, ref.dtype)


class Critic(nn.Module):
    def __init__(self, n_genes: int, widths: tuple[int, ...], n_classes: int = 1):
        super().__init__()
        dims = (n_genes, *widths)
        layers: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        self.phi = nn.Sequential(*layers)
        self.head = nn.Linear(dims[-1], 1)
        self.embed = nn.Embedding(n_classes, dims[-1]) if n_classes > 1 else None

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.phi(torch.log1p(x))
        out = self.head(h).squeeze(1)
        if self.embed is not None:  # projection critic
            out = out + (self.embed(y) * h).sum(1)
        return out


def gradient_penalty(critic: Critic, real: torch.Tensor, fake: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): (||grad_x critic(x_hat)|| - 1)^2 on random interpolates."""
    eps = torch.rand(real.shape[0], 1, device=real.device, dtype=real.dtype)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(critic(x_hat, y).sum(), x_hat, create_graph=True)
    return ((grad.norm(2, dim=1) - 1.0) ** 2).mean()


class WGAN(nn.Module):
    """Generator + critic (one module, so one checkpoint)."""

    def __init__(self, n_genes: int, latent_dim: int, gen_widths: tuple[int, ...], critic_widths: tuple[int, ...],
                 n_classes: int = 1):
        super().__init__()
        self.generator = Generator(n_genes, latent_dim, gen_widths, n_classes)
        self.critic = Critic(n_genes, critic_widths, n_classes)

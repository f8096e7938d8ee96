"""Training plan of scGAN / cscGAN: WGAN-GP with several critic steps per generator step.

:func:`core.models.fit.fit` steps the **generator**'s optimiser once per batch; each batch first runs
``critic_steps`` critic updates inside :meth:`GANPlan.training_step` (its own Adam), so the one loop still checks
every named term for NaN and reports them: ``critic_loss``, ``generator_loss``, ``wasserstein`` (the critic's
estimate E[f(real)] - E[f(fake)]) and ``gradient_penalty``. Each epoch also measures the **diversity** of
generated cells (mean distance between generated cells over that between real cells, log1p scale); a fall
below half of its best value is reported once as a possible mode collapse.
"""

from __future__ import annotations

from typing import Callable

import torch

from ..fit import LossOutput, TrainingPlan
from .module import WGAN, gradient_penalty

DIVERSITY_CELLS = 256
COLLAPSE_FRACTION = 0.5


def diversity(x: torch.Tensor) -> float:
    """Mean pairwise Euclidean distance between cells on a log1p scale."""
    d = torch.cdist(torch.log1p(x), torch.log1p(x))
    n = x.shape[0]
    return float(d.sum() / max(n * (n - 1), 1))


class GANPlan(TrainingPlan):
    def __init__(self, module: WGAN, X: torch.Tensor, y: torch.Tensor, class_probs: torch.Tensor, *, scale: float,
                 epochs: int, batch_size: int, critic_steps: int, gp_weight: float, lr_generator: float,
                 lr_critic: float, seed: int, log: Callable[[str], None] = lambda m: None):
        self.module, self.X, self.y, self.class_probs, self.scale = module, X, y, class_probs, float(scale)
        self.n_epochs, self.batch_size, self.critic_steps = int(epochs), int(batch_size), int(critic_steps)
        self.gp_weight, self.lr_g, self.lr_c, self.log = float(gp_weight), lr_generator, lr_critic, log
        self.gen = torch.Generator().manual_seed(int(seed))
        n = X.shape[0]
        idx = torch.randperm(n, generator=self.gen)[:DIVERSITY_CELLS]
        self.real_diversity = max(diversity(X[idx]), 1e-8)
        self.best_diversity, self.warned = 0.0, False

    def configure_optimizers(self):
        # Adam(0.5, 0.9) as in WGAN-GP / scGAN
        self.opt_c = torch.optim.Adam(self.module.critic.parameters(), lr=self.lr_c, betas=(0.5, 0.9))
        return {"generator": torch.optim.Adam(self.module.generator.parameters(), lr=self.lr_g, betas=(0.5, 0.9))}

    def on_train_start(self) -> None:
        self.module.train()

    def _real_batch(self):
        idx = torch.randint(self.X.shape[0], (min(self.batch_size, self.X.shape[0]),), generator=self.gen)
        return self.X[idx], self.y[idx]

    def _fake(self, y: torch.Tensor) -> torch.Tensor:
        z = self.module.generator.sample_z(y.shape[0], self.gen)
        return self.module.generator(z, y, self.scale)

    def batches(self, epoch: int):
        # one epoch = the critic sees about every cell once
        steps = max(1, -(-self.X.shape[0] // (self.batch_size * self.critic_steps)))
        return range(steps)

    def training_step(self, _step) -> LossOutput:
        critic, gen = self.module.critic, self.module.generator
        critic.requires_grad_(True)
        for _ in range(self.critic_steps):
            real, y = self._real_batch()
            with torch.no_grad():
                fake = self._fake(y)
            w = critic(real, y).mean() - critic(fake, y).mean()
            gp = gradient_penalty(critic, real, fake, y)
            c_loss = -w + self.gp_weight * gp
            self.opt_c.zero_grad(set_to_none=True)
            c_loss.backward()
            self.opt_c.step()
        critic.requires_grad_(False)
        y = torch.multinomial(self.class_probs, min(self.batch_size, self.X.shape[0]), replacement=True,
                              generator=self.gen).to(self.X.device)
        g_loss = -critic(self._fake(y), y).mean()
        return LossOutput(g_loss, {"generator_loss": g_loss.detach(), "critic_loss": c_loss.detach(),
                                   "wasserstein": w.detach(), "gradient_penalty": gp.detach()}, n=1)

    @torch.no_grad()
    def on_epoch_end(self, epoch: int) -> dict[str, float]:
        self.module.eval()
        y = torch.multinomial(self.class_probs, DIVERSITY_CELLS, replacement=True, generator=self.gen).to(self.X.device)
        div = diversity(self._fake(y)) / self.real_diversity
        self.module.train()
        self.best_diversity = max(self.best_diversity, div)
        if not self.warned and epoch >= 5 and div < COLLAPSE_FRACTION * self.best_diversity:
            self.warned = True
            self.log(f"warning: possible mode collapse at epoch {epoch + 1}: the diversity of generated cells fell to "
                     f"{div:.2f} of the real cells' (best {self.best_diversity:.2f}); try more critic steps, a lower "
                     "learning rate or fewer epochs.")
        return {"diversity": div}

    def on_train_end(self) -> None:
        self.module.critic.requires_grad_(True)
        self.module.eval()

"""DeepSEM's training plan (for core.models.fit.fit): the networks for K1 epochs (W frozen), then W alone for K2.

Both phases use RMSprop (W at ``lr_w_ratio * lr``), minibatches of ``batch_size`` cells reshuffled each epoch
(one order shared by all ensemble members). The loss of each member is MSE + beta*KL + alpha*mean|W|; the
members' losses are summed, so each member gets exactly its own gradient; the reported terms are the members'
means. Optional per-epoch learning-rate
decay of the networks' optimiser reproduces the reference's ``StepLR`` on old PyTorch (see spec help).
DAZZLE options (Zhu & Slonim 2024, TuftsBCB/dazzle; each off by default, and with all off the computation is
the one above, bit for bit): ``da_p`` > 0 zeroes that share of the entries of each batch (the raw value 0,
i.e. the transform's image of 0) before the encoder, and a small classifier of the mixed latent predicts which
entries were zeroed (weight ``da_weight``, positives weighted (1 - p) / p); the reconstruction target is the
augmented input, as in DAZZLE; ``l1_delay`` switches the L1 term on after that many epochs;
``optimiser="joint"`` trains the networks and W together in every step with one Adam (betas 0.9, 0.9; W at
``lr_w_ratio * lr``; both rates halved after 1000 and 2000 steps), solving with I - W^T per batch.
Speed-ups that leave the mathematics unchanged: while W is frozen (I - W^T)^-1 is computed once per epoch;
while the networks are frozen the encoder's outputs are computed once per W block and only the gradients
that W needs are propagated.
"""

from __future__ import annotations

import torch

from ..fit import LossOutput, TrainingPlan
from .module import DeepSEMModule, per_member_linalg, refine_inverse
from .spec import OPTIMISERS


def _set_trainable(params, flag: bool) -> None:
    for p in params:
        p.requires_grad_(flag)


@torch.no_grad()
def _encode_all(module: DeepSEMModule, Z: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    mus, lvs = [], []
    for lo in range(0, Z.shape[0], batch_size):
        mu, lv = module.encode(Z[lo : lo + batch_size])
        mus.append(mu)
        lvs.append(lv)
    return torch.cat(mus, 1), torch.cat(lvs, 1)


class DeepSEMPlan(TrainingPlan):
    """Two phases: ``k1`` epochs training the networks (W frozen), then ``k2`` epochs training W alone.

    ``Z`` (cells x genes, transformed) and ``mask`` live on the module's device. ``inverse_updates`` (default:
    on CUDA only): in the W-only epochs keep (I - W^T)^-1 up to date by Newton-Schulz steps after each W step
    (:func:`refine_inverse`) instead of an LU solve per batch.
    """

    def __init__(self, module: DeepSEMModule, Z: torch.Tensor, mask: torch.Tensor | None, *, epochs: int,
                 batch_size: int, lr: float, lr_w_ratio: float, alpha: float, beta: float, k1: int, k2: int,
                 lr_decay: bool, gamma: float, seed: int, inverse_updates: bool | None = None,
                 optimiser: str = "alternating", da_p: float = 0.0, da_weight: float = 0.5,
                 zero_value: torch.Tensor | None = None, l1_delay: int = 0):
        self.module, self.Z, self.mask = module, Z, mask
        self.n_epochs, self.batch_size, self.lr, self.lr_w_ratio = int(epochs), int(batch_size), lr, lr_w_ratio
        self.alpha, self.beta, self.k1, self.k2 = alpha, beta, int(k1), int(k2)
        self.lr_decay, self.gamma = lr_decay, gamma
        device = Z.device
        self.cpu_gen = torch.Generator().manual_seed(int(seed))
        self.noise_gen = torch.Generator(device=device).manual_seed(int(seed) + 1)
        self.inverse_updates = device.type == "cuda" if inverse_updates is None else inverse_updates
        self.nets = [p for name, p in module.named_parameters() if name != "W"]
        self.enc_cache = None
        self.w_inv = None  # (I - W^T)^-1 kept current through the W-only epochs (inverse_updates)
        if optimiser not in OPTIMISERS:
            raise ValueError(f"unknown optimiser {optimiser!r}; choose from {OPTIMISERS}")
        self.joint = optimiser == "joint"
        self.da_p, self.da_weight, self.l1_delay = float(da_p), float(da_weight), int(l1_delay)
        if self.da_p > 0:
            if not 0 < self.da_p < 1 or zero_value is None or not module.da_classifier:
                raise ValueError("dropout augmentation needs 0 < da_p < 1, zero_value and the module's classifier")
            self.zero_value = zero_value
            self.da_gen = torch.Generator(device=device).manual_seed(int(seed) + 2)
        self.epoch = 0

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        if self.joint:  # DAZZLE: one Adam, networks and W in one step, rates halved after 1000 and 2000 steps
            opt = torch.optim.Adam([{"params": self.nets, "lr": self.lr},
                                    {"params": [self.module.W], "lr": self.lr * self.lr_w_ratio}], betas=(0.9, 0.9))
            self.sched = None
            self.step_sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[1000, 2000], gamma=0.5)
            return {"joint": opt}
        self.step_sched = None
        self.opt_nets = torch.optim.RMSprop(self.nets, lr=self.lr)
        self.sched = (torch.optim.lr_scheduler.StepLR(self.opt_nets, step_size=1, gamma=self.gamma)
                      if self.lr_decay else None)
        return {"networks": self.opt_nets, "W": torch.optim.RMSprop([self.module.W], lr=self.lr * self.lr_w_ratio)}

    def on_train_start(self) -> None:
        self.module.train()

    def on_epoch_start(self, epoch: int) -> str:
        self.epoch = epoch
        self.perm = torch.randperm(self.Z.shape[0], generator=self.cpu_gen).to(self.Z.device)
        module = self.module
        if self.joint:  # everything trains; I - W^T, its solve and mean|W| follow W in every step
            self.nets_phase = True
            _set_trainable(self.nets, True)
            module.W.requires_grad_(True)
            self.a = self.a_inv = self.l1 = self.enc_cache = None
            return "joint"
        self.nets_phase = epoch % (self.k1 + self.k2) < self.k1
        if self.nets_phase:
            self.enc_cache = None
            _set_trainable(self.nets, True)
            module.W.requires_grad_(False)
            with torch.no_grad():  # W frozen for the epoch: I - W^T, its inverse and mean|W| once
                self.a = module.grn_matrix()
                self.a_inv = per_member_linalg(torch.linalg.inv, self.a)
                self.l1 = module.l1()
            self.w_inv = self.a_inv if self.inverse_updates else None
            return "networks"
        _set_trainable(self.nets, False)
        module.W.requires_grad_(True)
        self.a = self.a_inv = self.l1 = None
        if self.enc_cache is None and self.da_p == 0:  # networks frozen for the whole W block: encode every cell once
            self.enc_cache = _encode_all(module, self.Z, self.batch_size)
        return "W"

    def batches(self, epoch: int):
        for lo in range(0, self.Z.shape[0], self.batch_size):
            yield self.perm[lo : lo + self.batch_size]

    def training_step(self, idx: torch.Tensor) -> LossOutput:
        m = self.mask[idx] if self.mask is not None else None
        enc = (self.enc_cache[0][:, idx], self.enc_cache[1][:, idx]) if self.enc_cache is not None else None
        x, injected, extra = self.Z[idx], None, {}
        if self.da_p > 0:  # dropout augmentation: a share of entries set to the value of a raw zero
            injected = torch.rand(x.shape, generator=self.da_gen, device=x.device, dtype=x.dtype) < self.da_p
            x = torch.where(injected, self.zero_value, x)
            extra = {"injected": injected, "da_pos_weight": (1.0 - self.da_p) / self.da_p}
        out = self.module(x, m, enc=enc, a=self.a, a_inv=self.a_inv if self.nets_phase else self.w_inv,
                          l1=self.l1, generator=self.noise_gen, **extra)
        alpha = self.alpha if self.epoch >= self.l1_delay else 0.0
        per_member = out["rec"] + self.beta * out["kl"] + alpha * out["l1"]
        if injected is not None:
            per_member = per_member + self.da_weight * out["da"]
        with torch.no_grad():  # reported: the members' means
            terms = {"loss": per_member.mean(), "reconstruction": out["rec"].mean(), "kl": out["kl"].mean(),
                     "l1": out["l1"].mean()}
            if injected is not None:
                terms["dropout_classifier"] = out["da"].mean()
        return LossOutput(per_member.sum(), terms, n=int(idx.numel()))

    def after_backward(self) -> None:
        self.module.zero_grad_diagonal()

    def after_step(self) -> None:
        if self.step_sched is not None:
            self.step_sched.step()
        if self.w_inv is not None and not self.nets_phase:
            with torch.no_grad():
                self.w_inv = refine_inverse(self.module.grn_matrix(), self.w_inv)

    def on_epoch_end(self, epoch: int) -> dict[str, float]:
        if self.sched is not None:
            self.sched.step()
        return {} if self.joint else {"phase": 0.0 if self.nets_phase else 1.0}

    def on_train_end(self) -> None:
        _set_trainable(self.nets, True)
        self.module.W.requires_grad_(True)
        self.module.eval()

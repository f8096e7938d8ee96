"""DeepSEM's alternating optimisation: the networks for K1 epochs (W frozen), then W alone for K2 epochs.

Both phases use RMSprop (W at ``lr_w_ratio * lr``), minibatches of ``batch_size`` cells reshuffled each epoch
(one order shared by all ensemble members). The loss of each member is MSE + beta*KL + alpha*mean|W|; the
members' losses are summed, so each member gets exactly its own gradient. Optional per-epoch learning-rate
decay of the networks' optimiser reproduces the reference's ``StepLR`` on old PyTorch (see spec help).
Speed-ups that leave the mathematics unchanged: while W is frozen (I - W^T)^-1 is computed once per epoch;
while the networks are frozen the encoder's outputs are computed once per W block and only the gradients
that W needs are propagated.
"""

from __future__ import annotations

import torch

from ...context import RunContext
from .module import DeepSEMModule, per_member_linalg, refine_inverse


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


def train_deepsem(
    module: DeepSEMModule,
    Z: torch.Tensor,
    mask: torch.Tensor | None,
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 1e-4,
    lr_w_ratio: float = 0.2,
    alpha: float = 100.0,
    beta: float = 1.0,
    k1: int = 1,
    k2: int = 2,
    lr_decay: bool = False,
    gamma: float = 0.95,
    seed: int = 0,
    ctx: RunContext | None = None,
    inverse_updates: bool | None = None,
) -> list[dict]:
    """Train ``module`` in place on the transformed matrix ``Z`` (cells x genes, on the module's device).

    Reports ``ctx.progress`` every epoch with the members' mean loss and its terms; returns the history.
    ``inverse_updates`` (default: on CUDA only): in the W-only epochs keep (I - W^T)^-1 up to date by
    Newton-Schulz steps after each W step (:func:`refine_inverse`) instead of an LU solve per batch.
    """
    ctx = ctx or RunContext()
    device = Z.device
    nets = [p for name, p in module.named_parameters() if name != "W"]
    opt_nets = torch.optim.RMSprop(nets, lr=lr)
    opt_w = torch.optim.RMSprop([module.W], lr=lr * lr_w_ratio)
    sched = torch.optim.lr_scheduler.StepLR(opt_nets, step_size=1, gamma=gamma) if lr_decay else None
    cpu_gen = torch.Generator().manual_seed(int(seed))
    noise_gen = torch.Generator(device=device).manual_seed(int(seed) + 1)
    n = Z.shape[0]
    cycle = k1 + k2
    enc_cache = None
    if inverse_updates is None:
        inverse_updates = device.type == "cuda"
    w_inv = None  # (I - W^T)^-1 kept current through the W-only epochs (inverse_updates)
    module.train()
    for epoch in range(epochs):
        nets_phase = epoch % cycle < k1
        perm = torch.randperm(n, generator=cpu_gen).to(device)
        if nets_phase:
            enc_cache = None
            _set_trainable(nets, True)
            module.W.requires_grad_(False)
            with torch.no_grad():  # W frozen for the epoch: I - W^T, its inverse and mean|W| once
                a = module.grn_matrix()
                a_inv = per_member_linalg(torch.linalg.inv, a)
                l1 = module.l1()
            w_inv = a_inv if inverse_updates else None
            opt = opt_nets
        else:
            _set_trainable(nets, False)
            module.W.requires_grad_(True)
            a = a_inv = l1 = None
            if enc_cache is None:  # networks frozen for the whole W block: encode every cell once
                enc_cache = _encode_all(module, Z, batch_size)
            opt = opt_w
        sums = torch.zeros(4, device=device)
        for lo in range(0, n, batch_size):
            idx = perm[lo : lo + batch_size]
            x = Z[idx]
            m = mask[idx] if mask is not None else None
            enc = (enc_cache[0][:, idx], enc_cache[1][:, idx]) if enc_cache is not None else None
            out = module(x, m, enc=enc, a=a, a_inv=a_inv if nets_phase else w_inv, l1=l1, generator=noise_gen)
            per_member = out["rec"] + beta * out["kl"] + alpha * out["l1"]
            opt.zero_grad(set_to_none=True)
            per_member.sum().backward()
            module.zero_grad_diagonal()
            opt.step()
            if w_inv is not None and not nets_phase:
                with torch.no_grad():
                    w_inv = refine_inverse(module.grn_matrix(), w_inv)
            with torch.no_grad():
                sums += torch.stack([per_member.mean(), out["rec"].mean(), out["kl"].mean(), out["l1"].mean()])
        if sched is not None:
            sched.step()
        n_batches = -(-n // batch_size)
        loss, rec, kl, l1 = (sums / n_batches).tolist()
        ctx.progress(epoch + 1, epochs, loss=loss, rec_loss=rec, kl_loss=kl, l1=l1, phase=0.0 if nets_phase else 1.0)
    _set_trainable(nets, True)
    module.W.requires_grad_(True)
    module.eval()
    return ctx.history

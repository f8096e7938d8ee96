"""Training loop for the VAE / GMVAE modules (mini-batch Adam, KL warm-up, free nats, grad clipping)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ...context import RunContext


@dataclass
class TensorData:
    """What the loop needs, already on the device: encoder input, likelihood target, log library size."""

    x_in: torch.Tensor
    x_target: torch.Tensor
    log_library: torch.Tensor | None  # (n, 1) for count likelihoods

    def __len__(self) -> int:
        return self.x_in.shape[0]

    def batch(self, idx: torch.Tensor):
        lib = None if self.log_library is None else self.log_library[idx]
        return self.x_in[idx], self.x_target[idx], lib


def kl_weight(epoch: int, beta: float, kl_warmup: int) -> float:
    """beta, ramped linearly from beta/kl_warmup at epoch 0 to beta at epoch kl_warmup-1."""
    if kl_warmup <= 0:
        return beta
    return beta * min(1.0, (epoch + 1) / kl_warmup)


def train_module(module, data: TensorData, ctx: RunContext, *, epochs: int = 100, lr: float = 1e-3,
                 batch_size: int = 128, beta: float = 1.0, kl_warmup: int = 0, free_nats: float = 0.0,
                 grad_clip: float = 50.0, seed: int = 0) -> list[dict]:
    """Fit ``module`` in place; reports every epoch to ``ctx`` (NaN/inf -> NonFiniteLossError)."""
    n = len(data)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(module.parameters(), lr=lr, weight_decay=1e-6, eps=0.01)
    params = [p for p in module.parameters() if p.requires_grad]
    module.train()
    history = []
    for epoch in range(epochs):
        w = kl_weight(epoch, beta, kl_warmup)
        perm = torch.randperm(n, generator=gen).to(data.x_in.device)
        sums = torch.zeros(3, device=data.x_in.device)
        seen = 0
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            if idx.numel() < 2 and n >= 2:  # BatchNorm needs two cells
                continue
            out = module.loss(*data.batch(idx), beta=w, free_nats=free_nats)
            opt.zero_grad(set_to_none=True)
            out["loss"].backward()
            if grad_clip:
                torch.nn.utils.clip_grad_norm_(params, grad_clip)
            opt.step()
            k = idx.numel()
            sums += torch.stack([out["loss"].detach(), out["recon"], out["kl"]]) * k
            seen += k
        loss, recon, kl = (sums / max(seen, 1)).tolist()
        record = {"loss": loss, "recon": recon, "kl": kl, "kl_weight": w}
        history.append(record)
        ctx.progress(epoch + 1, epochs, **record)
    module.eval()
    return history

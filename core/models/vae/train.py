"""Training plan of the VAE / GMVAE modules (mini-batch Adam, KL warm-up, free nats, gradient clipping), and
the size-aware epoch rule used when epochs are unset."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..fit import LossOutput, TrainingPlan

#: Gradient steps a VAE / GMVAE gets at least when epochs are unset (see default_epochs).
MIN_STEPS = 6000
MAX_EPOCHS = 1000


def default_epochs(n_cells: int, batch_size: int = 128) -> int:
    """Epochs when none are given: scvi-tools' rule raised to at least ``MIN_STEPS`` steps, at most ``MAX_EPOCHS``.

    scvi-tools' rule, ``min(400, round(20000 / n_cells * 400))`` epochs, counts passes over the data, so a small
    dataset (a few hundred cells = a few mini-batches per epoch) gets only ~2000 gradient steps and ends
    under-fitted: its gene-wise NB dispersion absorbs the structure the latent has not learned yet and simulated
    cells are over-dispersed (700 PBMCs x 100 genes, NB, perturb noise 1, grouped folds: classifier AUC 0.58
    after 400 epochs, 0.51 after 1000; 100 epochs scored 0.83, see bench/simulate_results.md).
    """
    n = max(int(n_cells), 1)
    scvi = min(400, max(1, round(20000 / n * 400)))
    steps_per_epoch = max(1, -(-n // int(batch_size)))
    return int(min(MAX_EPOCHS, max(scvi, -(-MIN_STEPS // steps_per_epoch))))


@dataclass
class TensorData:
    """What the loop needs, already on the device: encoder input, likelihood target, log library size."""

    x_in: torch.Tensor
    x_target: torch.Tensor
    log_library: torch.Tensor | None  # (n, 1) for count likelihoods

    def __len__(self) -> int:
        return self.x_in.shape[0]

    @property
    def device(self) -> torch.device:
        return self.x_in.device

    def batch(self, idx: torch.Tensor):
        lib = None if self.log_library is None else self.log_library[idx]
        return self.x_in[idx], self.x_target[idx], lib


class RowData:
    """The same for data too big to hold dense (a sparse layer): each mini-batch's rows are densified on the CPU
    (``prepared.rows``, core.models.vae.data) and moved to the device; only the library sizes are held whole."""

    def __init__(self, prepared, device):
        self.prepared, self._device = prepared, torch.device(device)
        lib = prepared.log_library
        self.log_library = None if lib is None else torch.as_tensor(lib, device=self._device)

    def __len__(self) -> int:
        return len(self.prepared)

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")  # the shuffle stays on the CPU: rows are taken from a scipy matrix

    def batch(self, idx: torch.Tensor):
        rows = idx.numpy()  # in the shuffled order, as TensorData gives them (dropout masks follow positions)
        x_in, target = self.prepared.rows(rows)
        t = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(self._device)  # noqa: E731
        lib = None if self.log_library is None else self.log_library[torch.from_numpy(rows).to(self._device)]
        return t(x_in), t(target), lib


def kl_weight(epoch: int, beta: float, kl_warmup: int) -> float:
    """beta, ramped linearly from beta/kl_warmup at epoch 0 to beta at epoch kl_warmup-1."""
    if kl_warmup <= 0:
        return beta
    return beta * min(1.0, (epoch + 1) / kl_warmup)


class VAEPlan(TrainingPlan):
    """Adam (weight decay 1e-6, eps 0.01) on reshuffled mini-batches; a last batch of one cell is skipped
    (BatchNorm needs two)."""

    def __init__(self, module, data: TensorData, *, epochs: int, lr: float, batch_size: int, beta: float,
                 kl_warmup: int, free_nats: float, seed: int, grad_clip: float = 50.0):
        self.module, self.data, self.n_epochs = module, data, int(epochs)
        self.lr, self.batch_size, self.beta, self.kl_warmup = lr, int(batch_size), beta, int(kl_warmup)
        self.free_nats, self.grad_clip = free_nats, grad_clip
        self.gen = torch.Generator().manual_seed(int(seed))

    def configure_optimizers(self):
        self.params = [p for p in self.module.parameters() if p.requires_grad]
        return {"adam": torch.optim.Adam(self.module.parameters(), lr=self.lr, weight_decay=1e-6, eps=0.01)}

    def on_train_start(self) -> None:
        self.module.train()

    def on_epoch_start(self, epoch: int) -> str:
        self.weight = kl_weight(epoch, self.beta, self.kl_warmup)
        return "adam"

    def batches(self, epoch: int):
        n = len(self.data)
        perm = torch.randperm(n, generator=self.gen).to(self.data.device)
        for start in range(0, n, self.batch_size):
            idx = perm[start:start + self.batch_size]
            if idx.numel() < 2 and n >= 2:  # BatchNorm needs two cells
                continue
            yield idx

    def training_step(self, idx: torch.Tensor) -> LossOutput:
        return self.module.loss(*self.data.batch(idx), beta=self.weight, free_nats=self.free_nats)

    def after_backward(self) -> None:
        if self.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.params, self.grad_clip)

    def on_epoch_end(self, epoch: int) -> dict[str, float]:
        return {"kl_weight": self.weight}

    def on_train_end(self) -> None:
        self.module.eval()

"""One training loop for every family: a :class:`TrainingPlan` says what an epoch is, :func:`fit` runs it.

    history = fit(plan, callbacks=[ctx])        # ctx: core.context.RunContext, or any Callback

Per epoch the loop asks the plan which optimiser trains (``on_epoch_start``: DeepSEM's alternation is a
two-phase plan; one-optimiser plans return the same one every epoch), iterates ``plan.batches(epoch)``, and
for each batch calls ``training_step`` (returns a :class:`LossOutput`), back-propagates ``loss``, lets the plan
adjust gradients (``after_backward``), steps, and lets the plan update caches (``after_step``). Every named
term of the LossOutput is averaged over the epoch (weighted by ``n``), checked for NaN/inf
(:class:`~core.errors.NonFiniteLossError` names the term) and handed to the callbacks as one record
``{"terms": {...}, "metrics": {...}}``. A callback may raise :class:`StopTraining` to end training early
(e.g. a time budget); the model stays usable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol, Sequence

import torch

from ..errors import NonFiniteLossError


@dataclass
class LossOutput:
    """What a training step returns: the tensor to back-propagate and its named terms (all reported)."""

    loss: torch.Tensor
    terms: dict[str, torch.Tensor] = field(default_factory=dict)
    n: int = 1  # weight of this batch in the epoch mean (cells in the batch)

    def reported(self) -> dict[str, torch.Tensor]:
        """``loss`` first (a term named "loss" replaces it, e.g. a mean over ensemble members), then every
        named term, detached."""
        out = {"loss": self.loss.detach()}
        out.update({k: torch.as_tensor(v).detach() for k, v in self.terms.items()})
        return out


class StopTraining(Exception):
    """Raised by a callback to end training after the current epoch (the model keeps what it learned)."""


class Callback(Protocol):
    def on_epoch_end(self, epoch: int, n_epochs: int, record: dict[str, Any]) -> None: ...


class TrainingPlan:
    """Base plan: one optimiser, plain mini-batches; families override what differs."""

    n_epochs: int = 1

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def on_train_start(self) -> None:
        """Called once before the first epoch (put the module in train mode, move data...)."""

    def on_epoch_start(self, epoch: int) -> str:
        """Prepare epoch ``epoch`` (0-based); return the name of the optimiser that trains in it."""
        return next(iter(self._optimizer_names))

    def batches(self, epoch: int) -> Iterable[Any]:
        raise NotImplementedError

    def training_step(self, batch: Any) -> LossOutput:
        raise NotImplementedError

    def after_backward(self) -> None:
        """Between backward and the optimiser step (gradient clipping, masking)."""

    def after_step(self) -> None:
        """After the optimiser step (caches that follow the parameters)."""

    def on_epoch_end(self, epoch: int) -> dict[str, float]:
        """End of epoch ``epoch`` (schedulers); returns per-epoch values that are not loss terms (KL weight,
        training phase...)."""
        return {}

    def on_train_end(self) -> None:
        """Called once after the last epoch, also when a callback stopped training early."""


def fit(plan: TrainingPlan, callbacks: Sequence[Callback] = ()) -> list[dict[str, Any]]:
    """Train ``plan`` for ``plan.n_epochs`` epochs; returns one record per epoch (see module docstring)."""
    optimizers = plan.configure_optimizers()
    plan._optimizer_names = list(optimizers)
    history: list[dict[str, Any]] = []
    plan.on_train_start()
    try:
        for epoch in range(plan.n_epochs):
            opt = optimizers[plan.on_epoch_start(epoch)]
            sums: dict[str, torch.Tensor] = {}
            seen: dict[str, int] = {}  # per term: a term may be absent from some batches
            for batch in plan.batches(epoch):
                out = plan.training_step(batch)
                opt.zero_grad(set_to_none=True)
                out.loss.backward()
                plan.after_backward()
                opt.step()
                plan.after_step()
                with torch.no_grad():
                    for key, value in out.reported().items():
                        value = value.float() * out.n
                        sums[key] = sums[key] + value if key in sums else value
                        seen[key] = seen.get(key, 0) + out.n
            terms = {k: float(v) / max(seen[k], 1) for k, v in sums.items()}
            for key, value in terms.items():
                if not math.isfinite(value):
                    raise NonFiniteLossError(epoch + 1, value, key)
            record = {"terms": terms, "metrics": plan.on_epoch_end(epoch)}
            history.append(record)
            try:
                for cb in callbacks:
                    cb.on_epoch_end(epoch + 1, plan.n_epochs, record)
            except StopTraining:
                break
    finally:
        plan.on_train_end()
    return history

"""A diagnostic GRN family for tests of the job system: progress, crash, NaN (in a named term) and cancel.

Importing this module registers it (``core.registry.register``); runs record this module as their origin, so
background jobs import it too.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from core.context import RunContext
from core.errors import InputError
from core.grn.correlation import pearson_grn
from core.models.base import BaseModel, GRNMixin
from core.models.fit import LossOutput, TrainingPlan
from core.registry import register
from core.specs import MethodSpec, Param


class DebugPlan(TrainingPlan):
    """One step per epoch that sleeps; the loss is 1/epoch; ``fail`` breaks it on purpose half way."""

    def __init__(self, module, epochs: int, seconds: float, fail: str):
        self.module, self.n_epochs, self.seconds, self.fail = module, int(epochs), float(seconds), fail

    def configure_optimizers(self):
        return {"sgd": torch.optim.SGD(self.module.parameters(), lr=0.0)}

    def on_epoch_start(self, epoch: int) -> str:
        self.epoch = epoch + 1
        return "sgd"

    def batches(self, epoch: int):
        yield None

    def training_step(self, batch) -> LossOutput:
        time.sleep(self.seconds)
        half = max(1, self.n_epochs // 2)
        if self.fail == "crash" and self.epoch == half:
            raise ZeroDivisionError("simulated crash inside the model")
        penalty = float("nan") if self.fail == "nan" and self.epoch == half else 0.0
        loss = self.module.weight.sum() * 0.0 + 1.0 / self.epoch
        return LossOutput(loss, {"penalty": torch.tensor(penalty)})


class DebugModel(BaseModel, GRNMixin):
    def setup(self, adata):
        if self.params["fail"] == "input":
            raise InputError("simulated bad input")
        return adata

    def build_module(self):
        return torch.nn.Linear(1, 1)

    def training_plan(self):
        p = self.params
        return DebugPlan(self.module, p["epochs"], p["seconds_per_epoch"], p["fail"])

    def get_grn(self, tfs=None, top_k=None):
        edges = pearson_grn(self.data, RunContext(tfs=tfs))
        edges.attrs["n_parameters"] = int(np.int64(0))
        return edges


SPEC = register(MethodSpec(
    name="debug", label="Diagnostic job", capabilities=("grn",), model=DebugModel, neural=True,
    params=(
        Param("epochs", 5, "epochs to run", kind="int", min=1),
        Param("seconds_per_epoch", 0.2, "sleep per epoch", kind="float", min=0),
        Param("fail", "none", "how to end", kind="choice", choices=("none", "crash", "nan", "input")),
    ),
    description="Sleeps per epoch and reports a decreasing loss; can crash or diverge on purpose.",
))
DebugModel.spec = SPEC

"""A diagnostic GRN method for tests of the job system: progress, crash, NaN and cancel paths."""

from __future__ import annotations

import time

import numpy as np

from ..errors import InputError
from ..context import RunContext
from .correlation import pearson_grn


def debug_grn(adata, ctx: RunContext, epochs: int = 5, seconds_per_epoch: float = 0.2, fail: str = "none"):
    for epoch in range(1, epochs + 1):
        time.sleep(seconds_per_epoch)
        loss = 1.0 / epoch
        if fail == "nan" and epoch == max(1, epochs // 2):
            loss = float("nan")
        if fail == "crash" and epoch == max(1, epochs // 2):
            raise ZeroDivisionError("simulated crash inside the model")
        if fail == "input":
            raise InputError("simulated bad input")
        ctx.progress(epoch, epochs, loss=loss)
    edges = pearson_grn(adata, RunContext(tfs=ctx.tfs))
    edges.attrs["n_parameters"] = int(np.int64(0))
    return edges

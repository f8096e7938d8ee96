"""Task dispatch: params.json's ``task`` -> the function that runs it.

A task function is ``run(adata, params: dict, ctx: RunContext) -> dict`` (metrics for status.json); it
writes its artifacts through ``ctx.artifact(name)``. Imported lazily so a broken optional family cannot take
the others down.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from ..errors import InputError

TASKS = {
    "grn": "core.grn.task:run",
    "embed": "core.embedding.task:run",
    "simulate": "core.simulation.task:run",
    "grn_confidence": "core.grn.confidence_task:run",
    "generate": "core.simulation.generate_task:run",
    "regulons": "core.grn.regulons_task:run",
}


def task_function(task: str) -> Callable[..., dict[str, Any]]:
    if task not in TASKS:
        raise InputError(f"Unknown task {task!r}; known tasks: {', '.join(TASKS)}.")
    module, _, func = TASKS[task].partition(":")
    return getattr(importlib.import_module(module), func)

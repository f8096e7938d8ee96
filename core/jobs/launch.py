"""Launch a run on a prepared dataset: create the run directory and hand it to an executor."""

from __future__ import annotations

from typing import Any

from ..data.store import PreparedDataset
from ..errors import InputError
from ..registry import get_method
from .executor import Executor, default_executor
from .rundir import Run, create_run


def prepare_run(
    dataset: PreparedDataset,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    preset: str | None = None,
    seed: int = 0,
    device: str = "auto",
    use_tfs: bool = True,
    use_reference: bool = True,
    labels_key: str | None = None,
    task: str | None = None,
    extra: dict[str, Any] | None = None,
    label_suffix: str = "",
    grn_inputs: dict[str, Any] | None = None,
    time_budget_s: float = 0,
) -> Run:
    """Validate ``params`` against the method's spec and create the run directory ("queued", not submitted).
    ``task`` ("grn", "embed"): what to learn, among the method's tasks (default: its first); ``extra``: more
    fields for params.json (e.g. a sweep's ``sweep_id``); ``grn_inputs`` (a network only): ``n_top_genes`` /
    ``max_cells`` (0 = all) over core.data.grn_inputs' defaults, recorded as params.json's ``grn_inputs``; ``time_budget_s`` > 0: training stops after that long (recorded)."""
    spec = get_method(method)
    if spec.unavailable:
        raise InputError(spec.unavailable)
    task = task or spec.task
    if task not in spec.tasks:
        raise InputError(f"{spec.label} cannot do {task!r}; it does {', '.join(spec.tasks)}.")
    resolved = spec.resolve_params(params, preset)  # raises InputError on bad values before anything starts
    meta = dataset.meta
    tfs = dataset.tfs if (use_tfs and spec.uses_tfs) else None
    inputs = {"grn_inputs": grn_input_settings(grn_inputs)} if task == "grn" else {}
    if spec.cost is not None:  # refuse now a run that will not fit in memory, with the size it would need
        from .estimate import estimate, require_fits, run_shape

        shape = run_shape(meta, task, inputs.get("grn_inputs"), len(tfs or []))
        require_fits(estimate(spec, *shape, resolved, device), f"This {spec.label} run")
    return create_run(
        task, method, dataset.h5ad, resolved, seed=seed, device=device,
        tfs=tfs,
        reference=dataset.reference if use_reference else None,
        label=spec.label + (f" ({preset})" if preset else "") + label_suffix,
        extra={"preset": preset, "dataset_id": dataset.id, "dataset_name": meta.get("name"),
               "labels_key": labels_key if labels_key is not None else meta.get("labels_key"),
               "perturbation_key": meta.get("perturbation_key"), "origin": spec.origin, **inputs,
               **({"time_budget_s": float(time_budget_s)} if time_budget_s else {}), **(extra or {})},
    )


def launch(
    dataset: PreparedDataset,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    executor: Executor | None = None,
    **options: Any,
) -> Run:
    """Validate ``params`` against the method's spec, create the run and submit it (returns at once).
    ``options``: those of :func:`prepare_run` (preset, seed, device, task, grn_inputs, ...)."""
    run = prepare_run(dataset, method, params, **options)
    (executor or default_executor()).submit(run)
    return run


def grn_input_settings(given: dict[str, Any] | None = None) -> dict[str, int]:
    """A network run's input settings: core.data.grn_inputs' defaults, then ``given``; checked."""
    from ..data.grn_inputs import DEFAULT_MAX_CELLS, DEFAULT_TOP_GENES

    out = {"n_top_genes": DEFAULT_TOP_GENES, "max_cells": DEFAULT_MAX_CELLS}
    for k, v in (given or {}).items():
        if k not in out:
            raise InputError(f"Unknown GRN input setting {k!r}; known: {sorted(out)}.")
        try:
            out[k] = int(v)
        except (TypeError, ValueError) as exc:
            raise InputError(f"GRN input setting {k!r} must be a whole number (0 = all), got {v!r}.") from exc
        if out[k] < 0:
            raise InputError(f"GRN input setting {k!r} must be 0 (all) or more, got {v}.")
    return out

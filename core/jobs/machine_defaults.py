"""Defaults that fit the machine: on a CPU a family's default ensemble is cut so that the default run finishes
in minutes (by the cost model, core.jobs.estimate) and a time budget caps it; on a GPU the spec's defaults
stand. What was chosen comes back in words for the Train page. Explicit settings are never changed: these
only fill the form."""

from __future__ import annotations

from typing import Any

from .estimate import duration_words, estimate

#: the default network run on a CPU should take about this long
CPU_TARGET_S = 10 * 60
#: a CPU run stops after this long (the network is read out of what was learned) unless the user sets 0
CPU_TIME_BUDGET_S = 9 * 60  # + reading, input selection and read-out: within 10 minutes


def machine_defaults(spec, n_cells: int, n_genes: int, params: dict[str, Any], device: str | Any = "auto"
                     ) -> tuple[dict[str, Any], float, str]:
    """(parameter overrides, time budget in seconds (0 = none), why in words) for ``spec`` with the resolved
    default ``params`` on this machine."""
    from ..device import resolve_device

    dev = device if hasattr(device, "type") else resolve_device(device)
    names = {p.name for p in spec.params}
    full = params.get("ensemble")
    if not spec.neural or spec.load_cost() is None:
        return {}, 0.0, ""
    if dev.type != "cpu":
        if isinstance(full, int) and full > 1:
            return {}, 0.0, f"On this {dev.type.upper()} the full ensemble of {full} members trains (no time budget)."
        return {}, 0.0, ""
    overrides: dict[str, Any] = {}
    if "ensemble" in names and isinstance(full, int) and full > 1:
        chosen = 1
        for k in range(full, 0, -1):
            if estimate(spec, n_cells, n_genes, {**params, "ensemble": k}, dev).seconds <= CPU_TARGET_S:
                chosen = k
                break
        if chosen < full:
            overrides["ensemble"] = chosen
    est = estimate(spec, n_cells, n_genes, {**params, **overrides}, dev)
    why = []
    if overrides:
        why.append(f"{overrides['ensemble']} ensemble member{'s' if overrides['ensemble'] > 1 else ''} instead of "
                   f"{full} (a GPU trains all {full})")
    budget = CPU_TIME_BUDGET_S if est.seconds > CPU_TARGET_S else 0.0
    if budget:
        why.append(f"a time budget of {duration_words(budget).removeprefix('about ')} (training stops there and the "
                   "network is read out of what was learned)")
    if not why:
        return {}, 0.0, ""
    return overrides, budget, (f"On this CPU the default is {' and '.join(why)}, so that it finishes in minutes; "
                               f"estimated {duration_words(min(est.seconds, budget or est.seconds))}.")

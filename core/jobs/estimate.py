"""Time and memory of a run before launch: the family's cost model (its MethodSpec's ``cost``) over the shapes
the run will get, divided by this machine's measured speed (core.jobs.speed); a lighter setting suggested when
the run is long; a run that will not fit in memory refused before it starts (core.memory).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..memory import human_bytes, require_memory

#: a run estimated longer than this gets a lighter setting suggested
LONG_S = 15 * 60


def duration_words(seconds: float) -> str:
    """'under a minute', 'about 4 minutes', 'about 1.5 hours', 'about 2 days'."""
    s = max(0.0, float(seconds))
    if s < 60:
        return "under a minute"
    if s < 3600:
        m = round(s / 60)
        return f"about {m} minute{'s' if m != 1 else ''}"
    if s < 48 * 3600:
        h = s / 3600
        return f"about {h:.1f} hours" if h < 10 else f"about {round(h)} hours"
    return f"about {round(s / 86400)} days"


@dataclass(frozen=True)
class Estimate:
    seconds: float
    bytes: float  # peak host memory (the device part included on a CPU)
    device_bytes: float  # on the accelerator (0 on a CPU)
    device: str  # the device type it was estimated for ("cpu", "cuda", "mps")
    speed: str  # the calibration it used, in words
    n_cells: int
    n_genes: int

    def words(self) -> str:
        mem = human_bytes(self.bytes) + (f" ({human_bytes(self.device_bytes)} on the GPU)" if self.device_bytes else "")
        return (f"{duration_words(self.seconds)} and {mem} of memory on {self.n_cells:,} cells x {self.n_genes:,} genes "
                f"(this machine: {self.speed})")


def _resolve(device: str | Any):
    from ..device import resolve_device

    return device if hasattr(device, "type") else resolve_device(device)


def estimate(spec, n_cells: int, n_genes: int, params: dict[str, Any], device: str | Any = "auto") -> Estimate | None:
    """The estimate for ``spec`` with resolved ``params`` on ``n_cells`` x ``n_genes``; None when the family has
    no cost model."""
    fn = spec.load_cost()
    if fn is None:
        return None
    from .speed import machine_speed

    dev = _resolve(device)
    cost = fn(int(n_cells), int(n_genes), params)
    speed = machine_speed(dev)
    on_gpu = dev.type in ("cuda", "mps")
    return Estimate(seconds=cost.flops / speed.flops, bytes=cost.bytes - (cost.device_bytes if on_gpu else 0),
                    device_bytes=cost.device_bytes if on_gpu else 0.0, device=dev.type, speed=speed.words(),
                    n_cells=int(n_cells), n_genes=int(n_genes))


def run_shape(meta: dict[str, Any], task: str, grn_inputs: dict[str, int] | None, n_tfs: int = 0) -> tuple[int, int]:
    """Cells and genes a run will train on: the dataset's, cut by a network run's input settings (at most the
    TFs + the top-N genes, at most ``max_cells`` cells) without computing the variable genes."""
    n_cells, n_genes = int(meta.get("n_cells") or 0), int(meta.get("n_genes") or 0)
    if task == "grn" and grn_inputs:
        top, cells = int(grn_inputs.get("n_top_genes") or 0), int(grn_inputs.get("max_cells") or 0)
        if top:
            n_genes = min(n_genes, top + int(n_tfs))
        if cells:
            n_cells = min(n_cells, cells)
    return n_cells, n_genes


def require_fits(est: Estimate | None, what: str) -> None:
    """InputError before launch when the run will not fit in memory, stating the size it would need."""
    if est is None:
        return
    require_memory(est.bytes, f"{what} on {est.n_cells:,} cells x {est.n_genes:,} genes")
    if est.device == "cuda" and est.device_bytes:
        import torch

        free, _ = torch.cuda.mem_get_info()
        if est.device_bytes > 0.9 * free:
            raise InputError(f"{what} on {est.n_cells:,} cells x {est.n_genes:,} genes needs {human_bytes(est.device_bytes)} "
                             f"of GPU memory; {human_bytes(free)} is free. Keep fewer genes or cells, or a smaller "
                             "ensemble / batch.")


def fits(est: Estimate | None) -> bool:
    try:
        require_fits(est, "This run")
    except InputError:
        return False
    return True


#: lighter settings tried in order when a run is long: (parameter, new value from the current one, words)
_LIGHTER = (
    ("ensemble", lambda v: max(1, min(v - 1, math.ceil(v / 3))), "ensemble members"),
    ("epochs", lambda v: max(1, v // 2), "epochs"),
)


def suggest_lighter(spec, n_cells: int, n_genes: int, params: dict[str, Any], device: str | Any = "auto",
                    target_s: float = LONG_S) -> tuple[dict[str, Any], str] | None:
    """When the estimate is over ``target_s``: the first of fewer members, then fewer epochs (cumulatively),
    that brings it under, as (changed parameters, words with the new estimate); None when not long (or no
    cost model, or nothing the family exposes helps)."""
    est = estimate(spec, n_cells, n_genes, params, device)
    if est is None or est.seconds <= target_s:
        return None
    names = {p.name for p in spec.params}
    trial, changed = dict(params), {}
    for name, lighter, words in _LIGHTER:
        if name not in names:
            continue
        cur = trial.get(name)
        if cur is None and name == "epochs":  # unset: the epochs the family's rule gives
            cur = spec.load_cost()(int(n_cells), int(n_genes), trial).epochs
        if cur is None:
            continue
        while int(cur) > 1:
            cur = lighter(int(cur))
            trial[name] = changed[name] = cur
            e = estimate(spec, n_cells, n_genes, trial, device)
            if e.seconds <= target_s:
                return changed, (", ".join(f"{k} {v}" for k, v in changed.items())
                                 + f": {duration_words(e.seconds)}")
    e = estimate(spec, n_cells, n_genes, trial, device)
    if changed and e.seconds < est.seconds:
        return changed, ", ".join(f"{k} {v}" for k, v in changed.items()) + f": {duration_words(e.seconds)} (still long: " \
            "keep fewer genes or cells too)"
    return None


__all__ = ["Estimate", "LONG_S", "duration_words", "estimate", "fits", "require_fits",
           "run_shape", "suggest_lighter"]

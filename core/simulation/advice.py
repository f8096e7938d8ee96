"""Is a training run trained enough to simulate from? (The Simulation page's under-trained warning.)"""

from __future__ import annotations

from typing import Any

#: A run with fewer than this fraction of its family's advised epochs is called under-trained.
UNDERTRAINED_FRACTION = 0.5


def undertrained(params: dict[str, Any], n_cells: int | None) -> str | None:
    """A warning with the fix when the training run described by ``params`` (its params.json) used far fewer
    epochs than its family's size-aware rule (``MethodSpec.advised_epochs``) for ``n_cells``; None otherwise."""
    from ..registry import get_method

    try:
        spec = get_method(params.get("method"), params.get("origin"))
    except Exception:  # a family no longer registered: nothing to advise
        return None
    rule = spec.load_advised_epochs()
    hp = params.get("params") or {}
    epochs = hp.get("epochs")
    if rule is None or epochs is None or not n_cells:
        return None
    advised = int(rule(int(n_cells), int(hp.get("batch_size") or 128)))
    if epochs >= UNDERTRAINED_FRACTION * advised:
        return None
    return (f"This {spec.label} was trained for only {epochs} epochs; for {n_cells:,} cells the size-aware rule "
            f"gives {advised} epochs. An under-trained model simulates cells that are easy to tell from real ones. "
            f"Fix: train it again on the Train page with the preset “size-aware (default)” (epochs left empty).")

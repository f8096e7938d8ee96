"""All registered methods, by name. Each model family adds its spec here (one line each)."""

from __future__ import annotations

import os

from .errors import InputError
from .specs import MethodSpec


def _collect() -> dict[str, MethodSpec]:
    from .grn import correlation_spec

    specs: list[MethodSpec] = [*correlation_spec.SPECS]
    # Model families register below (keep one import per family):
    from .grn import trees_spec; specs += trees_spec.SPECS  # noqa: E702
    from .models.deepsem import spec as deepsem_spec; specs += deepsem_spec.SPECS  # noqa: E702
    from .models.vae import spec as vae_spec; specs += vae_spec.SPECS  # noqa: E702
    from .embedding import spec as embed_spec; specs += embed_spec.SPECS  # noqa: E702
    from .models.catran import spec as catran_spec; specs += [catran_spec.SPEC]  # noqa: E702
    if os.environ.get("SCGRN_DEBUG_METHODS") == "1":
        from .grn import debug_spec

        specs += debug_spec.SPECS
    return {s.name: s for s in specs}


_REGISTRY: dict[str, MethodSpec] | None = None


def methods(task: str | None = None) -> dict[str, MethodSpec]:
    """Registered methods, optionally only those of one task ("grn" or "embed")."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _collect()
    return {k: v for k, v in _REGISTRY.items() if task is None or v.task == task}


def get_method(name: str) -> MethodSpec:
    reg = methods()
    if name not in reg:
        raise InputError(f"Unknown method {name!r}; available: {', '.join(sorted(reg))}.")
    return reg[name]

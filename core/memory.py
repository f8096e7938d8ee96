"""Memory guard: say how much memory a dense step needs before trying it (an InputError, not an OOM kill)."""

from __future__ import annotations

import os

from .errors import InputError


def available_bytes() -> int:
    """Memory the system can give now (MemAvailable), or total physical memory where that is unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def gib(n_bytes: float) -> str:
    return f"{n_bytes / 1024**3:.1f} GiB"


def human_bytes(n_bytes: float) -> str:
    """'812 KB', '1.2 GB' (powers of 1024), for file sizes and memory estimates shown to users."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n_bytes >= scale:
            v = n_bytes / scale
            return f"{v:.1f} {unit}" if v < 100 else f"{v:.0f} {unit}"
    return f"{int(n_bytes)} B"


def require_memory(n_bytes: float, what: str, fraction: float = 0.8) -> None:
    """InputError when ``n_bytes`` exceed ``fraction`` of the memory available now (``SCGRN_MAX_MEMORY_GB``
    overrides what is available)."""
    limit = os.environ.get("SCGRN_MAX_MEMORY_GB")
    avail = float(limit) * 1024**3 if limit else available_bytes() * fraction
    if n_bytes > avail:
        raise InputError(
            f"{what} needs {gib(n_bytes)} of memory; {gib(avail)} is available. Keep fewer genes (highly variable "
            "genes on the Data page) or fewer cells, or use a machine with more memory."
        )


def require_dense(shape: tuple[int, int], itemsize: int, what: str = "A dense copy of the data") -> None:
    """Guard a cells x genes dense array of ``shape`` and ``itemsize`` bytes per value."""
    n_obs, n_vars = int(shape[0]), int(shape[1])
    require_memory(float(n_obs) * n_vars * itemsize, f"{what} ({n_obs:,} x {n_vars:,})")

"""This machine's measured speed, for the cost models (core.jobs.estimate): a tiny calibration, timed once per
device and cached in ``$SCGRN_HOME/speed.json``.

* ``flops``: float32 matrix-multiply throughput (FLOP/s), best of a few repeats of a square matmul (512 on a
  CPU, 4096 on a GPU). The cost models count everything else (element-wise work, per-step overheads) in
  matmul-equivalent FLOPs fitted on measured runs, so one number scales them all. (A separate small-op latency
  was tried: on a crowded 2-core machine it jumped between 0.1 and 70 ms from one measurement to the next.)
On a busy shared machine the figures are what a job would get now; :func:`measure` re-times them (the Train
page's "re-measure" and the tests).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from ..atomic import read_json, write_json_atomic
from .workspace import home

CACHE_FILE = "speed.json"
MAX_AGE_S = 7 * 24 * 3600  # re-measured after a week (a changed machine, drivers or torch)


@dataclass(frozen=True)
class Speed:
    device: str  # cache key, e.g. "cpu:2" (threads) or "cuda:NVIDIA H200"
    flops: float
    measured: float  # unix time

    def words(self) -> str:
        return f"{self.flops / 1e9:,.0f} GFLOP/s matmul ({self.device})"


def device_key(device) -> str:
    import torch

    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    if device.type == "cpu":
        return f"cpu:{torch.get_num_threads()}"
    return device.type


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def measure(device) -> Speed:
    """Time the calibration now (about 0.1-0.5 s) and cache it."""
    import torch

    n = 4096 if device.type == "cuda" else 512
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    a @ b  # warm-up (kernel selection, allocations)
    _sync(device)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(3):
            a @ b
        _sync(device)
        best = min(best, (time.perf_counter() - t) / 3)
    flops = 2.0 * n**3 / max(best, 1e-9)
    speed = Speed(device_key(device), flops, time.time())
    path = home() / CACHE_FILE
    cache = read_json(path, {}) if path.exists() else {}
    cache = cache if isinstance(cache, dict) else {}
    cache[speed.device] = asdict(speed)
    write_json_atomic(path, cache)
    return speed


def machine_speed(device) -> Speed:
    """The cached speed of ``device`` (a torch.device), measured now when missing or older than a week."""
    path = home() / CACHE_FILE
    cache = read_json(path, {}) if path.exists() else {}
    rec = cache.get(device_key(device)) if isinstance(cache, dict) else None
    try:
        speed = Speed(**rec) if isinstance(rec, dict) else None
    except TypeError:
        speed = None
    if speed is None or time.time() - speed.measured > MAX_AGE_S or speed.flops <= 0:
        speed = measure(device)
    return speed

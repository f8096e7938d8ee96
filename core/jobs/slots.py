"""One job at a time per device, first come first served, crash-safe.

A waiting job holds nothing; it polls until it is the oldest live queued job for its device and then takes
an exclusive ``fcntl.flock`` on ``<runs>/.locks/<device>.<slot>.lock``. The kernel releases the lock when
the process dies, so a crashed job can never block the queue. ``SCGRN_SLOTS_<DEVICE>`` (e.g.
``SCGRN_SLOTS_CPU=2``) allows more concurrent jobs on one device (default 1). Light jobs (simulations from a
finished model, model-free methods on small data) wait in their own ``light`` queue (``job_lane``).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Callable

from .process import is_alive


def slot_count(device_key: str) -> int:
    return max(1, int(os.environ.get(f"SCGRN_SLOTS_{device_key.split(':')[0].upper()}", "1")))


LIGHT_LANE = "light"
LIGHT_DATASET_BYTES = 20 * 1024**2  # a model-free method on a dataset file this small finishes in seconds
UNSUBMITTED_GRACE_S = 60.0  # a queued run with no process yet counts as waiting for this long


def job_lane(params: dict, device_key: str) -> str:
    """The queue a run waits in: ``light`` for simulations from a finished model and for model-free methods
    (correlation, tree ensembles) on small datasets, so that they never wait behind a long neural run; else
    the device's own queue."""
    from ..registry import get_method

    if params.get("task") in ("simulate", "regulons"):  # regulons: decoupler scoring, seconds
        return LIGHT_LANE
    try:
        spec = get_method(str(params.get("method")))
    except Exception:  # unknown method: the runner reports it; queue it normally
        return device_key
    if spec.neural:
        return device_key
    try:
        size = Path(str(params.get("dataset"))).stat().st_size
    except OSError:
        return device_key
    return LIGHT_LANE if size <= LIGHT_DATASET_BYTES else device_key


def _order(st: dict, run_id: str) -> tuple[float, str]:
    q = st.get("queued_at", st.get("created", 0))
    return (float(q) if isinstance(q, (int, float)) and not isinstance(q, bool) else 0.0, run_id)


def _queued_ahead(runs_root: Path, me: Path, device_key: str) -> bool:
    """True when an older run may still be waiting for the same queue: one queued with that key and a live
    process, or one just submitted whose process has not yet said which queue it waits in."""
    from .rundir import Run

    mine = _order(Run(me).status, me.name)
    now = time.time()
    for p in runs_root.iterdir():
        if p == me or not (p / "status.json").exists():
            continue
        if Run(p).status_raw().get("executor") == "slurm":
            continue  # SLURM schedules it, not this machine's queue
        st = Run(p).status  # reconciles dead processes
        if st.get("state") != "queued" or _order(st, p.name) >= mine:
            continue
        key = st.get("device_key")
        if key is not None and key != device_key:
            continue
        if st.get("pid"):
            if is_alive(st.get("pid"), st.get("pid_start")):
                return True
        elif key is None and now - _order(st, p.name)[0] < UNSUBMITTED_GRACE_S:
            return True  # submitted a moment ago: its process is starting
    return False


class DeviceSlot:
    """Context manager: wait (FIFO) for a free slot on ``device_key`` and hold it."""

    def __init__(self, runs_root: Path, run_path: Path, device_key: str, poll: float = 0.5,
                 on_wait: Callable[[], None] | None = None):
        self.runs_root, self.run_path, self.device_key = runs_root, run_path, device_key
        self.poll, self.on_wait = poll, on_wait
        self._fh = None

    def __enter__(self) -> "DeviceSlot":
        lock_dir = self.runs_root / ".locks"
        lock_dir.mkdir(exist_ok=True)
        safe = self.device_key.replace(":", "_")
        while True:
            if not _queued_ahead(self.runs_root, self.run_path, self.device_key):
                for i in range(slot_count(self.device_key)):
                    fh = open(lock_dir / f"{safe}.{i}.lock", "w")
                    try:
                        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        fh.close()
                        continue
                    self._fh = fh
                    return self
            if self.on_wait:
                self.on_wait()
            time.sleep(self.poll)

    def __exit__(self, *exc) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()

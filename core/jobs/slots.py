"""One job at a time per device, first come first served, crash-safe.

A waiting job holds nothing; it polls until it is the oldest live queued job for its device and then takes
an exclusive ``fcntl.flock`` on ``<runs>/.locks/<device>.<slot>.lock``. The kernel releases the lock when
the process dies, so a crashed job can never block the queue. ``SCGRN_SLOTS_<DEVICE>`` (e.g.
``SCGRN_SLOTS_CPU=2``) allows more concurrent jobs on one device (default 1).
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


def _queued_ahead(runs_root: Path, me: Path, device_key: str) -> bool:
    """True when an older live run is still queued for the same device."""
    from .rundir import Run

    mine = Run(me).status.get("queued_at", 0)
    for p in runs_root.iterdir():
        if p == me or not (p / "status.json").exists():
            continue
        st = Run(p).status  # reconciles dead processes
        if (
            st.get("state") == "queued"
            and st.get("device_key") == device_key
            and st.get("queued_at", 0) < mine
            and is_alive(st.get("pid"), st.get("pid_start"))
        ):
            return True
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

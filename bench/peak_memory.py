"""Peak resident memory of a block of work (RSS sampled by a thread with psutil), for the benchmarks.

    with PeakMemory() as mem:
        train(...)
    mem.peak_mb   # highest RSS seen above the RSS at entry, in MB
"""

from __future__ import annotations

import threading

import psutil


class PeakMemory:
    def __init__(self, interval: float = 0.05):
        self.interval, self.peak_mb = interval, 0.0
        self._proc = psutil.Process()
        self._stop = threading.Event()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, (self._proc.memory_info().rss - self._base) / 2**20)

    def __enter__(self) -> "PeakMemory":
        self._base = self._proc.memory_info().rss
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, (self._proc.memory_info().rss - self._base) / 2**20)

"""RunContext: what a run hands to a model (a training callback) and to a task: progress, log, files.

Models never see a run: :func:`core.models.fit.fit` calls ``ctx.on_epoch_end`` (a callback) once per epoch, and
non-neural methods call ``ctx.progress`` themselves. Outside a run directory (notebook, CLI) the context only
keeps the history in memory, so the same code runs everywhere. Lives outside ``core.jobs`` on purpose.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import NonFiniteLossError
from .atomic import write_text_atomic


@dataclass
class RunContext:
    run_dir: Path | None = None
    seed: int = 0
    device: str = "auto"
    tfs: list[str] | None = None
    on_progress: Callable[[dict], None] | None = None
    verbose: bool = False
    history: list[dict] = field(default_factory=list)
    #: seconds after which training stops at the end of an epoch (None = no limit; core.jobs.machine_defaults)
    time_budget_s: float | None = None
    _t0: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if self.run_dir is not None:
            self.run_dir = Path(self.run_dir)
            self.checkpoint_dir.mkdir(parents=True, exist_ok=True)

    # ---- files -------------------------------------------------------------------------------
    @property
    def checkpoint_dir(self) -> Path:
        if self.run_dir is None:
            raise RuntimeError("this RunContext has no run directory")
        return self.run_dir / "checkpoints"

    def artifact(self, name: str) -> Path | None:
        """Path of an artifact file inside the run directory (None when there is no run directory)."""
        return None if self.run_dir is None else self.run_dir / name

    # ---- reporting ---------------------------------------------------------------------------
    def log(self, message: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {message}"
        if self.run_dir is not None:
            with open(self.run_dir / "log.txt", "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        if self.verbose:
            print(line, flush=True)

    def progress(self, epoch: int, n_epochs: int, *, terms: dict[str, float] | None = None,
                 **metrics: float) -> None:
        """Record one epoch: ``terms`` are loss terms (plotted on the Runs page), ``metrics`` other numbers
        (without ``terms``, metrics whose name contains "loss" are the terms). Every value is checked:
        NaN/inf raises NonFiniteLossError naming it."""
        if terms is None:
            terms = {k: v for k, v in metrics.items() if "loss" in k}
            metrics = {k: v for k, v in metrics.items() if k not in terms}
        clean: dict[str, float] = {}
        for key, value in {**terms, **metrics}.items():
            value = float(value)
            if not math.isfinite(value):
                raise NonFiniteLossError(epoch, value, key)
            clean[key] = value
        record = {"epoch": int(epoch), "n_epochs": int(n_epochs), "time": round(time.time() - self._t0, 3),
                  **clean, "terms": list(terms)}
        self.history.append(record)
        if self.run_dir is not None:
            # progress.jsonl is rewritten atomically: readers never see a half-written line.
            text = "".join(json.dumps(r) + "\n" for r in self.history)
            write_text_atomic(self.run_dir / "progress.jsonl", text)
        if self.on_progress is not None:
            self.on_progress(record)

    def stage(self, text: str) -> None:
        """Say what the run is doing now outside the epoch loop (post-processing: UMAP, clustering, scoring):
        logged and written to ``stage.txt``, which the Runs page shows after the last epoch."""
        self.log(text)
        if self.run_dir is not None:
            write_text_atomic(self.run_dir / "stage.txt", text)

    def on_epoch_end(self, epoch: int, n_epochs: int, record: dict) -> None:
        """The :func:`core.models.fit.fit` callback: one progress record per epoch."""
        self.progress(epoch, n_epochs, terms=record["terms"], **record.get("metrics", {}))
        if self.time_budget_s and epoch < n_epochs and time.time() - self._t0 > self.time_budget_s:
            from .models.fit import StopTraining

            self.log(f"time budget of {self.time_budget_s:.0f} s reached: training stopped after epoch {epoch} of "
                     f"{n_epochs}; the result is read out of what was learned")
            raise StopTraining()


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (CPU and CUDA) for reproducible runs."""
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))

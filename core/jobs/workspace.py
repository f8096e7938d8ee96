"""Where datasets and runs live: ``$SCGRN_HOME`` (default ``~/.scgrn``) with ``datasets/`` and ``runs/``."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    root = Path(os.environ.get("SCGRN_HOME", Path.home() / ".scgrn")).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def runs_dir() -> Path:
    d = home() / "runs"
    d.mkdir(parents=True, exist_ok=True)
    return d


def datasets_dir() -> Path:
    d = home() / "datasets"
    d.mkdir(parents=True, exist_ok=True)
    return d

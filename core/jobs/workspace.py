"""Where datasets and runs live: ``$SCGRN_HOME`` (default ``~/.scgrn``) with ``datasets/``, ``runs/`` and
``uploads/``; the per-upload size limit and the workspace quota (``SCGRN_QUOTA_GB``, default 20)."""

from __future__ import annotations

import os
from pathlib import Path

MAX_UPLOAD_MB = 1024  # the same number as server.maxUploadSize in .streamlit/config.toml


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


def quota_bytes() -> int:
    """The workspace quota in bytes (``SCGRN_QUOTA_GB``, default 20 GB)."""
    try:
        gb = float(os.environ.get("SCGRN_QUOTA_GB", "20"))
    except ValueError:
        gb = 20.0
    return int(gb * 1024**3)


def usage_bytes(root: Path | None = None) -> int:
    """Bytes used by every file under the workspace."""
    total = 0
    for dirpath, _, files in os.walk(root or home()):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                continue
    return total


def check_quota(extra_bytes: int = 0) -> None:
    """InputError when adding ``extra_bytes`` would take the workspace over its quota."""
    from ..errors import InputError

    used, quota = usage_bytes(), quota_bytes()
    if used + extra_bytes > quota:
        raise InputError(
            f"The workspace ({home()}) would hold {(used + extra_bytes) / 1024**3:.2f} GB, over its quota of "
            f"{quota / 1024**3:.1f} GB. Delete old runs or datasets, or raise SCGRN_QUOTA_GB."
        )

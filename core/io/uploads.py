"""Store uploaded files on disk (never unpickled) so the readers and background jobs can use them.

Each upload is stored once, in a folder named by the SHA-256 of its names and bytes: a page rerun with the same
file reuses it. Folders unused for a day are removed, keeping the most recent ``KEEP`` ones.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from pathlib import Path
from typing import Iterable

from ..errors import InputError
from ..jobs.workspace import MAX_UPLOAD_MB, check_quota, home

TENX_NAMES = {"matrix.mtx", "matrix.mtx.gz", "features.tsv", "features.tsv.gz", "genes.tsv", "genes.tsv.gz",
              "barcodes.tsv", "barcodes.tsv.gz"}
KEEP = 20
MAX_AGE_S = 24 * 3600


def safe_name(name: str) -> str:
    """A file name with no directory parts or odd characters (keeps the extension)."""
    base = Path(str(name)).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")
    return base[:120] or "upload"


def uploads_dir() -> Path:
    d = home() / "uploads"
    d.mkdir(parents=True, exist_ok=True)
    return d


def content_key(files: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, data in sorted((safe_name(n), d) for n, d in files):
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()[:24]


def store_uploads(files: Iterable[tuple[str, bytes]]) -> Path:
    """Store uploaded (name, bytes) pairs once by content hash; returns the file path, or the folder for a
    10x upload (matrix.mtx + features/genes + barcodes)."""
    files = [(str(n), bytes(d)) for n, d in files]
    if not files:
        raise InputError("No file was uploaded.")
    size = sum(len(d) for _, d in files)
    if size > MAX_UPLOAD_MB * 1024**2:
        raise InputError(f"The upload is {size / 1024**2:.0f} MB; the limit is {MAX_UPLOAD_MB} MB per upload.")
    names = {safe_name(n) for n, _ in files}
    if len(files) > 1 or next(iter(names)) in TENX_NAMES:
        if not any(n.startswith("matrix.mtx") for n in names):
            raise InputError("Upload one expression file, or the three files of a 10x folder together.")
        if not any(n.startswith(("features.tsv", "genes.tsv")) for n in names) or not any(
            n.startswith("barcodes.tsv") for n in names
        ):
            raise InputError("A 10x upload needs matrix.mtx(.gz), features.tsv(.gz) (or genes.tsv) and barcodes.tsv(.gz) together.")
    folder = uploads_dir() / content_key(files)
    if not (folder / ".complete").exists():
        check_quota(size)
        tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, data in files:
            (tmp / safe_name(name)).write_bytes(data)
        (tmp / ".complete").touch()
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    os.utime(folder)
    cleanup_uploads(keep=folder)
    paths = [folder / safe_name(n) for n, _ in files]
    return paths[0] if len(paths) == 1 and paths[0].name not in TENX_NAMES else folder


def cleanup_uploads(keep: Path | None = None, max_age_s: float = MAX_AGE_S, n_keep: int = KEEP) -> int:
    """Remove upload folders unused for ``max_age_s`` beyond the ``n_keep`` most recent; returns how many."""
    folders = sorted((p for p in uploads_dir().iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    now, removed = time.time(), 0
    for p in folders[n_keep:]:
        if p != keep and now - p.stat().st_mtime > max_age_s:
            shutil.rmtree(p, ignore_errors=True)
            removed += 1
    return removed

"""Store uploaded files on disk (never unpickled) so the readers and background jobs can use them."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Iterable

from ..errors import InputError
from ..jobs.workspace import home

TENX_NAMES = {"matrix.mtx", "matrix.mtx.gz", "features.tsv", "features.tsv.gz", "genes.tsv", "genes.tsv.gz",
              "barcodes.tsv", "barcodes.tsv.gz"}


def safe_name(name: str) -> str:
    """A file name with no directory parts or odd characters (keeps the extension)."""
    base = Path(str(name)).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")
    return base[:120] or "upload"


def store_uploads(files: Iterable[tuple[str, bytes]]) -> Path:
    """Write uploaded (name, bytes) pairs into a fresh folder; returns the file path, or the folder for a
    10x upload (matrix.mtx + features/genes + barcodes)."""
    files = list(files)
    if not files:
        raise InputError("No file was uploaded.")
    folder = home() / "uploads" / secrets.token_hex(6)
    folder.mkdir(parents=True)
    paths = []
    for name, data in files:
        p = folder / safe_name(name)
        p.write_bytes(data)
        paths.append(p)
    names = {p.name for p in paths}
    if len(paths) == 1 and paths[0].name not in TENX_NAMES:
        return paths[0]
    if any(n.startswith("matrix.mtx") for n in names):
        if not any(n.startswith(("features.tsv", "genes.tsv")) for n in names) or not any(n.startswith("barcodes.tsv") for n in names):
            raise InputError("A 10x upload needs matrix.mtx(.gz), features.tsv(.gz) (or genes.tsv) and barcodes.tsv(.gz) together.")
        return folder
    raise InputError("Upload one expression file, or the three files of a 10x folder together.")

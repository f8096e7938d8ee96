"""Prepared datasets: what the Data page saves and every run reads.

A prepared dataset is a folder ``<workspace>/datasets/<id>/`` with ``data.h5ad`` (the AnnData as prepared),
``meta.json`` (name, source, layout and its rule, preprocessing, label key, perturbation key) and optionally
``reference.csv`` (a reference network, source,target,weight) and ``tfs.txt``.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anndata as ad
import pandas as pd

from ..errors import InputError
from ..atomic import read_json, write_json_atomic
from ..jobs.workspace import datasets_dir


@dataclass
class PreparedDataset:
    path: Path

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def meta(self) -> dict[str, Any]:
        return read_json(self.path / "meta.json", {}) or {}

    @property
    def h5ad(self) -> Path:
        return self.path / "data.h5ad"

    @property
    def reference(self) -> Path | None:
        p = self.path / "reference.csv"
        return p if p.exists() else None

    @property
    def tfs(self) -> list[str] | None:
        p = self.path / "tfs.txt"
        return [t for t in p.read_text().splitlines() if t] if p.exists() else None

    def load(self) -> ad.AnnData:
        """The AnnData, with the Data page's choices (label / perturbation columns) in its dataset record."""
        from ..models.setup import DATASET_FIELDS, DATASET_KEY

        adata = load_prepared(self.h5ad)
        meta = self.meta
        adata.uns[DATASET_KEY] = {k: meta[k] for k in DATASET_FIELDS if meta.get(k)}
        return adata


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:40].strip("_") or "data"


def save_prepared(
    adata: ad.AnnData,
    name: str,
    *,
    reference: pd.DataFrame | None = None,
    tfs: list[str] | None = None,
    meta: dict[str, Any] | None = None,
    root: Path | None = None,
) -> PreparedDataset:
    """Save a prepared dataset (and its reference network / TF list) and return it."""
    root = root or datasets_dir()
    path = root / f"{time.strftime('%Y%m%d-%H%M%S')}-{_slug(name)}-{secrets.token_hex(2)}"
    path.mkdir(parents=True)
    adata.write_h5ad(path / "data.h5ad")
    if reference is not None:
        reference.to_csv(path / "reference.csv", index=False)
    if tfs:
        (path / "tfs.txt").write_text("\n".join(tfs) + "\n")
    write_json_atomic(path / "meta.json", {"name": name, "created": time.time(), "n_cells": adata.n_obs,
                                           "n_genes": adata.n_vars, **(meta or {})})
    return PreparedDataset(path)


def list_prepared(root: Path | None = None) -> list[PreparedDataset]:
    root = root or datasets_dir()
    items = [PreparedDataset(p) for p in root.iterdir() if (p / "data.h5ad").exists()]
    return sorted(items, key=lambda d: d.meta.get("created", 0), reverse=True)


def load_prepared(path: str | Path) -> ad.AnnData:
    """Load a prepared dataset's AnnData (path of data.h5ad or of its folder)."""
    p = Path(path)
    if p.is_dir():
        p = p / "data.h5ad"
    if not p.exists():
        raise InputError(f"The dataset {p} no longer exists (was the workspace moved or deleted?).")
    try:
        return ad.read_h5ad(p)
    except Exception as exc:
        raise InputError(f"The dataset file {p} could not be read ({type(exc).__name__}).") from exc

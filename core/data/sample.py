"""Bundled sample data, all produced by the project's own code (``python -m core.data.sample``).

* ``synthetic``: counts simulated from a known 60-gene network (3 cell states), with its ground truth and
  TF list — trains in seconds on a CPU.
* ``pbmc68k``: scanpy's bundled pbmc68k_reduced (700 cells x 765 genes, 10 ``bulk_labels``) with integer
  counts reconstructed as round(expm1(raw.X) * n_counts / 1e4).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


@dataclass(frozen=True)
class SampleDataset:
    name: str
    title: str
    description: str
    expression: str  # file name inside sample_data/
    reference: str | None = None
    tfs: str | None = None
    labels: str | None = None


SAMPLES = {
    "synthetic": SampleDataset(
        "synthetic",
        "Synthetic GRN (60 genes x 600 cells)",
        "Counts simulated from a known 60-gene regulatory network with 12 TFs and 3 cell states; "
        "the ground-truth network is loaded as the reference.",
        "synthetic.h5ad",
        reference="synthetic_network.csv",
        tfs="synthetic_tfs.txt",
        labels="cell_state",
    ),
    "pbmc68k": SampleDataset(
        "pbmc68k",
        "PBMC 68k reduced (765 genes x 700 cells)",
        "scanpy's bundled PBMC subset with reconstructed integer counts and 10 cell-type labels (bulk_labels).",
        "pbmc68k_counts.h5ad",
        labels="bulk_labels",
    ),
}


def pbmc68k_counts() -> ad.AnnData:
    """pbmc68k_reduced with integer counts in X and layers["counts"], labels in obs["bulk_labels"]."""
    import scanpy as sc

    ref = sc.datasets.pbmc68k_reduced()
    raw = ref.raw.to_adata()
    X = raw.X.toarray() if hasattr(raw.X, "toarray") else np.asarray(raw.X)
    counts = np.round(np.expm1(X) * ref.obs["n_counts"].to_numpy()[:, None] / 1e4).astype(np.float32)
    obs = ref.obs[["bulk_labels", "n_counts"]].copy()
    adata = ad.AnnData(X=counts, obs=obs, var=pd.DataFrame(index=raw.var_names.copy()))
    adata.layers["counts"] = adata.X.copy()
    return adata


def write_sample_data(folder: Path = SAMPLE_DIR) -> list[Path]:
    """(Re)generate every sample file into ``folder``; returns the written paths."""
    from .synthetic import synthetic_dataset

    folder.mkdir(parents=True, exist_ok=True)
    adata, network, tfs = synthetic_dataset(n_cells=600, n_genes=60, n_tfs=12, n_states=3, seed=0)
    written = [folder / "synthetic.h5ad", folder / "synthetic_network.csv", folder / "synthetic_tfs.txt"]
    adata.write_h5ad(written[0], compression="gzip")
    network.to_csv(written[1], index=False)
    written[2].write_text("\n".join(tfs) + "\n")
    # the same counts as a genes x cells CSV, BEELINE-style, to try the CSV reader on
    expr = folder / "synthetic_expression.csv"
    pd.DataFrame(adata.X.T.astype(int), index=adata.var_names, columns=adata.obs_names).to_csv(expr)
    written.append(expr)
    pbmc = folder / "pbmc68k_counts.h5ad"
    pbmc68k_counts().write_h5ad(pbmc, compression="gzip")
    written.append(pbmc)
    return written


def sample_path(name: str, folder: Path = SAMPLE_DIR) -> Path:
    """Path of a sample dataset's expression file, generating the sample files when missing."""
    from ..errors import InputError

    if name not in SAMPLES:
        raise InputError(f"Unknown sample dataset {name!r}; choose from {', '.join(SAMPLES)}.")
    path = folder / SAMPLES[name].expression
    if not path.exists():
        write_sample_data(folder)
    return path


if __name__ == "__main__":
    for p in write_sample_data():
        print(p)


def prepare_sample(name: str = "synthetic"):
    """Read a sample, apply its default preprocessing (log1p; counts kept) and save it as a prepared dataset
    with its reference network and TF list. Returns the PreparedDataset."""
    from ..io.expression import read_expression
    from ..io.networks import read_network, read_tf_list
    from .preprocess import apply_preset
    from .store import save_prepared

    info = SAMPLES[name]
    adata = read_expression(sample_path(name))
    prepared = apply_preset(adata, "log1p")
    reference = read_network(SAMPLE_DIR / info.reference) if info.reference else None
    tfs = read_tf_list(SAMPLE_DIR / info.tfs) if info.tfs else None
    meta = {"source": f"sample:{name}", "layout": "cells-by-genes", "preprocessing": "log1p",
            "labels_key": info.labels, "perturbation_key": None, "value_kind": "counts"}
    return save_prepared(prepared, name, reference=reference, tfs=tfs, meta=meta)

"""Latent interpolation: walk the straight line between the latent centres of two groups of cells, decode each
step, and find the genes that change most along the path (scVAE / scGen-style latent arithmetic).

    path = interpolate(model, adata, group_a, group_b, n_steps=20)   # groups: boolean masks or cell names
    path.expression       # steps x genes, expected expression per 10k counts (DataFrame, index = t in [0, 1])
    path.top_genes(20)    # the genes that change most: change in log1p, start, end, monotonic or not
    path.umap             # the path drawn on obsm["X_umap"] (each step at the mean of its nearest cells)

Works with any model that has ``get_latent`` and ``decode_expected(z, library)`` (VAE, GMVAE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import anndata as ad
import numpy as np
import pandas as pd

from ..errors import InputError

LIBRARY = 1e4  # expression per 10k counts (scanpy's normalize_total default)


@dataclass
class Interpolation:
    t: np.ndarray  # (n_steps,) in [0, 1]
    latent: np.ndarray  # (n_steps, latent_dim)
    expression: pd.DataFrame  # steps x genes
    umap: np.ndarray | None  # (n_steps, 2) or None without obsm["X_umap"]
    labels: tuple[str, str]

    def changes(self) -> pd.DataFrame:
        """Per gene: start, end, change of log1p expression (end - start), range along the path, monotonic."""
        L = np.log1p(self.expression.to_numpy())
        d = np.diff(L, axis=0)
        mono = (d >= -1e-6).all(0) | (d <= 1e-6).all(0)
        table = pd.DataFrame({"start": self.expression.iloc[0].to_numpy(), "end": self.expression.iloc[-1].to_numpy(),
                              "log1p_change": L[-1] - L[0], "log1p_range": L.max(0) - L.min(0), "monotonic": mono},
                             index=self.expression.columns)
        table.index.name = "gene"
        return table.sort_values("log1p_range", ascending=False)

    def top_genes(self, n: int = 20) -> pd.DataFrame:
        return self.changes().head(int(n))

    def heatmap(self, n: int = 20) -> pd.DataFrame:
        """log1p expression of the top genes, genes x steps (for a heatmap; columns = t)."""
        genes = self.top_genes(n).index
        out = np.log1p(self.expression[genes]).T
        out.columns = [f"{t:.2f}" for t in self.t]
        return out

    def to_csv(self) -> str:
        """The decoded path, one row per step (t, then every gene): what the page offers for download."""
        return self.expression.to_csv(index_label="t")


def group_mask(adata: ad.AnnData, group, what: str) -> np.ndarray:
    """A boolean mask over cells from a mask or a list of cell names; at least one cell."""
    if isinstance(group, (list, tuple, pd.Index, set)) or (isinstance(group, np.ndarray) and group.dtype != bool):
        names = set(map(str, group))
        mask = np.asarray([str(c) in names for c in adata.obs_names])
    else:
        mask = np.asarray(group, dtype=bool)
        if mask.shape != (adata.n_obs,):
            raise InputError(f"{what}: the mask must have one entry per cell ({adata.n_obs}).")
    if not mask.any():
        raise InputError(f"{what} has no cells; pick a label, a cluster or a selection with cells in it.")
    return mask


def label_mask(adata: ad.AnnData, column: str, values: Sequence[str] | str) -> np.ndarray:
    """Cells whose ``obs[column]`` is one of ``values``."""
    if column not in adata.obs:
        raise InputError(f"Column {column!r} not in the cell annotations; available: {', '.join(map(str, adata.obs))}.")
    values = [values] if isinstance(values, str) else list(values)
    return adata.obs[column].astype(str).isin([str(v) for v in values]).to_numpy()


def _umap_path(adata: ad.AnnData, Z: np.ndarray, path: np.ndarray, k: int = 15) -> np.ndarray | None:
    if "X_umap" not in adata.obsm:
        return None
    from sklearn.neighbors import NearestNeighbors

    U = np.asarray(adata.obsm["X_umap"])[:, :2]
    nn = NearestNeighbors(n_neighbors=min(k, len(Z))).fit(Z)
    _, idx = nn.kneighbors(path)
    return U[idx].mean(1)


def interpolate(model, adata: ad.AnnData, group_a, group_b, n_steps: int = 20, library: float = LIBRARY,
                labels: tuple[str, str] = ("A", "B")) -> Interpolation:
    """Decode ``n_steps`` points on the line from group A's latent centre to group B's (see module docstring)."""
    if not hasattr(model, "decode_expected") or not hasattr(model, "get_latent"):
        raise InputError(f"{model.spec.label} has no decoder to interpolate with; use a VAE or GMVAE run.")
    if int(n_steps) < 2:
        raise InputError("n_steps must be at least 2.")
    a, b = group_mask(adata, group_a, f"Group {labels[0]}"), group_mask(adata, group_b, f"Group {labels[1]}")
    Z = np.asarray(adata.obsm[model.latent_key]) if model.latent_key in adata.obsm else model.get_latent(adata)
    t = np.linspace(0.0, 1.0, int(n_steps))
    za, zb = Z[a].mean(0), Z[b].mean(0)
    path = (1 - t)[:, None] * za + t[:, None] * zb
    expr = model.decode_expected(path.astype(np.float32), library=library)
    frame = pd.DataFrame(expr, index=pd.Index(np.round(t, 4), name="t"), columns=list(model.genes))
    return Interpolation(t, path, frame, _umap_path(adata, Z, path), (str(labels[0]), str(labels[1])))

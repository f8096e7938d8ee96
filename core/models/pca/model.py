"""PCA as a model of the contract: fitted in ``setup`` (scanpy), nothing to train."""

from __future__ import annotations

import numpy as np
import torch

from ..base import BaseModel, LatentMixin
from ..setup import dense_matrix, is_counts, pick_layer
from .spec import SPECS


class PCA(BaseModel, LatentMixin):
    """obsm["X_pca"]: PCA of log1p(counts / library * target_sum) ('counts' layer when present), else of X."""

    spec = SPECS[0]

    def setup(self, adata):
        import scanpy as sc

        layer = pick_layer(adata, self.params["layer"], prefer_counts=True)
        m = dense_matrix(adata, layer, min_shape=(3, 3))
        if layer is not None or is_counts(m):
            lib = np.maximum(m.sum(1, keepdims=True), 1.0)
            m = np.log1p(m / lib * self.params["target_sum"])
        n_comps = int(min(self.params["n_comps"], m.shape[0] - 1, m.shape[1] - 1))
        return sc.pp.pca(m, n_comps=n_comps, random_state=self.seed).astype(np.float32)

    def build_module(self) -> torch.nn.Module:
        return torch.nn.Module()

    def get_latent(self, adata=None) -> np.ndarray:
        return self._data_for(adata)

"""CaTran, user-facing: set up from AnnData, train (one model or an ensemble of consecutive seeds), read the
attention GRN (core.models.base contract).

    model = CaTran(adata, perturbation_key="perturbation", seed=0)   # raw counts (layers["counts"]) by default
    model.train(callbacks=[ctx])
    edges = model.get_grn(tfs=tfs)                                    # core.grn.edges convention

With ``perturbation_key`` empty, the perturbation column chosen on the Data page (``uns["scgrn_dataset"]``)
is used. ``ensemble`` > 1 trains that many models (seeds ``seed``, ``seed + 1``, ...) and ranks edges by their
mean attention (progress restarts for each member). Measured on BEELINE (EPR STRING / NonSpecific / Specific):
mDC single seeds 0-2 1.43-1.66 / 1.88-2.39 / 0.66-0.83 (means 1.54 / 2.19 / 0.76), mean attention of the 3:
1.58 / 2.36 / 0.74; mHSC-L seeds 1-2 5.46, 3.64 / 2.18, 2.40 / 1.03, 1.03, mean attention 4.55 / 2.10 / 1.03:
about the average single run, not more, hence the default 1.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from ...context import seed_everything
from ...errors import InputError
from ...grn.edges import adjacency_to_edges
from ..base import BaseModel, GRNMixin, logger_of
from ..fit import fit
from ..setup import dataset_record, dense_matrix, pick_layer
from .module import CaTranModule, n_parameters
from .spec import SPEC
from .train import CaTranPlan

CONTROL_LABELS = {"control", "ctrl", "non-targeting", "nontargeting", "non_targeting", "unperturbed", ""}


def perturbation_indices(labels: Sequence, genes: Sequence[str]) -> np.ndarray:
    """Index of the perturbed gene for each cell (-1 for controls and for genes not in ``genes``)."""
    index = {str(g): i for i, g in enumerate(genes)}
    out = np.full(len(labels), -1, dtype=np.int64)
    for c, lab in enumerate(labels):
        lab = "" if lab is None or (isinstance(lab, float) and np.isnan(lab)) else str(lab)
        if lab.lower() not in CONTROL_LABELS:
            out[c] = index.get(lab, -1)
    return out


class CaTran(BaseModel, GRNMixin):
    """Causal Transformer GRN model on an AnnData (cells x genes)."""

    spec = SPEC

    def setup(self, adata):
        if len(self.genes) < 2:
            raise InputError("CaTran needs at least 2 genes.")
        p = self.params
        if not self.state:
            key = p["perturbation_key"] or dataset_record(adata).get("perturbation_key") or None
            self.state = {"layer": pick_layer(adata, "auto" if p["use_counts"] else None, prefer_counts=True),
                          "perturbation_key": key, "sources": None}
        X = dense_matrix(adata, self.state["layer"])
        if p["standardize"]:  # per-gene z-score of the (raw) values: Huber errors in comparable units per gene
            sd = X.std(axis=0)
            X = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        key = self.state["perturbation_key"]
        perturbed = None
        if key:
            if key not in adata.obs.columns:
                raise InputError(f"Perturbation key {key!r} is not an obs column; "
                                 f"available: {', '.join(map(str, adata.obs.columns)) or 'none'}.")
            perturbed = perturbation_indices(adata.obs[key].tolist(), self.genes)
            if not (perturbed >= 0).any():
                raise InputError(f"No cell of obs[{key!r}] names a gene of the dataset; expected gene names for "
                                 "perturbed cells and 'control' / 'non-targeting' otherwise.")
        return {"X": X.astype(np.float32, copy=False), "perturbed": perturbed}

    def build_module(self) -> nn.ModuleList:
        members = nn.ModuleList(CaTranModule(len(self.genes), self.params["embed_dim"])
                                for _ in range(self.params["ensemble"]))
        self._apply_sources(members)
        return members

    def _apply_sources(self, members) -> None:
        sources = self.state.get("sources")
        for m in members:
            m.set_sources(None if sources is None else np.isin(self.genes, sources))

    @property
    def n_parameters(self) -> int:
        return int(sum(n_parameters(m) for m in self.module))

    def train(self, callbacks=(), **overrides) -> "CaTran":
        """Train every member (seed ``seed + i``); reproducible for a given seed on CPU.

        With ``tf_sources`` and a TF list only the TFs of the dataset are attention sources (the softmax of a
        target runs over its incoming edges from TFs); otherwise (default) every gene is a source. Off by default
        because it was measured WORSE on BEELINE (seed 0, EPR STRING / NonSpecific / Specific): mDC 1.43 / 2.39 /
        0.78 -> 1.17 / 1.02 / 0.94, mHSC-L 4.10 / 1.80 / 1.01 -> 3.03 / 1.43 / 1.08.
        """
        if self.data is None:
            raise InputError("This model was loaded without data; give the AnnData to load() to train it further.")
        if overrides:
            self.params = self.spec.resolve_params({**self.params, **overrides})
        log = logger_of(callbacks)
        sources = None
        if self.params["tf_sources"] and self.tfs:
            tfs = set(self.tfs)
            sources = [g for g in self.genes if g in tfs] or None
            if sources is None:
                log("none of the TFs is a gene of the dataset: every gene is an attention source")
        self.state["sources"] = sources
        n = self.params["ensemble"]
        members = []
        for i in range(n):
            if n > 1:
                log(f"ensemble member {i + 1}/{n} (seed {self.seed + i})")
            seed_everything(self.seed + i)
            member = CaTranModule(len(self.genes), self.params["embed_dim"])  # seeded init
            self._apply_sources([member])
            plan = CaTranPlan(member, self.data["X"], self.params, self.seed + i, self.device, self.data["perturbed"],
                              log=log)
            self.history += fit(plan, callbacks)
            members.append(member.cpu())
        self.module = nn.ModuleList(members)
        return self

    def describe(self) -> str:
        pert = self.data["perturbed"]
        n_pert = 0 if pert is None else int(len(np.unique(pert[pert >= 0])))
        return (f"CaTran on {self.data['X'].shape[0]} cells x {len(self.genes)} genes ({self.state['layer'] or 'X'}), "
                f"{self.n_parameters} parameters, {n_pert} perturbed genes, device {self.device}")

    # ---- getters -------------------------------------------------------------------------------
    @torch.no_grad()
    def get_attention(self) -> np.ndarray:
        """Soft adjacency ``A[target, source]`` over all genes (rows sum to 1 over the allowed sources), averaged
        over the ensemble members."""
        self.module.eval()
        return np.mean([m.attention().cpu().numpy().astype(np.float64) for m in self.module], axis=0)

    def get_adjacency(self, symmetrise: bool | None = None) -> np.ndarray:
        """Edge scores ``[source, target]`` (attention transposed, diagonal zeroed); ``symmetrise`` takes
        max(a, a.T) per member (default: the spec parameter)."""
        symmetrise = self.params["symmetrise"] if symmetrise is None else symmetrise
        adj = []
        self.module.eval()
        with torch.no_grad():
            for m in self.module:
                a = m.attention().cpu().numpy().astype(np.float64).T.copy()
                np.fill_diagonal(a, 0.0)
                adj.append(np.maximum(a, a.T) if symmetrise else a)
        return np.sum(adj, axis=0) / len(adj)

    def get_grn(self, tfs: Sequence[str] | None = None, top_k: int | None = None,
                symmetrise: bool | None = None) -> pd.DataFrame:
        """Ranked edge table (directed unless ``symmetrise``); sources restricted to ``tfs`` when given;
        ``top_k`` defaults to the spec parameter (0 = all)."""
        top_k = self.params["top_k"] if top_k is None else top_k
        edges = adjacency_to_edges(self.get_adjacency(symmetrise), self.genes, tfs=tfs, top_k=top_k or None)
        edges.attrs["n_parameters"] = self.n_parameters
        return edges

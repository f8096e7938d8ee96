"""CaTran, user-facing: set up from AnnData, train, save/load, read the attention GRN.

    model = CaTran(adata, perturbation_key="perturbation")   # raw counts (layers["counts"]) by default
    model.train(ctx=RunContext(seed=0))
    edges = model.get_grn(top_k=1000, tfs=tfs)                # core.grn.edges convention
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from ...device import resolve_device
from ...errors import InputError
from ...grn.edges import adjacency_to_edges
from ...context import RunContext, seed_everything
from .module import CaTranModule, n_parameters
from .train import TrainConfig, train_catran

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


class CaTran:
    """Causal Transformer GRN model on an AnnData (cells x genes)."""

    def __init__(
        self,
        adata,
        embed_dim: int = 40,
        layer: str | None = "auto",
        perturbation_key: str | None = None,
        standardize: bool = True,
    ):
        self.genes = [str(g) for g in adata.var_names]
        if len(self.genes) < 2:
            raise InputError("CaTran needs at least 2 genes.")
        if len(set(self.genes)) != len(self.genes):
            raise InputError("Gene names must be unique (run adata.var_names_make_unique()).")
        self.layer = self._pick_layer(adata, layer)
        X = adata.layers[self.layer] if self.layer else adata.X
        X = X.toarray() if sp.issparse(X) else np.asarray(X)
        X = X.astype(np.float32, copy=False)
        if not np.isfinite(X).all():
            raise InputError("The expression matrix contains NaN or infinite values; clean it on the Data page first.")
        self.standardize = bool(standardize)
        if self.standardize:  # per-gene z-score of the (raw) values: Huber errors in comparable units per gene
            sd = X.std(axis=0)
            X = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        self.X = X.astype(np.float32, copy=False)
        self.perturbation_key = perturbation_key or None
        self.perturbed: np.ndarray | None = None
        if self.perturbation_key:
            if self.perturbation_key not in adata.obs.columns:
                raise InputError(
                    f"Perturbation key {self.perturbation_key!r} is not an obs column; "
                    f"available: {', '.join(map(str, adata.obs.columns)) or 'none'}."
                )
            self.perturbed = perturbation_indices(adata.obs[self.perturbation_key].tolist(), self.genes)
            if not (self.perturbed >= 0).any():
                raise InputError(
                    f"No cell of obs[{self.perturbation_key!r}] names a gene of the dataset; expected gene names "
                    "for perturbed cells and 'control' / 'non-targeting' otherwise."
                )
        self.embed_dim = int(embed_dim)
        self.module = CaTranModule(len(self.genes), self.embed_dim)
        self.history: list[float] = []
        self.sources: list[str] | None = None  # attention sources (candidate regulators); None = every gene
        self.is_trained = False

    @staticmethod
    def _pick_layer(adata, layer: str | None) -> str | None:
        if layer == "auto":
            return "counts" if "counts" in adata.layers else None
        if layer and layer not in adata.layers:
            raise InputError(f"Layer {layer!r} not found; available: {', '.join(adata.layers) or 'none'} (or use X).")
        return layer or None

    def _apply_sources(self) -> None:
        sources = getattr(self, "sources", None)
        self.module.set_sources(None if sources is None else np.isin(self.genes, sources))

    @property
    def n_parameters(self) -> int:
        return n_parameters(self.module)

    def train(self, ctx: RunContext | None = None, tf_sources: bool = False, **config) -> "CaTran":
        """Train (``TrainConfig`` fields as keyword arguments); reproducible for a given ``ctx.seed`` on CPU.

        With ``ctx.tfs`` and ``tf_sources`` only the TFs of the dataset are attention sources (the softmax of a
        target runs over its incoming edges from TFs); otherwise (default) every gene is a source. Off by default
        because it was measured WORSE on BEELINE (seed 0, EPR STRING / NonSpecific / Specific): mDC 1.43 / 2.39 /
        0.78 -> 1.17 / 1.02 / 0.94, mHSC-L 4.10 / 1.80 / 1.01 -> 3.03 / 1.43 / 1.08. A plausible reason: with
        every gene as a source, a target without a strong TF regulator spends its attention on co-expressed
        non-TF genes, so its TF edges stay low; restricted to TFs, every target's row puts mass 1 on TFs, and
        the TF edges of targets with no real regulator compete with the real edges of other targets at export.
        """
        ctx = ctx or RunContext()
        cfg = TrainConfig(**config)
        seed_everything(ctx.seed)
        self.module = CaTranModule(len(self.genes), self.embed_dim)  # seeded init
        self.sources = None
        if tf_sources and ctx.tfs:
            tfs = set(map(str, ctx.tfs))
            self.sources = [g for g in self.genes if g in tfs] or None
            if self.sources is None:
                ctx.log("none of the TFs is a gene of the dataset: every gene is an attention source")
        self._apply_sources()
        device = resolve_device(ctx.device)
        n_pert = 0 if self.perturbed is None else int(len(np.unique(self.perturbed[self.perturbed >= 0])))
        ctx.log(
            f"CaTran on {self.X.shape[0]} cells x {self.X.shape[1]} genes ({self.layer or 'X'}), "
            f"{self.n_parameters} parameters, {n_pert} perturbed genes, device {device}"
        )
        self.history = train_catran(self.module, self.X, cfg, ctx, device, self.perturbed)
        self.module.cpu()
        self.train_config = asdict(cfg)
        self.is_trained = True
        return self

    # ---- getters -------------------------------------------------------------------------------
    @torch.no_grad()
    def get_attention(self) -> np.ndarray:
        """Soft adjacency ``A[target, source]`` over all genes (rows sum to 1 over the allowed sources)."""
        self.module.eval()
        return self.module.attention().cpu().numpy().astype(np.float64)

    def get_adjacency(self, symmetrise: bool = False) -> np.ndarray:
        """Edge scores ``[source, target]`` (attention transposed, diagonal zeroed); ``symmetrise`` takes max(a, a.T)."""
        adj = self.get_attention().T.copy()
        np.fill_diagonal(adj, 0.0)
        if symmetrise:
            adj = np.maximum(adj, adj.T)
        return adj

    def get_grn(self, top_k: int | None = 1000, symmetrise: bool = False, tfs: Sequence[str] | None = None) -> pd.DataFrame:
        """Ranked edge table (directed unless ``symmetrise``); sources restricted to ``tfs`` when given."""
        edges = adjacency_to_edges(self.get_adjacency(symmetrise), self.genes, tfs=tfs, top_k=top_k or None)
        edges.attrs["n_parameters"] = self.n_parameters
        return edges

    # ---- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        config = {"genes": self.genes, "embed_dim": self.embed_dim, "layer": self.layer, "standardize": self.standardize,
                  "perturbation_key": self.perturbation_key, "history": self.history,
                  "train_config": getattr(self, "train_config", None), "sources": getattr(self, "sources", None)}
        torch.save({"state_dict": self.module.state_dict(), "config": config}, path)

    @classmethod
    def load(cls, path: str | Path, adata=None) -> "CaTran":
        """Load a checkpoint (``weights_only=True``); ``adata`` is optional (needed only to train further)."""
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        cfg = ckpt["config"]
        obj = cls.__new__(cls)
        obj.genes = list(cfg["genes"])
        obj.embed_dim = int(cfg["embed_dim"])
        obj.layer = cfg["layer"]
        obj.standardize = bool(cfg.get("standardize", True))
        obj.perturbation_key = cfg["perturbation_key"]
        obj.history = list(cfg["history"])
        obj.train_config = cfg.get("train_config")
        obj.module = CaTranModule(len(obj.genes), obj.embed_dim)
        obj.module.load_state_dict(ckpt["state_dict"])
        obj.sources = cfg.get("sources")
        obj._apply_sources()
        obj.module.eval()
        obj.is_trained = True
        obj.X, obj.perturbed = None, None
        if adata is not None:
            fresh = cls(adata, obj.embed_dim, obj.layer or None, obj.perturbation_key, obj.standardize)
            if fresh.genes != obj.genes:
                raise InputError("This checkpoint was trained on different genes than the given dataset.")
            obj.X, obj.perturbed = fresh.X, fresh.perturbed
        return obj


def catran_grn(
    adata,
    ctx: RunContext | None = None,
    *,
    embed_dim: int = 40,
    lr: float = 1e-3,
    epochs: int = 25,
    batch_cells: int = 2048,
    max_genes: int = 500,
    hide_fraction: float = 0.8,
    weight_decay: float = 0.05,
    min_steps_per_epoch: int = 20,
    perturbation_key: str = "",
    intervention_weight: float = 10.0,
    cells_per_class: int = 25,
    intervention_target: str = "effect",
    mask_intervened: bool = True,
    top_k: int = 0,
    symmetrise: bool = False,
    use_counts: bool = True,
    standardize: bool = True,
    tf_sources: bool = False,
    ensemble: int = 1,
) -> pd.DataFrame:
    """GRN runner: train CaTran and return its attention edges (``attrs["n_parameters"]`` set).

    ``top_k`` = 0 keeps every edge (ranked); ``use_counts`` reads ``layers["counts"]`` when present;
    ``standardize`` z-scores each gene first (no library normalisation, no log); ``tf_sources`` makes the TFs
    (``ctx.tfs``, when given) the only attention sources; ``ensemble`` > 1 trains that many models (seeds
    ``ctx.seed``, ``ctx.seed + 1``, ...) and ranks edges by their mean attention (less run-to-run noise,
    ``ensemble`` times the time; progress restarts for each member). Measured on BEELINE (EPR STRING /
    NonSpecific / Specific): mDC single seeds 0-2 1.43-1.66 / 1.88-2.39 / 0.66-0.83 (means 1.54 / 2.19 / 0.76),
    mean attention of the 3: 1.58 / 2.36 / 0.74; mHSC-L seeds 1-2 5.46, 3.64 / 2.18, 2.40 / 1.03, 1.03, mean
    attention 4.55 / 2.10 / 1.03: about the average single run, not more, hence the default 1.
    """
    ctx = ctx or RunContext()
    n_models = max(1, int(ensemble))
    seed0, adj, model = ctx.seed, None, None
    try:
        for i in range(n_models):
            ctx.seed = seed0 + i
            if n_models > 1:
                ctx.log(f"ensemble member {i + 1}/{n_models} (seed {ctx.seed})")
            model = CaTran(adata, embed_dim=embed_dim, layer="auto" if use_counts else None,
                           perturbation_key=perturbation_key or None, standardize=standardize)
            model.train(ctx, tf_sources=tf_sources, epochs=epochs, lr=lr, batch_cells=batch_cells, max_genes=max_genes,
                        hide_fraction=hide_fraction, weight_decay=weight_decay, min_steps_per_epoch=min_steps_per_epoch,
                        intervention_weight=intervention_weight, cells_per_class=cells_per_class,
                        intervention_target=intervention_target, mask_intervened=mask_intervened)
            if ctx.run_dir is not None:
                model.save(ctx.checkpoint_dir / ("catran.pt" if i == 0 else f"catran_{i}.pt"))
            a = model.get_adjacency(symmetrise)
            adj = a if adj is None else adj + a
    finally:
        ctx.seed = seed0
    edges = adjacency_to_edges(adj / n_models, model.genes, tfs=ctx.tfs, top_k=top_k or None)
    edges.attrs["n_parameters"] = model.n_parameters * n_models
    return edges

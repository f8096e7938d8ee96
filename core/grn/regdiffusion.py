"""RegDiffusion (Zhu & Slonim 2024) through its PyPI package ``regdiffusion`` (optional extra
``pip install 'scgrn-studio[regdiffusion]'``): the strongest published peer, run on the same data as ours.

The model learns to predict the diffusion noise added to z-scored, min-max scaled log-expression through
(I - A); the GRN is its adjacency A (``adj[source, target]``, scaled by the regulatory norm; exact zeros after
its soft threshold are dropped). Progress goes to the run once per training step.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pandas as pd

from ..context import RunContext
from ..errors import InputError
from .edges import adjacency_to_edges

#: how to get the package when it is missing (said by the spec, the Train page and the error)
INSTALL_HINT = "pip install 'scgrn-studio[regdiffusion]' (or: pip install regdiffusion==0.2.3)"


def missing_reason() -> str | None:
    """Why RegDiffusion cannot run here (None when its package is importable)."""
    if importlib.util.find_spec("regdiffusion") is None:
        return f"RegDiffusion needs the optional package 'regdiffusion', which is not installed: {INSTALL_HINT}."
    return None


def _expression(adata, layer: str) -> np.ndarray:
    from ..models.setup import dense_matrix, is_counts, log_normalise

    X = dense_matrix(adata, layer or None, np.float32, min_shape=(2, 2))
    return log_normalise(X).astype(np.float32) if is_counts(X) else X


def _progress_logger(ctx: RunContext, n_steps: int):
    """A regdiffusion LightLogger that also reports the loss to the run (about 100 reports per run)."""
    from regdiffusion.logger import LightLogger

    every = max(1, n_steps // 100)

    class _RunLogger(LightLogger):
        done = 0

        def log(self, log_dict, step=None):
            super().log(log_dict, step)
            self.done += 1
            if self.done % every == 0 or self.done == n_steps:
                ctx.progress(self.done, n_steps, loss=float(log_dict["train_loss"]))

    return _RunLogger()


def regdiffusion_grn(
    adata,
    ctx: RunContext | None = None,
    n_steps: int = 1000,
    batch_size: int = 128,
    hidden: int = 16,
    sparse_loss_coef: float = 0.25,
    adj_dropout: float = 0.3,
    lr_nn: float = 1e-3,
    layer: str = "",
) -> pd.DataFrame:
    """RegDiffusion edge table (weight = |A|, signed_weight = A); sources restricted to ``ctx.tfs``."""
    ctx = ctx or RunContext()
    reason = missing_reason()
    if reason:
        raise InputError(reason)
    import regdiffusion as rd

    from ..device import resolve_device

    X = _expression(adata, layer)
    device = resolve_device(ctx.device)
    dev = "cuda" if device.type == "cuda" else "cpu"  # its authors advise against Apple MPS
    genes = [str(g) for g in adata.var_names]
    ctx.log(f"RegDiffusion {getattr(rd, '__version__', '')}: {X.shape[0]} cells x {X.shape[1]} genes, "
            f"{n_steps} steps of {batch_size} cells on {dev}, seed {ctx.seed}")
    os.environ.setdefault("TQDM_DISABLE", "1")
    trainer = rd.RegDiffusionTrainer(
        X, n_steps=n_steps, batch_size=batch_size, hidden_dims=[hidden] * 3, sparse_loss_coef=sparse_loss_coef,
        adj_dropout=adj_dropout, lr_nn=lr_nn, device=dev, seed=int(ctx.seed), logger=_progress_logger(ctx, n_steps),
    )
    trainer.train()
    adj = np.asarray(trainer.get_adj(), dtype=np.float64)
    edges = adjacency_to_edges(np.abs(adj), genes, tfs=ctx.tfs, signed=adj)
    if ctx.tfs is not None and edges.empty:
        raise InputError("RegDiffusion: none of the TFs is a gene of this dataset.")
    return edges[edges.weight > 0].reset_index(drop=True)

"""User-facing DeepSEM: set up from AnnData, train (an ensemble of seeds at once), save/load, getters.

    model = DeepSEM(adata, setting="non-specific", n_members=10, seed=0)
    model.train(ctx=ctx)                 # preset epochs / alpha / beta unless given
    edges = model.get_grn(tfs=tfs)       # members combined (consensus filter, mean rank), signed mean W kept
    Z = model.get_latent()               # GRN-mixed posterior mean (cells x genes), for an embedding
    sim = model.simulate(n_cells=500, noise=1.0, seed=0)

Differences from the reference code (HantaoShu/DeepSEM), none of which changes the model's mathematics
beyond what is listed: the KL term is the analytic KL(q || N(0, I)) averaged over cells and genes (the
reference uses a one-sample Monte-Carlo estimate against a one-component Gaussian-mixture prior, i.e. a
learned per-gene Gaussian); the encoder's first layer takes the value alone (the reference appends the
constant one-cluster indicator, an extra randomly initialised bias); (I - W^T)^-1 is inverted once per
network epoch (W frozen) and, in W epochs, LU-solved per batch on the CPU or carried from step to step by
Newton-Schulz updates on CUDA (the reference inverts per batch); members are combined by a consensus filter
and mean rank by default (``aggregate``; the authors average |W|); the
networks' learning rate is constant by default (see the ``lr_decay`` parameter).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch

from ...device import resolve_device
from ...errors import InputError
from ...grn.edges import adjacency_to_edges
from ...context import RunContext, seed_everything
from .aggregate import DEFAULT_RULE, RULES, aggregate_members
from .module import DeepSEMModule
from .preprocess import Transform, expression_matrix
from .train import train_deepsem

#: The two published presets (Shu et al. 2021). lr, batch size, K1/K2 and hidden size are shared.
SETTINGS: dict[str, dict[str, Any]] = {
    "non-specific": {"transform": "zscore", "alpha": 100.0, "beta": 1.0, "epochs": 90},
    "cell-type-specific": {"transform": "nonzero", "alpha": 1.0, "beta": 0.01, "epochs": 150},
}


def setting_defaults(setting: str) -> dict[str, Any]:
    if setting not in SETTINGS:
        raise InputError(f"Unknown DeepSEM setting {setting!r}; choose from {list(SETTINGS)}.")
    return dict(SETTINGS[setting])


class DeepSEM:
    """DeepSEM on one dataset: ``n_members`` independently initialised models trained together."""

    def __init__(
        self,
        adata,
        *,
        setting: str = "non-specific",
        n_members: int = 1,
        hidden: int = 128,
        seed: int = 0,
        layer: str | None = None,
        transform: str | None = None,
        prior: str = "standard",
        kl: str = "analytic",
    ):
        preset = setting_defaults(setting)
        if kl not in ("analytic", "mc"):
            raise InputError(f"Unknown KL estimator {kl!r}; choose 'analytic' or 'mc'.")
        if prior not in ("standard", "learned"):
            raise InputError(f"Unknown prior {prior!r}; choose 'standard' (N(0, I)) or 'learned'.")
        X, counts = expression_matrix(adata, layer)
        self.genes = [str(g) for g in adata.var_names]
        self.transform = Transform.fit(X, transform or preset["transform"])
        self._Z, self._mask = self.transform.apply(X)
        if int(n_members) < 1:
            raise InputError("The ensemble size must be at least 1.")
        self.config: dict[str, Any] = {
            "setting": setting,
            "n_members": int(n_members),
            "hidden": int(hidden),
            "seed": int(seed),
            "prior": prior,
            "kl": kl,
            "log_normalised_counts": bool(counts),
            "genes": self.genes,
            "transform": self.transform.to_dict(),
        }
        self.module = DeepSEMModule(len(self.genes), int(n_members), int(hidden), int(seed), prior, kl)
        self.history: list[dict] = []

    # ---- training ------------------------------------------------------------------------------
    def train(
        self,
        *,
        epochs: int | None = None,
        alpha: float | None = None,
        beta: float | None = None,
        batch_size: int = 64,
        lr: float = 1e-4,
        lr_w_ratio: float = 0.2,
        k1: int = 1,
        k2: int = 2,
        lr_decay: bool = False,
        gamma: float = 0.95,
        ctx: RunContext | None = None,
        device: str | None = None,
        inverse_updates: bool | None = None,
    ) -> "DeepSEM":
        """Alternating RMSprop training; unset epochs/alpha/beta come from the setting's preset.
        ``inverse_updates``: see :func:`.train.train_deepsem` (default: on CUDA only)."""
        ctx = ctx or RunContext()
        preset = setting_defaults(self.config["setting"])
        epochs = int(preset["epochs"] if epochs is None else epochs)
        alpha = float(preset["alpha"] if alpha is None else alpha)
        beta = float(preset["beta"] if beta is None else beta)
        if epochs < 1 or batch_size < 1 or k1 < 1 or k2 < 1:
            raise InputError("epochs, batch_size, K1 and K2 must all be at least 1.")
        dev = resolve_device(device or ctx.device)
        seed_everything(self.config["seed"])
        self.module.to(dev)
        Z = torch.as_tensor(self._Z, device=dev)
        mask = torch.as_tensor(self._mask, device=dev) if self._mask is not None else None
        ctx.log(
            f"DeepSEM ({self.config['setting']}): {Z.shape[0]} cells x {Z.shape[1]} genes, "
            f"{self.config['n_members']} member(s), {epochs} epochs, alpha={alpha}, beta={beta}, device={dev}"
        )
        self.history = train_deepsem(
            self.module, Z, mask, epochs=epochs, batch_size=batch_size, lr=lr, lr_w_ratio=lr_w_ratio,
            alpha=alpha, beta=beta, k1=k1, k2=k2, lr_decay=lr_decay, gamma=gamma,
            seed=self.config["seed"], ctx=ctx, inverse_updates=inverse_updates,
        )
        self.config["train"] = {
            "epochs": epochs, "alpha": alpha, "beta": beta, "batch_size": batch_size, "lr": lr,
            "lr_w_ratio": lr_w_ratio, "k1": k1, "k2": k2, "lr_decay": lr_decay, "gamma": gamma,
        }
        return self

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.module.parameters())

    # ---- getters -------------------------------------------------------------------------------
    def adjacency(self) -> np.ndarray:
        """W of every member, (members, target, source), diagonal 0."""
        with torch.no_grad():
            W = self.module.W.detach().cpu().double().numpy().copy()
        for w in W:
            np.fill_diagonal(w, 0.0)  # 0 by construction; a checkpoint edited by hand cannot add self-loops
        return W

    def get_grn(self, tfs: Sequence[str] | None = None, top_k: int | None = None,
                aggregate: str = DEFAULT_RULE) -> pd.DataFrame:
        """Edge table, sources limited to ``tfs``: weight = the members' combined score (``aggregate``, a rule of
        :mod:`.aggregate`; one member: |W|), signed_weight = mean W of the members kept. ``attrs["members_kept"]``
        lists the members used (the consensus rules leave out members that disagree with the others)."""
        if aggregate not in RULES:
            raise InputError(f"Unknown aggregation rule {aggregate!r}; choose from {list(RULES)}.")
        W = self.adjacency()
        G = len(self.genes)
        cand = ~np.eye(G, dtype=bool)
        if tfs is not None:
            cand &= np.isin(np.asarray(self.genes), list(map(str, tfs)))[None, :]  # (target, source)
        scores, keep = aggregate_members(W, aggregate, cand)
        edges = adjacency_to_edges(scores.T, self.genes, tfs=tfs, signed=W[keep].mean(0).T, top_k=top_k)
        edges.attrs["members_kept"] = [int(i) for i in np.flatnonzero(keep)]
        edges.attrs["aggregate"] = aggregate
        return edges

    def _matrix(self, adata) -> tuple[np.ndarray, np.ndarray | None]:
        if adata is None:
            return self._Z, self._mask
        missing = [g for g in self.genes if g not in set(map(str, adata.var_names))]
        if missing:
            raise InputError(f"{len(missing)} of the model's genes are missing from this dataset, e.g. {missing[:3]}.")
        X, _ = expression_matrix(adata[:, self.genes])
        return self.transform.apply(X)

    @torch.no_grad()
    def _posterior(self, Z: np.ndarray, member: int, batch_size: int = 256):
        if not 0 <= member < self.config["n_members"]:
            raise InputError(f"member must be in [0, {self.config['n_members'] - 1}].")
        dev = self.module.W.device
        a = self.module.grn_matrix()[member : member + 1]
        mus, sds = [], []
        for lo in range(0, Z.shape[0], batch_size):
            x = torch.as_tensor(Z[lo : lo + batch_size], device=dev)
            mu0, lv0 = self.module.encode(x, member)
            mus.append(self.module.mix(mu0, a)[0])
            sds.append(torch.exp(0.5 * self.module.mix(lv0, a)[0]))
        return torch.cat(mus), torch.cat(sds)

    def get_latent(self, adata=None, member: int = 0) -> np.ndarray:
        """GRN-mixed posterior mean ``mu (I - W^T)`` of one member, cells x genes (for ``obsm['X_deepsem']``)."""
        mu, _ = self._posterior(self._matrix(adata)[0], member)
        return mu.cpu().numpy()

    @torch.no_grad()
    def simulate(
        self,
        adata=None,
        n_cells: int | None = None,
        noise: float = 1.0,
        seed: int = 0,
        keep_zero_pattern: bool = False,
        member: int = 0,
    ):
        """Simulated cells: source cells drawn with replacement, ``z = mu + noise * sigma * eps``, decoded and
        mapped back to log-expression. ``keep_zero_pattern`` keeps each source cell's zeros.

        Returns an AnnData (cells x the model's genes) with ``obs['source_cell']``.
        """
        import anndata as ad

        Z, _ = self._matrix(adata)
        n_cells = int(n_cells or Z.shape[0])
        if n_cells < 1 or noise < 0:
            raise InputError("n_cells must be >= 1 and noise >= 0.")
        rng = np.random.default_rng(seed)
        src = rng.integers(0, Z.shape[0], size=n_cells)
        mu, sd = self._posterior(Z[src], member)
        gen = torch.Generator(device=mu.device).manual_seed(int(seed))
        z = mu + noise * sd * torch.randn(mu.shape, generator=gen, device=mu.device)
        a = self.module.grn_matrix()[member : member + 1]
        out = []
        for lo in range(0, n_cells, 256):
            out.append(self.module.decode(z[None, lo : lo + 256], a=a, member=member)[0])
        Xs = self.transform.inverse(torch.cat(out).cpu().numpy())
        if keep_zero_pattern:
            Xs = Xs * (self._raw_nonzero(adata)[src])
        sim = ad.AnnData(Xs.astype(np.float32))
        sim.var_names = self.genes
        sim.obs_names = [f"sim_{i}" for i in range(n_cells)]
        sim.obs["source_cell"] = src
        return sim

    def _raw_nonzero(self, adata) -> np.ndarray:
        if adata is None:
            Z = self._Z
            # zeros of the input map to exactly -mean/std (clipped) in the transformed matrix
            zero_val = np.clip(-self.transform.mean / self.transform.std, -10, 10).astype(np.float32)
            return (Z != zero_val).astype(np.float64)
        X, _ = expression_matrix(adata[:, self.genes])
        return (X != 0).astype(np.float64)

    # ---- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Checkpoint: plain dict with the state dict and a JSON-typed config (load with weights_only)."""
        torch.save({"state_dict": {k: v.cpu() for k, v in self.module.state_dict().items()},
                    "config": self.config}, path)

    @classmethod
    def load(cls, path: str | Path, adata=None, device: str = "cpu") -> "DeepSEM":
        """Restore a saved model; ``adata`` (same genes) is needed only for simulate/get_latent on data."""
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        cfg = ckpt["config"]
        self = cls.__new__(cls)
        self.genes = list(cfg["genes"])
        self.transform = Transform.from_dict(cfg["transform"])
        self.config = cfg
        self._Z, self._mask = (None, None)
        if adata is not None:
            self._Z, self._mask = self._matrix(adata)
        self.module = DeepSEMModule(len(self.genes), cfg["n_members"], cfg["hidden"], cfg["seed"],
                                    cfg.get("prior", "standard"), cfg.get("kl", "analytic"))
        self.module.load_state_dict(ckpt["state_dict"])
        self.module.to(resolve_device(device)).eval()
        self.history = []
        return self


def deepsem_grn(
    adata,
    ctx: RunContext | None = None,
    *,
    setting: str = "non-specific",
    ensemble: int = 10,
    epochs: int | None = None,
    alpha: float | None = None,
    beta: float | None = None,
    batch_size: int = 64,
    lr: float = 1e-4,
    lr_w_ratio: float = 0.2,
    k1: int = 1,
    k2: int = 2,
    hidden: int = 128,
    lr_decay: bool = False,
    gamma: float = 0.95,
    layer: str = "",
    threads: int = 0,
    prior: str = "standard",
    kl: str = "analytic",
    aggregate: str = DEFAULT_RULE,
) -> pd.DataFrame:
    """GRN runner: train a DeepSEM ensemble and return its edge table (sources = ``ctx.tfs`` when given)."""
    ctx = ctx or RunContext()
    if aggregate not in RULES:  # before training, not after
        raise InputError(f"Unknown aggregation rule {aggregate!r}; choose from {list(RULES)}.")
    if threads:
        torch.set_num_threads(int(threads))
    model = DeepSEM(adata, setting=setting, n_members=ensemble, hidden=hidden, seed=ctx.seed, layer=layer or None,
                    prior=prior, kl=kl)
    model.train(epochs=epochs, alpha=alpha, beta=beta, batch_size=batch_size, lr=lr, lr_w_ratio=lr_w_ratio,
                k1=k1, k2=k2, lr_decay=lr_decay, gamma=gamma, ctx=ctx)
    if ctx.run_dir is not None:
        model.save(ctx.checkpoint_dir / "deepsem.pt")
    ctx.log(f"DeepSEM: {model.n_parameters} parameters")
    edges = model.get_grn(tfs=ctx.tfs, aggregate=aggregate)
    kept = edges.attrs["members_kept"]
    if len(kept) < ensemble:
        dropped = sorted(set(range(ensemble)) - set(kept))
        ctx.log(f"ensemble: {len(kept)} of {ensemble} members kept; left out (their strongest edges disagree with "
                f"the others'): seeds {', '.join(str(ctx.seed + i) for i in dropped)}")
    edges.attrs.update({"n_parameters": int(model.n_parameters), "ensemble": int(ensemble), "n_members_kept": len(kept),
                        "epochs": int(model.config["train"]["epochs"]), "device": str(model.module.W.device)})
    return edges

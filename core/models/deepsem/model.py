"""User-facing DeepSEM: set up from AnnData, train (an ensemble of seeds at once), save/load, getters.

    model = DeepSEM(adata, setting="non-specific", ensemble=10, seed=0)   # any parameter of the spec
    model.train(callbacks=[ctx])         # unset epochs / alpha / beta follow the setting
    edges = model.get_grn(tfs=tfs)       # members combined (consensus filter, mean rank), signed mean W kept
    Z = model.get_latent()               # GRN-mixed posterior mean (cells x genes), for an embedding
    sim, origin, settings = model.simulate(adata, n_cells=500, noise=1.0, seed=0)

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

from types import SimpleNamespace
from typing import Any, Sequence

import anndata as ad
import numpy as np
import pandas as pd
import torch

from ...errors import InputError
from ...grn.confidence import attach, member_confidence
from ...grn.edges import adjacency_to_edges
from ..base import BaseModel, GRNMixin, LatentMixin, SimulateMixin
from ..setup import pick_layer
from .aggregate import RULES, aggregate_members
from .module import DeepSEMModule
from .preprocess import Transform, expression_matrix
from .spec import SETTINGS, SPEC
from .train import DeepSEMPlan


class DeepSEM(BaseModel, GRNMixin, LatentMixin, SimulateMixin):
    """DeepSEM on one dataset: ``ensemble`` independently initialised models trained together."""

    spec = SPEC
    #: Newton-Schulz inverse updates in W epochs (None: on CUDA only); a speed option, not a hyperparameter
    inverse_updates: bool | None = None

    # ---- contract ------------------------------------------------------------------------------
    def setup(self, adata: ad.AnnData) -> SimpleNamespace:
        layer = pick_layer(adata, self.params["layer"] or None)
        X, counts = expression_matrix(adata, layer)
        if not self.state:
            self.state = {"layer": layer, "log_normalised_counts": bool(counts),
                          "transform": Transform.fit(X, SETTINGS[self.params["setting"]]["transform"]).to_dict()}
        Z, mask = self.transform.apply(X)
        return SimpleNamespace(Z=Z, mask=mask, nonzero=X != 0)  # the dense input itself is not kept

    @property
    def transform(self) -> Transform:
        return Transform.from_dict(self.state["transform"])

    def build_module(self) -> DeepSEMModule:
        p = self.params
        return DeepSEMModule(len(self.genes), p["ensemble"], p["hidden"], self.seed, p["prior"], p["kl"],
                             da_classifier=p["dropout_augmentation"] > 0)

    def setting(self, name: str) -> Any:
        """A hyperparameter, or the setting's value when it is unset (epochs, alpha, beta)."""
        value = self.params[name]
        return SETTINGS[self.params["setting"]][name] if value is None else value

    def training_plan(self) -> DeepSEMPlan:
        p = self.params
        if p["threads"]:
            torch.set_num_threads(int(p["threads"]))
        dev = self.device
        Z = torch.as_tensor(self.data.Z, device=dev)
        mask = self.data.mask
        if mask is None and p["nonzero_loss"]:  # DAZZLE: reconstruction on the entries non-zero in the data
            mask = self.data.nonzero.astype(np.float32)
        mask = torch.as_tensor(mask, device=dev) if mask is not None else None
        da = float(p["dropout_augmentation"])
        zero = None
        if da > 0:  # an injected zero is the transform's image of a raw 0
            zero = torch.as_tensor(self.transform.apply(np.zeros((1, len(self.genes))))[0][0], device=dev)
        return DeepSEMPlan(self.module, Z, mask, epochs=self.setting("epochs"), batch_size=p["batch_size"],
                           lr=p["lr"], lr_w_ratio=p["lr_w_ratio"], alpha=float(self.setting("alpha")),
                           beta=float(self.setting("beta")), k1=p["k1"], k2=p["k2"], lr_decay=p["lr_decay"],
                           gamma=p["gamma"], seed=self.seed, inverse_updates=self.inverse_updates,
                           optimiser=p["optimiser"], da_p=da, da_weight=float(p["da_weight"]), zero_value=zero,
                           l1_delay=int(p["l1_delay"]))

    def describe(self) -> str:
        return (f"DeepSEM ({self.params['setting']}): {self.data.Z.shape[0]} cells x {len(self.genes)} genes, "
                f"{self.params['ensemble']} member(s), {self.setting('epochs')} epochs, alpha={self.setting('alpha')}, "
                f"beta={self.setting('beta')}, {self.n_parameters} parameters, device={self.device}")

    # ---- getters -------------------------------------------------------------------------------
    def adjacency(self) -> np.ndarray:
        """W of every member, (members, target, source), diagonal 0."""
        with torch.no_grad():
            W = self.module.W.detach().cpu().double().numpy().copy()
        for w in W:
            np.fill_diagonal(w, 0.0)  # 0 by construction; a checkpoint edited by hand cannot add self-loops
        return W

    def get_grn(self, tfs: Sequence[str] | None = None, top_k: int | None = None,
                aggregate: str | None = None) -> pd.DataFrame:
        """Edge table, sources limited to ``tfs``: weight = the members' combined score (``aggregate``, a rule of
        :mod:`.aggregate`, default the spec's; one member: |W|), signed_weight = mean W of the members kept.
        ``attrs``: ``members_kept`` (the consensus rules leave out members that disagree), ``ensemble``..."""
        aggregate = aggregate or self.params["aggregate"]
        if aggregate not in RULES:
            raise InputError(f"Unknown aggregation rule {aggregate!r}; choose from {list(RULES)}.")
        W = self.adjacency()
        G = len(self.genes)
        cand = ~np.eye(G, dtype=bool)
        if tfs is not None:
            cand &= np.isin(np.asarray(self.genes), list(map(str, tfs)))[None, :]  # (target, source)
        scores, keep = aggregate_members(W, aggregate, cand)
        edges = adjacency_to_edges(scores.T, self.genes, tfs=tfs, signed=W[keep].mean(0).T, top_k=top_k)
        if keep.sum() > 1:  # ensemble: share of the kept members ranking each edge in their top k
            edges = attach(edges, member_confidence(W[keep], cand), self.genes)
        n = int(W.shape[0])
        edges.attrs.update({"members_kept": [int(i) for i in np.flatnonzero(keep)], "aggregate": aggregate,
                            "n_parameters": self.n_parameters, "ensemble": n, "n_members_kept": int(keep.sum()),
                            "epochs": int(self.setting("epochs")), "device": str(self.module.W.device)})
        if keep.sum() < n:
            dropped = sorted(set(range(n)) - set(edges.attrs["members_kept"]))
            edges.attrs["note"] = (f"ensemble: {int(keep.sum())} of {n} members kept; left out (their strongest edges "
                                   f"disagree with the others'): seeds {', '.join(str(self.seed + i) for i in dropped)}")
        return edges

    @torch.no_grad()
    def _posterior(self, Z: np.ndarray, member: int, batch_size: int = 256):
        if not 0 <= member < self.params["ensemble"]:
            raise InputError(f"member must be in [0, {self.params['ensemble'] - 1}].")
        dev = self.module.W.device
        a = self.module.grn_matrix()[member : member + 1]
        mus, sds = [], []
        for lo in range(0, Z.shape[0], batch_size):
            x = torch.as_tensor(Z[lo : lo + batch_size], device=dev)
            mu0, lv0 = self.module.encode(x, member)
            mus.append(self.module.mix(mu0, a)[0])
            sds.append(torch.exp(0.5 * self.module.mix(lv0, a)[0]))
        return torch.cat(mus), torch.cat(sds)

    def get_latent(self, adata: ad.AnnData | None = None, member: int = 0) -> np.ndarray:
        """GRN-mixed posterior mean ``mu (I - W^T)`` of one member, cells x genes."""
        mu, _ = self._posterior(self._data_for(adata).Z, member)
        return mu.cpu().numpy()

    # ---- simulation ----------------------------------------------------------------------------
    @torch.no_grad()
    def simulate(self, adata: ad.AnnData | None, n_cells: int, seed: int = 0, noise: float = 1.0,
                 keep_zeros: bool = True, member: int = 0):
        """Source cells drawn with replacement, ``z = mu + noise * sigma * eps``, decoded and mapped back to
        log-expression; ``keep_zeros`` keeps each source cell's zeros. Values are on the log-expression scale
        of the trained layer (see :meth:`comparable_real`)."""
        data = self._data_for(adata)
        if n_cells < 1 or noise < 0:
            raise InputError("n_cells must be >= 1 and noise >= 0.")
        rng = np.random.default_rng(seed)
        src = rng.integers(0, data.Z.shape[0], size=int(n_cells))
        mu, sd = self._posterior(data.Z[src], member)
        gen = torch.Generator(device=mu.device).manual_seed(int(seed))
        z = mu + noise * sd * torch.randn(mu.shape, generator=gen, device=mu.device)
        a = self.module.grn_matrix()[member : member + 1]
        out = [self.module.decode(z[None, lo : lo + 256], a=a, member=member)[0] for lo in range(0, int(n_cells), 256)]
        Xs = self.transform.inverse(torch.cat(out).cpu().numpy())
        if keep_zeros:
            Xs = Xs * data.nonzero[src]
        sim = ad.AnnData(Xs.astype(np.float32), var=pd.DataFrame(index=self.genes))
        names = (self.adata if adata is None else adata).obs_names.to_numpy()
        settings = {"layer": self.state["layer"] or "X", "noise": float(noise), "keep_zeros": bool(keep_zeros),
                    "scale": "log-normalised counts" if self.state["log_normalised_counts"] else "as given"}
        return sim, names[src], settings

    def comparable_real(self, adata: ad.AnnData, settings: dict[str, Any]):
        """The real cells as DeepSEM models them: log-normalised when it was trained on counts."""
        if not self.state["log_normalised_counts"]:
            return super().comparable_real(adata, settings)
        X, _ = expression_matrix(adata[:, self.genes], self.state["layer"])
        real = ad.AnnData(X.astype(np.float32), obs=adata.obs[[]].copy(), var=pd.DataFrame(index=self.genes))
        return real, {"transform": "none"}

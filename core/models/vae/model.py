"""User-facing VAE / GMVAE model: setup from AnnData, train, save/load, getters, generation hooks.

    model = VAEModel(adata, likelihood="nb", latent_dim=10, clusters=0)   # clusters > 0 -> GMVAE
    model.train(epochs=100, ctx=ctx)
    z = model.get_latent()                 # E[z|x] per cell, (n_cells, latent_dim)
    y = model.get_clusters()               # GMVAE only: argmax_y q(y|x)
    model.save("model.pt"); model = VAEModel.load("model.pt")

Generation hooks (used by the simulation tools) return AnnData with the model's genes:
    model.sample_prior(n, component=k)     # z ~ p(z) (VAE) or p(z|y=k) (GMVAE), x ~ p(x|z)
    model.perturb(adata, noise=0.5)        # z = E[z|x] + noise * sd(z|x) * eps, x ~ p(x|z), per cell
Count likelihoods give integer counts (X and layers["counts"]); Gaussian / CB give values on the scale of
the layer the model was fitted on (inverse of the input transform / CB scaling).
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import torch

from ...device import resolve_device
from ...distributions import LIKELIHOODS
from ...errors import InputError
from ...context import RunContext, seed_everything
from .data import pick_layer, prepare, to_data_scale
from .module import GMVAE, VAE
from .train import TensorData, train_module

INFER_BATCH = 2048


class VAEModel:
    def __init__(self, adata, *, likelihood: str = "nb", latent_dim: int = 10, hidden: int = 128,
                 clusters: int = 0, n_layers: int = 1, dropout: float = 0.1, layer: str | None = "auto",
                 input_transform: str = "auto", balance: float = 1.0, seed: int = 0, device: str = "auto", _state: dict | None = None):
        if likelihood not in LIKELIHOODS:
            raise InputError(f"Unknown likelihood {likelihood!r}; choose from {', '.join(LIKELIHOODS)}.")
        self.device = resolve_device(device)
        self.adata = adata
        if _state is None:
            layer = pick_layer(adata, layer, likelihood)
            prep = prepare(adata, likelihood, layer, input_transform)
            lib = prep.log_library
            self.config = {
                "likelihood": likelihood, "latent_dim": int(latent_dim), "hidden": int(hidden),
                "clusters": int(clusters), "balance": float(balance), "n_layers": int(n_layers), "dropout": float(dropout),
                "layer": layer, "transform": prep.transform, "seed": int(seed),
                "genes": [str(g) for g in adata.var_names],
                "log_library": [float(lib.mean()), float(lib.std())] if lib is not None else None,
            }
            self._prep = prep
        else:
            self.config, self._prep = _state["config"], None
        seed_everything(self.config["seed"])
        c = self.config
        kw = dict(n_genes=len(c["genes"]), likelihood=c["likelihood"], latent_dim=c["latent_dim"],
                  hidden=c["hidden"], n_layers=c["n_layers"], dropout=c["dropout"])
        self.module = (GMVAE(clusters=c["clusters"], balance=c.get("balance", 0.0), **kw) if c["clusters"] > 0
                       else VAE(**kw)).to(self.device)
        if _state is not None:
            self.module.load_state_dict(_state["state_dict"])
        self.module.eval()
        self.history: list[dict] = []

    # ---- properties --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return "gmvae" if self.config["clusters"] > 0 else "vae"

    @property
    def is_gmvae(self) -> bool:
        return self.config["clusters"] > 0

    # ---- training ----------------------------------------------------------------------------
    def train(self, epochs: int = 100, lr: float = 1e-3, batch_size: int = 128, beta: float = 1.0,
              kl_warmup: int = 0, free_nats: float = 0.0, ctx: RunContext | None = None) -> "VAEModel":
        if self._prep is None:
            raise InputError("This model was loaded from a checkpoint without data; create a new model to train.")
        ctx = ctx or RunContext(seed=self.config["seed"])
        seed_everything(self.config["seed"])
        data = self._tensors(self._prep)
        self.history += train_module(self.module, data, ctx, epochs=epochs, lr=lr, batch_size=batch_size,
                                     beta=beta, kl_warmup=kl_warmup, free_nats=free_nats,
                                     seed=self.config["seed"])
        return self

    # ---- inference ---------------------------------------------------------------------------
    def _tensors(self, prep) -> TensorData:
        t = lambda a: None if a is None else torch.as_tensor(a, device=self.device)  # noqa: E731
        return TensorData(t(prep.x_in), t(prep.x_target), t(prep.log_library))

    def _prepared(self, adata):
        if adata is None or adata is self.adata and self._prep is not None:
            if self._prep is None:
                raise InputError("Give the AnnData to embed (this model was loaded without data).")
            return self._prep
        genes = self.config["genes"]
        missing = [g for g in genes if g not in adata.var_names]
        if missing:
            raise InputError(f"{len(missing)} of the model's genes are missing from the data (e.g. {missing[:3]}).")
        sub = adata[:, genes] if list(adata.var_names) != genes else adata
        layer = self.config["layer"]
        if layer is not None and layer not in sub.layers:
            raise InputError(f"The model was trained on layer {layer!r}, which this data lacks.")
        return prepare(sub, self.config["likelihood"], layer, transform=self.config["transform"])

    @torch.no_grad()
    def _batched(self, fn, x_in: np.ndarray) -> np.ndarray:
        self.module.eval()
        x = torch.as_tensor(x_in, device=self.device)
        return torch.cat([fn(x[i:i + INFER_BATCH]) for i in range(0, len(x), INFER_BATCH)]).cpu().numpy()

    def get_latent(self, adata=None) -> np.ndarray:
        """Posterior mean E[z|x] for each cell (the mixture mean for the GMVAE)."""
        return self._batched(self.module.latent_mean, self._prepared(adata).x_in)

    def get_cluster_probs(self, adata=None) -> np.ndarray:
        if not self.is_gmvae:
            raise InputError("Only the GMVAE has clusters; use Leiden on the VAE latent instead.")
        return self._batched(self.module.cluster_probs, self._prepared(adata).x_in)

    def get_clusters(self, adata=None) -> np.ndarray:
        """argmax_y q(y|x) (GMVAE)."""
        return self.get_cluster_probs(adata).argmax(1)

    # ---- generation hooks --------------------------------------------------------------------
    def _decode_sample(self, z: torch.Tensor, log_library: torch.Tensor | None) -> np.ndarray:
        with torch.no_grad():
            self.module.eval()
            values = self.module.decode(z, log_library).sample().cpu().numpy()
        return to_data_scale(values, self.config["likelihood"], self.config["transform"])

    def _as_anndata(self, values: np.ndarray, obs: pd.DataFrame) -> ad.AnnData:
        out = ad.AnnData(values.astype(np.float32), obs=obs, var=pd.DataFrame(index=self.config["genes"]))
        if LIKELIHOODS[self.config["likelihood"]].counts:
            out.layers["counts"] = out.X.copy()
        return out

    def sample_prior(self, n: int, component: int | None = None, seed: int = 0) -> ad.AnnData:
        """Generate ``n`` cells from the prior (of one GMVAE component when ``component`` is given).

        Count likelihoods draw each cell's library size from a log-normal fitted to the training cells.
        obs["component"] holds the component (GMVAE).
        """
        if component is not None and not self.is_gmvae:
            raise InputError("component= needs a GMVAE (clusters > 0).")
        torch.manual_seed(seed)
        z = self.module.prior(int(n), component)
        lib = None
        if self.config["log_library"] is not None:
            m, s = self.config["log_library"]
            lib = (m + s * torch.randn(int(n), 1)).to(self.device)
        obs = pd.DataFrame(index=[f"sim_{i}" for i in range(int(n))])
        if component is not None:
            obs["component"] = int(component)
        return self._as_anndata(self._decode_sample(z, lib), obs)

    def perturb(self, adata=None, noise: float = 0.5, seed: int = 0) -> ad.AnnData:
        """Re-generate each cell from a latent jittered by ``noise`` posterior standard deviations.

        noise=0 decodes the posterior mean (a denoised resample); larger values move cells further. Each
        cell keeps its observed library size (count likelihoods). obs is copied from the input.
        """
        if noise < 0:
            raise InputError("noise must be >= 0.")
        prep = self._prepared(adata)
        torch.manual_seed(seed)
        with torch.no_grad():
            self.module.eval()
            x = torch.as_tensor(prep.x_in, device=self.device)
            m, v = self.module.encode(x)
            z = m + noise * v.sqrt() * torch.randn_like(m)
        lib = None if prep.log_library is None else torch.as_tensor(prep.log_library, device=self.device)
        src = self.adata if adata is None else adata
        return self._as_anndata(self._decode_sample(z, lib), src.obs.copy())

    # ---- persistence -------------------------------------------------------------------------
    def save(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu() for k, v in self.module.state_dict().items()}
        torch.save({"state_dict": state, "config": self.config, "history": self.history}, path)
        return path

    @classmethod
    def load(cls, path, adata=None, device: str = "auto") -> "VAEModel":
        """Load a checkpoint written by :meth:`save` (``weights_only=True``: no pickled objects)."""
        state = torch.load(Path(path), map_location="cpu", weights_only=True)
        c = state["config"]
        model = cls(adata, likelihood=c["likelihood"], device=device, _state=state)
        model.history = list(state.get("history", []))
        return model

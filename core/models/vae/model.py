"""User-facing VAE / GMVAE: set up from AnnData, train, getters, simulation (core.models.base contract).

    model = VAE(adata, likelihood="nb", latent_dim=10)        # or GMVAE(adata, clusters=8, ...)
    model.train(callbacks=[ctx])                               # epochs unset: size-aware rule (train.default_epochs)
    z = model.get_latent()                 # E[z|x] per cell, (n_cells, latent_dim)
    y = model.get_clusters()               # GMVAE only: argmax_y q(y|x)
    model.save("model.pt"); model = BaseModel.load("model.pt", adata)

Generation (used by core.simulation): ``sample_prior(n, component=k)`` draws z from the prior (of one GMVAE
component), ``perturb(adata, noise)`` moves each cell's latent by ``noise`` posterior standard deviations; x is
then sampled from the likelihood. Count likelihoods give integer counts (X and layers["counts"]) with the
cell's observed library size (perturb) or a log-normal library size fitted to the training cells (prior);
Gaussian / CB give values on the scale of the layer the model was fitted on.
"""

from __future__ import annotations

from typing import Any

import warnings

import anndata as ad
import numpy as np
import pandas as pd
import torch

from ...distributions import LIKELIHOODS
from ...errors import InputError
from ..base import BaseModel, DenoiseMixin, LatentMixin, SimulateMixin
from .data import Prepared, pick_layer, prepare, to_data_scale
from .module import GMVAE as GMVAEModule
from .module import VAE as VAEModule
from .spec import SPECS
from .train import RowData, TensorData, VAEPlan, default_epochs



def _pick_cells(n_obs: int, n_cells: int, rng: np.random.Generator) -> np.ndarray:
    """Originating cells: without replacement when possible, otherwise every cell then random extras."""
    if n_cells <= n_obs:
        return np.sort(rng.choice(n_obs, n_cells, replace=False))
    return np.r_[np.arange(n_obs), rng.choice(n_obs, n_cells - n_obs, replace=True)]


class VAE(BaseModel, LatentMixin, SimulateMixin, DenoiseMixin):
    """Variational autoencoder with a choice of likelihood; latent = posterior mean."""

    spec = SPECS[0]

    def setup(self, adata: ad.AnnData) -> Prepared:
        p = self.params
        if not self.state:
            layer = pick_layer(adata, p["layer"], p["likelihood"])
            prep = prepare(adata, p["likelihood"], layer, p["input_transform"])
            lib = prep.log_library
            self.state = {"layer": layer, "transform": prep.transform,
                          "log_library": [float(lib.mean()), float(lib.std())] if lib is not None else None}
            return prep
        layer = self.state["layer"]
        if layer is not None and layer not in adata.layers:
            raise InputError(f"The model was trained on layer {layer!r}, which this data lacks.")
        return prepare(adata, p["likelihood"], layer, transform=self.state["transform"])

    def _module_kwargs(self) -> dict:
        p = self.params
        return dict(n_genes=len(self.genes), likelihood=p["likelihood"], latent_dim=p["latent_dim"],
                    hidden=p["hidden"], n_layers=p["n_layers"], dropout=p["dropout"])

    def build_module(self) -> torch.nn.Module:
        return VAEModule(**self._module_kwargs())

    @property
    def epochs(self) -> int:
        """The epochs to train: the parameter, or the size-aware rule when it is unset."""
        e = self.params["epochs"]
        return int(e) if e is not None else default_epochs(len(self.data), self.params["batch_size"])

    def training_plan(self) -> VAEPlan:
        t = lambda a: None if a is None else torch.as_tensor(a, device=self.device)  # noqa: E731
        prep, p = self.data, self.params
        # dense data live whole on the device; a sparse layer is densified one mini-batch at a time
        data = RowData(prep, self.device) if prep.sparse else TensorData(t(prep.x_in), t(prep.x_target),
                                                                           t(prep.log_library))
        return VAEPlan(self.module, data,
                       epochs=self.epochs, lr=p["lr"], batch_size=p["batch_size"], beta=p["beta"],
                       kl_warmup=p["kl_warmup"], free_nats=p["free_nats"], seed=self.seed)

    def describe(self) -> str:
        return (f"{self.spec.label}: {len(self.data)} cells x {len(self.genes)} genes, likelihood "
                f"{self.params['likelihood']}, layer {self.state['layer'] or 'X'}, {self.epochs} epochs, "
                f"device {self.device}")

    # ---- inference ---------------------------------------------------------------------------
    @torch.no_grad()
    def _batched(self, fn, prep: Prepared) -> np.ndarray:
        """``fn`` of every cell's encoder input, a block of cells at a time (densified per block)."""
        self.module.eval()
        return torch.cat([fn(torch.as_tensor(x, device=self.device)).cpu()
                          for _, x, _ in prep.chunks()]).numpy()

    def get_latent(self, adata: ad.AnnData | None = None) -> np.ndarray:
        """Posterior mean E[z|x] for each cell (the mixture mean for the GMVAE)."""
        return self._batched(self.module.latent_mean, self._data_for(adata))

    # ---- denoising ---------------------------------------------------------------------------
    def get_denoised(self, adata: ad.AnnData | None = None, library: str | float = "observed", n_samples: int = 1,
                     seed: int = 0) -> np.ndarray:
        """Expected expression per cell and gene (scVI's normalised expression, DCA's mean): the likelihood's
        mean decoded from the posterior mean of z (``n_samples`` > 1: averaged over posterior draws), on the
        scale of the layer the model was fitted on. Count likelihoods give the mean *before* zero inflation,
        times the cell's observed library size (``library="observed"``) or a fixed library size (a number,
        e.g. 1e4 for counts per 10k)."""
        lk = LIKELIHOODS[self.params["likelihood"]]
        prep = self._data_for(adata)
        lib = None
        if lk.counts:
            if library == "observed":
                lib = prep.log_library
            else:
                try:
                    size = float(library)
                except (TypeError, ValueError):
                    size = -1.0
                if size <= 0:
                    raise InputError(f"library must be 'observed' or a positive number, got {library!r}.")
                lib = np.full((len(prep), 1), np.log(size), np.float32)
        if int(n_samples) < 1:
            raise InputError("n_samples must be at least 1.")
        gen = torch.Generator().manual_seed(int(seed))
        self.module.eval()
        out = []
        with torch.no_grad():
            for i, x_in, _ in prep.chunks():
                x = torch.as_tensor(x_in, device=self.device)
                lb = None if lib is None else torch.as_tensor(lib[i:i + len(x_in)], device=self.device)
                m, v = self.module.encode(x)
                acc = 0
                for s in range(int(n_samples)):
                    z = m if n_samples == 1 else m + v.sqrt() * torch.randn(m.shape, generator=gen).to(m)
                    d = self.module.decode(z, lb)
                    if lk.counts:
                        acc = acc + (d.log_mu if hasattr(d, "log_mu") else d.log_rate).exp()
                    else:
                        acc = acc + d.mean
                out.append((acc / int(n_samples)).cpu())
        values = torch.cat(out).numpy()
        return values if lk.counts else to_data_scale(values, lk.name, self.state["transform"])

    def get_gene_correlation(self, adata: ad.AnnData | None = None, n_samples: int = 10, seed: int = 0) -> np.ndarray:
        """Gene x gene Pearson correlation of the model's expression without sampling noise (as scVI's
        ``get_feature_correlation_matrix``). Each cell gives ``n_samples`` draws of z from q(z|x), decoded; a
        gamma-Poisson likelihood (NB, ZINB) then draws the gamma rate Gamma(theta, theta / mu) -- the gene-specific
        biological variation the decoded mean lacks -- and leaves out the Poisson sampling and the zero
        inflation (technical); Poisson / ZIP keep the decoded rate. Correlations are of log1p counts per 10k
        (count likelihoods) or of the fitted layer's values; accumulated over cells (memory genes x genes)."""
        lk = LIKELIHOODS[self.params["likelihood"]]
        if int(n_samples) < 1:
            raise InputError("n_samples must be at least 1.")
        prep = self._data_for(adata)
        n_genes = len(self.genes)
        total, cross, n = np.zeros(n_genes), np.zeros((n_genes, n_genes)), 0
        self.module.eval()
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            for _, x_in, _ in prep.chunks():
                m, v = self.module.encode(torch.as_tensor(x_in, device=self.device))
                lib = torch.full((len(m), 1), float(np.log(1e4)), device=self.device) if lk.counts else None
                for _ in range(int(n_samples)):  # the gamma's shape is scale-free: any library gives the same y
                    d = self.module.decode(m + v.sqrt() * torch.randn_like(m), lib)
                    if not lk.counts:
                        y = torch.as_tensor(to_data_scale(d.mean.cpu().numpy(), lk.name, self.state["transform"]))
                    else:
                        rate = d.sample_rate() if hasattr(d, "sample_rate") else d.log_rate.exp()
                        y = torch.log1p(rate / rate.sum(1, keepdim=True).clamp_min(1e-30) * 1e4).cpu()
                    y = y.double().numpy()
                    total += y.sum(0)
                    cross += y.T @ y
                    n += len(y)
        mean = total / n
        cov = cross / n - np.outer(mean, mean)
        sd = np.sqrt(np.clip(np.diag(cov), 0, None))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov / np.outer(sd, sd)
        corr = np.clip(np.nan_to_num(corr), -1.0, 1.0)  # a gene the model holds constant correlates with none
        np.fill_diagonal(corr, 1.0)
        return corr

    def decode_expected(self, z: np.ndarray, library: float = 1e4) -> np.ndarray:
        """Expected expression at latent points ``z`` (count likelihoods: per ``library`` counts; otherwise on the
        scale of the fitted layer): what latent interpolation decodes."""
        lk = LIKELIHOODS[self.params["likelihood"]]
        zt = torch.as_tensor(np.asarray(z, np.float32), device=self.device)
        lib = torch.full((len(zt), 1), float(np.log(library)), device=self.device) if lk.counts else None
        with torch.no_grad():
            self.module.eval()
            d = self.module.decode(zt, lib)
            v = ((d.log_mu if hasattr(d, "log_mu") else d.log_rate).exp() if lk.counts else d.mean).cpu().numpy()
        return v if lk.counts else to_data_scale(v, lk.name, self.state["transform"])

    # ---- generation --------------------------------------------------------------------------
    def _decode_sample(self, z: torch.Tensor, log_library: torch.Tensor | None) -> np.ndarray:
        with torch.no_grad():
            self.module.eval()
            values = self.module.decode(z, log_library).sample().cpu().numpy()
        return to_data_scale(values, self.params["likelihood"], self.state["transform"])

    def _as_anndata(self, values: np.ndarray, obs: pd.DataFrame | None = None) -> ad.AnnData:
        out = ad.AnnData(values.astype(np.float32), obs=obs, var=pd.DataFrame(index=self.genes))
        if LIKELIHOODS[self.params["likelihood"]].counts:
            out.layers["counts"] = out.X.copy()
        return out

    def sample_prior(self, n: int, component: int | None = None, seed: int = 0) -> ad.AnnData:
        """``n`` cells from the prior (of one GMVAE component when ``component`` is given)."""
        self._check_component(component)
        torch.manual_seed(seed)
        z = self.module.prior(int(n), component)
        lib = None
        if self.state["log_library"] is not None:
            m, s = self.state["log_library"]
            lib = (m + s * torch.randn(int(n), 1)).to(self.device)
        return self._as_anndata(self._decode_sample(z, lib))

    def perturb(self, adata: ad.AnnData | None = None, noise: float = 0.5, seed: int = 0) -> ad.AnnData:
        """Re-generate each cell from a latent jittered by ``noise`` posterior standard deviations (0 decodes
        the posterior mean); each cell keeps its observed library size (count likelihoods)."""
        if noise < 0:
            raise InputError("noise must be >= 0.")
        prep = self._data_for(adata)
        torch.manual_seed(seed)
        with torch.no_grad():
            self.module.eval()
            m, v = (torch.cat(t) for t in zip(*(self.module.encode(torch.as_tensor(x, device=self.device))
                                                 for _, x, _ in prep.chunks())))
            z = m + noise * v.sqrt() * torch.randn_like(m)
        lib = None if prep.log_library is None else torch.as_tensor(prep.log_library, device=self.device)
        src = self.adata if adata is None else adata
        return self._as_anndata(self._decode_sample(z, lib), src.obs.copy())

    def _perturb_pool(self, adata: ad.AnnData, component: int | None) -> np.ndarray:
        return np.arange(adata.n_obs)

    def _check_component(self, component: int | None) -> None:
        if component is not None:
            raise InputError("Only a GMVAE has components; leave the component empty for a VAE.")

    def simulate(self, adata: ad.AnnData | None, n_cells: int, seed: int = 0, mode: str = "perturb",
                 noise: float = 1.0, component: int | None = None):
        """``mode`` perturb: real cells (without replacement when possible) re-generated with latent noise;
        prior: new latent points from the prior (of one GMVAE ``component``)."""
        self._check_component(component)
        settings = {"layer": self.state["layer"] or "X", "likelihood": self.params["likelihood"], "mode": mode}
        if mode == "prior":
            sim = self.sample_prior(int(n_cells), component=component, seed=seed)
            settings["component"] = component
            return sim, [f"component {component}" if component is not None else "prior"] * sim.n_obs, settings
        if mode != "perturb":
            raise InputError(f"Unknown simulation mode {mode!r}; use prior or perturb.")
        adata = self.adata if adata is None else adata
        if adata is None:
            raise InputError("Perturbing cells needs the real cells (the run's dataset).")
        pool = self._perturb_pool(adata, component)
        idx = pool[_pick_cells(pool.size, int(n_cells), np.random.default_rng(seed))]
        settings.update(noise=float(noise), component=component)
        with warnings.catch_warnings():  # repeated cells: anndata warns about duplicate names
            warnings.simplefilter("ignore", UserWarning)
            cells = adata[idx].copy()
        return self.perturb(cells, noise=float(noise), seed=seed), adata.obs_names[idx].to_numpy(), settings


class GMVAE(VAE):
    """Gaussian-mixture VAE (scVAE): learns clusters jointly with the embedding (argmax q(y|x))."""

    spec = SPECS[1]

    def build_module(self) -> torch.nn.Module:
        return GMVAEModule(clusters=self.params["clusters"], balance=self.params["balance"], **self._module_kwargs())

    def get_cluster_probs(self, adata: ad.AnnData | None = None) -> np.ndarray:
        return self._batched(self.module.cluster_probs, self._data_for(adata))

    def get_clusters(self, adata: ad.AnnData | None = None) -> np.ndarray:
        """argmax_y q(y|x)."""
        return self.get_cluster_probs(adata).argmax(1)

    def embed(self, adata: ad.AnnData) -> ad.AnnData:
        out = super().embed(adata)
        probs = self.get_cluster_probs(adata)
        out.obsm[f"{self.cluster_key}_probs"] = probs
        out.obs[self.cluster_key] = pd.Categorical(probs.argmax(1).astype(str))
        return out

    def _check_component(self, component: int | None) -> None:
        k = int(self.params["clusters"])
        if component is not None and not 0 <= int(component) < k:
            raise InputError(f"component must be between 0 and {k - 1} (this GMVAE has {k} components).")

    def comparable_real(self, adata: ad.AnnData, settings: dict[str, Any]) -> tuple[ad.AnnData, dict[str, Any]]:
        """Cells simulated from one component are compared with the real cells assigned to that component (not
        with every cell: the other cell types would read as missing structure)."""
        real, how = super().comparable_real(adata, settings)
        component = settings.get("component")
        if component is not None:
            real = real[self._perturb_pool(real, int(component))].copy()
        return real, how

    def _perturb_pool(self, adata: ad.AnnData, component: int | None) -> np.ndarray:
        if component is None:
            return np.arange(adata.n_obs)
        pool = np.flatnonzero(self.get_clusters(adata) == int(component))
        if pool.size == 0:
            raise InputError(f"No cell is assigned to component {component}; sample its prior instead.")
        return pool


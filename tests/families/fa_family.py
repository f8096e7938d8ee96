"""A whole new family in one file: probabilistic PCA / factor analysis trained by gradient descent, with a
latent and a simulator. Registered with one ``register()`` call; nothing else in the project names it."""

from __future__ import annotations

import numpy as np
import torch

from core.models.base import BaseModel, LatentMixin, SimulateMixin
from core.models.fit import LossOutput, TrainingPlan
from core.models.setup import dense_matrix, is_counts, log_normalise
from core.registry import register
from core.specs import MethodSpec, Param


class FAModule(torch.nn.Module):
    """x = W z + mu + eps, z ~ N(0, I), eps ~ N(0, diag(psi)); the marginal is N(mu, W W^T + diag(psi))."""

    def __init__(self, n_genes: int, k: int):
        super().__init__()
        self.W = torch.nn.Parameter(torch.randn(n_genes, k) * 0.1)
        self.mu = torch.nn.Parameter(torch.zeros(n_genes))
        self.log_psi = torch.nn.Parameter(torch.zeros(n_genes))

    def cov(self) -> torch.Tensor:
        return self.W @ self.W.T + torch.diag(torch.exp(self.log_psi))

    def loss(self, x: torch.Tensor) -> LossOutput:
        dist = torch.distributions.MultivariateNormal(self.mu, covariance_matrix=self.cov())
        nll = -dist.log_prob(x).mean()
        return LossOutput(nll, {"nll": nll.detach(), "noise": torch.exp(self.log_psi).mean().detach()}, n=x.shape[0])


class FAPlan(TrainingPlan):
    def __init__(self, module: FAModule, X: torch.Tensor, epochs: int, lr: float):
        self.module, self.X, self.n_epochs, self.lr = module, X, epochs, lr

    def configure_optimizers(self):
        return {"adam": torch.optim.Adam(self.module.parameters(), lr=self.lr)}

    def batches(self, epoch: int):
        yield self.X

    def training_step(self, x) -> LossOutput:
        return self.module.loss(x)


class FactorAnalysis(BaseModel, LatentMixin, SimulateMixin):
    def setup(self, adata):
        X = dense_matrix(adata)
        X = log_normalise(X) if is_counts(X) else X
        if not self.state:
            self.state = {"mean": X.mean(0).tolist(), "std": (X.std(0) + 1e-6).tolist()}
        return (X - np.asarray(self.state["mean"])) / np.asarray(self.state["std"])

    def build_module(self):
        return FAModule(len(self.genes), self.params["factors"])

    def training_plan(self):
        X = torch.as_tensor(self.data, dtype=torch.float32)
        return FAPlan(self.module, X, self.params["epochs"], self.params["lr"])

    @torch.no_grad()
    def get_latent(self, adata=None) -> np.ndarray:
        X = torch.as_tensor(self._data_for(adata), dtype=torch.float32)
        W, psi = self.module.W, torch.exp(self.module.log_psi)
        M = torch.eye(W.shape[1]) + W.T @ (W / psi[:, None])  # posterior mean (I + W^T Psi^-1 W)^-1 W^T Psi^-1 (x-mu)
        return torch.linalg.solve(M, (W / psi[:, None]).T @ (X - self.module.mu).T).T.numpy()

    @torch.no_grad()
    def simulate(self, adata, n_cells, seed=0, scale=1.0):
        import anndata as ad

        gen = torch.Generator().manual_seed(int(seed))
        z = torch.randn(n_cells, self.module.W.shape[1], generator=gen)
        eps = torch.randn(n_cells, len(self.genes), generator=gen) * torch.exp(0.5 * self.module.log_psi)
        x = (z @ self.module.W.T + self.module.mu + eps) * scale
        values = x.numpy() * np.asarray(self.state["std"]) + np.asarray(self.state["mean"])
        return ad.AnnData(values.astype(np.float32)), ["prior"] * n_cells, {"layer": "X", "scale": float(scale)}

    def comparable_real(self, adata, settings):
        import anndata as ad

        X = dense_matrix(adata[:, self.genes])
        real = ad.AnnData((log_normalise(X) if is_counts(X) else X), obs=adata.obs[[]].copy())
        real.var_names = self.genes
        return real, {"transform": "none"}


FactorAnalysis.spec = register(MethodSpec(
    name="factor_analysis", label="Factor analysis (test family)", capabilities=("latent", "simulate"),
    model=FactorAnalysis, neural=True, uses_tfs=False,
    params=(Param("factors", 4, "latent factors", kind="int", min=1, max=50),
            Param("epochs", 60, "full-batch Adam steps", kind="int", min=1),
            Param("lr", 0.05, "Adam learning rate", min=1e-5, max=1.0, log=True)),
    simulation_params=(Param("scale", 1.0, "multiply simulated standardised values", min=0.0, max=10.0),),
    description="x = W z + mu + noise, fitted by maximum likelihood (a family added by a test in one file).",
))

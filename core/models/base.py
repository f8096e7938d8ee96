"""The one model contract every family follows (after scvi-tools' BaseModelClass and its mixins).

    class MyModel(BaseModel, LatentMixin, SimulateMixin):
        spec = MY_SPEC                         # hyperparameters live in the spec, nowhere else
        def setup(self, adata): ...            # the ONLY data preparation (core.models.setup helpers)
        def build_module(self): ...            # a pure nn.Module
        def training_plan(self): ...           # a core.models.fit.TrainingPlan (None: nothing to train)
        def get_latent(self, adata=None): ...

    model = MyModel(adata, seed=0, device="auto", tfs=None, **params)   # params resolved by the spec
    model.train(callbacks=[ctx])                                         # core.models.fit.fit
    model.save(path); model = BaseModel.load(path)                       # any family, weights_only

Capabilities come from the mixins (:func:`capabilities_of`) and must match the spec's ``capabilities``.
A model keeps ``params`` (resolved hyperparameters), ``seed``, ``genes``, ``state`` (fitted values that are not
weights: transforms, library-size statistics; plain JSON) and ``history`` (one record per epoch).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Sequence

import anndata as ad
import numpy as np
import pandas as pd
import torch

from ..context import seed_everything
from ..device import resolve_device
from ..errors import InputError
from ..specs import MethodSpec
from .fit import Callback, TrainingPlan, fit

#: the checkpoint file of every family, inside a run's checkpoints/ folder
CHECKPOINT = "model.pt"


class BaseModel:
    """A family's user-facing model (see the module docstring)."""

    spec: ClassVar[MethodSpec]

    def __init__(self, adata: ad.AnnData, *, seed: int = 0, device: str = "auto",
                 tfs: Sequence[str] | None = None, **params: Any):
        self.params = self.spec.resolve_params(params)
        self.seed = int(seed)
        self.device = resolve_device(device)
        self.tfs = [str(t) for t in tfs] if tfs else None
        self.genes = [str(g) for g in adata.var_names]
        if len(set(self.genes)) != len(self.genes):
            raise InputError("Gene names must be unique (make them unique on the Data page).")
        self.state: dict[str, Any] = {}
        self.history: list[dict[str, Any]] = []
        self.adata = adata
        self.data = self.setup(adata)
        seed_everything(self.seed)
        self.module = self.build_module().to(self.device)

    # ---- what a family implements -------------------------------------------------------------
    def setup(self, adata: ad.AnnData) -> Any:
        """Validate and prepare ``adata`` once (tensors, masks...); fill ``self.state`` when it is empty,
        reuse it when the model was loaded (new data on the fitted scale)."""
        raise NotImplementedError

    def build_module(self) -> torch.nn.Module:
        raise NotImplementedError

    def training_plan(self) -> TrainingPlan | None:
        """The plan :meth:`train` runs; None for a model fitted in :meth:`setup` (e.g. closed form)."""
        return None

    def describe(self) -> str:
        """One line for the run log."""
        return (f"{self.spec.label}: {self.adata.n_obs} cells x {len(self.genes)} genes, "
                f"{self.n_parameters} parameters, device {self.device}")

    # ---- training ------------------------------------------------------------------------------
    def train(self, callbacks: Sequence[Callback] = (), **overrides: Any) -> "BaseModel":
        """Fit with :func:`core.models.fit.fit`; ``overrides`` replace hyperparameters (validated by the spec)."""
        if self.data is None:
            raise InputError("This model was loaded without data; give the AnnData to load() to train it further.")
        if overrides:
            self.params = self.spec.resolve_params({**self.params, **overrides})
        seed_everything(self.seed)
        plan = self.training_plan()
        if plan is not None:
            self.module.to(self.device)
            self.history += fit(plan, callbacks)
        self.module.eval()
        return self

    @property
    def n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.module.parameters()))

    # ---- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """One checkpoint layout for every family (plain types only: loads with ``weights_only=True``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"family": self.spec.name, "origin": self.spec.origin, "params": self.params, "seed": self.seed,
                    "genes": self.genes, "state": self.state, "history": self.history,
                    "state_dict": {k: v.detach().cpu() for k, v in self.module.state_dict().items()}}, path)
        return path

    @classmethod
    def load(cls, path: str | Path, adata: ad.AnnData | None = None, device: str = "cpu") -> "BaseModel":
        """Restore a checkpoint written by :meth:`save`; ``BaseModel.load`` finds the family from the file.
        ``adata`` (the same genes) is needed to train further or to work on data."""
        path = Path(path)
        if not path.exists():
            raise InputError(f"No model checkpoint at {path}.")
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(ckpt, dict) or "family" not in ckpt:
            raise InputError(f"{path.name} is not a scGRN Studio model checkpoint (or was written by an older version).")
        if cls is BaseModel:
            from ..registry import get_method

            cls = get_method(ckpt["family"], ckpt.get("origin")).load_model()
        obj = cls.__new__(cls)
        obj.params, obj.seed, obj.genes = dict(ckpt["params"]), int(ckpt["seed"]), list(ckpt["genes"])
        obj.state, obj.history = dict(ckpt["state"]), list(ckpt.get("history", []))
        obj.device, obj.tfs = resolve_device(device), None
        obj.module = obj.build_module()
        obj.module.load_state_dict(ckpt["state_dict"])
        obj.module.to(obj.device).eval()
        obj.adata, obj.data = None, None
        if adata is not None:
            obj.attach(adata)
        return obj

    def attach(self, adata: ad.AnnData) -> "BaseModel":
        """Use ``adata`` (with at least the model's genes) as the model's data, on the fitted scale."""
        missing = [g for g in self.genes if g not in set(map(str, adata.var_names))]
        if missing:
            raise InputError(f"{len(missing)} of the model's genes are missing from this dataset, e.g. {missing[:3]}.")
        if [str(g) for g in adata.var_names] != self.genes:
            adata = adata[:, self.genes]
        self.adata, self.data = adata, self.setup(adata)
        return self

    def _data_for(self, adata: ad.AnnData | None) -> Any:
        """Prepared data of ``adata`` (None: the model's own)."""
        if adata is None or adata is self.adata:
            if self.data is None:
                raise InputError("Give the AnnData to work on (this model was loaded without data).")
            return self.data
        own = (self.adata, self.data)
        try:
            return self.attach(adata).data
        finally:
            self.adata, self.data = own


def logger_of(callbacks: Sequence[Callback]):
    """The ``log`` of the first callback that has one (a RunContext), else a no-op: how a model says what it
    is doing during training without knowing who listens."""
    for cb in callbacks:
        if callable(getattr(cb, "log", None)):
            return cb.log
    return lambda message: None


# ---- capabilities ---------------------------------------------------------------------------------
class GRNMixin:
    """``grn``: a ranked edge table (core.grn.edges convention)."""

    def get_grn(self, tfs: Sequence[str] | None = None, top_k: int | None = None) -> pd.DataFrame:
        raise NotImplementedError


class LatentMixin:
    """``latent``: one vector per cell, written to ``obsm[latent_key]`` by :meth:`embed`."""

    @property
    def latent_key(self) -> str:
        return f"X_{self.spec.name}"

    @property
    def cluster_key(self) -> str:
        """obs column of the model's own clusters (families that have them write it in :meth:`embed`)."""
        return f"{self.spec.name}_cluster"

    def get_latent(self, adata: ad.AnnData | None = None) -> np.ndarray:
        raise NotImplementedError

    def embed(self, adata: ad.AnnData) -> ad.AnnData:
        """A copy of ``adata`` with the latent in ``obsm[latent_key]`` (and the model's own annotations)."""
        out = adata.copy()
        out.obsm[self.latent_key] = self.get_latent(adata)
        return out


class SimulateMixin:
    """``simulate``: new cells from the generative model. Options are the spec's ``simulation_params``.

    :meth:`simulate` returns ``(values, origin, settings)``: an AnnData of simulated values (the model's
    genes; ``X`` and optionally ``layers``), the originating cell or prior component of each, and the
    settings to record (``layer``: the real layer the values compare with). :meth:`comparable_real` gives the
    real cells on that same scale."""

    def simulate(self, adata: ad.AnnData | None, n_cells: int, seed: int = 0, **options: Any
                 ) -> tuple[ad.AnnData, Sequence[str], dict[str, Any]]:
        raise NotImplementedError

    def simulation_choices(self) -> dict[str, list[str]]:
        """The values a text simulation option may take, where the model knows them (e.g. a cscGAN's clusters):
        the Simulation page offers them as a list."""
        return {}

    def comparable_real(self, adata: ad.AnnData, settings: dict[str, Any]) -> tuple[ad.AnnData, dict[str, Any]]:
        """(real cells, keyword arguments of core.simulation.compare.compare) for simulated ``settings``."""
        layer = settings.get("layer")
        return adata, {"layer": None if layer in (None, "", "X") else layer}


class DenoiseMixin:
    """``denoise``: the model's expected expression per cell and gene (``layers["denoised"]``)."""

    def get_denoised(self, adata: ad.AnnData | None = None) -> np.ndarray:
        raise NotImplementedError

    def get_gene_correlation(self, adata: ad.AnnData | None = None, n_samples: int = 10, seed: int = 0) -> np.ndarray:
        """Gene x gene correlation of the model's expression without sampling noise (the model's own estimate,
        not the correlation of :meth:`get_denoised`, whose means lie on the latent manifold and inflate it)."""
        raise NotImplementedError

    def denoise(self, adata: ad.AnnData, **options: Any) -> ad.AnnData:
        """A copy of ``adata`` (the model's genes) with :meth:`get_denoised` in ``layers["denoised"]``."""
        out = adata[:, self.genes].copy() if [str(g) for g in adata.var_names] != self.genes else adata.copy()
        out.layers["denoised"] = np.asarray(self.get_denoised(out, **options), dtype=np.float32)
        out.uns["denoised"] = {"model": self.spec.name, **{k: v for k, v in options.items() if v is not None}}
        return out


CAPABILITY_MIXINS = {"grn": GRNMixin, "latent": LatentMixin, "simulate": SimulateMixin, "denoise": DenoiseMixin}


def capabilities_of(cls: type) -> set[str]:
    """The capabilities a model class has through its mixins."""
    return {cap for cap, mixin in CAPABILITY_MIXINS.items() if issubclass(cls, mixin)}

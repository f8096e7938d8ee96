"""User-facing scGAN / cscGAN (core.models.base contract): set up, train, simulate.

    model = ScGAN(adata, epochs=300); model.train(callbacks=[ctx])
    cells, origin, settings = model.simulate(None, 500)                  # library-size-normalised values
    model = CscGAN(adata, condition="cell_type"); model.train()
    cells, origin, settings = model.simulate(None, 200, cluster="B cells")  # N cells of one cluster

Training data: the raw-count layer when present (else X; non-negative values), each cell rescaled to the
same library size ``scale`` (the training cells' median unless given) — the scale the generator's
library-size normalisation layer produces. Simulated cells are on that scale; :meth:`comparable_real` puts the
real cells on it too.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import torch

from ...errors import InputError
from .. import setup as S
from ..base import BaseModel, SimulateMixin, logger_of
from .module import WGAN
from .spec import SPECS
from .train import GANPlan

#: obs columns tried, in order, when cscGAN's condition is "auto" (else Leiden clusters are computed)
LABEL_COLUMNS = ("cell_type", "celltype", "cell_types", "cell_state", "labels", "label", "bulk_labels", "louvain", "leiden",
                 "cluster", "clusters")


def widths(text: str, what: str) -> tuple[int, ...]:
    try:
        out = tuple(int(w) for w in str(text).replace(" ", "").split(",") if w)
    except ValueError:
        out = ()
    if not out or min(out) < 1:
        raise InputError(f"{what} must be positive whole numbers separated by commas, e.g. 256,512; got {text!r}.")
    return out


def leiden_labels(X: np.ndarray, seed: int = 0) -> np.ndarray:
    """Leiden clusters (scanpy) of log-normalised values: the cscGAN's classes when the data has no labels."""
    import scanpy as sc

    a = ad.AnnData(S.log_normalise(X))
    sc.pp.pca(a, n_comps=min(30, min(a.shape) - 1), random_state=seed)
    sc.pp.neighbors(a, n_neighbors=15, random_state=seed)
    sc.tl.leiden(a, resolution=0.5, random_state=seed, flavor="igraph", n_iterations=2, directed=False)
    return a.obs["leiden"].astype(str).to_numpy()


class ScGAN(BaseModel, SimulateMixin):
    """Wasserstein GAN with gradient penalty on library-size-normalised cells (Marouf et al. 2020)."""

    spec = SPECS[0]
    conditional = False

    # ---- data --------------------------------------------------------------------------------
    def _labels(self, adata: ad.AnnData, X: np.ndarray) -> np.ndarray | None:
        return None

    def setup(self, adata: ad.AnnData):
        first = not self.state
        layer = S.pick_layer(adata, self.params["layer"], prefer_counts=True) if first else self.state["layer"]
        if layer is not None and layer not in adata.layers:
            raise InputError(f"The model was trained on layer {layer!r}, which this data lacks.")
        X = S.dense_matrix(adata, layer, min_shape=(2, 2))
        if X.min() < 0:
            raise InputError(f"{S.where(layer)} has negative values; scGAN needs counts or other non-negative "
                             "expression (choose the raw-count layer).")
        lib = X.sum(1, keepdims=True)
        if (lib <= 0).any():
            raise InputError(f"{int((lib <= 0).sum())} cells have no expression at all; filter empty cells on the "
                             "Data page first.")
        labels = self._labels(adata, X)
        if first:
            scale = self.params["scale"] or float(np.median(lib))
            classes = sorted(set(labels)) if labels is not None else ["all"]
            codes = np.zeros(len(X), int) if labels is None else pd.Categorical(labels, classes).codes
            probs = np.bincount(codes, minlength=len(classes)) / len(codes)
            self.state = {"layer": layer, "scale": float(scale), "classes": [str(c) for c in classes],
                          "class_probs": probs.tolist()}
        classes = self.state["classes"]
        if labels is None or len(classes) == 1:
            y = np.zeros(len(X), int)
        else:
            y = pd.Categorical(labels, classes).codes.astype(int)
            y[y < 0] = 0  # a label the model was not trained on (only used when training further)
        return {"x": (X / lib * self.state["scale"]).astype(np.float32), "y": y}

    # ---- module and training -----------------------------------------------------------------
    def build_module(self) -> torch.nn.Module:
        p = self.params
        return WGAN(len(self.genes), p["latent_dim"], widths(p["generator_widths"], "Generator layer widths"),
                    widths(p["critic_widths"], "Critic layer widths"), len(self.state["classes"]))

    def train(self, callbacks=(), **overrides):
        self._log = logger_of(callbacks)
        return super().train(callbacks, **overrides)

    def training_plan(self) -> GANPlan:
        p, dev = self.params, self.device
        return GANPlan(self.module, torch.as_tensor(self.data["x"], device=dev),
                       torch.as_tensor(self.data["y"], device=dev), torch.as_tensor(self.state["class_probs"]),
                       scale=self.state["scale"], epochs=p["epochs"], batch_size=p["batch_size"],
                       critic_steps=p["critic_steps"], gp_weight=p["gp_weight"], lr_generator=p["lr_generator"],
                       lr_critic=p["lr_critic"], seed=self.seed, log=getattr(self, "_log", lambda m: None))

    def describe(self) -> str:
        k = len(self.state["classes"])
        return (f"{self.spec.label}: {len(self.data['x'])} cells x {len(self.genes)} genes, layer "
                f"{self.state['layer'] or 'X'}, library scale {self.state['scale']:.0f}"
                + (f", {k} classes" if self.conditional else "") + f", {self.params['epochs']} epochs, "
                f"{self.n_parameters} parameters, device {self.device}")

    # ---- generation --------------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, n: int, classes: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
        """``n`` generated cells (library-size normalised); ``classes``: class index per cell (cscGAN)."""
        gen = torch.Generator().manual_seed(int(seed))
        if classes is None:
            classes = torch.multinomial(torch.as_tensor(self.state["class_probs"]), int(n), replacement=True,
                                        generator=gen).numpy()
        self.module.eval()
        g = self.module.generator
        y = torch.as_tensor(np.asarray(classes), dtype=torch.long, device=self.device)
        out = [g(g.sample_z(len(y[i:i + 4096]), gen), y[i:i + 4096], self.state["scale"]) for i in range(0, len(y), 4096)]
        return torch.cat(out).cpu().numpy()

    def _class_index(self, cluster: str | None) -> int | None:
        if cluster in (None, ""):
            return None
        raise InputError("scGAN is not conditioned on clusters; train a cscGAN to simulate cells of one cluster.")

    def simulate(self, adata, n_cells: int, seed: int = 0, cluster: str | None = None):
        """``n_cells`` new cells (of one ``cluster`` for the cscGAN; otherwise clusters in the training
        proportions), library-size normalised to the training scale."""
        k = self._class_index(cluster)
        classes = None if k is None else np.full(int(n_cells), k)
        gen = torch.Generator().manual_seed(int(seed))
        if classes is None:
            classes = torch.multinomial(torch.as_tensor(self.state["class_probs"]), int(n_cells), replacement=True,
                                        generator=gen).numpy()
        values = self.generate(int(n_cells), classes, seed=seed)
        names = np.asarray(self.state["classes"])[classes]
        origin = [f"cluster {c}" for c in names] if self.conditional else ["generator"] * int(n_cells)
        settings = {"layer": self.state["layer"] or "X", "normalised_to": self.state["scale"], "cluster": cluster}
        return ad.AnnData(values, var=pd.DataFrame(index=self.genes)), origin, settings

    def normalised(self, adata: ad.AnnData) -> np.ndarray:
        """Real cells on the generator's scale (library-size normalised to ``scale``)."""
        return self._data_for(adata)["x"]

    def comparable_real(self, adata, settings):
        real = ad.AnnData(self.normalised(adata), obs=adata.obs.copy(), var=pd.DataFrame(index=self.genes))
        return real, {"transform": "log1p"}


class CscGAN(ScGAN):
    """Conditional scGAN: conditional batch norm in the generator, projection critic; classes = a cell-type /
    cluster column (or Leiden clusters)."""

    spec = SPECS[1]
    conditional = True

    def _labels(self, adata: ad.AnnData, X: np.ndarray) -> np.ndarray | None:
        key = self.state.get("condition") if self.state else self.params["condition"]
        if key in (None, "", "auto"):
            key = next((c for c in LABEL_COLUMNS if c in adata.obs), None)
        if key is None or key == "leiden (computed)":
            if self.state:  # a loaded model on new data: classes are not needed to simulate
                return None
            self._condition = "leiden (computed)"
            return leiden_labels(X, self.seed)
        if key not in adata.obs:
            if self.state:
                return None
            raise InputError(f"Condition column {key!r} is not in the cell annotations; available: "
                             f"{', '.join(map(str, adata.obs.columns)) or 'none'}.")
        self._condition = key
        labels = adata.obs[key].astype(str).to_numpy()
        if len(set(labels)) < 2 and not self.state:
            raise InputError(f"Column {key!r} has a single value; a cscGAN needs at least two cell types or clusters.")
        return labels

    def setup(self, adata):
        first = not self.state
        data = super().setup(adata)
        if first:
            self.state["condition"] = getattr(self, "_condition", None)
        return data

    def simulation_choices(self) -> dict[str, list[str]]:
        return {"cluster": list(self.state["classes"])}

    def _class_index(self, cluster: str | None) -> int | None:
        if cluster in (None, ""):
            return None
        classes = self.state["classes"]
        if str(cluster) not in classes:
            raise InputError(f"Unknown cluster {cluster!r}; this cscGAN knows {', '.join(classes)} "
                             f"(column {self.state.get('condition')}).")
        return classes.index(str(cluster))

"""GRN inputs the way the field builds them (BEELINE, Pratapa et al. 2020): the TFs plus the top-N highly
variable genes, and a cell subsample (stratified by cluster when the data have a cluster/label column) when
cells are many. Every GRN family gets the same inputs (core.grn.task applies :func:`select_grn_inputs`); the
Train page shows :func:`plan_grn_inputs` before launch and the run records the choice.

Variable genes: scanpy's ``highly_variable_genes``; ``seurat_v3`` on raw counts when scikit-misc is installed,
else ``seurat`` on log-normalised values (X when it holds them, or a log-normalised copy of the counts).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import anndata as ad
import numpy as np

from ..errors import InputError

#: top-N variable genes offered (0 = every gene); BEELINE used 500 and 1000
GENE_CHOICES = (500, 1000, 2000, 0)
DEFAULT_TOP_GENES = 1000
#: cell limits offered (0 = every cell); every BEELINE dataset has fewer than 5,000 cells
CELL_CHOICES = (2000, 5000, 10000, 20000, 0)
DEFAULT_MAX_CELLS = 5000
#: obs columns taken as clusters for stratified subsampling when the Data page named no label column
CLUSTER_COLUMNS = ("leiden", "louvain", "cluster", "clusters", "cell_type", "celltype", "cell_types", "labels")
MAX_STRATA = 200  # a "label" column with more distinct values is not a clustering


@dataclass
class GrnInputs:
    """What goes into a GRN run: the settings and what they selected."""

    n_top_genes: int
    max_cells: int
    n_cells_in: int
    n_genes_in: int
    genes: list[str] = field(repr=False)
    n_tfs: int = 0  # TFs of the list found in the data (all kept)
    flavor: str = ""  # how variable genes were ranked ("" = no selection)
    n_cells: int = 0
    stratify_by: str | None = None
    note: str = ""

    @property
    def n_genes(self) -> int:
        return len(self.genes)

    def words(self) -> str:
        """'1,093 genes (93 TFs + top 1,000 variable genes, scanpy seurat) x 5,000 of 20,000 cells (stratified by
        leiden)'."""
        if self.flavor:
            g = (f"{self.n_genes:,} of {self.n_genes_in:,} genes ({self.n_tfs:,} TFs + top {self.n_top_genes:,} "
                 f"variable genes, scanpy {self.flavor})")
        else:
            g = f"all {self.n_genes:,} genes"
        if self.n_cells < self.n_cells_in:
            c = (f"{self.n_cells:,} of {self.n_cells_in:,} cells ("
                 + (f"stratified by '{self.stratify_by}'" if self.stratify_by else "random") + ")")
        else:
            c = f"all {self.n_cells:,} cells"
        return f"{g} x {c}" + (f". {self.note}" if self.note else "")

    def record(self) -> dict[str, Any]:
        """Plain-JSON record for the run (genes listed)."""
        return asdict(self)


def cluster_column(adata: ad.AnnData, labels_key: str | None = None) -> str | None:
    """The obs column to stratify by: ``labels_key`` when given and present, else the first usual cluster column
    with 2..MAX_STRATA values; None when there is none."""
    candidates = ([labels_key] if labels_key else []) + [c for c in CLUSTER_COLUMNS if c != labels_key]
    for col in candidates:
        if col in adata.obs.columns:
            n = adata.obs[col].nunique(dropna=True)
            if 2 <= n <= MAX_STRATA:
                return col
    return None


def subsample_cells(adata: ad.AnnData, max_cells: int, seed: int = 0, labels_key: str | None = None
                    ) -> tuple[np.ndarray, str | None]:
    """Sorted indices of at most ``max_cells`` cells (all when fewer or ``max_cells`` is 0), stratified by the
    cluster column when there is one (each cluster keeps its share; sklearn's ``train_test_split``); and the
    column used."""
    n = adata.n_obs
    if not max_cells or n <= max_cells:
        return np.arange(n), None
    col = cluster_column(adata, labels_key)
    idx = np.arange(n)
    if col is not None:
        from sklearn.model_selection import train_test_split

        labels = adata.obs[col].astype(str).fillna("(missing)").to_numpy()
        values, counts = np.unique(labels, return_counts=True)
        labels = np.where(np.isin(labels, values[counts < 2]), "(rare)", labels)  # a class needs two cells to split
        try:
            keep, _ = train_test_split(idx, train_size=int(max_cells), stratify=labels, random_state=seed)
            return np.sort(keep), col
        except ValueError:  # e.g. more classes than cells to keep: fall back to a random sample
            pass
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=int(max_cells), replace=False)), None


def _hvg_ranking(adata: ad.AnnData) -> tuple[list[str] | None, str, str]:
    """Genes ordered by variability (most variable first), the flavour used, and a note; (None, "", note) when
    the values cannot be ranked (z-scored data without raw counts)."""
    import importlib.util

    import scanpy as sc

    from ..models.setup import COUNTS_LAYER
    from .summary import value_kind

    counts = adata.layers[COUNTS_LAYER] if COUNTS_LAYER in adata.layers else None
    kind = value_kind(adata.X)
    if counts is None and kind == "counts":
        counts = adata.X
    if counts is not None and importlib.util.find_spec("skmisc") is not None:
        tmp = ad.AnnData(counts.copy(), var=adata.var[[]].copy())
        sc.pp.highly_variable_genes(tmp, flavor="seurat_v3", n_top_genes=tmp.n_vars, subset=False)
        order = tmp.var["highly_variable_rank"].sort_values(kind="stable").index
        return list(order), "seurat_v3 on counts", ""
    if kind == "log-normalised":
        tmp = ad.AnnData(adata.X.copy(), var=adata.var[[]].copy())
        flavor = "seurat on log values"
    elif counts is not None:
        tmp = ad.AnnData(counts.copy(), var=adata.var[[]].copy())
        sc.pp.normalize_total(tmp, target_sum=1e4)
        sc.pp.log1p(tmp)
        flavor = "seurat on log-normalised counts"
    elif kind == "non-negative":
        tmp = ad.AnnData(adata.X.copy(), var=adata.var[[]].copy())
        sc.pp.log1p(tmp)
        flavor = "seurat on log1p values"
    else:
        return None, "", f"values look {kind} and there are no raw counts: variable genes cannot be ranked, all kept"
    sc.pp.highly_variable_genes(tmp, flavor="seurat", n_top_genes=tmp.n_vars, subset=False)
    disp = tmp.var["dispersions_norm"].fillna(-np.inf)
    return list(disp.sort_values(ascending=False, kind="stable").index), flavor, ""


def plan_grn_inputs(adata: ad.AnnData, tfs: Sequence[str] | None = None, *, n_top_genes: int = DEFAULT_TOP_GENES,
                    max_cells: int = DEFAULT_MAX_CELLS, seed: int = 0, labels_key: str | None = None,
                    cells: np.ndarray | None = None) -> GrnInputs:
    """Which genes and how many cells a GRN run gets: the TFs found in the data plus the top ``n_top_genes``
    variable genes (all genes when there are no more than that many beyond the TFs, or ``n_top_genes`` is 0),
    and :func:`subsample_cells`."""
    n_top_genes, max_cells = int(n_top_genes or 0), int(max_cells or 0)
    if n_top_genes < 0 or max_cells < 0:
        raise InputError("The number of variable genes and the cell limit must be positive (0 = all).")
    genes_in = list(map(str, adata.var_names))
    in_data = set(genes_in)
    tf_set = {t for t in (tfs or []) if t in in_data}
    rec = GrnInputs(n_top_genes=n_top_genes, max_cells=max_cells, n_cells_in=adata.n_obs, n_genes_in=adata.n_vars,
                    genes=genes_in, n_tfs=len(tf_set))
    if n_top_genes and adata.n_vars > n_top_genes + len(tf_set):
        order, flavor, note = _hvg_ranking(adata)
        rec.note = note
        if order is not None:
            top = set(order[:n_top_genes])
            rec.genes = [g for g in genes_in if g in top or g in tf_set]  # the data's gene order
            rec.flavor = flavor
    if cells is None:
        cells, rec.stratify_by = subsample_cells(adata, max_cells, seed, labels_key)
    rec.n_cells = int(len(cells))
    return rec


def select_grn_inputs(adata: ad.AnnData, tfs: Sequence[str] | None = None, *, n_top_genes: int = DEFAULT_TOP_GENES,
                      max_cells: int = DEFAULT_MAX_CELLS, seed: int = 0, labels_key: str | None = None
                      ) -> tuple[ad.AnnData, GrnInputs]:
    """The AnnData a GRN method trains on (a copy, sparse stays sparse; the same object when nothing is left
    out) and the record of what was chosen."""
    cells, col = subsample_cells(adata, max_cells, seed, labels_key)
    rec = plan_grn_inputs(adata, tfs, n_top_genes=n_top_genes, max_cells=max_cells, seed=seed,
                          labels_key=labels_key, cells=cells)
    rec.stratify_by = col
    if rec.n_cells == adata.n_obs and rec.n_genes == adata.n_vars:
        return adata, rec
    out = adata[cells][:, rec.genes].copy()
    out.uns = adata.uns  # the Data page's record travels with the data
    return out, rec

"""Read an expression matrix into AnnData (cells x genes) from h5ad, CSV/TSV(.gz), 10x mtx or 10x h5.

Every problem with the file becomes an :class:`~core.errors.InputError` with a specific message. The
decision about orientation is recorded in ``adata.uns["scgrn_input"]`` (``layout``, ``layout_rule``).
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError
from .layout import CELLS_BY_GENES, GENES_BY_CELLS, LAYOUTS, LayoutDecision, infer_layout

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")


def detect_format(path: str | Path) -> str:
    """One of h5ad, 10x-h5, 10x-mtx, table."""
    p = Path(path)
    name = p.name.lower()
    if p.is_dir():
        if any((p / f).exists() for f in ("matrix.mtx", "matrix.mtx.gz")):
            return "10x-mtx"
        raise InputError(f"Folder {p.name!r} is not a 10x folder: it has no matrix.mtx(.gz).")
    if name.endswith(".h5ad"):
        return "h5ad"
    if name.endswith(".h5"):
        return "10x-h5"
    if name.endswith((".mtx", ".mtx.gz")):
        return "10x-mtx"
    if name.endswith(TABLE_SUFFIXES):
        return "table"
    raise InputError(
        f"Unsupported file type {p.name!r}: use .h5ad, .csv/.tsv/.txt (optionally .gz), a 10x .h5 file or a 10x mtx folder."
    )


def read_expression(path: str | Path, layout: str = "auto", *, name: str | None = None) -> ad.AnnData:
    """Read ``path`` as cells x genes AnnData.

    ``layout`` is ``auto`` (see :mod:`core.io.layout` for the rule), ``cells-by-genes`` or
    ``genes-by-cells``; it only matters for tables. ``name`` is the display name (defaults to the file name).
    """
    if layout not in LAYOUTS:
        raise InputError(f"Unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}.")
    path = Path(path)
    try:
        return _read_expression(path, layout, name or path.name)
    except InputError as exc:
        if name and name != path.name:  # never name the storage folder of an upload
            raise InputError(str(exc).replace(str(path), name).replace(path.name, name)) from exc
        raise


def _read_expression(path: Path, layout: str, name: str) -> ad.AnnData:
    if not path.exists():
        raise InputError(f"File not found: {path}")
    fmt = detect_format(path)
    if fmt == "h5ad":
        adata, decision = _read_h5ad(path), LayoutDecision(CELLS_BY_GENES, "h5ad stores cells as rows")
    elif fmt == "10x-h5":
        adata, decision = _read_10x_h5(path), LayoutDecision(CELLS_BY_GENES, "10x files store cells as columns of genes")
    elif fmt == "10x-mtx":
        adata, decision = _read_10x_mtx(path if path.is_dir() else path.parent), LayoutDecision(
            CELLS_BY_GENES, "10x files store cells as columns of genes"
        )
    else:
        adata, decision = _read_table(path, layout)
    validate_expression(adata)
    adata.uns["scgrn_input"] = {
        "name": name,
        "format": fmt,
        "layout": decision.layout,
        "layout_rule": decision.rule,
    }
    return adata


# ---- tables ----------------------------------------------------------------------------------------


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.lower().endswith(".gz"):
        try:
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
        except OSError as exc:
            raise InputError(f"{path.name}: not a valid gzip file ({exc}).") from exc
    return open(path, encoding="utf-8", errors="replace")


def sniff_delimiter(path: Path) -> str:
    """Guess the delimiter (comma, tab, semicolon or whitespace) from the first lines."""
    try:
        with _open_text(path) as fh:
            head = [fh.readline() for _ in range(5)]
    except (OSError, EOFError) as exc:
        raise InputError(f"{path.name}: could not be read ({exc}).") from exc
    lines = [ln for ln in head if ln.strip()]
    if not lines:
        raise InputError(f"{path.name} is empty.")
    counts = {d: min(ln.count(d) for ln in lines) for d in [",", "\t", ";"]}
    best = max(counts, key=counts.get)
    if counts[best] > 0:
        return best
    if all(len(ln.split()) > 1 for ln in lines):
        return r"\s+"
    raise InputError(
        f"{path.name}: found a single column. Expected a table separated by commas, tabs or semicolons "
        "with gene and cell labels (is the delimiter right?)."
    )


def _read_table(path: Path, layout: str) -> tuple[ad.AnnData, LayoutDecision]:
    delim = sniff_delimiter(path)
    try:
        # keep_default_na=False keeps genes named "NA"/"NaN" as names; NA-like values are handled in _check_numeric
        df = pd.read_csv(path, sep=delim, index_col=0, engine="python" if delim == r"\s+" else "c",
                         quoting=csv.QUOTE_MINIMAL, keep_default_na=False, na_values=[])
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path.name} is empty.") from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"{path.name}: rows have different numbers of fields (ragged rows): {exc}".strip()) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name}: not a text table (binary content?).") from exc
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise InputError(f"{path.name}: no data rows or columns after the header (need labels plus values).")
    df.index = df.index.map(str)
    df.columns = df.columns.map(str)
    _check_numeric(df, path.name)
    df.columns = _raw_header(path, delim, df.shape[1]) or df.columns
    if layout == "auto":
        decision = infer_layout(df.index, df.columns)
    else:
        decision = LayoutDecision(layout, "chosen explicitly")
    if decision.layout == GENES_BY_CELLS:
        df = df.T
    X = df.to_numpy(dtype=np.float32)
    adata = ad.AnnData(X=X, obs=pd.DataFrame(index=df.index.copy()), var=pd.DataFrame(index=df.columns.copy()))
    adata.obs_names.name = None
    adata.var_names.name = None
    return adata, decision


def _raw_header(path: Path, delim: str, n_columns: int) -> list[str] | None:
    """The header's labels as written (pandas renames duplicates to 'X.1', hiding them)."""
    with _open_text(path) as fh:
        line = fh.readline().rstrip("\r\n")
    labels = line.split() if delim == r"\s+" else next(csv.reader([line], delimiter=delim))
    labels = [s.strip() for s in labels]
    if len(labels) == n_columns + 1:
        labels = labels[1:]
    return labels if len(labels) == n_columns else None


_NA_TOKENS = {"", "NA", "N/A", "NaN", "nan", "NAN", "NULL", "null", "None", "#N/A", "-nan"}


def _check_numeric(df: pd.DataFrame, name: str) -> None:
    """Convert text columns to numbers in place; NA-like tokens become NaN (rejected later with a count),
    anything else is reported with its row and column."""
    bad_cols = [i for i in range(df.shape[1]) if not pd.api.types.is_numeric_dtype(df.iloc[:, i])]
    for i in bad_cols:
        col = df.iloc[:, i].astype(str).str.strip()
        coerced = pd.to_numeric(col, errors="coerce")
        bad = col[coerced.isna() & ~col.isin(_NA_TOKENS)]
        if len(bad):
            row, value = bad.index[0], bad.iloc[0]
            raise InputError(
                f"{name}: non-numeric value {str(value)[:40]!r} at row {row!r}, column {df.columns[i]!r} "
                f"({len(bad_cols)} column(s) with text). Expression values must be numbers."
            )
        df.isetitem(i, coerced)


# ---- binary formats ----------------------------------------------------------------------------------


def _read_h5ad(path: Path) -> ad.AnnData:
    try:
        adata = ad.read_h5ad(path)
    except Exception as exc:  # h5py raises OSError/KeyError/... on truncated or foreign files
        raise InputError(
            f"{path.name} could not be read as h5ad: the file is truncated, corrupt or not an AnnData file ({type(exc).__name__})."
        ) from exc
    return adata


def _read_10x_h5(path: Path) -> ad.AnnData:
    import scanpy as sc

    try:
        adata = sc.read_10x_h5(path)
    except Exception as exc:
        raise InputError(f"{path.name} could not be read as a 10x .h5 file ({type(exc).__name__}: {exc}).") from exc
    adata.var_names_make_unique()
    return adata


def _read_10x_mtx(folder: Path) -> ad.AnnData:
    import scanpy as sc

    try:
        adata = sc.read_10x_mtx(folder, var_names="gene_symbols", make_unique=True)
    except Exception as exc:
        raise InputError(
            f"{folder.name}: could not read the 10x folder (needs matrix.mtx, features.tsv or genes.tsv, barcodes.tsv; "
            f"{type(exc).__name__}: {exc})."
        ) from exc
    return adata


# ---- validation ----------------------------------------------------------------------------------------


def validate_expression(adata: ad.AnnData) -> None:
    """Raise InputError for data no model can use: <2 cells, <2 genes, NaN/inf, duplicated genes."""
    if adata.n_obs < 2:
        raise InputError(f"The data hold {adata.n_obs} cell(s); at least 2 cells are needed (is the layout flipped?).")
    if adata.n_vars < 2:
        raise InputError(f"The data hold {adata.n_vars} gene(s); at least 2 genes are needed (is the layout flipped?).")
    dup = adata.var_names[adata.var_names.duplicated()].unique()
    if len(dup):
        shown = ", ".join(map(repr, list(dup[:5])))
        raise InputError(f"{len(dup)} gene name(s) appear more than once: {shown}. Gene names must be unique.")
    if not adata.obs_names.is_unique:
        adata.obs_names_make_unique()
    data = adata.X.data if sp.issparse(adata.X) else np.asarray(adata.X)
    if data.dtype.kind not in "biuf":
        raise InputError(f"Expression values have type {data.dtype}; numbers are needed.")
    finite = np.isfinite(data)
    if not finite.all():
        n_nan = int(np.isnan(data).sum())
        n_inf = int((~finite).sum()) - n_nan
        where = ""
        if not sp.issparse(adata.X):
            r, c = np.argwhere(~np.isfinite(np.asarray(adata.X)))[0]
            where = f" (first at cell {adata.obs_names[r]!r}, gene {adata.var_names[c]!r})"
        raise InputError(f"The data contain {n_nan} missing/NaN and {n_inf} infinite value(s){where}; fill or remove them first.")

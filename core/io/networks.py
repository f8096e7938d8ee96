"""Read reference networks (BEELINE, SCENIC/arboreto, DeepSEM formats, our edge TSV) and TF lists."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from ..errors import InputError

# Accepted (source, target, weight) column names, matched case-insensitively.
_SOURCE = ("gene1", "tf", "source", "regulator", "from")
_TARGET = ("gene2", "target", "to")
_WEIGHT = ("edgeweight", "importance", "weight", "score")


def _read_table(path: Path) -> pd.DataFrame:
    from .expression import sniff_delimiter

    delim = sniff_delimiter(path)
    try:
        # keep_default_na=False: genes called "NA" or "NaN" stay gene names
        return pd.read_csv(path, sep=delim, dtype=str, keep_default_na=False, na_values=[],
                           engine="python" if delim == r"\s+" else "c")
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path.name} is empty.") from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"{path.name}: rows have different numbers of fields: {exc}") from exc


def read_network(path: str | Path) -> pd.DataFrame:
    """Read a network as a DataFrame ``source, target, weight`` (weight 1.0 when the file has none).

    Accepts BEELINE ``Gene1,Gene2[,Type|Score]``, SCENIC/arboreto ``TF,target,importance``, DeepSEM
    ``TF,Target,EdgeWeight`` (TSV) and scGRN's ``source,target,weight``. Extra columns are kept.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"File not found: {path}")
    df = _read_table(path)
    lower = {c.lower().strip(): c for c in df.columns}
    src = next((lower[c] for c in _SOURCE if c in lower), None)
    tgt = next((lower[c] for c in _TARGET if c in lower), None)
    if src is None or tgt is None:
        raise InputError(
            f"{path.name}: could not find regulator and target columns (have {list(df.columns)[:6]}). "
            "Expected Gene1,Gene2 (BEELINE), TF,target,importance (SCENIC) or TF,Target,EdgeWeight (DeepSEM)."
        )
    wcol = next((lower[c] for c in _WEIGHT if c in lower), None)
    out = pd.DataFrame({"source": df[src].astype(str).str.strip(), "target": df[tgt].astype(str).str.strip()})
    if wcol is not None:
        w = pd.to_numeric(df[wcol], errors="coerce")
        if w.isna().any():
            bad = df[wcol][w.isna()].iloc[0]
            raise InputError(f"{path.name}: non-numeric weight {bad!r} in column {wcol!r}.")
        out["weight"] = w.astype(float)
    else:
        out["weight"] = 1.0
    for c in df.columns:
        if c not in (src, tgt, wcol) and c.lower() not in ("source", "target", "weight"):
            out[c] = df[c].values
    if out.empty:
        raise InputError(f"{path.name}: the network has no edges.")
    return out


def read_tf_list(path: str | Path) -> list[str]:
    """Read TF names: one per line, or a CSV/TSV with a ``TF`` column (GENELink's ``,TF,index``)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"File not found: {path}")
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    if not text:
        raise InputError(f"{path.name} is empty: expected TF names, one per line or in a 'TF' column.")
    first = text.splitlines()[0]
    if any(d in first for d in ",\t;"):
        df = _read_table(path)
        cols = {c.lower().strip(): c for c in df.columns}
        if "tf" not in cols:
            raise InputError(f"{path.name}: a table of TFs needs a 'TF' column (have {list(df.columns)[:6]}).")
        names = df[cols["tf"]].dropna().astype(str).str.strip().tolist()
    else:
        names = [ln.strip() for ln in text.splitlines()]
        if names and names[0].lower() in ("tf", "tfs", "gene", "genes"):
            names = names[1:]
    names = list(dict.fromkeys(n for n in names if n))
    if not names:
        raise InputError(f"{path.name}: no TF names found.")
    return names


def network_overlap(network: pd.DataFrame, genes: Iterable[str], name: str = "reference network") -> dict:
    """How much of a network lies in the dataset's genes; InputError when none of its genes do."""
    genes = set(map(str, genes))
    net_genes = set(network["source"]) | set(network["target"])
    inside = net_genes & genes
    both = network["source"].isin(genes) & network["target"].isin(genes)
    if not inside:
        example = ", ".join(sorted(net_genes)[:3])
        raise InputError(
            f"None of the {len(net_genes)} genes of the {name} (e.g. {example}) are in the data. "
            "Check the species / gene-name format (symbols vs Ensembl IDs)."
        )
    return {"n_genes": len(net_genes), "n_genes_in_data": len(inside), "n_edges": len(network), "n_edges_in_data": int(both.sum())}

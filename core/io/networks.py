"""Read reference networks (BEELINE, SCENIC/arboreto, DeepSEM formats, our edge TSV) and TF lists."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from ..errors import InputError

# Accepted (source, target, weight) column names, matched case-insensitively.
_SOURCE = ("gene1", "tf", "source", "regulator", "from")
_TARGET = ("gene2", "target", "to")
_WEIGHT = ("edgeweight", "importance", "weight", "score")


def _read_table(path: Path, warnings: list[str] | None = None) -> pd.DataFrame:
    from .expression import _encoding, bom_warning, sniff_delimiter

    encoding = _encoding(path)
    if encoding == "latin-1" and warnings is not None:
        warnings.append(f"{path.name} is not valid UTF-8; it was read as Latin-1 (check accented names).")
    if warnings is not None:
        warnings += bom_warning(path)
    delim = sniff_delimiter(path, encoding)
    try:
        # keep_default_na=False: genes called "NA" or "NaN" stay gene names
        return pd.read_csv(path, sep=delim, dtype=str, keep_default_na=False, na_values=[], encoding=encoding,
                           encoding_errors="replace", engine="python" if delim == r"\s+" else "c")
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path.name} is empty.") from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"{path.name}: rows have different numbers of fields: {str(exc)[:200]}") from exc
    except (EOFError, OSError, zlib.error, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: could not be read to the end ({type(exc).__name__}; a truncated or corrupt file?).") from exc


def read_network(path: str | Path) -> pd.DataFrame:
    """Read a network as a DataFrame ``source, target, weight`` (weight 1.0 when the file has none).

    Accepts BEELINE ``Gene1,Gene2[,Type|Score]``, SCENIC/arboreto ``TF,target,importance``, DeepSEM
    ``TF,Target,EdgeWeight`` (TSV) and scGRN's ``source,target,weight``. Extra columns are kept. Edges with an
    empty name, self-loops and repeated edges are dropped and counted: ``df.attrs["dropped"]`` holds the
    counts and ``df.attrs["warnings"]`` the sentences to show.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"File not found: {path}")
    warnings: list[str] = []
    df = _read_table(path, warnings)
    lower = {str(c).lower().strip().lstrip("\ufeff"): c for c in df.columns}
    src = next((lower[c] for c in _SOURCE if c in lower), None)
    tgt = next((lower[c] for c in _TARGET if c in lower), None)
    if src is None or tgt is None:
        raise InputError(
            f"{path.name}: could not find regulator and target columns (have {[str(c)[:30] for c in list(df.columns)[:6]]}). "
            "Expected Gene1,Gene2 (BEELINE), TF,target,importance (SCENIC) or TF,Target,EdgeWeight (DeepSEM)."
        )
    wcol = next((lower[c] for c in _WEIGHT if c in lower), None)
    out = pd.DataFrame({"source": df[src].astype(str).str.strip(), "target": df[tgt].astype(str).str.strip()})
    if wcol is not None:
        w = pd.to_numeric(df[wcol], errors="coerce")
        if w.isna().any():
            bad = df[wcol][w.isna()].iloc[0]
            raise InputError(f"{path.name}: non-numeric weight {str(bad)[:40]!r} in column {wcol!r}.")
        if not np.isfinite(w).all():
            raise InputError(f"{path.name}: infinite weight in column {wcol!r}.")
        out["weight"] = w.astype(float)
    else:
        out["weight"] = 1.0
    for c in df.columns:
        if c not in (src, tgt, wcol) and str(c).lower() not in ("source", "target", "weight"):
            out[c] = df[c].values
    if out.empty:
        raise InputError(f"{path.name}: the network has no edges.")
    from .checks import label_warnings

    warnings += label_warnings(pd.unique(pd.concat([out.source, out.target])), "gene")
    empty = (out.source == "") | (out.target == "")
    loops = ~empty & (out.source == out.target)
    dups = ~empty & ~loops & out.duplicated(["source", "target"])
    dropped = {"empty_names": int(empty.sum()), "self_loops": int(loops.sum()), "duplicates": int(dups.sum())}
    out = out[~(empty | loops | dups)].reset_index(drop=True)
    words = {"empty_names": "with an empty gene name", "self_loops": "self-loops (a gene regulating itself)",
             "duplicates": "repeated edges"}
    parts = [f"{n} {words[k]}" for k, n in dropped.items() if n]
    if parts:
        warnings.append(f"{path.name}: dropped {', '.join(parts)}; {len(out)} edges remain.")
    if out.empty:
        raise InputError(f"{path.name}: no usable edge ({', '.join(parts)}).")
    out.attrs["dropped"] = dropped
    out.attrs["warnings"] = warnings
    return out


def read_tf_list(path: str | Path, warnings: list[str] | None = None) -> list[str]:
    """Read TF names: one per line, or a CSV/TSV with a ``TF`` column (GENELink's ``,TF,index``). Problems that
    do not stop the reading (Latin-1 text, odd names, repeated names) are appended to ``warnings``."""
    from .checks import label_warnings
    from .expression import _encoding, _open_text, bom_warning

    path = Path(path)
    if not path.exists():
        raise InputError(f"File not found: {path}")
    warnings = warnings if warnings is not None else []
    encoding = _encoding(path)
    if encoding == "latin-1":
        warnings.append(f"{path.name} is not valid UTF-8; it was read as Latin-1 (check accented names).")
    warnings += bom_warning(path)
    try:
        with _open_text(path, encoding) as fh:
            text = fh.read(64 << 20).strip()
    except (EOFError, OSError, zlib.error) as exc:
        raise InputError(f"{path.name}: could not be read to the end ({type(exc).__name__}; a truncated or corrupt file?).") from exc
    if not text:
        raise InputError(f"{path.name} is empty: expected TF names, one per line or in a 'TF' column.")
    first = text.splitlines()[0]
    if any(d in first for d in ",\t;"):
        df = _read_table(path)
        cols = {str(c).lower().strip().lstrip("\ufeff"): c for c in df.columns}
        if "tf" not in cols:
            raise InputError(f"{path.name}: a table of TFs needs a 'TF' column (have {[str(c)[:30] for c in list(df.columns)[:6]]}).")
        raw = df[cols["tf"]].dropna().astype(str).tolist()
    else:
        raw = text.splitlines()
        if raw and raw[0].strip().lower() in ("tf", "tfs", "gene", "genes"):
            raw = raw[1:]
    warnings += label_warnings([n for n in raw if n.strip()], "TF")
    names_all = [n.strip() for n in raw if n.strip()]
    names = list(dict.fromkeys(names_all))
    if len(names) < len(names_all):
        warnings.append(f"{path.name}: {len(names_all) - len(names)} repeated TF name(s) were counted once.")
    if not names:
        raise InputError(f"{path.name}: no TF names found.")
    return names


def tf_overlap(tfs: list[str], genes: Iterable[str]) -> int:
    """How many TFs are genes of the data; InputError when none is."""
    n_in = len(set(tfs) & set(map(str, genes)))
    if n_in == 0:
        raise InputError(f"None of the {len(tfs)} TFs are genes of the data (e.g. {', '.join(repr(t[:30]) for t in tfs[:3])}).")
    return n_in


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

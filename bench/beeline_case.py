"""One BEELINE case folder (expression.csv genes x cells, network_*.csv, optional tfs.csv) read with pandas only,
for the bench scripts that also run on a bare GPU machine (no scanpy / anndata needed)."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pandas as pd

NETWORKS = ("STRING", "NonSpecific", "Specific")
#: the DeepSEM preset scored against each network (BEELINE practice in the DeepSEM paper)
NETS = {"non-specific": ("STRING", "NonSpecific"), "cell-type-specific": ("Specific",)}


def load_truths(case: Path) -> dict[str, pd.DataFrame]:
    """{network: DataFrame(source, target, weight=1)} of a case."""
    truths = {}
    for n in NETWORKS:
        t = pd.read_csv(Path(case) / f"network_{n}.csv")
        truths[n] = pd.DataFrame({"source": t.iloc[:, 0].astype(str), "target": t.iloc[:, 1].astype(str), "weight": 1.0})
    return truths


def load_case(case: Path):
    """(AnnData-like cells x genes, truths, TFs): the TFs are tfs.csv, else the networks' regulators."""
    case = Path(case)
    df = pd.read_csv(case / "expression.csv", index_col=0)  # genes x cells
    adata = types.SimpleNamespace(X=df.T.values.astype(np.float32), var_names=pd.Index(df.index.astype(str)), layers={})
    truths = load_truths(case)
    if (case / "tfs.csv").exists():
        tfs = sorted(pd.read_csv(case / "tfs.csv")["TF"].astype(str))
    else:
        tfs = sorted(set().union(*(set(t.source) for t in truths.values())))
    return adata, truths, tfs

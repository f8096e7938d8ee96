"""Compare two runs' networks: overlap of their top-k edges."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import InputError
from .view.select import ranked


@dataclass
class Comparison:
    k: int
    jaccard: float
    n_shared: int
    shared: pd.DataFrame  # source, target, rank_a, rank_b
    only_a: pd.DataFrame  # source, target, weight, rank (edges of A's top-k absent from B's top-k)
    only_b: pd.DataFrame

    def summary(self) -> dict:
        return {"k": self.k, "jaccard": round(self.jaccard, 4), "shared": self.n_shared,
                "only_a": len(self.only_a), "only_b": len(self.only_b)}


def compare_top_k(a: pd.DataFrame, b: pd.DataFrame, k: int, *, directed: bool = True) -> Comparison:
    """Jaccard overlap of the top-``k`` edges of ``a`` and ``b`` and the edges found in only one.

    ``directed=False`` treats (x, y) and (y, x) as the same edge (for symmetric scores such as correlation).
    """
    if int(k) < 1:
        raise InputError("k must be at least 1")
    ta, tb = ranked(a).head(int(k)), ranked(b).head(int(k))

    def keys(t: pd.DataFrame) -> pd.Series:
        if directed:
            return t["source"] + "\x00" + t["target"]
        return pd.Series([min(s, x) + "\x00" + max(s, x) for s, x in zip(t["source"], t["target"])], index=t.index)

    ka, kb = keys(ta), keys(tb)
    sa, sb = set(ka), set(kb)
    union = sa | sb
    shared = sa & sb
    cols = ["source", "target", "weight", "rank"]
    rank_b = dict(zip(kb, tb["rank"]))
    both = ta[ka.isin(shared)].assign(rank_b=[rank_b[x] for x in ka[ka.isin(shared)]])
    both = both.rename(columns={"rank": "rank_a"})[["source", "target", "rank_a", "rank_b"]]
    return Comparison(
        k=int(k),
        jaccard=len(shared) / len(union) if union else 1.0,
        n_shared=len(shared),
        shared=both.reset_index(drop=True),
        only_a=ta[~ka.isin(sb)][cols].reset_index(drop=True),
        only_b=tb[~kb.isin(sa)][cols].reset_index(drop=True),
    )


def scores_table(runs: list) -> pd.DataFrame:
    """One row per GRN run (in the order given): model, the sweep grid when runs belong to one (a column per
    swept parameter), EPR, AUPRC ratio, edges, seconds and the run id. Scores are empty without a reference."""
    from ..jobs.sweep import add_grid_columns, plain_label

    rows = []
    for r in runs:
        m = r.metrics()
        rows.append({"model": plain_label(r.params), "EPR": m.get("epr"),
                     "AUPRC ratio": m.get("auprc_ratio"), "edges": m.get("n_edges"), "seconds": m.get("seconds"),
                     "run": r.id})
    table = pd.DataFrame(rows, columns=["model", "EPR", "AUPRC ratio", "edges", "seconds", "run"])
    return add_grid_columns(table, runs)

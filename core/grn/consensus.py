"""Consensus of several ranked networks (any families): fuse their edge tables by rank.

The members are put on one candidate set: the genes every member scored (sources and targets of its edge
table), with sources restricted to the regulators every member could rank (the common TF restriction), no
self-pairs. A member's edge missing from its table (a truncated table) scores below all its listed edges.
Members are then combined exactly as the DeepSEM ensemble combines its seeds
(:func:`core.models.deepsem.aggregate.aggregate_members`): with the default ``consensus_rank`` rule, members
whose strongest edges disagree with the others' consensus are left out (from three members up) and each
remaining member's within-member rank is averaged, so raw weights of different scales (|W|, correlations,
importances, diffusion adjacencies) never matter. ``confidence`` = the share of kept members ranking the edge
in their top k (:func:`core.grn.confidence.member_confidence`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from ..errors import InputError
from ..models.deepsem.aggregate import aggregate_members
from .confidence import attach, member_confidence
from .edges import adjacency_to_edges

#: Rules that make sense across families (rank-based: raw weights of different methods are not comparable)
RULES = ("consensus_rank", "rank")
DEFAULT_RULE = "consensus_rank"


def common_candidates(tables: Sequence[pd.DataFrame], tfs: Sequence[str] | None = None) -> tuple[list[str], list[str]]:
    """(genes, regulators) every member covers: genes in all members' tables, regulators = sources of every
    member (intersected with ``tfs`` when given), in the first member's order."""
    gene_sets = [set(t["source"].astype(str)) | set(t["target"].astype(str)) for t in tables]
    src_sets = [set(t["source"].astype(str)) for t in tables]
    common = set.intersection(*gene_sets)
    regs = set.intersection(*src_sets) & common
    if tfs is not None:
        regs &= set(map(str, tfs))
    first = tables[0]
    order = list(dict.fromkeys(list(first["source"].astype(str)) + list(first["target"].astype(str))))
    genes = sorted(common, key={g: i for i, g in enumerate(order)}.get)
    return genes, [g for g in genes if g in regs]


def _matrix(table: pd.DataFrame, index: dict[str, int]) -> np.ndarray:
    """(target, source) scores of one member: its weight rank (1 = weakest listed), 0 where not listed."""
    t = table[table["source"].astype(str).isin(index) & table["target"].astype(str).isin(index)]
    t = t[t["source"].astype(str) != t["target"].astype(str)]
    t = t.drop_duplicates(["source", "target"])  # first = strongest row when the table is ranked
    out = np.zeros((len(index), len(index)))
    w = pd.to_numeric(t["weight"], errors="coerce").abs().fillna(0.0).to_numpy()
    # ranks, not weights: exact in float32 (the aggregation's precision) and every listed edge above the unlisted
    out[t["target"].astype(str).map(index).to_numpy(), t["source"].astype(str).map(index).to_numpy()] = rankdata(w)
    return out


def consensus_edges(tables: Sequence[pd.DataFrame], *, tfs: Sequence[str] | None = None,
                    rule: str = DEFAULT_RULE, names: Sequence[str] | None = None) -> pd.DataFrame:
    """One ranked edge table from several members' edge tables (see the module doc).

    ``attrs``: ``members_kept`` (indices), ``members_left_out`` (names), ``n_genes``, ``n_regulators``,
    ``agreement_rule``. Raises InputError when fewer than two members or no common candidate edge."""
    if rule not in RULES:
        raise InputError(f"Unknown consensus rule {rule!r}; choose from {list(RULES)}.")
    tables = list(tables)
    if len(tables) < 2:
        raise InputError("A consensus needs at least two networks.")
    names = list(names) if names is not None else [f"member {i + 1}" for i in range(len(tables))]
    for name, t in zip(names, tables):
        if t is None or t.empty or not {"source", "target", "weight"} <= set(t.columns):
            raise InputError(f"{name}: no edge table (source, target, weight) to combine.")
    genes, regs = common_candidates(tables, tfs)
    if len(genes) < 2 or not regs:
        raise InputError("The networks share no candidate edge: they need genes and regulators in common "
                         "(were they inferred on the same dataset?).")
    index = {g: i for i, g in enumerate(genes)}
    W = np.stack([_matrix(t, index) for t in tables])  # (members, target, source)
    cand = ~np.eye(len(genes), dtype=bool) & np.isin(genes, regs)[None, :]
    scores, keep = aggregate_members(W, rule, cand)
    edges = adjacency_to_edges(scores.T, genes, tfs=regs)
    if keep.sum() > 1:
        edges = attach(edges, member_confidence(W[keep], cand), genes)
    edges.attrs.update({
        "members_kept": [int(i) for i in np.flatnonzero(keep)],
        "members_left_out": [names[i] for i in np.flatnonzero(~keep)],
        "n_members": len(tables), "n_members_kept": int(keep.sum()), "n_genes": len(genes),
        "n_regulators": len(regs), "agreement_rule": rule,
    })
    if not keep.all():
        edges.attrs["note"] = (f"consensus: {int(keep.sum())} of {len(tables)} networks kept; left out (their "
                               f"strongest edges disagree with the others'): {', '.join(edges.attrs['members_left_out'])}")
    return edges

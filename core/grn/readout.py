"""Plain readings of the shown network for the GRN page: precision against a reference next to what random
edges would reach on the same candidate set, and a hint when hubs look like housekeeping genes."""

from __future__ import annotations

import re

import pandas as pd

HOUSEKEEPING = re.compile(r"^(RPL\d|RPS\d|RPLP|MRPL|MRPS|MT-|EEF1|EEF2|TPT1|FAU$|UBA52$|RACK1$)", re.IGNORECASE)


def shown_precision(shown: pd.DataFrame, reference: pd.DataFrame, genes, tfs=None, focus: str | None = None) -> dict | None:
    """Precision of the shown edges against ``reference`` and the random expectation on the same candidates.

    Candidates: regulator x gene pairs without self pairs, regulators = ``tfs`` (else the reference's
    regulators) among ``genes`` (the network's genes); around a searched ``focus`` gene only pairs touching it.
    Shown edges outside the candidates are not counted. None when no shown edge is a candidate.
    """
    genes = set(map(str, genes))
    regs = (set(map(str, tfs)) if tfs else set(reference["source"].astype(str))) & genes
    ref = {(s, t) for s, t in zip(reference["source"].astype(str), reference["target"].astype(str))
           if s in regs and t in genes and s != t}
    if not regs or not ref:
        return None
    if focus:
        n_cand = (len(genes) - 1 if focus in regs else 0) + len(regs - {focus})
        n_true = sum(1 for s, t in ref if focus in (s, t))
    else:
        n_cand = len(regs) * len(genes) - len(regs)
        n_true = len(ref)
    cand = shown[shown["source"].isin(regs) & shown["target"].isin(genes) & (shown["source"] != shown["target"])]
    if cand.empty or n_cand == 0:
        return None
    hits = sum((s, t) in ref for s, t in zip(cand["source"], cand["target"]))
    precision, random = hits / len(cand), n_true / n_cand
    return {"precision": precision, "random": random, "ratio": precision / random if random else float("nan"),
            "hits": int(hits), "n_shown": int(len(cand)), "n_candidates": int(n_cand)}


def housekeeping_hint(regulators: list[str], tfs_given: bool, share: float = 0.3) -> str | None:
    """A hint when no TF list was given and at least ``share`` of the top regulators are ribosomal or
    mitochondrial (co-expression hubs, not regulators); None otherwise."""
    if tfs_given or not regulators:
        return None
    hk = [g for g in regulators if HOUSEKEEPING.match(str(g))]
    if len(hk) < max(1, share * len(regulators)):
        return None
    return (f"{len(hk)} of the top {len(regulators)} regulators are ribosomal or mitochondrial genes "
            f"({', '.join(hk[:4])}…): without a TF list every gene may act as a regulator, and housekeeping genes "
            "co-vary with everything. Add a TF list on the Data page (e.g. a species' TF catalogue) and train again.")

"""Does edge confidence mean anything? Precision of DeepSEM's top edges by ensemble confidence bin, BEELINE mDC.

A DeepSEM ensemble (non-specific preset; members and epochs shortened to fit ~10 min on 2 shared cores) is
trained once on ../shared/data/beeline/mDC_TFs500; each edge's confidence is the share of members ranking it in
their top k (core.grn.confidence, k = 1 % of candidates). As in BEELINE's scoring, candidates are TF -> gene
pairs among the reference network's genes; among the ``top`` strongest candidate edges (top = the number of true
edges, EPR's k, and 5x that) the precision against the STRING and NonSpecific networks is printed per confidence
bin (core.grn.confidence.confidence_curve), beside the random expectation (the reference's edge density among
the candidates). Skips cleanly without ../shared. Results: bench/confidence_curve_results.md.

    python bench/confidence_curve.py [--case mDC_TFs500] [--members 4] [--epochs 25] [--out ...md]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from beeline_case import load_case  # noqa: E402
from core.grn.confidence import confidence_curve  # noqa: E402
from md_table import md_table  # noqa: E402

DATA = Path(os.environ.get("SCGRN_SHARED", ROOT.parent / "shared")) / "data" / "beeline"
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def candidates(edges: pd.DataFrame, truth: pd.DataFrame, tfs) -> tuple[pd.DataFrame, float]:
    """Edges restricted to BEELINE's candidates (TF -> gene among the reference's genes) and the density of
    true edges among those candidates (the precision of a random ranking)."""
    genes = set(truth["source"]) | set(truth["target"])
    regs = genes & set(map(str, tfs))
    cand = edges[edges["source"].isin(regs) & edges["target"].isin(genes)]
    n_cand = len(regs) * len(genes) - len(regs)
    ref = truth[truth["source"].isin(regs) & truth["target"].isin(genes) & (truth["source"] != truth["target"])]
    return cand, len(ref.drop_duplicates(["source", "target"])) / max(n_cand, 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", default="mDC_TFs500")
    ap.add_argument("--members", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--out", default=str(ROOT / "bench" / "confidence_curve_results.md"))
    args = ap.parse_args()
    case = DATA / args.case
    if not case.is_dir():
        print(f"skipped: {case} not found (needs ../shared)")
        return 0
    import torch

    from core.context import RunContext
    from core.models.deepsem.model import DeepSEM

    torch.set_num_threads(2)
    adata, truths, tfs = load_case(case)
    t0 = time.perf_counter()
    model = DeepSEM(adata, setting="non-specific", ensemble=args.members, seed=0, device="cpu", epochs=args.epochs)
    model.train(callbacks=[RunContext(seed=0, device="cpu")])
    edges = model.get_grn(tfs=tfs)
    wall = time.perf_counter() - t0
    print(f"{args.case}: DeepSEM non-specific, {args.members} members x {args.epochs} epochs, {wall:.0f} s; "
          f"{len(edges):,} edges, {(edges['confidence'] > 0).sum():,} with confidence > 0; members kept by the "
          f"aggregation: {edges.attrs.get('n_members_kept')} (confidence levels are multiples of 1/that)", flush=True)
    lines = [f"# Precision by edge confidence (bench/confidence_curve.py)", "",
             f"BEELINE {args.case}, DeepSEM non-specific preset, ensemble of {args.members} members x {args.epochs} "
             f"epochs (shortened to fit the time budget; {wall:.0f} s on a shared 2-core machine). Confidence = share "
             "of members ranking the edge in their top 1 % of candidates. Candidates: TF -> gene among the "
             "reference's genes (BEELINE). 'random' = the reference's density among the candidates. Members kept by "
             f"the aggregation: {edges.attrs.get('n_members_kept')} (confidence levels are multiples of 1/that).", ""]
    for net in ("STRING", "NonSpecific"):
        cand, density = candidates(edges, truths[net], tfs)
        k = int(len(truths[net].drop_duplicates(["source", "target"])))
        for top in (k, 5 * k):
            curve = confidence_curve(cand, truths[net], top=top, bins=BINS)
            curve["x random"] = (curve["precision"] / density).round(2)
            curve["precision"] = curve["precision"].round(4)
            head = f"{net}: top {top:,} edges (random precision {density:.4f})"
            print("\n" + head)
            print(curve.to_string(index=False))
            lines += [f"## {head}", "", md_table(curve), ""]
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

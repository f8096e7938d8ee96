"""How to combine DeepSEM ensemble members into one network: a study on saved member matrices.

    python bench/deepsem_aggregate.py MEMBERS.npz [...] [--subsets 50] [--size 10]

Each .npz (written by ``bench/deepsem_members.py --save-w`` or ``bench/gpu_sweep.py``) holds every member's W
restricted to TF sources. For random subsets of ``--size`` members (plus the whole set) the script scores each
aggregation rule of :mod:`core.models.deepsem.aggregate` against the BEELINE networks of the case and prints
the mean EPR / AUPRC ratio per rule, beside the members alone (mean, min) and the reference DeepSEM figures.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from beeline_case import NETS, load_truths  # noqa: E402
from core.grn.edges import adjacency_to_edges  # noqa: E402
from core.grn.scoring import score_grn  # noqa: E402
from core.models.deepsem.aggregate import RULES, aggregate_members  # noqa: E402

DATA = Path(os.environ.get("SCGRN_SHARED", ROOT.parent / "shared")) / "data" / "beeline"


def score(scores_tf: np.ndarray, genes: np.ndarray, tfs: np.ndarray, truth: pd.DataFrame) -> tuple[float, float]:
    """scores_tf[target, tf] -> (EPR, AUPRC ratio), BEELINE conventions."""
    full = np.zeros((len(genes), len(genes)))
    src = np.flatnonzero(np.isin(genes, tfs))
    full[src] = scores_tf.T
    m = score_grn(adjacency_to_edges(full, genes, tfs=tfs), truth)
    return m["epr"], m["auprc_ratio"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--subsets", type=int, default=30)
    ap.add_argument("--size", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for f in args.files:
        name = Path(f).stem
        case = next(c for c in ("mDC_TFs500", "mHSC-L_TFs500") if c in name)
        setting = "cell-type-specific" if "cell-type-specific" in name else "non-specific"
        d = np.load(f, allow_pickle=False)
        W, genes, tfs = d["W"].astype(np.float64), d["genes"], d["tfs"]
        tf_rows = {g: i for i, g in enumerate(genes)}
        self_pairs = np.zeros(W.shape[1:], bool)
        self_pairs[[tf_rows[t] for t in tfs], np.arange(len(tfs))] = True
        rng = np.random.default_rng(args.seed)
        m = len(W)
        subsets = [np.arange(m)] + ([np.sort(rng.choice(m, args.size, replace=False)) for _ in range(args.subsets)]
                                    if m > args.size else [])
        truths = load_truths(DATA / case)
        for net in NETS[setting]:
            truth = truths[net]
            alone = np.array([score(np.abs(w), genes, tfs, truth) for w in W])
            res = {r: [] for r in RULES}
            for sub in subsets:
                for r in RULES:
                    res[r].append(score(aggregate_members(W[sub], r, ~self_pairs)[0], genes, tfs, truth))
            print(f"\n{name} vs {net}: {m} members; members alone EPR mean {alone[:, 0].mean():.3f} "
                  f"(min {alone[:, 0].min():.2f}, max {alone[:, 0].max():.2f})")
            print(f"  {'rule':<12} {'all members EPR / AUPRCr':>26} {f'{len(subsets) - 1} subsets of {args.size}: EPR mean (min) / AUPRCr':>44}")
            for r, v in res.items():
                v = np.array(v)
                sub_part = f"{v[1:, 0].mean():.3f} ({v[1:, 0].min():.2f}) / {v[1:, 1].mean():.3f}" if len(v) > 1 else "-"
                print(f"  {r:<12} {v[0, 0]:>14.3f} / {v[0, 1]:.3f} {sub_part:>44}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

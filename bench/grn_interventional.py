"""CaTran on simulated perturbation data: with vs without the interventional loss, next to peers.

    PYTHONPATH=. python bench/grn_interventional.py [--seeds 0 1 2] [--lr 1e-3] [--epochs 25] [--threads 1]
        [--genes 60 --tfs 12 --perturbed 6] [--knockdown 0.0] [--no-deepsem] [--only-peers]
        [--weights 10 30] [--only-interventional]

Data: core.data.perturbation.perturbation_dataset (random GRN, the TFs with most targets knocked out,
``obs["perturbation"]``). Methods: CaTran observational (labels ignored), CaTran interventional (default
"effect" target) and with the authors' "paper" target, DeepSEM (when registered), Pearson |r|, the
mean-difference peer |mean(perturbed) - mean(control)| (perturbed sources only, log1p-normalised data) and
the |Welch t| statistic behind CaTran's "effect" target (perturbed sources only). Columns: EPR and AUPRC ratio (core.grn.scoring, BEELINE convention),
CausalBench statistical score on the top-k edges (k = number of true edges): precision and mean
Wasserstein (log1p-normalised values), seconds, parameter count; load average printed beside timings.

Re-measured 2026-11-30 19:20 after CaTran's forward pass became the factored (same-function, 3x faster)
form, same default and seeds, `--no-deepsem --threads 2` (EPR / AUPRC ratio / interv. precision / mean Wasserstein):
60 genes: observational 2.75 / 2.44 / 0.95 / 1.48, interventional 3.26 / 2.73 / 0.98 / 1.65, paper target
2.23 / 1.92, mean-difference 3.09 / 2.65 / 1.00 / 1.69, Pearson 3.34 / 3.43; per seed interventional vs
observational vs mean-difference EPR 3.28 / 2.86 / 3.18, 3.22 / 2.65 / 3.33, 3.30 / 2.75 / 2.75; CaTran 16-20 s
per run (was ~45 s). 100 genes / 20 TFs / 10 KO: observational 4.70 / 4.27, interventional 5.60 / 4.65 / 0.98
/ 1.53, mean-difference 5.56 / 4.83 / 1.00 / 1.70, Pearson 6.59 / 6.97, Welch-t target 5.40 / 4.85; per seed
interventional vs mean-difference EPR 5.44 / 5.32, 5.32 / 5.78, 6.05 / 5.58. `--weights 30 100` (seeds 0-1,
100 genes): 5.09 / 3.89 and 5.21 / 4.06 (weight 30), 4.64 / 4.39 and 5.21 / 4.43 (weight 100) against 5.44 / 4.30
and 5.32 / 4.44 with the default 10.

Measured 2026-11-30 17:35, CaTran's current default (25 epochs x at least 20 Lion steps; this data fits in one
batch, so 500 steps; run as `--epochs 50 --no-deepsem --threads 1`, the same steps), seeds 0-2, 60 genes / 12 TFs / 6 KO:

| method                             | EPR  | AUPRC ratio | interv. precision | mean Wasserstein |
|------------------------------------|------|-------------|-------------------|------------------|
| catran (observational)             | 2.79 | 2.44        | 0.94              | 1.47             |
| catran (interventional, effect)    | 3.24 | 2.78        | 0.98              | 1.65             |
| catran (interv., paper target x10) | 2.25 | 1.94        | 0.82              | 1.23             |
| pearson                            | 3.34 | 3.43        | 1.00              | 1.90             |
| mean-difference                    | 3.09 | 2.65        | 1.00              | 1.69             |
| welch-t effect (CaTran's target)   | 3.00 | 2.75        | 0.98              | 1.56             |

Per seed, EPR interventional vs mean-difference: 3.23 / 3.18, 3.33 / 3.33, 3.15 / 2.75 (interventional vs
observational: 3.23 / 2.90, 3.33 / 2.65, 3.15 / 2.80).
100 genes / 20 TFs / 10 KO, same default (`--genes 100 --tfs 20 --perturbed 10 --no-deepsem`, seeds 0-2, EPR /
AUPRC ratio means): interventional 5.69 / 4.57, observational 4.61 / 4.28, mean-difference 5.56 / 4.83,
Pearson 6.59 / 6.97, paper target 3.39 / 2.49; per seed interventional vs mean-difference EPR 5.55 / 5.32,
5.67 / 5.78, 5.84 / 5.58 (was 4.81 vs 5.56 with 10 steps per epoch). The knock-down setting was not re-run.

Earlier, with 25 epochs x 10 steps (seeds 0-2, 60 genes / 12 TFs / 6 knocked-out TFs, 600 control + 6 x 100 perturbed cells,
1 torch thread, CPU shared with other work: load ~3 on 2 cores, so seconds are inflated):

| method                             | EPR  | AUPRC ratio | interv. precision | mean Wasserstein | s   | params |
|------------------------------------|------|-------------|-------------------|------------------|-----|--------|
| catran (observational)             | 2.58 | 2.28        | 0.91              | 1.46             | 45  | 11134  |
| catran (interventional, effect)    | 3.07 | 2.72        | 0.99              | 1.64             | 42  | 11134  |
| catran (interv., paper target x10) | 1.86 | 1.58        | 0.76              | 1.13             | 8   | 11134  |
| deepsem (1 seed)                   | 0.98 | 1.16        | 0.69              | 0.89             | 22  | 37523  |
| pearson                            | 3.34 | 3.43        | 1.00              | 1.90             | 0   | -      |
| mean-difference                    | 3.09 | 2.65        | 1.00              | 1.69             | 0   | -      |
| welch-t effect (CaTran's target)   | 3.00 | 2.75        | 0.98              | 1.56             | 0   | -      |

(per seed, EPR interventional vs mean-difference: 3.00 / 3.18, 3.22 / 3.33, 3.00 / 2.75.)

Robustness, same day and load, --no-deepsem (EPR / AUPRC ratio / interv. precision, mean of seeds 0-2):

| method                             | 100 genes / 20 TFs / 10 KO | 60 / 12 / 6, knock-down to 30% |
|------------------------------------|----------------------------|--------------------------------|
| catran (observational)             | 3.95 / 3.64 / 0.75         | 2.46 / 2.15 / 0.71             |
| catran (interventional, effect)    | 4.81 / 4.11 / 0.95         | 2.76 / 2.39 / 0.88             |
| catran (interv., paper target x10) | 1.99 / 1.61 / 0.56         | 1.71 / 1.67 / 0.50             |
| pearson                            | 6.59 / 6.97 / 0.88         | 3.29 / 3.33 / 0.79             |
| mean-difference                    | 5.56 / 4.83 / 1.00         | 2.78 / 2.39 / 0.94             |
| welch-t effect (CaTran's target)   | 5.40 / 4.85 / 0.99         | 2.71 / 2.55 / 0.78             |

(100-gene setting: ~95 s per CaTran run; interventional beats observational on every seed, knock-down: on 2
of 3 seeds, tied on the third.)

The default interventional target ("effect", see core/models/catran/train.py) pulls the attention out of each
perturbed gene towards its measured effect (Bonferroni-gated Welch t vs control cells, on the softmax's
scale); it beats observational CaTran in all three settings (+0.49, +0.87, +0.29 EPR) while the authors'
error-ratio target ("paper") and the earlier "scaled" variant (2.28) hurt. Against the mean-difference peer
it is only a tie in the default and knock-down settings (EPR 3.07 vs 3.09 and 2.76 vs 2.78, within seed
noise; AUPRC ratio 2.72 vs 2.65 and 2.39 vs 2.39) and clearly BELOW it with 100 genes / 10 knock-outs
(4.81 vs 5.56): that target is NOT met. The model adds little over its own target statistic (welch-t row). Pearson remains best on this
simulator (its effects run along true edges, and it uses every cell). The mean-difference peer is scored like
every method: same TF candidate sources, same score_grn / interventional_score; it can only score perturbed
sources (others are unpredicted pairs), which is inherent to the method.
Learning rate (seed 0, observational, 25 epochs x 10 steps): EPR 2.76 at lr 1e-3 vs 1.69 at lr 1e-4:
1e-3 is the default.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
import scanpy as sc
import torch

from core.data.perturbation import perturbation_dataset
from core.grn.correlation import pearson_grn
from core.grn.scoring import score_grn
from core.grn.edges import adjacency_to_edges
from core.grn.interventional_score import interventional_score
from core.context import RunContext
from core.grn.task import infer_grn
from core.registry import methods


def mean_difference_grn(adata, key: str = "perturbation", tfs=None) -> pd.DataFrame:
    """|mean(B | A perturbed) - mean(B | control)| for perturbed sources A; other sources score 0."""
    X = np.asarray(adata.X, dtype=np.float64)
    labels = adata.obs[key].astype(str).to_numpy()
    genes = list(adata.var_names)
    ctrl = X[labels == "control"].mean(0)
    S = np.zeros((len(genes), len(genes)))
    for i, g in enumerate(genes):
        if (labels == g).any():
            S[i] = np.abs(X[labels == g].mean(0) - ctrl)
    return adjacency_to_edges(S, genes, tfs=tfs)


def t_effect_grn(adata, key: str = "perturbation", tfs=None) -> pd.DataFrame:
    """|Welch t| of B between A-perturbed and control cells on CaTran's training scale (per-gene z-scored
    counts), perturbed sources only: the un-gated, un-capped statistic behind CaTran's default "effect" target,
    to show what the model adds on top of its own target."""
    from core.models.catran.model import CaTran

    m = CaTran(adata, perturbation_key=key)
    X, P = m.data["X"].astype(np.float64), m.data["perturbed"]
    S = np.zeros((len(m.genes), len(m.genes)))
    for g in np.unique(P[P >= 0]):
        a, b = X[P == g], X[P < 0]
        se = np.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))
        S[g] = np.abs(a.mean(0) - b.mean(0)) / np.where(se > 0, se, np.inf)
    return adjacency_to_edges(S, m.genes, tfs=tfs)


def run(seed: int, args) -> list[dict]:
    adata, truth, tfs, perturbed = perturbation_dataset(
        n_genes=args.genes, n_tfs=args.tfs, n_perturbed=args.perturbed, n_control=args.control,
        cells_per_perturbation=args.cells_per_perturbation, knockdown=args.knockdown, seed=seed,
    )
    logn = adata.copy()
    sc.pp.normalize_total(logn, target_sum=1e4)
    sc.pp.log1p(logn)
    k = len(truth)
    ctx = lambda: RunContext(seed=seed, tfs=tfs)  # noqa: E731
    cat = dict(lr=args.lr, epochs=args.epochs)
    jobs = [
        ("catran (observational)", lambda: infer_grn(adata, "catran", ctx(), cat)),
        *[(f"catran (interventional, effect{'' if w == 10.0 else f', weight {w:g}'})",
           lambda w=w: infer_grn(adata, "catran", ctx(), {"perturbation_key": "perturbation", "intervention_weight": w, **cat}))
          for w in args.weights],
        ("catran (interv., paper target x10)", lambda: infer_grn(adata, "catran", ctx(), {
            "perturbation_key": "perturbation", "intervention_target": "paper", "intervention_weight": 10.0,
            "mask_intervened": False, **cat})),
        ("pearson", lambda: pearson_grn(logn, ctx())),
        ("mean-difference", lambda: mean_difference_grn(logn, tfs=tfs)),
        ("welch-t effect (CaTran's target)", lambda: t_effect_grn(adata, tfs=tfs)),
    ]
    if args.only_peers:
        jobs = [j for j in jobs if not j[0].startswith("catran")]
    if args.only_interventional:
        jobs = [j for j in jobs if j[0].startswith("catran (interventional")]
    if "deepsem" in methods() and not (args.no_deepsem or args.only_peers or args.only_interventional):
        jobs.insert(3, ("deepsem (1 seed)", lambda: infer_grn(logn, "deepsem", ctx(), {"ensemble": 1})))
    rows = []
    for name, fn in jobs:
        t0 = time.time()
        edges = fn()
        secs = time.time() - t0
        sc_ = score_grn(edges, truth)
        iv = interventional_score(edges, logn, "perturbation", top_k=k)
        rows.append({
            "seed": seed, "method": name, "EPR": sc_["epr"], "AUPRC ratio": sc_["auprc_ratio"],
            "interv. precision": iv["precision"], "mean Wasserstein": iv["mean_wasserstein"],
            "n evaluated": iv["n_evaluated"], "seconds": secs, "parameters": edges.attrs.get("n_parameters", 0),
            "load": os.getloadavg()[0],
        })
        print(pd.DataFrame([rows[-1]]).round(3).to_string(index=False, header=len(rows) == 1), flush=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--genes", type=int, default=60)
    p.add_argument("--tfs", type=int, default=12)
    p.add_argument("--perturbed", type=int, default=6)
    p.add_argument("--control", type=int, default=600)
    p.add_argument("--cells-per-perturbation", type=int, default=100)
    p.add_argument("--knockdown", type=float, default=0.0, help="remaining fraction of a perturbed gene (0 = knock-out)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--no-deepsem", action="store_true")
    p.add_argument("--only-peers", action="store_true", help="skip the CaTran rows")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--weights", type=float, nargs="+", default=[10.0], help="intervention_weight values of the 'effect' rows")
    p.add_argument("--only-interventional", action="store_true", help="only the CaTran 'effect' rows")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if "deepsem" not in methods():
        print("note: DeepSEM is not registered on this branch (deepsem runner not merged yet): row omitted")
    rows = [r for s in args.seeds for r in run(s, args)]
    df = pd.DataFrame(rows)
    summary = df.groupby("method", sort=False)[["EPR", "AUPRC ratio", "interv. precision", "mean Wasserstein", "seconds", "parameters"]].mean()
    print(f"\nmean over seeds {args.seeds} ({args.genes} genes / {args.tfs} TFs / {args.perturbed} perturbed, knockdown "
          f"{args.knockdown}; lr {args.lr}, {args.epochs} epochs; load avg {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()

"""Regulon activity vs known cell labels: do our networks' regulons carry cell-type information?

For each labelled dataset — the bundled synthetic sample (600 cells x 60 genes, 3 cell states, its 12 TFs) and
scanpy's pbmc68k_reduced with reconstructed counts (700 cells x 765 genes, 10 ``bulk_labels``; no TF list, so
every gene may regulate and the 200 strongest regulators are kept) — networks are inferred by DeepSEM, CaTran and
Pearson (the peer baseline), each TF's top targets become a signed regulon (core.grn.regulons), activity is
scored per cell with decoupler ULM, and the silhouette (ASW, sklearn) of the activity matrix against the labels
is printed side by side with:

* **random regulons of the same sizes**: each regulon keeps its TF, size and signs but takes targets drawn
  uniformly from the data's genes (several seeds; mean ± sd) — the control that shows a score is not trivial
  (any gene set averages expression, which alone separates cell types somewhat);
* **Pearson-network regulons** (the peer).

Training is shortened to fit ~10 min on 2 shared cores (stated in the table): DeepSEM ``epochs`` and
``ensemble``, CaTran ``quick`` preset with fewer epochs (far below their presets: the networks are
under-trained, and the table says so). Results: bench/regulons_results.md.

    python bench/regulons.py [--datasets synthetic pbmc68k] [--seeds 5] [--top-targets 50]
                             [--deepsem-epochs 15] [--deepsem-ensemble 1] [--catran-epochs 3]
                             [--out bench/regulons_results.md]
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

from core.context import RunContext  # noqa: E402
from md_table import md_table  # noqa: E402
from core.embedding.metrics import asw  # noqa: E402
from core.grn.regulons import Regulons, build_regulons, regulon_activity  # noqa: E402

LABELS = {"synthetic": "cell_state", "pbmc68k": "bulk_labels"}


def load(name: str):
    """(prepared AnnData, labels, TFs or None) as the app prepares a sample (log1p, counts kept)."""
    from core.data.preprocess import apply_preset
    from core.data.sample import SAMPLE_DIR, SAMPLES, sample_path
    from core.io.expression import read_expression
    from core.io.networks import read_tf_list

    adata = apply_preset(read_expression(sample_path(name)), "log1p")
    info = SAMPLES[name]
    tfs = read_tf_list(SAMPLE_DIR / info.tfs) if info.tfs else None
    return adata, adata.obs[LABELS[name]].astype(str).to_numpy(), tfs


def infer(adata, method: str, tfs, args) -> tuple[pd.DataFrame, float, str]:
    from core.grn.task import infer_grn

    ctx = RunContext(seed=0, device="cpu", tfs=tfs, verbose=False)
    if method == "deepsem":
        params, preset = {"epochs": args.deepsem_epochs, "ensemble": args.deepsem_ensemble}, "non-specific"
        note = f"non-specific, {args.deepsem_epochs} epochs, ensemble {args.deepsem_ensemble}"
    elif method == "catran":
        params, preset = {"epochs": args.catran_epochs, "min_steps_per_epoch": 2}, "quick"
        note = f"quick preset, {args.catran_epochs} epochs x >= 2 steps per gene pair"
    else:
        params, preset, note = {}, None, "abs. Pearson r ranking, signed"
    t0 = time.perf_counter()
    edges = infer_grn(adata, method, ctx, params, preset)
    return edges, time.perf_counter() - t0, note


def randomised(regs: Regulons, genes: list[str], seed: int) -> Regulons:
    """Same regulators, sizes and signs; targets drawn uniformly (without replacement) from ``genes``."""
    rng = np.random.default_rng(seed)
    parts = []
    for name, grp in regs.net.groupby("source", sort=False):
        targets = rng.choice(genes, size=len(grp), replace=False)
        parts.append(pd.DataFrame({"source": name, "target": targets, "weight": grp["weight"].to_numpy()}))
    return Regulons(net=pd.concat(parts, ignore_index=True), table=regs.table, signed=regs.signed)


def score(adata, regs: Regulons, labels) -> float:
    return asw(regulon_activity(adata, regs, "ulm").to_numpy(), labels)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["synthetic", "pbmc68k"], choices=list(LABELS))
    ap.add_argument("--methods", nargs="+", default=["deepsem", "catran", "pearson"])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--top-targets", type=int, default=50)
    ap.add_argument("--deepsem-epochs", type=int, default=15)
    ap.add_argument("--deepsem-ensemble", type=int, default=1)
    ap.add_argument("--catran-epochs", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "regulons_results.md"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    rows = []
    t_all = time.perf_counter()
    for ds in args.datasets:
        adata, labels, tfs = load(ds)
        genes = [str(g) for g in adata.var_names]
        expr_asw = asw(np.asarray(adata.X.toarray() if hasattr(adata.X, "toarray") else adata.X), labels)
        print(f"{ds}: {adata.n_obs} cells x {adata.n_vars} genes, {len(set(labels))} labels; "
              f"ASW of the log expression itself {expr_asw:.3f}", flush=True)
        for method in args.methods:
            edges, secs, note = infer(adata, method, tfs, args)
            top = min(args.top_targets, max(5, adata.n_vars // 4))
            regs = build_regulons(edges, genes, top_targets=top, method="ulm")
            real = score(adata, regs, labels)
            rand = [score(adata, randomised(regs, genes, s), labels) for s in range(args.seeds)]
            row = {"dataset": ds, "network": method, "training": note, "fit s": round(secs, 1),
                   "regulons": len(regs.names), "median size": float(np.median(regs.table["size"])),
                   "ASW network regulons": round(real, 3),
                   "ASW random same sizes (mean ± sd)": f"{np.mean(rand):.3f} ± {np.std(rand):.3f}",
                   "network − random": round(real - float(np.mean(rand)), 3), "_rand": rand,
                   "expression ASW": round(expr_asw, 3)}
            rows.append(row)
            print(f"  {method:8s} {row['regulons']:4d} regulons (median {row['median size']:g}): ASW {real:.3f} vs "
                  f"random {row['ASW random same sizes (mean ± sd)']}  [{note}; fit {secs:.0f} s]", flush=True)
    table = pd.DataFrame(rows).drop(columns="_rand")
    print()
    print(table.to_string(index=False))
    load_avg = os.getloadavg()[0]
    total = time.perf_counter() - t_all
    md = [
        "# Regulon activity vs cell labels (bench/regulons.py)",
        "",
        f"Regulons: each TF's top {args.top_targets} targets (at most a quarter of the genes), signed by the "
        "network; activity: decoupler ULM; score: silhouette (sklearn, Euclidean) of the cells x regulons activity "
        f"matrix against the labels. Random control: same TFs, sizes and signs, uniform targets, {args.seeds} "
        "seeds. Training shortened to fit the time budget (column 'training').",
        "",
        md_table(table),
        "",
        f"Total {total:.0f} s on a shared 2-core machine (1-min load {load_avg:.1f} at the end).",
        "'expression ASW' is the silhouette of the log expression itself (all genes), for scale.",
    ]
    Path(args.out).write_text("\n".join(md) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out} ({total:.0f} s)")
    return 0



if __name__ == "__main__":
    raise SystemExit(main())

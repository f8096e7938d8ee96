"""GPU check in one short script (for a lent GPU machine, whose image has torch but not scanpy).

    python bench/gpu_check.py --data ../shared/data/beeline --device cuda [--out DIR] [--quick]

1. DeepSEM on BEELINE mDC (and mHSC-L): 1 member and the 10-seed ensemble, both presets, wall time of the
   whole fit (model set-up + training + edge table, CUDA synchronised) after one warm-up run, seconds per
   epoch, peak GPU memory, EPR / AUPRC ratio (BEELINE conventions). Issue #3's target: the 10-seed mDC
   ensemble in < 10 s on a GPU. A repeat of the ensemble checks run-to-run reproducibility on the device.
2. CaTran (defaults) on mDC: time and EPR.
3. VAE (nb) and GMVAE (zinb) on simulated counts (4000 cells x 2000 genes): throughput and finite losses.

Prints one JSON object per measurement and a table at the end. Needs only torch, numpy, pandas,
scikit-learn and anndata (no scanpy): truths and expression are read with pandas.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from core.grn.scoring import score_grn  # noqa: E402
from core.context import RunContext  # noqa: E402
from core.models.deepsem.model import DeepSEM  # noqa: E402
from beeline_case import NETS, load_case  # noqa: E402
from deepsem_members import member_scores  # noqa: E402

def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def deepsem_run(adata, tfs, setting: str, members: int, device: str, epochs: int | None, seed: int = 0, **options):
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    ticks = []
    ctx = RunContext(seed=seed, device=device)
    ctx.on_progress = lambda r: ticks.append(time.perf_counter())
    sync(device)
    t0 = time.perf_counter()
    inverse_updates = options.pop("inverse_updates", None)
    model = DeepSEM(adata, setting=setting, ensemble=members, seed=seed, device=device, epochs=epochs, **options)
    model.inverse_updates = inverse_updates
    model.train(callbacks=[ctx])
    edges = model.get_grn(tfs=tfs)
    sync(device)
    wall = time.perf_counter() - t0
    per_epoch = float(np.median(np.diff(ticks))) if len(ticks) > 2 else None
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None
    return model, edges, wall, per_epoch, peak


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "beeline"))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", default="")
    ap.add_argument("--quick", action="store_true", help="3 epochs everywhere (a smoke test of this script)")
    ap.add_argument("--cases", nargs="*", default=["mDC_TFs500", "mHSC-L_TFs500"])
    ap.add_argument("--profile", action="store_true", help="also profile 6 epochs of the 10-member mDC ensemble")
    ap.add_argument("--skip-main", action="store_true", help="skip the main DeepSEM/CaTran/VAE measurements")
    ap.add_argument("--ens10-only", action="store_true", help="only the 10-member mDC ensemble (NS), timed with "
                    "Newton-Schulz inverse updates (the CUDA default) and with an LU solve per batch")
    ap.add_argument("--variants", action="store_true", help="also the reference code's prior/KL and LR-decay choices")
    ap.add_argument("--linalg", nargs="*", default=[], help="also time the mDC ensemble with these CUDA linalg backends "
                    "(torch.backends.cuda.preferred_linalg_library: cusolver, magma)")
    args = ap.parse_args()
    dev = args.device
    ep = 3 if args.quick else None
    env = {"torch": torch.__version__, "device": torch.cuda.get_device_name() if dev.startswith("cuda") else "cpu"}
    print(json.dumps(env), flush=True)
    rows = []

    def emit(row):
        rows.append(row)
        print(json.dumps(row), flush=True)

    data = Path(args.data)
    if args.ens10_only:
        adata, truths, tfs = load_case(data / args.cases[0])
        deepsem_run(adata, tfs, "non-specific", 10, dev, 3)  # warm-up
        for updates in (True, False, True):
            model, edges, wall, spe, peak = deepsem_run(adata, tfs, "non-specific", 10, dev, ep, inverse_updates=updates)
            emit({"case": args.cases[0], "method": f"deepsem ens10 non-specific, inverse updates {updates}",
                  "wall_s": round(wall, 2), "s_per_epoch": round(spe, 4) if spe else None, "peak_gpu_mb": round(peak) if peak else None,
                  **{f"{n}_epr": round(score_grn(edges, truths[n])["epr"], 3) for n in NETS["non-specific"]}})
        args.skip_main = True
    for ci, case in enumerate([] if args.skip_main else args.cases):
        adata, truths, tfs = load_case(data / case)
        if ci == 0:  # warm-up: CUDA context, cuBLAS/cuSOLVER handles, kernels
            deepsem_run(adata, tfs, "non-specific", 10, dev, 3)
        plan = [("non-specific", 1), ("non-specific", 10), ("cell-type-specific", 1), ("cell-type-specific", 10)]
        for setting, members in plan:
            model, edges, wall, spe, peak = deepsem_run(adata, tfs, setting, members, dev, ep)
            scores = {n: score_grn(edges, truths[n]) for n in NETS[setting]}
            if members > 1:
                for n in NETS[setting]:
                    per, _ = member_scores(model, truths[n], tfs)
                    emit({"case": case, "method": f"deepsem {setting} members alone", "network": n,
                          "member_epr": [round(v, 2) for v in per[:, 0]], "member_epr_mean": round(float(per[:, 0].mean()), 3)})
            emit({"case": case, "method": f"deepsem ens{members} {setting}", "wall_s": round(wall, 2),
                  "s_per_epoch": round(spe, 4) if spe else None, "epochs": model.setting("epochs"),
                  "peak_gpu_mb": round(peak) if peak else None,
                  **{f"{n}_epr": round(s["epr"], 3) for n, s in scores.items()},
                  **{f"{n}_auprc_ratio": round(s["auprc_ratio"], 3) for n, s in scores.items()}})
            if ci == 0 and setting == "non-specific" and members == 10:
                W1 = model.adjacency()
                model2, _, wall2, _, _ = deepsem_run(adata, tfs, setting, members, dev, ep)
                emit({"case": case, "method": "deepsem ens10 non-specific (repeat, same seed)", "wall_s": round(wall2, 2),
                      "max_abs_W_diff_vs_first": float(np.abs(model2.adjacency() - W1).max())})
        if ci == 0:
            try:
                from core.models.catran.model import CaTran

                ctx = RunContext(seed=0, device=dev)
                sync(dev)
                t0 = time.perf_counter()
                cat = CaTran(adata, seed=ctx.seed, device=ctx.device, **({"epochs": 3} if args.quick else {}))
                cat.train(callbacks=[ctx])
                edges = cat.get_grn(top_k=None, tfs=tfs)
                sync(dev)
                emit({"case": case, "method": "catran defaults", "wall_s": round(time.perf_counter() - t0, 2),
                      **{f"{n}_epr": round(score_grn(edges, t)["epr"], 3) for n, t in truths.items()}})
            except Exception as exc:  # noqa: BLE001 - report and go on
                emit({"case": case, "method": "catran", "error": repr(exc)[:300]})

    if args.variants:  # the reference code's choices, each on the 10-member mDC ensemble (mean of members + ensemble)
        adata, truths, tfs = load_case(data / args.cases[0])
        variants = {"learned prior + MC KL (reference code)": {"prior": "learned", "kl": "mc"},
                    "per-epoch LR decay 0.95 (reference on old torch)": {"lr_decay": True}}
        if args.skip_main:
            deepsem_run(adata, tfs, "non-specific", 10, dev, 3)  # warm-up
        for name, opts in variants.items():
            for setting in NETS:
                model, edges, wall, _, _ = deepsem_run(adata, tfs, setting, 10, dev, ep, **dict(opts))
                for n in NETS[setting]:
                    per, ens = member_scores(model, truths[n], tfs)
                    emit({"case": args.cases[0], "method": f"deepsem {setting}: {name}", "network": n, "wall_s": round(wall, 2),
                          "member_epr_mean": round(float(per[:, 0].mean()), 3), "member_epr_min": round(float(per[:, 0].min()), 3),
                          "member_epr_max": round(float(per[:, 0].max()), 3), "ensemble_epr": round(ens["epr"], 3),
                          "ensemble_auprc_ratio": round(ens["auprc_ratio"], 3)})

    if args.linalg and dev.startswith("cuda"):
        adata, truths, tfs = load_case(data / args.cases[0])
        for lib in args.linalg:
            torch.backends.cuda.preferred_linalg_library(lib)
            deepsem_run(adata, tfs, "non-specific", 10, dev, 3)
            model, edges, wall, spe, _ = deepsem_run(adata, tfs, "non-specific", 10, dev, ep)
            emit({"case": args.cases[0], "method": f"deepsem ens10 non-specific, linalg {lib}", "wall_s": round(wall, 2),
                  "NonSpecific_epr": round(score_grn(edges, truths["NonSpecific"])["epr"], 3)})
        torch.backends.cuda.preferred_linalg_library("default")

    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        adata, _, tfs = load_case(data / args.cases[0])
        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.startswith("cuda") else [])
        with profile(activities=acts) as prof:
            deepsem_run(adata, tfs, "non-specific", 10, dev, 6)
        key = "self_cuda_time_total" if dev.startswith("cuda") else "self_cpu_time_total"
        print(prof.key_averages().table(sort_by=key, row_limit=25, max_name_column_width=60))

    try:
        if args.skip_main:
            raise SystemExit
        import anndata as ad

        from core.models.vae.model import GMVAE, VAE

        rng = np.random.default_rng(0)
        n_cells, n_genes = 4000, 2000
        mu = rng.gamma(0.5, 2.0, size=(8, n_genes))[rng.integers(0, 8, n_cells)]
        counts = rng.poisson(rng.gamma(2.0, mu / 2.0)).astype(np.float32)
        a = ad.AnnData(counts)
        a.var_names = [f"g{i}" for i in range(n_genes)]
        for lik, clusters in (("nb", 0), ("zinb", 8)):
            epochs = 3 if args.quick else 30
            sync(dev)
            t0 = time.perf_counter()
            m = (GMVAE(a, likelihood=lik, clusters=clusters, device=dev, epochs=epochs) if clusters
                 else VAE(a, likelihood=lik, device=dev, epochs=epochs)).train()
            sync(dev)
            wall = time.perf_counter() - t0
            losses = [h.get("loss") for h in m.history if "loss" in h]
            emit({"case": "simulated 4000x2000 counts", "method": f"{'gmvae' if clusters else 'vae'} {lik}", "wall_s": round(wall, 2),
                  "cells_x_epochs_per_s": round(n_cells * epochs / wall), "final_loss": losses[-1] if losses else None,
                  "all_finite": bool(np.all(np.isfinite([x for x in losses if x is not None])))})
    except SystemExit:
        pass
    except Exception as exc:  # noqa: BLE001
        emit({"method": "vae", "error": repr(exc)[:300]})

    print()
    for r in rows:
        print(" | ".join(f"{k}={v}" for k, v in r.items()))
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "gpu_check.json").write_text(json.dumps({"env": env, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

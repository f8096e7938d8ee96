"""Many small BEELINE runs at once on one GPU machine (torch, numpy, pandas, scikit-learn only; no scanpy).

    python bench/gpu_sweep.py --data DIR --out DIR [--device cuda] [--workers 6] [--quick]

Jobs run in ``--workers`` processes sharing the device (small models leave a GPU mostly idle, so several
processes in parallel finish far sooner than one after another); each job appends one JSON line to
``OUT/sweep.jsonl`` as soon as it ends, so a run cut short keeps what it finished.

1. DeepSEM, 20 members per case and preset, every member's W saved (TF sources, float16) for the study of
   how members are aggregated (``bench/deepsem_aggregate.py``).
2. CaTran on both cases: ``min_steps_per_epoch`` x learning rate x seed, EPR on the three networks and the
   final training loss.
Timings here are not speed measurements (the jobs share the GPU).
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CASES = ("mDC_TFs500", "mHSC-L_TFs500")


def deepsem_job(data: str, out: str, device: str, case: str, setting: str, members: int, epochs: int | None) -> dict:
    from deepsem_members import member_losses, member_scores, save_members
    from beeline_case import NETS, load_case

    from core.context import RunContext
    from core.models.deepsem.model import DeepSEM

    adata, truths, tfs = load_case(Path(data) / case)
    t0 = time.perf_counter()
    model = DeepSEM(adata, setting=setting, ensemble=members, seed=0, device=device, epochs=epochs)
    model.train(callbacks=[RunContext(seed=0, device=device)])
    tr = model.config["train"]
    losses = member_losses(model, tr["alpha"], tr["beta"])
    save_members(str(Path(out) / f"members_{case}_{setting}.npz"), model, tfs, losses)
    row = {"job": "deepsem", "case": case, "setting": setting, "members": members, "wall_s": round(time.perf_counter() - t0, 1)}
    for n in NETS[setting]:
        per, ens = member_scores(model, truths[n], tfs)
        row[f"{n}_member_epr"] = [round(float(v), 3) for v in per[:, 0]]
        row[f"{n}_ensemble_epr"] = round(ens["epr"], 3)
    return row


def catran_job(data: str, out: str, device: str, case: str, steps: int, lr: float, seed: int, epochs: int) -> dict:
    from beeline_case import load_case

    from core.grn.scoring import score_grn
    from core.context import RunContext
    from core.models.catran.model import CaTran

    adata, truths, tfs = load_case(Path(data) / case)
    t0 = time.perf_counter()
    cat = CaTran(adata, seed=seed, device=device, epochs=epochs, lr=lr, min_steps_per_epoch=steps)
    cat.train(callbacks=[RunContext(seed=seed, device=device)])
    edges = cat.get_grn(top_k=None, tfs=tfs)
    row = {"job": "catran", "case": case, "steps_per_epoch": steps, "lr": lr, "seed": seed, "epochs": epochs,
           "wall_s": round(time.perf_counter() - t0, 1), "final_loss": round(cat.history[-1], 5),
           "loss_at_half": round(cat.history[len(cat.history) // 2 - 1], 5)}
    for n, t in truths.items():
        s = score_grn(edges, t)
        row[f"{n}_epr"], row[f"{n}_auprc_ratio"] = round(s["epr"], 3), round(s["auprc_ratio"], 3)
    return row


def run_job(job: tuple) -> dict:
    kind, args = job
    import torch

    torch.set_num_threads(2)
    try:
        row = (deepsem_job if kind == "deepsem" else catran_job)(*args)
    except Exception as exc:  # noqa: BLE001 - report and go on
        row = {"job": kind, "args": [str(a) for a in args[3:]], "error": repr(exc)[:400]}
    with open(Path(args[1]) / "sweep.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row), flush=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "beeline"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--members", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="2 epochs everywhere (a smoke test of this script)")
    ap.add_argument("--only", choices=("deepsem", "catran"), default=None)
    ap.add_argument("--catran-steps", type=int, nargs="*", default=[80, 40, 20], help="min_steps_per_epoch values")
    ap.add_argument("--catran-lr", type=float, nargs="*", default=[1e-3, 3e-4])
    ap.add_argument("--catran-seeds", type=int, nargs="*", default=[0, 1, 2])
    args = ap.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    common = (args.data, args.out, args.device)
    jobs = []
    if args.only in (None, "deepsem"):
        for case, setting in itertools.product(CASES, ("non-specific", "cell-type-specific")):
            jobs.append(("deepsem", (*common, case, setting, 3 if args.quick else args.members, 2 if args.quick else None)))
    if args.only in (None, "catran"):
        for steps, lr, seed, case in itertools.product(args.catran_steps, args.catran_lr, args.catran_seeds, CASES):
            jobs.append(("catran", (*common, case, 2 if args.quick else steps, lr, seed, 2 if args.quick else 25)))
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    t0 = time.perf_counter()
    with mp.get_context("spawn").Pool(args.workers) as pool:
        rows = pool.map(run_job, jobs, chunksize=1)
    print(json.dumps({"jobs": len(rows), "errors": sum("error" in r for r in rows), "wall_s": round(time.perf_counter() - t0, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

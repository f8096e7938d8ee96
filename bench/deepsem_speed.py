"""DeepSEM speed on BEELINE mDC (821 genes x 383 cells): seconds per epoch and peak memory.

    python bench/deepsem_speed.py --epochs 6 [--threads 2] [--members 1 10] [--device cpu]

Each configuration runs in a fresh subprocess (so peak RSS = resource.getrusage maxrss is its own). Prints
wall s/epoch (median over epochs, the first one excluded when possible), CPU s/epoch, the projected time of
the preset's 90 epochs, peak memory, and os.getloadavg() (the machine is shared: a high load inflates
wall times). Reference (DeepSEM's own code, CPU-patched, 2 cores): 2.1 s/epoch, 1.2 GB peak, 188 s for one
seed of 91 epochs; 10 sequential seeds ~31 min. Targets: <= 0.6 s/epoch, 10-seed ensemble <= 8 min.

Measured 2026-11-30 16:00 (this 2-core machine, load ~1.3, `--epochs 9 --members 1 10`): 1 member
0.502 s/epoch (47 s projected for 90 epochs, 704 MB); 10 members 4.39 s/epoch (399 s projected, 1.88 GB).
Before that day's token-MLP rewrite: 0.625 and 5.78 s/epoch. With OMP_WAIT_POLICY=PASSIVE the 1-member run
took 1.6 s/epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MDC = ROOT.parent / "shared" / "data" / "beeline" / "mDC_TFs500" / "expression.csv"


def _one(args) -> dict:
    import numpy as np
    import pandas as pd
    import torch

    sys.path.insert(0, str(ROOT))
    from core.context import RunContext
    from core.grn.task import infer_grn

    if args.threads:
        torch.set_num_threads(args.threads)
    df = pd.read_csv(args.data, index_col=0)
    import anndata as ad

    adata = ad.AnnData(df.T.values.astype("float32"))
    adata.var_names, adata.obs_names = df.index.astype(str), df.columns.astype(str)
    wall, cpu = [], []
    ctx = RunContext(seed=0, device=args.device)
    ctx.on_progress = lambda r: (wall.append(time.perf_counter()), cpu.append(time.process_time()))
    t0, c0 = time.perf_counter(), time.process_time()
    infer_grn(adata, "deepsem", ctx, {"setting": "non-specific", "ensemble": args.members[0], "epochs": args.epochs})
    total = time.perf_counter() - t0
    w = np.diff([t0, *wall])
    c = np.diff([c0, *cpu])
    body = slice(1, None) if len(w) > 3 else slice(None)
    # a DeepSEM cycle is 1 network epoch + 2 W epochs: average over whole cycles when possible
    n_cyc = (len(w) - 1) // 3 * 3
    per_epoch = float(np.mean(w[1 : 1 + n_cyc])) if n_cyc else float(np.median(w[body]))
    cpu_epoch = float(np.mean(c[1 : 1 + n_cyc])) if n_cyc else float(np.median(c[body]))
    return {
        "members": args.members[0],
        "threads": torch.get_num_threads(),
        "epochs": args.epochs,
        "wall_s": round(total, 1),
        "s_per_epoch": round(per_epoch, 3),
        "cpu_s_per_epoch": round(cpu_epoch, 3),
        "projected_90_epochs_s": round(per_epoch * 90 + (w[0] - per_epoch if len(w) > 1 else 0), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "loadavg": [round(v, 2) for v in os.getloadavg()],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--members", type=int, nargs="+", default=[1, 10])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--data", default=str(MDC))
    p.add_argument("--passive", action="store_true", help="OMP_WAIT_POLICY=PASSIVE (for a busy, oversubscribed machine)")
    p.add_argument("--_child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args._child:
        print(json.dumps(_one(args)))
        return
    if not Path(args.data).exists():
        sys.exit(f"mDC expression not found at {args.data} (needs ../shared)")
    rows = []
    for m in args.members:
        cmd = [sys.executable, __file__, "--_child", "--epochs", str(args.epochs), "--members", str(m),
               "--threads", str(args.threads), "--device", args.device, "--data", args.data]
        # --passive: idle OpenMP threads sleep instead of spinning. On a shared, oversubscribed machine the
        # default spinning made 2 threads ~17x slower than 1 (54.7 vs 3.2 s/epoch); on free cores PASSIVE is
        # ~2x slower (1.6 vs 0.77 s/epoch), so it is off unless asked for.
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        if args.passive:
            env["OMP_WAIT_POLICY"] = "PASSIVE"
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if out.returncode != 0:
            print(out.stderr[-2000:], file=sys.stderr)
            continue
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    print()
    print(f"{'model':<28}{'s/epoch':>9}{'CPU s/ep':>10}{'90 epochs (s)':>15}{'peak MB':>9}  load")
    print(f"{'reference DeepSEM (1 seed)':<28}{2.1:>9}{'':>10}{188:>15}{1200:>9}  (2 cores, issue #3)")
    print(f"{'reference, 10 seeds in turn':<28}{'':>9}{'':>10}{1860:>15}{'':>9}")
    for r in rows:
        name = f"ours, {r['members']} member(s), {r['threads']} thr"
        print(f"{name:<28}{r['s_per_epoch']:>9}{r['cpu_s_per_epoch']:>10}{r['projected_90_epochs_s']:>15}"
              f"{r['peak_rss_mb']:>9}  {r['loadavg'][0]}")


if __name__ == "__main__":
    main()

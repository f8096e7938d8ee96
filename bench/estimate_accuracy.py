"""How close the Train page's estimate (core.jobs.estimate) comes to real runs on this machine.

For each family with a cost model and a few shapes, the speed calibration is measured, the estimate is taken,
the run is timed, and estimate / actual are printed side by side with their ratio. A timing target belongs here,
not in the unit tests (a shared CI machine's speed swings between the calibration and the run).

    python bench/estimate_accuracy.py [--scale 1]      # --scale 4: 4x the cells of every shape
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CASES = [  # (method, (cells, genes), params)
    ("deepsem", (300, 60), {"ensemble": 2, "epochs": 3}),
    ("deepsem", (2000, 400), {"ensemble": 2, "epochs": 2}),
    ("catran", (300, 40), {"epochs": 2, "min_steps_per_epoch": 5, "batch_cells": 128}),
    ("catran", (2000, 600), {"epochs": 1}),
    ("vae", (300, 50), {"epochs": 5}),
    ("vae", (5000, 1000), {"epochs": 2}),
    ("gmvae", (2000, 500), {"epochs": 2}),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every shape's cells by this")
    args = ap.parse_args()
    os.environ.setdefault("SCGRN_HOME", "/tmp/scgrn-bench-estimate")
    import anndata as ad
    import numpy as np
    import torch

    from core.context import RunContext
    from core.jobs import speed
    from core.jobs.estimate import estimate
    from core.models.build import train_model
    from core.registry import get_method

    rng = np.random.default_rng(0)
    print(f"{'method':8} {'cells x genes':>14} {'estimate s':>11} {'actual s':>9} {'ratio':>6}")
    for method, (n, g), params in CASES:
        n = int(n * args.scale)
        spec = get_method(method)
        adata = ad.AnnData(rng.poisson(2.0, size=(n, g)).astype(np.float32))
        train_model(spec, adata[:60, :10].copy(), RunContext(), {**params, "epochs": 1}, None)  # warm-up
        speed.measure(torch.device("cpu"))
        est = estimate(spec, n, g, spec.resolve_params(params), "cpu")
        t = time.perf_counter()
        train_model(spec, adata, RunContext(), params, None)
        actual = time.perf_counter() - t
        print(f"{method:8} {f'{n:,} x {g:,}':>14} {est.seconds:11.1f} {actual:9.1f} {actual / est.seconds:6.2f}",
              flush=True)


if __name__ == "__main__":
    main()

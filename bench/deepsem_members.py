"""Single-seed spread of DeepSEM on BEELINE: train an N-member ensemble once, score every member alone and
the ensemble (mean |W|), BEELINE conventions.

    python bench/deepsem_members.py [--case mDC_TFs500] [--members 10] [--settings non-specific cell-type-specific]
                                    [--device cpu] [--epochs N]

Members are independent models trained in one batched pass: member s starts from the same initial weights
as a 1-seed run with seed s, but all members share one minibatch order (that of the base seed) and draw their
reparameterisation noise from one stream, so it is a different draw of the same training, not the same run.
Prints per-member EPR / AUPRC ratio, their mean, min and max, and the ensemble's, beside the reference
figures of issue #3.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from beeline_case import NETS, load_case  # noqa: E402
from core.grn.edges import adjacency_to_edges  # noqa: E402
from core.grn.scoring import score_grn  # noqa: E402
from core.context import RunContext  # noqa: E402
from core.models.deepsem.model import DeepSEM  # noqa: E402

DATA = Path(os.environ.get("SCGRN_SHARED", ROOT.parent / "shared")) / "data" / "beeline"
REFERENCE = {"STRING": 1.83, "NonSpecific": 3.07, "Specific": 1.03}  # reference DeepSEM on mDC (issue #3)


def member_scores(model: DeepSEM, truth: pd.DataFrame, tfs) -> tuple[np.ndarray, dict]:
    """(per-member [EPR, AUPRC ratio] array, ensemble metrics) of a trained ensemble against one network."""
    W = model.adjacency()
    per = np.array([[m["epr"], m["auprc_ratio"]] for m in
                    (score_grn(adjacency_to_edges(np.abs(w).T, model.genes, tfs=tfs), truth) for w in W)])
    return per, score_grn(model.get_grn(tfs=tfs), truth)


def member_losses(model: DeepSEM, alpha: float, beta: float, batch_size: int = 64) -> np.ndarray:
    """Each member's training objective on all cells after training: (members, [loss, rec, kl, l1])."""
    import torch

    mod = model.module
    dev = mod.W.device
    Z = torch.as_tensor(model.data.Z, device=dev)
    M = torch.as_tensor(model.data.mask, device=dev) if model.data.mask is not None else None
    gen = torch.Generator(device=dev).manual_seed(12345)
    tot, n = None, 0
    with torch.no_grad():
        for lo in range(0, Z.shape[0], batch_size):
            out = mod(Z[lo : lo + batch_size], None if M is None else M[lo : lo + batch_size], generator=gen)
            k = min(batch_size, Z.shape[0] - lo)
            part = torch.stack([out["rec"] + beta * out["kl"] + alpha * out["l1"], out["rec"], out["kl"], out["l1"]], 1) * k
            tot = part if tot is None else tot + part
            n += k
    return (tot / n).cpu().numpy()


def save_members(path: str, model: DeepSEM, tfs, losses: np.ndarray | None = None) -> None:
    """Every member's W restricted to TF sources, W[member, target, tf] as float16, with gene and TF names."""
    genes = np.asarray(model.genes)
    src = np.flatnonzero(np.isin(genes, list(tfs)))
    W = model.adjacency()[:, :, src].astype(np.float16)
    np.savez_compressed(path, W=W, genes=genes, tfs=genes[src], losses=np.zeros((0, 4)) if losses is None else losses)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", default="mDC_TFs500")
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--settings", nargs="*", default=list(NETS))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save-w", default="", help="save every member's W (TF sources only, float16) to this .npz prefix")
    args = ap.parse_args()
    case = DATA / args.case
    if not case.is_dir():
        print(f"{case} not found (needs ../shared)")
        return 1
    adata, truths, tfs = load_case(case)
    for setting in args.settings:
        t0 = time.perf_counter()
        model = DeepSEM(adata, setting=setting, ensemble=args.members, seed=args.seed, device=args.device,
                        epochs=args.epochs)
        model.train(callbacks=[RunContext(seed=args.seed, device=args.device)])
        wall = time.perf_counter() - t0
        tr = model.config["train"]
        losses = member_losses(model, tr["alpha"], tr["beta"])
        if args.save_w:
            save_members(f"{args.save_w}_{args.case}_{setting}.npz", model, tfs, losses)
        for n in NETS[setting]:
            per, ens = member_scores(model, truths[n], tfs)
            row = {"case": args.case, "setting": setting, "network": n, "members": args.members, "wall_s": round(wall, 1),
                   "member_epr": [round(v, 3) for v in per[:, 0]], "member_auprc_ratio": [round(v, 3) for v in per[:, 1]],
                   "member_epr_mean": round(float(per[:, 0].mean()), 3), "member_epr_min": round(float(per[:, 0].min()), 3),
                   "member_epr_max": round(float(per[:, 0].max()), 3),
                   "ensemble_epr": round(ens["epr"], 3), "ensemble_auprc_ratio": round(ens["auprc_ratio"], 3),
                   "reference_epr_mDC": REFERENCE[n] if args.case.startswith("mDC") else None,
                   "member_loss": [round(float(v), 5) for v in losses[:, 0]], "member_rec": [round(float(v), 5) for v in losses[:, 1]],
                   "member_kl": [round(float(v), 5) for v in losses[:, 2]], "member_l1": [round(float(v), 6) for v in losses[:, 3]]}
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run RegDiffusion 0.2.3 (PyPI ``regdiffusion``) on a BEELINE expression.csv; used by bench/grn_beeline.py.

Runs in the separate benchmark venv (it does not import ``core``). Writes ``source, target, weight,
signed_weight`` (sources restricted to the TF list) and prints a JSON line like ``scgrn grn`` does.

    python regdiffusion_worker.py EXPRESSION.csv TFS.txt OUT.tsv [--seed 0] [--steps N]
"""

import argparse
import json
import time

import numpy as np
import pandas as pd
import regdiffusion as rd


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("expr")
    ap.add_argument("tfs")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=1000, help="training steps (RegDiffusion default 1000)")
    a = ap.parse_args()
    df = pd.read_csv(a.expr, index_col=0)  # genes x cells, log-transformed
    genes = np.asarray(df.index.astype(str))
    X = df.to_numpy(np.float32).T
    tfs = {ln.strip() for ln in open(a.tfs) if ln.strip()}
    t0 = time.perf_counter()
    trainer = rd.RegDiffusionTrainer(X, n_steps=a.steps, device="cpu", seed=a.seed)
    t1 = time.perf_counter()
    trainer.train()
    t2 = time.perf_counter()
    adj = trainer.get_adj().astype(np.float64)  # adj[source, target]
    src = np.array([i for i, g in enumerate(genes) if g in tfs])
    sub = adj[src]
    s, t = np.meshgrid(src, np.arange(len(genes)), indexing="ij")
    keep = (s != t) & (sub != 0)
    edges = pd.DataFrame({"source": genes[s[keep]], "target": genes[t[keep]], "weight": np.abs(sub[keep]), "signed_weight": sub[keep]})
    edges = edges.sort_values("weight", ascending=False, kind="stable")
    edges.to_csv(a.out, sep="\t", index=False)
    seconds = time.perf_counter() - t0
    print(json.dumps({"model": "regdiffusion", "version": rd.__version__ if hasattr(rd, "__version__") else "0.2.3",
                      "n_edges": len(edges), "seconds": round(seconds, 3), "device": "cpu", "n_cells": X.shape[0],
                      "n_genes": X.shape[1], "steps": a.steps, "seconds_per_step": round((t2 - t1) / a.steps, 5)}))


if __name__ == "__main__":
    main()

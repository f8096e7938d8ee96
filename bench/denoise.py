"""Benchmark: denoised expression. Hide 10 % of the non-zero counts, denoise, score the recovery of the hidden
values; on data simulated from a known network, also how well the gene-gene correlations are recovered.

    OMP_NUM_THREADS=1 PYTHONPATH=. python bench/denoise.py [--datasets pbmc68k,synthetic] [--epochs 200]
        [--seeds 0] [--peer-python /work/venv-bench/bin/python] [--quick] [--out rows.json]

Denoisers, all on the same masked counts: our VAE and GMVAE with NB and ZINB likelihoods
(``get_denoised(library="observed")``: the decoder's mean before zero inflation at the cell's library), scVI's
normalised expression (scvi-tools) and MAGIC (magic-impute) in a subprocess with ``--peer-python`` (they are not
in the app's environment; "not installed" rows when that python lacks them), the gene-mean floor and the masked
data itself ("no denoising", which predicts 0 for every hidden value).

Recovery (core.models.holdout.recovery, the same for every method): predictions are library-scaled (times the
cell's library before / after masking), then compared with the hidden counts: Pearson r of log1p values, median
absolute error and RMSE of log1p values.

Gene-gene correlation recovery (synthetic data only): the reference is the correlation matrix of log1p counts
per 10k of the same network sampled deep (5000 cells at a 100x library, core.data.synthetic: biological noise
only, almost no sampling noise); each method's matrix is that of log1p(its denoised counts per 10k) on the
shallow masked data; reported: Pearson r between the off-diagonal entries, and their mean absolute difference.

Datasets: pbmc68k counts (bench/pbmc_data.py; all genes with a count) and the synthetic sample (600 cells x 60
genes from a random GRN). Epochs: the same for our models and scVI (``--epochs``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def load(name: str):
    if name == "synthetic":
        from core.data.synthetic import random_network, simulate_counts

        net = random_network(n_genes=60, n_tfs=12, seed=0)
        shallow = simulate_counts(net, n_cells=600, seed=1)
        deep = simulate_counts(net, n_cells=5000, seed=2, mean_library=200_000.0)
        return np.asarray(shallow.X, np.float64), np.asarray(deep.X, np.float64)
    if name == "pbmc68k":
        from bench.pbmc_data import pbmc68k_counts

        a = pbmc68k_counts()
        X = np.asarray(a.layers["counts"] if "counts" in a.layers else a.X, np.float64)
        return X[:, X.sum(0) > 0], None
    raise SystemExit(f"unknown dataset {name}")


def lognorm(X: np.ndarray) -> np.ndarray:
    return np.log1p(X / np.maximum(X.sum(1, keepdims=True), 1e-8) * 1e4)


def corr_recovery(reference: np.ndarray, X: np.ndarray) -> dict[str, float]:
    """r and mean |difference| between the off-diagonal gene-gene correlations of ``X`` and ``reference``."""
    iu = np.triu_indices(X.shape[1], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.nan_to_num(np.corrcoef(lognorm(X), rowvar=False)[iu])
        ref = np.nan_to_num(np.corrcoef(lognorm(reference), rowvar=False)[iu])
    return {"corr_r": float(np.corrcoef(c, ref)[0, 1]), "corr_mad": float(np.abs(c - ref).mean())}


def ours(masked: np.ndarray, model: str, likelihood: str, epochs: int, seed: int,
         n_samples: tuple[int, ...] = (1,)) -> dict[int, np.ndarray]:
    """One trained model's denoised counts for each number of posterior draws of z (1: posterior mean)."""
    import anndata as ad

    from core.context import RunContext
    from core.models.build import train_model

    a = ad.AnnData(masked.astype(np.float32))
    a.layers["counts"] = a.X.copy()
    params = {"likelihood": likelihood, "epochs": epochs, **({"clusters": 10} if model == "gmvae" else {})}
    m = train_model(model, a, RunContext(seed=seed), params)
    return {n: m.get_denoised(a, library="observed", n_samples=n, seed=seed) for n in n_samples}


def peers(masked: np.ndarray, python: str, epochs: int, seed: int) -> tuple[dict, str]:
    """Run bench/denoise_peers.py with ``python``; (results, why none) ."""
    if not Path(python).exists():
        return {}, f"{python} does not exist"
    probe = subprocess.run([python, "-c", "import scvi, magic"], capture_output=True, text=True)
    if probe.returncode != 0:
        return {}, f"{python} cannot import scvi-tools / magic-impute: {probe.stderr.strip().splitlines()[-1:]}"
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        np.savez(inp, masked=masked)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(HERE.parent)}
        proc = subprocess.run([python, str(HERE / "denoise_peers.py"), str(inp), str(out), "--epochs", str(epochs),
                               "--seed", str(seed)], capture_output=True, text=True, env=env)
        if proc.stderr.strip():
            print("  [peers] " + "\n  [peers] ".join(proc.stderr.strip().splitlines()[-5:]), flush=True)
        if not out.exists():
            return {}, f"the peer run failed (exit {proc.returncode})"
        with np.load(out) as z:
            return {k: z[k] for k in z.files}, ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="pbmc68k,synthetic")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--peer-python", default="/work/venv-bench/bin/python")
    ap.add_argument("--n-samples", default="1", help="comma list of posterior draws for ours (1: posterior mean)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if args.quick:
        args.epochs, args.datasets = 3, "synthetic"
    import torch

    from core.models.holdout import gene_mean_floor, hide_counts, recovery

    torch.set_num_threads(1)
    rows = []

    def show(dataset, method, seed, pred, X, masked, hidden, reference, seconds, note=""):
        r = {"dataset": dataset, "method": method, "seed": seed, "seconds": seconds, "note": note}
        if pred is not None:
            r.update(recovery(X, masked, pred, hidden))
            if reference is not None:
                r.update(corr_recovery(reference, np.maximum(pred, 0)))
        rows.append(r)
        if pred is None:
            print(f"  {method:<22} seed {seed}  not installed: {note}", flush=True)
        else:
            print(f"  {method:<22} seed {seed}  r(log1p) {r['r_log']:.3f}  MAE {r['median_abs_error']:.3f}  "
                  f"RMSE(log1p) {r['rmse_log']:.3f}" + (f"  corr r {r['corr_r']:.3f}  corr MAD {r['corr_mad']:.3f}"
                                                        if "corr_r" in r else "") + f"  {seconds:.0f}s {note}", flush=True)
        if args.out:
            with open(args.out, "w") as fh:
                json.dump(rows, fh, indent=1, default=float)

    for name in args.datasets.split(","):
        X, reference = load(name)
        print(f"== {name}: {X.shape[0]} cells x {X.shape[1]} genes", flush=True)
        for seed in [int(s) for s in args.seeds.split(",")]:
            masked, hidden = hide_counts(X, 0.1, seed=seed)
            show(name, "no denoising (masked)", seed, masked, X, masked, hidden, reference, 0.0, "predicts 0")
            show(name, "gene-mean floor", seed, gene_mean_floor(masked), X, masked, hidden, reference, 0.0)
            for model in ("vae", "gmvae"):
                for lik in ("nb", "zinb"):
                    t = time.time()
                    preds = ours(masked, model, lik, args.epochs, seed,
                                 tuple(int(n) for n in args.n_samples.split(",")))
                    for n, pred in preds.items():
                        show(name, f"ours {model.upper()} {lik}" + (f" z x{n}" if n > 1 else ""), seed, pred, X,
                             masked, hidden, reference, time.time() - t, f"{args.epochs} epochs")
            found, why = peers(masked, args.peer_python, args.epochs, seed)
            for peer, label in (("scvi", "scVI normalised expr."), ("magic", "MAGIC")):
                if peer in found:
                    show(name, label, seed, found[peer], X, masked, hidden, reference, float(found[f"seconds_{peer}"]),
                         f"{peer} {found[f'version_{peer}']}" + (f", {args.epochs} epochs" if peer == "scvi" else ""))
                else:
                    show(name, label, seed, None, X, masked, hidden, reference, 0.0, why or f"{peer} failed")
    if rows:
        print("\n| dataset | method | seed | r (log1p) | median abs. error | RMSE (log1p) | gene-gene corr r | corr MAD | s |")
        print("|---|---|---|---|---|---|---|---|---|")
        f = lambda r, k: f"{r[k]:.3f}" if k in r else "—"  # noqa: E731
        for r in rows:
            print(f"| {r['dataset']} | {r['method']} | {r['seed']} | {f(r, 'r_log')} | {f(r, 'median_abs_error')} | "
                  f"{f(r, 'rmse_log')} | {f(r, 'corr_r')} | {f(r, 'corr_mad')} | {r['seconds']:.0f} |")


if __name__ == "__main__":
    main()

"""Benchmark: VAE / GMVAE (every likelihood), PCA floor and scvi-tools SCVI (nb, zinb) on pbmc68k counts.

    PYTHONPATH=. python bench/embed_pbmc.py [--epochs 100] [--gmvae-epochs 50] [--scvi-python /work/venv-scvi/bin/python]

Every model trains in its own subprocess (fresh peak-RSS figure, 1 torch thread each, same for SCVI, which
runs from its own venv). All latents are then scored the same way: silhouette (ASW) of bulk_labels on the
latent, ARI / NMI of Leiden (resolution 1, 15 neighbours, seed 0) vs bulk_labels. Equal architecture: one
hidden layer of 128, latent 10, dropout 0.1, batch 128, Adam lr 1e-3, KL warm-up --warmup epochs.
Throughput = cells x epochs / training seconds. GMVAE runs after the others, --jobs at a time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def worker(kind: str, likelihood: str, epochs: int, warmup: int, out: Path, clusters: int, seed: int = 0) -> None:
    import torch

    torch.set_num_threads(1)
    from pbmc_data import pbmc68k_counts

    adata = pbmc68k_counts()
    t0 = time.perf_counter()
    if kind == "pca":
        from core.models.pca.model import PCA

        latent = PCA(adata, n_comps=10).get_latent()
    else:
        from core.models.vae import GMVAE, VAE

        kw = dict(likelihood=likelihood, latent_dim=10, hidden=128, seed=seed, device="cpu", epochs=epochs, lr=1e-3,
                  batch_size=128, kl_warmup=warmup)
        model = GMVAE(adata, clusters=clusters, **kw) if kind == "gmvae" else VAE(adata, **kw)
        t0 = time.perf_counter()  # like SCVI: time train() + latent, not the model construction
        model.train()
        if not all(np.isfinite(h["terms"]["loss"]) for h in model.history):
            raise SystemExit("non-finite loss")
        latent = model.get_latent()
        if kind == "gmvae":
            np.save(out.with_suffix(".clusters.npy"), model.get_clusters())
    seconds = time.perf_counter() - t0
    np.save(out, latent)
    info = {"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "cells_trained": adata.n_obs}
    out.with_suffix(".json").write_text(json.dumps(info))


SCVI_SCRIPT = r"""
import json, resource, sys, time
import numpy as np, torch
torch.set_num_threads(1)
import scvi, anndata as ad
scvi.settings.seed = int(sys.argv[6]) if len(sys.argv) > 6 else 0
scvi.settings.num_threads = 1
lik, epochs, warmup, data, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
adata = ad.read_h5ad(data)
scvi.model.SCVI.setup_anndata(adata, layer="counts")
m = scvi.model.SCVI(adata, n_hidden=128, n_latent=10, n_layers=1, dropout_rate=0.1, gene_likelihood=lik)
t0 = time.perf_counter()
kw = dict(max_epochs=epochs, batch_size=128, early_stopping=False, enable_progress_bar=False,
          plan_kwargs={"lr": 1e-3, "n_epochs_kl_warmup": warmup}, accelerator="cpu")
try:
    m.train(train_size=1.0, **kw); trained = adata.n_obs
    print("trained with train_size=1.0", file=sys.stderr)
except Exception as exc:  # older versions insist on a validation split
    print("train_size=1.0 refused:", exc, file=sys.stderr)
    m.train(train_size=0.9, **kw); trained = int(0.9 * adata.n_obs)
seconds = time.perf_counter() - t0
z = m.get_latent_representation()
np.save(out, z)
hist = np.asarray(m.history["elbo_train"].to_numpy(), dtype=float).ravel()
json.dump({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "cells_trained": trained, "nan": bool(not np.isfinite(hist).all()), "version": scvi.__version__},
          open(out[:-4] + ".json", "w"))
"""


def launch(cmd: list[str], env: dict) -> tuple[int, str]:
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return p.returncode, (p.stderr or "")[-800:]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--gmvae-epochs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=25)
    ap.add_argument("--clusters", type=int, default=10)
    ap.add_argument("--likelihoods", default="gaussian,cb,poisson,zip,nb,zinb")
    ap.add_argument("--scvi-python", default="/work/venv-scvi/bin/python")
    ap.add_argument("--jobs", type=int, default=2, help="GMVAE workers in parallel")
    ap.add_argument("--repeat", type=int, default=1, help="run VAE/SCVI this many times (interleaved)")
    ap.add_argument("--seeds", type=int, nargs="*", default=[0],
                    help="VAE/SCVI seeds (each run once per seed, interleaved); several seeds add a mean +- sd table")
    ap.add_argument("--skip", default="", help="comma list of kinds to skip: pca,vae,gmvae,scvi")
    ap.add_argument("--worker", nargs=7, metavar=("KIND", "LIK", "EPOCHS", "WARMUP", "OUT", "CLUSTERS", "SEED"))
    args = ap.parse_args()
    if args.worker:
        k, lik, ep, wu, out, cl, sd = args.worker
        return worker(k, lik, int(ep), int(wu), Path(out), int(cl), int(sd))

    from pbmc_data import pbmc68k_counts

    import anndata as ad

    from core.embedding import metrics as M
    from core.embedding.tools import neighbours_leiden_umap

    skip = set(filter(None, args.skip.split(",")))
    liks = args.likelihoods.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="embed_bench_"))
    adata = pbmc68k_counts()
    data_path = tmp / "pbmc.h5ad"
    adata.write_h5ad(data_path)
    labels = adata.obs["bulk_labels"].astype(str).to_numpy()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    me = [sys.executable, str(Path(__file__).resolve()), "--worker"]

    runs = []  # (name, kind, likelihood, epochs, cmd, out)
    if "pca" not in skip:
        runs.append(("PCA + Leiden", "pca", "-", 0, me + ["pca", "-", "0", "0", str(tmp / "pca.npy"), "0", "0"], tmp / "pca.npy"))
    script = tmp / "scvi_run.py"
    script.write_text(SCVI_SCRIPT)
    # repeats and seeds interleave ours and SCVI, so CPU-load drifts hit both alike
    for rep, seed in itertools.product(range(args.repeat), args.seeds):
        tag = (f" #{rep + 1}" if args.repeat > 1 else "") + (f" s{seed}" if len(args.seeds) > 1 else "")
        for lik in liks:
            if "vae" not in skip:
                o = tmp / f"vae_{lik}_{rep}_{seed}.npy"
                runs.append((f"VAE {lik}{tag}", "vae", lik, args.epochs,
                             me + ["vae", lik, str(args.epochs), str(args.warmup), str(o), "0", str(seed)], o))
            if "scvi" not in skip and lik in ("nb", "zinb") and Path(args.scvi_python).exists():
                o = tmp / f"scvi_{lik}_{rep}_{seed}.npy"
                runs.append((f"SCVI {lik}{tag}", "scvi", lik, args.epochs,
                             [args.scvi_python, str(script), lik, str(args.epochs), str(args.warmup), str(data_path),
                              str(o), str(seed)], o))
    gm = []
    if "gmvae" not in skip:
        for lik in liks:
            o = tmp / f"gmvae_{lik}.npy"
            gm.append((f"GMVAE {lik}", "gmvae", lik, args.gmvae_epochs,
                       me + ["gmvae", lik, str(args.gmvae_epochs), str(args.warmup), str(o), str(args.clusters), "0"], o))

    results = {}

    def go(run):
        name, *_, cmd, out = run
        t = time.time()
        rc, err = launch(cmd, env)
        results[name] = (rc, err, os.getloadavg()[0])
        print(f"  done {name} rc={rc} in {time.time() - t:.0f}s load {os.getloadavg()[0]:.1f}", flush=True)

    print(f"pbmc68k_reduced counts: {adata.n_obs} cells x {adata.n_vars} genes; load {os.getloadavg()}", flush=True)
    for run in runs:
        go(run)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(go, gm))

    rows = []
    for name, kind, lik, epochs, _, out in runs + gm:
        rc, err, load = results[name]
        if rc != 0 or not out.exists():
            rows.append({"model": name, "error": err.strip().splitlines()[-1] if err.strip() else f"rc {rc}"})
            continue
        info = json.loads(out.with_suffix(".json").read_text())
        z = np.load(out)
        a = ad.AnnData(np.zeros((len(z), 1), np.float32), obs=adata.obs[["bulk_labels"]].copy())
        a.obsm["X_lat"] = z
        neighbours_leiden_umap(a, "X_lat", umap=False)
        leiden = a.obs["leiden"].to_numpy()
        row = {"model": name, "asw": M.asw(z, labels), "ari": M.ari(leiden, labels), "nmi": M.nmi(leiden, labels),
               "nan": bool(not np.isfinite(z).all() or info.get("nan", False)),
               "active": M.active_units(M.latent_activity(z)), "seconds": info["seconds"],
               "peak_mb": info["peak_mb"], "load": load,
               "throughput": info["cells_trained"] * epochs / info["seconds"] if epochs else None}
        cl = out.with_suffix(".clusters.npy")
        if cl.exists():
            y = np.load(cl)
            row["gm_ari"] = M.ari(y, labels)
            row["gm_k"] = len(np.unique(y))
        rows.append(row)

    f = lambda v, p=3: "-" if v is None else (f"{v:.{p}f}" if isinstance(v, float) else str(v))  # noqa: E731
    head = f"{'model':<16}{'ASW':>8}{'ARI':>8}{'NMI':>8}{'active':>7}{'NaN':>5}{'wall s':>9}{'peak MB':>9}{'cells*ep/s':>11}{'load':>6}  GMVAE clusters"
    print(f"\nepochs {args.epochs} (GMVAE {args.gmvae_epochs}), KL warm-up {args.warmup}, latent 10, hidden 128")
    print(head)
    print("-" * len(head))
    for r in rows:
        if "error" in r:
            print(f"{r['model']:<16} FAILED: {r['error']}")
            continue
        extra = f"  ARI {r['gm_ari']:.3f} (k={r['gm_k']})" if "gm_ari" in r else ""
        print(f"{r['model']:<16}{f(r['asw'], 4):>8}{f(r['ari'], 4):>8}{f(r['nmi'], 4):>8}{r['active']:>7}{'yes' if r['nan'] else 'no':>5}"
              f"{f(r['seconds'], 1):>9}{f(r['peak_mb'], 0):>9}{f(r['throughput'], 0):>11}{r['load']:>6.1f}{extra}")
    if len(args.seeds) > 1:  # mean +- sd over seeds per model (name without the seed tag)
        groups: dict[str, list[dict]] = {}
        for r in rows:
            if "error" not in r and " s" in r["model"]:
                groups.setdefault(r["model"].rsplit(" s", 1)[0], []).append(r)
        print(f"\nmean +- sd over seeds {args.seeds}")
        print(f"{'model':<16}{'ASW':>16}{'ARI':>16}{'NMI':>16}{'cells*ep/s':>12}")
        for name, rs in groups.items():
            cell = lambda k: f"{np.mean([r[k] for r in rs]):.4f}+-{np.std([r[k] for r in rs]):.4f}"  # noqa: E731
            print(f"{name:<16}{cell('asw'):>16}{cell('ari'):>16}{cell('nmi'):>16}{np.mean([r['throughput'] for r in rs]):>12.0f}")
    (Path(__file__).parent / "embed_pbmc_results.json").write_text(json.dumps(rows, indent=1))
    print(f"latents kept in {tmp}")


if __name__ == "__main__":
    main()

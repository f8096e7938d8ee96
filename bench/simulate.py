"""Benchmark: do simulated cells look real? scGAN / cscGAN (the peers, Marouf et al. 2020) beside our VAE,
GMVAE and DeepSEM, plus the naive peer, on the same real cells, over several seeds.

    OMP_NUM_THREADS=1 PYTHONPATH=. python bench/simulate.py [--datasets synthetic,pbmc68k] [--seeds 0,1,2]
        [--models scgan,cscgan,vae,gmvae,deepsem] [--vae-epochs 300] [--gan-epochs 300] [--deepsem-epochs 150]
        [--pbmc-genes 100] [--quick] [--out rows.json]

For each dataset and seed: train every model on the raw counts (core.models.build.train_model, the app's path),
simulate as many cells as there are real ones and compare them with the real cells on the scale the model's
cells are on (core.simulation.task.compare_simulated: RF classifier AUC on 50 PCs, grouped folds for perturbed
cells; per-gene mean / variance / zero-fraction r; energy coefficient; nearest-real ratio; GRN overlap at top
10%). VAE / GMVAE: perturb (posterior draw, noise 1) and prior sampling from one training; DeepSEM:
cell-type-specific preset, keep-zeros perturbation (its best AUC in earlier runs); scGAN / cscGAN: generator
samples (cscGAN in the training cluster proportions, conditioned on the data's cell-type column or Leiden
clusters). Wall time = train + simulate; peak memory = highest RSS above the start (bench/peak_memory.py).
Epochs are cut to fit ~15 min on a shared 2-core CPU (see --help); the GANs get far fewer generator steps than
in the scGAN paper, which the results file states.

Datasets: the synthetic sample (600 cells x 60 genes, core.data.synthetic) and pbmc68k counts
(scanpy's pbmc68k_reduced, counts = round(expm1(raw.X) * n_counts / 1e4)), restricted to the
``--pbmc-genes`` most variable genes (scanpy 'seurat' flavour on log-normalised counts) so that DeepSEM trains in minutes on a CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np


def load(name: str, pbmc_genes: int):
    if name == "synthetic":
        from core.data.synthetic import synthetic_dataset

        return synthetic_dataset(n_cells=600, n_genes=60, n_tfs=12, seed=0)[0]
    if name == "pbmc68k":
        import scanpy as sc

        from core.data.sample import pbmc68k_counts

        a = pbmc68k_counts()
        a = a[:, np.asarray(a.X).sum(0) > 0].copy()
        lg = a.copy()
        sc.pp.normalize_total(lg, target_sum=1e4)
        sc.pp.log1p(lg)
        sc.pp.highly_variable_genes(lg, n_top_genes=pbmc_genes, flavor="seurat")
        return a[:, lg.var["highly_variable"].to_numpy()].copy()
    raise SystemExit(f"unknown dataset {name}")


GAN_BENCH = {"generator_widths": "128,256", "critic_widths": "256,128", "latent_dim": 64, "critic_steps": 5,
             "batch_size": 128, "lr_generator": 2e-4, "lr_critic": 2e-4}


def variants(model_name: str):
    """(label, simulation options) per trained model."""
    if model_name in ("vae", "gmvae"):
        return [("perturb", {"mode": "perturb", "noise": 1.0}), ("prior", {"mode": "prior"})]
    if model_name == "deepsem":
        return [("CTS keep-zeros", {"noise": 1.0, "keep_zeros": True})]
    return [("", {})]


def params_for(model_name: str, args) -> dict:
    if model_name in ("scgan", "cscgan"):
        return {**GAN_BENCH, "epochs": args.gan_epochs}
    if model_name == "vae":
        return {"likelihood": "nb", "epochs": args.vae_epochs}
    if model_name == "gmvae":
        return {"likelihood": "nb", "epochs": args.vae_epochs, "clusters": 10}
    return {"setting": "cell-type-specific", "epochs": args.deepsem_epochs, "ensemble": 1, "layer": "counts"}


def row(dataset, model, seed, res, seconds, peak_mb, note="", cpu=0.0):
    s = res.summary
    return {"dataset": dataset, "model": model, "seed": seed, "auc": s["classifier_auc"], "mean_r": s["mean_corr"],
            "var_r": s["var_corr"], "zero_r": s["zero_frac_corr"], "energy_coef": s["energy_coefficient"],
            "nn_ratio": s.get("nn_distance_ratio", float("nan")), "grn10": s.get("grn_overlap_10", float("nan")),
            "seconds": seconds, "cpu_s": cpu, "peak_mb": peak_mb, "load": os.getloadavg()[0], "note": note}


COLS = ("auc", "mean_r", "var_r", "zero_r", "energy_coef", "nn_ratio", "grn10", "seconds", "cpu_s", "peak_mb")
WHOLE = ("seconds", "cpu_s", "peak_mb")


def table(df) -> str:
    """Markdown: mean ± sd over seeds per dataset and model (wall / CPU seconds and peak MB: means)."""
    lines = ["| dataset | model | seeds | classifier AUC | mean r | var r | zero-frac r | energy coef | NN ratio | "
             "GRN@10% | wall s | CPU s | peak MB |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for (ds, model), part in df.groupby(["dataset", "model"], sort=False):
        cells = [f"{part[c].mean():.0f}" if c in WHOLE else
                 f"{part[c].mean():.3f} ± {part[c].std(ddof=0):.3f}" if len(part) > 1 else f"{part[c].mean():.3f}"
                 for c in COLS]
        lines.append(f"| {ds} | {model} | {len(part)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="synthetic,pbmc68k")
    ap.add_argument("--models", default="scgan,cscgan,vae,gmvae,deepsem")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--vae-epochs", type=int, default=300, help="VAE / GMVAE epochs (the app's rule: ~1000 here)")
    ap.add_argument("--gan-epochs", type=int, default=300, help="scGAN / cscGAN epochs (one generator step each here)")
    ap.add_argument("--deepsem-epochs", type=int, default=None, help="default: the preset's 150")
    ap.add_argument("--pbmc-genes", type=int, default=100)
    ap.add_argument("--quick", action="store_true", help="few epochs, one seed (smoke test)")
    ap.add_argument("--out", default=None, help="write the rows as JSON")
    args = ap.parse_args()
    if args.quick:
        args.vae_epochs, args.gan_epochs, args.deepsem_epochs, args.pbmc_genes, args.seeds = 5, 5, 2, 30, "0"

    import torch

    from bench.peak_memory import PeakMemory
    from core.context import RunContext
    from core.models.build import train_model
    from core.simulation.naive import naive_peer
    from core.simulation.simulate import simulate
    from core.simulation.task import compare_simulated

    torch.set_num_threads(1)
    rows = []
    labels = {"scgan": "scGAN", "cscgan": "cscGAN", "vae": "VAE nb", "gmvae": "GMVAE nb", "deepsem": "DeepSEM"}

    def show(r):
        rows.append(r)
        print(f"  {r['model']:<24} seed {r['seed']}  AUC {r['auc']:.3f}  mean r {r['mean_r']:.3f}  var r {r['var_r']:.3f}  "
              f"zero r {r['zero_r']:.3f}  energy coef {r['energy_coef']:.3f}  NN ratio {r['nn_ratio']:.2f}  "
              f"GRN@10% {r['grn10']:.3f}  {r['seconds']:.0f}s (cpu {r.get('cpu_s', 0):.0f}s)  {r['peak_mb']:.0f} MB  load {r['load']:.1f} {r['note']}",
              flush=True)

    t_all = time.time()
    for name in args.datasets.split(","):
        real = load(name, args.pbmc_genes)
        n = real.n_obs
        print(f"== {name}: {real.n_obs} cells x {real.n_vars} genes", flush=True)
        show(row(name, "naive peer", 0, compare_simulated(real, naive_peer(real, seed=1), embed=False), 0.0, 0.0))
        show(row(name, "real half vs half (floor)", 0, compare_simulated(real[: n // 2], real[n // 2:], embed=False),
                 0.0, 0.0))
        for seed in [int(x) for x in args.seeds.split(",")]:
            for model_name in args.models.split(","):
                with PeakMemory() as mem:
                    t, c = time.time(), time.process_time()
                    model = train_model(model_name, real, RunContext(seed=seed), params_for(model_name, args))
                    train_s = time.time() - t
                    sims = []
                    for label, opts in variants(model_name):
                        t = time.time()
                        sims.append((label, simulate(model, n, adata=real, seed=seed, **opts), time.time() - t))
                    cpu = time.process_time() - c
                for label, sim, sim_s in sims:
                    res = compare_simulated(real, sim, model, embed=False, seed=seed)
                    show(row(name, f"{labels[model_name]} {label}".strip(), seed, res, train_s + sim_s, mem.peak_mb,
                             f"{len(model.history)} epochs", cpu))
                    if args.out:  # rows so far (a long run cut short keeps them)
                        with open(args.out, "w") as fh:
                            json.dump(rows, fh, indent=1, default=float)

    import pandas as pd

    df = pd.DataFrame(rows)
    print(f"\nwall time {time.time() - t_all:.0f}s; mean ± sd over seeds "
          f"({df[~df['model'].isin(['naive peer', 'real half vs half (floor)'])]['seed'].nunique()} seeds)\n")
    print(table(df))
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1, default=float)


if __name__ == "__main__":
    main()

"""Benchmark: do simulated cells look real? DeepSEM and VAE/GMVAE vs the naive peer.

    PYTHONPATH=. python bench/simulate.py [--datasets synthetic,pbmc68k] [--likelihoods nb,zinb,poisson]
        [--vae-epochs N] [--deepsem-epochs 90] [--noise 1.0] [--pbmc-genes 100] [--quick]

For each dataset: train DeepSEM (non-specific preset, one member) and a VAE / GMVAE per likelihood on the
raw counts, simulate as many cells as there are real ones, and compare with the real cells
(core.simulation.compare: RF classifier AUC on 50 PCs, per-gene correlations, energy distance, GRN
consistency at K = 10% with Pearson). Perturbed cells are kept in their originating cell's cross-validation
fold (grouped folds); VAE / GMVAE epochs default to core.simulation.quick.default_vae_epochs (scvi's rule
raised to at least 6000 mini-batch steps, at most 1000 epochs). The naive peer draws each gene independently from its empirical
distribution. Targets (issue 5): AUC <= 0.6 for our best model and clearly below the naive peer.

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


def row(dataset, model, res, seconds, extra=""):
    s = res.summary
    return {"dataset": dataset, "model": model, "auc": s["classifier_auc"], "mean_r": s["mean_corr"],
            "var_r": s["var_corr"], "zero_r": s["zero_frac_corr"], "energy": s["energy_distance"],
            "energy_coef": s["energy_coefficient"], "nn_ratio": s.get("nn_distance_ratio", float("nan")), "grn10": s.get("grn_overlap_10", float("nan")),
            "train_s": seconds, "load": os.getloadavg()[0], "note": extra,
            "grouped": bool(s.get("classifier_grouped", False))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="synthetic,pbmc68k")
    ap.add_argument("--likelihoods", default="nb,zinb,poisson", help="VAE likelihoods")
    ap.add_argument("--gmvae-likelihoods", default="nb")
    ap.add_argument("--models", default="deepsem,vae,gmvae")
    ap.add_argument("--vae-epochs", type=int, default=None, help="default: default_vae_epochs(n_cells)")
    ap.add_argument("--deepsem-epochs", type=int, default=None, help="default: the preset's 90")
    ap.add_argument("--noise", type=float, default=1.0, help="VAE/GMVAE latent noise (perturb mode)")
    ap.add_argument("--pbmc-genes", type=int, default=100)
    ap.add_argument("--quick", action="store_true", help="few epochs, one likelihood (smoke test)")
    ap.add_argument("--no-peers", action="store_true", help="skip the naive peer and real-half rows")
    ap.add_argument("--out", default=None, help="write the rows as JSON")
    args = ap.parse_args()
    if args.quick:
        args.vae_epochs, args.deepsem_epochs, args.likelihoods, args.pbmc_genes = 5, 2, "nb", 30

    from core.context import RunContext
    from core.simulation.naive import naive_peer
    from core.simulation.quick import train_model
    from core.simulation.simulate import simulate
    from core.simulation.task import compare_simulated

    rows = []
    models = args.models.split(",")

    def show(r):
        rows.append(r)
        print(f"  {r['model']:<26} AUC {r['auc']:.3f}  mean r {r['mean_r']:.3f}  var r {r['var_r']:.3f}  "
              f"zero r {r['zero_r']:.3f}  energy {r['energy']:.3f}  NN ratio {r['nn_ratio']:.2f}  GRN@10% {r['grn10']:.3f}  "
              f"train {r['train_s']:.0f}s  load {r['load']:.1f} {r['note']}", flush=True)

    for name in args.datasets.split(","):
        real = load(name, args.pbmc_genes)
        n = real.n_obs
        print(f"== {name}: {real.n_obs} cells x {real.n_vars} genes", flush=True)
        if not args.no_peers:
            show(row(name, "naive peer", compare_simulated(real, naive_peer(real, seed=1), embed=False), 0.0))
            half = compare_simulated(real[: n // 2], real[n // 2 :], embed=False)
            show(row(name, "real half vs half (floor)", half, 0.0))
        for setting in [s for s in ("non-specific", "cell-type-specific") if "deepsem" in models]:
            t = time.time()
            m = train_model(real, "deepsem", RunContext(seed=0), epochs=args.deepsem_epochs, setting=setting)
            sec = time.time() - t
            short = "NS" if setting == "non-specific" else "CTS"
            for kz in (True, False):
                sim = simulate(m, n, adata=real, noise=1.0, keep_zeros=kz, seed=0)
                show(row(name, f"DeepSEM {short}{' keep-zeros' if kz else ''}", compare_simulated(real, sim, embed=False),
                         sec, f"{setting}, noise 1.0, log scale"))
        for model in [m for m in models if m in ("vae", "gmvae")]:
            for lik in (args.likelihoods if model == "vae" else args.gmvae_likelihoods).split(","):
                t = time.time()
                kw = {"clusters": 10} if model == "gmvae" else {}
                m = train_model(real, model, RunContext(seed=0), likelihood=lik, epochs=args.vae_epochs, **kw)
                sec = time.time() - t
                ep = len(m.history)
                sim = simulate(m, n, adata=real, mode="perturb", noise=args.noise, seed=0)
                show(row(name, f"{model.upper()} {lik} perturb", compare_simulated(real, sim, embed=False), sec,
                         f"noise {args.noise}, {ep} epochs"))
                sim = simulate(m, n, mode="prior", seed=0)
                show(row(name, f"{model.upper()} {lik} prior", compare_simulated(real, sim, embed=False), sec,
                         f"{ep} epochs"))

    print("\n| dataset | model | classifier AUC | mean r | var r | zero-frac r | energy | NN ratio | GRN@10% | train s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dataset']} | {r['model']} | {r['auc']:.3f} | {r['mean_r']:.3f} | {r['var_r']:.3f} | "
              f"{r['zero_r']:.3f} | {r['energy']:.3f} | {r['nn_ratio']:.2f} | {r['grn10']:.3f} | {r['train_s']:.0f} |")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1, default=float)


if __name__ == "__main__":
    main()

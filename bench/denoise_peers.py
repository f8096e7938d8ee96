"""Peer denoisers for bench/denoise.py, run in a subprocess with the benchmark venv (scvi-tools, magic-impute):

    /work/venv-bench/bin/python bench/denoise_peers.py IN.npz OUT.npz --epochs 200 --seed 0

IN.npz holds ``masked`` (cells x genes counts with hidden entries set to 0). OUT.npz gets, per peer that ran,
expected counts at each cell's masked library size: ``scvi`` (scVI's normalised expression, NB, 10 latent
dims, scvi-tools defaults otherwise, times the cell's library) and ``magic`` (MAGIC on library-normalised,
square-root-transformed counts, back-transformed and rescaled to the cell's library: the MAGIC tutorial's
preprocessing), plus ``seconds_<peer>`` and ``version_<peer>``; a peer that fails is reported on stderr and
left out.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def run_scvi(masked: np.ndarray, epochs: int, seed: int) -> tuple[np.ndarray, str]:
    import anndata as ad
    import scvi

    scvi.settings.seed = seed
    a = ad.AnnData(masked.astype(np.float32))
    scvi.model.SCVI.setup_anndata(a)
    m = scvi.model.SCVI(a, n_latent=10, gene_likelihood="nb")
    m.train(max_epochs=epochs, accelerator="cpu", enable_progress_bar=False)
    frac = np.asarray(m.get_normalized_expression(library_size=1.0, return_numpy=True))
    return frac * masked.sum(1, keepdims=True), scvi.__version__


def run_magic(masked: np.ndarray, seed: int) -> tuple[np.ndarray, str]:
    import magic

    lib = masked.sum(1, keepdims=True)
    scale = float(np.median(lib))
    sq = np.sqrt(masked / np.maximum(lib, 1e-8) * scale)
    smooth = np.asarray(magic.MAGIC(random_state=seed, verbose=0, n_jobs=1).fit_transform(sq))
    expr = np.maximum(smooth, 0) ** 2
    return expr / np.maximum(expr.sum(1, keepdims=True), 1e-8) * lib, magic.__version__


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--peers", default="scvi,magic")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    masked = np.load(args.inp)["masked"]
    out = {}
    for peer in args.peers.split(","):
        t = time.time()
        try:
            pred, version = run_scvi(masked, args.epochs, args.seed) if peer == "scvi" else run_magic(masked, args.seed)
        except Exception as exc:  # noqa: BLE001 - reported, the benchmark prints a "failed" row
            print(f"{peer} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        out[peer], out[f"seconds_{peer}"], out[f"version_{peer}"] = pred, time.time() - t, version
    np.savez(args.out, **out)


if __name__ == "__main__":
    main()

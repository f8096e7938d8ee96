"""``scgrn simulate SOURCE --n-cells N [--noise S] [--component k] [--seed S] --out SIM.h5ad``.

SOURCE is a finished training run directory (DeepSEM, VAE or GMVAE), or a data file together with
``--model deepsem|vae|gmvae [--likelihood ...] [--epochs N]``: the model is trained first, then simulates.
"""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("simulate", help="simulate cells from a trained run (or train on a data file first)")
    p.add_argument("source", help="finished run directory (or run id), or a data file with --model")
    p.add_argument("--n-cells", type=int, required=True, help="number of cells to simulate")
    p.add_argument("--noise", type=float, default=None,
                   help="latent noise scale for perturbing real cells (default 1.0 = the posterior's own spread)")
    p.add_argument("--component", type=int, default=None, help="GMVAE: simulate cells of this component")
    p.add_argument("--mode", choices=["auto", "prior", "perturb"], default="auto",
                   help="VAE/GMVAE: sample the prior or perturb encoded cells (auto: perturb unless --component)")
    p.add_argument("--no-keep-zeros", action="store_true", help="DeepSEM: do not copy the originating cell's zeros")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output .h5ad")
    p.add_argument("--model", choices=["deepsem", "vae", "gmvae"], default=None, help="train this model on a data file first")
    p.add_argument("--likelihood", default=None, help="VAE/GMVAE likelihood (default nb)")
    p.add_argument("--clusters", type=int, default=None, help="GMVAE components (default 10)")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default: DeepSEM its preset's; VAE/GMVAE scaled to the data size, see core.simulation.quick.default_vae_epochs)")
    p.add_argument("--compare", action="store_true", help="also compare with the real cells (adds the metrics to the JSON)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import InputError
    from ..simulation.simulate import simulate, simulate_from_run
    from . import emit

    source = Path(args.source)
    keep_zeros = not args.no_keep_zeros
    is_run = (source / "params.json").exists() or (not source.exists() and args.model is None)
    if is_run:
        if args.model:
            raise InputError("--model trains on a data file; SOURCE is a run directory (drop --model).")
        from ..data.store import load_prepared
        from ..jobs.rundir import get_run

        real = load_prepared(get_run(args.source).params["dataset"])
        sim = simulate_from_run(args.source, args.n_cells, args.noise, args.component, args.seed,
                                mode=args.mode, keep_zeros=keep_zeros, adata=real)
    else:
        if args.model is None:
            raise InputError(f"{args.source} is not a run directory; to train on a data file give --model deepsem|vae|gmvae.")
        from ..io.expression import read_expression
        from ..context import RunContext
        from ..simulation.quick import train_model

        real = read_expression(args.source)
        ctx = RunContext(seed=args.seed, verbose=True)
        model = train_model(real, args.model, ctx, likelihood=args.likelihood, epochs=args.epochs, clusters=args.clusters)
        sim = simulate(model, args.n_cells, adata=real, noise=args.noise, component=args.component, mode=args.mode,
                       keep_zeros=keep_zeros, seed=args.seed, run_id=f"{args.model}:{source.name}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sim.write_h5ad(out, compression="gzip")
    result = {"out": str(out), "n_cells": int(sim.n_obs), "n_genes": int(sim.n_vars), "run_id": sim.uns.get("run_id"),
              **{f"simulation_{k}": v for k, v in sim.uns.get("simulation", {}).items()}}
    print(f"wrote {sim.n_obs} simulated cells x {sim.n_vars} genes to {out}")
    if args.compare:
        from ..simulation.readings import readings
        from ..simulation.task import SCALAR_KEYS, compare_simulated

        res = compare_simulated(real, sim, embed=False, seed=args.seed)
        for line in readings(res.summary):
            print(line)
        result.update({k: res.summary[k] for k in SCALAR_KEYS if k in res.summary})
    emit(result)
    return 0

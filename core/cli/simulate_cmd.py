"""``scgrn simulate SOURCE --n-cells N [--option K=V ...] [--seed S] --out SIM.h5ad``.

SOURCE is a finished training run directory (or id) of a method that can simulate, or a data file together
with ``--model NAME [--param K=V ...]``: the model is trained first, then simulates. ``--option`` sets the
family's simulation options (e.g. noise, mode, component, keep_zeros); ``--noise``, ``--mode``,
``--component`` and ``--no-keep-zeros`` are shorthands for them.
"""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    from ..registry import methods

    names = sorted(methods("simulate"))
    p = sub.add_parser("simulate", help="simulate cells from a trained run (or train on a data file first)")
    p.add_argument("source", help="finished run directory (or run id), or a data file with --model")
    p.add_argument("--n-cells", type=int, required=True, help="number of cells to simulate")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="simulation option of the model's family (repeatable)")
    p.add_argument("--noise", type=float, default=None, help="latent noise (posterior standard deviations)")
    p.add_argument("--component", type=int, default=None, help="mixture models: simulate cells of this component")
    p.add_argument("--mode", default=None, help="e.g. prior or perturb (families that have modes)")
    p.add_argument("--no-keep-zeros", action="store_true", help="do not copy the originating cell's zeros (DeepSEM)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output .h5ad")
    p.add_argument("--model", default=None, help=f"train this model on a data file first: {', '.join(names)}")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="training parameter of --model (repeatable), e.g. likelihood=nb, epochs=100")
    p.add_argument("--compare", action="store_true", help="also compare with the real cells (adds the metrics to the JSON)")
    p.set_defaults(func=run)


def _options(args) -> dict:
    """The simulation options given (the family's spec refuses the ones it does not have)."""
    from . import key_values

    given = {"noise": args.noise, "component": args.component, "mode": args.mode,
             "keep_zeros": False if args.no_keep_zeros else None, **key_values(args.option, "--option")}
    return {k: v for k, v in given.items() if v is not None}


def run(args) -> int:
    from ..errors import InputError
    from ..simulation.simulate import load_run_model, simulate
    from . import emit, key_values

    from . import output_path

    output_path(args.out)

    source = Path(args.source)
    is_run = (source / "params.json").exists() or (not source.exists() and args.model is None)
    if is_run:
        if args.model:
            raise InputError("--model trains on a data file; SOURCE is a run directory (drop --model).")
        from ..data.store import load_prepared
        from ..jobs.rundir import get_run

        run = get_run(args.source)
        real = load_prepared(run.params["dataset"])
        model, _ = load_run_model(args.source, real)
        run_id = run.id
    else:
        if args.model is None:
            raise InputError(f"{args.source} is not a run directory; to train on a data file give --model NAME.")
        from ..context import RunContext
        from ..io.expression import read_expression
        from ..models.build import train_model
        from ..registry import get_method

        spec = get_method(args.model)
        if not spec.can("simulate"):
            raise InputError(f"{spec.label} cannot simulate cells.")
        real = read_expression(args.source)
        model = train_model(spec, real, RunContext(seed=args.seed, verbose=True), key_values(args.param, "--param"))
        run_id = f"{args.model}:{source.name}"
    sim = simulate(model, args.n_cells, adata=real, seed=args.seed, run_id=run_id, **_options(args))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sim.write_h5ad(out, compression="gzip")
    result = {"out": str(out), "n_cells": int(sim.n_obs), "n_genes": int(sim.n_vars), "run_id": sim.uns.get("run_id"),
              **{f"simulation_{k}": v for k, v in sim.uns.get("simulation", {}).items()}}
    print(f"wrote {sim.n_obs} simulated cells x {sim.n_vars} genes to {out}")
    if args.compare:
        from ..simulation.readings import readings
        from ..simulation.task import SCALAR_KEYS, compare_simulated

        res = compare_simulated(real, sim, model, embed=False, seed=args.seed)
        for line in readings(res.summary):
            print(line)
        result.update({k: res.summary[k] for k in SCALAR_KEYS if k in res.summary})
    emit(result)
    return 0

"""``scgrn denoise SOURCE [--model vae|gmvae --param K=V ...] [--library observed|N] --out OUT.h5ad``.

SOURCE is a finished training run (directory or id) of a method with the ``denoise`` capability, or a data
file together with ``--model NAME``: the model is trained first. Writes the data (the model's genes) with the
model's expected expression in ``layers["denoised"]``; the last line is JSON.
"""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    from ..registry import methods

    names = sorted(methods("denoise"))
    p = sub.add_parser("denoise", help="expected (denoised) expression per cell and gene from a VAE / GMVAE")
    p.add_argument("source", help="finished run directory (or run id), or a data file with --model")
    p.add_argument("--model", default=None, help=f"train this model on a data file first: {', '.join(names)}")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="training parameter of --model (repeatable), e.g. likelihood=zinb, epochs=100")
    p.add_argument("--library", default="observed",
                   help="count models: 'observed' (each cell's library size) or a number, e.g. 10000")
    p.add_argument("--n-samples", type=int, default=1, help="average over this many posterior draws (1: posterior mean)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output .h5ad")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import InputError
    from . import emit, key_values

    source = Path(args.source)
    is_run = (source / "params.json").exists() or (not source.exists() and args.model is None)
    if is_run:
        if args.model:
            raise InputError("--model trains on a data file; SOURCE is a run directory (drop --model).")
        from ..data.store import load_prepared
        from ..jobs.rundir import get_run
        from ..simulation.simulate import load_run_model

        run = get_run(args.source)
        data = load_prepared(run.params["dataset"])
        model, _ = load_run_model(args.source, data)
        source_id = run.id
    else:
        if args.model is None:
            raise InputError(f"{args.source} is not a run directory; to train on a data file give --model NAME.")
        from ..context import RunContext
        from ..io.expression import read_expression
        from ..models.build import train_model
        from ..registry import get_method

        spec = get_method(args.model)
        if not spec.can("denoise"):
            raise InputError(f"{spec.label} cannot denoise expression; use one of: vae, gmvae.")
        data = read_expression(args.source)
        model = train_model(spec, data, RunContext(seed=args.seed, verbose=True), key_values(args.param, "--param"))
        source_id = f"{args.model}:{source.name}"
    if not model.spec.can("denoise"):
        raise InputError(f"{model.spec.label} cannot denoise expression; use a VAE or GMVAE run.")
    library = args.library if args.library == "observed" else args.library
    out = model.denoise(data, library=library, n_samples=args.n_samples, seed=args.seed)
    out.uns["denoised"]["source"] = source_id
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.write_h5ad(path, compression="gzip")
    print(f"wrote {out.n_obs} cells x {out.n_vars} genes with layers['denoised'] to {path}")
    emit({"out": str(path), "n_cells": int(out.n_obs), "n_genes": int(out.n_vars), "model": model.spec.name,
          "source": source_id, "layer": "denoised", "library": library})
    return 0

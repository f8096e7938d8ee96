"""``scgrn compare REAL SIM [--layer ...]``: compare real and simulated cells (JSON on the last line)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("compare", help="compare real and simulated cells: classifier AUC, marginals, energy distance, GRN overlap")
    p.add_argument("real", help="real cells (h5ad, CSV/TSV, 10x)")
    p.add_argument("sim", help="simulated cells (e.g. the simulated.h5ad written by `scgrn simulate`)")
    p.add_argument("--layer", default=None, help="layer of the real data to use (default X; used for SIM too when it has it)")
    p.add_argument("--sim-layer", default=None, help="layer of the simulated data (default: --layer when present, else X)")
    p.add_argument("--transform", default="auto", choices=["auto", "lognorm", "log1p", "none"],
                   help="transform before PCA/classifier/GRN (auto: log-normalise counts)")
    p.add_argument("--grn-method", default="pearson", help="registered GRN method for GRN consistency ('none' to skip)")
    p.add_argument("--tfs", default=None, help="TF list file (restricts GRN sources)")
    p.add_argument("--umap", action="store_true", help="also compute the joint UMAP / Leiden clusters (slower)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the full comparison (JSON) here")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from ..io.expression import read_expression
    from ..simulation.compare import compare
    from ..simulation.readings import readings
    from . import emit

    real = read_expression(args.real)
    sim = read_expression(args.sim)
    tfs = None
    if args.tfs:
        from ..io.networks import read_tf_list

        tfs = read_tf_list(args.tfs)
    grn_method = None if str(args.grn_method).lower() == "none" else args.grn_method
    res = compare(real, sim, layer=args.layer, sim_layer=args.sim_layer, transform=args.transform,
                  grn_method=grn_method, tfs=tfs, embed=args.umap, seed=args.seed)
    for line in readings(res.summary):
        print(line)
    out = res.to_dict()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1, default=str)
    emit(out)
    return 0

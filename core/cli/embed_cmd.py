"""``scgrn embed DATA --model NAME ... --out OUT.h5ad``: train an embedding, score it, write it.

Any registered method with the ``latent`` capability. The last stdout line is JSON with asw_labels,
asw_clusters, ari, nmi, active_units, seconds (and more).
"""

from __future__ import annotations


def register(sub) -> None:
    from ..distributions import LIKELIHOODS
    from ..registry import methods

    p = sub.add_parser("embed", help="learn a cell embedding (VAE, GMVAE, DeepSEM, ...), add UMAP/Leiden and scores")
    p.add_argument("data", help="expression file (h5ad, CSV/TSV, 10x)")
    p.add_argument("--model", choices=sorted(methods("latent")), default="vae")
    p.add_argument("--likelihood", choices=list(LIKELIHOODS), help="decoder likelihood (VAE/GMVAE; default nb)")
    p.add_argument("--layer", help="AnnData layer (default auto: 'counts' for count likelihoods when present; X)")
    p.add_argument("--labels", metavar="OBS_KEY", help="obs column with known cell types, for ASW/ARI/NMI")
    p.add_argument("--latent-dim", type=int)
    p.add_argument("--clusters", type=int, help="GMVAE mixture components")
    p.add_argument("--epochs", type=int)
    p.add_argument("--preset", help="named preset of the method (quick, standard, thorough)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="any other method parameter")
    p.add_argument("--resolution", type=float, default=1.0, help="Leiden resolution (default 1.0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    p.add_argument("--out", required=True, help="output .h5ad (latent in obsm, UMAP, clusters, metrics in uns)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..embedding.task import embed
    from ..errors import InputError
    from ..io.expression import read_expression
    from ..context import RunContext
    from ..registry import get_method
    from . import emit, key_values

    from . import output_path

    output_path(args.out)

    method = args.model
    spec = get_method(method)
    known = {p.name for p in spec.params}
    given = {"likelihood": args.likelihood, "layer": args.layer, "latent_dim": args.latent_dim,
             "clusters": args.clusters, "epochs": args.epochs, **key_values(args.param, "--param")}
    unused = [k for k, v in given.items() if v is not None and k not in known]
    if unused:
        raise InputError(f"{spec.label} does not take {', '.join('--' + k.replace('_', '-') for k in unused)}; "
                         f"its parameters: {', '.join(sorted(known))}.")
    if not str(args.out).endswith(".h5ad"):
        raise InputError("--out must end with .h5ad")
    adata = read_expression(args.data)
    ctx = RunContext(seed=args.seed, device=args.device, verbose=False,
                     on_progress=lambda r: print(f"epoch {r['epoch']}/{r['n_epochs']} loss {r.get('loss', 0):.2f}",
                                                 flush=True) if r["epoch"] % 10 == 0 or r["epoch"] == r["n_epochs"] else None)
    out, metrics = embed(adata, method, ctx, args.labels, preset=args.preset, resolution=args.resolution, **given)
    out.write_h5ad(args.out)
    print(f"wrote {args.out}: obsm {list(out.obsm)}, {metrics['n_leiden_clusters']} Leiden clusters")
    emit({**{k: v for k, v in metrics.items() if k != "latent_activity"}, "out": str(args.out)})
    return 0

"""``scgrn grn EXPR --model NAME --out EDGES.tsv``: infer a GRN with any registered GRN method.

The expression file is used as given (already prepared: log-normalised or as the method expects).
``--setting`` names a preset when the method has one of that name (so that setting's own epochs/alpha/...
apply), else it sets the method's ``setting`` parameter; ``--epochs`` and ``--ensemble`` map onto the
parameters of those names; ``--param KEY=VALUE`` sets any other declared parameter. An option the method
does not have is an error. The last stdout line is a JSON object: model, n_edges, seconds, device,
n_parameters (neural models), n_cells, n_genes, n_tfs, params (+ epochs_run, seconds_per_epoch for neural
models). Runners may attach extra scalars in ``edges.attrs`` (e.g. ``n_parameters``); they are copied in.
"""

from __future__ import annotations

from ..io.layout import LAYOUTS

# CLI option -> accepted parameter names in a MethodSpec (first match wins).
_MAPPED = {"epochs": ("epochs", "n_epochs"), "ensemble": ("ensemble", "n_ensemble", "ensemble_size"),
           "perturbation_key": ("perturbation_key",)}


def register(sub) -> None:
    from ..registry import methods

    names = sorted(methods("grn"))
    p = sub.add_parser("grn", help="infer a gene regulatory network (ranked edges TSV; JSON on the last line)")
    p.add_argument("expr", help="expression file: h5ad, CSV/TSV(.gz), 10x .h5 or mtx folder")
    p.add_argument("--model", required=True, help=f"GRN method: {', '.join(names)}")
    p.add_argument("--layout", choices=LAYOUTS, default="auto", help="table orientation (default: auto)")
    tf = p.add_mutually_exclusive_group()
    tf.add_argument("--tfs", metavar="FILE", help="TF list (one per line, or a table with a TF column)")
    tf.add_argument("--tfs-from", metavar="TRUTH", help="use the distinct regulators of this network file as TFs")
    p.add_argument("--setting", help="model setting/preset, e.g. non-specific or cell-type-specific (DeepSEM)")
    p.add_argument("--epochs", type=int, help="training epochs (neural models)")
    p.add_argument("--ensemble", type=int, help="ensemble size (models that support it)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--top-k", type=int, help="write only the best K edges")
    p.add_argument("--perturbation-key", help="obs column naming each cell's perturbed gene (interventional models, e.g. catran)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="any other method parameter (repeatable)")
    p.add_argument("--top-genes", type=int, default=0, metavar="N",
                   help="keep the TFs + the top N highly variable genes (BEELINE; 0 = every gene, the default here)")
    p.add_argument("--max-cells", type=int, default=0, metavar="N",
                   help="at most N cells, stratified by a cluster column when there is one (0 = every cell)")
    p.add_argument("--out", required=True, help="output TSV: source, target, weight[, signed_weight]")
    p.add_argument("--verbose", action="store_true", help="print the training log and per-epoch progress (stderr)")
    p.set_defaults(func=run)


def load_tfs(tfs_file: str | None, tfs_from: str | None) -> list[str] | None:
    """TF names from a TF list file or from a network's regulators (None when neither is given)."""
    from ..io.networks import read_network, read_tf_list
    from . import warn

    if tfs_file:
        warnings: list[str] = []
        tfs = read_tf_list(tfs_file, warnings)
        warn(warnings)
        return tfs
    if tfs_from:
        net = read_network(tfs_from)
        warn(net.attrs.get("warnings"))
        return list(dict.fromkeys(net["source"]))
    return None


def method_params(spec, args) -> tuple[dict, str | None]:
    """Map the CLI options onto ``spec``'s parameters; returns (params, preset)."""
    from ..errors import InputError

    known = {p.name for p in spec.params}
    params: dict = {}
    preset = None
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param expects KEY=VALUE, got {item!r}.")
        if key.strip() not in known:
            raise InputError(f"{spec.label} has no parameter {key.strip()!r}; known: {sorted(known) or 'none'}.")
        params[key.strip()] = value
    if args.setting is not None:
        if args.setting in spec.presets:  # a preset also sets the setting's own epochs/alpha/... defaults
            preset = args.setting
        elif "setting" in known:
            params["setting"] = args.setting
        else:
            raise InputError(f"{spec.label} has no setting {args.setting!r} (presets: {sorted(spec.presets) or 'none'}).")
    for option, names in _MAPPED.items():
        value = getattr(args, option, None)
        if value is None:
            continue
        name = next((n for n in names if n in known), None)
        if name is None:
            raise InputError(f"--{option} does not apply to {spec.label}: it has no {option} parameter.")
        params[name] = value
    return params, preset


def run(args) -> int:
    import sys
    import time

    from ..device import device_label, resolve_device
    from ..errors import InputError
    from ..grn.edges import write_edges
    from ..grn.task import infer_grn
    from ..io.expression import read_expression
    from ..context import RunContext, seed_everything
    from ..registry import get_method
    from ..data.summary import data_warnings
    from . import emit, output_path, warn

    output_path(args.out)
    spec = get_method(args.model)
    if spec.task != "grn":
        raise InputError(f"{spec.label} is not a GRN method; use one of the GRN models listed in `scgrn grn -h`.")
    params, preset = method_params(spec, args)
    if args.top_k is not None and args.top_k < 1:
        raise InputError("--top-k must be a positive number of edges.")
    device = resolve_device(args.device) if spec.neural else None
    adata = read_expression(args.expr, layout=args.layout)
    warn(data_warnings(adata))
    tfs = load_tfs(args.tfs, args.tfs_from)
    n_tfs = None
    if tfs is not None:
        n_tfs = len(set(tfs) & set(map(str, adata.var_names)))
        if n_tfs == 0:
            raise InputError(f"None of the {len(tfs)} TFs (e.g. {', '.join(tfs[:3])}) is a gene of {args.expr}.")
    if args.top_genes or args.max_cells:  # the app's GRN inputs (core.data.grn_inputs), opt-in here
        from ..data.grn_inputs import select_grn_inputs

        if args.top_genes < 0 or args.max_cells < 0:
            raise InputError("--top-genes and --max-cells must be 0 (all) or more.")
        adata, chosen = select_grn_inputs(adata, tfs, n_top_genes=args.top_genes, max_cells=args.max_cells,
                                          seed=args.seed)
        print(f"inputs: {chosen.words()}", file=sys.stderr)

    def show(rec: dict) -> None:
        extra = " ".join(f"{k}={v:.4g}" for k, v in rec.items() if k not in ("epoch", "n_epochs", "time"))
        print(f"[{rec['time']:.1f} s] {rec['epoch']}/{rec['n_epochs']} {extra}", file=sys.stderr, flush=True)

    ctx = RunContext(seed=args.seed, device=str(device) if device else "cpu", tfs=tfs, verbose=args.verbose,
                     on_progress=show if args.verbose else None)
    seed_everything(args.seed)
    t0 = time.perf_counter()
    edges = infer_grn(adata, spec.name, ctx, params, preset)
    seconds = time.perf_counter() - t0
    attrs = dict(getattr(edges, "attrs", {}) or {})
    if args.top_k is not None:
        edges = edges.head(args.top_k)
    write_edges(edges, args.out)
    print(f"{spec.label}: {len(edges)} edges in {seconds:.1f} s -> {args.out}")
    result = {
        "model": spec.name,
        "n_edges": int(len(edges)),
        "seconds": round(seconds, 3),
        "device": device_label(device) if device is not None else "cpu",
        "n_parameters": attrs.pop("n_parameters", None),
        "n_cells": int(adata.n_obs),
        "n_genes": int(adata.n_vars),
        "n_tfs": n_tfs,
        "seed": args.seed,
        "params": spec.resolve_params(params, preset),
        "out": str(args.out),
    }
    hist = ctx.history
    if spec.neural and len(hist) > 1:  # per-epoch wall time from the progress records (excludes setup)
        result["epochs_run"] = int(hist[-1]["epoch"])
        result["seconds_per_epoch"] = round((hist[-1]["time"] - hist[0]["time"]) / (len(hist) - 1), 4)
    result.update({k: v for k, v in attrs.items() if isinstance(v, (int, float, str, bool)) and k not in result})
    emit(result)
    return 0

"""``scgrn submit DATA --model M [--executor local|slurm] [--param K=V ...] [--sweep K=V1,V2 ...]``: start
runs in the background (this machine's queue or the SLURM cluster of ``$SCGRN_HOME/cluster.toml``) and return
at once. Several ``--sweep`` options make the cartesian product of their values, one run each (on SLURM, one
job array). DATA is a prepared dataset (its id in the workspace or its folder), ``sample:NAME`` (a bundled
sample, prepared), or an expression file used as given. The last stdout line is a JSON object with
``run_ids`` (and ``sweep_id``, ``executor``, ``slurm_job_ids``); follow them with ``scgrn runs --json``.
"""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("submit", help="start runs in the background, locally or on SLURM (JSON on the last line)")
    p.add_argument("data", help="prepared dataset id or folder, sample:NAME, or an expression file")
    p.add_argument("--model", required=True, help="method name (see the README's model table)")
    p.add_argument("--task", help="what to learn when the method does several (grn, embed, ...)")
    p.add_argument("--executor", choices=("local", "slurm"), default="local", help="where to run (default: local)")
    p.add_argument("--param", action="append", default=[], metavar="K=V", help="a method parameter (repeatable)")
    p.add_argument("--sweep", action="append", default=[], metavar="K=V1,V2",
                   help="sweep a parameter (or seed) over values; repeat for a grid (cartesian product)")
    p.add_argument("--preset", help="a named preset of the method")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (on the node for SLURM)")
    p.add_argument("--tfs", metavar="FILE", help="TF list for an expression file DATA")
    p.set_defaults(func=run)


def resolve_dataset(data: str, tfs_file: str | None = None):
    """The PreparedDataset DATA names (see the module doc); InputError when there is none."""
    from ..data.store import PreparedDataset, save_prepared
    from ..errors import InputError
    from ..jobs.workspace import datasets_dir

    if data.startswith("sample:"):
        from ..data.sample import SAMPLES, prepare_sample

        name = data.split(":", 1)[1]
        if name not in SAMPLES:
            raise InputError(f"No sample {name!r}; samples: {', '.join(SAMPLES)}.")
        return prepare_sample(name)
    path = Path(data).expanduser()
    if (path / "data.h5ad").is_file():
        return PreparedDataset(path.resolve())
    if "/" not in data and not data.startswith(".") and (datasets_dir() / data / "data.h5ad").is_file():
        return PreparedDataset(datasets_dir() / data)
    if not path.is_file():
        raise InputError(f"{data!r} is neither a prepared dataset (id or folder), sample:NAME, nor a file.")
    from ..io.expression import read_expression
    from .grn_cmd import load_tfs

    adata = read_expression(str(path))
    return save_prepared(adata, path.stem, tfs=load_tfs(tfs_file, None))


def run(args) -> int:
    from ..errors import InputError
    from ..jobs.executor import get_executor
    from ..jobs.launch import launch
    from ..jobs.sweep import launch_sweep
    from ..registry import get_method
    from . import emit, key_values

    spec = get_method(args.model)
    params = key_values(args.param, "--param")
    sweep = key_values(args.sweep, "--sweep")
    executor = get_executor(args.executor)
    if args.executor == "slurm":
        executor.config  # noqa: B018 - a missing cluster set-up is an error before any dataset is prepared
    if args.task and args.task not in spec.tasks:
        raise InputError(f"{spec.label} cannot do {args.task!r}; it does {', '.join(spec.tasks)}.")
    dataset = resolve_dataset(args.data, args.tfs)
    common = dict(preset=args.preset, seed=args.seed, device=args.device, task=args.task, executor=executor)
    if sweep:
        runs = launch_sweep(dataset, spec.name, params, sweep, **common)
    else:
        runs = [launch(dataset, spec.name, params, **common)]
    for r in runs:
        print(f"submitted {r.id} ({args.executor})")
    statuses = [r.status_raw() for r in runs]
    emit({
        "run_ids": [r.id for r in runs], "executor": args.executor, "dataset": dataset.id,
        "sweep_id": runs[0].params.get("sweep_id") if sweep else None,
        "slurm_job_ids": [st.get("slurm_job_id") for st in statuses] if args.executor == "slurm" else None,
    })
    return 0

"""``scgrn cancel RUN``: stop a queued or running job (its whole process group, or its SLURM job: scancel)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("cancel", help="cancel a queued or running run")
    p.add_argument("run", help="run id or run directory")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..jobs.executor import executor_for
    from ..jobs.rundir import get_run
    from . import emit

    r = get_run(args.run)
    executor_for(r).cancel(r)
    emit({"run": r.id, "state": r.state})
    return 0

"""``scgrn cancel RUN``: stop a queued or running job (its whole process group)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("cancel", help="cancel a queued or running run")
    p.add_argument("run", help="run id or run directory")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..jobs.executor import default_executor
    from ..jobs.rundir import get_run
    from . import emit

    r = get_run(args.run)
    default_executor().cancel(r)
    emit({"run": r.id, "state": r.state})
    return 0

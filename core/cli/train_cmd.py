"""``scgrn train RUN_DIR``: execute a prepared run directory (what the app launches in the background)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("train", help="run the job described by RUN_DIR/params.json (foreground)")
    p.add_argument("run_dir")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..jobs.rundir import get_run
    from ..jobs.runner import run_job
    from . import emit

    r = get_run(args.run_dir)
    code = run_job(r.path)
    st = r.status
    emit({"run": r.id, "state": st.get("state"), "reason": st.get("reason"), "metrics": st.get("metrics", {})})
    return code

"""``scgrn runs``: list runs in the workspace with their status."""

from __future__ import annotations

import json
import time


def register(sub) -> None:
    p = sub.add_parser("runs", help="list runs with their status (JSON on the last line)")
    p.add_argument("--json", action="store_true", help="print only the JSON list of runs (one line)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..jobs.rundir import list_runs
    from ..jobs.workspace import runs_dir
    from . import emit

    rows = []
    for r in list_runs():
        st, pr = r.status, r.params
        prog = r.progress()
        rows.append({
            "id": r.id, "state": st.get("state") or "unknown", "task": pr.get("task"), "method": pr.get("method"),
            "epoch": prog[-1]["epoch"] if prog else None, "n_epochs": prog[-1]["n_epochs"] if prog else None,
            "device": st.get("device"), "reason": st.get("reason"),
            "executor": st.get("executor") or "local", "slurm_job_id": st.get("slurm_job_id"),
            "slurm_state": st.get("slurm_state"), "sweep_id": pr.get("sweep_id"),
            "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(pr.get("created", 0))),
        })
    if args.json:
        print(json.dumps(rows, default=str), flush=True)
        return 0
    print(f"{len(rows)} run(s) in {runs_dir()}")
    for row in rows:
        ep = f"{row['epoch']}/{row['n_epochs']}" if row["epoch"] is not None else "-"
        print(f"{row['id']:<45} {row['state']!s:<10} {row['task'] or '-'!s:<6} {row['method'] or '-'!s:<10} {ep:>9}  {row['reason'] or ''}")
    emit({"runs": rows})
    return 0

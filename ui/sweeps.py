"""The Runs page's sweep groups: one table per sweep (state, epoch, one column per swept parameter, scores)."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from core.jobs.rundir import Run
from core.jobs.sweep import add_grid_columns
from ui.common import HEADLINE_METRICS

#: the scores a sweep's table shows when its runs have them (the rest stay on each run's page)
SWEEP_SCORES = ("epr", "auprc_ratio", "asw_labels", "ari", "nmi", "classifier_auc", "seconds")
SCORE_LABELS = [HEADLINE_METRICS[k] for k in SWEEP_SCORES if k != "seconds"]


def sweep_title(runs: list[Run]) -> str:
    """'DeepSEM · 4 runs: 3 finished, 1 running · sweep 20261202-0045-ab12'."""
    counts = Counter(r.state for r in runs)
    states = ", ".join(f"{n} {s}" for s, n in counts.most_common())
    method = runs[0].params.get("label", "").split(" [")[0] or runs[0].params.get("method")
    return f"{method} · {len(runs)} runs: {states} · {runs[0].params.get('sweep_id')}"


def where_words(status: dict) -> str:
    """'cluster, job 40_1' or 'this machine' (from the executor recorded in status.json)."""
    if status.get("executor") == "slurm":
        return f"cluster, job {status.get('slurm_job_id') or '?'}"
    return "this machine"


def sweep_table(runs: list[Run]) -> pd.DataFrame:
    rows = []
    for r in runs:
        prog, m = r.progress(), r.metrics()
        st = r.status
        row = {"state": st.get("state"), "model": r.params.get("method"), "where": where_words(st),
               "epoch": f"{prog[-1]['epoch']}/{prog[-1]['n_epochs']}" if prog else ""}
        row.update({HEADLINE_METRICS[k]: m.get(k) for k in SWEEP_SCORES})
        row["id"] = r.id
        rows.append(row)
    table = add_grid_columns(pd.DataFrame(rows), runs, after="epoch").drop(columns="model")
    empty = [c for c in (HEADLINE_METRICS[k] for k in SWEEP_SCORES) if table[c].isna().all()]
    return table.drop(columns=empty)

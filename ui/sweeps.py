"""The Runs page's sweep groups: one table per sweep (state, epoch, one column per swept parameter, scores)."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from core.jobs.rundir import Run
from core.jobs.sweep import add_grid_columns
from ui.common import HEADLINE_METRICS

#: the scores a sweep's table shows when its runs have them (the rest stay on each run's page)
SWEEP_SCORES = ("epr", "auprc_ratio", "asw_labels", "ari", "nmi", "classifier_auc", "seconds")


def sweep_title(runs: list[Run]) -> str:
    """'DeepSEM · 4 runs: 3 finished, 1 running · sweep 20261202-0045-ab12'."""
    counts = Counter(r.state for r in runs)
    states = ", ".join(f"{n} {s}" for s, n in counts.most_common())
    method = runs[0].params.get("label", "").split(" [")[0] or runs[0].params.get("method")
    return f"{method} · {len(runs)} runs: {states} · {runs[0].params.get('sweep_id')}"


def sweep_table(runs: list[Run]) -> pd.DataFrame:
    rows = []
    for r in runs:
        prog, m = r.progress(), r.metrics()
        row = {"state": r.state, "model": r.params.get("method"),
               "epoch": f"{prog[-1]['epoch']}/{prog[-1]['n_epochs']}" if prog else ""}
        row.update({HEADLINE_METRICS[k]: m.get(k) for k in SWEEP_SCORES})
        row["id"] = r.id
        rows.append(row)
    table = add_grid_columns(pd.DataFrame(rows), runs, after="epoch").drop(columns="model")
    empty = [c for c in (HEADLINE_METRICS[k] for k in SWEEP_SCORES) if table[c].isna().all()]
    return table.drop(columns=empty)

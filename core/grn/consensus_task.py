"""A consensus of finished GRN runs saved as a run of its own (method ``consensus``), so the GRN page browses
and exports it like any other network.

The new run directory holds ``params.json`` (task ``grn``, method ``consensus``, the first member's dataset,
the TFs and reference the members share, ``members``: each member's id, method, label and path),
``status.json`` (finished), ``edges.tsv``, ``metrics.json`` (EPR / AUPRC ratio when the members share a
reference network) and ``log.txt``. It is computed in the foreground: ranking a few networks takes seconds.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

from ..atomic import write_json_atomic
from ..errors import InputError
from ..jobs.rundir import Run, create_run, get_run
from .consensus import DEFAULT_RULE, consensus_edges
from .edges import write_edges


def member_run(ref: str | Path) -> Run:
    """A member given as a run id of the workspace or as the path of any run directory (with edges.tsv)."""
    p = Path(str(ref)).expanduser()
    if p.is_dir() and (p / "edges.tsv").is_file():
        return Run(p.resolve())
    run = get_run(ref)
    if not run.has("edges.tsv"):
        raise InputError(f"Run {run.id} has no network (edges.tsv): is it a finished GRN run?")
    return run


def _common(values: list) -> object:
    """The value every member shares, else None."""
    return values[0] if values and all(v == values[0] for v in values) else None


def consensus_run(members: Sequence[str | Path | Run], *, rule: str = DEFAULT_RULE, out: str | Path | None = None,
                  label: str | None = None) -> Run:
    """Fuse the networks of finished GRN runs into a new finished run (in the workspace, or at ``out``: a new
    folder whose parent exists). Members may be Run objects, run ids or run directories."""
    from .explorer import load_edges, precompute_layout
    from .task import score_against_reference

    runs = [m if isinstance(m, Run) else member_run(m) for m in members]
    if len({r.path for r in runs}) < len(runs):
        raise InputError("The same run is listed twice; pick different runs.")
    if len(runs) < 2:
        raise InputError("A consensus needs at least two finished GRN runs.")
    for r in runs:
        if r.params.get("task") not in (None, "grn") or r.state not in ("finished", "unknown"):
            raise InputError(f"Run {r.id} is not a finished GRN run ({r.params.get('task')}, {r.state}).")
    t0 = time.time()
    names = [f"{r.id} ({r.params.get('label') or r.params.get('method')})" for r in runs]
    tables = [load_edges(r.path / "edges.tsv").drop(columns=["rank", "confidence"], errors="ignore") for r in runs]
    tf_lists = [r.params.get("tfs") for r in runs]
    tfs = None if all(t is None for t in tf_lists) else sorted(set.intersection(*[set(t) for t in tf_lists if t]))
    edges = consensus_edges(tables, tfs=tfs, rule=rule, names=names)
    reference = _common([r.params.get("reference") for r in runs])
    dataset = runs[0].params.get("dataset") or str(runs[0].path)
    info = [{"id": r.id, "method": r.params.get("method"), "label": r.params.get("label"), "path": str(r.path)}
            for r in runs]
    extra = {"members": info, "dataset_name": runs[0].params.get("dataset_name"),
             "dataset_id": _common([r.params.get("dataset_id") for r in runs])}
    if label is None:
        label = "Consensus of " + " + ".join(str(r.params.get("label") or r.params.get("method")) for r in runs)
    params = {"rule": rule, "members": [r.id for r in runs]}
    if out is None:
        run = create_run("grn", "consensus", dataset, params, tfs=tfs, reference=reference, label=label, extra=extra)
    else:
        run = _create_at(Path(out), dataset, params, tfs, reference, label, extra)
    write_edges(edges, run.artifact("edges.tsv"))
    metrics = {"n_edges": int(len(edges)), "seconds": round(time.time() - t0, 3)}
    metrics.update({k: v for k, v in edges.attrs.items() if isinstance(v, (int, float, str))})
    metrics["members_kept"] = [runs[i].id for i in edges.attrs["members_kept"]]
    if reference:
        try:
            metrics.update(score_against_reference(edges, reference, tfs))
        except Exception as exc:  # scoring never turns a consensus into a failure
            metrics["scoring_error"] = str(exc)
    write_json_atomic(run.artifact("metrics.json"), metrics)
    log = [f"consensus ({rule}) of {len(runs)} networks: " + "; ".join(names),
           f"{edges.attrs['n_genes']} common genes, {edges.attrs['n_regulators']} common regulators, {len(edges)} edges"]
    if edges.attrs.get("note"):
        log.append(edges.attrs["note"])
    run.artifact("log.txt").write_text("\n".join(log) + "\n", encoding="utf-8")
    precompute_layout(run.path)
    now = time.time()
    run.set_status("finished", started=t0, ended=now, device="cpu", metrics=metrics)
    return run


def _create_at(path: Path, dataset, params, tfs, reference, label, extra) -> Run:
    path = path.expanduser()
    if not path.parent.is_dir():
        raise InputError(f"--out {path}: the folder {str(path.parent)!r} does not exist; create it first.")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise InputError(f"--out {path}: already exists and is not an empty folder; choose a new folder.")
    tmp = create_run("grn", "consensus", dataset, params, tfs=tfs, reference=reference, label=label, extra=extra,
                     root=path.parent)
    if path.exists():
        path.rmdir()
    tmp.path.rename(path)
    return Run(path.resolve())

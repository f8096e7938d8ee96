"""Parameter sweeps: a grid of hyperparameter values -> one run per grid point, grouped by a ``sweep_id``.

``expand_grid`` turns ``{"alpha": ["0.1", "1"], "beta": [0.01, 1]}`` into the cartesian product, each value
parsed to the kind its :class:`core.specs.Param` declares (so "0.1" from a form or the CLI becomes a float);
``seed`` can be swept too (it is a run's seed, not a hyperparameter). ``launch_sweep`` validates every point
before creating anything, then creates the runs (``params.json`` records ``sweep_id`` and the point's
``sweep_grid``) and hands them to ``executor.submit_many`` in grid order: the local executor queues them FIFO,
the SLURM executor submits one job array. ``sweep_groups`` / ``grid_table`` read the grouping back for pages.
"""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any, Iterable, Sequence

from ..errors import InputError
from ..registry import get_method
from ..specs import MethodSpec, Param

#: the largest grid one sweep may launch (each point is a full training run)
MAX_SWEEP_RUNS = 64
#: the run-level field that can be swept beside the method's hyperparameters
SEED = Param("seed", 0, "Random seed of the run.", kind="int", min=0, max=2**31 - 1)
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _spec(method: str | MethodSpec) -> MethodSpec:
    return method if isinstance(method, MethodSpec) else get_method(method)


def sweepable(method: str | MethodSpec) -> dict[str, Param]:
    """The parameters a sweep may vary: the method's hyperparameters, then ``seed``."""
    spec = _spec(method)
    return {**{p.name: p for p in spec.params}, SEED.name: SEED}


def split_values(text: str | Sequence[Any]) -> list[Any]:
    """``"0.1, 1,10"`` -> ``["0.1", "1", "10"]`` (a list is returned as a list; blanks are dropped)."""
    if isinstance(text, str):
        return [v.strip() for v in text.split(",") if v.strip()]
    return list(text)


def parse_value(param: Param, value: Any) -> Any:
    """One grid value in ``param``'s kind (bools are strict: true/false/yes/no/1/0)."""
    if param.kind == "bool" and not isinstance(value, bool):
        word = str(value).strip().lower()
        if word not in _TRUE | _FALSE:
            raise InputError(f"Sweep value {value!r} for {param.name!r} is not true/false.")
        value = word in _TRUE
    try:
        return param.coerce(value)
    except InputError as exc:
        raise InputError(f"Sweep of {param.name!r}: {exc}") from None


def expand_grid(base_params: dict[str, Any] | None, sweep: dict[str, Iterable[Any] | str],
                method: str | MethodSpec) -> list[dict[str, Any]]:
    """The cartesian product of ``sweep`` over ``base_params``, one dict per grid point (the last parameter
    varies fastest). Every value is parsed to its Param's kind; an unknown name, an empty or repeated value,
    a value out of bounds, or a grid over :data:`MAX_SWEEP_RUNS` points is an :class:`InputError`."""
    spec = _spec(method)
    known = sweepable(spec)
    if not sweep:
        raise InputError("A sweep needs at least one parameter with values.")
    axes: dict[str, list[Any]] = {}
    for name, raw in sweep.items():
        if name not in known:
            raise InputError(f"{spec.label} has no parameter {name!r} to sweep; known: {', '.join(known)}.")
        values = [parse_value(known[name], v) for v in split_values(raw)]
        if not values:
            raise InputError(f"The sweep of {name!r} has no values: give one or more, separated by commas.")
        repeated = sorted({repr(v) for v in values if values.count(v) > 1})
        if repeated:
            raise InputError(f"The sweep of {name!r} lists {', '.join(repeated)} more than once.")
        axes[name] = values
    n = 1
    for values in axes.values():
        n *= len(values)
    if n > MAX_SWEEP_RUNS:
        raise InputError(f"This grid has {n} points; a sweep launches at most {MAX_SWEEP_RUNS} runs. Use fewer values.")
    base = dict(base_params or {})
    return [{**base, **dict(zip(axes, point))} for point in itertools.product(*axes.values())]


def grid_size(sweep: dict[str, Iterable[Any] | str]) -> int:
    """How many runs a sweep makes (values counted as given, before parsing)."""
    n = 1
    for raw in sweep.values():
        n *= len(split_values(raw))
    return n


def new_sweep_id() -> str:
    return f"sweep-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def point_words(grid: dict[str, Any]) -> str:
    """``{"alpha": 0.1, "seed": 2}`` -> ``"alpha=0.1, seed=2"`` (for run labels)."""
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in grid.items())


def plain_label(params: dict[str, Any]) -> str:
    """A run's label without its grid point (``"GENIE3 [n_estimators=10]"`` -> ``"GENIE3"``): for tables
    that show the grid in its own columns."""
    label = str(params.get("label") or params.get("method") or "")
    grid = params.get("sweep_grid")
    suffix = f" [{point_words(grid)}]" if isinstance(grid, dict) else None
    return label[: -len(suffix)] if suffix and label.endswith(suffix) else label


def launch_sweep(
    dataset,
    method: str,
    params: dict[str, Any] | None,
    sweep: dict[str, Iterable[Any] | str],
    *,
    preset: str | None = None,
    seed: int = 0,
    executor=None,
    **options: Any,
) -> list:
    """Create one run per grid point (same ``sweep_id``; ``sweep_grid`` = the point's swept values) and submit
    them together with ``executor.submit_many``. Every point is validated before any run is created. Returns
    the runs in grid order. ``options``: the other options of :func:`core.jobs.launch.prepare_run`."""
    from .executor import default_executor
    from .launch import prepare_run

    spec = _spec(method)
    points = expand_grid(params, sweep, spec)
    swept = list(sweep)
    if preset and preset in spec.presets and set(spec.presets[preset]) <= set(swept):
        preset = None  # every value of the preset is swept over: it changes nothing, and its name would mislead
    for point in points:  # all points valid before anything is written
        spec.resolve_params({k: v for k, v in point.items() if k != SEED.name}, preset)
    sweep_id = new_sweep_id()
    runs = []
    for point in points:
        grid = {k: point[k] for k in swept}
        hyper = {k: v for k, v in point.items() if k != SEED.name}
        runs.append(prepare_run(
            dataset, spec.name, hyper, preset=preset, seed=int(point.get(SEED.name, seed)),
            extra={"sweep_id": sweep_id, "sweep_grid": grid}, label_suffix=f" [{point_words(grid)}]", **options,
        ))
    executor = executor or default_executor()
    submit_many = getattr(executor, "submit_many", None)
    if submit_many is not None:
        submit_many(runs)
    else:  # an executor without a batch call: one by one, in grid order (FIFO)
        for run in runs:
            executor.submit(run)
    return runs


def sweep_groups(runs: Iterable) -> dict[str, list]:
    """Runs by ``sweep_id`` (runs outside a sweep are left out), each group in grid (creation) order."""
    groups: dict[str, list] = {}
    for r in runs:
        sid = r.params.get("sweep_id")
        if isinstance(sid, str) and sid:
            groups.setdefault(sid, []).append(r)
    for sid in groups:
        groups[sid].sort(key=lambda r: r.params["created"])
    return groups


def swept_names(runs: Iterable) -> list[str]:
    """The swept parameters of these runs, in the order their grids list them (first seen first)."""
    names: dict[str, None] = {}
    for r in runs:
        grid = r.params.get("sweep_grid")
        if isinstance(grid, dict):
            names.update({str(k): None for k in grid})
    return list(names)


def grid_columns(runs: Sequence) -> list[dict[str, Any]]:
    """For each run, ``{"sweep": short id, <param>: value, ...}`` over every swept parameter of these runs
    (empty values for runs outside a sweep); an empty dict per run when none of them belongs to a sweep."""
    names = swept_names(runs)
    if not names:
        return [{} for _ in runs]
    out = []
    for r in runs:
        grid = r.params.get("sweep_grid") if isinstance(r.params.get("sweep_grid"), dict) else {}
        sid = r.params.get("sweep_id")
        out.append({"sweep": sid.removeprefix("sweep-") if isinstance(sid, str) else "",
                    **{n: grid.get(n) for n in names}})
    return out


def grid_titles(runs: Sequence) -> dict[str, str]:
    """Swept parameter name -> its words in the method's spec (e.g. "alpha" -> "L1 weight (alpha)")."""
    titles: dict[str, str] = {}
    for r in runs:
        try:
            spec = get_method(r.params.get("method"), r.params.get("origin"))
        except Exception:  # a run of a method no longer registered: its plain names
            continue
        titles.update({n: p.title for n, p in sweepable(spec).items()})
    return {n: titles.get(n, n.replace("_", " ")) for n in swept_names(runs)}


def add_grid_columns(table, runs: Sequence, after: str = "model"):
    """``table`` (a DataFrame, one row per run in ``runs`` order) with one column per swept parameter (and the
    sweep's id when the rows span several sweeps or runs outside one) inserted after column ``after``; unchanged
    when no run belongs to a sweep."""
    import pandas as pd

    cols = grid_columns(runs)
    if not any(cols):
        return table
    if len({c.get("sweep") or "" for c in cols}) == 1:  # one sweep: its id is the same on every row
        cols = [{k: v for k, v in c.items() if k != "sweep"} for c in cols]
    titles = {n: n if n in table.columns else t for n, t in grid_titles(runs).items()}
    grid = pd.DataFrame(cols, index=table.index).rename(columns=titles)
    for col in grid.columns.intersection(table.columns):  # already shown (e.g. likelihood): one column, grid's place
        grid[col] = grid[col].where(grid[col].notna(), table[col])
        table = table.drop(columns=col)
    at = list(table.columns).index(after) + 1 if after in table.columns else 0
    return pd.concat([table.iloc[:, :at], grid, table.iloc[:, at:]], axis=1)

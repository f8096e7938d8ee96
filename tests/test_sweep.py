"""Parameter sweeps: the grid (parsed to each Param's kind, clear errors), and a sweep launched through the
local FIFO queue with its group recorded in every run's params.json."""

from __future__ import annotations

import time

import pytest

from core.data.sample import prepare_sample
from core.errors import InputError
from core.jobs.executor import LocalExecutor
from core.jobs.rundir import list_runs
from core.jobs.sweep import MAX_SWEEP_RUNS, expand_grid, grid_columns, grid_size, launch_sweep, sweep_groups


def test_grid_is_the_cartesian_product_parsed_to_param_kinds(debug_method):
    grid = expand_grid({"fail": "none"}, {"epochs": "2, 3", "seconds_per_epoch": ["0.5", 1]}, "debug")
    assert grid == [
        {"fail": "none", "epochs": 2, "seconds_per_epoch": 0.5},
        {"fail": "none", "epochs": 2, "seconds_per_epoch": 1.0},
        {"fail": "none", "epochs": 3, "seconds_per_epoch": 0.5},
        {"fail": "none", "epochs": 3, "seconds_per_epoch": 1.0},
    ]
    assert all(type(p["epochs"]) is int and type(p["seconds_per_epoch"]) is float for p in grid)
    assert grid_size({"epochs": "2, 3", "seconds_per_epoch": ["0.5", 1]}) == 4


def test_grid_over_deepsem_choices_bools_nullables_and_seeds():
    grid = expand_grid({}, {"setting": "non-specific,cell-type-specific", "lr_decay": "yes,no",
                            "alpha": "none, 0.1", "seed": "0,1"}, "deepsem")
    assert len(grid) == 16
    assert {p["setting"] for p in grid} == {"non-specific", "cell-type-specific"}
    assert {p["lr_decay"] for p in grid} == {True, False}
    assert {p["alpha"] for p in grid} == {None, 0.1}
    assert {p["seed"] for p in grid} == {0, 1}


@pytest.mark.parametrize("sweep, words", [
    ({"nope": "1,2"}, "no parameter 'nope'"),
    ({"epochs": "2, two"}, "'epochs' must be int"),
    ({"epochs": "0,1"}, "must be >= 1"),
    ({"fail": "none,explode"}, "must be one of"),
    ({"epochs": " , "}, "has no values"),
    ({"epochs": "2,2"}, "more than once"),
    ({}, "at least one parameter"),
    ({"epochs": ",".join(str(i) for i in range(1, 10)), "seconds_per_epoch": ",".join(str(i) for i in range(8))},
     f"at most {MAX_SWEEP_RUNS}"),
])
def test_bad_grids_are_refused_in_words(debug_method, sweep, words):
    with pytest.raises(InputError, match=words):
        expand_grid({}, sweep, "debug")


def test_bad_bool_is_refused():
    with pytest.raises(InputError, match="not true/false"):
        expand_grid({}, {"lr_decay": "yes,maybe"}, "deepsem")


class _Recorder:
    def __init__(self):
        self.calls = []

    def submit_many(self, runs):
        self.calls.append([r.id for r in runs])


def test_sweep_validates_everything_before_creating_runs(workspace, debug_method):
    ds = prepare_sample("synthetic")
    rec = _Recorder()
    with pytest.raises(InputError):
        launch_sweep(ds, "debug", {}, {"epochs": "1,2", "fail": "none,bogus"}, executor=rec)
    assert list_runs() == [] and rec.calls == []
    runs = launch_sweep(ds, "debug", {"seconds_per_epoch": 0.0}, {"epochs": "1,2", "seed": "3,4"}, executor=rec)
    assert rec.calls == [[r.id for r in runs]]  # one batch call, grid order
    assert [(r.params["params"]["epochs"], r.params["seed"]) for r in runs] == [(1, 3), (1, 4), (2, 3), (2, 4)]
    assert "seed" not in runs[0].params["params"]
    assert runs[1].params["sweep_grid"] == {"epochs": 1, "seed": 4}
    assert runs[1].params["label"] == "Diagnostic job [epochs=1, seed=4]"
    assert grid_columns(runs)[3] == {"sweep": runs[0].params["sweep_id"].removeprefix("sweep-"), "epochs": 2, "seed": 4}


def test_a_preset_whose_values_are_all_swept_is_not_named(workspace):
    ds = prepare_sample("synthetic")
    runs = launch_sweep(ds, "genie3", {}, {"n_estimators": "10,20"}, preset="fast", executor=_Recorder())
    assert [r.params["params"]["n_estimators"] for r in runs] == [10, 20]
    assert runs[0].params["preset"] is None and runs[0].params["label"] == "GENIE3 [n_estimators=10]"
    kept = launch_sweep(ds, "genie3", {}, {"tree_method": "RF,ET"}, preset="fast", executor=_Recorder())
    assert kept[0].params["preset"] == "fast" and kept[0].params["params"]["n_estimators"] == 100


def test_sweep_through_the_local_fifo_queue(workspace, debug_method):
    ds = prepare_sample("synthetic")
    alone = launch_sweep(ds, "pearson", {}, {"seed": "0"}, executor=LocalExecutor())  # another group
    runs = launch_sweep(ds, "debug", {"seconds_per_epoch": 0.3}, {"epochs": "3,1,2"}, use_tfs=True,
                        executor=LocalExecutor())
    deadline = time.time() + 120
    while time.time() < deadline and any(r.state in ("queued", "running") for r in runs + alone):
        time.sleep(0.2)
    assert [r.state for r in runs + alone] == ["finished"] * 4, [r.status for r in runs + alone]
    assert [len(r.progress()) for r in runs] == [3, 1, 2]
    for before, after in zip(runs, runs[1:]):  # one CPU slot: each waited for the one before it
        assert after.status["started"] >= before.status["ended"] - 0.5
    groups = sweep_groups(list_runs())
    assert sorted(len(g) for g in groups.values()) == [1, 3]
    assert [r.id for r in groups[runs[0].params["sweep_id"]]] == [r.id for r in runs]
    assert all(r.has("edges.tsv") for r in runs + alone)

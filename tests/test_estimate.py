"""Estimates before launch, machine-fitted defaults and the memory refusal (issue 13), on tiny data."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import anndata as ad
import numpy as np
import pytest

from core.errors import InputError
from core.jobs import speed as speed_mod
from core.jobs.estimate import duration_words, estimate, suggest_lighter
from core.registry import get_method


def _fake_speed(monkeypatch, flops: float) -> None:
    fake = speed_mod.Speed("cpu:test", flops, time.time())
    monkeypatch.setattr(speed_mod, "machine_speed", lambda device: fake)


def test_duration_words_read_in_minutes_and_hours():
    assert duration_words(20) == "under a minute"
    assert duration_words(4 * 60 + 10) == "about 4 minutes"
    assert duration_words(90 * 60) == "about 1.5 hours"
    assert duration_words(3 * 86400) == "about 3 days"


def test_calibration_is_measured_once_and_cached(workspace, monkeypatch):
    import torch

    s = speed_mod.machine_speed(torch.device("cpu"))
    assert s.flops > 1e8
    cache = json.loads((workspace / "speed.json").read_text())
    assert cache[s.device]["flops"] == s.flops
    monkeypatch.setattr(speed_mod, "measure", lambda d: pytest.fail("measured again"))
    assert speed_mod.machine_speed(torch.device("cpu")) == s


def test_estimate_grows_with_shapes_and_reads_in_human_units(workspace, monkeypatch):
    _fake_speed(monkeypatch, 1e11)
    spec = get_method("deepsem")
    p = spec.resolve_params({})
    small = estimate(spec, 500, 100, p, "cpu")
    assert estimate(spec, 5000, 100, p, "cpu").seconds == pytest.approx(10 * small.seconds, rel=0.05)  # linear in cells
    assert estimate(spec, 500, 100, {**p, "ensemble": 1}, "cpu").seconds < small.seconds / 5  # ~ members
    big = estimate(spec, 20000, 2000, p, "cpu")
    assert "hours" in big.words() or "days" in big.words()
    assert " GB of memory on 20,000 cells x 2,000 genes" in big.words()
    # a long run gets a lighter setting, with fewer members first
    changed, words = suggest_lighter(spec, 5000, 1000, p, "cpu")
    assert changed["ensemble"] < 10 and "ensemble" in words
    assert suggest_lighter(spec, 200, 50, p, "cpu") is None  # short: nothing to suggest
    # CaTran: steps at most linear in genes, so its estimate is too
    cat = get_method("catran")
    q = cat.resolve_params({})
    r = estimate(cat, 20000, 20000, q, "cpu").seconds / estimate(cat, 20000, 2000, q, "cpu").seconds
    assert r < 12
    assert get_method("pearson").load_cost() is None and estimate(get_method("pearson"), 10, 10, {}, "cpu") is None


def test_cpu_defaults_cut_the_ensemble_and_say_why(workspace, monkeypatch):
    from core.jobs.machine_defaults import machine_defaults

    spec = get_method("deepsem")
    p = spec.resolve_params({})
    _fake_speed(monkeypatch, 2e11)
    over, budget, why = machine_defaults(spec, 5000, 1100, p, "cpu")
    assert 1 <= over["ensemble"] < 10 and "instead of 10" in why and "CPU" in why
    assert estimate(spec, 5000, 1100, {**p, **over}, "cpu").seconds <= 600 or budget > 0
    # a small dataset: the full ensemble fits in minutes, nothing changes
    assert machine_defaults(spec, 300, 60, p, "cpu") == ({}, 0.0, "")
    # a GPU keeps the full ensemble and says so
    over, budget, why = machine_defaults(spec, 5000, 1100, p, SimpleNamespace(type="cuda"))
    assert over == {} and budget == 0 and "full ensemble of 10" in why
    # very slow: one member and a time budget
    _fake_speed(monkeypatch, 1e8)
    over, budget, why = machine_defaults(spec, 5000, 1100, p, "cpu")
    assert over == {"ensemble": 1} and budget > 0 and "time budget" in why


def test_time_budget_stops_training_after_an_epoch(synthetic_small):
    from core.context import RunContext
    from core.models.deepsem.model import DeepSEM

    adata = synthetic_small[0] if isinstance(synthetic_small, tuple) else synthetic_small
    ctx = RunContext(time_budget_s=1e-6)
    model = DeepSEM(adata, ensemble=1, epochs=5, seed=0).train(callbacks=[ctx])
    assert len(ctx.history) == 1  # stopped after the first epoch
    assert model.get_grn().shape[0] > 0  # and the network is still read out


def test_launch_refuses_a_run_that_will_not_fit(workspace, monkeypatch):
    from core.data.sample import prepare_sample
    from core.jobs.launch import launch
    from core.jobs.rundir import list_runs

    class Held:
        def submit(self, run):
            pass

    ds = prepare_sample("synthetic")
    monkeypatch.setenv("SCGRN_MAX_MEMORY_GB", "0.000001")
    with pytest.raises(InputError, match=r"This DeepSEM run on 600 cells x 60 genes needs [0-9.]+ [KMG]?i?B"):
        launch(ds, "deepsem", {"ensemble": 10}, executor=Held())
    assert list_runs() == []  # nothing was created
    monkeypatch.delenv("SCGRN_MAX_MEMORY_GB")
    run = launch(ds, "deepsem", {"ensemble": 10}, executor=Held(), time_budget_s=120)
    assert run.params["params"]["ensemble"] == 10 and run.params["time_budget_s"] == 120  # explicit stays


def test_train_page_shows_estimate_and_refusal(workspace, monkeypatch):
    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=90)
    at.switch_page("app_pages/train.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    next(s for s in at.selectbox if s.label == "Model").set_value("deepsem").run()
    est = [i.value for i in at.info if i.value.startswith("Estimate:")]
    assert est and "of memory on 600 cells x 60 genes" in est[0] and "GFLOP/s" in est[0], est
    assert any(i.value.startswith("Going in: all 60 genes x all 600 cells") for i in at.info)
    monkeypatch.setenv("SCGRN_MAX_MEMORY_GB", "0.000001")
    at.run()
    assert any("will not fit in memory" in e.value for e in at.error)
    assert next(b for b in at.button if b.label.startswith("Launch")).disabled

"""Sweeps in the app (AppTest): the Train page launches a grid as grouped runs, the Runs page groups them, and
the GRN and Embedding comparison tables show one column per swept parameter."""

from __future__ import annotations

import time

import pytest

from test_app_pages import _no_exceptions, _page


class _Later:
    """An executor that only records (the fixture then runs each job in this process)."""

    def submit_many(self, runs):
        self.runs = runs


@pytest.fixture()
def finished_sweep(workspace):
    from core.data.sample import prepare_sample
    from core.jobs.runner import run_job
    from core.jobs.sweep import launch_sweep

    ds = prepare_sample("synthetic")
    runs = launch_sweep(ds, "pearson", {}, {"seed": "0,1"}, executor=_Later())
    for r in runs:
        assert run_job(r.path, poll=0.05) == 0
    return runs


def test_train_page_launches_a_sweep(workspace):
    from core.jobs.rundir import list_runs

    at = _page("app_pages/train.py").run()
    next(sb for sb in at.selectbox if sb.label == "Model").set_value("pearson").run()
    at.multiselect[0].set_value(["seed"]).run()
    next(t for t in at.text_input if t.label == "seed values").set_value("4, x").run()
    assert any("'seed' must be int" in e.value for e in at.error)
    assert next(b for b in at.button if b.label.startswith("Launch")).disabled
    next(t for t in at.text_input if t.label == "seed values").set_value("4, 5").run()
    _no_exceptions(at)
    assert any("2 runs" in i.value for i in at.info)
    next(b for b in at.button if b.label == "Launch 2 runs").click().run()
    runs = sorted(list_runs(), key=lambda r: r.params["created"])
    assert [r.params["seed"] for r in runs] == [4, 5]
    assert len({r.params["sweep_id"] for r in runs}) == 1 and runs[1].params["sweep_grid"] == {"seed": 5}
    deadline = time.time() + 90
    while any(r.state in ("queued", "running") for r in runs) and time.time() < deadline:
        time.sleep(0.2)
    assert [r.state for r in runs] == ["finished", "finished"], [r.status for r in runs]


def test_runs_page_groups_a_sweep(finished_sweep):
    at = _page("app_pages/runs.py").run()
    _no_exceptions(at)
    assert any(h.value == "Sweeps" for h in at.subheader)
    sid = finished_sweep[0].params["sweep_id"]
    assert any(sid in e.label and "2 runs: 2 finished" in e.label for e in at.expander)
    table = next(d.value for d in at.dataframe if "seed" in d.value.columns)
    assert list(table["seed"]) == [0, 1] and list(table["id"]) == [r.id for r in finished_sweep]
    assert (table["EPR"] > 1).all()  # scored against the sample's reference network
    link = next(p for p in at.get("page_link") if "Compare the finished runs" in p.proto.label)
    assert link.proto.page == "grn" and link.proto.query_string == f"run={finished_sweep[0].id}", link.proto


def test_grn_comparison_table_shows_the_grid(finished_sweep):
    at = _page("app_pages/grn.py")
    at.query_params["run"] = finished_sweep[0].id
    at.run()
    _no_exceptions(at)
    table = next(d.value for d in at.dataframe if "EPR" in d.value.columns)
    assert list(table.columns[:2]) == ["model", "seed"] and "sweep" not in table.columns
    assert list(table["model"]) == ["Pearson |r|"] * 2  # the grid is in its own column, not in the label
    assert list(table["seed"]) == [0, 1] and list(table["run"]) == [r.id for r in finished_sweep]
    assert table["EPR"].iloc[0] == pytest.approx(finished_sweep[0].metrics()["epr"])


class _FakeRun:
    def __init__(self, rid, params, metrics):
        self.id, self.params, self._m = rid, params, metrics

    def metrics(self):
        return self._m


def test_embedding_comparison_table_shows_the_grid():
    from core.embedding.views import comparison_table

    grid = lambda lk, z: {"method": "vae", "label": "VAE", "sweep_id": "sweep-x", "params": {"likelihood": lk},  # noqa: E731
                          "sweep_grid": {"likelihood": lk, "latent_dim": z}}
    runs = [_FakeRun("a", grid("nb", 10), {"ari": 0.5}), _FakeRun("b", grid("zinb", 20), {"ari": 0.6}),
            _FakeRun("c", {"method": "vae", "label": "VAE", "params": {"likelihood": "poisson"}}, {"ari": 0.1})]
    table = comparison_table(runs)
    assert list(table.columns[:5]) == ["run", "model", "sweep", "likelihood", "latent dim"]
    assert list(table["likelihood"]) == ["nb", "zinb", "poisson"]  # one likelihood column, the grid's place
    assert table["latent dim"].iloc[:2].tolist() == [10, 20] and table["latent dim"].isna().iloc[2]
    assert list(table["ARI"]) == [0.5, 0.6, 0.1]
    plain = comparison_table(runs[2:])
    assert "sweep" not in plain.columns

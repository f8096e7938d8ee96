"""AppTest for every page: each renders without an exception on the sample data and on finished runs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def _page(path: str) -> AppTest:
    """The whole app (st.navigation) opened on one page, as a user clicking it in the sidebar would."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(path)
    return at


def _no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture()
def finished_grn_run(workspace):
    from core.data.sample import prepare_sample
    from core.jobs.rundir import create_run
    from core.jobs.runner import run_job

    ds = prepare_sample("synthetic")
    run = create_run("grn", "pearson", ds.h5ad, {"layer": ""}, tfs=ds.tfs, reference=ds.reference,
                     extra={"dataset_name": "synthetic"})
    assert run_job(run.path, poll=0.05) == 0
    return ds, run


def test_data_page_opens_on_sample_data(workspace):
    at = _page("app_pages/data.py").run()
    _no_exceptions(at)
    # the synthetic sample is prepared automatically and announced
    assert any("Current dataset" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cells"] == "600" and metrics["Genes"] == "60"
    assert metrics["Values look like"] == "counts"


def test_data_page_flipping_layout_changes_shape(workspace):
    at = _page("app_pages/data.py").run()
    at.radio[0].set_value("Sample data").run()
    at.segmented_control[0].set_value("genes-by-cells").run()
    _no_exceptions(at)
    # h5ad ignores the table orientation: shape stays
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cells"] == "600"


def test_train_page_launches_a_background_run(workspace):
    from core.jobs.rundir import list_runs

    at = _page("app_pages/train.py").run()
    _no_exceptions(at)
    model = next(sb for sb in at.selectbox if sb.label == "Model")
    assert "Pearson |r|" in model.options
    model.set_value("pearson").run()
    at.button(key=None) if False else next(b for b in at.button if b.label == "Launch").click().run()
    runs = list_runs()
    assert len(runs) == 1 and runs[0].params["method"] == "pearson"
    assert runs[0].params["tfs"]  # the sample's TF list restricts sources by default
    deadline = time.time() + 60
    while runs[0].state in ("queued", "running") and time.time() < deadline:
        time.sleep(0.2)
    assert runs[0].state == "finished", runs[0].status
    assert runs[0].artifact("edges.tsv").exists()


def test_train_page_states_the_fast_cpu_preset(workspace):
    from core.models.deepsem.spec import FAST_CPU

    at = _page("app_pages/train.py").run()
    next(sb for sb in at.selectbox if sb.label == "Model").set_value("deepsem").run()
    _no_exceptions(at)
    preset = next(sb for sb in at.selectbox if sb.label == "Preset")
    assert FAST_CPU in preset.options and "DAZZLE" in preset.options
    assert any(FAST_CPU in c.value and "minute" in c.value for c in at.caption)
    preset.set_value(FAST_CPU).run()
    _no_exceptions(at)
    assert next(n for n in at.number_input if "ensemble" in n.label.lower()).value == 1


def test_runs_page_shows_finished_run(finished_grn_run):
    _, run = finished_grn_run
    at = _page("app_pages/runs.py")
    at.query_params["run"] = run.id
    at.run()
    _no_exceptions(at)
    assert any("finished" in m.value for m in at.markdown)
    cards = {m.label: m.value for m in at.metric}  # the run's scores against the sample's reference network
    epr = run.status["metrics"]["epr"]
    assert cards["EPR"] == f"{epr:.3g}" and float(cards["EPR"]) > 1.0
    assert int(cards["Edges"].replace(",", "")) == run.status["metrics"]["n_edges"]
    picker = next(s for s in at.selectbox if s.label == "Run")
    assert not any(o.startswith("[") for o in picker.options)  # no (stale) state in the run picker


def test_runs_page_without_runs(workspace):
    at = _page("app_pages/runs.py").run()
    _no_exceptions(at)
    assert any("No runs yet" in i.value for i in at.info)


@pytest.mark.parametrize("page", ["app_pages/grn.py", "app_pages/embedding.py", "app_pages/simulation.py"])
def test_result_pages_render(finished_grn_run, page):
    at = _page(page).run()
    _no_exceptions(at)

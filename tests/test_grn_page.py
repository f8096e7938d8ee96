"""AppTest of the GRN explorer page: controls drive the view, scores, hubs, comparison and exports."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def two_runs(workspace):
    from core.data.sample import prepare_sample
    from core.jobs.rundir import create_run
    from core.jobs.runner import run_job

    ds = prepare_sample("synthetic")
    runs = []
    for method in ("pearson", "spearman"):
        run = create_run("grn", method, ds.h5ad, {"layer": ""}, tfs=ds.tfs, reference=ds.reference,
                         extra={"dataset_name": "synthetic"})
        assert run_job(run.path, poll=0.05) == 0
        runs.append(run)
    return ds, runs


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_grn_page_controls(two_runs):
    _, (pearson, spearman) = two_runs
    assert (pearson.path / "layout.json").is_file()  # the job precomputed the fixed layout
    at = AppTest.from_file(str(ROOT / "app_pages/grn.py"), default_timeout=60)
    at.query_params["run"] = pearson.id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    m = _metrics(at)
    n0 = int(m["Edges shown"].replace(",", ""))
    assert n0 == 100  # default cut: ~2 edges per gene (60 genes) -> the top 100 edges
    # scores against the reference: EPR / AUPRC ratio cards; precision of the shown edges next to random
    assert float(m["EPR"]) > 0 and float(m["AUPRC ratio"]) > 0
    prec = next(x for x in at.metric if x.label == "Precision of shown edges")
    assert "random" in prec.delta
    # the top-k control moves through its steps: fewer edges
    at.select_slider(key=f"cut_top_k_{pearson.id}").set_value(50).run()
    n1 = int(_metrics(at)["Edges shown"].replace(",", ""))
    assert n1 == 50
    # edges per target: every target keeps at most 1 regulator
    at.selectbox(key=f"mode_{pearson.id}").set_value("per_target").run()
    at.select_slider(key=f"cut_per_target_{pearson.id}").set_value(1).run()
    assert int(_metrics(at)["Targets"].replace(",", "")) == int(_metrics(at)["Edges shown"].replace(",", ""))
    at.selectbox(key=f"mode_{pearson.id}").set_value("top_k").run()
    # modules of the shown network are listed
    assert any(len(df.value) and "tfs" in df.value.columns for df in at.dataframe)
    # search a gene: its neighbourhood only
    at.selectbox(key=f"gene_{pearson.id}").set_value("TF01").run()
    assert not at.exception
    n2 = int(_metrics(at)["Edges shown"].replace(",", ""))
    assert 0 < n2 < n1
    # compare with the other run (Spearman): Jaccard in [0, 1]
    jac = float(_metrics(at)["Jaccard"])
    assert 0 < jac <= 1
    # the reference overlay toggles without errors
    at.toggle(key=f"ref_{pearson.id}").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]


def test_grn_page_builds_a_consensus_of_selected_runs(two_runs):
    _, (pearson, spearman) = two_runs
    at = AppTest.from_file(str(ROOT / "app_pages/grn.py"), default_timeout=60)
    at.query_params["run"] = pearson.id
    at.run()
    assert at.button(key=f"cons_go_{pearson.id}").disabled  # nothing selected yet
    at.multiselect(key=f"cons_{pearson.id}").select(spearman).run()
    at.button(key=f"cons_go_{pearson.id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    from core.jobs.rundir import list_runs

    new = [r for r in list_runs() if r.params.get("method") == "consensus"]
    assert len(new) == 1 and new[0].state == "finished"
    assert [m["id"] for m in new[0].params["members"]] == [pearson.id, spearman.id]
    assert at.query_params["run"] == [new[0].id] or at.query_params["run"] == new[0].id
    assert "Consensus of" in at.selectbox(key="pick_run").value.params["label"]  # the page now shows it
    assert float(_metrics(at)["EPR"]) > 0

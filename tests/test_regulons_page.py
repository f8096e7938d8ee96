"""The "regulons" job (core.grn.regulons_task) and the Embedding page's regulon colouring and RSS heatmap,
on the synthetic sample (60 genes, 3 cell states): a PCA embedding and a Pearson network."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pytest


class _Held:
    """An executor that submits nothing (the test runs the job in the foreground)."""

    def submit(self, run):
        pass


@pytest.fixture()
def runs(workspace):
    from core.data.sample import prepare_sample
    from core.jobs.rundir import create_run
    from core.jobs.runner import run_job

    ds = prepare_sample("synthetic")
    emb = create_run("embed", "pca", ds.h5ad, {"n_comps": 5}, label="PCA", extra={"dataset_name": "synthetic"})
    grn = create_run("grn", "pearson", ds.h5ad, {"layer": ""}, tfs=ds.tfs, extra={"dataset_name": "synthetic"})
    for r in (emb, grn):
        assert run_job(r.path, poll=0.05) == 0, r.status
    return emb, grn


def test_regulons_job_writes_activity_for_the_embedding_cells(runs):
    from core.embedding import regulon_views as RV
    from core.grn.regulons_task import launch_regulons
    from core.jobs.runner import run_job
    from core.jobs.slots import LIGHT_LANE, job_lane

    emb, grn = runs
    assert [r.id for r in RV.matching_grn_runs(ad.read_h5ad(emb.path / "embedding.h5ad").var_names)] == [grn.id]
    assert RV.matching_grn_runs([f"other{i}" for i in range(60)]) == []
    job = launch_regulons(emb, grn, top_targets=10, executor=_Held())
    assert job_lane(job.params, "cpu") == LIGHT_LANE
    assert RV.regulon_runs(emb, grn, 10) and not RV.regulon_runs(emb, grn, 20)
    assert run_job(job.path, poll=0.05) == 0, job.status
    act = RV.load_activity(job)
    cells = ad.read_h5ad(emb.path / "embedding.h5ad")
    assert act.shape[0] == cells.n_obs and list(act.index) == list(cells.obs_names)
    assert len(act.columns) == job.status["metrics"]["n_regulons"] > 0
    fig, rss = RV.specificity_figure(act, cells.obs["cell_state"].astype(str).to_numpy())
    assert list(rss.index) == sorted(cells.obs["cell_state"].astype(str).unique())
    assert rss.shape[1] == act.shape[1] and fig.data[0].z.shape[0] == rss.shape[0]
    # the three simulated states differ in which regulons are active: each state has its most specific one
    assert rss.idxmax(axis=1).nunique() >= 2


def test_embedding_page_colours_by_regulon_and_shows_specificity(runs):
    from streamlit.testing.v1 import AppTest

    from core.embedding import regulon_views as RV
    from core.grn.regulons_task import launch_regulons
    from core.jobs.runner import run_job

    emb, grn = runs
    page = str(Path(__file__).parents[1] / "app_pages/embedding.py")
    at = AppTest.from_file(page, default_timeout=60)
    at.query_params["run"] = emb.id
    at.run()
    at.radio[0].set_value("regulon").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(b.label == "Score regulons" for b in at.button)  # nothing scored yet: offered as a job
    job = launch_regulons(emb, grn, executor=_Held())
    assert run_job(job.path, poll=0.05) == 0, job.status
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    names = list(RV.load_activity(job).columns)
    which = next(s for s in at.selectbox if s.label == "Which")
    assert list(which.options) == names
    assert any(s.label == "Clusters" for s in at.selectbox)
    assert "Regulon specificity per cluster" in [h.value for h in at.subheader]


def test_grn_page_edge_scatter_of_tf_and_target_by_cell_state(runs):
    from streamlit.testing.v1 import AppTest

    from core.grn.edge_scatter import edge_expression, edge_scatter, load_cells
    from core.grn.explorer import open_network

    _, grn = runs
    edges = open_network(grn.path).edges
    tf, target = edges["source"].iat[0], edges["target"].iat[0]
    matrix, names, groups = load_cells(grn.params["dataset"])
    assert groups[0] == "cell_state" and len(set(groups[1])) == 3
    expr = edge_expression(matrix, names, tf, target)
    fig, rho = edge_scatter(expr, tf, target, groups, edges["signed_weight"].iat[0])
    assert abs(rho) > 0.3  # the strongest Pearson edge: the two genes co-vary across cells
    assert len(fig.data) == 3 and sum(len(t.x) for t in fig.data) == len(expr) and "Spearman" in fig.layout.title.text
    with pytest.raises(Exception, match="not in this run's dataset"):
        edge_expression(matrix, names, tf, "NOPE")

    at = AppTest.from_file(str(Path(__file__).parents[1] / "app_pages/grn.py"), default_timeout=60)
    at.query_params["run"] = grn.id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    edge_box = next(s for s in at.selectbox if s.label == "Edge")
    from core.grn.view.cuts import default_step

    n_genes = len(open_network(grn.path).genes())
    assert len(edge_box.options) == min(500, default_step("top_k", len(edges), n_genes))  # the shown edges
    edge_box.set_value(1).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("coloured by cell_state" in c.value for c in at.caption)

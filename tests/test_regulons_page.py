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

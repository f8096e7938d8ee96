"""Real browser (headless Debian chromium): a regulon colours the UMAP on the Embedding page.

A PCA embedding and a Pearson network of the bundled synthetic sample (3 cell states) are finished runs; in
the page the user picks "regulon", clicks "Score regulons" (a background job through the real executor) and
the UMAP is then coloured by a regulon's activity, with the cluster x regulon specificity heatmap below.
Screenshot: test-artifacts/screenshots/regulon_umap.png.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from browser_support import browser_page, screenshot, streamlit_server, wait_app_idle

pytestmark = pytest.mark.browser

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from browser_support import chromium_path

    chromium_path()
    home = tmp_path_factory.mktemp("scgrn_regulons")
    old = os.environ.get("SCGRN_HOME")
    os.environ["SCGRN_HOME"] = str(home)
    try:
        from core.data.sample import prepare_sample
        from core.jobs.rundir import create_run
        from core.jobs.runner import run_job

        ds = prepare_sample("synthetic")
        emb = create_run("embed", "pca", ds.h5ad, {"n_comps": 5}, label="PCA", extra={"dataset_name": "synthetic"})
        grn = create_run("grn", "pearson", ds.h5ad, {"layer": ""}, tfs=ds.tfs, extra={"dataset_name": "synthetic"})
        for r in (emb, grn):
            assert run_job(r.path, poll=0.05) == 0, r.status
    finally:
        if old is None:
            os.environ.pop("SCGRN_HOME", None)
        else:
            os.environ["SCGRN_HOME"] = old
    return home, emb, grn


UMAP_JS = """() => {
  const plots = [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')];
  const umap = plots.find(p => p.layout && p.layout.xaxis && p.layout.xaxis.title &&
                                (p.layout.xaxis.title.text || p.layout.xaxis.title) === 'UMAP1');
  if (!umap) return null;
  const t = umap._fullData[0];  // decoded (the figure travels as typed arrays)
  return {title: umap.layout.title.text || umap.layout.title, n: t.x.length,
          color: Array.from(t.marker.color || []), scale: !!t.marker.showscale,
          heatmaps: plots.filter(p => p.data[0].type === 'heatmap').length};
}"""


def test_a_regulon_colours_the_umap(runs):
    home, emb, grn = runs
    with streamlit_server({"SCGRN_HOME": str(home), "PYTHONPATH": ROOT}) as url, browser_page() as page:
        page.goto(f"{url}/embedding?run={emb.id}")
        page.get_by_text("ASW (labels)").first.wait_for(timeout=90_000)
        wait_app_idle(page)
        page.get_by_text("regulon", exact=True).click()
        page.get_by_role("button", name="Score regulons").click()
        # the job runs in the background; the page follows it and then shows the regulon picker
        page.get_by_text("Regulon specificity per cluster").wait_for(timeout=120_000)
        wait_app_idle(page)
        page.wait_for_function(f"() => ({UMAP_JS})() && ({UMAP_JS})().scale", timeout=60_000)
        got = page.evaluate(UMAP_JS)
        from core.embedding import regulon_views as RV
        from core.jobs.rundir import list_runs

        job = RV.regulon_runs(emb, grn, runs=list_runs(home / "runs"))[0]
        act = RV.load_activity(job)
        first = act.columns[0]
        assert got["scale"] and got["n"] == act.shape[0]
        assert np.allclose(np.asarray(got["color"], float), act[first].to_numpy(), atol=1e-4)
        assert np.std(got["color"]) > 0  # the activity varies over the cells: the UMAP is coloured by it
        assert first in got["title"] and got["heatmaps"] == 1
        page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
        screenshot(page, "regulon_umap")

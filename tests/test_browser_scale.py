"""Real browser (headless Debian chromium) at 20,000 cells (issue 13): with a finished 20k-cell embedding run
selected, the Embedding, Simulation, GRN and Runs pages each show their main chart within 3 s.

The runs are built directly, without minutes of training: 20,000 cells x 100 genes from the project's simulator
(core.data.synthetic, sparse counts); a VAE trained for one epoch (a real checkpoint), its latent written as
the run's embedding with the simulator's cell states as clusters and the latent's first two principal
components as the 2-D view (what a page costs depends on the number of points, not on how UMAP placed them);
a real Pearson GRN run and a real simulation run (300 cells from that VAE, compared with the real cells) through
the job runner. Each page is opened by deep link twice, timed from navigation to the chart drawn: the first
visit (imports, files read) is printed, the second asserted. Screenshots: test-artifacts/screenshots/20k_<page>.png.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

from browser_support import browser_page, screenshot, streamlit_server, wait_app_idle

pytestmark = pytest.mark.browser

N_CELLS = 20_000
#: the issue's target; SCGRN_PAGE_SECONDS raises it on a machine known to be overloaded (say so when you do)
MAX_SECONDS = float(os.environ.get("SCGRN_PAGE_SECONDS", "3.0"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from browser_support import chromium_path

    chromium_path()  # skip before building anything when there is no browser
    home = tmp_path_factory.mktemp("scgrn_scale")
    old = os.environ.get("SCGRN_HOME")
    os.environ["SCGRN_HOME"] = str(home)
    try:
        import anndata as ad
        import pandas as pd
        import scipy.sparse as sp

        from core.atomic import write_json_atomic
        from core.context import RunContext
        from core.data.store import save_prepared
        from core.data.synthetic import synthetic_dataset
        from core.embedding import metrics as M
        from core.jobs.launch import launch, prepare_run
        from core.jobs.rundir import create_run
        from core.jobs.runner import run_job
        from core.models.build import train_model

        class Inline:  # run the job in this process (the executor itself is tested in test_jobs.py)
            def submit(self, run):
                assert run_job(run.path, poll=0.05) == 0, run.status

        adata, reference, tfs = synthetic_dataset(n_cells=N_CELLS, n_genes=100, n_tfs=10, seed=0)
        adata.X = sp.csr_matrix(adata.X)
        adata.layers["counts"] = adata.X.copy()
        meta = {"source": "simulator", "layout": "cells-by-genes", "preprocessing": "none",
                "labels_key": "cell_state", "perturbation_key": None, "value_kind": "counts"}
        ds = save_prepared(adata, "synthetic-20k", reference=reference, tfs=tfs, meta=meta)
        grn = launch(ds, "pearson", {}, device="cpu", executor=Inline())

        params = {"likelihood": "nb", "epochs": 1, "latent_dim": 6, "batch_size": 512}
        emb = prepare_run(ds, "vae", params, device="cpu", task="embed", labels_key="cell_state")
        data = ad.read_h5ad(ds.path / "data.h5ad")
        model = train_model("vae", data, RunContext(device="cpu"), params)
        model.save(emb.path / "checkpoints" / "model.pt")
        out = model.embed(data)
        z = out.obsm[model.latent_key]
        zc = z - z.mean(0)
        out.obsm["X_umap"] = (zc @ np.linalg.svd(zc, full_matrices=False)[2][:2].T).astype(np.float32)
        out.obs["leiden"] = pd.Categorical(out.obs["cell_state"].astype(str))
        metrics = {"method": "vae", "likelihood": "nb", "labels_key": "cell_state", "latent_key": model.latent_key,
                   **M.embedding_metrics(z, out.obs["leiden"].to_numpy(), out.obs["cell_state"].to_numpy()),
                   "active_units": M.active_units(M.latent_activity(z)), "latent_dim": 6,
                   "latent_activity": [float(a) for a in M.latent_activity(z)], "seconds": 1.0, "n_cells": N_CELLS}
        out.uns["scgrn_embedding"] = {k: v for k, v in metrics.items() if v is not None}
        out.write_h5ad(emb.artifact("embedding.h5ad"))
        write_json_atomic(emb.artifact("metrics.json"), json.loads(json.dumps(metrics)))
        emb.set_status("finished", finished_at=time.time(), metrics=metrics)

        sim = create_run("simulate", "simulate", emb.params["dataset"],
                         {"source_run": str(emb.path), "n_cells": 300, "noise": 0.5, "embed": False}, seed=0,
                         device="cpu", label="Simulation from VAE", extra={"dataset_name": "synthetic-20k"})
        assert run_job(sim.path, poll=0.05) == 0, sim.status
    finally:
        if old is None:
            os.environ.pop("SCGRN_HOME", None)
        else:
            os.environ["SCGRN_HOME"] = old
    return home, emb.id, sim.id, grn.id


def _timed(page, url: str, ready) -> float:
    t0 = time.perf_counter()
    page.goto(url)
    ready()
    return time.perf_counter() - t0


def test_pages_load_within_3_s_with_a_20k_cell_run(runs):
    """Each page twice: the first visit after the server started pays its imports and reads the run's files
    (printed), the second is a page load as a user meets it (asserted under 3 s)."""
    home, emb_id, sim_id, grn_id = runs
    timeout = 90_000
    chart = '[data-testid="stPlotlyChart"] .main-svg'
    pages = {
        "Embedding": (f"/embedding?run={emb_id}", lambda page: (
            page.locator(chart).first.wait_for(timeout=timeout),
            page.locator('[data-testid="stPlotlyChart"] canvas').first.wait_for(timeout=timeout))),
        "Simulation": (f"/simulation?sim={sim_id}", lambda page: page.locator(chart).first.wait_for(timeout=timeout)),
        "GRN": (f"/grn?run={grn_id}", lambda page: page.frame_locator("iframe").first.locator("canvas").first
                .wait_for(timeout=timeout)),
        "Runs": (f"/runs?run={emb_id}", lambda page: page.locator('[data-testid="stDataFrame"]').first
                 .wait_for(timeout=timeout)),
    }
    first, seconds = {}, {}
    with streamlit_server({"SCGRN_HOME": str(home)}) as url, browser_page() as page:
        for name, (path, ready) in pages.items():
            first[name] = _timed(page, url + path, lambda: ready(page))
            wait_app_idle(page, timeout)
            seconds[name] = _timed(page, url + path, lambda: ready(page))
            wait_app_idle(page, timeout)
            if name == "Embedding":
                drawn = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData"
                                      ".reduce((n, t) => n + (t._length || 0), 0)")
                assert drawn == N_CELLS  # every cell is a WebGL point
                kinds = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData.map(t => t.type)")
                assert set(kinds) == {"scattergl"}
            if name == "Simulation":
                assert page.get_by_text("Classifier AUC").count() >= 1
                assert page.get_by_text("Compared on random subsamples").count() >= 1  # 20k real cells > 10k cap
            screenshot(page, f"20k_{name.lower()}")
    print("page load seconds at 20k cells, first visit:", {k: round(v, 2) for k, v in first.items()},
          "then:", {k: round(v, 2) for k, v in seconds.items()})
    slow = {k: round(v, 2) for k, v in seconds.items() if v > MAX_SECONDS}
    assert not slow, f"pages over {MAX_SECONDS} s at {N_CELLS:,} cells: {slow} (first visits: {first})"

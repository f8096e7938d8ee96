"""GRN inputs the BEELINE way (issue 13): TFs + top-N variable genes, a stratified cell subsample, recorded."""

from __future__ import annotations

import json

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from core.data.grn_inputs import plan_grn_inputs, select_grn_inputs, subsample_cells


def _data(n_cells=600, n_genes=300, n_variable=40, seed=0, sparse=True):
    """Counts where the first ``n_variable`` genes vary strongly between 3 clusters (sizes 60 %, 30 %, 10 %); means
    spread over the range so that scanpy's mean bins mix planted and plain genes."""
    rng = np.random.default_rng(seed)
    cluster = rng.choice(3, size=n_cells, p=[0.6, 0.3, 0.1])
    base = np.exp(rng.uniform(np.log(0.5), np.log(20.0), size=n_genes))  # genes over the whole mean range
    mu = np.tile(base, (n_cells, 1))
    on = cluster[:, None] == np.arange(n_variable)[None, :] % 3  # planted genes: high in one cluster only
    mu[:, :n_variable] *= np.where(on, 2.7, 0.15)
    X = rng.poisson(mu).astype(np.float32)
    a = ad.AnnData(sp.csr_matrix(X) if sparse else X)
    a.var_names = [f"G{j:03d}" for j in range(n_genes)]
    a.obs["cell_type"] = pd.Categorical([f"type{c}" for c in cluster])
    return a


def test_tfs_plus_top_variable_genes():
    a = _data()
    tfs = ["G290", "G291", "G001", "NOT_IN_DATA"]
    rec = plan_grn_inputs(a, tfs, n_top_genes=40, max_cells=0)
    assert rec.flavor and rec.n_tfs == 3
    # the planted variable genes fill the top 40 (scanpy's binned dispersions miss a few; chance: 13 %), plus
    # every TF (those outside the top 40 added); data order kept
    planted = {f"G{j:03d}" for j in range(40)}
    assert len(planted & set(rec.genes)) >= 36
    assert {"G290", "G291", "G001"} <= set(rec.genes) and rec.n_genes in (42, 43)  # 40 + the TFs outside them
    assert rec.genes == sorted(rec.genes)
    assert "3 TFs + top 40 variable genes" in rec.words()


def test_log_data_and_counts_rank_the_same_planted_genes():
    import scanpy as sc

    a = _data(sparse=False)
    a.layers["counts"] = a.X.copy()
    sc.pp.normalize_total(a, target_sum=1e4)
    sc.pp.log1p(a)
    rec = plan_grn_inputs(a, None, n_top_genes=40, max_cells=0)
    assert len({f"G{j:03d}" for j in range(40)} & set(rec.genes)) >= 36 and rec.n_genes == 40
    del a.layers["counts"]
    assert "log values" in plan_grn_inputs(a, None, n_top_genes=40, max_cells=0).flavor


def test_small_data_pass_through_unchanged():
    a = _data(n_cells=200, n_genes=50)
    out, rec = select_grn_inputs(a, ["G001"], n_top_genes=500, max_cells=5000)
    assert out is a and rec.flavor == "" and rec.words().startswith("all 50 genes x all 200 cells")


def test_cell_subsample_is_stratified_by_cluster_and_stays_sparse():
    a = _data(n_cells=2000)
    out, rec = select_grn_inputs(a, None, n_top_genes=40, max_cells=500, seed=1)
    assert out.shape == (500, 40) and sp.issparse(out.X) and rec.stratify_by == "cell_type"
    full = a.obs["cell_type"].value_counts(normalize=True)
    sub = out.obs["cell_type"].value_counts(normalize=True)
    assert (sub - full).abs().max() < 0.01  # each cluster keeps its share (a random draw would wander ~2 %)
    # same seed, same cells; another seed, other cells
    assert np.array_equal(subsample_cells(a, 500, seed=1)[0], subsample_cells(a, 500, seed=1)[0])
    assert not np.array_equal(subsample_cells(a, 500, seed=1)[0], subsample_cells(a, 500, seed=2)[0])
    a.obs = a.obs[[]]  # no cluster column: a plain random subsample
    idx, col = subsample_cells(a, 500)
    assert col is None and len(idx) == 500 and len(set(idx)) == 500


def test_grn_run_applies_and_records_the_inputs(workspace):
    from core.data.store import save_prepared
    from core.jobs.launch import launch
    from core.jobs.rundir import Run
    from core.jobs.runner import run_job

    class Held:
        def submit(self, run):
            pass

    a = _data(n_cells=700, n_genes=120)
    ds = save_prepared(a, "toy", tfs=["G100", "G101"], meta={"labels_key": "cell_type"})
    run = launch(ds, "pearson", {}, task="grn", grn_inputs={"n_top_genes": 500, "max_cells": 0}, executor=Held())
    assert run.params["grn_inputs"] == {"n_top_genes": 500, "max_cells": 0}
    run = launch(ds, "pearson", {}, task="grn", grn_inputs={"max_cells": 300}, executor=Held())
    # defaults for what is not given; recorded in params.json
    assert json.loads((run.path / "params.json").read_text())["grn_inputs"] == {"n_top_genes": 1000, "max_cells": 300}
    assert run_job(run.path, poll=0.05) == 0
    rec = json.loads((run.path / "grn_inputs.json").read_text())
    assert rec["n_cells"] == 300 and rec["stratify_by"] == "cell_type" and len(rec["genes"]) == 120
    assert Run(run.path).status["metrics"]["grn_cells"] == 300
    assert "inputs: all 120 genes x 300 of 700 cells" in (run.path / "log.txt").read_text()
    with pytest.raises(Exception, match="0 \\(all\\) or more"):
        launch(ds, "pearson", {}, task="grn", grn_inputs={"max_cells": -1}, executor=Held())


def test_cli_grn_takes_the_same_inputs_on_request(tmp_path):
    import subprocess
    import sys

    a = _data(n_cells=400, n_genes=80)
    a.write_h5ad(tmp_path / "x.h5ad")
    out = tmp_path / "edges.tsv"
    r = subprocess.run([sys.executable, "-m", "core", "grn", str(tmp_path / "x.h5ad"), "--model", "pearson",
                        "--top-genes", "30", "--max-cells", "200", "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["n_genes"] == 30 and res["n_cells"] == 200
    assert "stratified by 'cell_type'" in r.stderr

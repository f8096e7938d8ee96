"""`scgrn embed`, the embedding task (job runner) and the Embedding page, on tiny blob data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from test_vae import blobs  # noqa: E402

from core.cli import main  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("embed") / "blobs.h5ad"
    blobs(n_per=40, n_genes=30).write_h5ad(path)
    return path


def _last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_embed_gmvae_writes_latent_umap_clusters_and_scores(data_file, tmp_path, capsys):
    out = tmp_path / "g.h5ad"
    code = main(["embed", str(data_file), "--model", "gmvae", "--likelihood", "zinb", "--clusters", "3",
                 "--latent-dim", "4", "--epochs", "30", "--labels", "label", "--param", "kl_warmup=5",
                 "--param", "batch_size=64", "--seed", "1", "--device", "cpu", "--out", str(out)])
    assert code == 0
    res = _last_json(capsys)
    for key in ("asw_labels", "asw_clusters", "ari", "nmi", "active_units", "seconds"):
        assert key in res
    assert -1 <= res["asw_labels"] <= 1 and 0 <= res["nmi"] <= 1 and 0 < res["active_units"] <= 4
    assert res["ari"] > 0.5  # three well-separated types
    a = ad.read_h5ad(out)
    assert a.obsm["X_gmvae"].shape == (a.n_obs, 4) and a.obsm["X_umap"].shape == (a.n_obs, 2)
    assert "leiden" in a.obs and "gmvae_cluster" in a.obs
    assert a.uns["scgrn_embedding"]["active_units"] == res["active_units"]


def test_embed_same_seed_same_scores(data_file, tmp_path, capsys):
    argv = ["embed", str(data_file), "--model", "vae", "--likelihood", "nb", "--epochs", "5", "--labels", "label",
            "--latent-dim", "3", "--device", "cpu"]
    assert main(argv + ["--out", str(tmp_path / "a.h5ad")]) == 0
    a = _last_json(capsys)
    assert main(argv + ["--out", str(tmp_path / "b.h5ad")]) == 0
    b = _last_json(capsys)
    assert a["asw_labels"] == b["asw_labels"] and a["ari"] == b["ari"]
    np.testing.assert_array_equal(ad.read_h5ad(tmp_path / "a.h5ad").obsm["X_vae"],
                                  ad.read_h5ad(tmp_path / "b.h5ad").obsm["X_vae"])


def test_embed_user_errors_exit_2_with_message(data_file, tmp_path, capsys):
    out = str(tmp_path / "x.h5ad")
    assert main(["embed", str(data_file), "--model", "vae", "--likelihood", "nb", "--layer", "X", "--out", out]) == 2
    assert "choose layer 'counts'" in capsys.readouterr().err
    assert main(["embed", str(data_file), "--model", "vae", "--labels", "nope", "--epochs", "1", "--out", out]) == 2
    assert "Label column 'nope' not in obs" in capsys.readouterr().err
    assert main(["embed", str(data_file), "--model", "vae", "--clusters", "3", "--out", out]) == 2
    assert "does not take --clusters" in capsys.readouterr().err


@pytest.fixture()
def finished_embed_run(workspace, data_file):
    from core.data.store import save_prepared
    from core.jobs.rundir import create_run
    from core.jobs.runner import run_job

    ds = save_prepared(ad.read_h5ad(data_file), "blobs", meta={"labels_key": "label"})
    runs = []
    for method, params in (("vae", {"likelihood": "nb", "epochs": 3, "latent_dim": 3}), ("pca", {"n_comps": 4})):
        run = create_run("embed", method, ds.h5ad, params, label=method.upper(), extra={"dataset_name": "blobs"})
        assert run_job(run.path, poll=0.05) == 0, run.status
        runs.append(run)
    return runs


def test_job_runner_embed_task_writes_artifacts(finished_embed_run):
    run = finished_embed_run[0]
    metrics = json.loads(run.artifact("metrics.json").read_text())
    assert metrics["labels_key"] == "label"  # taken from the dataset's meta.json
    assert metrics["ari"] is not None and len(metrics["latent_activity"]) == 3
    assert run.status["metrics"]["method"] == "vae"
    assert "X_vae" in ad.read_h5ad(run.artifact("embedding.h5ad")).obsm
    assert run.artifact("checkpoints/model.pt").exists()


def test_embedding_page_shows_scores_umap_and_comparison(finished_embed_run):
    from streamlit.testing.v1 import AppTest

    from core.embedding import views as V

    at = AppTest.from_file(str(Path(__file__).parents[1] / "app_pages/embedding.py"), default_timeout=60)
    at.query_params["run"] = finished_embed_run[0].id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label for m in at.metric}
    assert {"ASW (labels)", "ARI", "NMI", "Active units"} <= labels
    table = at.dataframe[0].value
    assert set(table["model"]) == {"VAE", "PCA"} and table["ARI"].notna().all()
    # colour by a gene, then save a selection through the core helper the page calls
    at.radio[0].set_value("gene").run()
    assert not at.exception
    adata = V.save_selection(finished_embed_run[0], "picked", np.arange(5))
    assert (adata.obs["picked"] == "selected").sum() == 5
    with pytest.raises(Exception, match="Nothing selected"):
        V.save_selection(finished_embed_run[0], "picked", np.array([], int))


def test_deepsem_embedding_mode(data_file, tmp_path, capsys):
    pytest.importorskip("core.models.deepsem")
    out = tmp_path / "d.h5ad"
    assert main(["embed", str(data_file), "--model", "deepsem", "--epochs", "3", "--labels", "label",
                 "--device", "cpu", "--out", str(out)]) == 0
    res = _last_json(capsys)
    a = ad.read_h5ad(out)
    assert a.obsm["X_deepsem"].shape == (a.n_obs, a.n_vars) and res["method"] == "deepsem"
    assert np.isfinite(a.obsm["X_deepsem"]).all()


def test_selected_cells_from_customdata_or_trace_lookup():
    from core.embedding import views as V

    a = ad.AnnData(np.zeros((6, 2), np.float32))
    a.obsm["X_umap"] = np.arange(12, dtype=float).reshape(6, 2)
    fig = V.umap_figure(a, np.array(list("aabbab")), categorical=True)
    assert [len(t.x) for t in fig.data] == [3, 3] and fig.data[0].type == "scattergl"
    ev = {"selection": {"points": [{"customdata": 5}, {"curve_number": 1, "point_index": 0}]}}
    assert V.selected_cells(ev, fig).tolist() == [2, 5]  # trace "b" holds cells 2, 3, 5

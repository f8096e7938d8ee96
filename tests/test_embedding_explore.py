"""Embedding page exploration: raw vs denoised expression (cached denoised layer) and latent interpolation between
two groups of cells (core.embedding.explore and the page)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.test_simulation_side_by_side import two_types

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def vae_embedding_run(workspace):
    """A finished VAE embedding run on two cell types (A expresses g0-g7, B expresses g8-g15)."""
    import torch

    from core.data.store import save_prepared
    from core.jobs.rundir import create_run
    from core.jobs.runner import run_job

    torch.set_num_threads(1)
    a = two_types(n=200)
    a.layers["counts"] = a.X.copy()
    ds = save_prepared(a, "two types", meta={"labels_key": "cell_type"})
    run = create_run("embed", "vae", ds.h5ad, {"likelihood": "nb", "epochs": 60, "latent_dim": 2, "hidden": 16},
                     seed=0, device="cpu", label="VAE", extra={"dataset_name": "two types"})
    assert run_job(run.path, poll=0.05) == 0, run.status
    return run


def test_denoised_layer_is_cached_and_less_noisy(vae_embedding_run):
    from core.embedding import explore as E
    from core.embedding.views import load_embedding

    run = vae_embedding_run
    adata = load_embedding(run)
    assert E.can_denoise(run) and E.can_interpolate(run)
    den = E.denoised(run, adata)
    cache = run.path / E.DENOISED
    assert cache.exists() and den.layers["denoised"].shape == (adata.n_obs, 16)
    mtime = cache.stat().st_mtime
    again = E.denoised(run, adata)
    assert cache.stat().st_mtime == mtime  # read back, not recomputed
    np.testing.assert_allclose(again.layers["denoised"], den.layers["denoised"])
    # denoised values of a type-specific gene vary less within a cell type (relative to between types) than raw
    is_a = (adata.obs["cell_type"] == "A").to_numpy()
    raw, clean, scale = E.gene_raw_and_denoised(adata, den, "g0")
    assert scale == "log1p(counts per 10k)" and raw.shape == clean.shape == (adata.n_obs,)

    def within_over_between(v):
        return (v[is_a].var() + v[~is_a].var()) / (v[is_a].mean() - v[~is_a].mean()) ** 2

    assert clean[is_a].mean() > clean[~is_a].mean() + 1.0
    assert within_over_between(clean) < 0.5 * within_over_between(raw)
    with pytest.raises(Exception, match="not among"):
        E.gene_raw_and_denoised(adata, den, "nope")


def test_interpolation_from_a_to_b_raises_b_genes(vae_embedding_run):
    from core.embedding import explore as E
    from core.embedding.views import load_embedding
    from core.errors import InputError

    run = vae_embedding_run
    adata = load_embedding(run)
    assert set(E.group_choices(adata)["cell_type"]) == {"A", "B"}
    a = E.group(adata, "column", "cell_type", "A")
    b = E.group(adata, "cells", cells=list(adata.obs_names[adata.obs["cell_type"] == "B"]))
    path = E.interpolate_run(run, adata, a, b, n_steps=10, labels=("A", "B"))
    top = path.top_genes(8)
    assert len(path.expression) == 10 and path.umap.shape == (10, 2)
    change = path.changes()["log1p_change"]
    down, up = change[[f"g{j}" for j in range(8)]], change[[f"g{j}" for j in range(8, 16)]]
    assert down.mean() < -0.5 and up.mean() > 0.5  # A's programme falls, B's rises along the path
    assert (down < 0).sum() >= 7 and (up > 0).sum() >= 6
    assert top["log1p_range"].is_monotonic_decreasing
    U = np.asarray(adata.obsm["X_umap"])
    start_a = np.linalg.norm(path.umap[0] - U[a].mean(0)) < np.linalg.norm(path.umap[0] - U[b].mean(0))
    end_b = np.linalg.norm(path.umap[-1] - U[b].mean(0)) < np.linalg.norm(path.umap[-1] - U[a].mean(0))
    assert start_a and end_b
    labels = E.group_labels(a, b, ("A", "B"))
    assert set(labels) == {"A: A", "B: B"}
    assert path.to_csv().splitlines()[0].startswith("t,g0,")
    with pytest.raises(InputError, match="no cells"):
        E.group(adata, "cells", cells=[])


def test_embedding_page_shows_denoised_and_interpolation(vae_embedding_run):
    run = vae_embedding_run
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("app_pages/embedding.py")
    at.query_params["run"] = run.id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    heads = [h.value for h in at.subheader]
    assert "Raw vs denoised expression" in heads and "Latent interpolation" in heads
    assert (run.path / "denoised.h5ad").exists()
    assert any("log1p(counts per 10k)" in c.value for c in at.caption)
    at.selectbox(key=f"interp_src_A_{run.id}").set_value("cell_type")
    at.selectbox(key=f"interp_src_B_{run.id}").set_value("cell_type")
    at.run()
    at.selectbox(key=f"interp_val_A_{run.id}").set_value("A")
    at.selectbox(key=f"interp_val_B_{run.id}").set_value("B")
    at.button(key=f"interp_go_{run.id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "log1p_change" in d.value.columns)
    assert len(table) == 16 and set(table.index[:8]) <= {f"g{j}" for j in range(16)}
    downloads = [d.label for d in at.get("download_button")]
    assert "Download the decoded path (.csv)" in downloads and "Download the gene changes (.csv)" in downloads


def test_large_data_denoise_only_when_asked(vae_embedding_run, monkeypatch):
    """Above AUTO_DENOISE_CELLS the page does not denoise every cell on first view; the toggle does it."""
    from core.embedding import explore

    monkeypatch.setattr(explore, "AUTO_DENOISE_CELLS", 100)  # the fixture has a few hundred cells
    run = vae_embedding_run
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("app_pages/embedding.py")
    at.query_params["run"] = run.id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not (run.path / "denoised.h5ad").exists()
    toggle = at.toggle(key=f"denoise_on_{run.id}")
    assert toggle.value is False
    toggle.set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert (run.path / "denoised.h5ad").exists()

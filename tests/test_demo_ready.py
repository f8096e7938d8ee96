"""Issue 18 (demo-ready): run stages, durations in words, metrics/params in words, under-trained advice, palette,
log axes and the single-component GMVAE comparison, on real (tiny) objects."""

from __future__ import annotations

import numpy as np
import plotly.express as px

from core.context import RunContext
from core.embedding.views import qualitative_palette, tidy_log_axes
from core.simulation.advice import undertrained
from ui.common import human_duration, metrics_table


def test_stage_is_written_and_read(tmp_path):
    from core.jobs.rundir import Run

    ctx = RunContext(run_dir=tmp_path)
    assert Run(tmp_path).stage is None
    ctx.stage("Post-processing: UMAP")
    assert Run(tmp_path).stage == "Post-processing: UMAP"
    assert "Post-processing: UMAP" in (tmp_path / "log.txt").read_text()


def test_human_duration():
    assert human_duration(None) == "—"
    assert human_duration(25.4) == "under a minute"
    assert human_duration(125) == "about 2 minutes"
    assert human_duration(2469) == "about 41 minutes"
    assert human_duration(3 * 3600 + 600) == "about 3.2 hours"


def test_metrics_table_rounds_and_words():
    t = metrics_table({"epr": 2.123456789012345, "n_edges": 12000, "latent_activity": [0.123456, 1.0], "x": {"a": 1}})
    values = dict(zip(t["metric"], t["value"]))
    assert values == {"EPR": "2.12", "Edges": "12,000", "latent activity A_z per dimension": "0.123, 1"}


def test_undertrained_vae_is_flagged_with_the_fix():
    from core.models.vae.train import default_epochs

    base = {"method": "vae", "params": {"epochs": 30, "batch_size": 128}}
    msg = undertrained(base, 600)
    assert msg is not None and str(default_epochs(600, 128)) in msg and "size-aware" in msg
    assert undertrained({"method": "vae", "params": {"epochs": None}}, 600) is None  # the rule applied
    assert undertrained({"method": "vae", "params": {"epochs": default_epochs(600, 128)}}, 600) is None
    assert undertrained({"method": "pearson", "params": {}}, 600) is None  # no rule for this family


def test_palette_has_distinct_colours():
    for n in (3, 11, 25, 40):
        pal = qualitative_palette(n)
        assert len(pal) == n and len(set(pal)) == n


def test_log_axes_only_at_decades():
    fig = tidy_log_axes(px.histogram(x=np.arange(1, 100), log_y=True))
    assert fig.layout.yaxis.dtick == 1 and fig.layout.xaxis.dtick is None


def test_gmvae_component_is_compared_with_its_own_cells():
    import anndata as ad

    from core.models.vae.model import GMVAE

    rng = np.random.default_rng(0)
    X = np.vstack([rng.poisson(2, (40, 12)), rng.poisson(8, (40, 12))]).astype(np.float32)
    adata = ad.AnnData(X)
    adata.layers["counts"] = X.copy()
    model = GMVAE(adata, device="cpu", clusters=2, latent_dim=2, hidden=8, epochs=3, likelihood="poisson")
    model.train()
    k = int(model.get_clusters(adata)[0])
    real, _ = model.comparable_real(adata, {"component": k})
    assert real.n_obs == int((model.get_clusters(adata) == k).sum())
    full, _ = model.comparable_real(adata, {"component": None})
    assert full.n_obs == adata.n_obs

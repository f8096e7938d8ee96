"""Several simulators side by side on the same real cells (core.simulation.side_by_side and the Simulation page),
a cscGAN's clusters offered as a list, GAN warnings and per-epoch readings on the Runs page."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import torch
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
GAN = dict(epochs=120, generator_widths="32,32", critic_widths="32,32", latent_dim=8, batch_size=64, critic_steps=3,
           lr_generator=1e-3, lr_critic=1e-3)


def two_types(n: int = 160, g: int = 16, seed: int = 0) -> ad.AnnData:
    """Two cell types with different expressed gene programmes (Poisson counts)."""
    rng = np.random.default_rng(seed)
    rate = np.full((2, g), 0.5)
    rate[0, : g // 2], rate[1, g // 2:] = 12.0, 12.0
    y = np.repeat([0, 1], n // 2)
    X = rng.poisson(rate[y] * rng.uniform(0.7, 1.3, (n, 1))).astype(np.float32)
    return ad.AnnData(X, obs=pd.DataFrame({"cell_type": np.array(["A", "B"])[y]}, index=[f"c{i}" for i in range(n)]),
                      var=pd.DataFrame(index=[f"g{j}" for j in range(g)]))


def _trained_run(ds, method: str, params: dict, label: str):
    from core.context import RunContext
    from core.jobs.rundir import create_run
    from core.models.build import train_model

    run = create_run("generate" if "gan" in method else "embed", method, ds.h5ad, params, seed=0, device="cpu",
                     label=label, extra={"dataset_name": "two types"})
    ctx = RunContext(seed=0, run_dir=run.path)
    train_model(method, ds.load(), ctx, params)
    run.set_status("finished")
    return run


@pytest.fixture()
def three_simulations(workspace):
    """scGAN, cscGAN (cluster A only) and VAE simulations of the same tiny two-type dataset."""
    from core.data.store import save_prepared
    from core.jobs.runner import run_job
    from core.simulation.task import launch_simulation

    torch.set_num_threads(1)
    ds = save_prepared(two_types(), "two types")
    held = type("Held", (), {"submit": lambda self, r: None})()
    sources = [_trained_run(ds, "scgan", GAN, "scGAN"), _trained_run(ds, "cscgan", GAN, "cscGAN"),
               _trained_run(ds, "vae", {"epochs": 30, "latent_dim": 2, "hidden": 16}, "VAE")]
    sims = []
    for src, opts in zip(sources, [{}, {"cluster": "A"}, {}]):
        sim = launch_simulation(src.path, 60, options=opts, embed=False, executor=held)
        assert run_job(sim.path, poll=0.05) == 0, sim.status
        sims.append(sim)
    return ds, sources, sims


def test_side_by_side_figures_and_shared_clusters(three_simulations):
    from core.jobs.rundir import list_runs
    from core.simulation.side_by_side import (FIGURES, best_per_figure, default_selection, figures_by_row, figures_table,
                                              grn_consistency_table, same_data_simulations, shared_cluster_proportions)

    ds, sources, sims = three_simulations
    cands = same_data_simulations(list_runs(), sims[0])
    assert cands[0].id == sims[0].id and {r.id for r in cands} == {s.id for s in sims}
    assert {r.id for r in default_selection(cands)} == {s.id for s in sims}  # one per simulator
    table = figures_table(sims)
    assert len(table) == 3 and (table["cells"] == 60).all()
    saved = [s.metrics()["classifier_auc"] for s in sims]
    np.testing.assert_allclose(table["Classifier AUC"].to_numpy(), saved)
    rows = figures_by_row(table)
    assert list(rows.columns) == list(table.index) and not rows.isna().all(axis=1).any()
    assert rows.loc["Classifier AUC (lower is better)"].tolist() == pytest.approx(saved)
    best = best_per_figure(table)
    assert best["Classifier AUC"] == table["Classifier AUC"].idxmin()
    assert best["Mean r"] == table["Mean r"].idxmax()
    assert set(best) <= {f.label for f in FIGURES}
    assert set(grn_consistency_table(sims)["K"]) == {"1%", "5%", "10%", "20%"}

    props, tvd, where = shared_cluster_proportions(ds.load(), sims)
    assert where == "column 'cell_type'" and list(props.index) == ["A", "B"]
    assert props["real"].tolist() == [0.5, 0.5]
    csc = next(c for c in props.columns if c.startswith("cscGAN"))
    assert "cluster A" in csc
    assert props.loc["A", csc] > 0.9 and tvd[csc] > 0.4  # asked for cluster A: (nearly) only A, far from 50/50
    for name in props.columns[1:]:
        assert abs(props[name].sum() - 1.0) < 1e-9


def test_page_shows_simulators_side_by_side_and_cluster_list(three_simulations):
    from core.simulation.side_by_side import simulator_name

    _, sources, sims = three_simulations
    at = AppTest.from_file(str(ROOT / "app_pages/simulation.py"), default_timeout=120)
    at.query_params["sim"] = sims[1].id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(h.value == "Simulators side by side" for h in at.subheader)
    picker = next(m for m in at.multiselect if m.label.startswith("Simulations to compare"))
    assert set(picker.value) == {s.id for s in sims}
    frames = [d.value for d in at.dataframe]
    side = next(f for f in frames if "Classifier AUC (lower is better)" in f.index)
    assert len(side.columns) == 3 and any(c.startswith("cscGAN") for c in side.columns)  # one column per simulator
    saved = {simulator_name(s): s.metrics()["classifier_auc"] for s in sims}
    assert {c: side.loc["Classifier AUC (lower is better)", c] for c in side.columns} == pytest.approx(saved)
    assert any("Best per figure" in m.value for m in at.markdown)
    # the cscGAN source offers its clusters as a list, not a text box
    at.selectbox(key="sim_source").set_value(next(r for r in sources if r.params["method"] == "cscgan")).run()
    cluster = next(s for s in at.selectbox if s.label == "cluster")
    assert cluster.options == ["(all)", "A", "B"]


def test_runs_page_shows_gan_readings_and_warnings(three_simulations):
    from core.context import RunContext

    _, sources, _ = three_simulations
    gan = sources[0]
    RunContext(run_dir=gan.path).log("warning: possible mode collapse at epoch 9: test")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("app_pages/runs.py")
    at.query_params["run"] = gan.id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("possible mode collapse at epoch 9" in w.value for w in at.warning)
    text = " ".join(m.value for m in at.markdown)
    assert "Training loss" in text and "Other per-epoch readings" in text

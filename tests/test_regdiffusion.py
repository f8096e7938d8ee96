"""RegDiffusion as a method: the PyPI package run through our runner, CLI and spec (skips when not installed)."""

from __future__ import annotations

import json
from dataclasses import replace

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from core.context import RunContext
from core.errors import InputError
from core.grn.scoring import score_grn
from core.registry import get_method


@pytest.fixture(scope="module")
def logged(synthetic_small):
    adata, truth, tfs = synthetic_small
    X = np.log1p(adata.X / adata.X.sum(1, keepdims=True) * 1e4)
    return ad.AnnData(X.astype(np.float32), obs=adata.obs, var=adata.var), truth, tfs


def test_regdiffusion_runner_restricts_to_tfs_reports_progress_and_finds_signal(logged):
    pytest.importorskip("regdiffusion")
    adata, truth, tfs = logged
    spec = get_method("regdiffusion")
    assert spec.unavailable is None
    ctx = RunContext(seed=0, device="cpu", tfs=list(tfs))
    edges = spec.load_runner()(adata, ctx, **spec.resolve_params({"n_steps": 200}))
    assert set(edges.source) <= set(tfs) and (edges.source != edges.target).all()
    assert edges.weight.is_monotonic_decreasing and (edges.weight > 0).all()
    assert np.allclose(edges.weight, edges.signed_weight.abs())
    steps = [r["epoch"] for r in ctx.history]
    assert steps[-1] == 200 and ctx.history[-1]["n_epochs"] == 200 and "loss" in ctx.history[-1]["terms"]
    assert score_grn(edges, truth)["epr"] > 1.3
    again = spec.load_runner()(adata, RunContext(seed=0, device="cpu", tfs=list(tfs)), **spec.resolve_params({"n_steps": 200}))
    pd.testing.assert_frame_equal(edges, again)  # a seed gives the same network


def test_regdiffusion_in_cli(tmp_path, logged, capsys):
    pytest.importorskip("regdiffusion")
    from core.cli import main

    adata, truth, tfs = logged
    pd.DataFrame(adata.X, index=adata.obs_names, columns=adata.var_names).to_csv(tmp_path / "expr.csv")
    (tmp_path / "tfs.txt").write_text("\n".join(tfs) + "\n")
    out = tmp_path / "rd.tsv"
    assert main(["grn", str(tmp_path / "expr.csv"), "--model", "regdiffusion", "--tfs", str(tmp_path / "tfs.txt"),
                 "--out", str(out), "--param", "n_steps=50"]) == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert info["model"] == "regdiffusion" and info["n_tfs"] == len(tfs)
    assert set(pd.read_csv(out, sep="\t").source) <= set(tfs)


def test_missing_package_is_a_clear_input_error(logged):
    from core.grn.task import infer_grn

    original = get_method("regdiffusion")
    spec = replace(original, requires=("regdiffusion_not_installed_xyz",))
    assert "pip install 'scgrn-studio[regdiffusion]'" in spec.unavailable
    from core import registry

    registry._registry()["regdiffusion"] = spec
    try:
        with pytest.raises(InputError, match="not installed"):
            infer_grn(logged[0], "regdiffusion", RunContext())
    finally:
        registry._registry()["regdiffusion"] = original

"""`scgrn grn` and `scgrn eval-grn` run in-process on tiny synthetic CSV files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.grn.scoring import score_grn


@pytest.fixture(scope="module")
def files(tmp_path_factory, synthetic_small):
    adata, truth, tfs = synthetic_small
    d = tmp_path_factory.mktemp("grncli")
    X = np.log1p(adata.X / adata.X.sum(1, keepdims=True) * 1e4)
    pd.DataFrame(X, index=adata.obs_names, columns=adata.var_names).to_csv(d / "expr.csv")
    truth.to_csv(d / "truth.csv", index=False)
    (d / "tfs.txt").write_text("\n".join(tfs) + "\n")
    return d, truth, tfs


def last_json(capsys):
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


@pytest.mark.parametrize("model,extra", [("pearson", []), ("genie3", ["--param", "n_estimators=30", "--param", "n_jobs=1"])])
def test_grn_writes_ranked_edges_and_json(files, capsys, model, extra):
    d, truth, tfs = files
    out = d / f"{model}.tsv"
    assert main(["grn", str(d / "expr.csv"), "--model", model, "--tfs", str(d / "tfs.txt"), "--out", str(out), *extra]) == 0
    info = last_json(capsys)
    assert info["model"] == model and info["n_cells"] == 300 and info["n_genes"] == 30 and info["n_tfs"] == 8
    assert info["device"] == "cpu" and info["seconds"] >= 0
    edges = pd.read_csv(out, sep="\t")
    assert list(edges.columns[:3]) == ["source", "target", "weight"] and len(edges) == info["n_edges"]
    assert edges.weight.is_monotonic_decreasing and set(edges.source) <= set(tfs)
    assert score_grn(edges, truth)["epr"] > 1.3  # real signal from the simulated network

    assert main(["eval-grn", str(out), str(d / "truth.csv")]) == 0
    m = last_json(capsys)
    assert m["n_true_edges"] == len(truth.drop_duplicates()) and m["n_tfs"] == len(set(truth.Gene1))
    assert m["epr"] == pytest.approx(score_grn(edges, truth)["epr"])
    assert main(["eval-grn", str(out), str(d / "truth.csv"), "--convention", "deepsem", "--pr-curve", str(d / "pr.tsv")]) == 0
    assert last_json(capsys)["convention"] == "deepsem" and (d / "pr.tsv").exists()


def test_tfs_from_truth_and_top_k(files, capsys):
    d, truth, _ = files
    out = d / "top.tsv"
    assert main(["grn", str(d / "expr.csv"), "--model", "spearman", "--tfs-from", str(d / "truth.csv"), "--top-k", "25", "--out", str(out)]) == 0
    info = last_json(capsys)
    assert info["n_edges"] == 25 and info["n_tfs"] == len(set(truth.Gene1))
    assert set(pd.read_csv(out, sep="\t").source) <= set(truth.Gene1)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "nosuch"], "Unknown method"),
        (["--model", "pearson", "--epochs", "5"], "--epochs does not apply"),
        (["--model", "pearson", "--setting", "fast"], "no setting"),
        (["--model", "pearson", "--param", "alpha=3"], "no parameter 'alpha'"),
        (["--model", "pearson", "--param", "layer"], "KEY=VALUE"),
        (["--model", "genie3", "--param", "n_estimators=-4"], "n_estimators"),
    ],
)
def test_grn_bad_options_exit_2(files, capsys, args, message):
    d, _, _ = files
    assert main(["grn", str(d / "expr.csv"), *args, "--out", str(d / "x.tsv")]) == 2
    assert message in capsys.readouterr().err


def test_bad_files_exit_2(files, capsys, tmp_path):
    d, _, _ = files
    (tmp_path / "tfs.txt").write_text("NOT_A_GENE\n")
    assert main(["grn", str(d / "expr.csv"), "--model", "pearson", "--tfs", str(tmp_path / "tfs.txt"), "--out", str(tmp_path / "e.tsv")]) == 2
    assert "None of the 1 TFs" in capsys.readouterr().err
    assert main(["grn", str(tmp_path / "missing.csv"), "--model", "pearson", "--out", str(tmp_path / "e.tsv")]) == 2
    assert "not found" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_text("a\nb\n")
    assert main(["eval-grn", str(tmp_path / "bad.csv"), str(d / "truth.csv")]) == 2
    assert "error:" in capsys.readouterr().err


def test_setting_maps_to_preset_or_parameter():
    from core.cli import build_parser
    from core.cli.grn_cmd import method_params
    from core.registry import get_method

    ns = build_parser().parse_args(["grn", "x.csv", "--model", "genie3", "--setting", "fast", "--param", "n_jobs=1", "--out", "o.tsv"])
    params, preset = method_params(get_method("genie3"), ns)
    assert preset == "fast" and params == {"n_jobs": "1"}
    assert get_method("genie3").resolve_params(params, preset)["n_estimators"] == 100

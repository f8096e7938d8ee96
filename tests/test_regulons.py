"""Regulons (core.grn.regulons) and `scgrn regulons`, on a tiny data set with one truly co-expressed regulon."""

from __future__ import annotations

import json

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from core.cli import main
from core.errors import InputError
from core.grn.regulons import (OBSM_KEY, UNS_KEY, build_regulons, cluster_table, score_regulons, specificity,
                               stored_activity)


def toy(n_cells: int = 160, n_genes: int = 200, seed: int = 0) -> tuple[ad.AnnData, pd.DataFrame, np.ndarray]:
    """Counts where TFA and its 8 activated targets are high in half the cells (type "on"); TFB's
    targets are random genes. Returns (adata, edges, on-mask)."""
    rng = np.random.default_rng(seed)
    genes = ["TFA", "TFB"] + [f"A{i}" for i in range(8)] + [f"g{i}" for i in range(n_genes - 10)]
    on = np.arange(n_cells) < n_cells // 2
    rate = np.full((n_cells, n_genes), 2.0)
    rate[np.ix_(on, np.arange(0, 10))] = 12.0
    rate[:, 1] = 4.0  # TFB flat
    x = rng.poisson(rate).astype(np.float32)
    a = ad.AnnData(x)
    a.var_names = genes
    a.obs_names = [f"c{i}" for i in range(n_cells)]
    a.obs["type"] = np.where(on, "on", "off")
    rows = [("TFA", f"A{i}", 1.0 - i * 0.01, 0.9) for i in range(8)]
    rows += [("TFB", f"g{i}", 0.8 - i * 0.01, 0.5 * (-1) ** i) for i in range(8)]
    rows += [("TFA", "g20", 0.1, 0.1)]  # the 9th target: beyond --top-targets 8
    edges = pd.DataFrame(rows, columns=["source", "target", "weight", "signed_weight"])
    return a, edges, on


@pytest.mark.parametrize("method", ["ulm", "aucell"])
def test_coexpressed_regulon_scores_high_where_its_tf_is_expressed(method):
    a, edges, on = toy()
    regs = score_regulons(a, edges, top_targets=8, method=method, min_size=3)
    act = stored_activity(a)
    name_a = "TFA" if method == "ulm" else "TFA(+)"
    assert act.shape == (a.n_obs, len(regs.names)) and a.obsm[OBSM_KEY].shape == act.shape
    assert a.uns[UNS_KEY]["names"] == regs.names and a.uns[UNS_KEY]["method"] == method
    assert roc_auc_score(on, act[name_a]) > 0.95  # TFA's regulon is active exactly where TFA is expressed
    sizes = dict(zip(regs.names, regs.table["size"]))
    assert sizes[name_a] == 8  # top 8 targets: g20 left out
    others = [n for n in act.columns if not n.startswith("TFA")]
    assert others and all(abs(roc_auc_score(on, act[n]) - 0.5) < 0.25 for n in others)  # random targets: no signal


def test_sign_comes_from_signed_weight():
    a, edges, _ = toy()
    net = build_regulons(edges, a.var_names, top_targets=8, method="ulm", min_size=3).net
    tfb = net[net["source"] == "TFB"]
    assert set(tfb["weight"]) == {1.0, -1.0}
    split = build_regulons(edges, a.var_names, top_targets=8, method="aucell", min_size=3)
    assert {"TFB(+)", "TFB(-)"} <= set(split.names) and set(split.net["weight"]) == {1.0}
    unsigned = build_regulons(edges.drop(columns="signed_weight"), a.var_names, top_targets=8, min_size=3)
    assert not unsigned.signed and set(unsigned.net["weight"]) == {1.0}


def test_specificity_is_highest_for_the_cluster_where_the_regulon_is_active():
    a, edges, on = toy()
    score_regulons(a, edges, top_targets=8, method="aucell", min_size=3)
    rss = specificity(stored_activity(a), a.obs["type"])
    assert rss.loc["on", "TFA(+)"] > rss.loc["off", "TFA(+)"] + 0.2
    assert ((rss >= 0) & (rss <= 1)).all().all()
    table = cluster_table(stored_activity(a), a.obs["type"])
    assert table.query("cluster == 'on' and rank_in_cluster == 1")["regulon"].item() == "TFA(+)"


def test_no_shared_genes_is_a_clear_error():
    a, edges, _ = toy()
    other = edges.assign(source="X" + edges["source"], target="Y" + edges["target"])
    with pytest.raises(InputError, match="share no gene"):
        build_regulons(other, a.var_names)
    with pytest.raises(InputError, match="5 or more targets"):
        build_regulons(edges.head(3), a.var_names)


def _last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_cli_writes_activity_and_prints_json(tmp_path, capsys):
    a, edges, _ = toy()
    data, run = tmp_path / "d.h5ad", tmp_path / "run"
    run.mkdir()
    a.write_h5ad(data)
    edges.to_csv(run / "edges.tsv", sep="\t", index=False)
    out = tmp_path / "r.h5ad"
    assert main(["regulons", str(run), str(data), "--top-targets", "8", "--labels", "type", "--out", str(out)]) == 0
    res = _last_json(capsys)
    assert res["n_regulons"] == 2 and res["median_size"] == 8.0 and res["method"] == "ulm"
    assert 0 < res["asw_labels"] <= 1
    b = ad.read_h5ad(out)
    assert b.obsm[OBSM_KEY].shape == (a.n_obs, 2) and list(b.uns[UNS_KEY]["names"]) == ["TFA", "TFB"]
    assert main(["regulons", str(run / "edges.tsv"), str(data), "--out", str(out)]) == 0
    assert _last_json(capsys)["asw_labels"] is None


def test_cli_errors(tmp_path, capsys):
    a, edges, _ = toy()
    data, net = tmp_path / "d.h5ad", tmp_path / "e.tsv"
    a.write_h5ad(data)
    edges.assign(source="X" + edges["source"], target="Y" + edges["target"]).to_csv(net, sep="\t", index=False)
    assert main(["regulons", str(net), str(data), "--out", str(tmp_path / "o.h5ad")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "share no gene" in err and "Traceback" not in err
    assert main(["regulons", str(tmp_path), str(data), "--out", str(tmp_path / "o.h5ad")]) == 2
    assert "no edges.tsv" in capsys.readouterr().err
    edges.to_csv(net, sep="\t", index=False)
    assert main(["regulons", str(net), str(data), "--labels", "nope", "--out", str(tmp_path / "o.h5ad")]) == 2
    assert "no such obs column" in capsys.readouterr().err

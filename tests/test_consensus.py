"""Consensus of ranked networks (core.grn.consensus), saved as a run (consensus_task) and from the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from core.cli import main
from core.errors import InputError
from core.grn.consensus import consensus_edges
from core.grn.consensus_task import consensus_run
from core.context import RunContext
from core.grn.correlation import pearson_grn, spearman_grn
from core.grn.edges import adjacency_to_edges, write_edges
from core.grn.scoring import score_grn
from core.jobs.rundir import Run, create_run


@pytest.fixture(scope="module")
def nets(synthetic_small):
    adata, truth, tfs = synthetic_small
    good = pearson_grn(adata, RunContext(tfs=tfs))
    good2 = spearman_grn(adata, RunContext(tfs=tfs))
    rng = np.random.default_rng(1)
    G = adata.n_vars
    rand = adjacency_to_edges(rng.random((G, G)), list(adata.var_names), tfs=tfs)
    return good, good2, rand, truth, tfs


def test_consensus_of_a_network_with_itself_is_that_network(nets):
    good, *_ = nets
    out = consensus_edges([good, good.copy()])
    both = good.merge(out, on=["source", "target"], suffixes=("", "_c"))
    assert len(both) == len(good) == len(out)  # the same edges, ranked the same (ties: symmetric TF-TF pairs)
    assert (rankdata(both.weight) == rankdata(both.weight_c)).all()
    assert out.attrs["n_members_kept"] == 2 and out.weight.is_monotonic_decreasing
    assert out["confidence"].between(0, 1).all() and out["confidence"].iloc[0] == 1.0


def test_good_plus_random_scores_between_and_a_disagreeing_member_is_left_out(nets):
    good, good2, rand, truth, tfs = nets
    e_good, e_rand = score_grn(good, truth)["epr"], score_grn(rand, truth)["epr"]
    assert e_good > 1.5 * e_rand  # the fixture really has one good and one random network
    two = consensus_edges([good, rand], names=["good", "random"])
    e_two = score_grn(two, truth)["epr"]
    assert e_rand < e_two < e_good  # two members: both kept, mean rank lies between
    three = consensus_edges([good, good2, rand], names=["pearson", "spearman", "random"])
    assert three.attrs["members_left_out"] == ["random"] and three.attrs["members_kept"] == [0, 1]
    assert "random" in three.attrs["note"]
    pair = consensus_edges([good, good2])  # leaving the random member out = never having had it
    assert np.allclose(three.set_index(["source", "target"]).weight.sort_index(),
                       pair.set_index(["source", "target"]).weight.sort_index())
    everyone = consensus_edges([good, good2, rand], rule="rank")  # no agreement filter
    assert everyone.attrs["n_members_kept"] == 3
    assert score_grn(everyone, truth)["auprc_ratio"] < 0.9 * score_grn(three, truth)["auprc_ratio"]


def test_common_candidates_and_truncated_tables(nets):
    good, good2, *_ = nets
    gene = good.target.iloc[-1]
    fewer = good2[(good2.target != gene) & (good2.source != gene)]
    out = consensus_edges([good, fewer])
    assert gene not in set(out.source) | set(out.target)  # only genes every member scored
    top = good.head(20)  # a truncated table: unlisted edges rank below all listed ones
    out = consensus_edges([top, good])
    assert set(zip(out.source, out.target)) >= set(zip(top.source, top.target))
    assert list(zip(out.source, out.target))[:5] == list(zip(top.source, top.target))[:5]
    only = consensus_edges([good, good2], tfs=[good.source.iloc[0]])
    assert set(only.source) == {good.source.iloc[0]}


def test_consensus_user_errors(nets):
    good, *_ = nets
    with pytest.raises(InputError, match="at least two"):
        consensus_edges([good])
    other = good.assign(source="x_" + good.source, target="y_" + good.target)
    with pytest.raises(InputError, match="share no candidate"):
        consensus_edges([good, other])
    with pytest.raises(InputError, match="Unknown consensus rule"):
        consensus_edges([good, good], rule="mean")


def _finished(edges, method, truth_path, tfs, root=None):
    run = create_run("grn", method, truth_path, {}, tfs=tfs, reference=truth_path, label=method.title(), root=root)
    write_edges(edges, run.artifact("edges.tsv"))
    run.set_status("finished")
    return run


def test_consensus_run_is_a_browsable_finished_grn_run(nets, workspace, tmp_path):
    from core.grn.explorer import open_network

    good, good2, rand, truth, tfs = nets
    truth.to_csv(tmp_path / "truth.csv", index=False)
    a = _finished(good, "pearson", tmp_path / "truth.csv", tfs)
    b = _finished(good2, "spearman", tmp_path / "truth.csv", tfs)
    run = consensus_run([a.id, b.path])
    assert run.state == "finished" and run.params["task"] == "grn" and run.params["method"] == "consensus"
    assert [m["id"] for m in run.params["members"]] == [a.id, b.id]
    assert [m["method"] for m in run.params["members"]] == ["pearson", "spearman"]
    assert run.params["label"] == "Consensus of Pearson + Spearman" and run.params["tfs"] == tfs
    m = run.metrics()
    assert m["epr"] == pytest.approx(score_grn(pd.read_csv(run.artifact("edges.tsv"), sep="\t"), truth, tfs)["epr"])
    assert m["members_kept"] == [a.id, b.id] and m["n_edges"] == len(good)
    net = open_network(run.path)
    assert len(net.edges) == len(good) and net.reference() is not None
    with pytest.raises(InputError, match="twice"):
        consensus_run([a.id, a.id])
    queued = create_run("grn", "pearson", tmp_path / "truth.csv", {})
    write_edges(good, queued.artifact("edges.tsv"))
    with pytest.raises(InputError, match="not a finished GRN run"):
        consensus_run([a.id, queued.id])


def test_consensus_cli(nets, workspace, tmp_path, capsys):
    good, good2, rand, truth, tfs = nets
    truth.to_csv(tmp_path / "truth.csv", index=False)
    ids = [_finished(e, m, tmp_path / "truth.csv", tfs).id for e, m in ((good, "pearson"), (good2, "spearman"), (rand, "random"))]
    assert main(["consensus", *ids, "--out", str(tmp_path / "cons")]) == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert info["path"] == str((tmp_path / "cons").resolve()) and info["members"] == ids
    assert info["members_kept"] == ids[:2] and info["n_members_kept"] == 2 and info["epr"] > 1.0
    assert Run(tmp_path / "cons").state == "finished" and (tmp_path / "cons" / "edges.tsv").is_file()
    assert main(["consensus", ids[0], "--out", str(tmp_path / "c2")]) == 2
    assert "at least two" in capsys.readouterr().err
    assert main(["consensus", ids[0], "nosuchrun"]) == 2
    assert "No run 'nosuchrun'" in capsys.readouterr().err
    assert main(["consensus", *ids[:2], "--out", str(tmp_path / "cons")]) == 2
    assert "already exists" in capsys.readouterr().err

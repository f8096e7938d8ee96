"""Edge confidence: ensemble top-k share, DeepSEM ensembles carry it, the bootstrap job writes it into the
parent's edges.tsv, the page filters by it and exports carry it."""

from __future__ import annotations

import io

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from core.grn.confidence import confidence_curve, default_k, member_confidence, top_k_share


@pytest.fixture(scope="module")
def tiny():
    from core.data.synthetic import synthetic_dataset

    adata, _, tfs = synthetic_dataset(n_cells=80, n_genes=16, n_tfs=4, seed=3)
    return adata, tfs


def test_top_k_share_counts_members():
    scores = np.array([[5, 4, 1, 0], [5, 1, 4, 0], [5, 4, 0, 1]], float)
    np.testing.assert_allclose(top_k_share(scores, 2), [1.0, 2 / 3, 1 / 3, 0.0])
    W = np.stack([np.diag([0, 0.0]) + np.array([[0, 3.0], [1, 0]]), np.array([[0, 1.0], [3, 0]])])
    cand = ~np.eye(2, dtype=bool)
    np.testing.assert_allclose(member_confidence(W, cand, k=1), [[0, 0.5], [0.5, 0]])
    assert default_k(600) == 50 and default_k(10**6) == 5000 and default_k(20) == 20


def test_confidence_curve_bins():
    e = pd.DataFrame({"source": list("abcd"), "target": list("wxyz"), "weight": [4, 3, 2, 1.0],
                      "confidence": [1.0, 0.9, 0.1, 0.0]})
    ref = pd.DataFrame({"source": ["a", "b"], "target": ["w", "x"]})
    c = confidence_curve(e, ref, top=4)
    assert list(c["n_edges"]) == [2, 0, 0, 2] and c["precision"].iloc[-1] == 1.0 and c["precision"].iloc[0] == 0.0


def test_deepsem_ensemble_edges_have_confidence(tiny):
    from core.models.deepsem.model import DeepSEM

    adata, tfs = tiny
    edges = DeepSEM(adata, ensemble=3, hidden=8, seed=1, epochs=3).train().get_grn(tfs=tfs)
    assert "confidence" in edges and edges["confidence"].between(0, 1).all()
    m = edges.attrs["n_members_kept"]  # share of the kept members
    assert m >= 2 and set(np.round(edges["confidence"] * m, 6)) <= set(map(float, range(m + 1)))
    assert edges["confidence"].head(10).mean() > edges["confidence"].tail(len(edges) // 2).mean()
    single = DeepSEM(adata, ensemble=1, hidden=8, seed=1, epochs=2).train().get_grn(tfs=tfs)
    assert "confidence" not in single


def test_bootstrap_job_writes_confidence_and_exports_carry_it(workspace):
    from core.data.sample import prepare_sample
    from core.grn.confidence_task import launch_confidence
    from core.grn.explorer import load_edges, open_network
    from core.grn.exports import export_bytes
    from core.jobs.rundir import Run, create_run
    from core.jobs.runner import run_job

    ds = prepare_sample("synthetic")
    parent = create_run("grn", "pearson", ds.h5ad, {"layer": ""}, tfs=ds.tfs, reference=ds.reference)
    assert run_job(parent.path, poll=0.05) == 0

    class Later:
        def submit(self, run):
            self.run = run

    ex = Later()
    job = launch_confidence(Run(parent.path), n_boot=4, executor=ex)
    assert run_job(job.path, poll=0.05) == 0, (job.path / "log.txt").read_text()
    edges = load_edges(parent.path / "edges.tsv")
    assert "confidence" in edges and set(np.round(edges["confidence"] * 4, 6)) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    top = edges.head(20)["confidence"].mean()
    assert top > edges.tail(len(edges) // 2)["confidence"].mean()  # strong edges are the reproducible ones
    assert "confidence" in open_network(parent.path).edges
    G = nx.read_graphml(io.BytesIO(export_bytes(edges.head(30), "graphml")))
    assert all("confidence" in d for *_, d in G.edges(data=True))
    assert "confidence" in export_bytes(edges.head(5), "scenic").decode().splitlines()[0]
    assert "Confidence" in export_bytes(edges.head(5), "beeline").decode().splitlines()[0]

    # the GRN page shows the column and filters by it
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app_pages/grn.py"), default_timeout=60)
    at.query_params["run"] = parent.id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    n0 = int(next(m.value for m in at.metric if m.label == "Edges shown").replace(",", ""))
    at.slider(key=f"conf_{parent.id}").set_value(1.0).run()
    n1 = int(next(m.value for m in at.metric if m.label == "Edges shown").replace(",", ""))
    assert 0 < n1 < n0
    assert any("confidence" in df.value.columns for df in at.dataframe)

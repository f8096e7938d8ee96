"""The bad-input corpus (tests/bad_inputs.py) through the CLI (in-process ``main()``) and through the functions
the Data page calls: never a traceback, each answered within 30 s, every degenerate input refused or warned
with a specific message, and valid-but-unusual inputs read."""

from __future__ import annotations

import re
import time

import pytest

from core.errors import ScgrnError
from tests.bad_inputs import GENES, all_cases, table

CASES = all_cases()
LIMIT_S = 30.0


def page_functions(case, path) -> list[str]:
    """What the Data page does with the file; returns the warnings it would show."""
    if case.kind == "expr":
        from core.data.summary import qc_metrics, summarize
        from core.io.expression import read_expression

        adata = read_expression(path, name="upload.csv")
        s = summarize(adata)
        qc_metrics(adata)
        return s.warnings
    if case.kind == "net":
        from core.io.networks import network_overlap, read_network

        net = read_network(path)
        network_overlap(net, GENES)
        return list(net.attrs.get("warnings", []))
    from core.io.networks import read_tf_list, tf_overlap

    warnings: list[str] = []
    tf_overlap(read_tf_list(path, warnings), GENES)
    return warnings


def cli(case, path, tmp_path, capsys) -> tuple[int, str]:
    from core.cli import main

    if case.kind == "expr":
        argv = ["inspect", str(path)]
    elif case.kind == "net":
        edges = tmp_path / "pred.tsv"
        edges.write_text("source\ttarget\tweight\n" + "".join(f"G{i}\tG{j}\t{1 / (1 + i + j)}\n"
                                                             for i in range(3) for j in range(6) if i != j))
        argv = ["eval-grn", str(edges), str(path)]
    else:
        data = tmp_path / "tiny.csv"
        data.write_text(table())
        argv = ["grn", str(data), "--model", "pearson", "--tfs", str(path), "--out", str(tmp_path / "o.tsv")]
    capsys.readouterr()
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.err


def _check(case, message: str, failed: bool, where: str) -> None:
    if case.mode == "error":
        assert failed, f"{where}: {case.id} was accepted; expected an error matching {case.expect!r}"
    elif case.mode in ("ok", "warn"):
        assert not failed, f"{where}: {case.id} was refused: {message}"
    if case.mode in ("error", "warn") and case.expect:
        assert re.search(case.expect, message, re.I), f"{where}: {case.id}: {message!r} does not match {case.expect!r}"
    if case.mode == "any" and case.expect and message:
        assert re.search(case.expect, message, re.I) or not failed, f"{where}: {case.id}: {message!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, tmp_path, workspace, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    path = case.make(folder)

    t0 = time.perf_counter()
    try:
        warnings, failed = page_functions(case, path), False
        message = " | ".join(warnings)
    except ScgrnError as exc:  # anything else is a traceback on the page: the test fails
        message, failed = str(exc), True
    page_s = time.perf_counter() - t0
    _check(case, message, failed, "Data page")
    assert "Traceback" not in message
    assert str(tmp_path) not in message or case.id.endswith("missing") or "not found" in message

    t0 = time.perf_counter()
    rc, err = cli(case, path, tmp_path, capsys)
    cli_s = time.perf_counter() - t0
    assert rc in (0, 2) and "Traceback" not in err, err
    _check(case, err, rc == 2, "CLI")
    assert page_s < LIMIT_S and cli_s < LIMIT_S, (page_s, cli_s)


def test_corpus_is_large_and_covers_every_kind():
    assert len(CASES) >= 100
    assert {c.kind for c in CASES} == {"expr", "net", "tfs"}
    assert len({c.id for c in CASES}) == len(CASES)


def test_huge_sparse_input_states_memory_before_trying(tmp_path, workspace, capsys):
    from core.cli import main
    from tests.bad_inputs import _huge_sparse_tenx

    folder = _huge_sparse_tenx(tmp_path)
    rc = main(["grn", str(folder), "--model", "pearson", "--out", str(tmp_path / "e.tsv")])
    err = capsys.readouterr().err
    assert rc == 2 and re.search(r"needs [\d.]+ GiB of memory", err), err


def test_out_into_missing_folder(tmp_path, workspace, capsys):
    from core.cli import main

    data = tmp_path / "tiny.csv"
    data.write_text(table())
    rc = main(["grn", str(data), "--model", "pearson", "--out", str(tmp_path / "no" / "such" / "e.tsv")])
    assert rc == 2 and "does not exist" in capsys.readouterr().err

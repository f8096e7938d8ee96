"""CLI: inspect prints a JSON summary last; user errors exit 2 with a message and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.cli import main


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_inspect_sample_csv(capsys):
    assert main(["inspect", "sample_data/synthetic_expression.csv"]) == 0
    info = _last_json(capsys.readouterr().out)
    assert info["n_cells"] == 600 and info["n_genes"] == 60
    assert info["layout"] == "genes-by-cells" and info["value_kind"] == "counts"


def test_inspect_flipped_layout(capsys):
    assert main(["inspect", "sample_data/synthetic_expression.csv", "--layout", "cells-by-genes"]) == 0
    info = _last_json(capsys.readouterr().out)
    assert (info["n_cells"], info["n_genes"]) == (60, 600)


def test_inspect_mdc(shared_data, capsys):
    f = shared_data / "beeline/mDC_TFs500/expression.csv"
    assert main(["inspect", str(f), "--layout", "genes-by-cells"]) == 0
    info = _last_json(capsys.readouterr().out)
    assert (info["n_cells"], info["n_genes"], info["value_kind"]) == (383, 821, "log-normalised")


def test_bad_file_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(",c1,c2\ng1,1,abc\ng2,1,2\n")
    proc = subprocess.run([sys.executable, "-m", "core", "inspect", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "non-numeric value 'abc'" in proc.stderr and "Traceback" not in proc.stderr


def test_runs_lists_and_train_runs_a_run_dir(workspace, capsys):
    from core.data.sample import prepare_sample
    from core.jobs.rundir import create_run

    ds = prepare_sample("synthetic")
    run = create_run("grn", "spearman", ds.h5ad, {}, tfs=ds.tfs)
    assert main(["train", str(run.path)]) == 0
    assert _last_json(capsys.readouterr().out)["state"] == "finished"
    assert main(["runs"]) == 0
    rows = _last_json(capsys.readouterr().out)["runs"]
    assert rows[0]["id"] == run.id and rows[0]["state"] == "finished"


def test_unknown_run_dir(tmp_path, capsys):
    assert main(["train", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err

"""`scgrn submit` on this machine's queue (the SLURM path is in tests/test_slurm.py): a 2-point sweep runs and
is listed by `scgrn runs --json`; `scgrn cancel` stops a local run; clear errors for a cluster that is not set
up, a bad sweep value and unknown data."""

from __future__ import annotations

import json
import time

from core.cli import main


def _last_json(out: str):
    return json.loads(out.strip().splitlines()[-1])


def test_local_sweep_runs_and_is_listed(workspace, capsys):
    from core.jobs.rundir import get_run

    assert main(["submit", "sample:synthetic", "--model", "pearson", "--sweep", "seed=0,1"]) == 0
    res = _last_json(capsys.readouterr().out)
    assert len(res["run_ids"]) == 2 and res["executor"] == "local" and res["sweep_id"]
    runs = [get_run(i) for i in res["run_ids"]]
    assert [r.params["seed"] for r in runs] == [0, 1] and all(r.params["sweep_id"] == res["sweep_id"] for r in runs)
    deadline = time.time() + 120
    while time.time() < deadline and any(r.state in ("queued", "running") for r in runs):
        time.sleep(0.3)
    assert [r.state for r in runs] == ["finished", "finished"], [r.status for r in runs]
    assert main(["runs", "--json"]) == 0
    rows = {row["id"]: row for row in _last_json(capsys.readouterr().out)}
    assert all((rows[i]["state"], rows[i]["executor"], rows[i]["slurm_job_id"]) == ("finished", "local", None)
               for i in res["run_ids"])


def test_cancel_a_local_run_from_the_cli(workspace, debug_method, capsys):
    from core.jobs.rundir import get_run

    assert main(["submit", "sample:synthetic", "--model", "debug", "--param", "epochs=300",
                 "--param", "seconds_per_epoch=0.2"]) == 0
    run = get_run(_last_json(capsys.readouterr().out)["run_ids"][0])
    deadline = time.time() + 90
    while time.time() < deadline and run.state != "running":
        time.sleep(0.2)
    assert main(["cancel", run.id]) == 0
    assert _last_json(capsys.readouterr().out)["state"] == "cancelled" == run.state


def test_submit_errors_in_words(workspace, capsys):
    assert main(["submit", "sample:synthetic", "--model", "pearson", "--executor", "slurm"]) == 2
    err = capsys.readouterr().err
    assert "No cluster is set up" in err and "cluster.toml" in err and "Traceback" not in err
    assert main(["submit", "sample:synthetic", "--model", "pearson", "--sweep", "seed=1,x"]) == 2
    assert "seed" in capsys.readouterr().err
    assert main(["submit", "no/such/data", "--model", "pearson"]) == 2
    assert "neither a prepared dataset" in capsys.readouterr().err

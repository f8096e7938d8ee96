"""SLURM's answers (squeue, scontrol, sacct, slurmstepd log lines) read into states and plain-words reasons,
and the settling of a SLURM run's status from them (no cluster needed: SLURM's answers are given)."""

from __future__ import annotations

import time

import pytest

from core.jobs import slurm
from core.jobs.rundir import create_run
from core.jobs.slurm import SlurmJob, final_reason, parse_sacct, parse_scontrol, parse_squeue, state_from_log

SCONTROL_TIMEOUT = (
    "JobId=7 JobName=scgrn UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=1 Nice=0 Account=(null) "
    "QOS=(null) JobState=TIMEOUT Reason=TimeLimit Dependency=(null) Requeue=0 Restarts=0 BatchFlag=1 "
    "Reboot=0 ExitCode=0:15 RunTime=00:01:12 TimeLimit=00:01:00 TimeMin=N/A SubmitTime=2026-12-02T01:00:00 "
    "Partition=debug NodeList=vm Command=/tmp/x/submission_file.sh"
)


def test_parse_squeue_scontrol_sacct():
    jobs = parse_squeue("12_0|RUNNING|None|1:00\n12_1|PENDING|Resources|1:00\n13|COMPLETING|(null)|5:00\n")
    assert jobs["12_0"] == SlurmJob("RUNNING", "", "1:00", "", "squeue") and jobs["12_0"].active
    assert jobs["12_1"].state == "PENDING" and jobs["12_1"].reason == "Resources"
    assert jobs["13"].active and set(jobs) == {"12_0", "12_1", "13"}
    job = parse_scontrol(SCONTROL_TIMEOUT)
    assert (job.state, job.reason, job.time_limit, job.exit_code) == ("TIMEOUT", "TimeLimit", "00:01:00", "0:15")
    assert not job.active
    assert parse_scontrol("slurm_load_jobs error: Invalid job id specified") is None
    row = parse_sacct("41|CANCELLED by 1000|0:15|01:00:00\n41.batch|CANCELLED|0:15|\n", "41")
    assert (row.state, row.reason, row.time_limit) == ("CANCELLED", "by 1000", "01:00:00")
    assert parse_sacct("42|COMPLETED|0:0|01:00:00\n", "41") is None


def test_log_lines_and_reasons_in_words():
    assert state_from_log("slurmstepd: error: *** JOB 9 ON vm CANCELLED AT 2026-12-02T01:02:03 DUE TO TIME LIMIT ***").state == "TIMEOUT"
    assert state_from_log("slurmstepd: error: Detected 1 oom-kill event(s) in StepId=9.0").state == "OUT_OF_MEMORY"
    assert state_from_log("*** JOB 9 ON vm CANCELLED AT 2026-12-02T01:02:03 DUE TO PREEMPTION ***").state == "PREEMPTED"
    assert state_from_log("*** JOB 9 ON vm CANCELLED AT 2026-12-02T01:02:03 ***").state == "CANCELLED"
    assert state_from_log("epoch 3/10 loss=0.2") is None
    assert final_reason(SlurmJob("TIMEOUT", time_limit="00:01:00")) == (
        "failed", "time limit: the job hit its SLURM time limit of 1 min; raise time_limit_min in the cluster "
                  "settings or train for fewer epochs.")
    assert "of 2 h 30 min" in final_reason(SlurmJob("TIMEOUT", time_limit="02:30:00"))[1]
    assert "of 1 day" not in final_reason(SlurmJob("TIMEOUT", time_limit="1-00:00:00"))[1]
    assert "of 24 h" in final_reason(SlurmJob("TIMEOUT", time_limit="1-00:00:00"))[1]
    for state, words in [("OUT_OF_MEMORY", "out of memory"), ("NODE_FAIL", "node failure"),
                         ("PREEMPTED", "preempted"), ("CANCELLED", "cancelled on the cluster"),
                         ("FAILED", "exit code 1:0")]:
        got, reason = final_reason(SlurmJob(state, exit_code="1:0"))
        assert got == "failed" and words in reason, (state, reason)


@pytest.fixture()
def slurm_run(workspace, monkeypatch):
    """A run recorded as submitted to SLURM as job 77 two minutes ago, with SLURM's answer set per test."""
    run = create_run("grn", "pearson", workspace / "none.h5ad", {})
    run.set_status(None, executor="slurm", slurm_job_id="77", slurm_submitted=time.time() - 120)
    answer = {}
    monkeypatch.setattr(slurm, "query_job", lambda job_id, max_age=0: answer["value"])
    return run, answer


def test_status_of_a_slurm_run_follows_slurm_not_the_pid(slurm_run):
    run, answer = slurm_run
    run.set_status("running", pid=999999999)  # a pid on a compute node: never looked up here
    answer["value"] = (SlurmJob("RUNNING", source="squeue"), None)
    st = run.status
    assert st["state"] == "running" and st["slurm_state"] == "RUNNING"
    answer["value"] = (None, "squeue did not answer within 10 s")  # SLURM unreachable: the state is kept
    assert run.state == "running" and "cannot tell" in run.status["slurm_reason"]
    answer["value"] = (SlurmJob("TIMEOUT", time_limit="00:01:00", source="scontrol"), None)
    st = run.status
    assert st["state"] == "failed" and st["reason"].startswith("time limit") and "1 min" in st["reason"]
    assert run.status_raw()["state"] == "failed"  # settled in status.json


def test_a_run_that_recorded_its_end_keeps_it(slurm_run):
    run, answer = slurm_run
    answer["value"] = (SlurmJob("COMPLETED", source="scontrol"), None)
    run.set_status("finished")
    assert run.state == "finished"
    run.set_status("running")  # SLURM says the job ended but the run never wrote its end
    assert run.state == "failed" and "without the run recording an end" in run.status["reason"]


def test_forgotten_job_is_settled_from_its_log(slurm_run, tmp_path):
    run, answer = slurm_run
    log = tmp_path / "77_0_log.err"
    log.write_text("slurmstepd: error: *** JOB 77 ON vm CANCELLED AT 2026-12-02T01:02:03 DUE TO TIME LIMIT ***\n")
    run.set_status("running", slurm_stderr=str(log), slurm_time_limit_min=5)
    answer["value"] = (None, None)  # no accounting, and SLURM no longer knows the job
    st = run.status
    assert st["state"] == "failed" and "time limit" in st["reason"] and "5 min" in st["reason"]
    run.set_status("running", slurm_stderr=None, stopping="time limit")  # the node heard the warning; no log
    assert run.state == "failed" and "time limit" in run.status["reason"]
    run2 = create_run("grn", "pearson", tmp_path / "none.h5ad", {})
    run2.set_status("running", executor="slurm", slurm_job_id="78", slurm_submitted=time.time() - 120)
    assert run2.state == "failed" and "no longer knows" in run2.status["reason"]


def test_cancel_requested_by_the_app_reads_cancelled(slurm_run):
    run, answer = slurm_run
    run.set_status("running", cancel_requested=time.time())
    answer["value"] = (SlurmJob("CANCELLED", source="scontrol"), None)
    assert run.state == "cancelled"


def test_place_on_the_cluster_in_words():
    from core.jobs.slurm import describe

    assert describe({"state": "queued"}) is None  # a local run
    assert describe({"executor": "slurm", "slurm_job_id": "12_3", "slurm_state": "PENDING",
                     "slurm_reason": "Resources"}) == "On the cluster: SLURM job 12_3, pending (waiting for free resources)."
    assert describe({"executor": "slurm", "slurm_job_id": "12", "slurm_state": "RUNNING"}) == "On the cluster: SLURM job 12, running."
    assert "SLURM cannot tell" in describe({"executor": "slurm", "slurm_job_id": "12", "slurm_state": "unknown",
                                            "slurm_reason": "SLURM cannot tell: squeue did not answer"})


def test_runs_page_shows_a_pending_slurm_job_and_cancels_it(slurm_run, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    run, answer = slurm_run
    answer["value"] = (SlurmJob("PENDING", "Resources", source="squeue"), None)
    calls = []

    def fake_call(args, timeout):  # scancel: SLURM then reports the job cancelled
        calls.append(args)
        answer["value"] = (SlurmJob("CANCELLED", source="scontrol"), None)
        return 0, ""

    monkeypatch.setattr(slurm, "_call", fake_call)
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    at.switch_page("app_pages/runs.py")
    at.query_params["run"] = run.id
    at.run()
    assert not at.exception
    assert any("SLURM job 77, pending (waiting for free resources)" in c.value for c in at.caption)
    assert not any("waiting for the device" in i.value for i in at.info)  # not this machine's queue
    next(b for b in at.button if b.label == "Cancel run").click().run()
    assert ["scancel", "77"] in calls and run.state == "cancelled"


def test_settings_become_one_set_of_sbatch_lines():
    from submitit.slurm.slurm import _make_sbatch_string

    from core.jobs.cluster_config import ClusterConfig
    from core.jobs.slurm import sbatch_parameters

    cfg = ClusterConfig(partition="gpu", account="lab", gpus_per_job=2, cpus_per_job=4, mem_gb=1.5,
                        time_limit_min=90, extra_sbatch=["--qos=normal", "#SBATCH --exclusive"])
    script = _make_sbatch_string(command="true", folder="/tmp/x", time=5, additional_parameters=sbatch_parameters(cfg))
    flags = [ln for ln in script.splitlines() if ln.startswith("#SBATCH")]
    for want in ("--time=90", "--mem=1536M", "--cpus-per-task=4", "--partition=gpu", "--account=lab",
                 "--gres=gpu:2", "--qos=normal", "--exclusive"):
        assert f"#SBATCH {want}" in flags, (want, flags)
    assert len({f.split("=")[0] for f in flags}) == len(flags)  # each option once (submitit's time=5 replaced)

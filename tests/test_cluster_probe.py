"""What the Train and Settings pages say about the cluster, from SLURM's own commands (stand-in scripts on
PATH here; tests/test_slurm*.py use the real test cluster)."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

from core.jobs import cluster_probe as P


def _fake(tmp_path, monkeypatch, name: str, body: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / name
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin:/bin")


def _cfg(**kw):
    base = dict(time_limit_min=30, mem_gb=2.0, cpus_per_job=2, partition="gpu", account="lab", gpus_per_job=1)
    base.update(kw)
    return SimpleNamespace(**base, sbatch_options=lambda: {"qos": "normal", "exclusive": True})


def test_no_slurm_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    probe = P.cluster_answers()
    assert not probe.ok and "sinfo is not installed" in probe.message
    assert P.queued_start(12) is None


def test_sinfo_answers_with_partitions(tmp_path, monkeypatch):
    _fake(tmp_path, monkeypatch, "sinfo", 'echo "debug* up 1 idle"; echo "gpu up 4 mixed"')
    probe = P.cluster_answers()
    assert probe.ok and "debug* (1 node idle), gpu (4 nodes mixed)" in probe.message


def test_sinfo_that_hangs_or_fails(tmp_path, monkeypatch):
    _fake(tmp_path, monkeypatch, "sinfo", "sleep 5")
    t0 = time.time()
    probe = P.cluster_answers(timeout=0.5)
    assert not probe.ok and "did not answer within 0.5 s" in probe.message and time.time() - t0 < 3
    _fake(tmp_path, monkeypatch, "sinfo", 'echo "slurm_load_partitions: Unable to contact slurm controller" >&2; exit 1')
    assert "Unable to contact slurm controller" in P.cluster_answers().message


def test_estimated_start_from_test_only(tmp_path, monkeypatch):
    later = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() + 20 * 60))
    _fake(tmp_path, monkeypatch, "sbatch", f'echo "$@" > {tmp_path}/args; '
                                           f'echo "sbatch: Job 7 to start at {later} using 2 processors on nodes n1" >&2')
    probe = P.estimate_start(_cfg())
    assert probe.ok and ("in about 20 min" in probe.message or "in about 19 min" in probe.message)
    assert "at most 30 min" in probe.message
    args = (tmp_path / "args").read_text().split()
    assert args[:1] == ["--test-only"] and {"--time=30", "--mem=2048M", "--cpus-per-task=2", "--partition=gpu",
                                             "--account=lab", "--gres=gpu:1", "--qos=normal", "--exclusive"} <= set(args)
    _fake(tmp_path, monkeypatch, "sbatch", 'echo "sbatch: error: invalid partition specified: gpu" >&2; exit 1')
    probe = P.estimate_start(_cfg())
    assert not probe.ok and "cannot tell" in probe.message and "invalid partition" in probe.message


def test_queued_start(tmp_path, monkeypatch):
    _fake(tmp_path, monkeypatch, "squeue", 'echo "N/A"')
    assert P.queued_start(3) is None
    soon = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() + 5))
    _fake(tmp_path, monkeypatch, "squeue", f'echo "{soon}"')
    assert P.queued_start(3) == "now (resources are free)"

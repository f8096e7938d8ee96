"""Ask SLURM, briefly, what the app shows before a launch: does the cluster answer (``sinfo``), and when would
a job with the saved settings start (``sbatch --test-only``) or a queued job start (``squeue --start``)?

Every call has a short timeout and never raises: a cluster that is down, absent or slow reads as an answer in
words ("SLURM cannot tell"), because a login node without SLURM is normal.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TIMEOUT_S = 5.0
_START = re.compile(r"to start at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")


@dataclass(frozen=True)
class Probe:
    ok: bool
    message: str  # in words, for the page


def _call(args: list[str], timeout: float) -> tuple[int | None, str]:
    """(exit status, stdout + stderr); status None when the command is missing or did not answer in time."""
    if shutil.which(args[0]) is None:
        return None, f"{args[0]} is not installed on this machine"
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, f"{args[0]} did not answer within {timeout:g} s"
    except OSError as exc:
        return None, f"{args[0]} could not run ({exc})"
    return done.returncode, (done.stdout + done.stderr).strip()


def cluster_answers(timeout: float = TIMEOUT_S) -> Probe:
    """Whether ``sinfo`` answers, with its partitions in words."""
    rc, out = _call(["sinfo", "-h", "-o", "%P %a %D %T"], timeout)
    if rc is None:
        return Probe(False, f"No SLURM cluster: {out}.")
    if rc != 0:
        return Probe(False, f"SLURM did not answer: {out.splitlines()[0] if out else f'sinfo exit status {rc}'}.")
    rows = [ln.split() for ln in out.splitlines() if len(ln.split()) >= 4]
    if not rows:
        return Probe(False, "SLURM answered but lists no partition.")
    parts = ", ".join(f"{p} ({n} node{'s' if n != '1' else ''} {state})" for p, _, n, state in rows[:6])
    return Probe(True, f"The cluster answers: partitions {parts}.")


def sbatch_args(cfg: Any) -> list[str]:
    """The resource options of a job under the saved cluster settings (a ``ClusterConfig``)."""
    args = [f"--time={int(cfg.time_limit_min)}", f"--mem={int(round(float(cfg.mem_gb) * 1024))}M",
            f"--cpus-per-task={int(cfg.cpus_per_job)}"]
    if cfg.partition:
        args.append(f"--partition={cfg.partition}")
    if cfg.account:
        args.append(f"--account={cfg.account}")
    if cfg.gpus_per_job:
        args.append(f"--gres=gpu:{int(cfg.gpus_per_job)}")
    for name, value in cfg.sbatch_options().items():
        args.append(f"--{name}" if value is True else f"--{name}={value}")
    return args


def _when(stamp: str, now: float | None = None) -> str:
    """'now', 'in about 12 min (00:57)' or 'at 2026-12-03 08:00' from SLURM's local ISO time."""
    try:
        start = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S").timestamp()
    except ValueError:
        return stamp
    wait = start - (now if now is not None else time.time())
    if wait <= 60:
        return "now (resources are free)"
    if wait < 6 * 3600:
        return f"in about {max(1, round(wait / 60))} min ({time.strftime('%H:%M', time.localtime(start))})"
    return f"at {time.strftime('%Y-%m-%d %H:%M', time.localtime(start))}"


def estimate_start(cfg: Any, timeout: float = TIMEOUT_S) -> Probe:
    """When a job with these settings would start, from ``sbatch --test-only`` (nothing is submitted)."""
    rc, out = _call(["sbatch", "--test-only", *sbatch_args(cfg), "--wrap", "true"], timeout)
    if rc is None:
        return Probe(False, f"SLURM cannot tell when a job would start: {out}.")
    m = _START.search(out)
    if rc != 0 or not m:
        first = out.splitlines()[0] if out else f"exit status {rc}"
        return Probe(False, f"SLURM cannot tell when a job would start ({first}).")
    return Probe(True, f"A job with these settings would start {_when(m.group(1))}; it may run at most "
                       f"{int(cfg.time_limit_min)} min (the time limit; SLURM does not estimate run times).")


def queued_start(job_id: str | int, timeout: float = TIMEOUT_S) -> str | None:
    """SLURM's expected start of a pending job (``squeue --start``), in words; None when it cannot tell."""
    rc, out = _call(["squeue", "--start", "-h", "-j", str(job_id), "-o", "%S"], timeout)
    if rc != 0 or not out:
        return None
    stamp = out.splitlines()[0].strip()
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", stamp):
        return None  # "N/A": the scheduler has not planned it yet
    return _when(stamp)


def cluster_choice(timeout: float = TIMEOUT_S) -> tuple[bool, str, str]:
    """For the Train page's "Where to run": (cluster usable, words about it, words about the expected start).
    Usable = saved settings with ``enabled`` on, and ``sinfo`` answers; SLURM is asked only then."""
    try:
        from .cluster_config import config_path, load_config
    except ImportError:  # pragma: no cover - before the SLURM back-end is installed
        return False, "No cluster back-end in this installation.", ""
    from ..errors import InputError

    try:
        cfg = load_config()
    except InputError as exc:
        return False, f"The cluster settings cannot be used: {exc}", ""
    if not cfg.enabled:
        return False, (f"No cluster is set up (settings: {config_path()}); the Settings page sets one up."), ""
    probe = cluster_answers(timeout)
    if not probe.ok:
        return False, probe.message + " Check the Settings page.", ""
    return True, probe.message, estimate_start(cfg, timeout).message


def settings_stamp() -> str:
    """Changes whenever the cluster settings file changes (a cache key for :func:`cluster_choice`)."""
    try:
        from .cluster_config import config_path

        st = config_path().stat()
    except (ImportError, OSError):
        return ""
    return f"{config_path()}:{st.st_mtime_ns}:{st.st_size}"

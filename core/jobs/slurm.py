"""Run jobs on a SLURM cluster with ``submitit``: each run is ``python -m core train RUN_DIR`` on a node.

The run directory, on a filesystem the cluster shares, stays the single source of truth: the node's job writes
its state there as a local job does. ``status.json`` also records ``executor: "slurm"`` and
``slurm_job_id``, so any process (the app after a restart, the CLI, another login node) reattaches through
the job id alone. While a run's status says queued/running, ``Run.status`` asks :func:`reconcile`: SLURM's
view comes from ``squeue`` (one call for all of the user's jobs, cached a few seconds), then
``scontrol show job`` (jobs ended in the last few minutes), then ``sacct`` (clusters with accounting), then
the job's own log (``slurmstepd: ... DUE TO TIME LIMIT``). A job that SLURM ended while the run had not
recorded an end becomes ``failed`` with the reason in words (:func:`final_reason`).

Settings (partition, account, GPUs, limits, extra sbatch lines, node set-up) come from
``core.jobs.cluster_config``; several runs (a sweep) go in as ONE job array (``submit_many``).
"""

from __future__ import annotations

import getpass
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .cluster_config import ClusterConfig, load_config
from .cluster_probe import _call
from .executor import Executor
from .rundir import ACTIVE, Run

TIMEOUT_S = 10.0
CACHE_S = 3.0
SUBMIT_GRACE_S = 120.0  # a run marked slurm without a job id yet is being submitted for this long
REPO_ROOT = Path(__file__).resolve().parents[2]

#: SLURM job states in which the job is still waiting or running
SLURM_ACTIVE = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD",
                "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD", "POWER_UP_NODE"}


@dataclass(frozen=True)
class SlurmJob:
    """What SLURM says about one job: its state (e.g. RUNNING, TIMEOUT), why (the queue reason or how it was
    cancelled), its time limit and exit code where known, and which command said so."""

    state: str
    reason: str = ""
    time_limit: str = ""
    exit_code: str = ""
    source: str = ""

    @property
    def active(self) -> bool:
        return self.state in SLURM_ACTIVE


# --- parsing (pure functions) -------------------------------------------------------------------------------

def parse_squeue(text: str) -> dict[str, SlurmJob]:
    """``squeue -h -r -o '%i|%T|%r|%l'`` -> {job id: SlurmJob}."""
    jobs = {}
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) >= 2 and parts[0]:
            jobs[parts[0]] = SlurmJob(parts[1].strip().upper(), _none(parts[2] if len(parts) > 2 else ""),
                                      parts[3].strip() if len(parts) > 3 else "", "", "squeue")
    return jobs


def parse_scontrol(text: str) -> SlurmJob | None:
    """One job record of ``scontrol show job -o ID`` -> SlurmJob (None for 'Invalid job id' or no record)."""
    fields = dict(re.findall(r"(?:^|\s)([A-Za-z/:]+)=(\S*)", text))
    if "JobState" not in fields:
        return None
    return SlurmJob(fields["JobState"].upper(), _none(fields.get("Reason", "")), fields.get("TimeLimit", ""),
                    fields.get("ExitCode", ""), "scontrol")


def parse_sacct(text: str, job_id: str) -> SlurmJob | None:
    """``sacct -n -P -X -j ID -o JobID,State,ExitCode,Timelimit`` -> SlurmJob (None when it has no such row)."""
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) >= 2 and parts[0] == job_id:
            state, _, by = parts[1].partition(" ")  # "CANCELLED by 1000"
            return SlurmJob(state.upper(), by.strip(), parts[3] if len(parts) > 3 else "",
                            parts[2] if len(parts) > 2 else "", "sacct")
    return None


_LOG_SIGNS = (  # what slurmstepd writes in a job's log when SLURM ends it
    (re.compile(r"DUE TO TIME LIMIT"), "TIMEOUT"),
    (re.compile(r"DUE TO PREEMPTION"), "PREEMPTED"),
    (re.compile(r"DUE TO NODE FAILURE"), "NODE_FAIL"),
    (re.compile(r"oom[-_ ]kill|Exceeded job memory limit|OUT_OF_MEMORY", re.I), "OUT_OF_MEMORY"),
    (re.compile(r"\*\*\* (?:JOB|STEP) \S+ ON \S+ CANCELLED AT"), "CANCELLED"),
)


def state_from_log(text: str) -> SlurmJob | None:
    """SLURM's end of a job as read from its log (for clusters without accounting, after SLURM forgot it)."""
    for pattern, state in _LOG_SIGNS:
        if pattern.search(text):
            return SlurmJob(state, "", "", "", "log")
    return None


def _none(text: str) -> str:
    text = text.strip()
    return "" if text in ("None", "(None)", "(null)") else text


def _limit_words(limit: str) -> str:
    """SLURM's time limit ('1', '00:01:00', '1-00:00:00', 'UNLIMITED') in words ('1 min', '2 h 30 min')."""
    m = re.fullmatch(r"(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)", limit.strip())
    if not m:
        return f"{limit} min" if limit.strip().isdigit() else limit.strip()
    d, h, mi, s = (int(x or 0) for x in m.groups())
    if not m.group(2):  # MM:SS
        h, mi, s = 0, mi, s
    total = ((d * 24 + h) * 60 + mi) + (1 if s >= 30 else 0)
    hours, mins = divmod(total, 60)
    return ((f"{hours} h " if hours else "") + (f"{mins} min" if mins or not hours else "")).strip()


def final_reason(job: SlurmJob, log: str | None = None) -> tuple[str, str]:
    """(our state, reason in words) for a job that SLURM ended while the run had not recorded its end."""
    see = f" See the job's log: {log}." if log else ""
    state = job.state
    if state in ("TIMEOUT", "DEADLINE"):
        limit = f" of {_limit_words(job.time_limit)}" if job.time_limit else ""
        return "failed", (f"time limit: the job hit its SLURM time limit{limit}; raise time_limit_min in the "
                          "cluster settings or train for fewer epochs.")
    if state == "OUT_OF_MEMORY":
        return "failed", ("out of memory: the job went over its SLURM memory limit; raise mem_gb in the cluster "
                          "settings or keep fewer genes or cells." + see)
    if state == "NODE_FAIL":
        return "failed", "node failure: the compute node running the job failed; launch it again." + see
    if state == "BOOT_FAIL":
        return "failed", "node failure: the compute node could not start; launch it again." + see
    if state == "PREEMPTED":
        return "failed", "preempted: SLURM stopped the job to make room for a higher-priority one; launch it again."
    if state == "CANCELLED":
        return "failed", ("cancelled on the cluster: the job was cancelled outside the app (scancel by the user or "
                          "an administrator).")
    if state == "FAILED":
        code = f" (exit code {job.exit_code})" if job.exit_code and job.exit_code != "0:0" else ""
        return "failed", f"the SLURM job failed{code} before the run recorded an end." + see
    if state == "COMPLETED":
        return "failed", "the SLURM job ended without the run recording an end." + see
    return "failed", f"the SLURM job ended in state {state} without the run recording an end." + see


# --- asking SLURM --------------------------------------------------------------------------------------------

_cache: dict[str, Any] = {"time": 0.0, "jobs": None, "error": None}
_cache_lock = threading.Lock()


def _queue(max_age: float = CACHE_S) -> tuple[dict[str, SlurmJob] | None, str | None]:
    """All of this user's jobs in squeue (one task per line), cached for ``max_age`` seconds; (None, why)
    when squeue cannot answer."""
    with _cache_lock:
        if time.time() - _cache["time"] < max_age:
            return _cache["jobs"], _cache["error"]
        rc, out = _call(["squeue", "-h", "-r", "-u", getpass.getuser(), "-o", "%i|%T|%r|%l"], TIMEOUT_S)
        jobs, error = (parse_squeue(out), None) if rc == 0 else (None, out or f"squeue exit status {rc}")
        _cache.update(time=time.time(), jobs=jobs, error=error)
        return jobs, error


def forget_cache() -> None:
    with _cache_lock:
        _cache["time"] = 0.0


def query_job(job_id: str, max_age: float = CACHE_S) -> tuple[SlurmJob | None, str | None]:
    """(what SLURM says about ``job_id``, None) or (None, why SLURM cannot tell); (None, None) when SLURM no
    longer knows the job (ended long ago on a cluster without accounting)."""
    jobs, error = _queue(max_age)
    if jobs is not None and job_id in jobs:
        return jobs[job_id], None
    rc, out = _call(["scontrol", "show", "job", "-o", job_id], TIMEOUT_S)
    if rc == 0:
        job = parse_scontrol(out)
        if job is not None:
            return job, None
    elif rc is None or "Invalid job id" not in out:
        return None, error or out
    rc, out = _call(["sacct", "-n", "-P", "-X", "-j", job_id, "-o", "JobID,State,ExitCode,Timelimit"], TIMEOUT_S)
    if rc == 0:
        return parse_sacct(out, job_id), None
    return None, None  # accounting disabled or absent: SLURM has forgotten the job


def _read_logs(st: dict[str, Any]) -> str:
    text = []
    for key in ("slurm_stdout", "slurm_stderr"):
        try:
            with open(st[key], "rb") as fh:
                fh.seek(max(0, os.fstat(fh.fileno()).st_size - 20000))
                text.append(fh.read().decode("utf-8", "replace"))
        except (KeyError, TypeError, OSError):
            continue
    return "\n".join(text)


def reconcile(run: Run, st: dict[str, Any]) -> dict[str, Any]:
    """The status of a queued/running SLURM run, settled to failed when SLURM ended the job and the run did
    not record an end (called by ``Run.status``). Adds ``slurm_state`` / ``slurm_reason`` (not saved)."""
    from ..atomic import read_json
    from .rundir import _status_dict

    job_id = st.get("slurm_job_id")
    if not job_id:
        since = st.get("queued_at") if isinstance(st.get("queued_at"), (int, float)) else 0
        if time.time() - since < SUBMIT_GRACE_S:
            return st  # being submitted
        return run.set_status("failed", ended=time.time(),
                              reason="The run was never submitted to SLURM (the submission did not complete).")
    job, why = query_job(str(job_id))
    if job is not None and job.active:
        return {**st, "slurm_state": job.state, "slurm_reason": job.reason}
    if job is None and why:
        return {**st, "slurm_state": "unknown", "slurm_reason": f"SLURM cannot tell: {why}"}
    st = _status_dict(read_json(run.path / "status.json", {}))  # the run may just have recorded its end
    if st.get("state") not in ACTIVE:
        return st
    logs = _read_logs(st)
    if job is None or job.state in ("CANCELLED", "COMPLETED", "FAILED"):
        job = state_from_log(logs) or job
    if job is None and st.get("stopping") == "time limit":  # the node heard SLURM's time-limit warning
        job = SlurmJob("TIMEOUT")
    if job is None:
        if time.time() - float(st.get("slurm_submitted") or 0) < 30:
            return st  # a moment after sbatch: let SLURM catch up
        job = SlurmJob("UNKNOWN")
        reason = ("SLURM no longer knows the job and the run did not record an end (killed, over a limit, or "
                  f"the node failed).{_see(st)}")
        return run.set_status("failed", ended=time.time(), reason=reason)
    if job.state == "TIMEOUT" and not job.time_limit and st.get("slurm_time_limit_min"):
        job = SlurmJob("TIMEOUT", job.reason, str(st["slurm_time_limit_min"]), job.exit_code, job.source)
    if job.state == "CANCELLED" and st.get("cancel_requested"):
        return run.set_status("cancelled", ended=time.time(), reason="Cancelled by the user.")
    state, reason = final_reason(job, st.get("slurm_stderr"))
    return run.set_status(state, ended=time.time(), reason=reason, slurm_state=job.state)


def _see(st: dict[str, Any]) -> str:
    return f" See the job's log: {st['slurm_stderr']}." if st.get("slurm_stderr") else ""


_PENDING_WORDS = {"Resources": "waiting for free resources", "Priority": "other jobs come first",
                  "Dependency": "waiting for another job", "BeginTime": "waiting for its start time",
                  "ReqNodeNotAvail": "the requested nodes are not available", "None": "about to start"}


def describe(st: dict[str, Any]) -> str | None:
    """A SLURM run's place on the cluster in words (None for local runs), e.g. 'On the cluster: SLURM job 12,
    pending (waiting for free resources).'"""
    if st.get("executor") != "slurm":
        return None
    job = st.get("slurm_job_id")
    if not job:
        return "On the cluster: being submitted to SLURM."
    state = str(st.get("slurm_state") or "").lower()
    reason = str(st.get("slurm_reason") or "")
    if state == "pending":
        state = f"pending ({_PENDING_WORDS.get(reason, reason or 'in the queue')})"
    elif state == "unknown":
        state = reason
    return f"On the cluster: SLURM job {job}" + (f", {state}." if state else ".")


# --- on the node ----------------------------------------------------------------------------------------------

class NodeJob:
    """What submitit runs on the node: ``python -m core train RUN_DIR`` (output appended to stdout.txt).

    Shortly before the time limit submitit's signal raises in here: the run records that the limit is near
    (``stopping``) and goes on until SLURM ends the job (state TIMEOUT), unless it finishes first."""

    def __init__(self, run_dir: str, time_limit_min: int):
        self.run_dir, self.time_limit_min = str(run_dir), int(time_limit_min)

    def __call__(self) -> int:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.setdefault("PYTHONUNBUFFERED", "1")
        with open(Path(self.run_dir) / "stdout.txt", "ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", "core", "train", self.run_dir], stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=str(REPO_ROOT),
                                    preexec_fn=_ignore_warning_signal)
            while True:
                try:
                    return proc.wait()
                except Exception as exc:  # submitit's UncompletedJobError: the time limit (or preemption) is near
                    Run(Path(self.run_dir)).set_status(
                        None, stopping="time limit" if "timed-out" in str(exc) else "preempted")


def _ignore_warning_signal() -> None:
    """In the run's process: ignore SLURM's time-limit warning (SIGUSR2, sent to every process of the job;
    its default action would kill the run at once). Runs between fork and exec; SIG_IGN survives exec."""
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)


# --- the executor -----------------------------------------------------------------------------------------------

class SlurmExecutor(Executor):
    """Submit runs to SLURM through submitit, cancel with scancel, watch through ``Run.status``."""

    name = "slurm"

    def __init__(self, config: ClusterConfig | None = None):
        self._config = config

    @property
    def config(self) -> ClusterConfig:
        cfg = self._config if self._config is not None else load_config()
        if self._config is None and not cfg.enabled:
            from .cluster_config import config_path

            raise InputError(f"No cluster is set up: set it on the Settings page or in {config_path()} "
                             "(enabled = true, partition, ...).")
        return cfg.validate()

    def _submitit_executor(self, cfg: ClusterConfig, folder: Path):
        import submitit

        ex = submitit.SlurmExecutor(folder=str(folder / "%j"), python=cfg.python or sys.executable,
                                    max_num_timeout=0)
        from .workspace import home

        setup = list(cfg.setup) + [
            f"export PYTHONPATH={_q(str(REPO_ROOT))}${{PYTHONPATH:+:$PYTHONPATH}}",
            f"export SCGRN_HOME={_q(str(home()))}",
        ]
        ex.update_parameters(
            job_name="scgrn", time=int(cfg.time_limit_min),
            # submitit's time-limit signal: long enough before the end to record it, short for short limits
            signal_delay_s=int(min(90, max(10, cfg.time_limit_min * 60 // 20))),
            setup=setup, additional_parameters=sbatch_parameters(cfg),
        )
        return ex

    def submit(self, run: Run) -> None:
        self.submit_many([run])

    def submit_many(self, runs: list[Run]) -> None:
        """Submit ``runs`` together: one SLURM job (one run) or ONE job array (several), in order."""
        if not runs:
            return
        cfg = self.config
        folder = runs[0].path.parent / ".slurm"
        folder.mkdir(exist_ok=True)
        for run in runs:  # before sbatch: the node's job must already see that SLURM schedules it
            run.set_status(None, executor="slurm", slurm_time_limit_min=int(cfg.time_limit_min))
        try:
            ex = self._submitit_executor(cfg, folder)
            if len(runs) == 1:
                jobs = [ex.submit(NodeJob(str(runs[0].path), cfg.time_limit_min))]
            else:
                with ex.batch():
                    jobs = [ex.submit(NodeJob(str(r.path), cfg.time_limit_min)) for r in runs]
        except Exception as exc:  # sbatch refused (bad partition, account, limits) or is missing
            message = _sbatch_error(exc)
            for run in runs:
                run.set_status("failed", ended=time.time(), reason=f"SLURM refused the job: {message}")
            raise InputError(f"SLURM refused the job: {message}") from exc
        now = time.time()
        for run, job in zip(runs, jobs):
            array_id = job.job_id.split("_")[0] if "_" in job.job_id else None
            run.set_status(None, slurm_job_id=job.job_id, slurm_array_id=array_id, slurm_submitted=now,
                           slurm_stdout=str(job.paths.stdout), slurm_stderr=str(job.paths.stderr))
        forget_cache()

    def cancel(self, run: Run, grace: float = 20.0) -> None:
        """scancel the job; the status ends 'cancelled' (once SLURM no longer runs it, or after ``grace`` s)."""
        st = run.status
        if st.get("state") not in ACTIVE:
            return
        job_id = st.get("slurm_job_id")
        run.set_status(None, cancel_requested=time.time())
        if job_id:
            rc, out = _call(["scancel", str(job_id)], TIMEOUT_S)
            if rc != 0:
                raise InputError(f"scancel {job_id} failed: {out or 'no answer'}.")
            deadline = time.time() + grace
            while time.time() < deadline:
                job, _ = query_job(str(job_id), max_age=0)
                if job is None or not job.active:
                    break
                time.sleep(0.5)
        after = run.status_raw()
        if after.get("state") in ACTIVE or after.get("state") == "failed" and "cancelled on the cluster" in str(after.get("reason")):
            run.set_status("cancelled", ended=time.time(), reason="Cancelled by the user.")

    def is_active(self, run: Run) -> bool:
        return run.state in ACTIVE


def sbatch_parameters(cfg: ClusterConfig) -> dict[str, Any]:
    """The settings' sbatch options (``cluster_probe.sbatch_args``, the one mapping) as submitit's
    ``additional_parameters``: {"time": "60", "mem": "8192M", "cpus_per_task": "2", "exclusive": True, ...}."""
    from .cluster_probe import sbatch_args

    out: dict[str, Any] = {}
    for arg in sbatch_args(cfg):
        name, sep, value = arg[2:].partition("=")
        out[name.replace("-", "_")] = value if sep else True  # submitit writes "_" as "-"
    return out


def _q(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _sbatch_error(exc: Exception) -> str:
    text = str(exc).strip()
    lines = [ln.strip() for ln in text.splitlines() if "error" in ln.lower()] or text.splitlines() or [repr(exc)]
    return lines[-1][:400]

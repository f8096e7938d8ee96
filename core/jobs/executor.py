"""Executors start, cancel and watch jobs. ``LocalExecutor`` runs each job as its own OS process in a new
session (``scgrn train RUN_DIR``), so restarting the Streamlit server does not kill it. ``SlurmExecutor``
(core.jobs.slurm) runs the same command on a SLURM cluster. ``get_executor(name)`` makes one by name;
``executor_for(run)`` is the executor recorded in a run's status.json (cancel and watch through it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Protocol

from .process import is_alive
from .rundir import ACTIVE, Run


EXECUTORS = ("local", "slurm")


class Executor(Protocol):
    name: str

    def submit(self, run: Run) -> None: ...
    def cancel(self, run: Run) -> None: ...
    def is_active(self, run: Run) -> bool: ...

    def submit_many(self, runs: list[Run]) -> None:
        """Submit several runs (a sweep); back-ends with a batch mechanism (SLURM job arrays) override it."""
        for run in runs:
            self.submit(run)


class LocalExecutor(Executor):
    """Run jobs as detached local processes; queueing per device is done by the job itself (core.jobs.slots)."""

    name = "local"

    def __init__(self, python: str | None = None):
        self.python = python or sys.executable

    def submit(self, run: Run) -> None:
        env = dict(os.environ)
        repo_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = repo_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.setdefault("PYTHONUNBUFFERED", "1")
        out = open(run.path / "stdout.txt", "ab")
        proc = subprocess.Popen(
            [self.python, "-m", "core", "train", str(run.path)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=env, cwd=repo_root,
        )
        out.close()
        # Record the pid now so that the run is cancellable even before the child writes its status.
        from .process import process_start_time

        if run.status.get("pid") is None:
            run.set_status(None, pid=proc.pid, pid_start=process_start_time(proc.pid))
        self._reap_later(proc)

    @staticmethod
    def _reap_later(proc: subprocess.Popen) -> None:
        import threading

        threading.Thread(target=proc.wait, daemon=True).start()

    def cancel(self, run: Run, grace: float = 5.0) -> None:
        """SIGTERM the job's process group, SIGKILL after ``grace`` seconds; status ends 'cancelled'."""
        st = run.status
        pid = st.get("pid")
        if st.get("state") not in ACTIVE:
            return
        if pid and is_alive(pid, st.get("pid_start")):
            try:
                os.killpg(os.getpgid(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.time() + grace
            while time.time() < deadline and is_alive(pid, st.get("pid_start")):
                time.sleep(0.1)
            if is_alive(pid, st.get("pid_start")):
                try:
                    os.killpg(os.getpgid(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
        after = run.status
        if after.get("state") in ACTIVE or (after.get("state") == "failed" and "unexpectedly" in str(after.get("reason"))):
            run.set_status("cancelled", ended=time.time(), reason="Cancelled by the user.")

    def is_active(self, run: Run) -> bool:
        return run.state in ACTIVE


def default_executor() -> Executor:
    return LocalExecutor()


def get_executor(name: str = "local") -> Executor:
    """``"local"`` (this machine) or ``"slurm"`` (the cluster set in ``$SCGRN_HOME/cluster.toml``)."""
    from ..errors import InputError

    if name == "local":
        return LocalExecutor()
    if name == "slurm":
        from .slurm import SlurmExecutor

        return SlurmExecutor()
    raise InputError(f"Unknown executor {name!r}: choose one of {', '.join(EXECUTORS)}.")


def executor_for(run: Run) -> Executor:
    """The executor that runs ``run`` (``executor`` in its status.json; local when absent)."""
    from ..atomic import read_json

    st = read_json(run.path / "status.json", {})
    name = st.get("executor") if isinstance(st, dict) else None
    return get_executor(name if name in EXECUTORS else "local")

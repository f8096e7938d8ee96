"""The run-directory protocol: one folder per run, the single source of truth.

``params.json`` (what to do), ``status.json`` (state, reason, pid, device, times), ``progress.jsonl`` (one
JSON line per epoch, rewritten atomically), ``log.txt``, ``checkpoints/`` and artifacts. The app and the CLI
list runs by reading these files, so closing a tab or restarting the server loses nothing.
"""

from __future__ import annotations

import fcntl
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import read_json, write_json_atomic
from .process import is_alive
from .workspace import runs_dir

STATES = ("queued", "running", "finished", "failed", "cancelled")
ACTIVE = ("queued", "running")


def new_run_id(method: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{method}-{secrets.token_hex(2)}"


def short_run_id(run_id: str) -> str:
    """How pages name a run in titles and table headers: ``"run 63b1"`` (the id's random hex end)."""
    return f"run {run_id[-4:]}"


@dataclass
class Run:
    """A view of one run directory (reads the files each time: always current)."""

    path: Path

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def params(self) -> dict[str, Any]:
        """params.json (a damaged or wrong-shaped file reads as {}; ``created`` is always a number)."""
        p = _as_dict(read_json(self.path / "params.json", {}))
        p["created"] = _number(p.get("created"), _mtime(self.path / "params.json"))
        return p

    @property
    def status(self) -> dict[str, Any]:
        """status.json, with a dead process's queued/running state reconciled to ``failed`` (a damaged or
        wrong-shaped file reads as {}); a SLURM run's state is settled by asking SLURM (``core.jobs.slurm``)."""
        raw = read_json(self.path / "status.json", None)
        if not isinstance(raw, dict) and (self.path / "status.json").exists():
            return {"state": "failed", "reason": "The run's status.json is damaged or unreadable."}
        st = _status_dict(raw)
        if st.get("state") in ACTIVE and st.get("executor") == "slurm":  # its pid lives on a compute node
            from .slurm import reconcile

            return reconcile(self, st)
        if st.get("state") in ACTIVE and st.get("pid") and not is_alive(st.get("pid"), st.get("pid_start")):
            st = _status_dict(read_json(self.path / "status.json", {}))  # it may just have finished
            if st.get("state") in ACTIVE:
                st = self.set_status(
                    "failed", reason="The job's process ended unexpectedly (killed, out of memory, or the machine restarted)."
                )
        return st

    def status_raw(self) -> dict[str, Any]:
        """status.json as written, without reconciling it with the job's process or SLURM."""
        return _status_dict(read_json(self.path / "status.json", {}))

    @property
    def state(self) -> str:
        return self.status.get("state", "unknown")

    def set_status(self, state: str | None, **fields: Any) -> dict[str, Any]:
        """Merge ``fields`` into status.json (and set ``state`` unless None), under a file lock."""
        assert state is None or state in STATES, state
        with open(self.path / ".status.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            st = _status_dict(read_json(self.path / "status.json", {}))
            st.update(fields)
            if state is not None:
                st["state"] = state
            st["updated"] = time.time()
            write_json_atomic(self.path / "status.json", st)
            return st

    def progress(self) -> list[dict[str, Any]]:
        try:
            lines = (self.path / "progress.jsonl").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for ln in lines:
            try:
                rec = json.loads(ln)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and all(isinstance(rec.get(k), (int, float)) and not isinstance(rec.get(k), bool)
                                             for k in ("epoch", "n_epochs")):
                rec["time"] = _number(rec.get("time"), 0.0)
                out.append(rec)
        return out

    def log_tail(self, n_lines: int = 200) -> str:
        try:
            lines = (self.path / "log.txt").read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        return "\n".join(lines[-n_lines:])

    def warnings(self) -> list[str]:
        """The warnings a run logged (log lines ``warning: ...``, e.g. a GAN's possible mode collapse)."""
        out = []
        for ln in self.log_tail(100_000).splitlines():
            text = ln.split("] ", 1)[1] if ln.startswith("[") and "] " in ln else ln  # RunContext.log's "[time] "
            if text.lower().startswith("warning:"):
                out.append(text.split(":", 1)[1].strip())
        return out

    def artifact(self, name: str) -> Path:
        return self.path / name

    def has(self, name: str) -> bool:
        return (self.path / name).exists()

    def metrics(self) -> dict[str, Any]:
        return _as_dict(read_json(self.path / "metrics.json", {}))

    @property
    def stage(self) -> str | None:
        """What the run said it is doing after its epochs (``RunContext.stage``), None when nothing."""
        path = self.path / "stage.txt"
        try:
            return path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def eta_seconds(self) -> float | None:
        """Remaining seconds from the mean epoch time so far (None before two epochs)."""
        prog = self.progress()
        if len(prog) < 2:
            return None
        last = prog[-1]
        per_epoch = last["time"] / max(last["epoch"], 1)
        return max(0.0, per_epoch * (last["n_epochs"] - last["epoch"]))


def _as_dict(obj: Any) -> dict[str, Any]:
    return dict(obj) if isinstance(obj, dict) else {}


def _number(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return float(value) if value == value and abs(value) != float("inf") else default


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _status_dict(obj: Any) -> dict[str, Any]:
    """status.json as a dict whose ``state`` is one of STATES (else absent) and whose pid is an int or None."""
    st = _as_dict(obj)
    if st.get("state") not in STATES:
        st.pop("state", None)
    if not isinstance(st.get("pid"), int) or isinstance(st.get("pid"), bool):
        st.pop("pid", None)
    if not isinstance(st.get("metrics", {}), dict):
        st["metrics"] = {}
    for key in ("reason", "device"):
        if key in st and st[key] is not None and not isinstance(st[key], str):
            st[key] = str(st[key])
    return st


def loss_terms(progress: list[dict[str, Any]]) -> list[str]:
    """The loss terms a run reported (each is plotted): the ``terms`` its records list (every family's named
    terms), else, in records written before terms were listed, the keys that contain "loss"."""
    names: dict[str, None] = {}
    for rec in progress:
        listed = rec.get("terms")
        keys = listed if isinstance(listed, list) else [k for k in rec if "loss" in k]
        names.update({str(k): None for k in keys if isinstance(rec.get(k), (int, float))})
    return list(names)


def epoch_readings(progress: list[dict[str, Any]]) -> list[str]:
    """Per-epoch numbers a run reported beside its loss terms that change over epochs (e.g. a GAN's diversity of
    generated cells, a VAE's KL weight): plotted on the Runs page next to the losses."""
    skip = {"epoch", "n_epochs", "time", "terms", *loss_terms(progress)}
    values: dict[str, set] = {}
    for rec in progress:
        for k, v in rec.items():
            if k not in skip and isinstance(v, (int, float)) and not isinstance(v, bool):
                values.setdefault(str(k), set()).add(float(v))
    return [k for k, seen in values.items() if len(seen) > 1]


def create_run(
    task: str,
    method: str,
    dataset: str | Path,
    params: dict[str, Any] | None = None,
    *,
    seed: int = 0,
    device: str = "auto",
    tfs: list[str] | None = None,
    reference: str | Path | None = None,
    label: str | None = None,
    extra: dict[str, Any] | None = None,
    root: Path | None = None,
) -> Run:
    """Make a new run directory in the 'queued' state (nothing runs until an executor submits it)."""
    root = root or runs_dir()
    path = root / new_run_id(method)
    path.mkdir(parents=True)
    (path / "checkpoints").mkdir()
    write_json_atomic(
        path / "params.json",
        {
            "task": task,
            "method": method,
            "dataset": str(Path(dataset).resolve()),
            "params": params or {},
            "seed": int(seed),
            "device": device,
            "tfs": tfs,
            "reference": str(Path(reference).resolve()) if reference else None,
            "label": label or method,
            "created": time.time(),
            **(extra or {}),
        },
    )
    run = Run(path)
    now = time.time()
    run.set_status("queued", created=now, queued_at=now)
    return run


def list_runs(root: Path | None = None) -> list[Run]:
    """All runs under the workspace, newest first."""
    root = root or runs_dir()
    runs = [Run(p) for p in root.iterdir() if (p / "params.json").is_file()]
    return sorted(runs, key=lambda r: r.params["created"], reverse=True)


RUN_ID_MAX = 200


def get_run(run_id_or_path: str | Path, root: Path | None = None) -> Run:
    """The run named by an id (a folder name under ``runs/``) or by the path of a run directory inside
    ``runs/``; ids with ``/``, ``..``, absolute paths outside ``runs/`` or over-long ids are refused."""
    from ..errors import InputError

    root = (root or runs_dir()).resolve()
    text = str(run_id_or_path)
    if not text or len(text) > 4096 or "\0" in text:
        raise InputError("Not a run id: empty, over-long or with a NUL byte.")
    p = Path(text)
    if len(p.parts) > 1 or p.is_absolute():
        try:
            p = p.resolve()
        except (OSError, RuntimeError) as exc:
            raise InputError(f"Not a run directory: {text[:80]!r}.") from exc
        if p.parent != root:
            raise InputError(f"{text[:80]!r} is not a run directory inside the workspace's runs folder.")
    else:
        if len(text) > RUN_ID_MAX or text in (".", "..") or text.startswith("."):
            raise InputError(f"Not a run id: {text[:40]!r}{'…' if len(text) > 40 else ''}.")
        p = root / text
    if not (p / "params.json").is_file():
        raise InputError(f"No run {p.name[:80]!r}: not a run directory (no params.json).")
    return Run(p)

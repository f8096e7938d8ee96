"""Run one job in the current process: what ``scgrn train RUN_DIR`` does (the app launches that command).

queued (waiting for the device slot) -> running -> finished | failed (reason) | cancelled (SIGTERM).
"""

from __future__ import annotations

import importlib
import os
import signal
import time
import traceback
from contextlib import nullcontext
from pathlib import Path

from ..errors import ScgrnError
from ..models.setup import DATASET_FIELDS, DATASET_KEY
from ..atomic import write_json_atomic
from ..context import RunContext, seed_everything
from .environment import environment_info
from .process import process_start_time
from .rundir import Run
from .slots import DeviceSlot, job_lane


class Cancelled(BaseException):
    """Raised inside the job when it receives SIGTERM (cancel)."""


def _on_sigterm(signum, frame):  # pragma: no cover - exercised through a subprocess
    raise Cancelled()


def _device_key(device) -> str:
    return f"{device.type}:{device.index or 0}" if device.type == "cuda" else device.type


def run_job(run_dir: str | Path, poll: float = 0.5) -> int:
    """Execute the run in ``run_dir``; returns 0 when finished, 1 otherwise. Never raises for job errors."""
    from ..device import device_label, resolve_device

    run = Run(Path(run_dir).resolve())
    params = run.params
    ctx = RunContext(run_dir=run.path, seed=int(params.get("seed", 0)), tfs=params.get("tfs"),
                     time_budget_s=params.get("time_budget_s") or None)
    signal.signal(signal.SIGTERM, _on_sigterm)
    pid = os.getpid()
    try:
        device = resolve_device(params.get("device", "auto"))
        ctx.device = str(device)
        threads = (params.get("params") or {}).get("threads")
        if device.type == "cpu" and isinstance(threads, int) and threads > 0:
            import torch

            torch.set_num_threads(threads)  # before the label, so that it states the threads used
        key = job_lane(params, _device_key(device))
        run.set_status("queued", pid=pid, pid_start=process_start_time(pid),
                       device=device_label(device), device_key=key, reason=None)
        on_slurm = run.status_raw().get("executor") == "slurm"  # SLURM schedules it: no local device queue
        with nullcontext() if on_slurm else DeviceSlot(run.path.parent, run.path, key, poll=poll):
            run.set_status("running", started=time.time())
            ctx._t0 = time.time()  # progress times and the time budget count from here, not from the queue
            ctx.log(f"run {run.id}: task={params.get('task')} method={params.get('method')} device={device_label(device)}")
            write_json_atomic(run.path / "environment.json", environment_info(device_label(device)))
            seed_everything(ctx.seed)
            from ..data.store import load_prepared

            adata = load_prepared(params["dataset"])
            adata.uns[DATASET_KEY] = {k: params[k] for k in DATASET_FIELDS if params.get(k)}  # the Data page's choices
            if params.get("origin"):  # a family registered outside core: importing its module registers it
                importlib.import_module(params["origin"])
            from .tasks import task_function

            metrics = task_function(params["task"])(adata, params, ctx) or {}
        run.set_status("finished", ended=time.time(), metrics=metrics, device=device_label(device))
        ctx.log("finished")
        return 0
    except Cancelled:
        st = run.status_raw()
        if st.get("executor") == "slurm" and not st.get("cancel_requested"):
            # SLURM stopped the job (time limit, preemption, ...): core.jobs.slurm records why
            ctx.log(f"stopped by SLURM ({st.get('stopping') or 'signal'})")
            return 1
        run.set_status("cancelled", ended=time.time(), reason="Cancelled by the user.")
        ctx.log("cancelled")
        return 1
    except ScgrnError as exc:
        ctx.log(f"failed: {exc}")
        run.set_status("failed", ended=time.time(), reason=str(exc))
        return 1
    except MemoryError:
        run.set_status("failed", ended=time.time(), reason="Out of memory: try fewer genes/cells or a smaller batch.")
        return 1
    except Exception as exc:  # any other crash: keep the traceback in the log, a one-line reason in status
        ctx.log("crashed:\n" + traceback.format_exc())
        run.set_status("failed", ended=time.time(), reason=f"Crashed: {type(exc).__name__}: {exc}")
        return 1

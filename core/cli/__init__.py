"""The ``scgrn`` command line. Each subcommand lives in its own module with ``register(subparsers)``.

Every command ends by printing one JSON object on its last line (machine-readable contract); user errors
print ``error: <message>`` to stderr and exit with status 2, never a traceback.
"""

from __future__ import annotations

import os


def _omp_wait_policy() -> None:
    """Let idle OpenMP threads sleep (PASSIVE) only when the machine is already busy at start.

    Spinning (the default) is ~2x faster for DeepSEM on free cores (mDC, 2 threads: 0.77 vs 1.6 s/epoch), but on
    an oversubscribed machine spinning threads steal the cores other processes need (measured 17x slower at a
    load of ~20 on 2 cores). Must run before torch is imported; an explicit OMP_WAIT_POLICY always wins.
    """
    try:
        busy = os.getloadavg()[0] >= (os.cpu_count() or 1)
    except OSError:  # no load average on this platform
        busy = False
    if busy:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


_omp_wait_policy()

import argparse  # noqa: E402
import importlib
import json
import sys
from typing import Any, Sequence

from ..errors import ScgrnError

# Subcommand modules, in help order (one line per module).
SUBCOMMANDS = [
    "core.cli.inspect_cmd",
    "core.cli.train_cmd",
    "core.cli.submit_cmd",
    "core.cli.runs_cmd",
    "core.cli.cancel_cmd",
    "core.cli.grn_cmd",
    "core.cli.eval_cmd",
    "core.cli.export_cmd",
    "core.cli.embed_cmd",
    "core.cli.simulate_cmd",
    "core.cli.denoise_cmd",
    "core.cli.compare_cmd",
    "core.cli.consensus_cmd",
    "core.cli.regulons_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scgrn", description="scGRN Studio command line")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="import MODULE first, so that the model families it registers are available (repeatable)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def emit(obj: dict[str, Any]) -> None:
    """Print the command's JSON result as the last line of stdout."""
    print(json.dumps(obj, default=str), flush=True)


def key_values(items: Sequence[str], flag: str) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}`` (names with '-' become '_'); the spec coerces values."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ScgrnError(f"{flag} expects NAME=VALUE, got {item!r}.")
        out[name.strip().replace("-", "_")] = value
    return out


def warn(messages) -> None:
    """Print each data warning as ``warning: <message>`` on stderr."""
    for m in messages or []:
        print(f"warning: {m}", file=sys.stderr)


def output_path(path: str, flag: str = "--out") -> str:
    """``path`` when its folder exists (checked before any work), else InputError."""
    from pathlib import Path

    from ..errors import InputError

    folder = Path(path).expanduser().parent
    if not folder.is_dir():
        raise InputError(f"{flag} {path}: the folder {str(folder)!r} does not exist; create it first.")
    return path


def _load_plugins(argv: Sequence[str] | None) -> None:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--plugin", action="append", default=[])
    for module in pre.parse_known_args(argv)[0].plugin:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ScgrnError(f"--plugin {module}: cannot import it ({exc}).") from exc


def main(argv: Sequence[str] | None = None) -> int:
    try:
        _load_plugins(argv)
    except ScgrnError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except ScgrnError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: out of memory: the data are too large for this machine (keep fewer genes or cells).", file=sys.stderr)
        return 2
    except OSError as exc:  # disk full, missing output folder, ... : the message, not a traceback
        print(f"error: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)

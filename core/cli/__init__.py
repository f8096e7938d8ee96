"""The ``scgrn`` command line. Each subcommand lives in its own module with ``register(subparsers)``.

Every command ends by printing one JSON object on its last line (machine-readable contract); user errors
print ``error: <message>`` to stderr and exit with status 2, never a traceback.
"""

from __future__ import annotations

import os

# Idle OpenMP threads sleep instead of spinning: on a busy machine spinning threads steal the cores that other
# jobs (and the app) need. Must be set before torch is imported; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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
    "core.cli.runs_cmd",
    "core.cli.cancel_cmd",
    "core.cli.grn_cmd",
    "core.cli.eval_cmd",
    "core.cli.export_cmd",
    "core.cli.embed_cmd",
    "core.cli.simulate_cmd",
    "core.cli.compare_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scgrn", description="scGRN Studio command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def emit(obj: dict[str, Any]) -> None:
    """Print the command's JSON result as the last line of stdout."""
    print(json.dumps(obj, default=str), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
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
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)

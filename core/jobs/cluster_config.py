"""The SLURM cluster settings: one small TOML file, ``$SCGRN_HOME/cluster.toml``.

    enabled = true                 # offer "the cluster" as a place to run
    partition = "gpu"              # "" = the cluster's default partition
    account = "mylab"              # "" = none
    gpus_per_job = 1
    cpus_per_job = 4
    mem_gb = 16.0
    time_limit_min = 120
    extra_sbatch = ["--qos=normal"]                     # more sbatch options, one per item
    setup = ["module load cuda", "source ~/envs/scgrn/bin/activate"]   # shell lines run on the node first
    python = ""                    # the interpreter on the nodes; "" = the one running the app

The Settings page edits it (``load_config`` / ``save_config``); the SLURM executor reads it at submit time.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import InputError
from .workspace import home

FILE_NAME = "cluster.toml"


@dataclass
class ClusterConfig:
    enabled: bool = False
    partition: str = ""
    account: str = ""
    gpus_per_job: int = 0
    cpus_per_job: int = 2
    mem_gb: float = 8.0
    time_limit_min: int = 60
    extra_sbatch: list[str] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)
    python: str = ""

    def validate(self) -> "ClusterConfig":
        """Self when every value is usable, else InputError naming the setting and what to do."""
        for name in ("gpus_per_job", "cpus_per_job", "time_limit_min"):
            value = getattr(self, name)
            low = 0 if name == "gpus_per_job" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InputError(f"Cluster setting {name} must be a whole number >= {low}, not {value!r}.")
        if isinstance(self.mem_gb, bool) or not isinstance(self.mem_gb, (int, float)) or not 0 < self.mem_gb < 1e6:
            raise InputError(f"Cluster setting mem_gb must be a positive number of GB, not {self.mem_gb!r}.")
        for name in ("partition", "account", "python"):
            value = getattr(self, name)
            if not isinstance(value, str) or "\n" in value or (name != "python" and " " in value.strip()):
                raise InputError(f"Cluster setting {name} must be one word (or empty), not {value!r}.")
        for name in ("extra_sbatch", "setup"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(x, str) and "\n" not in x for x in value):
                raise InputError(f"Cluster setting {name} must be a list of one-line strings.")
        for line in self.extra_sbatch:
            if not _sbatch_option(line).startswith("--"):
                raise InputError(f"Extra sbatch line {line!r}: write a long option such as --qos=normal.")
        return self

    def sbatch_options(self) -> dict[str, str | bool]:
        """``extra_sbatch`` as {name: value} (``--qos=normal`` -> {"qos": "normal"}, ``--exclusive`` -> True)."""
        out: dict[str, str | bool] = {}
        for line in self.extra_sbatch:
            name, sep, value = _sbatch_option(line)[2:].partition("=")
            out[name.strip()] = value.strip() if sep else True
        return out


def _sbatch_option(line: str) -> str:
    text = line.strip()
    return text[len("#SBATCH"):].strip() if text.upper().startswith("#SBATCH") else text


def config_path() -> Path:
    return home() / FILE_NAME


def load_config(path: Path | None = None) -> ClusterConfig:
    """The saved settings (defaults, ``enabled=False``, when there is no file); InputError for a damaged file."""
    path = path or config_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ClusterConfig()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"The cluster settings file {path} cannot be read ({exc}); fix or delete it.") from exc
    known = {f.name for f in fields(ClusterConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(f"The cluster settings file {path} has unknown settings: {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(known))}).")
    cfg = ClusterConfig(**raw)
    if isinstance(cfg.mem_gb, int) and not isinstance(cfg.mem_gb, bool):
        cfg.mem_gb = float(cfg.mem_gb)
    return cfg.validate()


def save_config(cfg: ClusterConfig, path: Path | None = None) -> Path:
    """Validate and write ``cfg`` (atomically); returns the file's path."""
    from ..atomic import write_text_atomic

    cfg.validate()
    path = path or config_path()
    write_text_atomic(path, to_toml(cfg))
    return path


def to_toml(cfg: ClusterConfig) -> str:
    """The settings as TOML (flat keys; JSON string escapes are valid TOML basic strings)."""
    lines = ["# scGRN Studio: SLURM cluster settings (see the README, 'Run on a SLURM cluster')"]
    for key, value in asdict(cfg).items():
        lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)

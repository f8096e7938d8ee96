"""Method specifications: what the Train page, the CLI and the job runner know about each model.

Each model family declares a :class:`MethodSpec` (its hyperparameters with defaults, help and presets, and
the dotted path of the function that trains it). The Train page renders forms from these specs, so adding a
model needs no page code. Register specs in :mod:`core.registry`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

ParamKind = Literal["int", "float", "choice", "bool", "str"]
Task = Literal["grn", "embed"]


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    help: str = ""
    kind: ParamKind = "float"
    choices: Sequence[Any] | None = None
    min: float | None = None
    max: float | None = None
    log: bool = False  # suggests a log-scale input for learning rates etc.

    def coerce(self, value: Any) -> Any:
        """Convert a value from a form/CLI/JSON into the declared kind, validating bounds and choices."""
        from .errors import InputError

        try:
            if self.kind == "int":
                value = int(value)
            elif self.kind == "float":
                value = float(value)
            elif self.kind == "bool":
                value = value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes", "on"}
            elif self.kind == "str":
                value = str(value)
        except (TypeError, ValueError) as exc:
            raise InputError(f"Parameter {self.name!r} must be {self.kind}, got {value!r}.") from exc
        if self.choices is not None and value not in self.choices:
            raise InputError(f"Parameter {self.name!r} must be one of {list(self.choices)}, got {value!r}.")
        if self.min is not None and value < self.min:
            raise InputError(f"Parameter {self.name!r} must be >= {self.min}, got {value}.")
        if self.max is not None and value > self.max:
            raise InputError(f"Parameter {self.name!r} must be <= {self.max}, got {value}.")
        return value


@dataclass(frozen=True)
class MethodSpec:
    """One trainable method. ``runner`` is "module:function" and is imported only when used.

    GRN runners: ``fn(adata, ctx, **params) -> pandas.DataFrame`` (edge table, see core.grn.edges).
    Embedding runners: ``fn(adata, ctx, **params) -> core.embedding result`` (see that module).
    """

    name: str
    label: str
    task: Task
    runner: str
    params: tuple[Param, ...] = ()
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""
    neural: bool = False
    uses_tfs: bool = True

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve_params(self, given: dict[str, Any] | None = None, preset: str | None = None) -> dict[str, Any]:
        """Defaults, then the preset, then explicit values; unknown names are an error."""
        from .errors import InputError

        out = self.defaults()
        if preset:
            if preset not in self.presets:
                raise InputError(f"Unknown preset {preset!r} for {self.label}; choose from {list(self.presets)}.")
            out.update(self.presets[preset])
        by_name = {p.name: p for p in self.params}
        for key, value in (given or {}).items():
            if value is None:
                continue
            if key not in by_name:
                raise InputError(f"{self.label} has no parameter {key!r}; known: {sorted(by_name)}.")
            out[key] = value
        return {k: (by_name[k].coerce(v) if k in by_name else v) for k, v in out.items()}

    def load_runner(self) -> Callable[..., Any]:
        module, _, func = self.runner.partition(":")
        return getattr(importlib.import_module(module), func)

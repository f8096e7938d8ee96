"""Method specifications: what the Train page, the CLI and the job runner know about each model.

Each family declares one :class:`MethodSpec`: its hyperparameters (each declared once, here: defaults, help,
bounds; ``None`` is the one spelling of "unset", meaning the rule in the help applies), presets, what it can do
(``capabilities``: "grn", "latent", "simulate", "denoise") and where its model lives (``model``: a
:class:`core.models.base.BaseModel` subclass) or, for methods without a model (correlation, tree peers),
``runner``: ``fn(adata, ctx, **params) -> edge table``. The Train, Runs, Embedding and Simulation pages, the
job runner and the CLI read these from :mod:`core.registry` and never name a family.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

ParamKind = Literal["int", "float", "choice", "bool", "str"]
Task = Literal["grn", "embed", "generate"]
Capability = Literal["grn", "latent", "simulate", "denoise"]

#: what each capability lets a run do: a task of the job runner (simulation/denoising run from a finished run)
TASK_OF_CAPABILITY: dict[str, str] = {"grn": "grn", "latent": "embed", "simulate": "generate"}


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
    label: str = ""  # words for the form; the name when empty

    @property
    def nullable(self) -> bool:
        """A parameter whose default is None ("unset": the rule in its help decides)."""
        return self.default is None

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")

    def coerce(self, value: Any) -> Any:
        """Convert a value from a form/CLI/JSON into the declared kind, validating bounds and choices."""
        from .errors import InputError

        if value is None or (self.nullable and isinstance(value, str) and value.strip().lower() in ("", "none", "auto")):
            if self.nullable:
                return None
            raise InputError(f"Parameter {self.name!r} needs a value.")
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


def _load(target: Any) -> Any:
    """A "module:attribute" string imported now, or the object itself."""
    if not isinstance(target, str):
        return target
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class MethodSpec:
    """One method. ``model`` ("module:Class" or the class) or ``runner`` ("module:function") is imported only
    when used, so listing methods never imports torch."""

    name: str
    label: str
    capabilities: tuple[Capability, ...]
    model: Any = None
    runner: str | None = None
    params: tuple[Param, ...] = ()
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: words the Train page shows for a preset (what it is for, how long it takes), by preset name
    preset_notes: dict[str, str] = field(default_factory=dict)
    description: str = ""
    neural: bool = False
    uses_tfs: bool = True
    simulation_params: tuple[Param, ...] = ()  # options of simulating from a trained model ("simulate")
    #: "module:function(n_cells, batch_size) -> epochs" a model needs to simulate well (None = no rule); a run
    #: trained with far fewer epochs is flagged as under-trained on the Simulation page
    advised_epochs: str | None = None
    origin: str | None = None  # module that registered it (set by core.registry.register; None = built in)
    #: optional packages (import names) the method needs; when one is missing the method stays listed but
    #: :attr:`unavailable` says why and how to install it (the Train page disables Launch, runs fail clearly)
    requires: tuple[str, ...] = ()
    install: str = ""  # how to install ``requires`` (e.g. "pip install 'scgrn-studio[regdiffusion]'")
    #: "module:function(n_cells, n_genes, resolved_params) -> core.jobs.cost.Cost": time and memory before launch
    #: (core.jobs.estimate); None = no estimate
    cost: str | None = None

    def __post_init__(self) -> None:
        if (self.model is None) == (self.runner is None):
            raise ValueError(f"{self.name}: give exactly one of model= or runner=")
        if self.runner is not None and set(self.capabilities) - {"grn"}:
            raise ValueError(f"{self.name}: a runner method can only declare 'grn'; other capabilities need a model")

    @property
    def unavailable(self) -> str | None:
        """Why this method cannot run in this environment (None when every package in ``requires`` imports)."""
        import importlib.util

        missing = [m for m in self.requires if importlib.util.find_spec(m) is None]
        if not missing:
            return None
        return f"{self.label} needs the optional package(s) {', '.join(missing)}, not installed here: {self.install}."

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def tasks(self) -> tuple[str, ...]:
        """Training tasks this method serves ("grn", "embed"), in the order of its capabilities."""
        return tuple(TASK_OF_CAPABILITY[c] for c in self.capabilities if c in TASK_OF_CAPABILITY)

    @property
    def task(self) -> str:
        """The default training task (the first of :attr:`tasks`)."""
        return self.tasks[0]

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
        return resolve_values(self.params, out, given, self.label)

    def load_runner(self) -> Callable[..., Any]:
        return _load(self.runner)

    def load_model(self) -> type:
        """The family's model class (a core.models.base.BaseModel subclass)."""
        return _load(self.model)

    def load_cost(self) -> Callable[..., Any] | None:
        return None if self.cost is None else _load(self.cost)

    def load_advised_epochs(self) -> Callable[..., int] | None:
        return None if self.advised_epochs is None else _load(self.advised_epochs)

    def simulation_defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.simulation_params}

    def resolve_simulation(self, given: dict[str, Any] | None = None) -> dict[str, Any]:
        """Simulation options: defaults, then ``given`` (unknown names are an error), coerced."""
        return resolve_values(self.simulation_params, self.simulation_defaults(), given, f"Simulating from {self.label}")


def resolve_values(params: Sequence[Param], base: dict[str, Any], given: dict[str, Any] | None, who: str) -> dict[str, Any]:
    from .errors import InputError

    by_name = {p.name: p for p in params}
    out = dict(base)
    for key, value in (given or {}).items():
        if value is None and (key not in by_name or not by_name[key].nullable):
            continue  # "not given"
        if key not in by_name:
            raise InputError(f"{who} has no parameter {key!r}; known: {sorted(by_name)}.")
        out[key] = value
    return {k: (by_name[k].coerce(v) if k in by_name else v) for k, v in out.items()}

"""All methods, by name: the built-in families, plus any added with :func:`register`.

    from core.registry import register
    register(MY_SPEC)                  # a new family: one call, no other file edited

A family registered from outside ``core`` (a test, a lab's plugin) is remembered with the module that
registered it (``spec.origin``); a run records that module, so the background job imports it again before it
looks the method up. Installed packages can also declare families through the ``scgrn.methods`` entry-point
group (each entry point is a MethodSpec or a list of them), and ``SCGRN_PLUGINS=module,...`` imports modules
at start (how a server, e.g. the app, is given a family that is not installed as a package).
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import replace
from importlib.metadata import entry_points

from .errors import InputError
from .specs import MethodSpec

#: modules whose ``SPECS`` list the built-in families (one line per family)
BUILTIN = (
    "core.grn.correlation_spec",
    "core.grn.trees_spec",
    "core.grn.regdiffusion_spec",
    "core.models.deepsem.spec",
    "core.models.vae.spec",
    "core.models.catran.spec",
    "core.models.pca.spec",
    "core.models.gan.spec",
)

#: environment variable naming modules to import at start (comma-separated), e.g. for the app server
PLUGINS_ENV = "SCGRN_PLUGINS"

_REGISTRY: dict[str, MethodSpec] | None = None


def _builtin() -> dict[str, MethodSpec]:
    specs: dict[str, MethodSpec] = {}
    for module in BUILTIN:
        for spec in importlib.import_module(module).SPECS:
            specs[spec.name] = spec
    for ep in entry_points(group="scgrn.methods"):
        loaded = ep.load()
        for spec in loaded if isinstance(loaded, (list, tuple)) else [loaded]:
            specs[spec.name] = replace(spec, origin=spec.origin or ep.module)
    return specs


def _registry() -> dict[str, MethodSpec]:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _builtin()
        for module in filter(None, os.environ.get(PLUGINS_ENV, "").split(",")):
            importlib.import_module(module.strip())  # each registers its families
    return _REGISTRY


def register(spec: MethodSpec, *, replace_existing: bool = False) -> MethodSpec:
    """Add a method; returns the spec as registered (with ``origin`` = the calling module outside core)."""
    reg = _registry()
    caller = _caller()
    if spec.name in reg and not replace_existing and reg[spec.name].origin not in (caller, spec.origin):
        raise InputError(f"A method named {spec.name!r} is already registered.")
    if spec.origin is None and caller and not caller.startswith("core."):
        spec = replace(spec, origin=caller)
    reg[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    _registry().pop(name, None)


def _caller() -> str | None:
    """Module name of whoever called the public function that calls this."""
    return sys._getframe(2).f_globals.get("__name__")


def methods(capability: str | None = None, *, task: str | None = None) -> dict[str, MethodSpec]:
    """Registered methods, optionally only those with a capability ("grn", "latent", "simulate", ...) or
    serving a training task ("grn", "embed")."""
    return {k: v for k, v in _registry().items()
            if (capability is None or v.can(capability)) and (task is None or task in v.tasks)}


def get_method(name: str, origin: str | None = None) -> MethodSpec:
    """The spec of ``name``; ``origin`` (recorded by a run) is imported first so that it registers itself."""
    reg = _registry()
    if name not in reg and origin:
        try:
            importlib.import_module(origin)
        except ImportError as exc:
            raise InputError(f"Method {name!r} comes from module {origin!r}, which cannot be imported: {exc}.") from exc
    if name not in reg:
        raise InputError(f"Unknown method {name!r}; available: {', '.join(sorted(reg))}.")
    return reg[name]

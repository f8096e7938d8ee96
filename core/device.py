"""Pick the compute device: CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

import torch

from .errors import InputError


def resolve_device(name: str | None = "auto") -> torch.device:
    """Return the torch device for ``name`` ("auto", "cpu", "cuda", "cuda:1", "mps")."""
    name = (name or "auto").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("Device 'cuda' was requested but no CUDA GPU is available here; use 'auto' or 'cpu'.")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise InputError("Device 'mps' was requested but Apple MPS is not available here; use 'auto' or 'cpu'.")
    try:
        return torch.device(name)
    except RuntimeError as exc:
        raise InputError(f"Unknown device {name!r}: use auto, cpu, cuda or mps.") from exc


def device_label(device: torch.device) -> str:
    """Human-readable device description, e.g. 'cuda (NVIDIA H100)' or 'cpu (2 threads)'."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device.type

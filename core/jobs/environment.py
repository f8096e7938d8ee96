"""Record library versions and hardware for reproducibility (environment.json in each run)."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

PACKAGES = ["torch", "numpy", "scipy", "pandas", "anndata", "scanpy", "scikit-learn", "umap-learn", "networkx",
            "leidenalg", "lion-pytorch", "streamlit", "scgrn-studio"]


def environment_info(device: str | None = None) -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    info = {"python": sys.version.split()[0], "platform": platform.platform(), "machine": platform.machine(),
            "packages": versions, "device": device}
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        info["cuda"] = torch.version.cuda
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except Exception:  # pragma: no cover - torch is a hard dependency
        pass
    return info

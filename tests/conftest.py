"""Shared fixtures. Tests that need ../shared skip cleanly when it is absent (a user's clone has none)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SCGRN_SHARED", ROOT.parent / "shared"))

os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data, or skip."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip("../shared/data is not available (only developers and CI have it)")
    return data


@pytest.fixture()
def workspace(tmp_path, monkeypatch) -> Path:
    """An isolated scGRN workspace (datasets/ and runs/) for one test."""
    ws = tmp_path / "workspace"
    ws.mkdir()
    monkeypatch.setenv("SCGRN_HOME", str(ws))
    return ws


@pytest.fixture(scope="session")
def synthetic_small():
    """A tiny synthetic counts dataset with its true network and TFs (fast to train on)."""
    from core.data.synthetic import synthetic_dataset

    return synthetic_dataset(n_cells=300, n_genes=30, n_tfs=8, seed=0)


@pytest.fixture(scope="session")
def debug_method():
    """The diagnostic GRN family (tests/families/debug_family.py), registered; background jobs import it too."""
    from tests.families.debug_family import SPEC

    return SPEC

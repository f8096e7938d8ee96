"""What the GRN page needs from a finished run, in one place (the page only lays it out).

``open_network(run_dir)`` loads a run's ``edges.tsv`` (ranked), its TF list and its reference network (the
path stored as ``params.json["reference"]``), and gives the layout cache file. ``score_view`` wraps the
evaluator (EPR, AUPRC ratio, precision-recall curve) when ``core.grn.scoring`` is present.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from .view import infer_tfs, layout_for, threshold_grid
from .view.select import ranked


EDGE_HEADER = "source\ttarget\tweight"


def load_edges(path: str | Path) -> pd.DataFrame:
    """An edge table from ``edges.tsv`` or any network format the project reads, ranked, weights numeric."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"File not found: {path}")
    with open(path, encoding="utf-8", errors="replace") as fh:
        header = fh.readline().rstrip("\r\n")
    if header.startswith(EDGE_HEADER):  # our own edges.tsv: a fast, typed read (gene "NA" stays "NA")
        df = pd.read_csv(path, sep="\t", dtype={"source": str, "target": str}, keep_default_na=False, na_values=[])
        df["weight"] = pd.to_numeric(df["weight"], errors="coerce")
        if df["weight"].isna().any():
            raise InputError(f"{path.name}: non-numeric weights")
    else:
        from ..io.networks import read_network

        df = read_network(path)
    for extra in ("signed_weight", "confidence"):
        if extra in df.columns:
            df[extra] = pd.to_numeric(df[extra], errors="coerce")
            if df[extra].isna().any():
                df = df.drop(columns=extra)
    df = df[df["source"] != df["target"]]
    cols = [c for c in ("source", "target", "weight", "signed_weight", "confidence") if c in df.columns]
    return ranked(df[cols].reset_index(drop=True))


def load_reference(path: str | Path | None) -> pd.DataFrame | None:
    """A reference network as ``source, target`` (None when no path is given)."""
    if not path:
        return None
    from ..io.networks import read_network

    ref = read_network(path)
    return ref[["source", "target"]].drop_duplicates().reset_index(drop=True)


@dataclass
class RunNetwork:
    """A finished GRN run's network, ready for the explorer."""

    run_id: str
    path: Path
    edges: pd.DataFrame
    tfs: set[str]
    params: dict[str, Any] = field(default_factory=dict)
    reference_path: str | None = None
    _memo: dict = field(default_factory=dict, repr=False)

    def reference(self) -> pd.DataFrame | None:
        """The reference network (``source, target``), read once; None when the run has none."""
        if "reference" not in self._memo:
            self._memo["reference"] = load_reference(self.reference_path)
        return self._memo["reference"]

    def genes(self) -> list[str]:
        """Every gene of the network, sorted (read once)."""
        if "genes" not in self._memo:
            self._memo["genes"] = sorted(pd.unique(pd.concat([self.edges["source"], self.edges["target"]])))
        return self._memo["genes"]

    def threshold_grid(self) -> dict[str, float]:
        """Bounds, step and default of the weight-threshold slider (see :func:`view.threshold_grid`)."""
        if "grid" not in self._memo:
            self._memo["grid"] = threshold_grid(self.edges, n_default=300)
        return self._memo["grid"]

    def evaluation(self):
        """EPR / AUPRC ratio / PR curve of the whole network against the reference (None without one)."""
        if "evaluation" not in self._memo:
            ref = self.reference()
            self._memo["evaluation"] = None if ref is None else score_view(self.edges, ref, self.params.get("tfs"))
        return self._memo["evaluation"]

    @property
    def layout_file(self) -> Path:
        return self.path / "layout.json"

    def positions(self) -> dict[str, tuple[float, float]]:
        """The fixed layout (computed once per run, then from memory or ``layout.json``)."""
        edges_file = self.path / "edges.tsv"
        stamp = f"{edges_file.stat().st_mtime_ns}-{edges_file.stat().st_size}" if edges_file.exists() else "0"
        return layout_for(self.edges, key=f"{self.path.resolve()}:{stamp}", cache_file=self.layout_file)


def _reference_path(params: dict[str, Any]) -> str | None:
    """The run's reference network, else the one saved with its prepared dataset (``reference.csv``)."""
    if params.get("reference") and Path(params["reference"]).is_file():
        return str(params["reference"])
    if params.get("dataset"):
        candidate = Path(params["dataset"]).parent / "reference.csv"
        if candidate.is_file():
            return str(candidate)
    return None


_OPEN: dict[tuple, RunNetwork] = {}


def open_network(run_dir: str | Path) -> RunNetwork:
    """Load a run directory that holds ``params.json`` and ``edges.tsv`` (cached until edges.tsv changes)."""
    path = Path(run_dir).resolve()
    edges_file = path / "edges.tsv"
    if not edges_file.is_file():
        raise InputError(f"Run {path.name} has no edges.tsv (is it a finished GRN run?).")
    st = edges_file.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _OPEN:
        if len(_OPEN) >= 8:
            _OPEN.pop(next(iter(_OPEN)))
        _OPEN[key] = _load_network(path)
    return _OPEN[key]


def _load_network(path: Path) -> RunNetwork:
    edges_file = path / "edges.tsv"
    try:
        params = json.loads((path / "params.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        params = {}
    edges = load_edges(edges_file)
    return RunNetwork(
        run_id=path.name, path=path, edges=edges, tfs=infer_tfs(edges, params.get("tfs")), params=params,
        reference_path=_reference_path(params),
    )


def score_view(edges: pd.DataFrame, reference: pd.DataFrame, tfs=None):
    """EPR / AUPRC ratio / PR curve of ``edges`` against ``reference`` (None when scoring is unavailable)."""
    try:
        from .scoring import evaluate_grn
    except ImportError:
        return None
    return evaluate_grn(edges, reference, tfs=sorted(tfs) if tfs else None)


def precompute_layout(run_dir: str | Path) -> None:
    """Compute and save a finished run's layout (``layout.json``) so its first view opens fast.

    Meant for the end of a GRN job; never raises (the page computes the layout itself when it is missing).
    """
    try:
        open_network(run_dir).positions()
    except Exception:  # noqa: BLE001 - an optional speed-up must not fail a finished run
        pass

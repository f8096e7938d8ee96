"""Decide whether a table holds cells as rows or genes as rows, with a rule a user can read.

Rule (first that decides wins):
1. barcodes: an axis whose labels are >= 90% 10x-style barcodes (``ACGT...``, optional ``-1``) is cells;
2. label shapes: replace every run of digits by ``#``; cell IDs follow one or two patterns
   (``cell#``, ``E#_#_#``, ``LPS_#h_S#``) while gene symbols vary (``IL#B``, ``CLEC#E``, ``SOX#``). The axis
   whose labels take clearly more distinct shapes (>= 3x, and >= 5 shapes) is genes;
3. name hints: labels mostly starting with ``cell``/``barcode`` (or ``gene``) decide that axis;
4. otherwise cells as rows (the AnnData / scanpy convention); flip it in the app or with ``--layout``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_BARCODE = re.compile(r"^[ACGTN]{8,}([-_.]\w+)?$")
_DIGITS = re.compile(r"\d+")
_CELL_HINT = re.compile(r"^(cell|barcode|bc)[\W_]?\d*", re.I)
_GENE_HINT = re.compile(r"^(gene)[\W_]?\d+", re.I)

CELLS_BY_GENES = "cells-by-genes"
GENES_BY_CELLS = "genes-by-cells"
LAYOUTS = ("auto", CELLS_BY_GENES, GENES_BY_CELLS)


@dataclass(frozen=True)
class LayoutDecision:
    layout: str  # cells-by-genes or genes-by-cells
    rule: str  # human-readable reason


def _frac(labels: Sequence[str], pattern: re.Pattern) -> float:
    return sum(bool(pattern.match(s)) for s in labels) / max(len(labels), 1)


def _n_shapes(labels: Sequence[str]) -> int:
    return len({_DIGITS.sub("#", s) for s in labels})


def infer_layout(row_labels: Sequence[str], col_labels: Sequence[str]) -> LayoutDecision:
    """Apply the rule above to the row and column labels of a table."""
    rows = [str(s) for s in row_labels]
    cols = [str(s) for s in col_labels]
    if _frac(rows, _BARCODE) >= 0.9 and _frac(cols, _BARCODE) < 0.5:
        return LayoutDecision(CELLS_BY_GENES, "row labels are cell barcodes")
    if _frac(cols, _BARCODE) >= 0.9 and _frac(rows, _BARCODE) < 0.5:
        return LayoutDecision(GENES_BY_CELLS, "column labels are cell barcodes")
    sr, sc = _n_shapes(rows), _n_shapes(cols)
    if sr >= 5 and sr >= 3 * sc:
        return LayoutDecision(GENES_BY_CELLS, f"row labels vary like gene symbols ({sr} label shapes vs {sc} for columns)")
    if sc >= 5 and sc >= 3 * sr:
        return LayoutDecision(CELLS_BY_GENES, f"column labels vary like gene symbols ({sc} label shapes vs {sr} for rows)")
    if _frac(rows, _CELL_HINT) >= 0.9 or _frac(cols, _GENE_HINT) >= 0.9:
        return LayoutDecision(CELLS_BY_GENES, "row labels are named like cells (or columns like genes)")
    if _frac(cols, _CELL_HINT) >= 0.9 or _frac(rows, _GENE_HINT) >= 0.9:
        return LayoutDecision(GENES_BY_CELLS, "column labels are named like cells (or rows like genes)")
    return LayoutDecision(CELLS_BY_GENES, "labels did not decide: cells as rows (the AnnData convention)")

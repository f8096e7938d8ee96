"""Checks that turn garbage into specific messages before any training: odd labels (BOM, NUL, tabs, empty),
duplicated names, and degenerate values (all zero, constant, extreme). Errors raise InputError; warnings are
returned as sentences (shown on the Data page and printed by the CLI)."""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np
import scipy.sparse as sp

from ..errors import InputError

MAX_ABS_VALUE = 1e18  # beyond this float32 training overflows when values are squared (max ~3.4e38)
EXTREME_VALUE = 1e7  # above any count or TPM a single cell plausibly has: warn


def _examples(items: list[str], n: int = 3) -> str:
    return ", ".join(repr(str(x)[:30]) for x in items[:n])


#: any character one of the character checks in ``label_warnings`` looks for (BOM, NUL, tab, control, U+FFFD)
_ODD_CHARS = re.compile("[\x00-\x1f\ufeff\ufffd]")


def label_warnings(labels: Iterable[str], what: str) -> list[str]:
    """Sentences about odd labels: byte-order mark, NUL or control characters, tabs, empty names, blank edges,
    undecodable bytes (shown as U+FFFD)."""
    labels = [str(x) for x in labels]
    character_checks = {
        "start with a byte-order mark (BOM)": lambda s: "\ufeff" in s,
        "contain a NUL byte": lambda s: "\x00" in s,
        "contain a tab": lambda s: "\t" in s,
        "contain other control characters": lambda s: any(ord(c) < 32 and c not in "\t\x00" for c in s),
        "contain undecodable bytes (shown as \ufffd)": lambda s: "\ufffd" in s,
    }
    checks = {
        "are empty": lambda s: s.strip() == "",
        "have spaces at the start or end": lambda s: s != s.strip() and s.strip() != "",
    }
    if _ODD_CHARS.search("".join(labels)):  # one C-speed scan rules the character checks out for ordinary names
        checks = {**character_checks, **checks}
    out = []
    for sentence, test in checks.items():
        hits = [s for s in labels if test(s)]
        if hits:
            out.append(f"{len(hits)} {what} name(s) {sentence}, e.g. {_examples(hits)}.")
    return out


def value_checks(X, stats=None) -> list[str]:
    """Raise InputError for all-zero, constant or overflowing matrices; return warnings for all-zero or constant
    genes and cells and extreme values. ``stats``: the matrix's :func:`~core.data.matrix_stats.matrix_stats`
    when the caller already has it."""
    from ..data.matrix_stats import matrix_stats

    n_obs, n_vars = X.shape
    st = stats if stats is not None else matrix_stats(X)
    vmax = st.abs_max if n_obs and n_vars else 0.0
    if vmax == 0.0:
        raise InputError(f"Every value of the {n_obs} x {n_vars} matrix is zero: there is nothing to learn from.")
    vmin_all, vmax_all = float(st.gene_min.min()), float(st.gene_max.max())
    if vmin_all == vmax_all:
        raise InputError(f"Every value of the {n_obs} x {n_vars} matrix is {vmax_all:g}: a constant matrix carries no signal.")
    if vmax > MAX_ABS_VALUE:
        raise InputError(
            f"Values reach {vmax:.3g}, beyond {MAX_ABS_VALUE:.0e}: training in float32 would overflow. "
            "Rescale the data (e.g. log1p of counts) first."
        )
    warnings = []
    if vmax > EXTREME_VALUE:
        warnings.append(f"Extreme values: the largest is {vmax:.3g} (above {EXTREME_VALUE:.0e}); check units or apply log1p.")
    for what, mn, mx, n, other in (("gene", st.gene_min, st.gene_max, n_vars, "cell"),
                                   ("cell", st.cell_min, st.cell_max, n_obs, "gene")):
        zero = (mx == 0) & (mn == 0)
        const = (mx == mn) & ~zero
        if zero.any():
            warnings.append(f"{int(zero.sum())} of {n} {what}s are zero in every {other} (no information; consider filtering them).")
        if const.any():
            warnings.append(f"{int(const.sum())} of {n} {what}s have the same value everywhere (constant).")
    return warnings

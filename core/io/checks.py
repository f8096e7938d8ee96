"""Checks that turn garbage into specific messages before any training: odd labels (BOM, NUL, tabs, empty),
duplicated names, and degenerate values (all zero, constant, extreme). Errors raise InputError; warnings are
returned as sentences (shown on the Data page and printed by the CLI)."""

from __future__ import annotations

from typing import Iterable

import numpy as np
import scipy.sparse as sp

from ..errors import InputError

MAX_ABS_VALUE = 1e18  # beyond this float32 training overflows when values are squared (max ~3.4e38)
EXTREME_VALUE = 1e7  # above any count or TPM a single cell plausibly has: warn


def _examples(items: list[str], n: int = 3) -> str:
    return ", ".join(repr(str(x)[:30]) for x in items[:n])


def label_warnings(labels: Iterable[str], what: str) -> list[str]:
    """Sentences about odd labels: byte-order mark, NUL or control characters, tabs, empty names, blank edges,
    undecodable bytes (shown as U+FFFD)."""
    labels = [str(x) for x in labels]
    checks = {
        "start with a byte-order mark (BOM)": lambda s: "\ufeff" in s,
        "contain a NUL byte": lambda s: "\x00" in s,
        "contain a tab": lambda s: "\t" in s,
        "contain other control characters": lambda s: any(ord(c) < 32 and c not in "\t\x00" for c in s),
        "are empty": lambda s: s.strip() == "",
        "have spaces at the start or end": lambda s: s != s.strip() and s.strip() != "",
        "contain undecodable bytes (shown as \ufffd)": lambda s: "\ufffd" in s,
    }
    out = []
    for sentence, test in checks.items():
        hits = [s for s in labels if test(s)]
        if hits:
            out.append(f"{len(hits)} {what} name(s) {sentence}, e.g. {_examples(hits)}.")
    return out


def value_checks(X) -> list[str]:
    """Raise InputError for all-zero, constant or overflowing matrices; return warnings for all-zero or constant
    genes and cells and extreme values."""
    n_obs, n_vars = X.shape
    if sp.issparse(X):
        X = X.tocsr()
        data = X.data
        nnz = X.nnz
        vmax = float(np.abs(data).max()) if data.size else 0.0
        vmin_all = min(float(data.min()), 0.0) if data.size and nnz < n_obs * n_vars else (float(data.min()) if data.size else 0.0)
        vmax_all = max(float(data.max()), 0.0) if data.size and nnz < n_obs * n_vars else (float(data.max()) if data.size else 0.0)
    else:
        X = np.asarray(X)
        vmax = float(np.abs(X).max()) if X.size else 0.0
        vmin_all, vmax_all = (float(X.min()), float(X.max())) if X.size else (0.0, 0.0)
    if vmax == 0.0:
        raise InputError(f"Every value of the {n_obs} x {n_vars} matrix is zero: there is nothing to learn from.")
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
    # per-gene / per-cell min and max (sparse: implicit zeros count)
    by_axis = {0: X.tocsc(), 1: X} if sp.issparse(X) else {}  # one conversion for both gene extremes
    for axis, what in ((0, "gene"), (1, "cell")):
        if sp.issparse(X):
            M = by_axis[axis]
            mx = np.asarray(M.max(axis=axis).todense()).ravel()
            mn = np.asarray(M.min(axis=axis).todense()).ravel()
        else:
            mx, mn = X.max(axis=axis), X.min(axis=axis)
        zero = (mx == 0) & (mn == 0)
        const = (mx == mn) & ~zero
        n = X.shape[1 - axis]
        if zero.any():
            warnings.append(f"{int(zero.sum())} of {n} {what}s are zero in every {'cell' if what == 'gene' else 'gene'}"
                            f" (no information; consider filtering them).")
        if const.any():
            warnings.append(f"{int(const.sum())} of {n} {what}s have the same value everywhere (constant).")
    return warnings

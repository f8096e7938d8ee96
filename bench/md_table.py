"""A pandas DataFrame as a GitHub markdown table (no tabulate dependency), for bench result files."""

from __future__ import annotations

import pandas as pd


def md_table(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    rows = [["" if pd.isna(v) else str(v) for v in r] for r in df.itertuples(index=False)]
    return "\n".join(["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)] + ["| " + " | ".join(r) + " |" for r in rows])

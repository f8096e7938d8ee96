"""Hub genes and size of a (thresholded) network."""

from __future__ import annotations

import pandas as pd


def hub_genes(edges: pd.DataFrame, n: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Top regulators by out-degree and top targets by in-degree (ties broken by summed weight).

    Returns two tables: ``gene, out_degree, total_weight`` and ``gene, in_degree, total_weight``.
    """

    def top(col: str, name: str) -> pd.DataFrame:
        g = edges.groupby(col)["weight"].agg(["size", "sum"]).reset_index()
        g.columns = ["gene", name, "total_weight"]
        g = g.sort_values([name, "total_weight", "gene"], ascending=[False, False, True], kind="stable")
        return g.head(n).reset_index(drop=True)

    return top("source", "out_degree"), top("target", "in_degree")


def network_size(edges: pd.DataFrame) -> dict[str, int]:
    """Edges, genes, regulators (genes with an out-edge) and targets (genes with an in-edge)."""
    return {
        "edges": int(len(edges)),
        "genes": int(pd.concat([edges["source"], edges["target"]]).nunique()),
        "regulators": int(edges["source"].nunique()),
        "targets": int(edges["target"].nunique()),
    }

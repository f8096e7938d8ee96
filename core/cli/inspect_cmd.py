"""``scgrn inspect FILE [--layout ...]``: read a dataset and print its summary."""

from __future__ import annotations

from ..io.layout import LAYOUTS


def register(sub) -> None:
    p = sub.add_parser("inspect", help="read an expression file and summarise it (JSON on the last line)")
    p.add_argument("file", help="h5ad, CSV/TSV(.gz), 10x .h5 or 10x mtx folder")
    p.add_argument("--layout", choices=LAYOUTS, default="auto", help="table orientation (default: auto)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..data.summary import summarize
    from ..io.expression import read_expression
    from . import emit, warn

    adata = read_expression(args.file, layout=args.layout)
    s = summarize(adata)
    print(f"{s.n_cells} cells x {s.n_genes} genes, values look like {s.value_kind}, {s.sparsity:.1%} zeros")
    print(f"layout {s.layout}: {s.layout_rule}")
    warn(s.warnings)
    emit(s.to_dict())
    return 0

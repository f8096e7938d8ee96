"""``scgrn consensus RUN1 RUN2 ... [--out DIR] [--rule consensus_rank|rank]``: fuse finished GRN runs by rank.

RUN: a run id of the workspace or the path of a run directory holding ``edges.tsv``. The consensus is saved as
a new finished GRN run (``--out DIR``: that new folder; default: a new run in the workspace, so the app lists
it). The last stdout line is a JSON object: run, path, members, members_kept, members_left_out, n_edges,
n_genes, n_regulators (+ epr, auprc_ratio when the members share a reference network).
"""

from __future__ import annotations


def register(sub) -> None:
    from ..grn.consensus import DEFAULT_RULE, RULES

    p = sub.add_parser("consensus", help="fuse the networks of finished GRN runs by rank (JSON on the last line)")
    p.add_argument("runs", nargs="+", metavar="RUN", help="run ids or run directories (at least two)")
    p.add_argument("--out", metavar="DIR", help="new folder for the consensus run (default: a new run in the workspace)")
    p.add_argument("--rule", choices=RULES, default=DEFAULT_RULE,
                   help="consensus_rank: leave out networks that disagree with the others, then mean rank; rank: mean rank of all")
    p.add_argument("--label", help="name shown in the app")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..grn.consensus_task import consensus_run
    from . import emit

    r = consensus_run(args.runs, rule=args.rule, out=args.out, label=args.label)
    m = r.metrics()
    members = r.params.get("members") or []
    print(f"consensus of {len(members)} runs: {m.get('n_edges')} edges -> {r.path}")
    if m.get("note"):
        print(m["note"])
    out = {"run": r.id, "path": str(r.path), "members": [x["id"] for x in members],
           "n_edges": m.get("n_edges"), "n_genes": m.get("n_genes"), "n_regulators": m.get("n_regulators"),
           "members_kept": m.get("members_kept"), "n_members_kept": m.get("n_members_kept"),
           "rule": r.params.get("params", {}).get("rule")}
    for k in ("epr", "auprc_ratio"):
        if k in m:
            out[k] = m[k]
    emit(out)
    return 0

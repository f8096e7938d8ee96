"""BEELINE benchmark: DeepSEM (1 seed and 10-seed ensemble), Pearson, GRNBoost2, RegDiffusion, random.

For every case in ../shared/data/beeline (mDC_TFs500, mHSC-L_TFs500) each method runs ONCE per dataset, in
its own subprocess (``python -m core grn ...``, so peak RSS is that method's), then its edges are scored
against each of the dataset's networks (STRING, NonSpecific, Specific) with BEELINE's conventions
(core.grn.scoring, TFs = the network's regulators). DeepSEM runs its non-specific preset for STRING and
NonSpecific and its cell-type-specific preset for Specific. Regulators given to the methods: the dataset's
tfs.csv when present, else the union of its networks' regulators.

RegDiffusion 0.2.3 (PyPI) runs from a separate venv (``--regdiffusion-python``; default
/work/venv-bench-grneval/bin/python) through bench/regdiffusion_worker.py. Any other registered GRN method
can be added by name (``--methods catran``); it then runs with its defaults and no setting.

    python bench/grn_beeline.py [--cases mDC_TFs500] [--methods pearson grnboost2 deepsem deepsem-ens10]
                                [--quick] [--out results.md]

Timings share a 2-core machine with other work: the 1-minute load average is printed beside each run.
``SCGRN_SHARED`` points at another shared folder; ``REGDIFFUSION_PYTHON`` at the RegDiffusion venv's python.
"wall s" is the whole subprocess (start-up, reading the CSV, inference, writing edges); "method s" the
inference alone; "s/epoch" comes from the model's per-epoch progress records (RegDiffusion: per step).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.grn.scoring import score_grn  # noqa: E402
from core.io.networks import read_network, read_tf_list  # noqa: E402

DATA = Path(os.environ.get("SCGRN_SHARED", ROOT.parent / "shared")) / "data" / "beeline"
NETWORKS = ("STRING", "NonSpecific", "Specific")
DEFAULT_METHODS = ("deepsem", "deepsem-ens10", "pearson", "grnboost2", "regdiffusion", "random")
REGDIFF_PY = os.environ.get("REGDIFFUSION_PYTHON", "/work/venv-bench-grneval/bin/python")

# Figures from the issue (BEELINE mDC TFs500, BEELINE conventions, measured on this machine kind).
REFERENCE = [
    ("reference DeepSEM non-specific (mean 2 seeds)", {"STRING": (1.83, 1.55), "NonSpecific": (3.07, 1.76)}, "188", "2.1", "1200"),
    ("reference DeepSEM cell-type-specific", {"Specific": (1.03, 1.09)}, "", "", ""),
    ("GRNBoost2 (arboreto, all genes)", {"STRING": (2.03, 1.27), "NonSpecific": (2.24, 1.24), "Specific": (1.00, 1.01)}, "~90", "", ""),
    ("RegDiffusion 0.2.3 defaults", {"STRING": (2.14, 1.64), "NonSpecific": (3.07, 1.76), "Specific": (1.11, 1.09)}, "", "", ""),
    ("absolute Pearson", {"STRING": (1.46, 1.10), "NonSpecific": (1.06, 0.94), "Specific": (1.24, 1.08)}, "", "", ""),
    ("random ranking (10 seeds)", {"STRING": (1.01, None), "NonSpecific": (1.03, None), "Specific": (0.93, None)}, "", "", ""),
]


@dataclass
class Job:
    """One method run on one dataset, scored against ``networks``."""

    label: str
    model: str
    networks: tuple[str, ...]
    cli_args: list[str] = field(default_factory=list)
    kind: str = "cli"  # cli | regdiffusion | random
    all_regulators: bool = False  # give the method no TF list (every gene may regulate), as arboreto's default
    key: str = ""  # the --methods name (consensus pairs refer to it)


def plan(methods: list[str], quick: bool) -> list[Job]:
    jobs: list[Job] = []
    epochs = ["--epochs", "3"] if quick else []
    for m in methods:
        if m in ("deepsem", "deepsem-ens10"):
            ens = ["--ensemble", "10"] if m == "deepsem-ens10" else ["--ensemble", "1"]
            jobs.append(Job(f"{m} non-specific", "deepsem", ("STRING", "NonSpecific"), ["--setting", "non-specific", *ens, *epochs], key=m))
            jobs.append(Job(f"{m} cell-type-specific", "deepsem", ("Specific",), ["--setting", "cell-type-specific", *ens, *epochs], key=m + "-cts"))
        elif m == "deepsem-fast":  # issue 19: the fast CPU preset (one DAZZLE-trained member)
            jobs.append(Job("DeepSEM fast CPU preset (1 DAZZLE member)", "deepsem", ("STRING", "NonSpecific"), ["--setting", "fast CPU", *epochs], key=m))
        elif m == "deepsem-3x64":  # a fast candidate: 3 members of width 64
            jobs.append(Job("DeepSEM NS, 3 members x width 64", "deepsem", ("STRING", "NonSpecific"), ["--setting", "non-specific", "--ensemble", "3", "--param", "hidden=64", *epochs], key=m))
        elif m == "deepsem-4x32":  # the first fast candidate (35 % below the ensemble on mDC NonSpecific)
            jobs.append(Job("DeepSEM NS, 4 members x width 32", "deepsem", ("STRING", "NonSpecific"), ["--setting", "non-specific", "--ensemble", "4", "--param", "hidden=32", *epochs], key=m))
        elif m == "deepsem1-ns":
            jobs.append(Job("DeepSEM NS, 1 member", "deepsem", ("STRING", "NonSpecific"), ["--setting", "non-specific", "--ensemble", "1", *epochs], key=m))
        elif m == "deepsem-ens10-ns":
            jobs.append(Job("DeepSEM NS, 10-member ensemble (default)", "deepsem", ("STRING", "NonSpecific"), ["--setting", "non-specific", *epochs], key=m))
        elif m == "dazzle1":
            jobs.append(Job("DeepSEM+DAZZLE preset, 1 member", "deepsem", ("STRING", "NonSpecific"), ["--setting", "DAZZLE", "--ensemble", "1", *epochs], key=m))
        elif m == "dazzle-ens10":
            jobs.append(Job("DeepSEM+DAZZLE preset, 10-member ensemble", "deepsem", ("STRING", "NonSpecific"), ["--setting", "DAZZLE", *epochs], key=m))
        elif m == "grnboost2":
            jobs.append(Job("grnboost2 (sklearn)", "grnboost2", NETWORKS, ["--param", "n_estimators=100"] if quick else []))
        elif m == "grnboost2-allgenes":
            jobs.append(Job("grnboost2 (sklearn, all genes as regulators)", "grnboost2", NETWORKS,
                            ["--param", "n_estimators=100"] if quick else [], all_regulators=True))
        elif m == "genie3":
            jobs.append(Job("genie3 (sklearn)", "genie3", NETWORKS, ["--param", "n_estimators=100"] if quick else []))
        elif m == "regdiffusion":
            if Path(REGDIFF_PY).exists():
                jobs.append(Job("RegDiffusion 0.2.3", "regdiffusion", NETWORKS, ["--steps", "100"] if quick else [], kind="regdiffusion", key=m))
            else:  # no separate venv: the app's own RegDiffusion method (same PyPI package, installed --no-deps)
                jobs.append(Job("RegDiffusion 0.2.3 (scgrn grn --model regdiffusion)", "regdiffusion", NETWORKS,
                                ["--param", "n_steps=100"] if quick else [], key=m))
        elif m == "random":
            jobs.append(Job("random ranking (10 seeds)", "random", NETWORKS, kind="random"))
        else:  # any registered GRN method with its defaults (pearson, spearman, catran, ...)
            jobs.append(Job(m, m, NETWORKS, epochs if quick and m not in ("pearson", "spearman") else [], key=m))
    return jobs


def run_subprocess(cmd: list[str], log: Path, threads: int | None = None) -> tuple[int, float, float, float, str]:
    """Run ``cmd``; returns (exit code, wall seconds, CPU seconds, peak RSS in MB of that child, stdout)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if threads:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    t0 = time.perf_counter()
    with open(log, "w") as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    return code, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, log.read_text()


def last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def edge_path(job: Job, case: Path, work: Path, seed: int) -> Path:
    stem = job.label.replace(' ', '_').replace('(', '').replace(')', '').replace(',', '').replace('+', 'p')
    return work / f"{case.name}_{stem}_seed{seed}.tsv"


def saved_run(job: Job, case: Path, work: Path, seed: int) -> dict | None:
    """A finished run's record (edges + ``.run.json`` beside them) from an earlier invocation, else None."""
    out = edge_path(job, case, work, seed)
    side = out.with_suffix(".run.json")
    if not (out.is_file() and side.is_file()):
        return None
    return {**json.loads(side.read_text()), "edges": out}


def run_job(job: Job, case: Path, tfs_file: Path, work: Path, seed: int, threads: int | None = None) -> dict:
    expr = case / "expression.csv"
    out = edge_path(job, case, work, seed)
    if job.kind == "regdiffusion":
        cmd = [REGDIFF_PY, str(ROOT / "bench" / "regdiffusion_worker.py"), str(expr), str(tfs_file), str(out), "--seed", str(seed), *job.cli_args]
    else:
        extra = ["--param", f"threads={threads}"] if threads and job.model == "deepsem" else []
        cmd = [sys.executable, "-m", "core", "grn", str(expr), "--model", job.model, "--layout", "genes-by-cells",
               *([] if job.all_regulators else ["--tfs", str(tfs_file)]), "--seed", str(seed), "--device", "cpu",
               "--out", str(out), *job.cli_args, *extra]
    load0 = os.getloadavg()[0]
    code, wall, cpu, peak_mb, text = run_subprocess(cmd, out.with_suffix(".log"), threads)
    info = last_json(text) if code == 0 else {}
    if code != 0:
        tail = " | ".join(text.strip().splitlines()[-2:])
        return {"error": f"exit {code}: {tail[-300:]}"}
    rec = {"wall": wall, "cpu": cpu, "peak_mb": peak_mb, "info": info, "load": (load0 + os.getloadavg()[0]) / 2}
    out.with_suffix(".run.json").write_text(json.dumps(rec))
    return {**rec, "edges": out}


def random_scores(case: Path, network: str, seeds: int = 10) -> tuple[float, float]:
    truth = read_network(case / f"network_{network}.csv")
    tfs = sorted(set(truth.source))
    genes = sorted(set(truth.source) | set(truth.target))
    src, tgt = np.meshgrid(tfs, genes, indexing="ij")
    pool = pd.DataFrame({"source": src.ravel(), "target": tgt.ravel()})
    pool = pool[pool.source != pool.target]
    eprs, ratios = [], []
    for s in range(seeds):
        m = score_grn(pool.assign(weight=np.random.default_rng(s).random(len(pool))), truth)
        eprs.append(m["epr"])
        ratios.append(m["auprc_ratio"])
    return float(np.mean(eprs)), float(np.mean(ratios))


def fmt(x, digits=2):
    return "" if x is None or x == "" else (f"{x:.{digits}f}" if isinstance(x, float) else str(x))


def _row(case_name, network, label, m, r=None, seed=None, spe=None):
    row = {"case": case_name, "network": network, "method": label, "seed": seed, "epr": m["epr"], "auprc_ratio": m["auprc_ratio"]}
    if r is not None:
        row.update({"wall_s": r["wall"], "cpu_s": r.get("cpu"), "method_s": r["info"].get("seconds"), "s_per_epoch": spe,
                    "peak_mb": r["peak_mb"], "load": r["load"]})
    return row


def spread_table(rows: list[dict]) -> str:
    """Per case, network and method: mean EPR and AUPRC ratio over seeds with [min-max], mean wall / CPU seconds,
    max peak MB, number of seeds."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        if r.get("epr") is not None:
            groups.setdefault((r["case"], r["network"], r["method"]), []).append(r)
    order = {n: i for i, n in enumerate(NETWORKS)}
    lines = ["| case | network | method | seeds | EPR mean [min-max] | AUPRC ratio mean [min-max] | wall s | CPU s | peak MB | load 1m |",
             "|" + "---|" * 10]

    def span(vals):
        vals = [v for v in vals if v is not None]
        if not vals:
            return ""
        return f"{np.mean(vals):.2f}" + (f" [{min(vals):.2f}-{max(vals):.2f}]" if len(vals) > 1 else "")

    def mean(vals, digits=0):
        vals = [v for v in vals if isinstance(v, (int, float))]
        return f"{np.mean(vals):.{digits}f}" if vals else ""

    for (case, net, method), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], order[kv[0][1]], kv[0][2])):
        lines.append("| " + " | ".join([
            case, net, method, str(len(rs)), span([r["epr"] for r in rs]), span([r["auprc_ratio"] for r in rs]),
            mean([r.get("wall_s") for r in rs]), mean([r.get("cpu_s") for r in rs]),
            mean([max((r.get("peak_mb") or 0) for r in rs)]) if any(r.get("peak_mb") for r in rs) else "",
            mean([r.get("load") for r in rs], 1)]) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    from concurrent.futures import ThreadPoolExecutor

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", nargs="*", default=None, help="dataset folders under shared/data/beeline (default: all *_TFs500)")
    ap.add_argument("--methods", nargs="*", default=list(DEFAULT_METHODS))
    ap.add_argument("--quick", action="store_true", help="few epochs / rounds (smoke test, not for the table)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seeds", type=int, nargs="*", help="several seeds (spread shown); default: --seed only")
    ap.add_argument("--once", nargs="*", default=[], help="methods run with the first seed only (e.g. deepsem-ens10-ns)")
    ap.add_argument("--consensus", nargs="*", default=[], metavar="A+B",
                    help="consensus (core.grn.consensus, default rule) of these methods' networks, per seed, e.g. deepsem-fast+regdiffusion")
    ap.add_argument("--jobs", type=int, default=1, help="runs at a time (each its own process)")
    ap.add_argument("--threads", type=int, default=None, help="threads per run (OMP_NUM_THREADS and DeepSEM threads)")
    ap.add_argument("--reuse", action="store_true", help="score runs already finished in --work instead of running them again")
    ap.add_argument("--score-only", action="store_true", help="only score runs finished in --work (implies --reuse)")
    ap.add_argument("--seed-major", action="store_true", help="run every method's first seed before any second seed")
    ap.add_argument("--jsonl", help="append one JSON line per scored run here (partial results survive)")
    ap.add_argument("--out", help="also write the table (markdown) here")
    ap.add_argument("--work", help="folder for edge files and logs (default: a temporary folder)")
    args = ap.parse_args(argv)

    if not DATA.is_dir():
        print(f"{DATA} not found: the benchmark needs ../shared/data/beeline")
        return 1
    from core.grn.consensus import consensus_edges

    cases = args.cases or sorted(p.name for p in DATA.iterdir() if p.name.endswith("_TFs500"))
    seeds = args.seeds or [args.seed]
    work = Path(args.work or tempfile.mkdtemp(prefix="grn_beeline_"))
    work.mkdir(parents=True, exist_ok=True)
    jobs = plan(args.methods, args.quick)
    rows: list[dict] = []
    print(f"# cpu count {os.cpu_count()}, load average at start {os.getloadavg()}, work dir {work}, seeds {seeds}, "
          f"{args.jobs} run(s) at a time, threads {args.threads}", flush=True)

    def record(row):
        rows.append(row)
        if args.jsonl:
            with open(args.jsonl, "a") as fh:
                fh.write(json.dumps(row, default=str) + "\n")

    for case_name in cases:
        case = DATA / case_name
        nets = [n for n in NETWORKS if (case / f"network_{n}.csv").exists()]
        truths = {n: read_network(case / f"network_{n}.csv") for n in nets}
        if (case / "tfs.csv").exists():
            tfs, tf_src = read_tf_list(case / "tfs.csv"), "tfs.csv"
        else:
            tfs, tf_src = sorted(set().union(*(set(t.source) for t in truths.values()))), "union of network regulators"
        tfs_file = work / f"{case_name}_tfs.txt"
        tfs_file.write_text("\n".join(tfs) + "\n")
        print(f"## {case_name}: {len(tfs)} regulators ({tf_src})", flush=True)
        tasks = []
        for job in jobs:
            targets = [n for n in job.networks if n in nets]
            if not targets:
                continue
            if job.kind == "random":
                for n in targets:
                    epr, ratio = random_scores(case, n)
                    record({"case": case_name, "network": n, "method": job.label, "epr": epr, "auprc_ratio": ratio})
                continue
            for seed in (seeds[:1] if job.key in args.once else seeds):
                tasks.append((job, targets, seed))
        if args.seed_major:
            tasks.sort(key=lambda t: seeds.index(t[2]))
        edges_of: dict[tuple[str, int], Path] = {}

        def go(task):
            job, targets, seed = task
            if args.reuse or args.score_only:
                saved = saved_run(job, case, work, seed)
                if saved is not None or args.score_only:
                    return task, saved or {"error": "not run (--score-only)"}
            return task, run_job(job, case, tfs_file, work, seed, args.threads)

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for (job, targets, seed), r in pool.map(go, tasks):
                if "error" in r:
                    if args.score_only:
                        continue
                    print(f"  {job.label} seed {seed}: FAILED {r['error']}", flush=True)
                    for n in targets:
                        record({"case": case_name, "network": n, "method": job.label, "seed": seed, "note": r["error"][:120]})
                    continue
                edges_of[(job.key, seed)] = r["edges"]
                edges = read_network(r["edges"])
                info = r["info"]
                spe = info.get("seconds_per_epoch")
                if spe is None and info.get("seconds_per_step"):
                    spe = f"{info['seconds_per_step']:.4f}/step"
                scored = []
                for n in targets:
                    m = score_grn(edges, truths[n])
                    record(_row(case_name, n, job.label, m, r, seed, spe))
                    scored.append(f"{n} EPR {m['epr']:.2f}")
                print(f"  {job.label} seed {seed}: wall {r['wall']:.1f} s, CPU {r['cpu']:.1f} s (method {info.get('seconds')} s, "
                      f"s/epoch {spe}), peak {r['peak_mb']:.0f} MB, load {r['load']:.2f}; " + ", ".join(scored), flush=True)
        labels = {j.key: j.label for j in jobs}
        for pair in args.consensus:
            keys = pair.split("+")
            for seed in seeds:
                paths = [edges_of.get((k, seeds[0] if k in args.once else seed)) for k in keys]
                if any(p is None for p in paths):
                    continue
                t0 = time.perf_counter()
                cons = consensus_edges([read_network(p) for p in paths], tfs=tfs, names=keys)
                secs = time.perf_counter() - t0
                label = "consensus of " + " + ".join(labels.get(k, k) for k in keys)
                nets_of = set.intersection(*[set(j.networks) for j in jobs if j.key in keys])
                for n in [n for n in nets if n in nets_of]:
                    m = score_grn(cons, truths[n])
                    record({**_row(case_name, n, label, m, None, seed), "method_s": round(secs, 2)})
                print(f"  {label} seed {seed}: {secs:.1f} s, kept {cons.attrs['n_members_kept']} of {len(keys)}", flush=True)
        if case_name.startswith("mDC") and not args.seeds:
            for label, figs, wall, spe, peak in REFERENCE:
                for n, (epr, ratio) in figs.items():
                    record({"case": case_name, "network": n, "method": f"reference (from issue): {label}", "epr": epr,
                            "auprc_ratio": ratio, "wall_s": wall, "s_per_epoch": spe, "peak_mb": peak})

    header = "| case | network | method | seed | EPR | AUPRC ratio | wall s | CPU s | method s | s/epoch | peak MB | load 1m |"
    lines = [header, "|" + "---|" * 12]
    order = {n: i for i, n in enumerate(NETWORKS)}
    for r in sorted(rows, key=lambda r: (r["case"], order[r["network"]])):
        lines.append("| " + " | ".join([
            r["case"], r["network"], r["method"] + (f" ({r['note']})" if r.get("note") else ""), fmt(r.get("seed")),
            fmt(r.get("epr")), fmt(r.get("auprc_ratio")), fmt(r.get("wall_s"), 1), fmt(r.get("cpu_s"), 1),
            fmt(r.get("method_s"), 1), fmt(r.get("s_per_epoch"), 3), fmt(r.get("peak_mb"), 0), fmt(r.get("load"), 2),
        ]) + " |")
    table = "\n".join(lines)
    summary = spread_table(rows)
    print()
    print(table)
    print()
    print(summary)
    print(f"\nload average at end: {os.getloadavg()}; quick={args.quick}; scoring: BEELINE conventions (core.grn.scoring)")
    if args.out:
        Path(args.out).write_text(
            f"# BEELINE benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, quick={args.quick})\n\n"
            f"{summary}\n\nPer run:\n\n{table}\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

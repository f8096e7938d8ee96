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


def plan(methods: list[str], quick: bool) -> list[Job]:
    jobs: list[Job] = []
    epochs = ["--epochs", "3"] if quick else []
    for m in methods:
        if m in ("deepsem", "deepsem-ens10"):
            ens = ["--ensemble", "10"] if m == "deepsem-ens10" else ["--ensemble", "1"]
            jobs.append(Job(f"{m} non-specific", "deepsem", ("STRING", "NonSpecific"), ["--setting", "non-specific", *ens, *epochs]))
            jobs.append(Job(f"{m} cell-type-specific", "deepsem", ("Specific",), ["--setting", "cell-type-specific", *ens, *epochs]))
        elif m == "grnboost2":
            jobs.append(Job("grnboost2 (sklearn)", "grnboost2", NETWORKS, ["--param", "n_estimators=100"] if quick else []))
        elif m == "grnboost2-allgenes":
            jobs.append(Job("grnboost2 (sklearn, all genes as regulators)", "grnboost2", NETWORKS,
                            ["--param", "n_estimators=100"] if quick else [], all_regulators=True))
        elif m == "genie3":
            jobs.append(Job("genie3 (sklearn)", "genie3", NETWORKS, ["--param", "n_estimators=100"] if quick else []))
        elif m == "regdiffusion":
            jobs.append(Job("RegDiffusion 0.2.3", "regdiffusion", NETWORKS, ["--steps", "100"] if quick else [], kind="regdiffusion"))
        elif m == "random":
            jobs.append(Job("random ranking (10 seeds)", "random", NETWORKS, kind="random"))
        else:  # any registered GRN method with its defaults (pearson, spearman, catran, ...)
            jobs.append(Job(m, m, NETWORKS, epochs if quick and m not in ("pearson", "spearman") else []))
    return jobs


def run_subprocess(cmd: list[str], log: Path) -> tuple[int, float, float, str]:
    """Run ``cmd``; returns (exit code, wall seconds, peak RSS in MB of that child, stdout)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    with open(log, "w") as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, wall, usage.ru_maxrss / 1024.0, log.read_text()


def last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def run_job(job: Job, case: Path, tfs_file: Path, work: Path, seed: int) -> dict:
    expr = case / "expression.csv"
    out = work / f"{case.name}_{job.label.replace(' ', '_').replace('(', '').replace(')', '')}.tsv"
    if job.kind == "regdiffusion":
        if not Path(REGDIFF_PY).exists():
            return {"error": f"no RegDiffusion venv at {REGDIFF_PY}"}
        cmd = [REGDIFF_PY, str(ROOT / "bench" / "regdiffusion_worker.py"), str(expr), str(tfs_file), str(out), "--seed", str(seed), *job.cli_args]
    else:
        cmd = [sys.executable, "-m", "core", "grn", str(expr), "--model", job.model, "--layout", "genes-by-cells",
               *([] if job.all_regulators else ["--tfs", str(tfs_file)]), "--seed", str(seed), "--device", "cpu",
               "--out", str(out), *job.cli_args]
    code, wall, peak_mb, text = run_subprocess(cmd, out.with_suffix(".log"))
    info = last_json(text) if code == 0 else {}
    if code != 0:
        tail = " | ".join(text.strip().splitlines()[-2:])
        return {"error": f"exit {code}: {tail[-300:]}"}
    return {"edges": out, "wall": wall, "peak_mb": peak_mb, "info": info, "load": os.getloadavg()[0]}


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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", nargs="*", default=None, help="dataset folders under shared/data/beeline (default: all *_TFs500)")
    ap.add_argument("--methods", nargs="*", default=list(DEFAULT_METHODS))
    ap.add_argument("--quick", action="store_true", help="few epochs / rounds (smoke test, not for the table)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="also write the table (markdown) here")
    ap.add_argument("--work", help="folder for edge files and logs (default: a temporary folder)")
    args = ap.parse_args(argv)

    if not DATA.is_dir():
        print(f"{DATA} not found: the benchmark needs ../shared/data/beeline")
        return 1
    cases = args.cases or sorted(p.name for p in DATA.iterdir() if p.name.endswith("_TFs500"))
    work = Path(args.work or tempfile.mkdtemp(prefix="grn_beeline_"))
    work.mkdir(parents=True, exist_ok=True)
    jobs = plan(args.methods, args.quick)
    rows = []
    print(f"# cpu count {os.cpu_count()}, load average at start {os.getloadavg()}, work dir {work}", flush=True)
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
        for job in jobs:
            targets = [n for n in job.networks if n in nets]
            if not targets:
                continue
            if job.kind == "random":
                for n in targets:
                    epr, ratio = random_scores(case, n)
                    rows.append({"case": case_name, "network": n, "method": job.label, "epr": epr, "auprc_ratio": ratio})
                continue
            r = run_job(job, case, tfs_file, work, args.seed)
            if "error" in r:
                print(f"  {job.label}: FAILED {r['error']}", flush=True)
                for n in targets:
                    rows.append({"case": case_name, "network": n, "method": job.label, "note": r["error"][:120]})
                continue
            edges = read_network(r["edges"])
            info = r["info"]
            spe = info.get("seconds_per_epoch")
            if spe is None and info.get("seconds_per_step"):
                spe = f"{info['seconds_per_step']:.4f}/step"
            for n in targets:
                m = score_grn(edges, truths[n])
                rows.append({
                    "case": case_name, "network": n, "method": job.label, "epr": m["epr"], "auprc_ratio": m["auprc_ratio"],
                    "wall_s": r["wall"], "method_s": info.get("seconds"), "s_per_epoch": spe, "peak_mb": r["peak_mb"], "load": r["load"],
                })
            print(f"  {job.label}: wall {r['wall']:.1f} s (method {info.get('seconds')} s, s/epoch {spe}), peak {r['peak_mb']:.0f} MB, "
                  f"load {r['load']:.2f}; " + ", ".join(f"{n} EPR {rows[-len(targets) + i]['epr']:.2f}" for i, n in enumerate(targets)), flush=True)
        if case_name.startswith("mDC"):
            for label, figs, wall, spe, peak in REFERENCE:
                for n, (epr, ratio) in figs.items():
                    rows.append({"case": case_name, "network": n, "method": f"reference (from issue): {label}", "epr": epr,
                                 "auprc_ratio": ratio, "wall_s": wall, "s_per_epoch": spe, "peak_mb": peak})

    header = "| case | network | method | EPR | AUPRC ratio | wall s | method s | s/epoch | peak MB | load 1m |"
    lines = [header, "|" + "---|" * 10]
    order = {n: i for i, n in enumerate(NETWORKS)}
    for r in sorted(rows, key=lambda r: (r["case"], order[r["network"]])):
        lines.append("| " + " | ".join([
            r["case"], r["network"], r["method"] + (f" ({r['note']})" if r.get("note") else ""),
            fmt(r.get("epr")), fmt(r.get("auprc_ratio")), fmt(r.get("wall_s"), 1), fmt(r.get("method_s"), 1),
            fmt(r.get("s_per_epoch"), 3), fmt(r.get("peak_mb"), 0), fmt(r.get("load"), 2),
        ]) + " |")
    table = "\n".join(lines)
    print()
    print(table)
    print(f"\nload average at end: {os.getloadavg()}; quick={args.quick}; scoring: BEELINE conventions (core.grn.scoring)")
    if args.out:
        Path(args.out).write_text(
            f"# BEELINE benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, quick={args.quick})\n\n{table}\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

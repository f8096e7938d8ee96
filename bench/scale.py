"""Benchmark (issue 13): wall time and peak memory per stage as cells and genes grow, ours vs scanpy / scvi-tools.

    PYTHONPATH=. python bench/scale.py [--quick] [--configs 1000x2000,10000x2000,...] [--timeout 300]
        [--out bench/scale_results.md] [--data-dir /tmp/scgrn-scale]

Data: the project's simulator (core.data.synthetic: a random GRN, NB counts, 3 cell states; TFs = genes // 20)
written as sparse h5ad. Above 10,000 cells the cells are blocks of 10,000 simulated from the same network with
consecutive seeds (the simulator holds three dense cells x genes float64 arrays; 100k x 2k at once needs ~5 GB),
so blocks differ in basal levels like batches do. Full run: 1k, 10k, 100k cells at 2,000 genes and 500, 2,000,
5,000 genes at 5k cells; ``--quick``: 1k, 10k cells and 500, 2,000 genes.

Every stage runs in its own subprocess (``--child``), first once on 200 cells (imports, numba compilation), then
timed: wall time of the stage itself (data loading, imports and untimed set-up excluded) and the process's peak resident memory (VmHWM; ``base`` = resident memory after imports
and set-up, so peak - base is what the stage added). A stage over ``--timeout`` seconds is stopped and shown as
"> limit". Stages (ours | peer):

* read + QC: ``read_expression`` + ``summarize`` + ``qc_metrics`` | scanpy ``read_h5ad`` + ``calculate_qc_metrics``
* preprocessing: ``apply_preset(..., "log1p")`` | scanpy ``normalize_total`` + ``log1p`` (with a counts layer copy)
* VAE epoch (NB, 128 hidden, 1 layer, 10 latent, batch 128, dropout 0.1) | scvi-tools SCVI, same architecture,
  1 epoch on every cell (``train_size=1.0``), run with /work/venv-bench/bin/python when it imports scvi
* GMVAE epoch (10 components), DeepSEM epoch (one member), CaTran epoch: ours only
* Pearson (TFs -> all genes) on log1p data
* neighbours + Leiden + UMAP on a 10-d PCA | scanpy ``neighbors`` + ``leiden`` (igraph) + ``umap`` (scanpy's
  default kNN; where it crashes on scipy sparse arrays, the peer is rerun with scanpy's exact sklearn kNN)
* simulation compare: ``core.simulation.compare`` of the real cells vs 500 simulated cells (Pearson GRN, UMAP)
* GRN page layout: ``layout_for`` + ``select_edges`` + ``view_html`` of the Pearson network

Growth: per stage, the least-squares slope of log(time) against log(cells) (2,000 genes) and against log(genes)
(5k cells): 1 = linear, 2 = quadratic.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCH_PY = Path("/work/venv-bench/bin/python")
BLOCK = 10_000
SIM_CELLS = 500
WARM_CELLS = 200
STAGES = ["read_qc", "preprocess", "vae_epoch", "gmvae_epoch", "deepsem_epoch", "catran_epoch", "pearson",
          "nn_leiden_umap", "sim_compare", "grn_layout"]
PEERS = {"read_qc": "scanpy_read_qc", "preprocess": "scanpy_pp", "vae_epoch": "scvi_epoch",
         "nn_leiden_umap": "scanpy_nn_leiden_umap"}
TITLES = {"read_qc": "read + QC", "preprocess": "preprocessing (log1p)", "vae_epoch": "VAE epoch",
          "gmvae_epoch": "GMVAE epoch", "deepsem_epoch": "DeepSEM epoch / member", "catran_epoch": "CaTran epoch",
          "pearson": "Pearson", "nn_leiden_umap": "neighbours + Leiden + UMAP", "sim_compare": "simulation compare",
          "grn_layout": "GRN page layout"}
FULL = [(1_000, 2_000), (10_000, 2_000), (100_000, 2_000), (5_000, 500), (5_000, 2_000), (5_000, 5_000)]
QUICK = [(1_000, 2_000), (10_000, 2_000), (5_000, 500), (5_000, 2_000)]


# ---- data -----------------------------------------------------------------------------------------------
def data_path(folder: Path, n_cells: int, n_genes: int) -> Path:
    return folder / f"sim_{n_cells}x{n_genes}.h5ad"


def make_data(folder: Path, n_cells: int, n_genes: int) -> None:
    """Counts (sparse X) from the simulator, blocks of BLOCK cells, plus SIM_CELLS 'simulated' cells."""
    import anndata as ad
    import scipy.sparse as sp

    from core.data.synthetic import random_network, simulate_counts

    net = random_network(n_genes=n_genes, n_tfs=max(12, n_genes // 20), seed=0)
    blocks = []
    for b, start in enumerate(range(0, n_cells, BLOCK)):
        part = simulate_counts(net, n_cells=min(BLOCK, n_cells - start), seed=1 + b)
        part.X = sp.csr_matrix(part.X)
        del part.layers["counts"]
        part.obs_names = [f"b{b}_{n}" for n in part.obs_names]
        blocks.append(part)
    adata = ad.concat(blocks, merge="same") if len(blocks) > 1 else blocks[0]
    adata.uns["tfs"] = list(net.tfs)
    adata.write_h5ad(data_path(folder, n_cells, n_genes))
    sim = simulate_counts(net, n_cells=SIM_CELLS, seed=999)
    sim.X = sp.csr_matrix(sim.X)
    sim.layers["counts"] = sim.X.copy()
    sim.write_h5ad(folder / f"simcells_{n_genes}.h5ad")


# ---- stages (run in a child process) ---------------------------------------------------------------------
def _rss(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def _log1p(path: Path):
    import anndata as ad

    from core.data.preprocess import apply_preset

    return apply_preset(ad.read_h5ad(path), "log1p")


def _tfs(adata) -> list[str]:
    return [str(t) for t in adata.uns["tfs"]]


def _pca10(path: Path):
    import scanpy as sc

    adata = _log1p(path)
    sc.pp.pca(adata, n_comps=10, random_state=0)
    adata.obsm["X_pca10"] = adata.obsm["X_pca"][:, :10].copy()
    return adata


def setup_stage(stage: str, path: Path):
    """Untimed inputs of a stage; returns a zero-argument function that runs the timed part."""
    import anndata as ad

    if stage == "read_qc":
        from core.data.summary import qc_metrics, summarize
        from core.io.expression import read_expression

        def run():
            adata = read_expression(path)
            summarize(adata)
            qc_metrics(adata)
        return run
    if stage == "scanpy_read_qc":
        import scanpy as sc

        def run():
            adata = sc.read_h5ad(path)
            sc.pp.calculate_qc_metrics(adata, percent_top=None, inplace=True)
        return run
    if stage == "preprocess":
        from core.data.preprocess import apply_preset

        adata = ad.read_h5ad(path)
        return lambda: apply_preset(adata, "log1p")
    if stage == "scanpy_pp":
        import scanpy as sc

        adata = ad.read_h5ad(path)

        def run():
            a = adata.copy()
            a.layers["counts"] = a.X.copy()
            sc.pp.normalize_total(a, target_sum=1e4)
            sc.pp.log1p(a)
        return run
    if stage in ("vae_epoch", "gmvae_epoch", "deepsem_epoch", "catran_epoch"):
        from core.context import RunContext
        from core.models.build import train_model

        adata = ad.read_h5ad(path)
        method = stage.split("_")[0]
        params = {"epochs": 1}
        if method == "vae":
            params.update(likelihood="nb", hidden=128, n_layers=1, latent_dim=10, batch_size=128, dropout=0.1)
        if method == "gmvae":
            params.update(likelihood="nb", clusters=10)
        if method == "deepsem":
            params["ensemble"] = 1
        ctx = RunContext(device="cpu", tfs=_tfs(adata))
        return lambda: train_model(method, adata, ctx, params)
    if stage == "scvi_epoch":
        import scvi

        adata = ad.read_h5ad(path)
        scvi.settings.seed = 0
        scvi.settings.verbosity = 40

        def run():
            scvi.model.SCVI.setup_anndata(adata)
            m = scvi.model.SCVI(adata, n_hidden=128, n_latent=10, n_layers=1, dropout_rate=0.1, gene_likelihood="nb")
            m.train(max_epochs=1, batch_size=128, train_size=1.0, accelerator="cpu", enable_progress_bar=False,
                    check_val_every_n_epoch=None)
        return run
    if stage == "pearson":
        from core.context import RunContext
        from core.grn.task import infer_grn

        adata = _log1p(path)
        return lambda: infer_grn(adata, "pearson", RunContext(tfs=_tfs(adata)))
    if stage == "nn_leiden_umap":
        from core.embedding.tools import neighbours_leiden_umap

        adata = _pca10(path)
        return lambda: neighbours_leiden_umap(adata, "X_pca10", seed=0)
    if stage == "scanpy_nn_leiden_umap":
        import scanpy as sc

        adata = _pca10(path)

        def run():
            try:
                sc.pp.neighbors(adata, use_rep="X_pca10", n_neighbors=15, random_state=0)
                note = "scanpy default kNN"
            except AttributeError as exc:  # scipy >= 1.14 sparse arrays vs pynndescent (issue 13)
                sc.pp.neighbors(adata, use_rep="X_pca10", n_neighbors=15, random_state=0, transformer="sklearn")
                note = f"default kNN crashed ({str(exc)[:60]}); exact sklearn kNN"
            sc.tl.leiden(adata, flavor="igraph", n_iterations=2, directed=False, random_state=0)
            sc.tl.umap(adata, random_state=0)
            return note
        return run
    if stage == "sim_compare":
        from core.simulation.compare import compare

        real = ad.read_h5ad(path)
        real.layers["counts"] = real.X
        sim = ad.read_h5ad(path.parent / f"simcells_{real.n_vars}.h5ad")
        return lambda: compare(real, sim, grn_method="pearson", tfs=_tfs(real), embed=True, n_estimators=100)
    if stage == "grn_layout":
        from core.context import RunContext
        from core.grn.task import infer_grn
        from core.grn.view import infer_tfs, layout_for, select_edges, view_html

        adata = _log1p(path)
        edges = infer_grn(adata, "pearson", RunContext(tfs=_tfs(adata)))

        def run():
            pos = layout_for(edges)
            sel = select_edges(edges)
            html = view_html(sel, pos, tfs=infer_tfs(edges, _tfs(adata)))
            return f"{len(edges):,} edges, {len(sel.edges):,} drawn, {len(html) / 1e6:.1f} MB HTML"
        return run
    raise SystemExit(f"unknown stage {stage}")


def tiny_path(path: Path) -> Path:
    """WARM_CELLS cells of the dataset (and its simulated cells' file), for the warm-up run."""
    import anndata as ad

    out = path.parent / "warm" / path.name
    if not out.exists():
        out.parent.mkdir(exist_ok=True)
        a = ad.read_h5ad(path)
        a[:WARM_CELLS].copy().write_h5ad(out)
        sim = path.parent / f"simcells_{a.n_vars}.h5ad"
        ad.read_h5ad(sim)[:WARM_CELLS].copy().write_h5ad(out.parent / sim.name)
    return out


def child(stage: str, path: Path) -> None:
    """Warm-up on WARM_CELLS cells (imports, numba compilation, first-call caches: paid by ours and the peers
    alike, once per process, not part of a stage's cost as data grow), then the timed run."""
    import warnings

    warnings.filterwarnings("ignore")
    setup_stage(stage, tiny_path(path))()
    run = setup_stage(stage, path)
    base = _rss("VmRSS:")
    t0 = time.perf_counter()
    note = run()
    seconds = time.perf_counter() - t0
    print("RESULT " + json.dumps({"seconds": seconds, "peak_mb": _rss("VmHWM:"), "base_mb": base,
                                  "note": note if isinstance(note, str) else ""}), flush=True)


# ---- driver ----------------------------------------------------------------------------------------------
def scvi_python() -> str | None:
    if not BENCH_PY.exists():
        return None
    ok = subprocess.run([str(BENCH_PY), "-c", "import scvi"], capture_output=True).returncode == 0
    return str(BENCH_PY) if ok else None


def run_child(python: str, stage: str, path: Path, timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        p = subprocess.run([python, str(Path(__file__).resolve()), "--child", stage, str(path)], capture_output=True,
                           text=True, timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"> {timeout:.0f} s (stopped)"}
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"error": f"failed: {tail[0][:120]}"}


def cell(r: dict | None) -> str:
    if r is None:
        return "—"
    if "error" in r:
        return r["error"]
    return f"{r['seconds']:.2f} s · {r['peak_mb']:.0f} MB (+{r['peak_mb'] - r['base_mb']:.0f})"


def slope(points: list[tuple[float, float]]) -> str:
    pts = [(x, y) for x, y in points if y and y > 0]
    if len(pts) < 2:
        return "—"
    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return f"{np.polyfit(x, y, 1)[0]:.2f}"


def sparse_mb(path: Path) -> float:
    import anndata as ad

    a = ad.read_h5ad(path, backed="r")
    try:
        nnz = a.X.nnz if hasattr(a.X, "nnz") else a.file["X"]["data"].shape[0]
        return (nnz * 8 + (a.n_obs + 1) * 4) / 1024**2  # float32 values + int32 indices + indptr
    finally:
        a.file.close()


def report(results: dict, configs: list[tuple[int, int]], scvi: str | None, machine: str, sizes: dict) -> str:
    lines = [f"# bench/scale.py results\n", f"Machine: {machine}\n",
             "Each cell: wall time of the stage · peak resident memory of its process (+ what the stage added "
             "over the process after imports and set-up). Ours first, then the peer where there is one.\n"]
    if scvi is None:
        lines.append("scvi-tools not installed (no /work/venv-bench/bin/python importing scvi): the SCVI rows are "
                     "empty.\n")
    head = "| stage | " + " | ".join(f"{c:,} x {g:,}" for c, g in configs) + " | slope vs cells | slope vs genes |"
    lines += [head, "|" + "---|" * (len(configs) + 3)]
    for stage in STAGES:
        for name, label in [(stage, f"{TITLES[stage]} (ours)")] + (
                [(PEERS[stage], f"{TITLES[stage]} ({'SCVI' if stage == 'vae_epoch' else 'scanpy'})")]
                if stage in PEERS else []):
            row = [cell(results.get((name, c, g))) for c, g in configs]
            t = lambda c, g: (results.get((name, c, g)) or {}).get("seconds")  # noqa: E731
            by_cells = slope([(c, t(c, g)) for c, g in configs if g == 2_000])
            by_genes = slope([(g, t(c, g)) for c, g in configs if c == 5_000])
            lines.append(f"| {label} | " + " | ".join(row) + f" | {by_cells} | {by_genes} |")
    notes = [f"{s} at {c:,} x {g:,}: {r['note']}" for (s, c, g), r in results.items() if r.get("note")]
    if notes:
        lines += ["", "Notes: " + "; ".join(notes)]
    lines += ["", "Sparse matrix size (float32 values + int32 indices): " +
              ", ".join(f"{c:,} x {g:,}: {mb:.0f} MB" for (c, g), mb in sizes.items())]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=2, metavar=("STAGE", "DATA"))
    ap.add_argument("--make", nargs=3, metavar=("CELLS", "GENES", "DIR"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--configs", default=None, help="comma list of CELLSxGENES")
    ap.add_argument("--stages", default=None, help="comma list of stages (default: all)")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--data-dir", default="/tmp/scgrn-scale")
    ap.add_argument("--out", default=str(ROOT / "bench" / "scale_results.md"))
    args = ap.parse_args(argv)
    if args.child:
        return child(args.child[0], Path(args.child[1]))
    if args.make:
        return make_data(Path(args.make[2]), int(args.make[0]), int(args.make[1]))
    configs = ([tuple(int(v) for v in c.split("x")) for c in args.configs.split(",")] if args.configs
               else QUICK if args.quick else FULL)
    stages = args.stages.split(",") if args.stages else STAGES
    folder = Path(args.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    scvi = scvi_python()
    print("scvi-tools:", scvi or "scvi-tools not installed", flush=True)
    machine = (f"{platform.node()}: {os.cpu_count()} CPU cores (shared), "
               f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.0f} GB RAM, "
               f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, no GPU used; "
               f"load average at start {os.getloadavg()[0]:.1f}")
    results: dict = {}
    sizes: dict = {}
    for c, g in configs:
        path = data_path(folder, c, g)
        if not path.exists():
            t0 = time.perf_counter()
            subprocess.run([sys.executable, str(Path(__file__).resolve()), "--make", str(c), str(g), str(folder)],
                           check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
            print(f"data {c}x{g}: {time.perf_counter() - t0:.0f} s", flush=True)
        sizes[(c, g)] = sparse_mb(path)
        for stage in stages:
            for name in [stage] + ([PEERS[stage]] if stage in PEERS else []):
                python = sys.executable
                if name == "scvi_epoch":
                    if scvi is None:
                        results[(name, c, g)] = {"error": "scvi-tools not installed"}
                        continue
                    python = scvi
                r = run_child(python, name, path, args.timeout)
                results[(name, c, g)] = r
                print(f"{c}x{g} {name}: {cell(r)}", flush=True)
        Path(args.out).write_text(report(results, configs, scvi, machine, sizes))  # partial tables as we go
    print(report(results, configs, scvi, machine, sizes))


if __name__ == "__main__":
    main()

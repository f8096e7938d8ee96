"""The model contract (issue 12) against the code before it, side by side in one run: same data, same seeds.

For each family, the same training runs twice in separate processes: once with the tree before the contract
(``--base``: a checkout of commit b82e70a, e.g. ``git worktree add /tmp/base b82e70a``) and once with this
tree. Printed per family: seconds per epoch (wall, this machine), the scores (EPR / AUPRC ratio on BEELINE mDC
STRING and NonSpecific for DeepSEM and CaTran; EPR on the interventional simulator for CaTran with
perturbations; ASW / ARI of pbmc68k bulk labels for the VAE and GMVAE) and the largest absolute difference
between the two trees' learned matrices (W, attention, latent): 0 means the refactor reproduced training
bit for bit. ``--repeat N`` alternates the trees N times and keeps the fastest epoch time of each. Sizes are kept small (few epochs, 2 members) so it runs in minutes on 2 cores; training is
deterministic on the CPU, so identical matrices at small size mean identical results at any size.

    python bench/contract_regression.py --base /tmp/base [--shared ../shared]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

WORKER = r'''
import json, sys, time, numpy as np, pandas as pd, anndata as ad
sys.path.insert(0, sys.argv[1]); job = sys.argv[2]; shared = sys.argv[3]; out = sys.argv[4]
NEW = __import__("importlib").util.find_spec("core.models.base") is not None
from core.context import RunContext
from core.grn.scoring import score_grn
res = {}

def beeline():
    sys.path.insert(0, "bench")
    from beeline_case import load_case
    a, truths, tfs = load_case(f"{shared}/data/beeline/mDC_TFs500")
    return ad.AnnData(a.X, var=pd.DataFrame(index=a.var_names)), truths, tfs

if job == "deepsem":
    a, truths, tfs = beeline(); ctx = RunContext(seed=0); t = time.time()
    if NEW:
        from core.models.deepsem.model import DeepSEM
        m = DeepSEM(a, seed=0, ensemble=2, epochs=9).train(callbacks=[ctx]); edges = m.get_grn(tfs=tfs)
    else:
        from core.models.deepsem.model import DeepSEM
        m = DeepSEM(a, setting="non-specific", n_members=2, seed=0).train(epochs=9, ctx=ctx); edges = m.get_grn(tfs=tfs)
    res["s_per_epoch"] = (time.time() - t) / 9
    np.save(out + ".npy", m.adjacency())
    for n in ("STRING", "NonSpecific"):
        s = score_grn(edges, truths[n], tfs=tfs); res[f"EPR {n}"] = s["epr"]; res[f"AUPRC {n}"] = s["auprc_ratio"]
elif job == "catran":
    a, truths, tfs = beeline(); ctx = RunContext(seed=0); t = time.time()
    from core.models.catran.model import CaTran
    if NEW:
        m = CaTran(a, seed=0, epochs=3).train(callbacks=[ctx]); edges = m.get_grn(tfs=tfs)
    else:
        m = CaTran(a).train(ctx, epochs=3); edges = m.get_grn(top_k=None, tfs=tfs)
    res["s_per_epoch"] = (time.time() - t) / 3
    np.save(out + ".npy", m.get_attention())
    for n in ("STRING", "NonSpecific"):
        s = score_grn(edges, truths[n], tfs=tfs); res[f"EPR {n}"] = s["epr"]; res[f"AUPRC {n}"] = s["auprc_ratio"]
elif job == "catran_interventional":
    from core.data.perturbation import perturbation_dataset
    from core.models.catran.model import CaTran
    a, truth, tfs, _ = perturbation_dataset(seed=0); ctx = RunContext(seed=0); t = time.time()
    if NEW:
        m = CaTran(a, seed=0, perturbation_key="perturbation", epochs=10).train(callbacks=[ctx]); edges = m.get_grn(tfs=tfs)
    else:
        m = CaTran(a, perturbation_key="perturbation").train(ctx, epochs=10); edges = m.get_grn(top_k=None, tfs=tfs)
    res["s_per_epoch"] = (time.time() - t) / 10
    np.save(out + ".npy", m.get_attention())
    s = score_grn(edges, truth, tfs=tfs); res["EPR"] = s["epr"]; res["AUPRC"] = s["auprc_ratio"]
elif job in ("vae", "gmvae"):
    from core.embedding.metrics import embedding_metrics
    from core.embedding.tools import neighbours_leiden_umap
    a = ad.read_h5ad("sample_data/pbmc68k_counts.h5ad"); ctx = RunContext(seed=0); t = time.time()
    kw = {"clusters": 10} if job == "gmvae" else {}
    if NEW:
        from core.models.vae.model import GMVAE, VAE
        m = (GMVAE if job == "gmvae" else VAE)(a, seed=0, epochs=40, **kw).train(callbacks=[ctx])
    else:
        from core.models.vae.model import VAEModel
        m = VAEModel(a, seed=0, clusters=kw.get("clusters", 0)).train(epochs=40, kl_warmup=50, ctx=ctx)  # the spec default
    res["s_per_epoch"] = (time.time() - t) / 40
    z = m.get_latent(); np.save(out + ".npy", z)
    a.obsm["X_lat"] = z; neighbours_leiden_umap(a, "X_lat", seed=0, umap=False)
    met = embedding_metrics(z, a.obs["leiden"].to_numpy(), a.obs["bulk_labels"].astype(str).to_numpy())
    res["ASW labels"] = met["asw_labels"]; res["ARI"] = met["ari"]
json.dump(res, open(out, "w"))
'''

JOBS = ("deepsem", "catran", "catran_interventional", "vae", "gmvae")


def run(tree: Path, job: str, shared: str, out: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    subprocess.run([sys.executable, "-c", WORKER, str(tree), job, shared, out], check=True, cwd=tree, env=env)
    return json.loads(Path(out).read_text())


def main() -> None:
    import numpy as np

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="checkout of the tree before the contract (commit b82e70a)")
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[1].parent / "shared"))
    ap.add_argument("--jobs", nargs="*", default=list(JOBS), choices=JOBS)
    ap.add_argument("--repeat", type=int, default=1, help="alternate the two trees this many times; the fastest "
                    "s_per_epoch of each is printed (robust to other load on the machine)")
    args = ap.parse_args()
    here = Path(__file__).resolve().parents[1]
    if not (Path(args.shared) / "data" / "beeline").exists():
        args.jobs = [j for j in args.jobs if j not in ("deepsem", "catran")]
        print("note: ../shared is absent: the BEELINE rows are skipped")
    tmp = Path(tempfile.mkdtemp())
    print(f"{'family':24s} {'metric':18s} {'before':>10s} {'contract':>10s}")
    for job in args.jobs:
        before, after = {}, {}
        for _ in range(max(1, args.repeat)):  # interleaved, so that both trees see the same load
            b = run(Path(args.base).resolve(), job, args.shared, str(tmp / f"{job}_base.json"))
            a = run(here, job, args.shared, str(tmp / f"{job}_new.json"))
            for res, new in ((before, b), (after, a)):
                speed = min(res.get("s_per_epoch", float("inf")), new["s_per_epoch"])
                res.update(new, s_per_epoch=speed)
        for key in before:
            print(f"{job:24s} {key:18s} {before[key]:10.4f} {after[key]:10.4f}")
        diff = float(np.max(np.abs(np.load(tmp / f"{job}_base.json.npy") - np.load(tmp / f"{job}_new.json.npy"))))
        print(f"{job:24s} {'max |diff| matrix':18s} {diff:21.3g}")


if __name__ == "__main__":
    main()

"""How fast the GRN explorer draws a large network, and proof that the slider never recomputes the layout.

On BEELINE mDC (821 genes x 383 cells; Pearson, every gene a possible regulator: 673,220 edges):

1. core: layout once (networkx), then 10 threshold moves -> layout computations counted;
   Python time to select 2,000 edges and build the HTML.
2. headless Chromium, standalone HTML: navigation start -> vis-network "afterDrawing" of 2,000 edges.
3. headless Chromium, the real app (`streamlit run app.py`): page load -> first network drawn (cold layout,
   then warm), slider dragged to the minimum -> the capped 2,000-edge view drawn; node positions and
   layout.json unchanged across slider moves.

Target: a 2,000-edge view drawn in < 3 s. Needs ../shared/data and the Debian chromium package.
Run:  PYTHONPATH=. python bench/grn_render.py
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("SCGRN_SHARED", ROOT.parent / "shared"))
MDC = SHARED / "data" / "beeline" / "mDC_TFs500" / "expression.csv"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
N_EDGES = 2000


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def mdc_edges() -> pd.DataFrame:
    from core.grn.correlation import correlation_matrix
    from core.grn.edges import adjacency_to_edges

    X = pd.read_csv(MDC, index_col=0)  # genes x cells
    C = correlation_matrix(X.to_numpy(np.float64).T, "pearson")
    return adjacency_to_edges(np.abs(C), X.index, signed=C)


def bench_core(edges: pd.DataFrame) -> dict:
    from core.grn.view import layout, layout_for, select_edges, view_html

    layout.clear_cache()
    calls0 = layout.LAYOUT_CALLS
    t = time.perf_counter()
    pos = layout_for(edges, key="mdc")
    t_layout = time.perf_counter() - t
    thresholds = np.linspace(edges["weight"].iloc[5000], edges["weight"].iloc[100], 10)
    t = time.perf_counter()
    for thr in thresholds:  # what 10 slider moves do
        p = layout_for(edges, key="mdc")
        select_edges(edges, threshold=float(thr))
        assert p is pos
    t_moves = (time.perf_counter() - t) / len(thresholds)
    calls = layout.LAYOUT_CALLS - calls0
    t = time.perf_counter()
    sel = select_edges(edges, top_k=N_EDGES)
    html = view_html(sel, pos)
    t_html = time.perf_counter() - t
    print(f"[core] layout of {len(pos)} genes computed once: {t_layout:.2f} s ({load()})")
    print(f"[core] 10 threshold moves: layout computations = {calls} (1 = the first one only); "
          f"selection {t_moves * 1000:.0f} ms per move")
    print(f"[core] select + build HTML for {len(sel.edges)} edges: {t_html:.2f} s, {len(html) / 1e6:.2f} MB")
    return {"layout_s": t_layout, "layout_calls": calls, "html_s": t_html, "html": html}


def _browser(p):
    return p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)


def bench_standalone(html: str, repeats: int = 5) -> list[float]:
    from playwright.sync_api import sync_playwright

    path = Path(tempfile.mkdtemp()) / "view.html"
    path.write_text(html, encoding="utf-8")
    times = []
    with sync_playwright() as p:
        browser = _browser(p)
        for _ in range(repeats):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(path.as_uri())
            page.wait_for_function("() => window.scgrnDrawnAt !== undefined", timeout=60_000)
            times.append(page.evaluate("() => window.scgrnDrawnAt") / 1000)  # ms since navigation start
            n = page.evaluate("() => edges.length")
            page.close()
        browser.close()
    print(f"[browser, standalone HTML] {n} edges drawn after {statistics.median(times):.2f} s "
          f"(median of {repeats}; min {min(times):.2f}, max {max(times):.2f}) ({load()})")
    return times


def _drawn(page, until, timeout=120.0):
    """(frame, edge count) once the network iframe shows a count satisfying ``until``."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for frame in page.frames:
            try:
                n = frame.evaluate("() => document.body && document.body.getAttribute('data-drawn')")
            except Exception:
                continue
            if n is not None and until(int(n)):
                return frame, int(n)
        time.sleep(0.05)
    raise TimeoutError("network not drawn")


def bench_app(edges: pd.DataFrame) -> dict:
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="scgrn_bench_"))
    os.environ["SCGRN_HOME"] = str(home)
    from core.grn.edges import write_edges
    from core.jobs.rundir import create_run

    from core.grn.explorer import precompute_layout

    runs = []
    for label in ("page computes layout", "layout from the job"):
        run = create_run("grn", "pearson", MDC, {}, extra={"dataset_name": "mDC"}, label=label)
        write_edges(edges, run.path / "edges.tsv")
        run.set_status("finished", ended=time.time())
        runs.append(run)
    t = time.perf_counter()
    precompute_layout(runs[1].path)  # what a GRN job does after writing edges.tsv
    print(f"[job] precompute_layout at the end of the job: {time.perf_counter() - t:.2f} s ({load()})")
    run = runs[0]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SCGRN_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    out = {}
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = _browser(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url + "/")  # the app root first (see tests/test_browser_grn.py)
            page.locator("[data-testid=stSidebarNav]").get_by_text("GRN", exact=True).wait_for(timeout=60_000)
            for label, r in (("fresh server, layout.json from the job", runs[1]),
                             ("no layout.json: the page computes it", runs[0]),
                             ("again, layout in memory", runs[0])):
                t = time.perf_counter()
                page.goto(f"{url}/grn?run={r.id}")
                frame, n = _drawn(page, lambda n: n > 0)
                out[label] = time.perf_counter() - t
                print(f"[browser, app] page load -> {n}-edge view drawn ({label}): {out[label]:.2f} s ({load()})")
            layout_file = run.path / "layout.json"
            stamp = layout_file.stat().st_mtime_ns
            pos0 = frame.evaluate("() => network.getPositions()")
            # click the threshold slider's track at its left end: 673k edges match, the 2,000 strongest are drawn
            track = page.locator("[data-testid=stSlider] div[data-rac][data-orientation=horizontal]").last
            box = track.bounding_box()
            t = time.perf_counter()
            page.mouse.click(box["x"] + 1, box["y"] + box["height"] / 2)
            frame, n = _drawn(page, lambda k: k == N_EDGES)
            out["slider_to_2000"] = time.perf_counter() - t
            note = page.get_by_text("draw cap").first.inner_text()
            print(f"[browser, app] slider released -> {n}-edge view drawn: {out['slider_to_2000']:.2f} s ({load()})")
            print(f"[browser, app] note shown: {note!r}")
            pos1 = frame.evaluate("() => network.getPositions()")
            moved = sum(pos0[g] != pos1[g] for g in pos0 if g in pos1)
            print(f"[browser, app] after the slider move: "
                  f"nodes moved: {moved} of {len(set(pos0) & set(pos1))} shared")
            page.screenshot(path=str(home / "grn_2000.png"), full_page=True)
            # one more slider move, back up a little: time to redraw
            box = track.bounding_box()
            t = time.perf_counter()
            page.mouse.click(box["x"] + 0.97 * box["width"], box["y"] + box["height"] / 2)
            frame, n = _drawn(page, lambda k: 0 < k < N_EDGES)
            out["slider_move"] = time.perf_counter() - t
            print(f"[browser, app] slider moved again -> {n}-edge view drawn: {out['slider_move']:.2f} s ({load()})")
            print(f"[browser, app] layout.json rewritten by any slider move: {layout_file.stat().st_mtime_ns != stamp}")
            shots = ROOT / "bench" / "results"
            shots.mkdir(parents=True, exist_ok=True)
            shutil.copy(home / "grn_2000.png", shots / "grn_render_mdc_2000.png")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return out


def main() -> None:
    if not MDC.is_file():
        print(f"skipped: {MDC} not found")
        return
    if not shutil.which("chromium"):
        print("skipped: chromium not installed")
        return
    t = time.perf_counter()
    edges = mdc_edges()
    print(f"mDC Pearson network: {len(edges):,} edges, built in {time.perf_counter() - t:.2f} s ({load()})")
    core = bench_core(edges)
    standalone = bench_standalone(core["html"])
    app = bench_app(edges)
    summary = {
        "edges_in_network": len(edges),
        "layout_seconds": round(core["layout_s"], 3),
        "layout_computations_over_10_moves": core["layout_calls"],
        "html_build_seconds_2000": round(core["html_s"], 3),
        "standalone_draw_seconds_2000_median": round(statistics.median(standalone), 3),
        **{f"app: {k} (s)": round(v, 3) for k, v in app.items()},
        "target_seconds": 3.0,
        "loadavg": os.getloadavg(),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

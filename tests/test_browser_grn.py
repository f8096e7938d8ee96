"""Real-browser tests of the GRN page in headless Chromium (Debian package; never downloaded).

A finished Pearson run on the synthetic sample (with its reference network) is written to a temporary
workspace; `streamlit run app.py` serves it. One gene is renamed ``<img src=x onerror=alert(1)>`` to check
that user strings render as text and run nothing. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from browser_support import CHROMIUM_ARGS, chromium_path, streamlit_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "</script><script>alert(1)</script>"


def _make_run(home: Path) -> str:
    """A finished Pearson GRN run on the synthetic sample, one gene renamed to an XSS payload."""
    os.environ["SCGRN_HOME"] = str(home)
    from core.data.sample import prepare_sample
    from core.grn.edges import write_edges
    from core.grn.explorer import load_edges
    from core.jobs.rundir import create_run
    from core.jobs.runner import run_job

    ds = prepare_sample("synthetic")
    run = create_run("grn", "pearson", ds.h5ad, {"layer": ""}, tfs=ds.tfs, reference=ds.reference,
                     extra={"dataset_name": "synthetic"})
    assert run_job(run.path, poll=0.05) == 0
    edges = load_edges(run.path / "edges.tsv")
    victim = edges["target"].iloc[0]  # a target of the strongest edge: drawn at any threshold
    victim2 = next(g for g in edges["target"] if g != victim and g not in set(edges["source"]))
    names = {victim: XSS, victim2: XSS_SCRIPT}
    edges = edges.replace({"source": names, "target": names})
    write_edges(edges, run.path / "edges.tsv")
    return run.id


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    chromium = chromium_path()
    home = tmp_path_factory.mktemp("scgrn_home")
    old_home = os.environ.get("SCGRN_HOME")
    run_id = _make_run(home)
    if old_home is None:
        os.environ.pop("SCGRN_HOME", None)
    else:
        os.environ["SCGRN_HOME"] = old_home
    with streamlit_server({"SCGRN_HOME": str(home), "PYTHONPATH": str(ROOT)}) as url:
        yield {"url": url, "run_id": run_id, "chromium": chromium}


@pytest.fixture()
def page(server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=server["chromium"], args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        pg = ctx.new_page()
        pg.dialogs = []
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        yield pg
        browser.close()


EXTENT_JS = """() => {
  const box = document.getElementById("mynetwork").getBoundingClientRect();
  const pos = network.getPositions(), s = network.getScale();
  const xs = [], ys = [];
  for (const id in pos) { const d = network.canvasToDOM(pos[id]); xs.push(d.x); ys.push(d.y); }
  const label_px = nodes.get().filter(n => n.font && n.font.size * s > 2).map(n => n.font.size * s);
  return {n: xs.length, w: Math.max(...xs) - Math.min(...xs), h: Math.max(...ys) - Math.min(...ys),
          cw: box.width, ch: box.height, label_px: label_px, labelled: label_px.length};
}"""


def _graph(page, js="() => edges.get().map(e => [e.from, e.to, e.color])", until=lambda v: True, timeout=60.0):
    """Evaluate ``js`` in the drawn network's iframe once ``until(value)`` holds twice in a row (page settled).

    Streamlit re-renders the iframe on every rerun, so frames come and go: errors mean "not yet".
    """
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate("() => document.body && document.body.getAttribute('data-drawn')") is None:
                    continue
                value = frame.evaluate(js)
            except Exception:  # detached or navigating while Streamlit reruns
                continue
            if until(value):
                if last is not None and last == value:
                    return frame, value
                last = value
                break
        time.sleep(0.4)
    raise AssertionError(f"the network did not reach the expected state (last value: {str(last)[:300]})")


def _open(page, server):
    # A deep link as the very first request of a fresh server (what a reload after a server restart does).
    # Pages live in app_pages/, not pages/: with a pages/ folder Streamlit would serve this first request in
    # its legacy multipage mode, without app.py's navigation, for the whole life of the server.
    page.goto(f"{server['url']}/grn?run={server['run_id']}")
    page.locator("[data-testid=stSidebarNav]").get_by_text("Simulation", exact=True).wait_for(timeout=60_000)
    page.get_by_text("Gene regulatory network").first.wait_for(timeout=60_000)
    return _graph(page)


def test_grn_page_slider_search_overlay_download(page, server, tmp_path):
    frame, edges0 = _open(page, server)
    page.screenshot(path=str(SHOTS / "grn_1_loaded.png"), full_page=True)
    pos_before = frame.evaluate("() => network.getPositions()")
    # the "Top edges" control moves through top-k (default ~2 edges per gene: 100 of 60 genes): one step
    # left = 50 edges, every node where it was
    assert len(edges0) == 100
    page.get_by_role("slider").first.focus()
    page.keyboard.press("ArrowLeft")
    frame, edges1 = _graph(page, until=lambda v: len(v) == 50)
    pos_after = frame.evaluate("() => network.getPositions()")
    assert pos_after and all(pos_before[g] == p for g, p in pos_after.items())
    page.screenshot(path=str(SHOTS / "grn_2_slider.png"), full_page=True)
    page.get_by_role("slider").first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    frame, _ = _graph(page, until=lambda v: len(v) == 200)

    # search a gene: only its 1-step neighbourhood is drawn
    gene = "TF01"
    page.get_by_label("Search a gene").click()
    page.keyboard.type(gene)
    page.keyboard.press("Enter")
    frame, edges2 = _graph(page, until=lambda v: v and all(gene in e[:2] for e in v))
    # the neighbourhood fills the canvas and its labels are of readable size on screen
    extent = frame.evaluate(EXTENT_JS)
    assert extent["n"] == len({g for e in edges2 for g in e[:2]})
    assert extent["w"] >= 0.5 * extent["cw"] and extent["h"] >= 0.6 * extent["ch"], extent
    assert min(extent["label_px"]) >= 11, extent
    frame.locator("#mynetwork").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "grn_3_search.png"), full_page=True)

    # reference overlay: true positives green, the rest grey
    page.get_by_text("Reference", exact=True).click()
    frame, edges3 = _graph(page, until=lambda v: v and {e[2] for e in v} <= {"#1a9850", "#c8c8c8"})
    assert "#1a9850" in {e[2] for e in edges3}
    assert [e[:2] for e in edges3] == [e[:2] for e in edges2]
    assert "in reference" in frame.inner_text("#scgrn-legend")
    page.screenshot(path=str(SHOTS / "grn_4_reference.png"), full_page=True)

    # download GraphML from the Export tab and read it back: the edges of the current view
    page.get_by_role("tab", name="Export").click()
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name="GraphML").click()
    target = tmp_path / "view.graphml"
    dl.value.save_as(target)
    import networkx as nx

    G = nx.read_graphml(target)
    assert sorted(G.edges()) == sorted(tuple(e[:2]) for e in edges3)
    page.screenshot(path=str(SHOTS / "grn_5_export.png"), full_page=True)
    assert page.dialogs == []


def test_xss_gene_renders_as_text_and_runs_nothing(page, server):
    frame, _ = _open(page, server)
    # the network holds both genes (the JSON did not break out of its <script>) ...
    assert frame.evaluate("(g) => nodes.get(g) !== null", XSS)
    assert frame.evaluate("(g) => nodes.get(g) !== null", XSS_SCRIPT)
    # ... and shows the name as plain text in the tooltip
    assert frame.locator("img").count() == 0
    frame.frame_element().scroll_into_view_if_needed()
    xy = frame.evaluate("(g) => network.canvasToDOM(network.getPositions([g])[g])", XSS)
    net_box = frame.locator("#mynetwork").bounding_box()  # in page coordinates already
    page.mouse.move(net_box["x"] + 5, net_box["y"] + 5)
    page.mouse.move(net_box["x"] + xy["x"], net_box["y"] + xy["y"], steps=10)
    tooltip = frame.locator("div.vis-tooltip")
    tooltip.wait_for(state="visible", timeout=10_000)
    assert XSS in tooltip.inner_text()
    # the gene search lists it as text too
    page.get_by_label("Search a gene").click()
    page.keyboard.type("onerror")
    page.get_by_role("option", name=XSS).wait_for(timeout=10_000)
    page.screenshot(path=str(SHOTS / "grn_xss.png"), full_page=True)
    page.keyboard.press("Enter")
    frame, _ = _graph(page, until=lambda v: v and all(XSS in e[:2] for e in v))
    time.sleep(1.0)
    assert page.dialogs == []
    assert frame.locator("img").count() == 0 and page.locator("img[src=x]").count() == 0

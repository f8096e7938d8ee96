"""Train page (issue 13): before launch it says which genes/cells go into a network run."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def _train_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page("app_pages/train.py")
    return at


def test_train_page_shows_the_gene_and_cell_selection(workspace):
    at = _train_page().run()
    assert not at.exception, [e.value for e in at.exception]
    # the synthetic sample: 60 genes, 600 cells, under every limit -> all go in
    assert any("Going in: all 60 genes x all 600 cells" in i.value for i in at.info), [i.value for i in at.info]
    genes = next(s for s in at.selectbox if s.label == "Genes")
    cells = next(s for s in at.selectbox if s.label == "Cells")
    assert genes.value == 1000 and cells.value == 5000  # the defaults


def test_train_page_selection_on_a_bigger_dataset(workspace):
    from core.data.store import save_prepared
    from tests.test_grn_inputs import _data

    save_prepared(_data(n_cells=2500, n_genes=600), "bigger", tfs=["G590", "G591"], meta={"labels_key": "cell_type"})
    at = _train_page().run()
    next(s for s in at.selectbox if s.label == "Genes").set_value(500).run()
    next(s for s in at.selectbox if s.label == "Cells").set_value(2000).run()
    assert not at.exception, [e.value for e in at.exception]
    info = [i.value for i in at.info if "Going in" in i.value]
    # the 2 TFs are kept, with the top 500 (one TF may be among them)
    assert info and re.search(r"50[12] of 600 genes \(2 TFs \+ top 500 variable genes", info[0]), info
    assert "2,000 of 2,500 cells (stratified by 'cell_type')" in info[0], info
    at.button[-1].click().run()  # Launch: the choice is recorded in the run
    from core.jobs.rundir import list_runs

    runs = list_runs()
    assert len(runs) == 1 and runs[0].params["grn_inputs"] == {"n_top_genes": 500, "max_cells": 2000}

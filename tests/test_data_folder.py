"""The server-side data folder (issue 13): configured once, listed with sizes, paths confined to it."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.io.data_folder import ENV_VAR, data_folder, list_data_files, resolve_in_folder


@pytest.fixture()
def folder(tmp_path, workspace, monkeypatch) -> Path:
    root = tmp_path / "data"
    (root / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.poisson(2.0, size=(40, 12)), index=[f"cell{i}" for i in range(40)],
                      columns=[f"G{j}" for j in range(12)])
    df.to_csv(root / "small.csv")
    (root / "sub" / "notes.md").write_text("not data")
    tenx = root / "sub" / "pbmc_10x"
    tenx.mkdir()
    for n in ("matrix.mtx.gz", "features.tsv.gz", "barcodes.tsv.gz"):
        (tenx / n).write_bytes(b"x" * 100)
    outside = tmp_path / "secret.csv"
    outside.write_text("a,b\n1,2\n")
    (root / "escape.csv").symlink_to(outside)  # a link out of the folder
    (root / "alias.csv").symlink_to(root / "small.csv")  # a link that stays inside
    monkeypatch.setenv(ENV_VAR, str(root))
    return root


def test_env_var_declares_the_folder_and_listing_has_sizes(folder):
    assert data_folder() == folder.resolve()
    files, cut = list_data_files()
    by_rel = {f.rel: f for f in files}
    assert not cut
    assert set(by_rel) == {"small.csv", "alias.csv", "sub/pbmc_10x"}  # no notes.md, no link out of the folder
    assert by_rel["small.csv"].size == (folder / "small.csv").stat().st_size > 0
    assert by_rel["sub/pbmc_10x"].kind == "10x folder" and by_rel["sub/pbmc_10x"].size == 300


def test_config_file_under_home_declares_the_folder(folder, workspace, monkeypatch):
    monkeypatch.delenv(ENV_VAR)
    assert data_folder() is None
    (workspace / "config.toml").write_text(f'data_dir = "{folder}"\n')
    assert data_folder() == folder.resolve()
    (workspace / "config.toml").write_text('data_dir = "/no/such/folder"\n')
    with pytest.raises(InputError, match="does not exist"):
        data_folder()


@pytest.mark.parametrize("bad", ["../secret.csv", "sub/../../secret.csv", "/etc/passwd", "escape.csv", "", "missing.csv"])
def test_paths_are_confined_to_the_folder(folder, bad):
    with pytest.raises(InputError):
        resolve_in_folder(bad)


def test_paths_inside_resolve_and_read_without_upload(folder, workspace):
    from core.io.expression import read_expression

    assert resolve_in_folder("sub/pbmc_10x") == (folder / "sub" / "pbmc_10x").resolve()
    p = resolve_in_folder("alias.csv")  # a link within the folder is fine
    adata = read_expression(p)
    assert adata.shape == (40, 12)
    assert not (workspace / "uploads").exists() or not any((workspace / "uploads").iterdir())  # nothing copied
    before = sorted(os.listdir(folder))
    assert sorted(os.listdir(folder)) == before


def test_data_page_lists_and_reads_the_server_folder(folder):
    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60)
    at.switch_page("app_pages/data.py")
    at.run()
    at.radio[0].set_value("Server folder").run()
    assert not at.exception, [e.value for e in at.exception]
    listing = at.dataframe[0].value
    assert list(listing["file"]) == ["alias.csv", "small.csv", "sub/pbmc_10x"]
    assert list(listing["size"])[2] == "300 B"
    at.selectbox[0].set_value("small.csv").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cells"] == "40" and metrics["Genes"] == "12"


def test_data_page_says_how_to_configure_when_unset(workspace, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv(ENV_VAR, raising=False)
    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60)
    at.switch_page("app_pages/data.py")
    at.run()
    at.radio[0].set_value("Server folder").run()
    assert not at.exception
    assert any(ENV_VAR in i.value for i in at.info)
    # the upload limit is stated, from its single declaration
    from core.jobs.workspace import MAX_UPLOAD_MB

    at.radio[0].set_value("Upload").run()
    assert any(f"{MAX_UPLOAD_MB} MB per upload" in c.value for c in at.caption)

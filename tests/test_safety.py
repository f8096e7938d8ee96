"""Safety: uploads stored once by content hash and cleaned up, quota, run-id confinement, sharing opt-in."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from core.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def test_uploads_stored_once_by_content(workspace):
    from core.io.uploads import store_uploads, uploads_dir

    data = b"TF\nG1\nG2\n"
    paths = {store_uploads([("tfs.txt", data)]) for _ in range(5)}
    assert len(paths) == 1 and next(iter(paths)).read_bytes() == data
    assert len([p for p in uploads_dir().iterdir() if p.is_dir()]) == 1
    other = store_uploads([("tfs.txt", b"TF\nG3\n")])
    assert other not in paths


def test_old_uploads_cleaned(workspace):
    from core.io.uploads import cleanup_uploads, store_uploads, uploads_dir

    made = [store_uploads([(f"f{i}.txt", f"TF\nG{i}\n".encode())]).parent for i in range(5)]
    old = time.time() - 3 * 24 * 3600
    for p in made[:3]:
        os.utime(p, (old, old))
    assert cleanup_uploads(n_keep=1) == 3
    assert sorted(p.name for p in uploads_dir().iterdir()) == sorted(p.name for p in made[3:])


def test_quota_refuses_upload(workspace, monkeypatch):
    from core.io.uploads import store_uploads

    monkeypatch.setenv("SCGRN_QUOTA_GB", str(1000 / 1024**3))
    with pytest.raises(InputError, match="quota"):
        store_uploads([("big.csv", b"x" * 5000)])


def test_10x_upload_needs_all_three(workspace):
    from core.io.uploads import store_uploads

    with pytest.raises(InputError, match="10x"):
        store_uploads([("matrix.mtx", b"%%MatrixMarket")])


@pytest.mark.parametrize("bad", ["../../etc", "/etc", "..", ".", "a/b", "x" * 5000, "", "a\0b"])
def test_get_run_confined(workspace, bad):
    from core.jobs.rundir import get_run

    with pytest.raises(InputError):
        get_run(bad)


def test_get_run_outside_runs_refused(workspace, tmp_path):
    from core.jobs.rundir import create_run, get_run

    outside = tmp_path / "elsewhere" / "r1"
    outside.mkdir(parents=True)
    (outside / "params.json").write_text("{}")
    with pytest.raises(InputError, match="inside"):
        get_run(str(outside))
    with pytest.raises(InputError):
        get_run(f"../../elsewhere/r1")
    run = create_run("grn", "pearson", workspace / "d.h5ad")
    assert get_run(run.id).path == run.path
    assert get_run(str(run.path)).path == run.path


def test_shipped_config_is_local_and_quiet():
    import tomllib

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["address"] == "localhost"
    assert cfg["server"]["fileWatcherType"] == "none"
    from core.jobs.workspace import MAX_UPLOAD_MB

    assert cfg["server"]["maxUploadSize"] == MAX_UPLOAD_MB


def test_share_without_password_refused():
    env = {k: v for k, v in os.environ.items() if k not in ("SCGRN_PASSWORD", "SCGRN_PASSWORD_HASH")}
    r = subprocess.run(["bash", str(ROOT / "scripts" / "app.sh"), "--share"], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "password" in r.stderr

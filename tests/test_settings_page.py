"""Settings page (AppTest): the cluster settings file is read, edited, validated (a bad value is refused in
words and nothing is written) and saved; whether SLURM answers is shown."""

from __future__ import annotations

import os

import pytest

from test_app_pages import _no_exceptions, _page


def _field(at, label):
    for group in (at.text_input, at.number_input, at.text_area, at.checkbox):
        for w in group:
            if w.label == label:
                return w
    raise KeyError(label)


def _save(at):
    next(b for b in at.button if b.label == "Save").click().run()


@pytest.fixture()
def no_slurm(tmp_path, monkeypatch):
    """PATH with a sinfo that says the controller is down (the page must say so, not hang or crash)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sinfo").write_text("#!/bin/sh\necho 'slurm_load_partitions: Unable to contact slurm controller' >&2\nexit 1\n")
    (bin_dir / "sinfo").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_settings_saved_validated_and_reloaded(workspace, no_slurm):
    from core.jobs.cluster_config import config_path, load_config

    at = _page("app_pages/settings.py").run()
    _no_exceptions(at)
    assert not config_path().exists() and not _field(at, "Offer the cluster on the Train page").value
    _field(at, "Partition").set_value("gpu a100")  # two words: refused
    _save(at)
    assert any("Not saved" in e.value and "partition" in e.value for e in at.error)
    assert not config_path().exists()

    _field(at, "Offer the cluster on the Train page").check()
    _field(at, "Partition").set_value("gpu")
    _field(at, "Account").set_value("lab42")
    _field(at, "GPUs per job").set_value(2)
    _field(at, "Time limit (minutes)").set_value(90)
    _field(at, "Extra sbatch options (one per line)").set_value("--qos=normal\n\n#SBATCH --constraint=a100")
    _field(at, "Commands run on the node before the job (one per line)").set_value("module load cuda\nsource ~/env/bin/activate")
    _save(at)
    _no_exceptions(at)
    assert any("Saved to" in s.value for s in at.success)
    cfg = load_config()
    assert (cfg.enabled, cfg.partition, cfg.account, cfg.gpus_per_job, cfg.time_limit_min) == (True, "gpu", "lab42", 2, 90)
    assert cfg.extra_sbatch == ["--qos=normal", "#SBATCH --constraint=a100"]
    assert cfg.setup == ["module load cuda", "source ~/env/bin/activate"]
    assert not list(config_path().parent.glob("*.tmp*"))  # written atomically, no leftovers
    # enabled: the page asks SLURM and says, in words, that it does not answer
    assert any("Unable to contact slurm controller" in w.value for w in at.warning)

    again = _page("app_pages/settings.py").run()  # a fresh session reads the file back
    assert _field(again, "Partition").value == "gpu" and _field(again, "GPUs per job").value == 2
    assert _field(again, "Extra sbatch options (one per line)").value == "--qos=normal\n#SBATCH --constraint=a100"


def test_damaged_settings_file_is_reported(workspace, no_slurm):
    from core.jobs.cluster_config import config_path

    config_path().write_text("partition = [unclosed\n")
    at = _page("app_pages/settings.py").run()
    _no_exceptions(at)
    assert any("cannot be read" in e.value for e in at.error)


def test_train_page_says_why_the_cluster_is_not_offered(workspace, no_slurm):
    from core.jobs.cluster_config import ClusterConfig, save_config

    at = _page("app_pages/train.py").run()
    assert any("No cluster is set up" in c.value for c in at.caption)
    save_config(ClusterConfig(enabled=True, partition="gpu"))
    at = _page("app_pages/train.py").run()
    _no_exceptions(at)
    assert not any(r.label == "Where to run" for r in at.radio)
    assert any("Unable to contact slurm controller" in c.value for c in at.caption)


def test_train_page_offers_the_cluster_with_its_expected_start(workspace, tmp_path, monkeypatch):
    """Stand-in sinfo / sbatch on PATH (the real cluster is exercised by tests/test_browser_sweep.py)."""
    from core.jobs.cluster_config import ClusterConfig, save_config

    bin_dir = tmp_path / "slurm_bin"
    bin_dir.mkdir()
    (bin_dir / "sinfo").write_text("#!/bin/sh\necho 'debug* up 1 idle'\n")
    (bin_dir / "sbatch").write_text("#!/bin/sh\necho \"sbatch: Job 5 to start at $(date +%Y-%m-%dT%H:%M:%S) "
                                    "using 1 processors on nodes vm in partition debug\" >&2\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    save_config(ClusterConfig(enabled=True, time_limit_min=45))
    at = _page("app_pages/train.py").run()
    _no_exceptions(at)
    where = next(r for r in at.radio if r.label == "Where to run")
    assert where.value == "local" and list(where.options) == ["This machine", "The cluster (SLURM)"]
    assert not any("would start" in c.value for c in at.caption)
    where.set_value("slurm").run()
    words = " ".join(c.value for c in at.caption)
    assert "debug* (1 node idle)" in words and "would start now" in words and "at most 45 min" in words

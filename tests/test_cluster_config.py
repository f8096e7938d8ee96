"""The cluster settings file: defaults, round trip, and clear errors for bad values or damaged files."""

import pytest

from core.errors import InputError
from core.jobs.cluster_config import ClusterConfig, config_path, load_config, save_config


def test_defaults_round_trip_and_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("SCGRN_HOME", str(tmp_path))
    assert load_config() == ClusterConfig() and not load_config().enabled  # no file: not set up
    cfg = ClusterConfig(enabled=True, partition="gpu", account="lab", gpus_per_job=1, mem_gb=32.5,
                        time_limit_min=90, extra_sbatch=["--qos=normal", "#SBATCH --exclusive"],
                        setup=['source "~/my env/bin/activate"'], python="python3")
    path = save_config(cfg)
    assert path == config_path() == tmp_path / "cluster.toml"
    assert load_config() == cfg
    assert cfg.sbatch_options() == {"qos": "normal", "exclusive": True}
    with pytest.raises(InputError, match="time_limit_min"):
        save_config(ClusterConfig(time_limit_min=0))
    with pytest.raises(InputError, match="long option"):
        save_config(ClusterConfig(extra_sbatch=["qos normal"]))
    path.write_text("partition = 'gpu'\ncolour = 'red'\n")
    with pytest.raises(InputError, match="unknown settings: colour"):
        load_config()
    path.write_text("partition = [unclosed\n")
    with pytest.raises(InputError, match="cannot be read"):
        load_config()
    path.write_text("mem_gb = -1\n")
    with pytest.raises(InputError, match="mem_gb"):
        load_config()

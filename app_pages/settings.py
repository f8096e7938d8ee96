"""Settings page: the SLURM cluster settings file (read, edit, validate, save atomically) and whether the
cluster answers. Layout only: the file lives in core.jobs.cluster_config, the questions to SLURM in
core.jobs.cluster_probe."""

import streamlit as st

from core.errors import InputError
from core.jobs.cluster_config import ClusterConfig, config_path, load_config, save_config
from core.jobs.cluster_probe import cluster_answers, estimate_start
from ui.common import user_errors

st.title("Settings")
st.subheader("SLURM cluster")
st.caption(f"Runs can go to a SLURM cluster whose nodes see this workspace's folder (the run folders are the "
           f"single record of each run). These settings are saved in `{config_path()}`; the Train page offers "
           "“The cluster” once they are enabled and `sinfo` answers.")

try:
    cfg = load_config()
except InputError as exc:
    st.error(f"{exc} The form below starts from the defaults; saving replaces the file.")
    cfg = ClusterConfig()


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


with st.form("cluster_settings"):
    enabled = st.checkbox("Offer the cluster on the Train page", value=cfg.enabled)
    c = st.columns(3)
    partition = c[0].text_input("Partition", cfg.partition, help="Empty: the cluster's default partition.")
    account = c[1].text_input("Account", cfg.account, help="The SLURM account (-A) to charge; empty: none.")
    python = c[2].text_input("Python on the nodes", cfg.python,
                             help="The interpreter the job runs (with scGRN Studio installed); empty: the one "
                                  "running this app, which works when the nodes share its file system.")
    c = st.columns(4)
    gpus = c[0].number_input("GPUs per job", min_value=0, max_value=64, value=int(cfg.gpus_per_job))
    cpus = c[1].number_input("CPUs per job", min_value=1, max_value=1024, value=int(cfg.cpus_per_job))
    mem = c[2].number_input("Memory per job (GB)", min_value=0.1, max_value=65536.0, value=float(cfg.mem_gb),
                            format="%.1f")
    limit = c[3].number_input("Time limit (minutes)", min_value=1, max_value=60 * 24 * 60, value=int(cfg.time_limit_min),
                              help="A job still running then is stopped by SLURM and ends “failed: time limit”.")
    extra = st.text_area("Extra sbatch options (one per line)", "\n".join(cfg.extra_sbatch),
                         placeholder="--qos=normal\n--constraint=a100",
                         help="Long options as on the sbatch command line (a leading #SBATCH is accepted).")
    setup = st.text_area("Commands run on the node before the job (one per line)", "\n".join(cfg.setup),
                         placeholder="module load cuda\nsource ~/envs/scgrn/bin/activate",
                         help="Typically: load modules and activate the Python environment that has scGRN Studio.")
    save = st.form_submit_button("Save", type="primary")

if save:
    with user_errors("Not saved: "):
        new = ClusterConfig(enabled=enabled, partition=partition.strip(), account=account.strip(),
                            gpus_per_job=int(gpus), cpus_per_job=int(cpus), mem_gb=float(mem),
                            time_limit_min=int(limit), extra_sbatch=_lines(extra), setup=_lines(setup),
                            python=python.strip())
        path = save_config(new)
        cfg = new
        st.success(f"Saved to {path}.")

st.subheader("Does the cluster answer?")
if cfg.enabled or st.button("Ask SLURM now", help="Runs sinfo and sbatch --test-only (nothing is submitted)."):
    with st.spinner("Asking SLURM (sinfo, sbatch --test-only)…"):
        probe = cluster_answers()
        start = estimate_start(cfg) if probe.ok else None
    (st.success if probe.ok else st.warning)(probe.message)
    if start is not None:
        (st.info if start.ok else st.warning)(start.message)
else:
    st.caption("The cluster is not enabled; press the button to check whether SLURM answers from this machine.")

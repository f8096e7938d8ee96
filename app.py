"""scGRN Studio: the Streamlit entry point. Layout only; all logic lives in `core`."""

import streamlit as st

from pathlib import Path

from ui.auth import require_login

st.set_page_config(page_title="scGRN Studio", page_icon=":material/hub:", layout="wide")
require_login()  # only when sharing on a network (SCGRN_SHARE=1): nothing is drawn without the password
st.logo(str(Path(__file__).parent / "assets" / "logo.svg"), size="large")

PAGES = [
    st.Page("app_pages/data.py", title="Data", icon=":material/dataset:", default=True),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("app_pages/runs.py", title="Runs", icon=":material/monitoring:"),
    st.Page("app_pages/grn.py", title="GRN", icon=":material/hub:"),
    st.Page("app_pages/embedding.py", title="Embedding", icon=":material/scatter_plot:"),
    st.Page("app_pages/simulation.py", title="Simulation", icon=":material/science:"),
]

st.navigation(PAGES).run()

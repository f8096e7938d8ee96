"""scGRN Studio: the Streamlit entry point. Layout only; all logic lives in `core`."""

import streamlit as st

from pathlib import Path

from ui.auth import require_login

ASSETS = Path(__file__).parent / "assets"
# the favicon ships with the app (a material icon would be fetched from a font host, failing offline)
st.set_page_config(page_title="scGRN Studio", page_icon=str(ASSETS / "favicon.png"), layout="wide")
require_login()  # only when sharing on a network (SCGRN_SHARE=1): nothing is drawn without the password
st.logo(str(ASSETS / "logo.svg"), size="large")

PAGES = [
    st.Page("app_pages/data.py", title="Data", icon=":material/dataset:", default=True),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("app_pages/runs.py", title="Runs", icon=":material/monitoring:"),
    st.Page("app_pages/grn.py", title="GRN", icon=":material/hub:"),
    st.Page("app_pages/embedding.py", title="Embedding", icon=":material/scatter_plot:"),
    st.Page("app_pages/simulation.py", title="Simulation", icon=":material/science:"),
    st.Page("app_pages/settings.py", title="Settings", icon=":material/settings:"),
]

st.navigation(PAGES).run()

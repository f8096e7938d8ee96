"""Embedding page: UMAP / clusters of a finished embedding run (filled in by the VAE/GMVAE work)."""

import streamlit as st

st.title("Embedding")
st.info("Train a VAE, GMVAE or DeepSEM embedding on the Train page; its UMAP and scores appear here.")

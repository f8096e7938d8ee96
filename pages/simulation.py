"""Simulation page: real vs simulated cells from a trained generative model."""

import streamlit as st

st.title("Simulation")
st.info("Simulate cells from a finished DeepSEM, VAE or GMVAE run and compare them with the real cells.")

"""Streamlit helpers shared by the pages (layout and session state only; no maths)."""

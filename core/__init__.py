"""scGRN Studio core: data layer, models, background jobs and metrics for single-cell GRN work.

`core` is a library first: everything the app does is callable from Python. It never imports streamlit.
"""

__version__ = "0.1.0"

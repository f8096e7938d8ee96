"""Datasets: summaries, preprocessing presets and the bundled sample data."""

"""Simulating cells from trained generative models and comparing them with real cells."""

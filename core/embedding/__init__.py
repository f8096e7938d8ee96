"""Embedding task: run an embedding model, add neighbours / Leiden / UMAP, score the latent space."""

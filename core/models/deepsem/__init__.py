"""DeepSEM (Shu et al. 2021): a beta-VAE whose latent layer is a linear structural equation model (W = the GRN).

Import the user-facing class from ``core.models.deepsem.model``.
"""

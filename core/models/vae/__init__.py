"""VAE and Gaussian-mixture VAE on single-cell counts (module / model / train / spec, scvi-tools style)."""

from .model import GMVAE, VAE

__all__ = ["VAE", "GMVAE"]

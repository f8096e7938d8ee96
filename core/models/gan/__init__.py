"""scGAN / cscGAN (Marouf et al., Nature Communications 2020): Wasserstein GANs that simulate cells."""

"""Model families (scvi-tools style: module / model / train / spec per family)."""

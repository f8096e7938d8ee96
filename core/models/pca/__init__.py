"""PCA: the embedding floor every learned embedding should beat (a family without training)."""

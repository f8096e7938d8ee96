"""Background jobs: a run directory is the single source of truth for one training run."""

"""Model families that tests register through core.registry.register (one file each, no edit elsewhere)."""

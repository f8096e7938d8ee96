"""Readers for expression matrices, reference networks and TF lists (AnnData is the data model)."""

from .expression import read_expression
from .networks import read_network, read_tf_list

__all__ = ["read_expression", "read_network", "read_tf_list"]

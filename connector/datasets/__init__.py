"""Dataset registry: which datasets exist, their graphs and access rules."""

from connector.datasets.registry import Dataset, DatasetRegistry

__all__ = ["Dataset", "DatasetRegistry"]

"""The error a dataset or sequence that cannot be used raises (its own module: the dataset reader and the
video decoding both raise it)."""

from __future__ import annotations

__all__ = ["DatasetError"]


class DatasetError(ValueError):
    """A dataset or sequence folder is missing, malformed or inconsistent."""

"""Catalogue coverage@k: the share of all items that appear in at least one user's top k.

A catalogue metric: computed once from the summed exposure of every evaluated user's list,
so it has no per-user value.

Example:
    >>> import torch
    >>> coverage(torch.tensor([3.0, 0.0, 1.0, 0.0]))
    0.5
"""

from __future__ import annotations

from torch import Tensor

from bench.metrics.registry import catalogue_metric


@catalogue_metric("coverage", higher_is_better=True)
def coverage(exposure: Tensor) -> float:
    """Share of the catalogue recommended to at least one user (within the top k)."""
    return float((exposure > 0).sum()) / exposure.numel()

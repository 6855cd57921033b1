"""Gini index@k of item exposure: 0 when every item is recommended equally often, towards 1
when a few items take all the top-k slots.

Over all items of the catalogue (never-recommended items count as zero exposure), with exposure
``x`` sorted ascending: ``G = sum_i (2i - n - 1) x_i / (n * sum_i x_i)``, ``i = 1..n``
(0.0 when nothing was recommended).

Example:
    >>> import torch
    >>> gini(torch.tensor([0.0, 0.0, 0.0, 4.0]))
    0.75
    >>> gini(torch.tensor([2.0, 2.0]))
    0.0
"""

from __future__ import annotations

import torch
from torch import Tensor

from bench.metrics.registry import catalogue_metric


@catalogue_metric("gini", higher_is_better=False)
def gini(exposure: Tensor) -> float:
    """Gini index of how often each item is recommended (0 = equal exposure)."""
    x = torch.sort(exposure.double()).values
    n = x.numel()
    total = float(x.sum())
    if total == 0.0:
        return 0.0
    weight = 2.0 * torch.arange(1, n + 1, dtype=torch.float64, device=x.device) - n - 1
    return float((weight * x).sum()) / (n * total)

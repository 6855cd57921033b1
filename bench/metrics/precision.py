"""Precision@k exactly as trec_eval's ``P.k``: relevant items in the top k / k.

The denominator is k even when fewer than k items were retrieved.

Example:
    >>> import torch
    >>> precision(torch.tensor([[1, 0, 1]]), 3).tolist()
    [0.6666666666666666]
"""

from __future__ import annotations

from torch import Tensor

from bench.metrics.lists import RankedLists, check_cutoff, hit_counts
from bench.metrics.registry import per_user_metric


def precision(hits: Tensor, k: int) -> Tensor:
    """Per-user precision@k from a ``[users, K]`` relevance matrix in rank order."""
    check_cutoff(hits, k)
    return (hits[:, :k] > 0).sum(dim=1).double() / k


@per_user_metric("precision", higher_is_better=True)
def precision_metric(lists: RankedLists, k: int) -> Tensor:
    """Precision@k = hits / k (trec_eval P_k)."""
    return hit_counts(lists, k) / k

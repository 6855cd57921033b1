"""Recall@k exactly as trec_eval's ``recall.k``: relevant items in the top k / all relevant items.

Example:
    >>> import torch
    >>> recall(torch.tensor([[1, 0, 1]]), torch.tensor([4]), 3).tolist()
    [0.5]
"""

from __future__ import annotations

from torch import Tensor

from bench.metrics.lists import RankedLists, check_cutoff, hit_counts
from bench.metrics.registry import per_user_metric


def recall(hits: Tensor, n_relevant: Tensor, k: int) -> Tensor:
    """Per-user recall@k from a ``[users, K]`` relevance matrix in rank order."""
    check_cutoff(hits, k)
    return (hits[:, :k] > 0).sum(dim=1).double() / n_relevant.double()


@per_user_metric("recall", higher_is_better=True)
def recall_metric(lists: RankedLists, k: int) -> Tensor:
    """Recall@k = hits / |relevant| (trec_eval recall_k)."""
    return hit_counts(lists, k) / lists.n_relevant

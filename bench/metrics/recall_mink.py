"""Recall@k normalised by ``min(k, |relevant|)`` (``recall_minK``), as Mult-VAE's code does.

It reaches 1 whenever the top k is full of relevant items, also for users with more than k of
them. Not trec_eval's recall: report it under this name only.

Example:
    >>> import torch
    >>> recall_min_k(torch.tensor([[1, 0, 1]]), torch.tensor([4]), 3).tolist()
    [0.6666666666666666]
"""

from __future__ import annotations

import torch
from torch import Tensor

from bench.metrics.lists import RankedLists, check_cutoff, hit_counts
from bench.metrics.registry import per_user_metric


def recall_min_k(hits: Tensor, n_relevant: Tensor, k: int) -> Tensor:
    """Per-user hits@k / min(k, |relevant|)."""
    check_cutoff(hits, k)
    return (hits[:, :k] > 0).sum(dim=1).double() / torch.clamp(n_relevant.double(), max=k)


@per_user_metric("recall_minK", higher_is_better=True)
def recall_min_k_metric(lists: RankedLists, k: int) -> Tensor:
    """Recall@k over min(k, |relevant|) (Mult-VAE variant, not trec_eval)."""
    return hit_counts(lists, k) / torch.clamp(lists.n_relevant, max=k)

"""HitRate@k exactly as trec_eval's ``success.k``: 1 if any relevant item is in the top k.

Example:
    >>> import torch
    >>> hit_rate(torch.tensor([[0, 0, 1], [0, 0, 0]]), 3).tolist()
    [1.0, 0.0]
"""

from __future__ import annotations

from torch import Tensor

from bench.metrics.lists import RankedLists, check_cutoff, hit_counts
from bench.metrics.registry import per_user_metric


def hit_rate(hits: Tensor, k: int) -> Tensor:
    """Per-user 1.0 / 0.0: a relevant item within the first ``k`` ranks."""
    check_cutoff(hits, k)
    return (hits[:, :k] > 0).any(dim=1).double()


@per_user_metric("hitrate", higher_is_better=True)
def hit_rate_metric(lists: RankedLists, k: int) -> Tensor:
    """HitRate@k = 1 if any hit in the top k (trec_eval success_k)."""
    return (hit_counts(lists, k) > 0).double()

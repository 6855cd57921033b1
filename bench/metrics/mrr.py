"""MRR@k: 1 / rank of the first relevant item within the top k, else 0.

Equals trec_eval's ``recip_rank`` on runs truncated to k (trec_eval has no cutoff for it).

Example:
    >>> import torch
    >>> reciprocal_rank(torch.tensor([[0, 0, 1], [0, 0, 1]]), 2).tolist()
    [0.0, 0.0]
    >>> reciprocal_rank(torch.tensor([[0, 0, 1], [0, 1, 1]]), 3).tolist()
    [0.3333333333333333, 0.5]
"""

from __future__ import annotations

import torch
from torch import Tensor

from bench.metrics.lists import RankedLists, check_cutoff
from bench.metrics.registry import per_user_metric


def reciprocal_rank(hits: Tensor, k: int) -> Tensor:
    """Per-user reciprocal rank of the first hit within ``k`` (0 when there is none)."""
    check_cutoff(hits, k)
    top = hits[:, :k] > 0
    first = top.to(torch.uint8).argmax(dim=1)  # index of the first True (0 if none)
    found = top.any(dim=1)
    return torch.where(found, 1.0 / (first + 1).double(), torch.zeros((), dtype=torch.float64))


@per_user_metric("mrr", higher_is_better=True)
def mrr_metric(lists: RankedLists, k: int) -> Tensor:
    """MRR@k = 1/rank of the first hit within k (trec_eval recip_rank on the top-k run)."""
    return reciprocal_rank(lists.gains, k)

"""NDCG@k exactly as trec_eval's ``ndcg_cut.k``.

Linear gain (the relevance grade), discount ``1 / log2(rank + 1)``, and the ideal DCG built from
*all* the user's relevant items sorted by gain and truncated at ``k``. For binary gains this
equals RecBole's NDCG (see :mod:`bench.metrics.ndcg_binary` for graded data).

Example:
    >>> import torch
    >>> gains = torch.tensor([[0.0, 3.0, 1.0]])
    >>> ideal = torch.tensor([[3.0, 2.0, 1.0]])
    >>> round(float(ndcg(gains, ideal, 3)[0]), 6)
    0.502491
"""

from __future__ import annotations

from torch import Tensor

from bench.metrics.lists import RankedLists, check_cutoff, discounts
from bench.metrics.registry import per_user_metric


def ndcg(gains: Tensor, ideal_gains: Tensor, k: int) -> Tensor:
    """Per-user NDCG@k from ``[users, K]`` gains in rank order and sorted ideal gains."""
    check_cutoff(gains, k)
    weight = discounts(k, gains)
    dcg = (gains[:, :k].double() * weight).sum(dim=1)
    idcg = (ideal_gains[:, :k].double() * weight).sum(dim=1)
    return dcg / idcg


@per_user_metric("ndcg", higher_is_better=True)
def ndcg_metric(lists: RankedLists, k: int) -> Tensor:
    """NDCG@k, trec_eval ndcg_cut (graded gains, IDCG over all relevant items)."""
    return ndcg(lists.gains, lists.ideal_gains, k)

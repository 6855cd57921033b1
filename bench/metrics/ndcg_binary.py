"""NDCG@k with binary gains, as RecBole computes it (``ndcg_binary``).

RecBole's NDCG marks each list position as relevant or not and uses the ideal DCG of
``min(|relevant|, k)`` ones, so grades are ignored: every relevant item gains 1. On binary data
this is identical to :mod:`bench.metrics.ndcg` (trec_eval ``ndcg_cut``); on graded data it
differs, which is why it has its own name.

Example:
    >>> import torch
    >>> hits = torch.tensor([[0.0, 3.0, 1.0]])
    >>> round(float(ndcg_binary(hits, torch.tensor([2.0]), 3)[0]), 6)
    0.693426
"""

from __future__ import annotations

import torch
from torch import Tensor

from bench.metrics.lists import RankedLists, check_cutoff, discounts
from bench.metrics.registry import per_user_metric


def ndcg_binary(gains: Tensor, n_relevant: Tensor, k: int) -> Tensor:
    """Per-user binary NDCG@k: gain 1 for every relevant (gain > 0) item."""
    check_cutoff(gains, k)
    weight = discounts(k, gains)
    dcg = ((gains[:, :k] > 0).double() * weight).sum(dim=1)
    ideal_length = torch.clamp(n_relevant.double(), max=k).long()
    idcg = torch.cumsum(weight, 0)[ideal_length - 1]
    return dcg / idcg


@per_user_metric("ndcg_binary", higher_is_better=True)
def ndcg_binary_metric(lists: RankedLists, k: int) -> Tensor:
    """NDCG@k with binary gains (RecBole's ndcg; equals ndcg on binary data)."""
    return ndcg_binary(lists.gains, lists.n_relevant, k)

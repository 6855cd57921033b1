"""MAP@k normalised by ``min(k, |relevant|)`` (``map_minK``), as RecBole's MAP does.

Not trec_eval's ``map_cut``: a user with more than k relevant items can still reach 1.

Example:
    >>> import torch
    >>> average_precision_min_k(torch.tensor([[1, 0, 1]]), torch.tensor([4]), 3).tolist()
    [0.5555555555555555]
"""

from __future__ import annotations

import torch
from torch import Tensor

from bench.metrics.lists import RankedLists
from bench.metrics.map import precision_sum
from bench.metrics.registry import per_user_metric


def average_precision_min_k(hits: Tensor, n_relevant: Tensor, k: int) -> Tensor:
    """Per-user AP@k divided by min(k, |relevant|) (RecBole's MAP)."""
    return precision_sum(hits, k) / torch.clamp(n_relevant.double(), max=k)


@per_user_metric("map_minK", higher_is_better=True)
def map_min_k_metric(lists: RankedLists, k: int) -> Tensor:
    """MAP@k over min(k, |relevant|) (RecBole's MAP, not trec_eval)."""
    return average_precision_min_k(lists.gains, lists.n_relevant, k)

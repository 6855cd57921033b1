"""MAP@k exactly as trec_eval's ``map_cut.k``.

Average precision cut at k: the sum of precision@r over the ranks r <= k that hold a relevant
item, divided by the number of *all* relevant items of the user.

Example:
    >>> import torch
    >>> average_precision(torch.tensor([[1, 0, 1]]), torch.tensor([4]), 3).tolist()
    [0.41666666666666663]
"""

from __future__ import annotations

import torch
from torch import Tensor

from bench.metrics.lists import RankedLists, check_cutoff
from bench.metrics.registry import per_user_metric


def precision_sum(hits: Tensor, k: int) -> Tensor:
    """Per-user sum of precision@r over the relevant ranks r <= k."""
    check_cutoff(hits, k)
    top = (hits[:, :k] > 0).double()
    ranks = torch.arange(1, k + 1, dtype=torch.float64, device=hits.device)
    return (torch.cumsum(top, dim=1) / ranks * top).sum(dim=1)


def average_precision(hits: Tensor, n_relevant: Tensor, k: int) -> Tensor:
    """Per-user AP@k normalised by all relevant items (trec_eval map_cut)."""
    return precision_sum(hits, k) / n_relevant.double()


@per_user_metric("map", higher_is_better=True)
def map_metric(lists: RankedLists, k: int) -> Tensor:
    """MAP@k = sum of precision at hit ranks <= k / |relevant| (trec_eval map_cut_k)."""
    return average_precision(lists.gains, lists.n_relevant, k)

"""Novelty@k: mean self-information ``-log2 p(i)`` of the items in a user's top k.

``p(i)`` is the share of training users who interacted with item ``i``
(``item_popularity[i] / n_train_users``, popularity counted once per user); items never seen in
training are treated as seen once (``p = 1 / n_train_users``) so the value stays finite. The
mean is over the items actually retrieved (0 for an empty list).

Example:
    >>> import torch
    >>> from bench.metrics.lists import RankedLists
    >>> lists = RankedLists(
    ...     gains=torch.zeros(1, 2), ideal_gains=torch.ones(1, 2), n_relevant=torch.ones(1),
    ...     items=torch.tensor([[0, 1]]), item_popularity=torch.tensor([4.0, 1.0]),
    ...     n_train_users=4)
    >>> novelty_metric(lists, 2).tolist()
    [1.0]
"""

from __future__ import annotations

import torch
from torch import Tensor

from bench.metrics.lists import RankedLists, check_cutoff
from bench.metrics.registry import per_user_metric


def mean_over_list(per_item: Tensor, items: Tensor, k: int) -> Tensor:
    """Per-user mean of ``per_item[item]`` over the retrieved items among the first k."""
    check_cutoff(items, k)
    top = items[:, :k]
    present = top >= 0
    values = per_item.double()[top.clamp_min(0)] * present
    return values.sum(dim=1) / present.sum(dim=1).clamp_min(1)


@per_user_metric("novelty", higher_is_better=True, requires=("item_popularity", "n_train_users"))
def novelty_metric(lists: RankedLists, k: int) -> Tensor:
    """Mean self-information -log2(share of training users with the item) of the top k."""
    assert lists.item_popularity is not None and lists.n_train_users  # checked by the evaluator
    share = lists.item_popularity.double().clamp_min(1.0) / lists.n_train_users
    return mean_over_list(-torch.log2(share), lists.items, k)

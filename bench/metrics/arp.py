"""Average recommendation popularity@k (ARP, Abdollahpouri et al.): the mean popularity of the
items in a user's top k (over the retrieved items; 0 for an empty list), popularity being the
evaluator's ``item_popularity`` (the runner passes training users per item).

Lower means less popularity bias (``higher_is_better=False``).

Example:
    >>> import torch
    >>> from bench.metrics.lists import RankedLists
    >>> lists = RankedLists(
    ...     gains=torch.zeros(1, 2), ideal_gains=torch.ones(1, 2), n_relevant=torch.ones(1),
    ...     items=torch.tensor([[0, 1]]), item_popularity=torch.tensor([40.0, 10.0]))
    >>> arp_metric(lists, 2).tolist()
    [25.0]
"""

from __future__ import annotations

from torch import Tensor

from bench.metrics.lists import RankedLists
from bench.metrics.novelty import mean_over_list
from bench.metrics.registry import per_user_metric


@per_user_metric("arp", higher_is_better=False, requires=("item_popularity",))
def arp_metric(lists: RankedLists, k: int) -> Tensor:
    """Mean training popularity (interaction count) of the items in the top k."""
    assert lists.item_popularity is not None  # checked by the evaluator
    return mean_over_list(lists.item_popularity, lists.items, k)

"""Intra-list diversity@k: mean pairwise cosine distance ``1 - cos(f_i, f_j)`` between the
feature vectors of the items in a user's top k.

Needs an item feature or embedding matrix ``[n_items, d]``. Pairs are taken among the items
actually retrieved; a list with fewer than two items scores 0. An all-zero feature vector has
similarity 0 to everything (distance 1).

Example:
    >>> import torch
    >>> features = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> intra_list_diversity(torch.tensor([[0, 1, 2]]), features, 3).tolist()
    [0.6666666666666666]
"""

from __future__ import annotations

import torch
from torch import Tensor

from bench.metrics.lists import RankedLists, check_cutoff
from bench.metrics.registry import per_user_metric


def intra_list_diversity(items: Tensor, features: Tensor, k: int) -> Tensor:
    """Per-user mean pairwise cosine distance among the retrieved items of the top k."""
    check_cutoff(items, k)
    top = items[:, :k]
    present = (top >= 0).double()
    unit = torch.nn.functional.normalize(features.double(), dim=1)
    vectors = unit[top.clamp_min(0)] * present.unsqueeze(2)
    similarity = torch.bmm(vectors, vectors.transpose(1, 2))
    n = present.sum(dim=1)
    pairs = n * (n - 1)  # ordered pairs i != j
    distance_sum = pairs - (similarity.sum(dim=(1, 2)) - (vectors * vectors).sum(dim=(1, 2)))
    return torch.where(pairs > 0, distance_sum / pairs.clamp_min(1), torch.zeros_like(n))


@per_user_metric("ild", higher_is_better=True, requires=("item_features",))
def ild_metric(lists: RankedLists, k: int) -> Tensor:
    """Intra-list diversity: mean pairwise cosine distance of item features in the top k."""
    assert lists.item_features is not None  # checked by the evaluator
    return intra_list_diversity(lists.items, lists.item_features, k)

"""Item segments of an evaluation: head and tail items by training popularity.

The head is the ``head_share`` most popular items of the catalogue by the number of training
users (ties: the lower item index first); every other item is the tail. A ranker's evaluation
computes each per-user metric a second and third time with the user's targets restricted to
head items and to tail items (the same scores, the same seen-item mask), so a report can say
whether a model wins on popular items only. A user without a head (tail) target has no head
(tail) value.

Example:
    >>> import torch
    >>> head_items(torch.tensor([5.0, 0.0, 9.0, 5.0, 1.0]), share=0.4).tolist()
    [True, False, True, False, False]
    >>> segment_column("head", "ndcg@10")
    'head:ndcg@10'
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

#: Item segments in the order reports show them.
ITEM_SEGMENTS: tuple[str, ...] = ("head", "tail")
#: Default share of the catalogue that is the head (the "20%" of the 80/20 rule).
HEAD_SHARE = 0.2


def head_items(popularity: Tensor, share: float = HEAD_SHARE) -> Tensor:
    """``[n_items]`` bool: the ``ceil(share * n_items)`` most popular items (never unseen ones).

    Args:
        popularity: ``[n_items]`` training users per item.
        share: fraction of the catalogue in the head, in (0, 1).
    """
    if not 0.0 < float(share) < 1.0:
        raise ValueError(f"eval.head_share={share!r} must be in (0, 1), e.g. 0.2")
    popularity = torch.as_tensor(popularity, dtype=torch.float64).reshape(-1)
    n_head = math.ceil(float(share) * popularity.numel())
    # stable descending sort: equal popularity keeps the lower item index first
    order = torch.sort(-popularity, stable=True).indices[:n_head]
    mask = torch.zeros(popularity.numel(), dtype=torch.bool)
    mask[order] = True
    return mask & (popularity > 0)


def segment_masks(popularity: Tensor | None, share: float = HEAD_SHARE) -> dict[str, Tensor]:
    """``{"head": mask, "tail": ~mask}``, or ``{}`` without popularity."""
    if popularity is None:
        return {}
    head = head_items(popularity, share)
    return {"head": head, "tail": ~head}


def segment_column(segment: str, metric: str) -> str:
    """Per-user column of ``metric`` restricted to ``segment``'s targets."""
    return f"{segment}:{metric}"

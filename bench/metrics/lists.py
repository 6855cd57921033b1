"""RankedLists: the top-k lists of a batch of users, as the metric kernels consume them.

Every tensor has one row per user and ``K`` = the largest cutoff columns, rank 1 first.
The evaluator (:mod:`bench.eval`) builds these from scores; tests and other callers can build
them directly, e.g. with :meth:`RankedLists.from_hits`.

Example:
    >>> import torch
    >>> lists = RankedLists.from_hits(torch.tensor([[0, 1, 1]]), n_relevant=torch.tensor([4]))
    >>> lists.gains.tolist(), lists.ideal_gains.tolist()
    ([[0.0, 1.0, 1.0]], [[1.0, 1.0, 1.0]])
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class RankedLists:
    """Top-k lists plus relevance information for a batch of users.

    Attributes:
        gains: ``[users, K]`` float64 gain of the item at each rank; 0 where the item is not
            relevant or nothing was retrieved. An item is relevant iff its gain is > 0 (with
            integer grades this is trec_eval's default ``relevance_level`` of 1).
        ideal_gains: ``[users, K]`` float64 the user's relevant gains sorted descending,
            zero-padded (the ideal list, for IDCG).
        n_relevant: ``[users]`` float64 number of relevant items of each user (all of them,
            not only those within K).
        items: ``[users, K]`` int64 item index at each rank, ``-1`` where nothing was
            retrieved (every remaining item was removed or scored ``-inf``); ``None`` if
            only accuracy metrics are computed.
        item_popularity: ``[n_items]`` float64 training interactions per item (novelty,
            average recommendation popularity), or ``None``.
        n_train_users: number of training users (novelty's probability denominator).
        item_features: ``[n_items, d]`` item feature or embedding matrix (intra-list
            diversity), or ``None``.
    """

    gains: Tensor
    ideal_gains: Tensor
    n_relevant: Tensor
    items: Tensor | None = None
    item_popularity: Tensor | None = None
    n_train_users: int | None = None
    item_features: Tensor | None = None

    @property
    def relevant(self) -> Tensor:
        """``[users, K]`` bool: the item at this rank is relevant."""
        return self.gains > 0

    @property
    def retrieved(self) -> Tensor:
        """``[users, K]`` bool: an item was retrieved at this rank."""
        if self.items is None:
            raise ValueError("these RankedLists carry no item ids; build them with items=...")
        return self.items >= 0

    @classmethod
    def from_hits(cls, hits: Tensor, n_relevant: Tensor, **context: object) -> RankedLists:
        """Binary-relevance lists from a ``[users, K]`` 0/1 hit matrix and relevant counts."""
        gains = hits.to(torch.float64)
        n_relevant = n_relevant.to(torch.float64)
        ranks = torch.arange(gains.shape[1], dtype=torch.float64, device=gains.device)
        ideal = (ranks < n_relevant.unsqueeze(1)).to(torch.float64)
        return cls(gains, ideal, n_relevant, **context)


def check_cutoff(table: Tensor, k: int) -> None:
    """Raise if a ``[users, K]`` table is too short for cutoff ``k``."""
    if not 1 <= k <= table.shape[1]:
        raise ValueError(
            f"cutoff k={k} needs lists of length >= k, got {table.shape[1]}; build the lists "
            f"with the largest cutoff you evaluate"
        )


def discounts(k: int, like: Tensor) -> Tensor:
    """``1 / log2(rank + 1)`` for ranks ``1..k`` (float64, on ``like``'s device)."""
    ranks = torch.arange(2, k + 2, dtype=torch.float64, device=like.device)
    return 1.0 / torch.log2(ranks)


def hit_counts(lists: RankedLists, k: int) -> Tensor:
    """``[users]`` float64 number of relevant items among the first ``k`` ranks."""
    check_cutoff(lists.gains, k)
    return lists.relevant[:, :k].sum(dim=1).to(torch.float64)

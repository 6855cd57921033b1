"""Turn top-k item lists and the users' targets into :class:`~bench.metrics.RankedLists`.

Example:
    >>> import torch
    >>> from bench.eval.sparse import RowSets
    >>> targets = RowSets(torch.tensor([0, 2]), torch.tensor([1, 3]), torch.tensor([2.0, 1.0]), 5)
    >>> lists = build_lists(torch.tensor([[3, 0, 1]]), torch.tensor([[0.9, 0.5, 0.1]]), targets)
    >>> lists.gains.tolist(), lists.ideal_gains.tolist(), lists.n_relevant.tolist()
    ([[1.0, 0.0, 2.0]], [[2.0, 1.0, 0.0]], [2.0])
"""

from __future__ import annotations

import torch
from torch import Tensor

from bench.eval.order import first_per_row
from bench.eval.sparse import RowSets
from bench.metrics.lists import RankedLists


def lookup_gains(items: Tensor, targets: RowSets) -> Tensor:
    """``[rows, K]`` float64 gain of each listed item (0 for non-targets and for item -1)."""
    keys = targets.flat_keys()
    if keys.numel() == 0:
        return torch.zeros(items.shape, dtype=torch.float64, device=items.device)
    rows = torch.arange(items.shape[0], device=items.device).unsqueeze(1)
    query = rows * targets.n_cols + items
    position = torch.searchsorted(keys, query).clamp_max(keys.numel() - 1)
    found = (keys[position] == query) & (items >= 0)
    return torch.where(found, targets.values[position], 0.0)


def ideal_gains(targets: RowSets, k: int) -> Tensor:
    """``[rows, k]`` float64 each row's target gains sorted descending, zero-padded."""
    ranks = torch.arange(k, device=targets.indptr.device)
    if bool((targets.values == 1.0).all()):  # binary: the ideal list is min(|rel|, k) ones
        return (ranks < targets.counts.unsqueeze(1)).to(torch.float64)
    values, _ = first_per_row(
        targets.row_ids(), targets.indices, targets.values, targets.n_rows, targets.n_cols, k
    )
    return values.clamp_min(0.0)  # padding (-inf) becomes 0


def build_lists(
    items: Tensor,
    scores: Tensor,
    targets: RowSets,
    gains: Tensor | None = None,
    **context: object,
) -> RankedLists:
    """RankedLists from ``[rows, K]`` items and their scores (``-inf``: nothing retrieved).

    Args:
        items: item index at each rank (``-1`` allowed for padding).
        scores: the score of each listed item; ``-inf`` marks ranks where nothing was retrieved
            (removed or ``-inf``-scored items).
        targets: the rows' relevant items with gains (values > 0).
        gains: the listed items' gains if already known (else looked up in ``targets``).
        context: item_popularity / n_train_users / item_features for beyond-accuracy metrics.
    """
    items = torch.where(scores > float("-inf"), items, -1)
    return RankedLists(
        gains=lookup_gains(items, targets) if gains is None else gains,
        ideal_gains=ideal_gains(targets, items.shape[1]),
        n_relevant=targets.counts.to(torch.float64),
        items=items,
        **context,
    )

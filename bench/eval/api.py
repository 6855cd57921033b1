"""One-call evaluation: score users in batches with a function and evaluate them.

Example:
    >>> import torch, scipy.sparse as sp
    >>> popularity = torch.tensor([5.0, 3.0, 9.0, 1.0])
    >>> score_fn = lambda users: popularity.expand(len(users), -1)
    >>> targets = sp.csr_matrix([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]])
    >>> seen = sp.csr_matrix([[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]])
    >>> result = evaluate(score_fn, targets, seen, metrics=["hitrate@1", "mrr@3"], batch_size=2)
    >>> result.metrics, result.n_users, result.n_skipped
    ({'hitrate@1': 0.5, 'mrr@3': 0.5}, 2, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from bench.eval.evaluator import FullRankingEvaluator
from bench.eval.result import EvalResult
from bench.eval.sparse import RowSets, as_row_sets


def evaluate(
    score_fn: Callable[[Tensor], Tensor],
    targets: sp.spmatrix | RowSets | Tensor,
    seen: sp.spmatrix | RowSets | Tensor | None = None,
    *,
    metrics: Sequence[str],
    users: Sequence[int] | Tensor | np.ndarray | None = None,
    batch_size: int = 1024,
    **evaluator_kwargs: Any,
) -> EvalResult:
    """Evaluate ``score_fn`` on ``users`` (default: every row of ``targets``).

    Args:
        score_fn: ``fn(user_ids: LongTensor[batch]) -> Tensor[batch, n_items]``, higher is
            better (a ranker's ``score``); its output is not modified.
        targets: ``[n_users, n_items]`` relevant items with gains, rows indexed by user id.
        seen: ``[n_users, n_items]`` items to leave out of each user's ranking (training
            items; training + validation items on test), or ``None``.
        metrics: metric strings, e.g. ``["ndcg@10", "recall@20"]``.
        users: user ids to evaluate; users without targets are counted as skipped and never
            scored.
        batch_size: users scored at once (memory ~ batch_size x n_items scores); results do
            not depend on it.
        **evaluator_kwargs: passed to :class:`FullRankingEvaluator` (``protocol``,
            ``item_popularity``, ...).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    n_users, n_items = (
        targets.shape if not isinstance(targets, RowSets) else (targets.n_rows, targets.n_cols)
    )
    target_rows = _Rows(targets, n_users, n_items, "targets")
    seen_rows = None if seen is None else _Rows(seen, n_users, n_items, "seen")
    ids = torch.arange(n_users) if users is None else torch.as_tensor(users).long().reshape(-1)
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= n_users):
        raise ValueError(f"users must be row indices of targets, in [0, {n_users})")
    evaluator = FullRankingEvaluator(metrics, n_items, **evaluator_kwargs)
    has_target = target_rows.counts[ids] > 0
    if not bool(has_target.all()):
        evaluator.skipped_ids.append(ids[~has_target].double())
        ids = ids[has_target]
    with torch.no_grad():
        for start in range(0, ids.numel(), batch_size):
            batch = ids[start : start + batch_size]
            scores = score_fn(batch)
            block_seen = None if seen_rows is None else seen_rows.take(batch)
            evaluator.update(batch, scores, target_rows.take(batch), block_seen)
            del scores  # free this batch's scores before the next one is made
    return evaluator.compute()


class _Rows:
    """Row access to targets / seen items; scipy matrices are sliced per batch, not converted
    whole (a 64-bit copy of ML-20M's would cost hundreds of MB)."""

    def __init__(self, data: object, n_rows: int, n_cols: int, name: str) -> None:
        if sp.issparse(data):
            if tuple(data.shape) != (n_rows, n_cols):
                raise ValueError(
                    f"{name} has shape {tuple(data.shape)}, expected {(n_rows, n_cols)}"
                )
            self.matrix: sp.csr_matrix | None = sp.csr_matrix(data)  # no copy if already CSR
            self.sets: RowSets | None = None
            self.counts = torch.from_numpy(np.diff(self.matrix.indptr).astype(np.int64))
        else:
            self.matrix = None
            self.sets = as_row_sets(data, n_rows, n_cols, name=name)
            self.counts = self.sets.counts
        self.n_cols, self.name = n_cols, name

    def take(self, rows: Tensor) -> RowSets:
        if self.sets is not None:
            return self.sets.take(rows)
        part = self.matrix[rows.numpy()]
        return as_row_sets(part, rows.numel(), self.n_cols, name=self.name)

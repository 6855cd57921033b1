"""Reference values from trec_eval (pytrec_eval) for random runs with ties.

Items become docnos that trec_eval sorts *descending* (it breaks score ties by ``strcmp`` of
docno, descending); ``docno(i) = f"d{n_items - 1 - i:07d}"`` makes that the ascending item
order, our documented tie rule.
"""

from __future__ import annotations

import numpy as np
import pytrec_eval


def docno(item: int, n_items: int) -> str:
    return f"d{n_items - 1 - item:07d}"


def reference_order(scores: np.ndarray) -> np.ndarray:
    """Item indices of one row by (score descending, item ascending); -inf items dropped."""
    order = np.lexsort((np.arange(scores.size), -scores))
    return order[np.isfinite(scores[order]) | (scores[order] > -np.inf)]


def random_problem(rng: np.random.Generator, n_users: int, n_items: int, graded: bool):
    """Integer scores with many ties, 1..n_items//2 relevant items per user, optional grades."""
    levels = int(rng.integers(2, 12))
    scores = rng.integers(0, levels, size=(n_users, n_items)).astype(np.float32)
    gains = np.zeros((n_users, n_items))
    for user in range(n_users):
        size = int(rng.integers(1, max(2, n_items // 2)))
        items = rng.choice(n_items, size=size, replace=False)
        gains[user, items] = rng.integers(1, 5, size=size) if graded else 1
    return scores, gains


def trec_values(scores: np.ndarray, gains: np.ndarray, measures: set[str], top: int | None = None):
    """pytrec_eval per-user results; ``top`` truncates each run to its first ``top`` items."""
    n_users, n_items = scores.shape
    qrels, run = {}, {}
    for user in range(n_users):
        query = f"q{user:06d}"
        relevant = np.flatnonzero(gains[user] > 0)
        qrels[query] = {docno(i, n_items): int(gains[user, i]) for i in relevant}
        order = reference_order(scores[user])
        if top is not None:
            order = order[:top]
        run[query] = {docno(i, n_items): float(scores[user, i]) for i in order}
    result = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    return [result[f"q{user:06d}"] for user in range(n_users)]

"""The whole evaluator (masking, deterministic top-k, gains, metrics) against trec_eval."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from eval_helpers import random_problem, trec_table

from bench.eval import FullRankingEvaluator

CUTOFFS = [1, 3, 5, 10, 20, 40]
NAMES = ["ndcg", "recall", "precision", "map", "hitrate", "mrr"]


def run_evaluator(problem, metrics, batch_size, **kwargs):
    n_users, n_items = problem.scores.shape
    evaluator = FullRankingEvaluator(metrics, n_items, **kwargs)
    targets, seen = problem.targets, problem.seen_csr
    for start in range(0, n_users, batch_size):
        rows = slice(start, start + batch_size)
        evaluator.update(
            torch.arange(n_users)[rows], torch.from_numpy(problem.scores[rows]),
            targets[rows], seen[rows],
        )  # fmt: skip
    return evaluator.compute()


@pytest.mark.parametrize(
    ("seed", "n_items", "graded", "batch_size", "levels"),
    [(0, 60, False, 7, None), (1, 60, True, 30, None), (2, 15, True, 4, None),
     (3, 6000, False, 11, 5), (4, 5300, True, 25, 20000), (5, 5500, False, 6, 3000)],
)  # fmt: skip
def test_evaluator_equals_trec_eval(seed, n_items, graded, batch_size, levels) -> None:
    """Catalogues of >= 4 * 41 * 32 items go through the grouped candidate search; many
    levels give few ties, few levels ties at every cut."""
    problem = random_problem(seed, 25, n_items, graded=graded, no_target=3, levels=levels)
    metrics = [f"{name}@{k}" for name in NAMES for k in CUTOFFS]
    result = run_evaluator(problem, metrics, batch_size, block_elements=5 * n_items)
    expected = trec_table(problem, CUTOFFS)
    assert result.n_users == 22 and result.n_skipped == 3
    assert result.per_user.index.tolist() == list(range(22))
    for key, per_user in expected.items():
        ours = result.per_user[key].to_numpy()
        theirs = np.array([per_user[user] for user in result.per_user.index])
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9, err_msg=key)
        assert result[key] == pytest.approx(theirs.mean(), abs=1e-12)


def test_ties_everywhere_follow_item_order() -> None:
    """All scores equal: the ranking is items 0, 1, 2, ... minus the seen ones."""
    scores = torch.zeros(1, 3000)
    targets = torch.zeros(1, 3000)
    targets[0, [5, 7]] = 1
    seen = torch.zeros(1, 3000)
    seen[0, :5] = 1
    evaluator = FullRankingEvaluator(["mrr@10", "ndcg@3"], 3000)
    evaluator.update([0], scores, targets, seen)
    result = evaluator.compute()
    assert result["mrr@10"] == 1.0  # item 5 first
    assert result["ndcg@3"] == pytest.approx((1 + 1 / np.log2(4)) / (1 + 1 / np.log2(3)))

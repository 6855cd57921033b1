"""FullRankingEvaluator / evaluate(): behaviour, errors, and invariance to batching."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from eval_helpers import random_problem
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.eval import EvalResult, FullRankingEvaluator, evaluate

METRICS = ["ndcg@5", "recall@10", "mrr@3", "map@10", "precision@5", "hitrate@1", "coverage@5"]
METRICS += ["gini@10", "novelty@5", "arp@5", "ild@5", "ndcg_binary@10", "recall_minK@5"]


def context(n_items: int, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {
        "item_popularity": torch.randint(0, 50, (n_items,), generator=g).double(),
        "n_train_users": 50,
        "item_features": torch.randn(n_items, 4, generator=g),
    }


def evaluate_problem(problem, batch_size, block_elements=1 << 22, order=None) -> EvalResult:
    n_users, n_items = problem.scores.shape
    scores = torch.from_numpy(problem.scores)
    users = torch.arange(n_users) if order is None else torch.as_tensor(order)
    return evaluate(
        lambda batch: scores[batch], problem.targets, problem.seen_csr, metrics=METRICS,
        users=users, batch_size=batch_size, block_elements=block_elements, **context(n_items),
    )  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 1000), st.integers(1, 40), st.integers(1, 5000), st.booleans())
def test_batch_size_and_user_order_never_change_a_result(seed, batch, block, shuffle) -> None:
    problem = random_problem(seed, n_users=23, n_items=70, graded=bool(seed % 2), no_target=2)
    reference = evaluate_problem(problem, batch_size=23)
    order = np.random.default_rng(seed).permutation(23) if shuffle else None
    other = evaluate_problem(problem, batch_size=batch, block_elements=block, order=order)
    pd.testing.assert_frame_equal(reference.per_user, other.per_user, check_exact=True)
    assert reference.metrics == other.metrics
    assert (other.n_users, other.n_skipped) == (21, 2)


def test_result_layout() -> None:
    problem = random_problem(0, n_users=10, n_items=40, no_target=1)
    result = evaluate_problem(problem, batch_size=4)
    per_user_keys = [m for m in METRICS if not m.startswith(("coverage", "gini"))]
    assert list(result.per_user.columns) == per_user_keys
    assert list(result.metrics) == [*per_user_keys, "coverage@5", "gini@10"]
    assert result.per_user.index.name == "user"
    assert result.per_user.index.tolist() == list(range(9))
    assert result.protocol == "full"
    assert result.higher_is_better["gini@10"] is False and result.higher_is_better["ndcg@5"]
    assert result["ndcg@5"] == pytest.approx(result.per_user["ndcg@5"].mean())
    assert "9 users (1 skipped)" in str(result) and "ndcg@5" in repr(result)
    assert result.summary()["n_users"] == 9
    with pytest.raises(KeyError, match="no metric 'ndcg@50'"):
        result["ndcg@50"]


def test_catalogue_metrics_from_the_lists() -> None:
    scores = torch.tensor([[3.0, 2.0, 1.0, 0.0], [3.0, 2.0, 1.0, 0.0], [0.0, 1.0, 2.0, 3.0]])
    targets = torch.ones(3, 4)
    evaluator = FullRankingEvaluator(["coverage@1", "coverage@2", "gini@1"], 4)
    evaluator.update([0, 1, 2], scores, targets)
    result = evaluator.compute()
    # top-1 lists: items 0, 0, 3 -> exposure [2, 0, 0, 1]; top-2 adds 1, 1, 2
    assert result["coverage@1"] == 0.5 and result["coverage@2"] == 1.0
    assert result["gini@1"] == pytest.approx((-3 * 0 - 0 + 1 * 1 + 3 * 2) / (4 * 3))
    assert result.per_user.shape == (3, 0)


def test_a_seen_target_cannot_be_retrieved_but_still_counts() -> None:
    evaluator = FullRankingEvaluator(["recall@2", "hitrate@1"], 3)
    evaluator.update([0], torch.tensor([[0.9, 0.5, 0.1]]), torch.tensor([[1, 1, 0]]),
                     torch.tensor([[1, 0, 0]]))  # fmt: skip
    assert evaluator.compute().metrics == {"recall@2": 0.5, "hitrate@1": 1.0}


def test_repeated_users_are_kept_once_and_must_agree() -> None:
    evaluator = FullRankingEvaluator(["ndcg@2"], 3)
    scores, targets = torch.tensor([[0.9, 0.5, 0.1]]), torch.tensor([[0, 1, 0]])
    evaluator.update([4], scores, targets)
    evaluator.update([4], scores, targets)
    result = evaluator.compute()
    assert result.n_users == 1 and result.per_user.index.tolist() == [4]
    evaluator.update([4], torch.tensor([[0.5, 0.1, 0.9]]), targets)
    with pytest.raises(ValueError, match="user 4 was evaluated more than once"):
        evaluator.compute()


def test_reset_and_empty() -> None:
    evaluator = FullRankingEvaluator(["ndcg@2"], 3)
    evaluator.update([0], torch.rand(1, 3), torch.tensor([[0, 1, 0]]))
    evaluator.reset()
    evaluator.update([1], torch.rand(1, 3), torch.zeros(1, 3))
    result = evaluator.compute()
    assert (result.n_users, result.n_skipped, result.per_user.shape) == (0, 1, (0, 1))
    assert np.isnan(result["ndcg@2"])


def test_inputs_are_not_modified() -> None:
    problem = random_problem(1, n_users=5, n_items=30)
    scores = torch.from_numpy(problem.scores.copy())
    evaluator = FullRankingEvaluator(["ndcg@5"], 30)
    evaluator.update(torch.arange(5), scores, problem.targets, problem.seen_csr)
    assert torch.equal(scores, torch.from_numpy(problem.scores))


@pytest.mark.parametrize(
    ("kwargs", "update", "message"),
    [({"metrics": "ndcg@10"}, None, "non-empty list"),
     ({"metrics": ["ndcg"]}, None, "no cutoff"),
     ({"metrics": ["novelty@5"]}, None, "novelty@5 needs item_popularity"),
     ({"metrics": ["ild@5"], "item_features": torch.ones(4, 2)}, None, "item_features must be"),
     ({"metrics": ["arp@5"], "item_popularity": torch.ones(4)}, None, "item_popularity has 4"),
     ({}, {"scores": torch.rand(2, 4)}, r"scores must be \[batch, n_items=3\]"),
     ({}, {"user_ids": [0]}, "1 user ids for 2 rows"),
     ({}, {"user_ids": [-1, 0]}, r"user ids must be in \[0, 2\*\*53\)"),
     ({}, {"targets": torch.ones(3, 3)}, r"targets has shape \(3, 3\), expected \(2, 3\)"),
     ({}, {"targets": -torch.ones(2, 3)}, "negative values"),
     ({}, {"targets": [[1, 0, 0]]}, "targets must be a scipy sparse matrix"),
     ({}, {"scores": torch.tensor([[0.0, float("nan"), 1.0], [0, 1, 2]])}, "NaN")],
)  # fmt: skip
def test_errors_name_the_bad_value(kwargs, update, message) -> None:
    build = {"metrics": ["ndcg@2"], "n_items": 3} | kwargs
    call = {"user_ids": [0, 1], "scores": torch.rand(2, 3), "targets": torch.eye(2, 3)}
    with pytest.raises(ValueError, match=message):
        FullRankingEvaluator(**build).update(**(call | (update or {})))


def test_evaluate_checks_users_and_batch_size() -> None:
    targets = sp.csr_matrix(np.eye(3))
    with pytest.raises(ValueError, match=r"users must be row indices of targets, in \[0, 3\)"):
        evaluate(lambda u: torch.rand(len(u), 3), targets, metrics=["ndcg@1"], users=[5])
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        evaluate(lambda u: torch.rand(len(u), 3), targets, metrics=["ndcg@1"], batch_size=0)


def test_score_fn_is_never_called_for_users_without_targets() -> None:
    called = []

    def score_fn(users: torch.Tensor) -> torch.Tensor:
        called.extend(users.tolist())
        return torch.rand(len(users), 3)

    targets = sp.csr_matrix([[1, 0, 0], [0, 0, 0], [0, 1, 0]])
    result = evaluate(score_fn, targets, metrics=["ndcg@1"], batch_size=1)
    assert called == [0, 2] and result.n_skipped == 1

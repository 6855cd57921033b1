"""Sampled-candidate evaluation: labelled everywhere, seeded per user, and equal to full
ranking when the sample holds every eligible item."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from eval_helpers import random_problem

from bench.eval import (
    FullRankingEvaluator,
    PopularityNegatives,
    SampledCandidates,
    UniformNegatives,
    evaluate,
)
from bench.eval.negatives import NotEnoughNegativesError
from bench.eval.sparse import as_row_sets


def run(problem, protocol, batch_size=7, metrics=("ndcg@10", "hitrate@5")):
    scores = torch.from_numpy(problem.scores)
    return evaluate(
        lambda users: scores[users], problem.targets, problem.seen_csr, metrics=list(metrics),
        batch_size=batch_size, protocol=protocol,
    )  # fmt: skip


def test_every_sampled_number_is_labelled() -> None:
    problem = random_problem(0, 12, 400, seen_share=0.5)
    result = run(problem, SampledCandidates(UniformNegatives(n=20, seed=3)))
    assert result.protocol == "sampled(uniform,n=20,seed=3)"
    assert list(result.metrics) == ["sampled_ndcg@10", "sampled_hitrate@5"]
    assert list(result.per_user.columns) == ["sampled_ndcg@10", "sampled_hitrate@5"]
    assert set(result.higher_is_better) == {"sampled_ndcg@10", "sampled_hitrate@5"}
    with pytest.raises(KeyError):
        result["ndcg@10"]


def test_sampled_scores_differ_from_full_and_repeat_by_seed() -> None:
    problem = random_problem(1, 20, 500, levels=10_000, seen_share=0.5)
    full = run(problem, None)
    sampled = run(problem, SampledCandidates(UniformNegatives(n=15, seed=0)))
    again = run(problem, SampledCandidates(UniformNegatives(n=15, seed=0)), batch_size=3)
    other = run(problem, SampledCandidates(UniformNegatives(n=15, seed=1)))
    assert sampled.metrics == again.metrics
    assert sampled.metrics != other.metrics
    assert sampled["sampled_ndcg@10"] > full["ndcg@10"]  # few negatives: an easier task


def test_all_eligible_items_as_negatives_equals_full_ranking() -> None:
    """Every user has 10 targets + 20 seen items of 80: 50 eligible negatives."""
    rng = np.random.default_rng(2)
    n_users, n_items = 9, 80
    gains, seen = np.zeros((n_users, n_items)), np.zeros((n_users, n_items))
    for user in range(n_users):
        items = rng.permutation(n_items)
        gains[user, items[:10]], seen[user, items[10:30]] = 1, 1
    scores = torch.from_numpy(rng.integers(0, 6, (n_users, n_items)).astype(np.float32))
    metrics = ["ndcg@10", "map@20", "mrr@5"]
    full = evaluate(lambda u: scores[u], sp.csr_matrix(gains), sp.csr_matrix(seen),
                    metrics=metrics)  # fmt: skip
    for negatives in (UniformNegatives(n=50), PopularityNegatives(np.ones(n_items), n=50)):
        sampled = evaluate(lambda u: scores[u], sp.csr_matrix(gains), sp.csr_matrix(seen),
                           metrics=metrics, protocol=SampledCandidates(negatives))  # fmt: skip
        for key in metrics:
            assert sampled[f"sampled_{key}"] == full[key]


def test_negatives_avoid_targets_and_seen_items() -> None:
    problem = random_problem(3, 15, 300, seen_share=0.5)
    targets = as_row_sets(problem.targets, 15, 300)
    seen = as_row_sets(problem.seen_csr, 15, 300)
    protocol = SampledCandidates(UniformNegatives(n=25, seed=9))
    keys = protocol.negative_keys(torch.arange(15), targets, seen).numpy()
    rows, items = keys // 300, keys % 300
    assert np.bincount(rows, minlength=15).tolist() == [25] * 15
    assert not (problem.gains[rows, items] > 0).any()
    assert not problem.seen[rows, items].any()
    assert len(set(keys.tolist())) == keys.size  # distinct per user


def test_popularity_negatives_follow_popularity() -> None:
    popularity = np.array([0.0] * 10 + [1.0] * 45 + [50.0] * 45)
    sampler = PopularityNegatives(popularity, n=10, seed=0)
    draws = np.concatenate(
        [sampler.sample(u, np.array([], dtype=np.int64), 100) for u in range(300)]
    )
    assert not (draws < 10).any()  # zero popularity: never drawn
    assert (draws >= 55).mean() > 0.8  # 50x more popular items dominate
    assert sampler.label == "popularity,n=10,seed=0"


def test_not_enough_negatives() -> None:
    sampler = UniformNegatives(n=5)
    with pytest.raises(NotEnoughNegativesError, match="user 3 has only 4 items eligible"):
        sampler.sample(3, np.array([0, 1, 2, 3, 4, 5]), 10)
    with pytest.raises(ValueError, match="n must be >= 1"):
        UniformNegatives(n=0)
    with pytest.raises(ValueError, match="item_popularity has 3 items, scores have 10"):
        PopularityNegatives(np.ones(3), n=1).sample(0, np.array([], dtype=np.int64), 10)


def test_full_ranking_is_the_default_protocol() -> None:
    evaluator = FullRankingEvaluator(["ndcg@1"], 3)
    assert evaluator.protocol.label == "full" and evaluator.keys() == ["ndcg@1"]
    sampled = FullRankingEvaluator(["ndcg@1"], 3, protocol=SampledCandidates())
    assert sampled.keys() == ["sampled_ndcg@1"]
    assert sampled.protocol.label == "sampled(uniform,n=100,seed=0)"

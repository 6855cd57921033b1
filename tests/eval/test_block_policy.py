"""The device block policy (GPU: big blocks, fixed-shape ranking, no host syncs in the block
loop) gives exactly the lists, gains and metrics of the CPU cache policy, ties included; on CUDA
(when present) its per-block work runs under ``torch.cuda.set_sync_debug_mode("error")``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.eval import FullRankingEvaluator
from bench.eval.blocks import BlockRanker, block_policy, device_block_rows, gains_fixed, rank_fixed
from bench.eval.protocol import FullRanking
from bench.eval.sparse import RowSets, as_row_sets
from bench.eval.topk import topk_ranked

CUDA = torch.cuda.is_available()


def _sets(rng: np.random.Generator, n_users: int, n_items: int, size: int, graded: bool):
    dense = np.zeros((n_users, n_items))
    for user in range(n_users):
        picked = rng.choice(n_items, size=min(size, n_items), replace=False)
        dense[user, picked] = rng.integers(1, 4, picked.size) if graded else 1.0
    return dense


def _problem(seed: int, n_users: int, n_items: int, dtype: torch.dtype, graded: bool):
    """Heavily tied scores (5 levels), -inf entries, and users with fewer unseen items than k."""
    rng = np.random.default_rng(seed)
    scores = torch.from_numpy(rng.integers(0, 5, (n_users, n_items))).to(dtype)
    scores[rng.random((n_users, n_items)) < 0.05] = float("-inf")
    scores[3, :] = 2.0  # one row tied everywhere
    scores[5, :] = 1.0  # (and finite: its 4 rankable items are listed in index order)
    seen = _sets(rng, n_users, n_items, n_items // 3, False)
    seen[5] = 0.0
    seen[5, : n_items - 4] = 1.0  # only 4 rankable items
    targets = as_row_sets(_sets(rng, n_users, n_items, 12, graded), n_users, n_items)
    return scores, targets, as_row_sets(seen, n_users, n_items, name="seen")


def _rank(ranker: BlockRanker, scores, targets, seen, rows=None):
    rows = torch.arange(scores.shape[0], device=scores.device) if rows is None else rows
    return ranker.rank(FullRanking(), scores, rows, rows + 100, targets.take(rows),
                       None if seen is None else seen.take(rows))  # fmt: skip


def _assert_same(got, want) -> None:
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert torch.equal(a, b)


def test_policy_follows_the_device() -> None:
    assert block_policy("cpu") == "cache" and block_policy(torch.device("cuda", 0)) == "device"
    assert device_block_rows(4096, 26_752, torch.zeros(1)) == (1 << 30) // (26_752 * 20)
    assert device_block_rows(4096, 100, torch.zeros(1), budget_bytes=100 * 20 * 7) == 7
    assert device_block_rows(10, 100, torch.zeros(1), budget_bytes=1) == 1
    with pytest.raises(ValueError, match="policy must be one of"):
        BlockRanker(5, 2, policy="gpu")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("graded", [False, True])
@pytest.mark.parametrize("k", [1, 10, 300])  # 300 > n_items: every item listed
@pytest.mark.parametrize("device_bytes", [None, 3000 * 24])  # one block / blocks of 3 rows
def test_device_policy_equals_cache_policy(dtype, graded, k, device_bytes) -> None:
    n_users, n_items = 67, 150
    scores, targets, seen = _problem(7, n_users, n_items, dtype, graded)
    want = _rank(BlockRanker(n_items, k, block_elements=8 * n_items, workers=1), scores,
                 targets, seen)  # fmt: skip
    device = BlockRanker(n_items, k, policy="device", device_bytes=device_bytes)
    got = _rank(device, scores, targets, seen)
    _assert_same(got, want)
    assert (want[1][5, :k] >= 0).sum() == min(k, 4)  # the short row lists its 4 items only
    assert want[2].sum() > 0
    rows = torch.tensor([9, 2, 40, 3, 5])  # a subset, out of order (the gather path)
    _assert_same(_rank(device, scores, targets, None, rows),
                 _rank(BlockRanker(n_items, k), scores, targets, None, rows))  # fmt: skip


@pytest.mark.parametrize("seed", range(5))
def test_rank_fixed_is_the_tie_rule_of_topk_ranked(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_items = int(rng.integers(1, 90))
    scores = torch.from_numpy(rng.integers(0, 3, (40, n_items)).astype(np.float32))
    scores[torch.from_numpy(rng.random((40, n_items)) < 0.3)] = float("-inf")
    scores[0] = -0.0  # signed zeros tie with zeros
    scores[0, ::2] = 0.0
    k = int(rng.integers(1, 20))
    values, items, leading = rank_fixed(scores, n_items, k)
    want_values, want_items = topk_ranked(scores, k)
    width = min(k, n_items)
    listed = want_values[:, :width] > float("-inf")
    assert torch.equal(values, want_values[:, :width])
    assert torch.equal(leading, want_values[:, 0])
    assert torch.equal(items[listed], want_items[:, :width][listed])


def test_device_policy_raises_on_nan_like_the_cache_policy() -> None:
    scores, targets, seen = _problem(1, 20, 50, torch.float32, False)
    scores[13, 7::9] = float("nan")  # some of them unseen
    for policy in ("cache", "device"):
        with pytest.raises(ValueError, match="scores contain NaN"):
            _rank(BlockRanker(50, 10, policy=policy), scores, targets, seen)


def test_evaluator_metrics_equal_under_both_policies() -> None:
    n_users, n_items = 120, 200
    scores, targets, seen = _problem(4, n_users, n_items, torch.float32, True)
    metrics = ["ndcg@10", "recall@20", "mrr@5", "map@50", "hitrate@1", "coverage@10"]
    results = []
    for policy in ("cache", "device"):
        evaluator = FullRankingEvaluator(metrics, n_items, block_policy=policy)
        evaluator.update(torch.arange(n_users), scores, targets, seen)
        results.append(evaluator.compute())
    assert results[0].metrics == results[1].metrics
    assert results[0].per_user.equals(results[1].per_user)
    assert results[0].metrics["ndcg@10"] > 0


def test_gains_fixed_looks_up_graded_gains() -> None:
    targets = RowSets(torch.tensor([0, 2, 3]), torch.tensor([1, 4, 0]),
                      torch.tensor([3.0, 2.0, 1.0]), 5)  # fmt: skip
    values = torch.tensor([[1.0, 0.5, 0.2], [0.7, 0.1, float("-inf")]])
    items = torch.tensor([[4, 0, 1], [2, 0, 0]])
    assert gains_fixed(values, items, targets).tolist() == [[2.0, 0.0, 3.0], [0.0, 1.0, 0.0]]


@pytest.mark.skipif(not CUDA, reason="needs CUDA (the CPU runs the same code path above)")
def test_cuda_device_policy_equals_cpu_and_never_syncs_in_a_block() -> None:
    n_users, n_items, k = 300, 2000, 50
    scores, targets, seen = _problem(2, n_users, n_items, torch.float32, True)
    want = _rank(BlockRanker(n_items, k), scores, targets, seen)
    gpu = [t.cuda() for t in (scores,)] + [s.to("cuda") for s in (targets, seen)]
    got = _rank(BlockRanker(n_items, k), *gpu)
    _assert_same(tuple(t.cpu() for t in got), want)
    # one block's work, as the device policy's loop does it, with host syncs as errors
    block = torch.full((n_users, -(-n_items // 32) * 32), float("-inf"), device="cuda")
    rows = torch.arange(n_users, device="cuda")
    cuda_scores, cuda_targets, cuda_seen = gpu
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        FullRanking().fill(block[:, :n_items], cuda_scores, slice(0, n_users), rows,
                           cuda_targets, cuda_seen)  # fmt: skip
        values, items, _ = rank_fixed(block, n_items, k)
        gains = gains_fixed(values, items, cuda_targets)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert torch.equal(gains.cpu(), want[2])

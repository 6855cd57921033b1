"""Every ranking metric against trec_eval (pytrec_eval) to 1e-9, on random runs with ties,
varied cutoffs, varied relevant-set sizes, binary and graded gains.

The lists fed to our kernels come from an independent numpy ranking (lexsort), so this tests
the metric definitions; tests/eval/test_evaluator_trec.py tests the whole evaluator.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from trec_reference import random_problem, reference_order, trec_values

from bench.metrics import RankedLists, parse_metric

CUTOFFS = [1, 2, 3, 5, 10, 20, 50]


def our_lists(scores: np.ndarray, gains: np.ndarray, depth: int) -> RankedLists:
    n_users = scores.shape[0]
    items = np.full((n_users, depth), -1)
    for user in range(n_users):
        order = reference_order(scores[user])[:depth]
        items[user, : order.size] = order
    listed = np.where(items >= 0, np.take_along_axis(gains, items.clip(0), 1), 0.0)
    ideal = -np.sort(-gains, axis=1)[:, :depth]
    ideal = np.pad(ideal, ((0, 0), (0, depth - ideal.shape[1])))
    return RankedLists(
        gains=torch.from_numpy(listed),
        ideal_gains=torch.from_numpy(ideal),
        n_relevant=torch.from_numpy((gains > 0).sum(1).astype(np.float64)),
        items=torch.from_numpy(items),
    )


def ours(lists: RankedLists, name: str) -> np.ndarray:
    key = parse_metric(name)
    return key.spec.per_user(lists, key.k).numpy()


@pytest.mark.parametrize("graded", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_metrics_equal_trec_eval(seed: int, graded: bool) -> None:
    rng = np.random.default_rng(seed)
    n_items = int(rng.integers(8, 120))  # cutoffs above n_items too: P_k keeps k
    scores, gains = random_problem(rng, n_users=40, n_items=n_items, graded=graded)
    lists = our_lists(scores, gains, max(CUTOFFS))
    cut = ",".join(map(str, CUTOFFS))
    measures = {f"ndcg_cut.{cut}", f"recall.{cut}", f"P.{cut}", f"map_cut.{cut}"}
    measures |= {f"success.{cut}", "num_rel"}
    trec = trec_values(scores, gains, measures)
    binary = trec_values(scores, (gains > 0).astype(float), {f"ndcg_cut.{cut}"})
    n_rel = np.array([t["num_rel"] for t in trec])
    for k in CUTOFFS:
        expect = {
            f"ndcg@{k}": [t[f"ndcg_cut_{k}"] for t in trec],
            f"ndcg_binary@{k}": [t[f"ndcg_cut_{k}"] for t in binary],
            f"recall@{k}": [t[f"recall_{k}"] for t in trec],
            f"precision@{k}": [t[f"P_{k}"] for t in trec],
            f"map@{k}": [t[f"map_cut_{k}"] for t in trec],
            f"hitrate@{k}": [t[f"success_{k}"] for t in trec],
            # the min(k, |rel|) variants rescale trec_eval's recall and map_cut
            f"recall_minK@{k}": [t[f"recall_{k}"] for t in trec] * n_rel / np.minimum(k, n_rel),
            f"map_minK@{k}": [t[f"map_cut_{k}"] for t in trec] * n_rel / np.minimum(k, n_rel),
        }
        for name, values in expect.items():
            np.testing.assert_allclose(ours(lists, name), values, rtol=0, atol=1e-9, err_msg=name)
        top = trec_values(scores, gains, {"recip_rank"}, top=k)  # recip_rank has no cutoff
        mrr = [t["recip_rank"] for t in top]
        np.testing.assert_allclose(ours(lists, f"mrr@{k}"), mrr, rtol=0, atol=1e-9)


def test_graded_ndcg_differs_from_binary_variant() -> None:
    """On graded data ndcg (trec_eval) and ndcg_binary (RecBole) are different numbers."""
    lists = RankedLists(
        gains=torch.tensor([[1.0, 3.0]]),
        ideal_gains=torch.tensor([[3.0, 1.0]]),
        n_relevant=torch.tensor([2.0]),
    )
    graded = ours(lists, "ndcg@2")[0]
    binary = ours(lists, "ndcg_binary@2")[0]
    assert graded == pytest.approx((1 + 3 / np.log2(3)) / (3 + 1 / np.log2(3)))
    assert binary == pytest.approx(1.0)

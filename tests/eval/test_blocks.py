"""Block ranking: parallel CPU threads give exactly the single-thread lists and gains."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.eval.blocks import BlockRanker
from bench.eval.protocol import FullRanking
from bench.eval.sparse import as_row_sets

CONTEXTS = {"plain": torch.enable_grad, "no_grad": torch.no_grad, "inference": torch.inference_mode}


def _sets(rng: np.random.Generator, n_users: int, n_items: int, size: int, graded: bool):
    dense = np.zeros((n_users, n_items))
    for user in range(n_users):
        picked = rng.choice(n_items, size=size, replace=False)
        dense[user, picked] = rng.integers(1, 4, size) if graded else 1.0
    return dense


@pytest.mark.parametrize("mode", ["plain", "no_grad", "inference"])
def test_parallel_blocks_equal_single_thread(mode: str) -> None:
    rng = np.random.default_rng(3)
    n_users, n_items, k = 257, 300, 20
    scores = torch.from_numpy(rng.integers(0, 5, (n_users, n_items)).astype(np.float32))
    targets = as_row_sets(_sets(rng, n_users, n_items, 15, True), n_users, n_items)
    seen = as_row_sets(_sets(rng, n_users, n_items, 30, False), n_users, n_items, name="seen")
    rows, users = torch.arange(n_users), torch.arange(n_users)
    outputs = []
    for workers in (1, 2, 3):
        ranker = BlockRanker(n_items, k, block_elements=10 * n_items, workers=workers)
        assert ranker._n_workers(scores, n_blocks=26) == workers
        with CONTEXTS[mode]():  # Lightning validates under inference mode
            outputs.append(ranker.rank(FullRanking(), scores, rows, users, targets, seen))
    for values, items, gains in outputs[1:]:
        assert torch.equal(values, outputs[0][0])
        assert torch.equal(items, outputs[0][1])
        assert torch.equal(gains, outputs[0][2])
    assert outputs[0][2].sum() > 0  # the lists do contain graded hits

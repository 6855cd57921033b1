"""Batch samplers: seeded per epoch, sharded with equal steps (train) or disjoint (eval)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.rankers.samplers import ShuffledBatches, UserChunks


def drawn(sampler: ShuffledBatches, epoch: int) -> list[int]:
    sampler.set_epoch(epoch)
    return [int(i) for batch in sampler for i in batch]


def test_each_epoch_is_a_seeded_permutation() -> None:
    a, b = ShuffledBatches(50, 8, seed=1), ShuffledBatches(50, 8, seed=1)
    assert drawn(a, 0) == drawn(b, 0)
    assert sorted(drawn(a, 0)) == list(range(50))
    assert drawn(a, 0) != drawn(a, 1)
    assert drawn(a, 0) != drawn(ShuffledBatches(50, 8, seed=2), 0)
    assert drawn(ShuffledBatches(5, 2, shuffle=False), 0) == [0, 1, 2, 3, 4]


@given(n=st.integers(1, 60), batch=st.integers(1, 9), world=st.integers(1, 4))
def test_ranks_cover_everything_with_equal_steps(n: int, batch: int, world: int) -> None:
    shards = [ShuffledBatches(n, batch, seed=0, rank=r, world_size=world) for r in range(world)]
    steps = {len(list(s)) for s in shards}
    assert steps == {len(shards[0])}
    seen = np.concatenate([np.concatenate(list(s)) for s in shards])
    assert set(seen.tolist()) == set(range(n))
    assert len(seen) == -(-n // world) * world  # padded by at most world - 1 repeats


@given(users=st.lists(st.integers(0, 999), unique=True, max_size=40), world=st.integers(1, 4))
def test_user_chunks_are_disjoint_and_complete(users: list[int], world: int) -> None:
    parts = [list(UserChunks(users, 3, rank=r, world_size=world)) for r in range(world)]
    flat = [int(u) for part in parts for chunk in part for u in chunk]
    assert sorted(flat) == sorted(users)
    assert all(len(part) >= 1 for part in parts)  # every rank takes part in evaluation


def test_rank_without_users_gets_one_empty_chunk() -> None:
    chunks = list(UserChunks([7], 4, rank=1, world_size=2))
    assert len(chunks) == 1 and chunks[0].size == 0 and chunks[0].dtype == np.int64


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        ShuffledBatches(3, 0)
    with pytest.raises(ValueError, match="rank 2"):
        ShuffledBatches(3, 1, rank=2, world_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        UserChunks([1], 0)


def _negatives_matrix():
    import scipy.sparse as sp

    dense = np.zeros((4, 10))
    dense[0, :8] = 1  # user 0 has items 0-7: negatives 8, 9
    dense[1, [0, 1]] = 1
    dense[2, 0] = 1
    dense[3, :] = 0
    return sp.csr_matrix(dense)


@pytest.mark.parametrize("kind", ["uniform", "popularity"])
def test_negatives_avoid_training_items_and_repeat_by_step(kind: str) -> None:
    import torch

    from bench.rankers.samplers import NEGATIVE_SAMPLERS

    matrix = _negatives_matrix()
    counts = np.arange(1, 11)  # every item can be proposed
    extra = {"item_counts": counts} if kind == "popularity" else {}
    sampler = NEGATIVE_SAMPLERS[kind](matrix, seed=5, **extra)
    users = torch.tensor([0, 1, 2, 3] * 200)
    items = sampler.sample(users, epoch=1, step=2)
    dense = matrix.toarray()
    assert not dense[users.numpy(), items.numpy()].any()
    assert set(items[users == 0].tolist()) == {8, 9}
    assert torch.equal(items, sampler.sample(users, epoch=1, step=2))
    assert not torch.equal(items, sampler.sample(users, epoch=1, step=3))
    assert not torch.equal(items, sampler.sample(users, epoch=2, step=2))
    assert not torch.equal(items, sampler.sample(users, epoch=1, step=2, rank=1))
    again = NEGATIVE_SAMPLERS[kind](matrix, seed=6, **extra).sample(users, epoch=1, step=2)
    assert not torch.equal(items, again)
    assert sampler.sample(users[:3], epoch=0, step=0, n=4).shape == (3, 4)


def test_popularity_negatives_follow_the_counts() -> None:
    import scipy.sparse as sp
    import torch

    from bench.rankers.samplers import PopularityNegatives

    empty = sp.csr_matrix((1, 4))
    sampler = PopularityNegatives(empty, seed=0, item_counts=np.array([0, 1, 3, 0]))
    items = sampler.sample(torch.zeros(4000, dtype=torch.long), epoch=0, step=0)
    share = np.bincount(items.numpy(), minlength=4) / 4000
    assert share[0] == share[3] == 0 and abs(share[2] - 0.75) < 0.03
    with pytest.raises(ValueError, match="not all zero"):
        PopularityNegatives(empty, seed=0, item_counts=np.zeros(4))

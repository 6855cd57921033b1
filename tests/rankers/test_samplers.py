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

"""Next-item training sequences: layout, time order, shuffling and sharding, and that the
evaluation sequences of leave-last-out end with the held-out history in time order."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from bench.rankers import RankDataModule, SequenceBatch
from bench.rankers.sequences import NextItemSequences
from bench.split import Split


@pytest.fixture
def split() -> Split:
    """User 0: items 0..5 (file order scrambled, timestamps give the order); user 1: one item;
    user 2: items 7, 8, 9 (no ties); user 3: no training item."""
    train = pd.DataFrame(
        {
            "user": [0, 0, 0, 2, 0, 0, 0, 1, 2, 2],
            "item": [3, 0, 1, 8, 2, 5, 4, 6, 7, 9],
            "timestamp": [30, 0, 10, 5, 10, 50, 40, 0, 1, 9],
            "order": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        }
    )  # user 0's items 1 and 2 tie at t=10: file order (order 2, then 4) decides
    valid = pd.DataFrame({"user": [0, 2], "item": [6, 1], "timestamp": [60, 20], "order": [10, 11]})
    test = pd.DataFrame({"user": [0, 2], "item": [7, 2], "timestamp": [70, 30], "order": [12, 13]})
    return Split("leave_last_out", train, valid, test, n_users=4, n_items=10)


def test_rows_shift_by_one_and_pad_left(split: Split) -> None:
    dm = RankDataModule(split, train_input="sequences", batch_size=8, sequence_length=4)
    rows = dm.train_sequences
    assert rows.users.tolist() == [0, 2]  # user 1 has one item, user 3 none
    batch = rows(np.array([0, 1]))
    assert isinstance(batch, SequenceBatch) and batch.pad == 10
    # user 0 in time order: 0, 1, 2, 3, 4, 5; the last max_len + 1 = 5 are 1..5
    assert batch.inputs.tolist() == [[1, 2, 3, 4], [10, 10, 7, 8]]
    assert batch.targets.tolist() == [[2, 3, 4, 5], [10, 10, 8, 9]]
    assert batch.padding_mask.tolist() == [[False] * 4, [True, True, False, False]]
    assert batch.has_target.tolist() == [[True] * 4, [False, False, True, True]]
    long = RankDataModule(split, train_input="sequences", sequence_length=7).train_sequences
    assert long(np.array([0])).inputs.tolist() == [[10, 10, 0, 1, 2, 3, 4]]


def test_epochs_are_seeded_shuffles_sharded_over_ranks(split: Split) -> None:
    def epoch(seed: int, e: int, rank: int = 0, world: int = 1) -> list[int]:
        dm = RankDataModule(split, train_input="sequences", batch_size=1, sequence_length=3,
                            seed=seed)  # fmt: skip
        dm.trainer = SimpleNamespace(global_rank=rank, world_size=world)
        loader = dm.train_dataloader()
        loader.sampler.set_epoch(e)
        return [int(u) for b in loader for u in b.users]

    assert sorted(epoch(0, 0)) == [0, 2]
    assert epoch(3, 0) == epoch(3, 0)
    orders = {tuple(epoch(s, e)) for s in range(4) for e in range(4)}
    assert orders == {(0, 2), (2, 0)}  # both orders occur
    shards = [epoch(0, 0, rank, 2) for rank in range(2)]
    assert sorted(shards[0] + shards[1]) == [0, 2] and all(len(s) == 1 for s in shards)


def test_sequences_need_a_length(split: Split) -> None:
    with pytest.raises(ValueError, match="train_input='sequences' needs sequence_length"):
        RankDataModule(split, train_input="sequences")
    with pytest.raises(ValueError, match="sequence_length=0"):
        NextItemSequences(np.array([0, 2]), np.array([1, 2]), n_items=3, max_len=0)


def test_evaluation_sequences_are_the_history_in_time_order(split: Split) -> None:
    dm = RankDataModule(split, train_input="sequences", sequence_length=8)
    valid, test = dm.stage("valid"), dm.stage("test")
    assert valid.sequence_of(0).tolist() == [0, 1, 2, 3, 4, 5]
    assert test.sequence_of(0).tolist() == [0, 1, 2, 3, 4, 5, 6]  # train, then valid
    assert test.sequence_of(2).tolist() == [7, 8, 9, 1]
    batch = test.batch(np.array([2, 0]), 8)
    assert batch.sequence.tolist() == [[10] * 4 + [7, 8, 9, 1], [10, 0, 1, 2, 3, 4, 5, 6]]


def test_leave_last_out_test_sequences_end_with_the_valid_item() -> None:
    """On real data: every test sequence is the training sequence followed by the user's
    validation item (train + valid in time order), and the training rows end with the last
    training item."""
    from bench.rankers.testing import movielens_split

    split = movielens_split(0, "leave_last_out")
    dm = RankDataModule(split, train_input="sequences", sequence_length=50)
    valid, test = dm.stage("valid"), dm.stage("test")
    valid_item = split.valid.set_index("user")["item"]
    for user in test.users[:200]:
        history = test.sequence_of(user)
        assert history[-1] == valid_item[user]
        assert np.array_equal(history[:-1], valid.sequence_of(user))
    rows = dm.train_sequences
    batch = rows(np.arange(len(rows)))
    last_train = np.array([valid.sequence_of(u)[-1] for u in rows.users])
    assert np.array_equal(batch.targets[:, -1].numpy(), last_train)

"""RankDataModule: the batch forms, determinism, and DDP sharding."""

from types import SimpleNamespace

import numpy as np
import pytest

from bench.rankers import Batching, InteractionBatch, RankDataModule, TrainMatrix, UserBatch


def pairs(loader) -> list[tuple[int, int]]:
    return [(int(u), int(i)) for b in loader for u, i in zip(b.users, b.items, strict=True)]


def test_interactions_cover_distinct_pairs_in_seeded_order(toy_split) -> None:
    dm = RankDataModule(toy_split, train_input="interactions", batch_size=4, seed=3)
    loader = dm.train_dataloader()
    batches = list(loader)
    assert all(isinstance(b, InteractionBatch) for b in batches)
    expected = sorted(zip(toy_split.train["user"], toy_split.train["item"], strict=True))
    first = pairs(batches)
    assert sorted(first) == expected
    assert first == pairs(RankDataModule(toy_split, batch_size=4, seed=3).train_dataloader())
    loader.sampler.set_epoch(1)
    assert pairs(loader) != first and sorted(pairs(loader)) == expected


def test_matrix_input_is_one_batch(toy_split) -> None:
    batches = list(RankDataModule(toy_split, train_input="matrix").train_dataloader())
    assert len(batches) == 1 and isinstance(batches[0], TrainMatrix)
    assert batches[0].matrix.nnz == len(toy_split.train)


def test_users_input_with_sequences(toy_split) -> None:
    dm = RankDataModule(toy_split, train_input="users", batch_size=2, sequence_length=3)
    batches = list(dm.train_dataloader())
    assert all(isinstance(b, UserBatch) and b.targets is None for b in batches)
    assert sorted(int(u) for b in batches for u in b.users) == [0, 1, 2, 3, 4]
    assert all(b.sequence.shape[1] == 3 for b in batches)


def test_for_ranker_reads_the_ranker() -> None:
    ranker = SimpleNamespace(train_input="matrix", batching=Batching(7, 5))
    import pandas as pd

    from bench.split import Split

    part = pd.DataFrame({"user": [0], "item": [0], "order": [0]})
    dm = RankDataModule.for_ranker(Split("s", part, part, part, 1, 1), ranker, seed=1)
    assert (dm.train_input, dm.batch_size, dm.sequence_length, dm.seed) == ("matrix", 7, 5, 1)


@pytest.mark.parametrize("world", [1, 2, 3])
def test_evaluation_users_are_split_over_ranks(toy_split, world: int) -> None:
    seen = []
    for rank in range(world):
        dm = RankDataModule(toy_split, eval_batch_size=1)
        dm.trainer = SimpleNamespace(global_rank=rank, world_size=world)
        seen += [int(u) for b in dm.val_dataloader() for u in b.users]
        assert all(b.targets is not None and b.exclude is not None for b in dm.test_dataloader())
    assert sorted(seen) == [0, 1, 2, 3]


def test_training_steps_are_equal_over_ranks(toy_split) -> None:
    steps = []
    for rank in range(3):
        dm = RankDataModule(toy_split, batch_size=2)
        dm.trainer = SimpleNamespace(global_rank=rank, world_size=3)
        steps.append(len(list(dm.train_dataloader())))
    assert len(set(steps)) == 1


def test_bad_arguments(toy_split) -> None:
    with pytest.raises(ValueError, match="train_input='rows'"):
        RankDataModule(toy_split, train_input="rows")
    with pytest.raises(ValueError, match="eval_batch_size=0"):
        RankDataModule(toy_split, eval_batch_size=0)
    with pytest.raises(ValueError, match="test_history='x'"):
        RankDataModule(toy_split, test_history="x")
    assert np.array_equal(RankDataModule(toy_split).stage("valid").users, [0, 1, 2, 3])


def test_users_input_on_user_holdout_trains_on_train_rows_only() -> None:
    """Fold-in rows belong to held-out users; training users keep their own train rows."""
    import pandas as pd

    from bench.split import Split

    def frame(rows):
        return pd.DataFrame(rows, columns=["user", "item", "order"])

    train = frame([[0, 0, 0], [0, 1, 1], [1, 2, 2], [1, 0, 3]])
    fold_in = frame([[2, 1, 4], [2, 3, 5]])
    target = frame([[2, 0, 6]])
    holdout = Split(
        "h", train=train, valid=target, test=target, n_users=3, n_items=4,
        valid_history=fold_in, test_history=fold_in,
    )  # fmt: skip
    dm = RankDataModule(holdout, train_input="users", batch_size=8, sequence_length=2)
    (batch,) = list(dm.train_dataloader())
    assert sorted(batch.users.tolist()) == [0, 1]
    rows = dict(zip(batch.users.tolist(), batch.history.to_dense().tolist(), strict=True))
    assert rows == {0: [1, 1, 0, 0], 1: [1, 0, 1, 0]}
    sequences = dict(zip(batch.users.tolist(), batch.sequence.tolist(), strict=True))
    assert sequences == {0: [0, 1], 1: [2, 0]}
    assert dm.stage("test").history.toarray()[2].tolist() == [0, 1, 0, 1]  # fold-in at eval

"""Stage data: what the ranker sees and what the evaluator masks, per split kind."""

import numpy as np
import pandas as pd
import pytest

from bench.rankers.history import padded_sequences, stage_data, time_ordered, train_matrix
from bench.split import Split


def frame(rows, columns=("user", "item", "timestamp", "order")):
    return pd.DataFrame(rows, columns=list(columns))


@pytest.fixture
def split() -> Split:
    # user 0: train items 0, 1 (item 1 earlier), valid 2, test 3; user 1: train 1, test 0
    train = frame([[0, 0, 20, 0], [0, 1, 10, 1], [1, 1, 5, 2], [1, 1, 6, 3]])
    valid = frame([[0, 2, 30, 4]])
    test = frame([[0, 3, 40, 5], [1, 0, 50, 6]])
    return Split("t", train=train, valid=valid, test=test, n_users=3, n_items=4)


def test_valid_stage_history_is_train(split: Split) -> None:
    valid = stage_data(split, "valid")
    assert valid.users.tolist() == [0]
    assert valid.history.toarray()[0].tolist() == [1, 1, 0, 0]
    assert (valid.exclude != valid.history).nnz == 0
    assert valid.targets.toarray()[0].tolist() == [0, 0, 1, 0]
    assert valid.sequence_of(0).tolist() == [1, 0]  # by timestamp, not file order


def test_test_stage_history_includes_valid_unless_asked(split: Split) -> None:
    test = stage_data(split, "test")
    assert test.users.tolist() == [0, 1]
    assert test.history.toarray()[0].tolist() == [1, 1, 1, 0]
    assert test.sequence_of(0).tolist() == [1, 0, 2]
    recbole = stage_data(split, "test", test_history="train")
    assert recbole.history.toarray()[0].tolist() == [1, 1, 0, 0]
    assert recbole.exclude.toarray()[0].tolist() == [1, 1, 1, 0]  # valid item still masked


def test_user_holdout_uses_fold_in(split: Split) -> None:
    fold_in = frame([[2, 0, 1, 7], [2, 3, 2, 8]])
    target = frame([[2, 1, 3, 9]])
    holdout = Split(
        "h", train=split.train, valid=target, test=target, n_users=3, n_items=4,
        valid_history=fold_in, test_history=fold_in,
    )  # fmt: skip
    stage = stage_data(holdout, "test")
    assert stage.users.tolist() == [2]
    assert stage.history.toarray()[2].tolist() == [1, 0, 0, 1]
    assert stage.history.toarray()[0].sum() == 0  # no training rows leak in


def test_bad_arguments(split: Split) -> None:
    with pytest.raises(ValueError, match="stage must be"):
        stage_data(split, "train")
    with pytest.raises(ValueError, match="test_history='all'"):
        stage_data(split, "test", test_history="all")


def test_train_matrix_binary_and_counts(split: Split) -> None:
    train = train_matrix(split)
    assert train.matrix.toarray().tolist() == [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    assert train.counts.tolist() == [1.0, 3.0, 0.0, 0.0]
    assert train.user_counts.tolist() == [1.0, 2.0, 0.0, 0.0]  # novelty: users, not repeats


def test_batch_rows_and_sequences(split: Split) -> None:
    batch = stage_data(split, "test").batch(np.array([1, 0]), sequence_length=2)
    assert batch.users.tolist() == [1, 0]
    assert batch.history.to_dense().tolist() == [[0, 1, 0, 0], [1, 1, 1, 0]]
    assert batch.sequence.tolist() == [[1, 1], [0, 2]]  # user 1 saw item 1 twice
    assert batch.pad == 4
    short = stage_data(split, "valid").batch(np.array([0]), sequence_length=4)
    assert short.sequence.tolist() == [[4, 4, 1, 0]]  # left-padded with n_items
    assert batch.targets.indices.tolist() == [0, 3]
    assert batch.exclude.counts.tolist() == [1, 3]


def test_padded_sequences_truncate_to_the_latest() -> None:
    out = padded_sequences(np.array([0]), np.array([0, 5]), np.arange(10, 15), 3, pad=-1)
    assert out.tolist() == [[12, 13, 14]]


def test_time_order_without_timestamps() -> None:
    f = pd.DataFrame({"user": [1, 0, 0], "item": [5, 6, 7], "order": [0, 2, 1]})
    assert time_ordered(f)["item"].tolist() == [7, 6, 5]

"""TrainingData, capabilities against splits, and prepare_ranker."""

import numpy as np
import pytest
import torch

from bench.rankers import (
    Capabilities,
    CapabilityError,
    ClosedFormRanker,
    Ranker,
    check_capabilities,
    prepare_ranker,
    training_data,
)
from bench.rankers.data import cold_users, is_time_ordered


def test_training_data_from_the_split(toy_split) -> None:
    data = training_data(toy_split, seed=3)
    assert data.matrix.shape == (5, 6) and data.matrix.nnz == len(toy_split.train)
    assert data.item_counts.tolist() == np.bincount(toy_split.train["item"], minlength=6).tolist()
    assert (data.n_users, data.n_items, data.seed, data.time_ordered) == (5, 6, 3, False)
    assert data.sequences is None and data.active_users.tolist() == [0, 1, 2, 3, 4]
    assert torch.equal(data.train.counts, data.item_counts)
    with pytest.raises(AttributeError):
        data.seed = 4  # frozen
    seqs = training_data(toy_split, seed=3, sequences=True).sequences
    assert seqs.of(1).tolist() == [1, 3, 5]


class PerUser(Ranker):
    pass


class Sequential(Ranker):
    capabilities = Capabilities(time_order=True, sequences=True, folds_in_users=True)


class WarmFallback(Ranker):
    capabilities = Capabilities(cold_users=True)


def _with_cold_user(split):
    from dataclasses import replace

    return replace(split, name="temporal", train=split.train[split.train["user"] != 0])


def test_capability_checks(toy_split) -> None:
    check_capabilities(PerUser(5, 6), toy_split)
    with pytest.raises(CapabilityError, match=r"^model Sequential needs time order and split=toy"):
        check_capabilities(Sequential(5, 6), toy_split)
    from dataclasses import replace

    ordered = replace(toy_split, name="leave_last_out")
    assert is_time_ordered(ordered) and not is_time_ordered(toy_split)
    check_capabilities(Sequential(5, 6), ordered)
    cold = _with_cold_user(toy_split)
    assert cold_users(cold).tolist() == [0]
    with pytest.raises(CapabilityError, match="cannot score cold users") as err:
        check_capabilities(PerUser(5, 6), cold)
    assert "\n" not in str(err.value) and "split.cold_users=drop" in str(err.value)
    check_capabilities(WarmFallback(5, 6), cold)
    check_capabilities(Sequential(5, 6), cold)  # fold-in implies cold users
    held_out = replace(toy_split, valid_history=toy_split.valid)
    with pytest.raises(CapabilityError, match="cannot score users unseen in training"):
        check_capabilities(WarmFallback(5, 6), held_out)


def test_prepare_ranker_hands_over_the_data_once(toy_split) -> None:
    class Keeps(ClosedFormRanker):
        capabilities = Capabilities(sequences=True, folds_in_users=True)

        def __init__(self, n_users, n_items):
            super().__init__(n_users, n_items)
            self.received = []

        def prepare(self, data):
            assert not torch.is_grad_enabled()
            self.received.append(data)

    ranker = Keeps(5, 6)
    data = prepare_ranker(ranker, toy_split, seed=9)
    assert ranker.received == [data] and data.seed == 9 and data.sequences is not None
    with pytest.raises(CapabilityError):
        prepare_ranker(PerUser(5, 6), _with_cold_user(toy_split), seed=0)

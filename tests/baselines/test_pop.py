"""Pop: the contract, plus true popularity (every training interaction counts)."""

import numpy as np
import pandas as pd
import pytest
import torch

from baselines.pop import Pop
from bench.rankers import RankDataModule
from bench.rankers.testing import RankerContract, fit_ranker
from bench.split import Split


class TestPop(RankerContract):
    ranker_class = Pop
    min_ndcg = 0.12  # measured 0.143 (ml-100k, random 8:1:1, seed 0)

    def test_scores_are_training_counts(self, fitted, split) -> None:
        counts = np.bincount(split.train["item"], minlength=split.n_items)
        assert fitted.ranker.item_counts.numpy().tolist() == counts.astype(float).tolist()


def test_repeated_interactions_count_each_time() -> None:
    train = pd.DataFrame({"user": [0, 0, 0, 1], "item": [2, 2, 2, 1], "order": range(4)})
    part = pd.DataFrame({"user": [1], "item": [0], "order": [9]})
    split = Split("toy", train=train, valid=part, test=part, n_users=2, n_items=3)
    fitted = fit_ranker(Pop(n_users=2, n_items=3), split, metrics=("hitrate@1",))
    assert fitted.ranker.item_counts.tolist() == [0.0, 1.0, 3.0]
    batch = RankDataModule(split).stage("test").batch(np.array([1]))
    assert fitted.ranker.score(batch).tolist() == [[0.0, 1.0, 3.0]]
    # user 1 saw item 1; item 2 ranks first (3 > 0), so the target (item 0) is a miss at 1
    assert fitted.test["hitrate@1"] == 0.0


def test_needs_positive_sizes() -> None:
    with pytest.raises(ValueError, match="n_items=0"):
        Pop(n_users=1, n_items=0)
    assert torch.equal(Pop(n_users=1, n_items=2).item_counts, torch.zeros(2))

"""Random: the contract, plus seeded, batch-independent uniform scores."""

from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from baselines.random import Random, uniform_scores
from bench.rankers.history import build_batch
from bench.rankers.testing import RankerContract


class TestRandom(RankerContract):
    ranker_class = Random
    params: ClassVar[dict] = {"seed": 0}
    learned = False  # nothing to learn: the seed buffer is the whole state
    min_ndcg = 0.0  # measured 0.0075 (ml-100k, random 8:1:1, seed 0): the floor


def _scores(seed: int, users: list[int]) -> torch.Tensor:
    ranker = Random(n_users=50, n_items=200, seed=seed)
    return ranker.score(build_batch(np.array(users), sp.csr_matrix((50, 200)), 200))


def test_same_seed_same_scores_other_seed_other_scores() -> None:
    assert torch.equal(_scores(3, [1, 4, 7]), _scores(3, [1, 4, 7]))
    assert not torch.equal(_scores(3, [1, 4, 7]), _scores(4, [1, 4, 7]))
    assert torch.equal(_scores(3, [4]), _scores(3, [7, 4])[1:])


def test_scores_look_uniform() -> None:
    values = uniform_scores(0, np.arange(500), 400).ravel()
    assert values.min() >= 0.0 and values.max() < 1.0
    assert abs(values.mean() - 0.5) < 0.005 and abs(values.var() - 1 / 12) < 0.002
    # every user gets its own permutation of the items
    first = np.argsort(uniform_scores(0, np.arange(20), 400), axis=1)[:, 0]
    assert len(set(first.tolist())) > 15


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_rejects_bad_seed(seed: object) -> None:
    with pytest.raises(ValueError, match=r"model\.seed"):
        Random(n_users=2, n_items=2, seed=seed)

"""EASE: the contract, plus the closed form against a direct numpy computation."""

from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from baselines.ease import EASE
from bench.rankers import TrainMatrix
from bench.rankers.testing import RankerContract


class TestEASE(RankerContract):
    ranker_class = EASE
    params: ClassVar[dict] = {"l2": 500.0}
    min_ndcg = 0.30  # measured 0.330 (ml-100k, random 8:1:1, seed 0)


def reference_ease(X: np.ndarray, l2: float) -> np.ndarray:
    """Steck (2019), Algorithm 1, verbatim."""
    G = X.T @ X + l2 * np.eye(X.shape[1])
    P = np.linalg.inv(G)
    B = P / (-np.diag(P))
    np.fill_diagonal(B, 0.0)
    return B


def test_matches_the_paper_algorithm() -> None:
    rng = np.random.default_rng(0)
    X = (rng.random((40, 12)) < 0.3).astype(float)
    ease = EASE(n_users=40, n_items=12, l2=3.0)
    ease.fit(TrainMatrix(sp.csr_matrix(X), torch.from_numpy(X.sum(0))))
    np.testing.assert_allclose(ease.B.numpy(), reference_ease(X, 3.0), rtol=1e-5, atol=1e-6)
    assert torch.all(torch.diagonal(ease.B) == 0)


def test_scores_are_history_times_b() -> None:
    X = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 1.0, 1.0]])
    ease = EASE(n_users=3, n_items=4, l2=1.0)
    ease.fit(TrainMatrix(sp.csr_matrix(X), torch.from_numpy(X.sum(0))))
    from bench.rankers.history import build_batch

    batch = build_batch(np.array([2, 0]), sp.csr_matrix(X), 4)
    expected = X[[2, 0]] @ reference_ease(X, 1.0)
    np.testing.assert_allclose(ease.score(batch).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("l2", [0.0, -1.0])
def test_rejects_non_positive_l2(l2: float) -> None:
    with pytest.raises(ValueError, match=r"model\.l2"):
        EASE(n_users=2, n_items=2, l2=l2)

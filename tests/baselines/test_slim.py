"""SLIM: the contract, plus a zero diagonal and scikit-learn's ElasticNet column by column."""

from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.linear_model import ElasticNet

from baselines.slim import SLIM
from bench.rankers import TrainMatrix
from bench.rankers.history import build_batch
from bench.rankers.testing import RankerContract


class TestSLIM(RankerContract):
    ranker_class = SLIM
    params: ClassVar[dict] = {"alpha": 1e-3, "l1_ratio": 0.1, "k": 100}
    min_ndcg = 0.28  # measured 0.304 (ml-100k, random 8:1:1, seed 0)

    def test_diagonal_is_zero_and_weights_non_negative(self, fitted) -> None:
        W = fitted.ranker.W
        assert torch.all(torch.diagonal(W) == 0)
        assert torch.all(W >= 0)
        assert int((W != 0).sum(dim=0).max()) <= 100


def direct_sklearn(X: np.ndarray, alpha: float, l1_ratio: float) -> np.ndarray:
    """One dense ElasticNet per item, the item's column zeroed in the inputs."""
    W = np.zeros((X.shape[1], X.shape[1]))
    for j in range(X.shape[1]):
        inputs = X.copy()
        inputs[:, j] = 0.0
        model = ElasticNet(
            alpha=alpha, l1_ratio=l1_ratio, positive=True, fit_intercept=False, max_iter=1000,
            tol=1e-10,
        )  # fmt: skip
        W[:, j] = model.fit(inputs, X[:, j]).coef_
    return W


def _fit(X: np.ndarray, **params) -> SLIM:
    slim = SLIM(n_users=X.shape[0], n_items=X.shape[1], **params)
    slim.fit(TrainMatrix(sp.csr_matrix(X), torch.from_numpy(X.sum(0))))
    return slim


@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.01, 0.1), (0.002, 0.5), (0.05, 1.0)])
def test_equals_sklearn_directly(alpha: float, l1_ratio: float) -> None:
    rng = np.random.default_rng(0)
    X = (rng.random((40, 8)) < 0.4).astype(float)
    slim = _fit(X, alpha=alpha, l1_ratio=l1_ratio, max_iter=1000, tol=1e-10)
    expected = direct_sklearn(X, alpha, l1_ratio)
    assert np.all(np.diag(slim.W.numpy()) == 0) and np.abs(expected).sum() > 0
    np.testing.assert_allclose(slim.W.numpy(), expected, rtol=1e-4, atol=1e-6)
    batch = build_batch(np.array([5, 2]), sp.csr_matrix(X), 8)
    np.testing.assert_allclose(
        slim.score(batch).numpy(), X[[5, 2]] @ expected, rtol=1e-4, atol=1e-5
    )


def test_top_k_keeps_the_largest_weights_per_column() -> None:
    rng = np.random.default_rng(1)
    X = (rng.random((60, 10)) < 0.5).astype(float)
    full = _fit(X, alpha=1e-3, l1_ratio=0.1).W.numpy()
    W = _fit(X, alpha=1e-3, l1_ratio=0.1, k=2).W.numpy()
    for j in range(10):
        np.testing.assert_allclose(np.sort(W[:, j])[::-1][:2], np.sort(full[:, j])[::-1][:2])
        assert (W[:, j] != 0).sum() <= 2


@pytest.mark.parametrize(
    ("params", "key"),
    [({"alpha": 0.0}, r"model\.alpha"), ({"l1_ratio": 1.5}, r"model\.l1_ratio"),
     ({"k": 0}, r"model\.k=0 must be >= 1"), ({"max_iter": 0}, r"model\.max_iter"),
     ({"tol": 0.0}, r"model\.tol")],
)  # fmt: skip
def test_rejects_out_of_range(params: dict, key: str) -> None:
    with pytest.raises(ValueError, match=key):
        SLIM(n_users=2, n_items=2, **params)

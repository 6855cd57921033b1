"""RP3beta: the contract, plus W against the published formula computed by hand."""

from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from baselines.rp3beta import RP3beta
from bench.rankers import TrainMatrix
from bench.rankers.history import build_batch
from bench.rankers.testing import RankerContract


class TestRP3beta(RankerContract):
    ranker_class = RP3beta
    params: ClassVar[dict] = {"k": 100, "alpha": 1.0, "beta": 0.5}
    min_ndcg = 0.27  # measured 0.288 (ml-100k, random 8:1:1, seed 0)


def by_hand(X: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """W[i, j] = sum_u (x_ui / d_i)^alpha (x_uj / d_u)^alpha / d_j^beta, loop by loop."""
    n_users, n_items = X.shape
    d_u, d_i = X.sum(1), X.sum(0)
    W = np.zeros((n_items, n_items))
    for i in range(n_items):
        for j in range(n_items):
            if i == j or d_j_zero(d_i[j]):
                continue
            walk = sum(
                (X[u, i] / d_i[i]) ** alpha * (X[u, j] / d_u[u]) ** alpha
                for u in range(n_users)
                if X[u, i] and X[u, j]
            )
            W[i, j] = walk / d_i[j] ** beta
    return W


def d_j_zero(d: float) -> bool:
    return d == 0


def _fit(X: np.ndarray, **params) -> RP3beta:
    rp3 = RP3beta(n_users=X.shape[0], n_items=X.shape[1], **params)
    rp3.fit(TrainMatrix(sp.csr_matrix(X), torch.from_numpy(X.sum(0))))
    return rp3


def test_small_graph_by_hand() -> None:
    # users: 0 -> {0, 1}, 1 -> {1, 2}, 2 -> {0, 1, 2}; item degrees 2, 3, 2; alpha 1, beta 1
    X = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    W = _fit(X, k=3, alpha=1.0, beta=1.0).W.numpy()
    # W[0, 1] = (1/2 * 1/2 + 1/2 * 1/3) / 3 (walks 0 -> u0 -> 1 and 0 -> u2 -> 1)
    assert W[0, 1] == pytest.approx((1 / 4 + 1 / 6) / 3)
    # W[1, 2] = (1/3 * 1/2 + 1/3 * 1/3) / 2
    assert W[1, 2] == pytest.approx((1 / 6 + 1 / 9) / 2)
    np.testing.assert_allclose(W, by_hand(X, 1.0, 1.0), rtol=1e-6)


@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 0.0), (0.7, 0.4), (1.5, 1.0)])
def test_equals_the_formula(alpha: float, beta: float) -> None:
    rng = np.random.default_rng(0)
    X = (rng.random((25, 9)) < 0.4).astype(float)
    X[:, 8] = 0.0  # an item never seen in training
    rp3 = _fit(X, k=9, alpha=alpha, beta=beta)
    np.testing.assert_allclose(rp3.W.numpy(), by_hand(X, alpha, beta), rtol=1e-5, atol=1e-7)
    batch = build_batch(np.array([4, 1]), sp.csr_matrix(X), 9)
    expected = X[[4, 1]] @ by_hand(X, alpha, beta)
    np.testing.assert_allclose(rp3.score(batch).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_keeps_top_k_per_row() -> None:
    rng = np.random.default_rng(2)
    X = (rng.random((50, 12)) < 0.4).astype(float)
    full, k = by_hand(X, 0.8, 0.3), 4
    W = _fit(X, k=k, alpha=0.8, beta=0.3).W.numpy()
    for i in range(12):
        kept = W[i][W[i] != 0]
        assert len(kept) <= k
        np.testing.assert_allclose(np.sort(kept)[::-1], np.sort(full[i])[::-1][:k], rtol=1e-5)


@pytest.mark.parametrize(
    ("params", "key"),
    [({"k": 0}, r"model\.k=0 must be >= 1"), ({"alpha": 0.0}, r"model\.alpha"),
     ({"beta": -0.1}, r"model\.beta")],
)  # fmt: skip
def test_rejects_out_of_range(params: dict, key: str) -> None:
    with pytest.raises(ValueError, match=key):
        RP3beta(n_users=2, n_items=2, **params)

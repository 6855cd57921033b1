"""ItemKNN: the contract, plus the similarities against a brute-force computation."""

from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from baselines.itemknn import ItemKNN
from bench.rankers import TrainMatrix
from bench.rankers.history import build_batch
from bench.rankers.testing import RankerContract


class TestItemKNN(RankerContract):
    ranker_class = ItemKNN
    params: ClassVar[dict] = {"k": 100, "shrink": 10.0}
    min_ndcg = 0.26  # measured 0.279 (ml-100k, random 8:1:1, seed 0)


def brute_force(X: np.ndarray, shrink: float) -> np.ndarray:
    """sim[i, j] = <x_i, x_j> / (|x_i| |x_j| + shrink), item by item; 0 on the diagonal."""
    n = X.shape[1]
    sim = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                a, b = X[:, i], X[:, j]
                sim[i, j] = a @ b / (np.sqrt(a @ a) * np.sqrt(b @ b) + shrink)
    return sim


def _fit(X: np.ndarray, **params) -> ItemKNN:
    knn = ItemKNN(n_users=X.shape[0], n_items=X.shape[1], **params)
    knn.fit(TrainMatrix(sp.csr_matrix(X), torch.from_numpy(X.sum(0))))
    return knn


@pytest.mark.parametrize("shrink", [0.0, 2.5])
def test_equals_brute_force_similarities(shrink: float) -> None:
    rng = np.random.default_rng(0)
    X = (rng.random((30, 10)) < 0.35).astype(float)
    knn = _fit(X, k=10, shrink=shrink)
    np.testing.assert_allclose(knn.W.numpy(), brute_force(X, shrink), rtol=1e-6, atol=1e-7)
    batch = build_batch(np.array([3, 0]), sp.csr_matrix(X), 10)
    expected = X[[3, 0]] @ brute_force(X, shrink)
    np.testing.assert_allclose(knn.score(batch).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_keeps_the_k_most_similar_items_per_item() -> None:
    rng = np.random.default_rng(1)
    X = (rng.random((60, 12)) < 0.4).astype(float)
    full, k = brute_force(X, 1.0), 3
    W = _fit(X, k=k, shrink=1.0).W.numpy()
    for j in range(12):
        kept = W[:, j][W[:, j] != 0]
        assert len(kept) <= k
        np.testing.assert_allclose(np.sort(kept)[::-1], np.sort(full[:, j])[::-1][:k], rtol=1e-6)


def test_an_unseen_item_has_no_neighbours() -> None:
    X = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    W = _fit(X, k=2, shrink=0.0).W
    assert torch.isfinite(W).all() and W[:, 2].abs().sum() == 0 and W[2].abs().sum() == 0


@pytest.mark.parametrize(
    ("params", "key"),
    [({"k": 0}, r"model\.k=0 must be >= 1"), ({"shrink": -1.0}, r"model\.shrink")],
)
def test_rejects_out_of_range(params: dict, key: str) -> None:
    with pytest.raises(ValueError, match=key):
        ItemKNN(n_users=2, n_items=2, **params)

"""iALS: the contract, the loss never increases on ML-100K, and the exact per-user solve."""

import itertools
from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from baselines.ials import IALS, ials_loss, solve_side
from bench.rankers import TrainMatrix
from bench.rankers.testing import RankerContract


class TestIALS(RankerContract):
    ranker_class = IALS
    params: ClassVar[dict] = {"factors": 32, "reg": 1.0, "alpha": 10.0, "iterations": 8}
    min_ndcg = 0.21  # measured 0.239 (ml-100k, random 8:1:1, seed 0)

    def test_loss_decreases_monotonically(self, fitted) -> None:
        losses = fitted.ranker.losses
        assert len(losses) == 8
        assert all(b <= a * (1 + 1e-12) for a, b in itertools.pairwise(losses)), losses
        assert losses[-1] < 0.9 * losses[0]


def test_solve_is_hu_et_al_closed_form() -> None:
    """x_u = (Y^T C_u Y + reg I)^-1 Y^T C_u p_u, built densely per user."""
    rng = np.random.default_rng(0)
    R = (rng.random((15, 9)) < 0.4).astype(float)
    Y = rng.normal(size=(9, 4))
    alpha, reg = 3.0, 0.5
    X = solve_side(sp.csr_matrix(R), torch.from_numpy(Y), alpha, reg).numpy()
    for u in range(15):
        C = np.diag(1.0 + alpha * R[u])
        expected = np.linalg.solve(Y.T @ C @ Y + reg * np.eye(4), Y.T @ C @ R[u])
        np.testing.assert_allclose(X[u], expected, rtol=1e-8, atol=1e-10)


def test_loss_is_the_objective_over_all_pairs() -> None:
    rng = np.random.default_rng(1)
    R = (rng.random((6, 5)) < 0.5).astype(float)
    U, V = rng.normal(size=(6, 3)), rng.normal(size=(5, 3))
    C = 1.0 + 2.0 * R
    expected = np.sum(C * (R - U @ V.T) ** 2) + 0.1 * (np.sum(U**2) + np.sum(V**2))
    loss = ials_loss(sp.csr_matrix(R), torch.from_numpy(U), torch.from_numpy(V), 2.0, 0.1)
    assert loss == pytest.approx(expected, rel=1e-10)


def test_same_seed_same_factors() -> None:
    rng = np.random.default_rng(2)
    R = sp.csr_matrix((rng.random((20, 10)) < 0.3).astype(float))
    train = TrainMatrix(R, torch.from_numpy(np.asarray(R.sum(0)).ravel()))
    a, b, c = (IALS(20, 10, factors=3, iterations=2, seed=s) for s in (5, 5, 6))
    for model in (a, b, c):
        model.fit(train)
    assert torch.equal(a.V, b.V) and not torch.equal(a.V, c.V)


@pytest.mark.parametrize(
    ("params", "key"),
    [({"factors": 0}, r"model\.factors=0 must be >= 1"), ({"reg": -1.0}, r"model\.reg"),
     ({"alpha": -1.0}, r"model\.alpha"), ({"iterations": 0}, r"model\.iterations"),
     ({"seed": -1}, r"model\.seed"), ({"engine": "gpu"}, r"model\.engine")],
)  # fmt: skip
def test_rejects_out_of_range(params: dict, key: str) -> None:
    with pytest.raises(ValueError, match=key):
        IALS(n_users=2, n_items=2, **params)

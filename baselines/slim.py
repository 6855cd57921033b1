"""SLIM (Ning & Karypis, ICDM 2011) with an ElasticNet solver, as in Dacrema et al. (2019).

For every item ``j``, the column ``w_j`` of ``W`` is scikit-learn's ElasticNet fitted on the
binary training matrix ``X`` with column ``j`` zeroed, predicting ``X[:, j]``:

    min_w  1 / (2 n_users) ||X[:, j] - X_{-j} w||^2 + alpha * l1_ratio * ||w||_1
           + alpha * (1 - l1_ratio) / 2 * ||w||^2,      w >= 0, no intercept

so ``diag(W) = 0``. Optionally each column keeps only its ``k`` largest weights. A user's
scores are ``x_u W``. The coordinate descent is cyclic (deterministic).

Example:
    >>> import scipy.sparse as sp
    >>> import torch
    >>> from bench.rankers import TrainMatrix
    >>> X = sp.csr_matrix([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    >>> slim = SLIM(n_users=3, n_items=3, alpha=0.01, l1_ratio=0.5)
    >>> slim.fit(TrainMatrix(X, torch.tensor([2.0, 3.0, 2.0])))
    >>> torch.diagonal(slim.W).tolist()
    [0.0, 0.0, 0.0]
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from baselines.itemknn import check_k, keep_top_k
from bench.rankers import ClosedFormRanker, TrainingData, TrainMatrix, UserBatch
from bench.rankers.memory import MemoryEstimate, dense_bytes, lazy_zeros, sparse_bytes


def elastic_net(alpha: float, l1_ratio: float, max_iter: int, tol: float) -> Any:
    """The per-column regressor (scikit-learn ElasticNet, non-negative, no intercept)."""
    from sklearn.linear_model import ElasticNet

    return ElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, positive=True, fit_intercept=False, copy_X=False,
        precompute=False, selection="cyclic", max_iter=max_iter, tol=tol,
    )  # fmt: skip


class SLIM(ClosedFormRanker):
    """SLIM-ElasticNet.

    Args:
        alpha: total regularisation weight (``> 0``).
        l1_ratio: share of L1 in the penalty (``0 <= l1_ratio <= 1``).
        k: weights kept per item column (``>= 1``), or ``None`` to keep all.
        max_iter: coordinate-descent sweeps per item (``>= 1``).
        tol: coordinate-descent tolerance (``> 0``).
    """

    folds_in_users = True  # scores depend on the batch's history only

    def __init__(
        self,
        n_users: int,
        n_items: int,
        alpha: float = 1e-3,
        l1_ratio: float = 0.1,
        k: int | None = None,
        max_iter: int = 100,
        tol: float = 1e-4,
    ) -> None:
        super().__init__(n_users, n_items)
        if not float(alpha) > 0:
            raise ValueError(f"model.alpha={alpha!r} must be > 0")
        if not 0.0 <= float(l1_ratio) <= 1.0:
            raise ValueError(f"model.l1_ratio={l1_ratio!r} must be in [0, 1]")
        self.k = None if k is None else check_k(k)
        self.max_iter = check_k(max_iter, "model.max_iter")
        if not float(tol) > 0:
            raise ValueError(f"model.tol={tol!r} must be > 0")
        self.alpha, self.l1_ratio, self.tol = float(alpha), float(l1_ratio), float(tol)
        self.save_hyperparameters()
        self.register_buffer("W", lazy_zeros(n_items, n_items))  # pages committed by fit

    def estimate_memory(self, data: TrainingData) -> MemoryEstimate:
        """Host bytes :meth:`fit` adds: ``W`` (float32), the float64 weights, their top-k copy
        and ``topk``'s column-order copy (if ``k``), the float32 cast, and a float64 copy of
        the training matrix."""
        n = self.n_items
        total = dense_bytes(n, n, "float32") * 2 + dense_bytes(n, n, "float64")
        if self.k is not None and self.k < n:  # the top-k copy and topk's column-order copy
            total += dense_bytes(n, n, "float64") * 2 + dense_bytes(self.k, n, "float64") * 2
        total += sparse_bytes(data.matrix.nnz, n) + dense_bytes(data.n_users, 2, "float64")
        return MemoryEstimate(total, f"for {n:,} items (float64 weights)")

    def fit(self, train: TrainMatrix) -> None:
        from sklearn.exceptions import ConvergenceWarning

        X = sp.csc_matrix(train.matrix, dtype=np.float64)
        X.data[:] = 1.0
        n_items = X.shape[1]
        W = np.zeros((n_items, n_items), dtype=np.float64)
        model = elastic_net(self.alpha, self.l1_ratio, self.max_iter, self.tol)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            for j in range(n_items):
                start, end = X.indptr[j], X.indptr[j + 1]
                if start == end:
                    continue  # item never seen in training: its column stays zero
                y = X[:, j].toarray().ravel()
                saved = X.data[start:end].copy()
                X.data[start:end] = 0.0  # zero column j (no self-similarity)
                model.fit(X, y)
                X.data[start:end] = saved
                W[:, j] = model.coef_
        W_t = torch.from_numpy(W)
        W_t.fill_diagonal_(0.0)
        if self.k is not None:
            W_t = keep_top_k(W_t, self.k, dim=0)
        self.W.copy_(W_t.to(self.W.dtype))

    def score(self, batch: UserBatch) -> Tensor:
        return batch.history.to(self.W.dtype) @ self.W

"""RP3beta (Paudel, Christoffel, Newell & Bernstein, ACM TiiS 2016): random walks of length
three on the user-item graph, with a popularity penalty.

With the binary training matrix ``X`` (users x items), user degrees ``d_u`` and item degrees
(popularities) ``d_i``:

    P_ui = (X / d_u) ** alpha          user -> item transition probabilities, raised to alpha
    P_iu = (X^T / d_i) ** alpha        item -> user transition probabilities, raised to alpha
    W[i, j] = (P_iu @ P_ui)[i, j] / d_j ** beta              (W[i, i] = 0)

and each row ``i`` of ``W`` keeps its ``k`` largest entries (the reference implementation of
Dacrema et al., RecSys 2019). A user's scores are ``x_u W``. ``alpha = 1, beta = 0`` is P3alpha
with alpha = 1 (plain three-step random walk).

Example:
    >>> import scipy.sparse as sp
    >>> import torch
    >>> from bench.rankers import TrainMatrix
    >>> X = sp.csr_matrix([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    >>> rp3 = RP3beta(n_users=2, n_items=3, k=3, alpha=1.0, beta=0.0)
    >>> rp3.fit(TrainMatrix(X, torch.tensor([1.0, 2.0, 1.0])))
    >>> rp3.W[0].tolist()
    [0.0, 0.5, 0.0]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from baselines.itemknn import check_k, keep_top_k
from bench.rankers import ClosedFormRanker, TrainingData, TrainMatrix, UserBatch
from bench.rankers.memory import (
    MemoryEstimate,
    dense_bytes,
    gram_nnz_bound,
    lazy_zeros,
    sparse_bytes,
)


def _row_normalised(M: sp.csr_matrix) -> sp.csr_matrix:
    degree = np.asarray(M.sum(axis=1)).ravel()
    inverse = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    return sp.csr_matrix(sp.diags(inverse) @ M)


class RP3beta(ClosedFormRanker):
    """RP3beta item-item graph model.

    Args:
        k: entries kept per row of ``W`` (``>= 1``).
        alpha: exponent of the transition probabilities (``> 0``).
        beta: popularity penalty exponent (``>= 0``; 0 = no penalty).
    """

    folds_in_users = True  # scores depend on the batch's history only

    def __init__(
        self, n_users: int, n_items: int, k: int = 100, alpha: float = 1.0, beta: float = 0.5
    ) -> None:
        super().__init__(n_users, n_items)
        self.k = check_k(k)
        if not float(alpha) > 0:
            raise ValueError(f"model.alpha={alpha!r} must be > 0")
        if not float(beta) >= 0:
            raise ValueError(f"model.beta={beta!r} must be >= 0")
        self.alpha, self.beta = float(alpha), float(beta)
        self.save_hyperparameters()
        self.register_buffer("W", lazy_zeros(n_items, n_items))  # pages committed by fit

    def estimate_memory(self, data: TrainingData) -> MemoryEstimate:
        """Host bytes :meth:`fit` adds: ``W`` (float32), two float64 ``n_items^2`` matrices
        (the walk, its top-k copy) plus a float32 cast, the sparse walk product, the top-k
        indices and four float64 copies of the training matrix."""
        n, k, nnz = self.n_items, min(self.k, self.n_items), data.matrix.nnz
        dense = dense_bytes(n, n, "float32") * 2 + dense_bytes(n, n, "float64") * 2
        product = sparse_bytes(gram_nnz_bound(data.matrix), n, index="int64")
        total = max(dense, dense_bytes(n, n, "float64") * 2 + product)
        total += dense_bytes(k, n, "float64") * 2 + 4 * sparse_bytes(nnz, data.n_users)
        return MemoryEstimate(total, f"for {n:,} items (float64 walk)")

    def fit(self, train: TrainMatrix) -> None:
        X = sp.csr_matrix(train.matrix, dtype=np.float64)
        X.data[:] = 1.0
        P_ui = _row_normalised(X).power(self.alpha)
        P_iu = _row_normalised(sp.csr_matrix(X.T)).power(self.alpha)
        popularity = np.asarray(X.sum(axis=0)).ravel()
        penalty = np.zeros_like(popularity)
        np.power(popularity, -self.beta, out=penalty, where=popularity > 0)
        W = torch.from_numpy(np.asarray((P_iu @ P_ui).toarray()) * penalty[None, :])
        W.fill_diagonal_(0.0)
        self.W.copy_(keep_top_k(W, self.k, dim=1).to(self.W.dtype))

    def score(self, batch: UserBatch) -> Tensor:
        return batch.history.to(self.W.dtype) @ self.W

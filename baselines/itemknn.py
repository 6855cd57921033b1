"""ItemKNN: item-item cosine similarity with shrinkage, top-k neighbours per item.

With the binary training matrix ``X`` (users x items), ``dot = X^T X`` and
``norm_i = sqrt(dot[i, i])``, the similarity of items ``i`` and ``j`` is

    sim[i, j] = dot[i, j] / (norm_i * norm_j + shrink)        (sim[i, i] = 0)

For every target item ``j`` only its ``k`` most similar items are kept (column ``j`` of ``W``
keeps its ``k`` largest entries, as RecBole's ItemKNN does), and a user's scores are
``x_u W`` for the history row ``x_u``. Computed in float64, kept in float32.

Example:
    >>> import scipy.sparse as sp
    >>> import torch
    >>> from bench.rankers import TrainMatrix
    >>> X = sp.csr_matrix([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    >>> knn = ItemKNN(n_users=2, n_items=3, k=2, shrink=0.0)
    >>> knn.fit(TrainMatrix(X, torch.tensor([1.0, 2.0, 1.0])))
    >>> [round(v, 4) for v in knn.W[0].tolist()]
    [0.0, 0.7071, 0.0]
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from bench.rankers import ClosedFormRanker, TrainingData, TrainMatrix, UserBatch
from bench.rankers.memory import (
    MemoryEstimate,
    dense_bytes,
    gram_nnz_bound,
    lazy_zeros,
    sparse_bytes,
)


def check_k(value: object, name: str = "model.k") -> int:
    """``value`` as a positive int, or a one-line ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} must be >= 1")
    return value


def keep_top_k(W: Tensor, k: int, dim: int) -> Tensor:
    """``W`` with only the ``k`` largest entries of every column (``dim=0``) or row (``dim=1``)."""
    if k >= W.shape[dim]:
        return W
    values, index = torch.topk(W, k, dim=dim)
    return torch.zeros_like(W).scatter_(dim, index, values)


def binary_gram(train: TrainMatrix) -> np.ndarray:
    """``X^T X`` of the binary training matrix, dense float64."""
    X = train.matrix.astype(np.float64)
    return np.asarray((X.T @ X).toarray(), dtype=np.float64)


class ItemKNN(ClosedFormRanker):
    """Item-based k-nearest neighbours with shrunk cosine similarity.

    Args:
        k: neighbours kept per item (``>= 1``).
        shrink: added to the cosine's denominator (``>= 0``); damps similarities of rare items.
    """

    folds_in_users = True  # scores depend on the batch's history only

    def __init__(self, n_users: int, n_items: int, k: int = 100, shrink: float = 0.0) -> None:
        super().__init__(n_users, n_items)
        self.k = check_k(k)
        if not float(shrink) >= 0:
            raise ValueError(f"model.shrink={shrink!r} must be >= 0")
        self.shrink = float(shrink)
        self.save_hyperparameters()
        self.register_buffer("W", lazy_zeros(n_items, n_items))  # pages committed by fit

    def estimate_memory(self, data: TrainingData) -> MemoryEstimate:
        """Host bytes :meth:`fit` adds: ``W`` (float32), three float64 ``n_items^2`` matrices
        (Gram, similarity, its top-k copy) plus a float32 cast, the top-k indices and the
        sparse Gram product."""
        n, k = self.n_items, min(self.k, self.n_items)
        total = dense_bytes(n, n, "float32") * 2 + dense_bytes(n, n, "float64") * 3
        total += dense_bytes(k, n, "float64") * 2  # top-k values and indices
        total += sparse_bytes(data.matrix.nnz, data.n_users) + sparse_bytes(
            gram_nnz_bound(data.matrix), n
        )
        return MemoryEstimate(total, f"for {n:,} items (float64 similarity)")

    def fit(self, train: TrainMatrix) -> None:
        dot = torch.from_numpy(binary_gram(train))
        norms = torch.sqrt(torch.diagonal(dot))
        sim = dot / (norms[:, None] * norms[None, :] + self.shrink)
        sim = torch.nan_to_num(sim, nan=0.0, posinf=0.0, neginf=0.0)  # items never seen
        sim.fill_diagonal_(0.0)
        self.W.copy_(keep_top_k(sim, self.k, dim=0).to(self.W.dtype))

    def score(self, batch: UserBatch) -> Tensor:
        return batch.history.to(self.W.dtype) @ self.W

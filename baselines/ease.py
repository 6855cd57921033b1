"""EASE (Steck, WWW 2019): a closed-form item-item linear auto-encoder.

With the binary training matrix ``X``, ``P = (X^T X + l2 I)^-1`` and
``B = I - P / diag(P)`` (column ``j`` divided by ``P[j, j]``), so ``diag(B) = 0``. A user's
scores are ``x_u B`` for the history row ``x_u``. The inverse is computed in float64 on the
ranker's device and ``B`` is kept in float32.

Example:
    >>> import scipy.sparse as sp
    >>> import torch
    >>> from bench.rankers import TrainMatrix
    >>> X = sp.csr_matrix([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    >>> ease = EASE(n_users=2, n_items=3, l2=1.0)
    >>> ease.fit(TrainMatrix(X, torch.tensor([1.0, 2.0, 1.0])))
    >>> torch.diagonal(ease.B).tolist()
    [0.0, 0.0, 0.0]
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from bench.rankers import Capabilities, ClosedFormRanker, TrainMatrix, UserBatch


class EASE(ClosedFormRanker):
    """EASE with L2 regularisation weight ``l2`` (Steck used 500 on ML-20M; RecBole 250)."""

    capabilities = Capabilities(folds_in_users=True)  # scores from the batch's history only

    def __init__(self, n_users: int, n_items: int, l2: float = 500.0) -> None:
        super().__init__(n_users, n_items)
        if not float(l2) > 0:
            raise ValueError(f"model.l2={l2!r} must be > 0 (EASE's L2 weight, e.g. 500)")
        self.save_hyperparameters()
        self.l2 = float(l2)
        self.register_buffer("B", torch.zeros(n_items, n_items))

    def fit(self, train: TrainMatrix) -> None:
        X = train.matrix
        gram = (X.T @ X).toarray().astype(np.float64)
        G = torch.from_numpy(gram).to(self.B.device)
        G.diagonal().add_(self.l2)
        P = torch.linalg.inv(G)
        B = -P / torch.diagonal(P).unsqueeze(0)
        B.fill_diagonal_(0.0)
        self.B.copy_(B.to(self.B.dtype))

    def score(self, batch: UserBatch) -> Tensor:
        return batch.history.to(self.B.dtype) @ self.B

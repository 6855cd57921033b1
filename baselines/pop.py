"""Pop: rank items by true popularity, the number of training interactions of each item.

Every training interaction counts (repeats included), unlike RecBole 1.2.1's Pop, which counts
an item at most once per training batch. Ties are broken by the evaluator (lower item index).

Example:
    >>> import torch
    >>> import scipy.sparse as sp
    >>> from bench.rankers import TrainMatrix
    >>> pop = Pop(n_users=2, n_items=3)
    >>> pop.fit(TrainMatrix(sp.csr_matrix((2, 3)), torch.tensor([1.0, 5.0, 2.0])))
    >>> pop.item_counts.tolist()
    [1.0, 5.0, 2.0]
"""

from __future__ import annotations

import torch
from torch import Tensor

from bench.rankers import Capabilities, ClosedFormRanker, TrainMatrix, UserBatch


class Pop(ClosedFormRanker):
    """Most-popular ranker (no hyperparameters)."""

    capabilities = Capabilities(folds_in_users=True)  # scores from the batch's history only

    def __init__(self, n_users: int, n_items: int) -> None:
        super().__init__(n_users, n_items)
        self.save_hyperparameters()
        self.register_buffer("item_counts", torch.zeros(n_items))

    def fit(self, train: TrainMatrix) -> None:
        self.item_counts.copy_(train.counts.to(self.item_counts))

    def score(self, batch: UserBatch) -> Tensor:
        return self.item_counts.unsqueeze(0).expand(len(batch), -1)

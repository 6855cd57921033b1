"""Random: seeded uniform scores, the floor every ranker must beat.

Each (user, item) gets a score in ``[0, 1)`` from a counter-based hash of ``(seed, user, item)``
(splitmix64), so a user's scores depend on the seed, the user id and the item id only: not on
the batch, the batch order or the device, and they repeat exactly under the same seed.

Example:
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from bench.rankers.history import build_batch
    >>> ranker = Random(n_users=2, n_items=4, seed=7)
    >>> batch = build_batch(np.array([1]), sp.csr_matrix((2, 4)), 4)
    >>> scores = ranker.score(batch)
    >>> tuple(scores.shape), bool(((scores >= 0) & (scores < 1)).all())
    ((1, 4), True)
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from bench.rankers import ClosedFormRanker, TrainMatrix, UserBatch
from bench.rankers.data import Capabilities

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (uint64 in, uint64 out, wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = x + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * _MIX1
        x = (x ^ (x >> np.uint64(27))) * _MIX2
        return x ^ (x >> np.uint64(31))


def uniform_scores(seed: int, users: np.ndarray, n_items: int) -> np.ndarray:
    """``[len(users), n_items]`` float64 uniform ``[0, 1)`` values, one per (seed, user, item)."""
    users = np.asarray(users, dtype=np.uint64)
    items = np.arange(n_items, dtype=np.uint64)
    with np.errstate(over="ignore"):
        key = _splitmix64(np.full(1, seed, dtype=np.uint64).astype(np.uint64))
        row = _splitmix64(key ^ users)  # [batch]
        cell = _splitmix64(row[:, None] ^ (items[None, :] * _GOLDEN))
    return (cell >> np.uint64(11)).astype(np.float64) * 2.0**-53


class Random(ClosedFormRanker):
    """Uniformly random scores, seeded by ``seed`` (the runner passes the run seed)."""

    # scores depend on the user id (not the history) and the seed; any id gets scores
    capabilities = Capabilities(cold_users=True)

    def __init__(self, n_users: int, n_items: int, seed: int = 0) -> None:
        super().__init__(n_users, n_items)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"model.seed={seed!r} must be an integer >= 0")
        self.save_hyperparameters()
        # the seed is the ranker's whole state: a buffer, so state_dict / pickle carry it
        self.register_buffer("seed", torch.tensor([seed], dtype=torch.int64))

    def fit(self, train: TrainMatrix) -> None:
        """Nothing to learn."""

    def score(self, batch: UserBatch) -> Tensor:
        users = batch.users.detach().cpu().numpy()
        scores = uniform_scores(int(self.seed.item()), users, self.n_items)
        return torch.from_numpy(scores).to(device=batch.users.device, dtype=torch.float32)

"""Negative samplers for sampled-candidate evaluation (only to compare with old papers).

Each user's negatives depend only on ``(seed, user id, the user's excluded items)``, never on
the batch they were scored in, so results repeat across batch sizes and processes. Negatives
are distinct items outside the user's targets and seen items.

Example:
    >>> import numpy as np
    >>> sampler = UniformNegatives(n=3, seed=0)
    >>> negatives = sampler.sample(user=7, excluded=np.array([0, 1]), n_items=10)
    >>> len(negatives), bool(np.isin(negatives, [0, 1]).any())
    (3, False)
    >>> (negatives == sampler.sample(7, np.array([0, 1]), 10)).all()
    np.True_
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


class NotEnoughNegativesError(ValueError):
    """A user has fewer eligible items than the negatives asked for."""


def _check(user: int, eligible: int, n: int) -> None:
    if eligible < n:
        raise NotEnoughNegativesError(
            f"user {user} has only {eligible} items eligible as negatives, {n} asked; "
            "lower n_negatives"
        )


class UniformNegatives:
    """``n`` distinct negatives drawn uniformly from the items the user has not touched.

    Args:
        n: negatives per user (100 in most papers that use this protocol).
        seed: base seed; each user's generator is seeded with ``(seed, user)``.
    """

    def __init__(self, n: int = 100, seed: int = 0) -> None:
        if n < 1:
            raise ValueError(f"n must be >= 1 negatives per user, got {n}")
        self.n, self.seed = int(n), int(seed)

    @property
    def label(self) -> str:
        return f"uniform,n={self.n},seed={self.seed}"

    def sample(self, user: int, excluded: np.ndarray, n_items: int) -> np.ndarray:
        """``n`` item indices not in ``excluded`` (sorted unique ids), in draw order."""
        _check(user, n_items - excluded.size, self.n)
        rng = np.random.default_rng([self.seed, int(user)])
        draw = rng.choice(n_items, size=min(n_items, self.n + excluded.size), replace=False)
        return draw[~np.isin(draw, excluded)][: self.n]


class PopularityNegatives:
    """``n`` distinct negatives drawn with probability proportional to training popularity.

    Args:
        item_popularity: ``[n_items]`` training interactions per item (items with 0 are
            never drawn).
        n: negatives per user.
        seed: base seed; each user's generator is seeded with ``(seed, user)``.
    """

    def __init__(self, item_popularity: Tensor | np.ndarray, n: int = 100, seed: int = 0) -> None:
        if n < 1:
            raise ValueError(f"n must be >= 1 negatives per user, got {n}")
        weights = torch.as_tensor(item_popularity).double().cpu().numpy()
        if weights.ndim != 1 or (weights < 0).any():
            raise ValueError("item_popularity must be a 1-D array of counts >= 0")
        self.weights, self.n, self.seed = weights, int(n), int(seed)

    @property
    def label(self) -> str:
        return f"popularity,n={self.n},seed={self.seed}"

    def sample(self, user: int, excluded: np.ndarray, n_items: int) -> np.ndarray:
        """``n`` item indices not in ``excluded``, drawn without replacement by popularity."""
        if self.weights.size != n_items:
            raise ValueError(
                f"item_popularity has {self.weights.size} items, scores have {n_items}"
            )
        weights = self.weights.copy()
        weights[excluded] = 0.0
        _check(user, int(np.count_nonzero(weights)), self.n)
        rng = np.random.default_rng([self.seed, int(user)])
        return rng.choice(n_items, size=self.n, replace=False, p=weights / weights.sum())

"""Samplers: batches of indices sharded over processes, and negative items for training.

- :class:`ShuffledBatches`, :class:`UserChunks`: whole batches of indices, sharded over
  processes without Lightning.
- :class:`UniformNegatives`, :class:`PopularityNegatives`: negative items for pairwise and
  pointwise rankers (BPR), drawn outside each user's training row.

All are deterministic functions of their arguments (the epoch, batch and process included), so
a resumed run sees the same batches and negatives as an uninterrupted one, and every process of
a DDP run knows its share without communication.

Example:
    >>> sampler = ShuffledBatches(5, batch_size=2, seed=0)
    >>> sampler.set_epoch(0)
    >>> sorted(int(i) for batch in sampler for i in batch)
    [0, 1, 2, 3, 4]
    >>> [b.tolist() for b in UserChunks([3, 5, 8, 9, 12], batch_size=2, rank=1, world_size=2)]
    [[5, 9]]
    >>> import scipy.sparse as sp, torch
    >>> negatives = UniformNegatives(sp.csr_matrix([[1.0, 1.0, 0.0, 0.0]]), seed=0)
    >>> sorted(set(negatives.sample(torch.zeros(50, dtype=torch.long), epoch=0, step=0).tolist()))
    [2, 3]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

if TYPE_CHECKING:
    from bench.rankers.data import TrainingData


class ShuffledBatches:
    """Batches of ``range(n)`` in a fresh seeded order every epoch, sharded over ranks.

    With ``world_size`` processes every rank gets the same number of batches (DDP needs equal
    steps): the permutation is padded by repeating it from its start up to a multiple of
    ``world_size`` and rank ``r`` takes every ``world_size``-th index from position ``r``.

    Args:
        n: number of items to sample from.
        batch_size: indices per batch (the last batch may be shorter).
        seed: base seed; epoch ``e`` uses the permutation of ``(seed, e)``.
        rank, world_size: this process and the number of processes.
        shuffle: ``False`` keeps ``range(n)`` order (still sharded).
    """

    def __init__(
        self,
        n: int,
        batch_size: int,
        seed: int = 0,
        *,
        rank: int = 0,
        world_size: int = 1,
        shuffle: bool = True,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in [0, world_size={world_size})")
        self.n, self.batch_size, self.seed = int(n), int(batch_size), int(seed)
        self.rank, self.world_size, self.shuffle = rank, world_size, shuffle
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch (Lightning calls this before each training epoch)."""
        self.epoch = int(epoch)

    def _indices(self) -> np.ndarray:
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(self.n)
        else:
            order = np.arange(self.n)
        total = -(-self.n // self.world_size) * self.world_size
        if total > self.n and self.n:
            order = np.resize(order, total)  # repeats the permutation from its start
        return order[self.rank :: self.world_size]

    def __len__(self) -> int:
        per_rank = -(-self.n // self.world_size)
        return -(-per_rank // self.batch_size)

    def __iter__(self) -> Iterator[np.ndarray]:
        indices = self._indices()
        for start in range(0, len(indices), self.batch_size):
            yield indices[start : start + self.batch_size]


class UserChunks:
    """This rank's share of ``users`` (every ``world_size``-th, from ``rank``) in chunks.

    Evaluation needs no equal step counts, so nothing is padded and no user is repeated; a
    rank with no users gets one empty chunk.
    """

    def __init__(
        self,
        users: Sequence[int] | np.ndarray,
        batch_size: int,
        *,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        mine = np.asarray(users, dtype=np.int64)[rank::world_size]
        self.chunks = [mine[i : i + batch_size] for i in range(0, len(mine), batch_size)]
        # a rank without users still runs one (empty) step: Lightning skips a loop with no
        # batches, and that rank would then never join the other ranks' metric sync
        self.chunks = self.chunks or [mine[:0]]

    def __len__(self) -> int:
        return len(self.chunks)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.chunks)


def step_seed(seed: int, *keys: int) -> int:
    """A 63-bit seed from the run seed and integer keys (epoch, batch, rank, ...)."""
    entropy = [int(seed), *(int(k) for k in keys)]
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0] >> 1)


class NegativeSampler:
    """Items outside each user's training row, drawn from a seeded proposal distribution.

    The draw for one training step is a function of ``(seed, epoch, step, rank)``: items are
    proposed on the host with a ``torch.Generator`` and every proposal that is a training item
    of its user is redrawn (up to ``max_rounds`` times; a user who has every item keeps a
    positive). Subclasses define the proposal by :meth:`_propose`.

    Args:
        matrix: ``[n_users, n_items]`` binary training matrix (scipy CSR).
        seed: the run seed.
        max_rounds: redraw rounds for proposals that hit a training item.
    """

    def __init__(self, matrix: sp.csr_matrix, seed: int, *, max_rounds: int = 100) -> None:
        matrix = sp.csr_matrix(matrix)
        matrix.sort_indices()
        self.n_items = int(matrix.shape[1])
        self.seed, self.max_rounds = int(seed), int(max_rounds)
        users = torch.repeat_interleave(
            torch.arange(matrix.shape[0]), torch.from_numpy(matrix.indptr.astype(np.int64)).diff()
        )
        # ascending (CSR rows, sorted columns): membership by binary search
        self._keys = users * self.n_items + torch.from_numpy(matrix.indices).long()

    @classmethod
    def from_data(cls, data: TrainingData, **kwargs: Any) -> NegativeSampler:
        """A sampler over ``data.matrix`` seeded from the run seed ``data.seed``."""
        return cls(data.matrix, data.seed, **kwargs)

    def _propose(self, count: int, generator: torch.Generator) -> Tensor:
        raise NotImplementedError

    def _keys_on(self, device: torch.device) -> Tensor:
        if self._keys.device != device:
            self._keys = self._keys.to(device)
        return self._keys

    def sample(self, users: Tensor, *, epoch: int, step: int, rank: int = 0, n: int = 1) -> Tensor:
        """``n`` negative items per user (``[len(users)]`` for ``n=1``, else
        ``[len(users), n]``), on the device of ``users``."""
        generator = torch.Generator().manual_seed(step_seed(self.seed, epoch, step, rank))
        flat = users.reshape(-1, 1).expand(-1, n).reshape(-1)
        items = self._propose(flat.numel(), generator).to(users.device)
        keys = self._keys_on(users.device)
        if keys.numel():
            for _ in range(self.max_rounds):
                query = flat * self.n_items + items
                pos = torch.searchsorted(keys, query).clamp_max(keys.numel() - 1)
                clash = keys[pos] == query
                if not bool(clash.any()):
                    break
                redraw = self._propose(int(clash.sum()), generator)
                items[clash] = redraw.to(users.device)
        return items if n == 1 else items.reshape(-1, n)


class UniformNegatives(NegativeSampler):
    """Negatives uniform over the items a user has not interacted with in training."""

    def _propose(self, count: int, generator: torch.Generator) -> Tensor:
        return torch.randint(self.n_items, (count,), generator=generator)


class PopularityNegatives(NegativeSampler):
    """Negatives drawn in proportion to ``item_counts ** alpha`` (popular items more often),
    outside each user's training row; an item never seen in training is never proposed."""

    def __init__(
        self,
        matrix: sp.csr_matrix,
        seed: int,
        item_counts: Tensor | np.ndarray | None = None,
        *,
        alpha: float = 1.0,
        max_rounds: int = 100,
    ) -> None:
        super().__init__(matrix, seed, max_rounds=max_rounds)
        if item_counts is None:
            item_counts = np.bincount(sp.csr_matrix(matrix).indices, minlength=self.n_items)
        weights = torch.as_tensor(np.asarray(item_counts), dtype=torch.float64) ** float(alpha)
        if weights.numel() != self.n_items or not bool((weights.sum() > 0) & (weights >= 0).all()):
            raise ValueError("item_counts must be n_items non-negative counts, not all zero")
        self.weights = weights

    @classmethod
    def from_data(cls, data: TrainingData, **kwargs: Any) -> PopularityNegatives:
        """A sampler weighted by ``data.item_counts``, seeded from ``data.seed``."""
        return cls(data.matrix, data.seed, data.item_counts, **kwargs)

    def _propose(self, count: int, generator: torch.Generator) -> Tensor:
        if count == 0:
            return torch.zeros(0, dtype=torch.long)
        return torch.multinomial(self.weights, count, replacement=True, generator=generator)


NEGATIVE_SAMPLERS: dict[str, type[NegativeSampler]] = {
    "uniform": UniformNegatives,
    "popularity": PopularityNegatives,
}


def check_negatives(name: Any, key: str = "model.negatives") -> str:
    """``name`` if it is a known negative sampler, else a one-line ``ValueError`` naming ``key``.

    Example:
        >>> check_negatives("uniform")
        'uniform'
    """
    if name not in NEGATIVE_SAMPLERS:
        raise ValueError(f"{key}={name!r} is not one of {sorted(NEGATIVE_SAMPLERS)}")
    return str(name)


def step_negatives(
    sampler: NegativeSampler | None, module: Any, users: Tensor, batch_idx: int, *, n: int = 1
) -> Tensor:
    """The negatives of one training step of the Lightning ``module``: ``sampler`` seeded by
    (run seed, epoch, batch, process), as :meth:`NegativeSampler.sample` (``n`` per user).

    A ``None`` sampler (``prepare(data)`` never called) is refused with one line.
    """
    if sampler is None:
        raise RuntimeError(
            f"{type(module).__name__} has no negative sampler: call prepare(data) before "
            "fitting (bench.rankers.prepare_ranker; the runner and fit_ranker do)"
        )
    return sampler.sample(
        users, epoch=module.current_epoch, step=batch_idx, rank=module.global_rank, n=n
    )

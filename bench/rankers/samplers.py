"""Samplers that yield whole batches of indices, sharded over processes without Lightning.

Both are deterministic functions of their arguments (and, for :class:`ShuffledBatches`, of the
epoch), so a resumed run sees the same batches as an uninterrupted one, and every process of a
DDP run knows its share without communication.

Example:
    >>> sampler = ShuffledBatches(5, batch_size=2, seed=0)
    >>> sampler.set_epoch(0)
    >>> sorted(int(i) for batch in sampler for i in batch)
    [0, 1, 2, 3, 4]
    >>> [b.tolist() for b in UserChunks([3, 5, 8, 9, 12], batch_size=2, rank=1, world_size=2)]
    [[5, 9]]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


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

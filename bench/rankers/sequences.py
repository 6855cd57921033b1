"""Training sequences for sequential rankers: ``train_input="sequences"``.

A ranker with ``train_input = "sequences"`` (and a ``sequence_length``, its maximum length
``L``) trains on :class:`~bench.rankers.batch.SequenceBatch` blocks built here from each user's
training items in time order (:func:`bench.split.order.per_user_chronological`: timestamp, ties
by file order; the same order as the evaluation sequences of :mod:`bench.rankers.history`).

Next-item training (:class:`NextItemSequences`, SASRec's scheme): one row per training user
per epoch, from the last ``L + 1`` training items ``s``: ``inputs = s[:-1]`` and ``targets =
s[1:]``, so every real position predicts the item that follows it (causal models only look
left). Rows are left-padded with ``pad = n_items``; a position whose input is padding has no
target (``pad``), so a user's first training item is only ever an input. Users with fewer than
two training items have no target and are left out.

The data module shuffles the rows with :class:`~bench.rankers.samplers.ShuffledBatches`
(seeded by the run seed and the epoch, sharded over DDP processes with equal step counts).

Adding another scheme (e.g. BERT4Rec's masked items): write a builder that follows
:class:`SequenceRows` (``len(rows)`` rows per epoch, ``rows(positions) -> SequenceBatch``) and
puts a mask token in ``inputs`` and the hidden items in ``targets`` (``pad`` elsewhere), and
give it its own ``train_input`` name in :class:`~bench.rankers.datamodule.RankDataModule`.
Randomness in a builder must be a function of (seed, epoch, rows), as in the samplers, so that
a resumed run sees the same batches.

Example:
    >>> import numpy as np
    >>> indptr, items = np.array([0, 3, 4, 8]), np.array([5, 6, 7, 1, 2, 3, 4, 0])
    >>> rows = NextItemSequences(indptr, items, n_items=9, max_len=3)
    >>> rows.users.tolist()  # user 1 has one training item: no target
    [0, 2]
    >>> batch = rows(np.array([0, 1]))
    >>> batch.inputs.tolist(), batch.targets.tolist()
    ([[9, 5, 6], [2, 3, 4]], [[9, 6, 7], [3, 4, 0]])
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from bench.rankers.batch import SequenceBatch
from bench.rankers.history import padded_sequences


class SequenceRows(Protocol):
    """A training-sequence builder: ``len(rows)`` rows per epoch, ``rows(positions)`` a batch."""

    def __len__(self) -> int: ...

    def __call__(self, positions: np.ndarray) -> SequenceBatch: ...


class NextItemSequences:
    """Next-item rows: each training user's last ``max_len + 1`` items, shifted by one.

    Args:
        indptr, items: ragged per-user training items in time order (user ``u``'s items are
            ``items[indptr[u]:indptr[u + 1]]``, most recent last).
        n_items: catalogue size (the padding id).
        max_len: positions per row (the ranker's maximum sequence length).
    """

    def __init__(self, indptr: np.ndarray, items: np.ndarray, n_items: int, max_len: int) -> None:
        if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
            raise ValueError(f"sequence_length={max_len!r} must be a positive integer")
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.items = np.asarray(items, dtype=np.int64)
        self.n_items, self.max_len = int(n_items), max_len
        self.users = np.flatnonzero(np.diff(self.indptr) >= 2).astype(np.int64)

    def __len__(self) -> int:
        return len(self.users)

    def __call__(self, positions: np.ndarray) -> SequenceBatch:
        users = self.users[np.asarray(positions, dtype=np.int64)]
        pad = self.n_items
        rows = padded_sequences(users, self.indptr, self.items, self.max_len + 1, pad)
        inputs, targets = rows[:, :-1], rows[:, 1:].clone()
        targets[inputs == pad] = pad
        return SequenceBatch(torch.from_numpy(users), inputs.contiguous(), targets, pad)

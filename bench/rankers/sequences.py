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

Masked-item training (:class:`MaskedItemSequences`, ``train_input="masked_sequences"``,
BERT4Rec's cloze task): one row per training user per epoch, the last ``L`` training items,
left-padded with ``pad = n_items``. Every real position is hidden independently with
probability ``mask_prob``: its input becomes the mask token ``n_items + 1`` and its target is
the hidden item; every other position has no target (``pad``). A row in which no position was
drawn gets one real position, chosen uniformly, hidden (every row trains something). With
probability ``mask_last_prob`` a row instead hides only its last item (BERT4Rec's extra samples
that match the inference task: the history followed by a mask). Padding is never hidden. The
draws of one step are a function of (run seed, epoch, step, process), as the negative samplers'
are: the data module wraps the shuffled batches in :class:`KeyedBatches`, which hands the
builder a :class:`BatchKey` (the rows, the epoch, the step within it and the process).
Users without training items are left out.

Adding another scheme: write a builder that follows
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
    >>> masked = MaskedItemSequences(indptr, items, n_items=9, max_len=3, mask_prob=0.5)
    >>> batch = masked(BatchKey(np.array([0, 1]), epoch=0, step=0))
    >>> masked.users.tolist()  # every user with a training item
    [0, 1, 2]
    >>> batch.inputs.tolist(), batch.targets.tolist()  # mask token 10, pad 9
    ([[5, 10, 10], [9, 9, 10]], [[9, 6, 7], [9, 9, 1]])
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from bench.rankers.batch import SequenceBatch
from bench.rankers.history import padded_sequences
from bench.rankers.params import check_probability
from bench.rankers.samplers import ShuffledBatches, step_seed


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


@dataclass(frozen=True)
class BatchKey:
    """The rows of one training step with what seeds its random draws.

    Attributes:
        positions: row indices of the builder (``0..len(rows) - 1``).
        epoch, step, rank: the epoch, the step within it (Lightning's ``batch_idx``) and the
            process.
    """

    positions: np.ndarray
    epoch: int = 0
    step: int = 0
    rank: int = 0


class KeyedBatches:
    """:class:`~bench.rankers.samplers.ShuffledBatches` that yields :class:`BatchKey` s (the
    batch's rows with its epoch, step and process), for builders whose rows are random.

    Example:
        >>> keys = KeyedBatches(ShuffledBatches(3, batch_size=2, seed=0))
        >>> keys.set_epoch(4)
        >>> [(k.epoch, k.step, len(k.positions)) for k in keys]
        [(4, 0, 2), (4, 1, 1)]
    """

    def __init__(self, batches: ShuffledBatches) -> None:
        self.batches = batches

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch (Lightning calls this before each training epoch)."""
        self.batches.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[BatchKey]:
        epoch, rank = self.batches.epoch, self.batches.rank
        for step, positions in enumerate(self.batches):
            yield BatchKey(positions, epoch, step, rank)


class MaskedItemSequences:
    """Masked-item rows (BERT4Rec's cloze task): each training user's last ``max_len`` items
    with random positions replaced by the mask token ``n_items + 1`` (see the module docs).

    Args:
        indptr, items: ragged per-user training items in time order.
        n_items: catalogue size (the padding id; the mask token is ``n_items + 1``).
        max_len: positions per row.
        mask_prob: probability that a real position is hidden, in ``(0, 1]``.
        mask_last_prob: probability that a row hides only its last item, in ``[0, 1]``.
        seed: the run seed (with the :class:`BatchKey`'s epoch, step and rank).
    """

    def __init__(
        self,
        indptr: np.ndarray,
        items: np.ndarray,
        n_items: int,
        max_len: int,
        *,
        mask_prob: float = 0.2,
        mask_last_prob: float = 0.0,
        seed: int = 0,
    ) -> None:
        if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
            raise ValueError(f"sequence_length={max_len!r} must be a positive integer")
        self.mask_prob = check_probability("mask_prob", mask_prob, zero=False)
        self.mask_last_prob = check_probability("mask_last_prob", mask_last_prob, zero=True)
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.items = np.asarray(items, dtype=np.int64)
        self.n_items, self.max_len, self.seed = int(n_items), max_len, int(seed)
        self.mask_token = self.n_items + 1
        self.users = np.flatnonzero(np.diff(self.indptr) >= 1).astype(np.int64)

    def __len__(self) -> int:
        return len(self.users)

    def __call__(self, key: BatchKey) -> SequenceBatch:
        users = self.users[np.asarray(key.positions, dtype=np.int64)]
        pad, width = self.n_items, self.max_len
        rows = padded_sequences(users, self.indptr, self.items, width, pad).numpy()
        real = rows != pad
        rng = np.random.default_rng(step_seed(self.seed, key.epoch, key.step, key.rank))
        hidden = (rng.random(rows.shape) < self.mask_prob) & real
        # a row with nothing drawn hides one real position, uniformly (left padding: the real
        # positions are the last ``length`` ones)
        lengths = real.sum(1)
        pick = width - 1 - np.floor(rng.random(len(rows)) * lengths).astype(np.int64)
        empty = ~hidden.any(1)
        hidden[np.flatnonzero(empty), pick[empty]] = True
        last_only = rng.random(len(rows)) < self.mask_last_prob
        hidden[last_only] = False
        hidden[last_only, -1] = True
        inputs = np.where(hidden, self.mask_token, rows)
        targets = np.where(hidden, rows, pad)
        return SequenceBatch(
            torch.from_numpy(users), torch.from_numpy(inputs), torch.from_numpy(targets), pad
        )

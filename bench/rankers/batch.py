"""Batch types that flow from the data module to a ranker.

- :class:`UserBatch`: a block of users with their history rows (the ranker's input), and, for
  evaluation, their targets and the items to leave out of their ranking. Sequential rankers
  also get each user's history as a left-padded item sequence in time order.
- :class:`InteractionBatch`: a shuffled block of training (user, item) pairs (pairwise and
  pointwise gradient rankers, e.g. BPR).
- :class:`TrainMatrix`: the whole training matrix at once (closed-form rankers: Pop, EASE).
- :class:`SequenceBatch`: a block of training sequences with a target item at each position
  (sequential rankers: SASRec's next-item training, see :mod:`bench.rankers.sequences`).

Every type has ``to(device)``, so Lightning moves it like a tensor.

Example:
    >>> import torch
    >>> batch = InteractionBatch(users=torch.tensor([0, 1]), items=torch.tensor([3, 2]))
    >>> len(batch), batch.to("cpu").items.tolist()
    (2, [3, 2])
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from bench.eval.sparse import RowSets


def _to(value: object, device: torch.device | str) -> object:
    return value.to(device) if isinstance(value, Tensor | RowSets) else value


@dataclass(frozen=True)
class UserBatch:
    """A block of users to score (or, for user-based training, to reconstruct).

    Attributes:
        users: ``[batch]`` int64 user ids.
        history: ``[batch, n_items]`` float32 sparse COO rows (coalesced) of the interactions
            the ranker may use as input (train for validation, train + valid for test, the fold-in
            interactions for user-holdout splits).
        targets: the users' held-out items (``None`` in training batches).
        exclude: items removed from each user's ranking by the evaluator (seen items), or
            ``None``.
        sequence: ``[batch, length]`` int64 history items in time order, most recent last,
            left-padded with ``pad`` (only for rankers that ask for sequences).
        pad: the padding value of ``sequence`` (= the number of items, never a real item).
    """

    users: Tensor
    history: Tensor
    targets: RowSets | None = None
    exclude: RowSets | None = None
    sequence: Tensor | None = None
    pad: int = -1

    def __len__(self) -> int:
        return int(self.users.numel())

    def to(self, device: torch.device | str) -> UserBatch:
        """The batch on ``device``."""
        fields = ("users", "history", "targets", "exclude", "sequence")
        return replace(self, **{name: _to(getattr(self, name), device) for name in fields})


@dataclass(frozen=True)
class InteractionBatch:
    """A block of training interactions: ``users[i]`` interacted with ``items[i]``."""

    users: Tensor
    items: Tensor

    def __len__(self) -> int:
        return int(self.users.numel())

    def to(self, device: torch.device | str) -> InteractionBatch:
        """The batch on ``device``."""
        return InteractionBatch(self.users.to(device), self.items.to(device))


@dataclass(frozen=True)
class SequenceBatch:
    """A block of left-padded training sequences with a target item at each position.

    Position ``j`` of row ``b`` reads ``inputs[b, :j + 1]`` and should predict
    ``targets[b, j]``; a position without a target holds ``pad`` in ``targets`` (padding, or a
    position a training scheme does not score). Next-item training puts the following item at
    every real position; other schemes (e.g. a masked-item variant) only change what
    ``inputs`` and ``targets`` hold.

    Attributes:
        users: ``[batch]`` int64 user ids (negative samplers draw outside their training rows).
        inputs: ``[batch, length]`` int64 items in time order, most recent last, left-padded
            with ``pad``.
        targets: ``[batch, length]`` int64 item to predict at each position, ``pad`` where none.
        pad: the padding id (= the number of items, never a real item).

    Example:
        >>> import torch
        >>> batch = SequenceBatch(torch.tensor([4]), torch.tensor([[9, 1, 2]]),
        ...                       torch.tensor([[9, 2, 5]]), pad=9)
        >>> batch.padding_mask.tolist(), batch.has_target.tolist(), len(batch)
        ([[True, False, False]], [[False, True, True]], 1)
    """

    users: Tensor
    inputs: Tensor
    targets: Tensor
    pad: int

    def __len__(self) -> int:
        return int(self.users.numel())

    @property
    def padding_mask(self) -> Tensor:
        """``[batch, length]`` bool, ``True`` at padding positions of ``inputs``."""
        return self.inputs == self.pad

    @property
    def has_target(self) -> Tensor:
        """``[batch, length]`` bool, ``True`` where a position has a target (the loss's rows)."""
        return self.targets != self.pad

    def to(self, device: torch.device | str) -> SequenceBatch:
        """The batch on ``device``."""
        return replace(
            self,
            users=self.users.to(device),
            inputs=self.inputs.to(device),
            targets=self.targets.to(device),
        )


@dataclass(frozen=True)
class TrainMatrix:
    """All training interactions as one binary ``[n_users, n_items]`` CSR matrix.

    Attributes:
        matrix: scipy CSR matrix, 1.0 where a user interacted with an item (duplicates
            collapsed).
        counts: ``[n_items]`` float64 number of training interactions per item, duplicates
            included (true popularity).
    """

    matrix: sp.csr_matrix
    counts: Tensor

    @property
    def user_counts(self) -> Tensor:
        """``[n_items]`` float64 number of distinct training users per item (novelty, ARP)."""
        counts = np.bincount(self.matrix.indices, minlength=self.matrix.shape[1])
        return torch.from_numpy(counts.astype(np.float64))

    def to(self, device: torch.device | str) -> TrainMatrix:
        """Same object: the scipy matrix stays on the host; rankers move what they need."""
        return self

"""What a ranker declares and what it receives before training.

- :class:`Capabilities`: a frozen class attribute of every ranker (``Ranker.capabilities``)
  saying what it needs and what it can do: time order, fold-in of unseen users, cold users,
  training sequences. :func:`check_capabilities` holds it against a split before training and
  refuses a mismatch with a one-line :class:`CapabilityError`.
- :class:`Batching`: the training batch size and sequence length a ranker asks the data module
  for (``Ranker.batching``).
- :class:`TrainingData`: the training data a ranker receives once, through
  ``Ranker.prepare(data)``, built by :func:`training_data` from the split: the binary
  interaction matrix, item popularity, sizes, the run seed and, only for rankers that declare
  ``Capabilities(sequences=True)``, each user's training items in time order.
- :func:`prepare_ranker`: check, build, ``ranker.prepare(data)``; the runner and the contract
  tests call it before ``trainer.fit``.

Example:
    >>> import pandas as pd
    >>> from bench.split import Split
    >>> part = lambda rows: pd.DataFrame(rows, columns=["user", "item", "order"])
    >>> split = Split("demo", train=part([[0, 2, 1], [0, 1, 0], [1, 1, 2]]),
    ...               valid=part([[1, 0, 3]]), test=part([[0, 3, 4]]), n_users=2, n_items=4)
    >>> data = training_data(split, seed=7, sequences=True)
    >>> data.matrix.toarray().tolist(), data.item_counts.tolist(), data.seed
    ([[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0]], [0.0, 2.0, 1.0, 0.0], 7)
    >>> data.sequences.of(0).tolist()  # time order (the ``order`` column here)
    [1, 2]
    >>> cold_users(split).tolist(), is_time_ordered(split)
    ([], False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from bench.rankers.batch import TrainMatrix
from bench.rankers.history import _sequences, train_matrix
from bench.split import Split

# Splits whose parts follow time (train before valid before test, per user or globally).
TIME_ORDERED_SPLITS = frozenset({"leave_last_out", "temporal"})

# How to remove cold users from a split, by split name (for the refusal's hint).
_DROP_COLD = {"temporal": "split.cold_users=drop", "leave_last_out": "split.min_train=1"}


# How often a training user appears per epoch for "users" input (see Batching).
USER_WEIGHTINGS = ("once", "interactions")


class CapabilityError(ValueError):
    """A ranker's declared capabilities do not fit the split (one line: what and what to do)."""


@dataclass(frozen=True)
class Capabilities:
    """What a ranker needs and can do, declared once per class.

    Attributes:
        time_order: needs time-ordered splits (sequential rankers); refused on splits that are
            not time-ordered (``random_holdout``, ``user_holdout``).
        sequences: :class:`TrainingData` carries each user's training items in time order.
        folds_in_users: scores a user from the batch's history alone (no per-user parameters),
            so it can rank users unseen in training; user-holdout splits require it.
        cold_users: can score users without training interactions (implied by
            ``folds_in_users``); a ranker with per-user parameters that cannot is refused on
            splits that evaluate such users, rather than scoring them with untrained parameters.
    """

    time_order: bool = False
    sequences: bool = False
    folds_in_users: bool = False
    cold_users: bool = False

    @property
    def scores_cold_users(self) -> bool:
        """Whether users without training interactions get meaningful scores."""
        return self.folds_in_users or self.cold_users


@dataclass(frozen=True)
class Batching:
    """Training batches a ranker asks for.

    Attributes:
        batch_size: training pairs (``"interactions"`` input) or users (``"users"`` input) per
            step; unused for ``"matrix"`` input.
        sequence_length: ``None``, or the length of the left-padded ``UserBatch.sequence`` the
            data module adds to every user batch (sequential rankers).
        user_weighting: for ``"users"`` input, how often a user appears in one epoch:
            ``"once"`` (each training user once, the default) or ``"interactions"`` (once per
            training interaction, so heavy users weigh more and an epoch has as many rows as
            the training set: RecBole's user-input auto-encoders, which iterate over
            interactions and look up each interaction's user row).
        mask_prob, mask_last_prob: for ``"masked_sequences"`` input, the probability that a
            position is masked and that a row masks only its last item (BERT4Rec; see
            :mod:`bench.rankers.sequences`).
    """

    batch_size: int = 1024
    sequence_length: int | None = None
    user_weighting: str = "once"
    mask_prob: float = 0.2
    mask_last_prob: float = 0.0

    def __post_init__(self) -> None:
        if self.user_weighting not in USER_WEIGHTINGS:
            raise ValueError(
                f"user_weighting={self.user_weighting!r} is not one of {USER_WEIGHTINGS}"
            )
        for name in ("batch_size", "sequence_length"):
            value = getattr(self, name)
            if value is None and name == "sequence_length":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer")


@dataclass(frozen=True)
class Sequences:
    """Ragged per-user item sequences in time order: user ``u``'s items are
    ``items[indptr[u]:indptr[u + 1]]``, most recent last."""

    indptr: np.ndarray
    items: np.ndarray

    def of(self, user: int) -> np.ndarray:
        """The user's items in time order."""
        return self.items[self.indptr[user] : self.indptr[user + 1]]


@dataclass(frozen=True)
class TrainingData:
    """The training data a ranker receives once, before fitting (see the module docs).

    Attributes:
        matrix: binary ``[n_users, n_items]`` scipy CSR matrix of the training interactions
            (duplicates collapsed, sorted column indices).
        item_counts: ``[n_items]`` float64 training interactions per item, duplicates
            included (true popularity).
        n_users, n_items: sizes of the split.
        seed: the run seed (seed samplers from it).
        time_ordered: whether the split is time-ordered (:func:`is_time_ordered`).
        sequences: each user's training items in time order, only for rankers that declare
            ``Capabilities(sequences=True)``; otherwise ``None``.
    """

    matrix: sp.csr_matrix
    item_counts: Tensor
    n_users: int
    n_items: int
    seed: int
    time_ordered: bool
    sequences: Sequences | None = None

    @property
    def train(self) -> TrainMatrix:
        """The same data as the :class:`TrainMatrix` closed-form rankers fit on."""
        return TrainMatrix(self.matrix, self.item_counts)

    @property
    def user_counts(self) -> Tensor:
        """``[n_items]`` float64 distinct training users per item."""
        return self.train.user_counts

    @property
    def active_users(self) -> np.ndarray:
        """Users with at least one training interaction (ascending)."""
        return np.flatnonzero(np.diff(self.matrix.indptr) > 0)


def is_time_ordered(split: Split) -> bool:
    """Whether ``split`` is time-ordered: its own ``time_ordered`` declaration if it has
    one, else its name (``leave_last_out`` and ``temporal`` are)."""
    declared = getattr(split, "time_ordered", None)
    if declared is not None:
        return bool(declared)
    return split.name in TIME_ORDERED_SPLITS


def cold_users(split: Split) -> np.ndarray:
    """Users evaluated in valid or test without a training interaction (ascending).

    On user-holdout splits these are the held-out users (cold by design).
    """
    evaluated = np.union1d(split.valid["user"].to_numpy(), split.test["user"].to_numpy())
    return np.setdiff1d(evaluated, split.train["user"].to_numpy()).astype(np.int64)


def training_data(split: Split, seed: int, *, sequences: bool = False) -> TrainingData:
    """The :class:`TrainingData` of ``split`` (sequences only if asked for)."""
    train = train_matrix(split)
    matrix = train.matrix
    matrix.sort_indices()
    seqs = Sequences(*_sequences(split.train, split.n_users)) if sequences else None
    return TrainingData(
        matrix=matrix,
        item_counts=train.counts,
        n_users=int(split.n_users),
        n_items=int(split.n_items),
        seed=int(seed),
        time_ordered=is_time_ordered(split),
        sequences=seqs,
    )


def check_capabilities(ranker: Any, split: Split) -> None:
    """Refuse, with one :class:`CapabilityError` line, a ranker whose declared
    :class:`Capabilities` do not fit ``split``."""
    name = type(ranker).__name__
    caps: Capabilities = ranker.capabilities
    if caps.time_order and not is_time_ordered(split):
        raise CapabilityError(
            f"model {name} needs time order and split={split.name} is not time-ordered; use "
            f"a time-ordered split ({', '.join(sorted(TIME_ORDERED_SPLITS))})"
        )
    if split.valid_history is not None and not caps.folds_in_users:
        raise CapabilityError(
            f"model {name} has per-user parameters and cannot score users unseen in training, "
            f"which split={split.name} evaluates; use a fold-in ranker "
            "(e.g. model=ease or model=pop) or another split"
        )
    if caps.scores_cold_users:
        return
    cold = cold_users(split)
    if len(cold):
        drop = _DROP_COLD.get(split.name)
        option = f"{drop} to drop them" if drop else "a split without them"
        raise CapabilityError(
            f"model {name} has per-user parameters and cannot score cold users: {len(cold)} "
            f"users evaluated by split={split.name} have no training interaction, and their "
            f"parameters would stay untrained; use {option}, or a fold-in ranker "
            "(e.g. model=ease or model=pop)"
        )


def prepare_ranker(ranker: Any, split: Split, seed: int) -> TrainingData:
    """Check ``ranker`` against ``split``, build its :class:`TrainingData` and hand it over
    with ``ranker.prepare(data)`` (call before ``trainer.fit``)."""
    check_capabilities(ranker, split)
    data = training_data(split, seed, sequences=ranker.capabilities.sequences)
    with torch.no_grad():
        ranker.prepare(data)
    return data

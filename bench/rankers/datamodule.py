"""``RankDataModule``: one Lightning data module for every ranker, built from a Split.

Training batches take the form the ranker asks for with its ``train_input`` attribute:

- ``"matrix"``: one :class:`~bench.rankers.batch.TrainMatrix` (closed-form rankers);
- ``"interactions"``: shuffled :class:`~bench.rankers.batch.InteractionBatch` blocks of the
  distinct training (user, item) pairs (BPR and other pair/point-wise rankers);
- ``"users"``: shuffled :class:`~bench.rankers.batch.UserBatch` blocks of training users with
  their training rows (auto-encoders); with ``sequence_length`` set, also their training
  sequences (sequential rankers);
- ``"sequences"``: shuffled :class:`~bench.rankers.batch.SequenceBatch` blocks of next-item
  training sequences, one row per training user with at least two training items (needs
  ``sequence_length``; see :mod:`bench.rankers.sequences`);
- ``"masked_sequences"``: the same with BERT4Rec's masked items (one row per training user
  with a training item, random positions masked with probability ``mask_prob``, drawn per
  (seed, epoch, step, process); see :mod:`bench.rankers.sequences`).

Validation and test batches are :class:`~bench.rankers.batch.UserBatch` blocks of the users
with targets in that part (see :mod:`bench.rankers.history` for history and excluded items).
The module shards batches over DDP processes itself (training: equal step counts, evaluation:
disjoint users), so the Trainer must run with ``use_distributed_sampler=False``.

Example:
    >>> import pandas as pd
    >>> from bench.split import Split
    >>> part = lambda rows: pd.DataFrame(rows, columns=["user", "item", "order"])
    >>> split = Split("demo", train=part([[0, 0, 0], [0, 1, 1], [1, 1, 2]]),
    ...               valid=part([[1, 2, 3]]), test=part([[0, 3, 4]]), n_users=2, n_items=4)
    >>> dm = RankDataModule(split, train_input="interactions", batch_size=2)
    >>> dm.setup("fit")
    >>> [len(b) for b in dm.train_dataloader()], [b.users.tolist() for b in dm.val_dataloader()]
    ([2, 1], [[1]])
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset

from bench.rankers.batch import InteractionBatch, TrainMatrix, UserBatch
from bench.rankers.data import USER_WEIGHTINGS
from bench.rankers.history import (
    TEST_HISTORIES,
    StageData,
    build_batch,
    stage_data,
    train_matrix,
    train_stage_data,
)
from bench.rankers.samplers import ShuffledBatches, UserChunks
from bench.rankers.sequences import KeyedBatches, MaskedItemSequences, NextItemSequences
from bench.split import Split

TRAIN_INPUTS = ("matrix", "interactions", "users", "sequences", "masked_sequences")


class _Batches(Dataset):
    """Map-style dataset whose index is a whole batch: ``dataset[indices] -> batch``."""

    def __init__(self, build: Any) -> None:
        self.build = build

    def __getitem__(self, indices: np.ndarray) -> Any:
        return self.build(indices)


class _MatrixBatch:
    def __init__(self, matrix: TrainMatrix) -> None:
        self.matrix = matrix

    def __call__(self, indices: np.ndarray) -> TrainMatrix:
        return self.matrix


class _PairBatch:
    def __init__(self, users: np.ndarray, items: np.ndarray) -> None:
        self.users, self.items = torch.from_numpy(users), torch.from_numpy(items)

    def __call__(self, indices: np.ndarray) -> InteractionBatch:
        index = torch.from_numpy(np.asarray(indices, dtype=np.int64))
        return InteractionBatch(self.users[index], self.items[index])


class _UserRows:
    def __init__(self, stage: StageData, sequence_length: int | None, with_targets: bool) -> None:
        self.stage, self.sequence_length, self.with_targets = stage, sequence_length, with_targets

    def __call__(self, users: np.ndarray) -> UserBatch:
        if self.with_targets:
            return self.stage.batch(users, self.sequence_length)
        stage = self.stage
        return build_batch(
            users,
            stage.history,
            stage.n_items,
            self.sequence_length,
            stage.seq_indptr,
            stage.seq_items,
        )


class RankDataModule(pl.LightningDataModule):
    """Batches for training and evaluating one ranker on one split (see the module docs).

    Args:
        split: the train / valid / test split.
        train_input: ``"matrix"``, ``"interactions"``, ``"users"`` or ``"sequences"``.
        batch_size: training batch size (pairs or users).
        eval_batch_size: users scored at once in validation and test.
        seed: shuffling seed (epoch ``e`` uses ``(seed, e)``).
        sequence_length: give ``UserBatch.sequence`` of this length (sequential rankers); for
            ``"sequences"`` input also the positions of a training row (required).
        test_history: ``"train_valid"`` (default) or ``"train"``: what the ranker sees as a
            test user's history.
        exclude_valid: remove the user's validation items from the test ranking (default).
        gains: ``"binary"`` or ``"rating"`` (graded relevance), see ``stage_data``.
        num_workers: DataLoader worker processes (0: build batches in the main process).
        user_weighting: ``"users"`` input only: ``"once"`` (each training user once per epoch)
            or ``"interactions"`` (once per training interaction).
        mask_prob, mask_last_prob: ``"masked_sequences"`` input only: the probability that a
            position is masked, and that a row masks only its last item.
    """

    def __init__(
        self,
        split: Split,
        *,
        train_input: str = "interactions",
        batch_size: int = 1024,
        eval_batch_size: int = 1024,
        seed: int = 0,
        sequence_length: int | None = None,
        test_history: str = "train_valid",
        exclude_valid: bool = True,
        gains: str = "binary",
        num_workers: int = 0,
        user_weighting: str = "once",
        mask_prob: float = 0.2,
        mask_last_prob: float = 0.0,
    ) -> None:
        super().__init__()
        if user_weighting not in USER_WEIGHTINGS:
            raise ValueError(f"user_weighting={user_weighting!r} is not one of {USER_WEIGHTINGS}")
        self.user_weighting = user_weighting
        if train_input not in TRAIN_INPUTS:
            raise ValueError(
                f"train_input={train_input!r} is not one of {TRAIN_INPUTS}; set the ranker's "
                "train_input class attribute to one of them"
            )
        if train_input in ("sequences", "masked_sequences") and sequence_length is None:
            raise ValueError(
                f"train_input={train_input!r} needs sequence_length (the ranker's maximum sequence "
                "length, Ranker(sequence_length=...))"
            )
        for name, value in (("batch_size", batch_size), ("eval_batch_size", eval_batch_size)):
            if int(value) < 1:
                raise ValueError(f"{name}={value} must be a positive integer")
        self.split = split
        self.train_input = train_input
        self.batch_size, self.eval_batch_size = int(batch_size), int(eval_batch_size)
        self.seed, self.sequence_length = int(seed), sequence_length
        self.test_history, self.num_workers = test_history, int(num_workers)
        self.exclude_valid = bool(exclude_valid)
        self.gains = gains
        self.mask_prob, self.mask_last_prob = mask_prob, mask_last_prob
        if test_history not in TEST_HISTORIES:
            raise ValueError(
                f"test_history={test_history!r} is not one of {TEST_HISTORIES}; use "
                "'train_valid' (history = train + valid) or 'train' (history = train only)"
            )

    @classmethod
    def for_ranker(cls, split: Split, ranker: Any, **kwargs: Any) -> RankDataModule:
        """A data module with the ranker's ``train_input`` and declared ``batching`` (batch size,
        sequence length)."""
        batching = ranker.batching
        kwargs.setdefault("train_input", ranker.train_input)
        kwargs.setdefault("batch_size", batching.batch_size)
        kwargs.setdefault("sequence_length", batching.sequence_length)
        kwargs.setdefault("user_weighting", batching.user_weighting)
        if kwargs["train_input"] == "masked_sequences":
            kwargs.setdefault("mask_prob", batching.mask_prob)
            kwargs.setdefault("mask_last_prob", batching.mask_last_prob)
        return cls(split, **kwargs)

    # -- data ---------------------------------------------------------------------------------
    @cached_property
    def train(self) -> TrainMatrix:
        """The training matrix and item counts."""
        return train_matrix(self.split)

    @cached_property
    def train_stage(self) -> StageData:
        """Training users' rows (train history, no targets) for ``"users"`` input."""
        return train_stage_data(self.split)

    @cached_property
    def train_sequences(self) -> NextItemSequences:
        """Next-item training rows for ``"sequences"`` input."""
        stage = self.train_stage
        return NextItemSequences(
            stage.seq_indptr, stage.seq_items, stage.n_items, int(self.sequence_length or 0)
        )

    @cached_property
    def train_masked_sequences(self) -> MaskedItemSequences:
        """Masked-item training rows for ``"masked_sequences"`` input (seeded by ``seed``)."""
        stage = self.train_stage
        return MaskedItemSequences(
            stage.seq_indptr,
            stage.seq_items,
            stage.n_items,
            int(self.sequence_length or 0),
            mask_prob=self.mask_prob,
            mask_last_prob=self.mask_last_prob,
            seed=self.seed,
        )

    def stage(self, name: str) -> StageData:
        """``"valid"`` or ``"test"`` stage data (cached)."""
        cache = self.__dict__.setdefault("_stages", {})
        if name not in cache:
            cache[name] = stage_data(
                self.split, name, self.test_history, self.exclude_valid, self.gains
            )
        return cache[name]

    def _rank_world(self) -> tuple[int, int]:
        trainer = getattr(self, "trainer", None)
        if trainer is None:
            return 0, 1
        return int(trainer.global_rank), int(trainer.world_size)

    # -- loaders ------------------------------------------------------------------------------
    def _loader(self, build: Any, sampler: Any, workers: int | None = None) -> DataLoader:
        workers = self.num_workers if workers is None else workers
        return DataLoader(
            _Batches(build),
            sampler=sampler,
            batch_size=None,
            num_workers=workers,
            persistent_workers=workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        rank, world = self._rank_world()
        if self.train_input == "matrix":
            return self._loader(_MatrixBatch(self.train), [np.zeros(1, np.int64)], workers=0)
        if self.train_input == "interactions":
            matrix = self.train.matrix
            users = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
            items = matrix.indices.astype(np.int64)
            sampler = ShuffledBatches(
                len(users), self.batch_size, self.seed, rank=rank, world_size=world
            )
            return self._loader(_PairBatch(users, items), sampler)
        if self.train_input == "sequences":
            rows = self.train_sequences
            sampler = ShuffledBatches(
                len(rows), self.batch_size, self.seed, rank=rank, world_size=world
            )
            return self._loader(rows, sampler)
        if self.train_input == "masked_sequences":
            masked = self.train_masked_sequences
            sampler = ShuffledBatches(
                len(masked), self.batch_size, self.seed, rank=rank, world_size=world
            )
            return self._loader(masked, KeyedBatches(sampler))
        counts = np.diff(self.train.matrix.indptr)
        if self.user_weighting == "interactions":
            active = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        else:
            active = np.flatnonzero(counts > 0)
        sampler = ShuffledBatches(
            len(active), self.batch_size, self.seed, rank=rank, world_size=world
        )
        rows = _UserRows(self.train_stage, self.sequence_length, with_targets=False)
        return self._loader(_ActiveUsers(active, rows), sampler)

    def _eval_loader(self, name: str) -> DataLoader:
        rank, world = self._rank_world()
        stage = self.stage(name)
        chunks = UserChunks(stage.users, self.eval_batch_size, rank=rank, world_size=world)
        return self._loader(_UserRows(stage, self.sequence_length, True), chunks)

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("valid")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")


class _ActiveUsers:
    def __init__(self, active: np.ndarray, rows: _UserRows) -> None:
        self.active, self.rows = active, rows

    def __call__(self, positions: np.ndarray) -> UserBatch:
        return self.rows(self.active[positions])

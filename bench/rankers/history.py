"""What each evaluation stage shows a ranker: history rows, items to exclude, targets.

For a :class:`~bench.split.Split` without fold-in parts (leave-last-out, temporal, random
holdout):

========= ================================== ====================== ========
stage     history (ranker input)             exclude (masked)       targets
========= ================================== ====================== ========
valid     train                              train                  valid
test      train + valid (``"train_valid"``)  train + valid          test
          or train only (``"train"``)
========= ================================== ====================== ========

For a user-holdout split (``valid_history`` / ``test_history`` set) the held-out users'
fold-in interactions are both the history and the excluded items.

Example:
    >>> import pandas as pd
    >>> from bench.split import Split
    >>> part = lambda rows: pd.DataFrame(rows, columns=["user", "item", "order"])
    >>> split = Split("demo", train=part([[0, 0, 0], [0, 1, 1], [1, 1, 2]]),
    ...               valid=part([[0, 2, 3]]), test=part([[0, 3, 4], [1, 0, 5]]),
    ...               n_users=2, n_items=4)
    >>> test = stage_data(split, "test")
    >>> test.users.tolist(), test.exclude.toarray().tolist()
    ([0, 1], [[1.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
    >>> test.sequence_of(0).tolist()  # time order: train items, then the valid item
    [0, 1, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from bench.eval.sparse import as_row_sets, csr_from_frame
from bench.rankers.batch import TrainMatrix, UserBatch
from bench.split import Split
from bench.split.order import per_user_chronological

TEST_HISTORIES = ("train_valid", "train")


def time_ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by user, then in time order (:func:`bench.split.order.per_user_chronological`:
    timestamp when present, ties by original file order)."""
    return frame.iloc[per_user_chronological(frame)]


def train_matrix(split: Split) -> TrainMatrix:
    """The binary training matrix and per-item interaction counts of ``split``."""
    items = split.train["item"].to_numpy(np.int64)
    counts = torch.from_numpy(np.bincount(items, minlength=split.n_items).astype(np.float64))
    return TrainMatrix(csr_from_frame(split.train, split.n_users, split.n_items), counts)


def _rating_targets(frame: pd.DataFrame, split: Split, stage: str) -> sp.csr_matrix:
    """Targets with their ratings as gains (checked: present and positive)."""
    if "rating" not in frame.columns:
        raise ValueError(
            f"eval.gains=rating needs ratings, but the {stage} part has no rating column: map one "
            "(dataset.parser.columns.rating=<column>) or use eval.gains=binary"
        )
    bad = ~(frame["rating"] > 0)
    if bad.any():
        raise ValueError(
            f"eval.gains=rating needs positive ratings; {int(bad.sum())} {stage} targets have a "
            "rating <= 0 or none (drop them in preprocessing, e.g. min_rating, or use binary gains)"
        )
    matrix = csr_from_frame(frame, split.n_users, split.n_items, value="rating")
    matrix.sort_indices()
    return matrix


def _csr(frame: pd.DataFrame, split: Split) -> sp.csr_matrix:
    matrix = csr_from_frame(frame, split.n_users, split.n_items)
    matrix.sort_indices()
    return matrix


@dataclass(frozen=True)
class StageData:
    """One evaluation stage: the users with targets and their rows (see the module docs)."""

    users: np.ndarray
    history: sp.csr_matrix
    exclude: sp.csr_matrix
    targets: sp.csr_matrix
    seq_indptr: np.ndarray
    seq_items: np.ndarray
    n_items: int

    def sequence_of(self, user: int) -> np.ndarray:
        """The user's history items in time order."""
        return self.seq_items[self.seq_indptr[user] : self.seq_indptr[user + 1]]

    def batch(self, users: np.ndarray, sequence_length: int | None = None) -> UserBatch:
        """The :class:`UserBatch` of ``users`` (ids), with sequences if a length is given."""
        return build_batch(
            users,
            self.history,
            self.n_items,
            sequence_length,
            self.seq_indptr,
            self.seq_items,
            targets=self.targets,
            exclude=self.exclude,
        )


def _sequences(frame: pd.DataFrame, n_users: int) -> tuple[np.ndarray, np.ndarray]:
    """Ragged per-user item sequences (CSR-like indptr + items) in time order."""
    rows = per_user_chronological(frame)
    users = frame["user"].to_numpy(np.int64)[rows]
    indptr = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(np.bincount(users, minlength=n_users), out=indptr[1:])
    return indptr, frame["item"].to_numpy(np.int64)[rows]


def padded_sequences(
    users: np.ndarray, indptr: np.ndarray, items: np.ndarray, length: int, pad: int
) -> torch.Tensor:
    """``[len(users), length]`` each user's last ``length`` items, left-padded with ``pad``.

    Example:
        >>> padded_sequences(np.array([1, 0]), np.array([0, 1, 4]), np.array([7, 1, 2, 3]), 2, 9)
        tensor([[2, 3],
                [9, 7]])
    """
    starts, stops = indptr[users], indptr[users + 1]
    starts = np.maximum(starts, stops - length)
    counts = stops - starts
    out = np.full((len(users), length), pad, dtype=np.int64)
    rows = np.repeat(np.arange(len(users)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    cols = length - np.repeat(counts, counts) + within
    source = np.repeat(starts, counts) + within
    out[rows, cols] = items[source]
    return torch.from_numpy(out)


def build_batch(
    users: np.ndarray,
    history: sp.csr_matrix,
    n_items: int,
    sequence_length: int | None = None,
    seq_indptr: np.ndarray | None = None,
    seq_items: np.ndarray | None = None,
    *,
    targets: sp.csr_matrix | None = None,
    exclude: sp.csr_matrix | None = None,
) -> UserBatch:
    """Slice the rows of ``users`` out of the stage matrices into a :class:`UserBatch`."""
    users = np.asarray(users, dtype=np.int64)
    rows = history[users]
    rows.sort_indices()
    row_ids = np.repeat(np.arange(len(users), dtype=np.int64), np.diff(rows.indptr))
    history_t = torch.sparse_coo_tensor(
        torch.from_numpy(np.stack([row_ids, rows.indices.astype(np.int64)])),
        torch.from_numpy(rows.data.astype(np.float32)),
        size=(len(users), n_items),
        is_coalesced=True,  # CSR rows with sorted, unique columns are row-major COO
        check_invariants=False,
    )
    sequence = None
    if sequence_length is not None:
        if seq_indptr is None or seq_items is None:
            raise ValueError("sequences were asked for but the stage has none")
        sequence = padded_sequences(users, seq_indptr, seq_items, sequence_length, n_items)
    n = len(users)
    return UserBatch(
        users=torch.from_numpy(users),
        history=history_t,
        targets=None if targets is None else as_row_sets(targets[users], n, n_items),
        exclude=None if exclude is None else as_row_sets(exclude[users], n, n_items, name="seen"),
        sequence=sequence,
        pad=n_items,
    )


def train_stage_data(split: Split) -> StageData:
    """The training users' own rows: history = ``split.train`` (never a fold-in), no targets.

    This is what ``"users"``-input rankers (auto-encoders, sequential models) train on, for
    every split type; on user-holdout splits the fold-in rows belong to held-out users only.
    """
    history = _csr(split.train, split)
    users = np.flatnonzero(np.diff(history.indptr) > 0).astype(np.int64)
    no_targets = sp.csr_matrix((split.n_users, split.n_items), dtype=history.dtype)
    indptr, items = _sequences(split.train, split.n_users)
    return StageData(users, history, history, no_targets, indptr, items, split.n_items)


#: Target gains: every held-out item 1 (``binary``), or its rating (``rating``, graded NDCG).
GAINS: tuple[str, ...] = ("binary", "rating")


def stage_data(
    split: Split,
    stage: str,
    test_history: str = "train_valid",
    exclude_valid: bool = True,
    gains: str = "binary",
) -> StageData:
    """Users, history, excluded items and targets of ``stage`` (``"valid"`` or ``"test"``).

    Args:
        split: the split.
        stage: ``"valid"`` or ``"test"``.
        test_history: ``"train_valid"`` (default: the test history includes the validation
            interactions) or ``"train"`` (RecBole's choice: the ranker sees only train).
        exclude_valid: on test, remove the user's validation items from the ranking (RecBole
            does; some papers do not): a separate choice from ``test_history``.
        gains: ``"binary"`` (every target counts 1) or ``"rating"`` (a target's rating is its
            gain: graded NDCG; the split needs a positive ``rating`` column).
    """
    if stage not in ("valid", "test"):
        raise ValueError(f"stage must be 'valid' or 'test', got {stage!r}")
    if test_history not in TEST_HISTORIES:
        raise ValueError(
            f"test_history={test_history!r} is not one of {TEST_HISTORIES}; use 'train_valid' "
            "(history = train + valid) or 'train' (RecBole: history = train only)"
        )
    targets_frame = split.valid if stage == "valid" else split.test
    fold_in = split.valid_history if stage == "valid" else split.test_history
    if fold_in is not None:
        history_frame = exclude_frame = fold_in  # held-out users have no training rows
    elif stage == "valid":
        history_frame = exclude_frame = split.train
    else:
        train_valid = pd.concat([split.train, split.valid])
        history_frame = train_valid if test_history == "train_valid" else split.train
        exclude_frame = train_valid if exclude_valid else split.train
    if gains not in GAINS:
        raise ValueError(f"eval.gains={gains!r} is not one of {GAINS}")
    if gains == "rating":
        targets = _rating_targets(targets_frame, split, stage)
    else:
        targets = _csr(targets_frame, split)
    users = np.flatnonzero(np.diff(targets.indptr) > 0).astype(np.int64)
    history = _csr(history_frame, split)
    exclude = history if exclude_frame is history_frame else _csr(exclude_frame, split)
    indptr, items = _sequences(history_frame, split.n_users)
    return StageData(users, history, exclude, targets, indptr, items, split.n_items)

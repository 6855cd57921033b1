"""Leakage audit: what every splitter checks about the split it made, attached as ``split.audit``.

Leaks (any of these makes ``LeakageAudit.clean`` False):

- a (user, item) pair of valid or test that is also in train, or a test pair also in valid. With
  duplicate interactions (a user re-consuming an item) this happens even under an otherwise
  correct protocol: deduplicate in preprocessing first; the audit reports it either way.
- user holdout: a held-out user with training rows or in both valid and test; a fold-out
  (target) pair also in the same user's fold-in history.
- leave-last-out: a training row later (by time, ties by file order) than one of the same user's
  targets, or a validation row later than the user's test row.
- temporal: a training row at or after the validation cut, or a validation row at or after the
  test cut.
- an empty part.

Reported but not a leak: cold users and cold items (in valid/test but not in train; for user
holdout every evaluated user is cold by design, flagged by ``cold_users_by_design``),
``train_after_first_test`` (train rows later than the earliest test row: the global-timeline
overlap of per-user protocols, Ji et al. TOIS 2023), and the splitter's ``policy_counts``.

Example:
    >>> import pandas as pd
    >>> from bench.split.base import Split
    >>> train = pd.DataFrame({"user": [0, 0, 1], "item": [0, 1, 0], "order": [0, 1, 2]})
    >>> test = pd.DataFrame({"user": [0, 2], "item": [1, 2], "order": [3, 4]})
    >>> s = Split("demo", train=train, valid=test.iloc[:0], test=test, n_users=3, n_items=3)
    >>> audit = audit_split(s)
    >>> audit.test_pairs_in_train, audit.cold_users_test, audit.cold_items_test, audit.clean
    (1, 1, 1, False)
    >>> audit.problems()[0]
    '1 test (user, item) pairs also in train (re-consumed items? deduplicate in preprocessing)'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bench.split._arrays import distinct, member
from bench.split.base import Split
from bench.split.order import per_user_chronological, time_keys


@dataclass(frozen=True)
class AuditOptions:
    """What a splitter promises, so the audit knows which protocol checks apply.

    Attributes:
        per_user_order: every target is later than the same user's training rows (leave-last-out).
        cuts: ``(valid_cut, test_cut)`` in epoch seconds for a global temporal split.
        users_cold_by_design: evaluated users are absent from train on purpose (user holdout).
        policy_counts: rows/users a splitter policy dropped or set aside, by name.
        no_validation: the valid part is empty on purpose (``split=predefined`` with
            ``valid: none``), so an empty valid part is not a problem.
    """

    per_user_order: bool = False
    cuts: tuple[int, int] | None = None
    users_cold_by_design: bool = False
    policy_counts: Mapping[str, int] = field(default_factory=dict)
    no_validation: bool = False


@dataclass(frozen=True)
class LeakageAudit:
    """Leakage and coldness counts of one split; ``None`` marks a check that does not apply."""

    protocol: str
    valid_pairs_in_train: int
    test_pairs_in_train: int
    test_pairs_in_valid: int
    target_pairs_in_fold_in: int | None
    heldout_users_in_train: int | None
    train_after_user_target: int | None
    valid_after_user_test: int | None
    valid_cut: int | None
    test_cut: int | None
    max_train_timestamp: int | None
    train_after_cut: int | None
    valid_after_cut: int | None
    train_after_first_test: int | None
    cold_users_valid: int
    cold_users_test: int
    cold_users_by_design: bool
    cold_items_valid: int
    cold_items_test: int
    empty_parts: tuple[str, ...]
    policy_counts: dict[str, int]

    def problems(self) -> list[str]:
        """One readable line per leak found (empty when the split is clean)."""
        dedup = "re-consumed items? deduplicate in preprocessing"
        checks = [
            (self.valid_pairs_in_train, f"valid (user, item) pairs also in train ({dedup})"),
            (self.test_pairs_in_train, f"test (user, item) pairs also in train ({dedup})"),
            (
                self.test_pairs_in_valid,
                "test (user, item) pairs also in valid (is validation a copy of test? those "
                "test items are then left out of the test ranking (eval.exclude_valid) and score "
                f"0 - validate on other data, e.g. carved from train; else {dedup})",
            ),
            (self.target_pairs_in_fold_in, f"fold-out pairs also in the fold-in ({dedup})"),
            (self.heldout_users_in_train, "held-out users also in train or in both valid and test"),
            (self.train_after_user_target, "train rows later than the same user's valid/test row"),
            (self.valid_after_user_test, "valid rows later than the same user's test row"),
            (
                self.train_after_cut,
                f"train rows at or after the valid cut {self.valid_cut} "
                f"(max train timestamp {self.max_train_timestamp})",
            ),
            (self.valid_after_cut, f"valid rows at or after the test cut {self.test_cut}"),
        ]
        found = [f"{count} {what}" for count, what in checks if count]
        if self.empty_parts:
            found.append(f"empty parts: {', '.join(self.empty_parts)}")
        return found

    @property
    def clean(self) -> bool:
        """True when no leak was found and no part is empty."""
        return not self.problems()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of every field plus ``clean`` and ``problems``."""
        out = asdict(self)
        out["empty_parts"] = list(self.empty_parts)
        out["clean"] = self.clean
        out["problems"] = self.problems()
        return out


def _pair_keys(frame: pd.DataFrame, n_items: int) -> np.ndarray:
    return frame["user"].to_numpy(np.int64) * max(n_items, 1) + frame["item"].to_numpy(np.int64)


def _count_in(target: pd.DataFrame, known: list[pd.DataFrame], n_items: int) -> int:
    known_keys = [_pair_keys(f, n_items) for f in known if len(f)]
    if not len(target) or not known_keys:
        return 0
    return int(member(_pair_keys(target, n_items), np.concatenate(known_keys)).sum())


def _n_new(target: pd.DataFrame, train: pd.DataFrame, column: str) -> int:
    values = distinct(target[column].to_numpy(np.int64))
    return int((~member(values, train[column].to_numpy(np.int64))).sum())


def _users(*frames: pd.DataFrame) -> np.ndarray:
    return distinct(np.concatenate([f["user"].to_numpy(np.int64) for f in frames]))


def _later_than_user_first(rows: pd.DataFrame, targets: pd.DataFrame, n_users: int) -> int:
    """Rows later in time order (:mod:`bench.split.order`) than the earliest target row of the
    same user; by file order alone unless both frames have timestamps."""
    if not len(rows) or not len(targets):
        return 0
    if not ("timestamp" in rows.columns and "timestamp" in targets.columns):
        rows, targets = rows[["user", "order"]], targets[["user", "order"]]
    t_user = targets["user"].to_numpy(np.int64)
    first = per_user_chronological(targets)
    sorted_users = t_user[first]
    head = first[np.r_[True, sorted_users[1:] != sorted_users[:-1]]]  # each user's earliest
    user = rows["user"].to_numpy(np.int64)
    later = np.zeros(len(rows), dtype=bool)
    tied = np.ones(len(rows), dtype=bool)
    big = np.iinfo(np.int64).max  # users without targets: nothing is later
    for key, t_key in zip(time_keys(rows), time_keys(targets), strict=True):
        ref = np.full(n_users, big, dtype=np.int64)
        ref[t_user[head]] = t_key[head]
        later |= tied & (key > ref[user])
        tied &= key == ref[user]
    return int(later.sum())


def audit_split(split: Split, options: AuditOptions | None = None) -> LeakageAudit:
    """Audit ``split`` for leaks; ``options`` turns on the protocol-specific checks."""
    opts = options or AuditOptions()
    train, valid, test = split.train, split.valid, split.test
    n_items = split.n_items
    holdout = split.valid_history is not None or split.test_history is not None
    fold_in_leak = heldout_overlap = None
    if holdout:
        v_hist = split.valid_history if split.valid_history is not None else valid.iloc[:0]
        t_hist = split.test_history if split.test_history is not None else test.iloc[:0]
        fold_in_leak = _count_in(valid, [v_hist], n_items) + _count_in(test, [t_hist], n_items)
        heldout = _users(valid, test, v_hist, t_hist)
        heldout_overlap = int(member(heldout, train["user"].to_numpy(np.int64)).sum()) + int(
            member(_users(valid, v_hist), _users(test, t_hist)).sum()
        )
    has_ts = "timestamp" in train.columns and len(train) > 0
    train_ts = train["timestamp"].to_numpy(np.int64) if has_ts else None
    per_user = (None, None)
    if opts.per_user_order:
        targets = pd.concat([valid, test], ignore_index=True)
        per_user = (
            _later_than_user_first(train, targets, split.n_users),
            _later_than_user_first(valid, test, split.n_users),
        )
    valid_cut, test_cut = opts.cuts if opts.cuts is not None else (None, None)
    train_after_cut = valid_after_cut = None
    if opts.cuts is not None:
        train_after_cut = int((train["timestamp"].to_numpy(np.int64) >= valid_cut).sum())
        valid_after_cut = int((valid["timestamp"].to_numpy(np.int64) >= test_cut).sum())
    after_first_test = None
    if has_ts and len(test) and "timestamp" in test.columns:
        after_first_test = int((train_ts > test["timestamp"].min()).sum())
    return LeakageAudit(
        protocol=split.name,
        valid_pairs_in_train=_count_in(valid, [train], n_items),
        test_pairs_in_train=_count_in(test, [train], n_items),
        test_pairs_in_valid=_count_in(test, [valid], n_items),
        target_pairs_in_fold_in=fold_in_leak,
        heldout_users_in_train=heldout_overlap,
        train_after_user_target=per_user[0],
        valid_after_user_test=per_user[1],
        valid_cut=valid_cut,
        test_cut=test_cut,
        max_train_timestamp=int(train_ts.max()) if train_ts is not None else None,
        train_after_cut=train_after_cut,
        valid_after_cut=valid_after_cut,
        train_after_first_test=after_first_test,
        cold_users_valid=_n_new(valid, train, "user"),
        cold_users_test=_n_new(test, train, "user"),
        cold_users_by_design=opts.users_cold_by_design,
        cold_items_valid=_n_new(valid, train, "item"),
        cold_items_test=_n_new(test, train, "item"),
        empty_parts=tuple(
            name
            for name, part in split.parts().items()
            if len(part) == 0 and not (name == "valid" and opts.no_validation)
        ),
        policy_counts={k: int(v) for k, v in opts.policy_counts.items()},
    )

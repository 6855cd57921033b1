"""Leakage audit on hand-made splits: every leak type is counted and makes the audit unclean."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from bench.split import AuditOptions, LeakageAudit, Split, audit_split


def frame(rows: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    """(user, item, timestamp, order) rows."""
    return pd.DataFrame(rows, columns=["user", "item", "timestamp", "order"])


TRAIN = frame([(0, 0, 10, 0), (0, 1, 20, 1), (1, 0, 10, 2), (1, 2, 30, 3)])
VALID = frame([(0, 2, 40, 4), (1, 3, 40, 5)])
TEST = frame([(0, 3, 50, 6), (1, 4, 50, 7)])


def make(train=TRAIN, valid=VALID, test=TEST, n_users=3, **kw) -> Split:
    return Split("demo", train=train, valid=valid, test=test, n_users=n_users, n_items=6, **kw)


def test_clean_split_has_all_zero_counts():
    audit = audit_split(make(), AuditOptions(per_user_order=True, cuts=(40, 50)))
    assert isinstance(audit, LeakageAudit) and audit.clean and audit.problems() == []
    assert audit.valid_pairs_in_train == audit.test_pairs_in_train == audit.test_pairs_in_valid == 0
    assert audit.train_after_user_target == 0 and audit.valid_after_user_test == 0
    assert audit.train_after_cut == 0 and audit.valid_after_cut == 0
    assert audit.max_train_timestamp == 30 and audit.train_after_first_test == 0
    assert audit.target_pairs_in_fold_in is None and audit.heldout_users_in_train is None
    assert audit.cold_users_valid == audit.cold_users_test == 0
    assert audit.cold_items_valid == 1 and audit.cold_items_test == 2  # item 3, items 3 and 4


def test_pair_overlaps_are_leaks():
    valid = frame([(0, 1, 40, 4), (1, 3, 40, 5)])  # (0, 1) is in train
    test = frame([(0, 3, 50, 6), (1, 3, 50, 7), (1, 0, 50, 8)])  # (1, 3) in valid, (1, 0) in train
    audit = audit_split(make(valid=valid, test=test))
    assert (audit.valid_pairs_in_train, audit.test_pairs_in_train, audit.test_pairs_in_valid) == (
        1,
        1,
        1,
    )
    assert not audit.clean and len(audit.problems()) == 3


def test_per_user_order_violations():
    # user 1's train row at t=60 is later than its valid (40) and test (50) rows;
    # user 0's valid row (t=55) is later than its test row (t=50)
    train = frame([(0, 0, 10, 0), (1, 2, 60, 3)])
    valid = frame([(0, 2, 55, 4), (1, 3, 40, 5)])
    audit = audit_split(make(train=train, valid=valid), AuditOptions(per_user_order=True))
    assert audit.train_after_user_target == 1 and audit.valid_after_user_test == 1
    assert not audit.clean


def test_per_user_order_ties_use_file_order():
    valid = frame([(0, 2, 50, 5)])
    test = frame([(0, 3, 50, 6)])  # all rows share t=50: file order decides
    later = frame([(0, 0, 50, 9)])
    audit = audit_split(make(train=later, valid=valid, test=test), AuditOptions(True))
    assert audit.train_after_user_target == 1 and audit.valid_after_user_test == 0
    earlier = frame([(0, 0, 50, 1)])
    audit = audit_split(make(train=earlier, valid=valid, test=test), AuditOptions(True))
    assert audit.train_after_user_target == 0 and audit.clean
    swapped = frame([(0, 2, 50, 7)])  # valid after test in file order
    audit = audit_split(make(train=earlier, valid=swapped, test=test), AuditOptions(True))
    assert audit.valid_after_user_test == 1 and not audit.clean


def test_temporal_cut_violations():
    audit = audit_split(make(), AuditOptions(cuts=(25, 45)))
    # train rows at 30 >= 25; no valid row >= 45
    assert audit.train_after_cut == 1 and audit.valid_after_cut == 0
    assert audit.max_train_timestamp == 30 and audit.valid_cut == 25
    assert "1 train rows at or after the valid cut 25 (max train timestamp 30)" in audit.problems()
    audit = audit_split(make(), AuditOptions(cuts=(40, 40)))
    assert audit.valid_after_cut == 2 and not audit.clean


def test_user_holdout_checks():
    history = frame([(2, 0, 1, 8), (2, 1, 2, 9)])
    target = frame([(2, 1, 3, 10)])  # pair (2, 1) also in the fold-in
    split = make(
        valid=target,
        test=frame([(1, 5, 3, 11)]),
        valid_history=history,
        test_history=frame([(1, 4, 2, 12)]),
    )
    audit = audit_split(split, AuditOptions(users_cold_by_design=True))
    assert audit.target_pairs_in_fold_in == 1
    assert audit.heldout_users_in_train == 1  # user 1 is a test user and a training user
    assert audit.cold_users_by_design and audit.cold_users_valid == 1
    assert not audit.clean


def test_cold_users_by_design_alone_is_clean():
    split = make(
        valid=frame([(2, 1, 3, 10)]),
        test=frame([(3, 2, 3, 11)]),
        n_users=4,
        valid_history=frame([(2, 0, 1, 8)]),
        test_history=frame([(3, 3, 2, 12)]),
    )
    audit = audit_split(split, AuditOptions(users_cold_by_design=True))
    assert audit.cold_users_valid == audit.cold_users_test == 1
    assert audit.heldout_users_in_train == 0 and audit.target_pairs_in_fold_in == 0
    assert audit.clean


def test_user_in_both_valid_and_test_is_a_leak():
    split = make(
        valid=frame([(2, 1, 3, 10)]),
        test=frame([(2, 2, 3, 11)]),
        valid_history=frame([(2, 0, 1, 8)]),
        test_history=frame([(2, 3, 2, 12)]),
    )
    audit = audit_split(split, AuditOptions(users_cold_by_design=True))
    assert audit.heldout_users_in_train == 1 and not audit.clean


def test_empty_parts_are_unclean():
    audit = audit_split(make(test=TEST.iloc[:0]))
    assert audit.empty_parts == ("test",) and not audit.clean
    assert audit.problems() == ["empty parts: test"]


def test_without_timestamps():
    no_ts = [f.drop(columns="timestamp") for f in (TRAIN, VALID, TEST)]
    audit = audit_split(make(*no_ts), AuditOptions(per_user_order=True))
    assert audit.max_train_timestamp is None and audit.train_after_first_test is None
    assert audit.train_after_user_target == 0 and audit.clean


def test_to_dict_is_json_ready():
    audit = audit_split(make(), AuditOptions(policy_counts={"rows_drop": 3}))
    out = json.loads(json.dumps(audit.to_dict()))
    assert (
        out["clean"] is True and out["problems"] == [] and out["policy_counts"] == {"rows_drop": 3}
    )
    assert out["protocol"] == "demo" and out["empty_parts"] == []


@pytest.mark.parametrize("name", ["valid", "test"])
def test_duplicate_rows_count_once_per_target_row(name):
    dup = frame([(0, 0, 60, 20), (0, 0, 61, 21)])  # the same train pair re-consumed twice
    audit = audit_split(make(**{name: dup}))
    assert getattr(audit, f"{name}_pairs_in_train") == 2

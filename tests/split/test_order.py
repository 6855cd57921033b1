"""One time order everywhere: the splits, the audit and the rankers' histories/sequences agree
with :mod:`bench.split.order` on which row is a user's last, on ties in time whose file order
(the ``order`` column) differs from the rows' positions and from the item ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.data.interactions import Interactions
from bench.data.preprocess import apply, preprocess_config
from bench.rankers.data import training_data
from bench.rankers.history import stage_data
from bench.split import LeaveLastOut, Split, TemporalSplit
from bench.split.audit import AuditOptions, audit_split
from bench.split.order import chronological, per_user_chronological

# Rows are listed out of file order; ties: user 0 at t=7 (orders 4, 8, 2), user 1 at t=5 (7, 1, 5).
RAW = pd.DataFrame(
    {
        "user": [0, 0, 0, 0, 0, 1, 1, 1, 1],
        "item": [10, 11, 12, 13, 14, 10, 11, 12, 13],
        "timestamp": [7, 7, 3, 7, 1, 5, 5, 5, 2],
        "order": [4, 8, 0, 2, 6, 7, 1, 5, 3],
    }
)
# Each user's rows (by ``order``) in time order, with and without timestamps.
BY_TIME = {0: [6, 0, 2, 4, 8], 1: [3, 1, 5, 7]}
BY_FILE = {0: [0, 2, 4, 6, 8], 1: [1, 3, 5, 7]}


@pytest.fixture(params=["timestamp", "file_order"])
def case(request: pytest.FixtureRequest) -> tuple[Interactions, dict[int, list[int]]]:
    raw = RAW if request.param == "timestamp" else RAW.drop(columns="timestamp")
    expected = BY_TIME if request.param == "timestamp" else BY_FILE
    return Interactions.from_raw("ties", raw), expected


def orders(frame: pd.DataFrame) -> list[int]:
    return frame["order"].tolist()


def per_user_orders(frame: pd.DataFrame) -> dict[int, list[int]]:
    """Each user's ``order`` values in :func:`per_user_chronological` order."""
    ordered = frame.iloc[per_user_chronological(frame)]
    return {int(u): orders(rows) for u, rows in ordered.groupby("user", sort=True)}


def order_to_item(frame: pd.DataFrame) -> dict[int, int]:
    return dict(zip(frame["order"].tolist(), frame["item"].tolist(), strict=True))


def test_time_order_breaks_ties_by_order_column_not_row_position(case) -> None:
    data, expected = case
    frame = data.frame
    assert not frame["order"].is_monotonic_increasing  # the rows are out of file order
    assert per_user_orders(frame) == expected
    assert per_user_orders(frame.iloc[::-1]) == expected  # independent of row positions
    if "timestamp" in frame:
        assert orders(frame.iloc[chronological(frame)]) == [6, 3, 0, 1, 5, 7, 2, 4, 8]
    else:
        assert orders(frame.iloc[chronological(frame)]) == list(range(9))


def test_leave_last_out_takes_the_time_order_last_rows(case) -> None:
    data, expected = case
    split = LeaveLastOut()(data)
    assert sorted(orders(split.test)) == sorted(rows[-1] for rows in expected.values())
    assert sorted(orders(split.valid)) == sorted(rows[-2] for rows in expected.values())
    assert split.audit.train_after_user_target == 0
    assert split.audit.valid_after_user_test == 0


def test_temporal_parts_follow_the_time_order() -> None:
    data = Interactions.from_raw("ties", RAW)
    split = TemporalSplit(valid_cut=0.4, test_cut=0.7)(data)
    assert (split.audit.valid_cut, split.audit.test_cut) == (5, 7)
    in_time = [orders(p.iloc[chronological(p)]) for p in (split.train, split.valid, split.test)]
    assert in_time == [[6, 3, 0], [1, 5, 7], [2, 4, 8]]
    # the parts, each in time order, concatenate to the whole data in time order
    whole = orders(data.frame.iloc[chronological(data.frame)])
    assert [o for part in in_time for o in part] == whole


def test_audit_agrees_on_which_tied_row_is_last(case) -> None:
    data, expected = case
    frame = data.frame

    def audit(targets: list[int]):
        is_test = frame["order"].isin(targets).to_numpy()
        split = Split(
            "hand",
            train=frame[~is_test],
            valid=frame.iloc[:0],
            test=frame[is_test],
            n_users=data.n_users,
            n_items=data.n_items,
        )
        return audit_split(split, AuditOptions(per_user_order=True)).train_after_user_target

    assert audit([rows[-1] for rows in expected.values()]) == 0
    # the second-to-last row of each user as target: exactly its user's last row is later
    assert audit([rows[-2] for rows in expected.values()]) == 2
    assert audit([expected[0][-3], expected[1][-1]]) == 2


def test_ranker_sequences_and_histories_end_with_the_time_order_last(case) -> None:
    data, expected = case
    item_of = order_to_item(data.frame)
    reversed_rows = data.frame.iloc[::-1]  # positions opposite to the file order
    split = Split(
        "hand",
        train=reversed_rows,
        valid=data.frame.iloc[:0],
        test=data.frame.iloc[:0],
        n_users=data.n_users,
        n_items=data.n_items,
    )
    sequences = training_data(split, seed=0, sequences=True).sequences
    assert sequences is not None
    for user, rows in expected.items():
        assert sequences.of(user).tolist() == [item_of[o] for o in rows]

    lloo = LeaveLastOut()(data)
    test_stage = stage_data(lloo, "test")  # history: train + valid, valid last in time
    valid_stage = stage_data(lloo, "valid")  # history: train only
    for user, rows in expected.items():
        assert test_stage.sequence_of(user).tolist() == [item_of[o] for o in rows[:-1]]
        assert valid_stage.sequence_of(user).tolist() == [item_of[o] for o in rows[:-2]]
    assert np.array_equal(test_stage.users, np.array([0, 1]))


@pytest.mark.parametrize(("policy", "kept"), [("keep_first", 2), ("keep_last", 8)])
def test_duplicates_policy_keeps_the_time_order_first_or_last(policy: str, kept: int) -> None:
    # user 0 repeats item 10 at t=7 (orders 4, 8, 2), item 11 at t=9 comes last
    raw = pd.DataFrame(
        {"user": [0, 0, 0, 0], "item": [10, 10, 10, 11], "timestamp": [7, 7, 7, 9]}
    ).assign(order=[4, 8, 2, 0])
    frame = Interactions.from_raw("dups", raw).frame
    rows = per_user_orders(frame)[0][:-1]  # the repeated pair's rows in time order
    assert rows == [2, 4, 8]
    out = apply(Interactions.from_raw("dups", raw), preprocess_config({"duplicates": policy}))
    assert orders(out.frame) == sorted([0, rows[0] if policy == "keep_first" else rows[-1]])
    assert kept in orders(out.frame)

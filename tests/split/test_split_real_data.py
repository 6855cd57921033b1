"""Splitters on real MovieLens data (``bench.data.load``): exact counts, latest-by-time, audits."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from bench.data import load
from bench.split import LeaveLastOut, RandomHoldout, TemporalSplit, UserHoldout
from bench.split.random_holdout import part_counts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ml1m():
    data = load("ml-1m")
    assert (data.n_users, data.n_items, data.n_interactions) == (6040, 3706, 1_000_209)
    return data


def latest_two(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Reference: each user's latest and second-latest row ``order`` (time, then file order)."""
    by_time = frame.sort_values(["user", "timestamp", "order"], kind="stable").groupby("user")
    return by_time["order"].nth(-1), by_time["order"].nth(-2)


def test_leave_last_out_on_ml1m(ml1m):
    start = time.perf_counter()
    split = LeaveLastOut()(ml1m)
    elapsed = time.perf_counter() - start
    assert len(split.test) == len(split.valid) == 6040
    assert split.test["user"].nunique() == split.valid["user"].nunique() == 6040
    assert len(split.train) == 1_000_209 - 2 * 6040
    last, second = latest_two(ml1m.frame)
    assert sorted(split.test["order"]) == sorted(last)
    assert sorted(split.valid["order"]) == sorted(second)
    # the oracle is not trivial on ml-1m: file order is not time order, and times tie
    frame = ml1m.frame
    file_last = frame.groupby("user")["order"].max()
    time_last = frame.sort_values(["timestamp", "order"]).groupby("user")["order"].last()
    assert int((file_last != time_last).sum()) > 5000
    ts = frame.set_index("order")["timestamp"]
    assert int((ts[last.to_numpy()].to_numpy() == ts[second.to_numpy()].to_numpy()).sum()) > 1000
    audit = split.audit
    assert audit.clean and audit.problems() == []
    assert audit.train_after_user_target == 0 and audit.valid_after_user_test == 0
    assert audit.test_pairs_in_train == audit.valid_pairs_in_train == 0
    assert audit.cold_users_valid == audit.cold_users_test == 0
    assert elapsed < 5.0, f"leave_last_out took {elapsed:.2f}s on ml-1m"


def test_temporal_on_ml1m(ml1m):
    split = TemporalSplit(valid_cut=0.8, test_cut=0.9)(ml1m)
    ts = np.sort(ml1m.frame["timestamp"].to_numpy())
    valid_cut, test_cut = ts[int(0.8 * len(ts))], ts[int(0.9 * len(ts))]
    assert split.params["valid_cut_ts"] == valid_cut and split.params["test_cut_ts"] == test_cut
    assert len(split.train) == int((ts < valid_cut).sum())
    assert len(split.test) == int((ts >= test_cut).sum())
    assert sum(split.sizes().values()) == 1_000_209
    audit = split.audit
    assert audit.train_after_cut == 0 and audit.max_train_timestamp < valid_cut
    assert audit.cold_users_valid > 0 and audit.cold_users_test > 0  # new users join over time
    assert audit.clean


def test_random_holdout_on_ml1m(ml1m):
    split = RandomHoldout(ratios=[8, 1, 1])(ml1m, seed=2020)
    per_user = ml1m.frame.groupby("user").size().to_numpy()
    expected = np.array(part_counts(per_user, (0.8, 0.1, 0.1))).sum(axis=1)
    assert list(split.sizes().values()) == expected.tolist() == [805_443, 97_383, 97_383]
    assert split.audit.clean
    assert split.fingerprint != RandomHoldout()(ml1m, seed=2021).fingerprint


def test_user_holdout_on_ml1m(ml1m):
    split = UserHoldout(valid_users=0.1, test_users=0.1)(ml1m, seed=98765)
    assert split.params["n_valid_users"] == split.params["n_test_users"] == 604
    assert split.valid_history["user"].nunique() == split.test_history["user"].nunique() == 604
    train_items = set(split.train["item"])
    assert set(split.test["item"]) <= train_items and set(split.valid["item"]) <= train_items
    audit = split.audit
    assert audit.cold_users_by_design and audit.cold_users_test == split.test["user"].nunique()
    assert audit.heldout_users_in_train == 0 and audit.clean
    kept = sum(split.sizes().values()) + audit.policy_counts["unseen_item_rows_dropped"]
    assert kept == 1_000_209


def test_leave_last_out_on_ml100k():
    data = load("ml-100k")
    split = LeaveLastOut()(data)
    assert len(split.test) == len(split.valid) == 943
    last, second = latest_two(data.frame)
    assert sorted(split.test["order"]) == sorted(last)
    assert sorted(split.valid["order"]) == sorted(second)
    assert split.audit.clean

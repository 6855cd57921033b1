"""Property tests (hypothesis): parts partition the input, ordering invariants, clean audits."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.data.interactions import Interactions
from bench.split import EmptyPartError, LeaveLastOut, RandomHoldout, TemporalSplit, UserHoldout
from bench.split.random_holdout import part_counts

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

rows = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 11), st.integers(0, 6)), min_size=1, max_size=60
)


def to_data(table: list[tuple[int, int, int]], dedup: bool = False) -> Interactions:
    raw = pd.DataFrame(table, columns=["user", "item", "timestamp"])
    if dedup:
        raw = raw.drop_duplicates(["user", "item"]).reset_index(drop=True)
    return Interactions.from_raw("prop", raw)


def assert_partition(split, data: Interactions) -> None:
    orders = np.concatenate([p["order"].to_numpy() for p in split.parts().values()])
    assert np.array_equal(np.sort(orders), np.sort(data.frame["order"].to_numpy()))
    for part in split.parts().values():  # rows are copied unchanged from the input
        merged = part.merge(data.frame, on="order", suffixes=("", "_in"))
        assert len(merged) == len(part)
        for col in ("user", "item", "timestamp"):
            assert (merged[col] == merged[f"{col}_in"]).all()


@SETTINGS
@given(rows)
def test_leave_last_out_partition_and_order(table):
    data = to_data(table)
    sizes = data.frame.groupby("user").size()
    try:
        split = LeaveLastOut(too_few="train_only")(data)
    except EmptyPartError:
        assert (sizes < 3).all()  # only when no user can give a valid and a test row
        return
    assert_partition(split, data)
    assert len(split.test) == len(split.valid) == int((sizes >= 3).sum())
    for u, group in data.frame.sort_values(["timestamp", "order"]).groupby("user"):
        if len(group) < 3:
            assert (split.train["user"] == u).sum() == len(group)
            continue
        assert split.test.loc[split.test["user"] == u, "order"].item() == group["order"].iloc[-1]
        assert split.valid.loc[split.valid["user"] == u, "order"].item() == group["order"].iloc[-2]
    assert split.audit.train_after_user_target == 0 and split.audit.valid_after_user_test == 0


@SETTINGS
@given(rows, st.floats(0.05, 0.6), st.floats(0.0, 0.39))
def test_temporal_partition_and_cut(table, q_valid, gap):
    data = to_data(table)
    splitter = TemporalSplit(valid_cut=q_valid, test_cut=q_valid + gap)
    try:
        split = splitter(data)
    except EmptyPartError as err:
        ts = np.sort(data.frame["timestamp"].to_numpy())
        v, t = (ts[min(int(q * len(ts)), len(ts) - 1)] for q in (q_valid, q_valid + gap))
        part = {"train": ts < v, "valid": (ts >= v) & (ts < t), "test": ts >= t}[err.part]
        assert not part.any()
        return
    assert_partition(split, data)
    v, t = split.params["valid_cut_ts"], split.params["test_cut_ts"]
    assert split.train["timestamp"].max() < v
    assert v <= split.valid["timestamp"].min() and split.valid["timestamp"].max() < t
    assert split.test["timestamp"].min() >= t
    assert split.audit.train_after_cut == 0 and split.audit.valid_after_cut == 0


@SETTINGS
@given(rows, st.integers(0, 2**32 - 1))
def test_random_holdout_partition_and_counts(table, seed):
    data = to_data(table, dedup=True)
    try:
        split = RandomHoldout()(data, seed=seed)
    except EmptyPartError:
        assert (data.frame.groupby("user").size() < 3).all()
        return
    assert_partition(split, data)
    sizes = data.frame.groupby("user").size()
    for column, name in enumerate(("train", "valid", "test")):
        got = split.parts()[name].groupby("user").size().reindex(sizes.index, fill_value=0)
        assert got.tolist() == [part_counts(int(n), (0.8, 0.1, 0.1))[column] for n in sizes]
    assert split.audit.clean


@SETTINGS
@given(rows, st.integers(0, 2**32 - 1))
def test_user_holdout_partition_and_disjoint_users(table, seed):
    data = to_data(table, dedup=True)
    if data.n_users < 3:
        return
    try:
        split = UserHoldout(valid_users=1, test_users=1, fold_out=0.5, unseen_items="keep")(
            data, seed=seed
        )
    except EmptyPartError as err:
        assert err.part in ("valid", "test")  # a held-out user with a single interaction
        return
    assert_partition(split, data)
    groups = [
        set(split.train["user"]),
        set(split.valid_history["user"]) | set(split.valid["user"]),
        set(split.test_history["user"]) | set(split.test["user"]),
    ]
    assert sum(map(len, groups)) == len(set().union(*groups)) == data.n_users
    assert split.audit.clean

"""Global temporal split: quantile and date cuts, ties at a cut, cold users, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from split_helpers import make_data

from bench.split import EmptyPartError, SplitError, TemporalSplit
from bench.split.temporal import resolve_cut

# rows 0..9; user "c" only appears after the valid cut, "d" only in the test period
TIMES = [100, 200, 200, 300, 400, 500, 500, 600, 700, 800]
USERS = ["a", "b", "a", "b", "a", "c", "a", "b", "d", "a"]
ITEMS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]


def data(times=TIMES, users=USERS, items=ITEMS):
    return make_data(users, items, times)


def orders(frame: pd.DataFrame) -> list[int]:
    return frame["order"].tolist()


def test_quantile_cuts():
    split = TemporalSplit(valid_cut=0.5, test_cut=0.7)(data())
    assert orders(split.train) == [0, 1, 2, 3, 4]
    assert orders(split.valid) == [5, 6]
    assert orders(split.test) == [7, 8, 9]
    audit = split.audit
    assert (audit.valid_cut, audit.test_cut, audit.max_train_timestamp) == (500, 600, 400)
    assert audit.train_after_cut == 0 and audit.valid_after_cut == 0
    assert audit.train_after_first_test == 0
    assert split.params["valid_cut_ts"] == 500 and split.params["test_cut_ts"] == 600
    assert split.params["valid_cut_utc"] == "1970-01-01T00:08:20+00:00"


def test_equal_timestamps_never_straddle_a_cut():
    # quantile 0.6 lands on the second of two rows at t=500: the cut is 500, both go to valid
    split = TemporalSplit(valid_cut=0.6, test_cut=0.7)(data())
    assert orders(split.valid) == [5, 6]
    assert resolve_cut("x", 0.2, np.array(sorted(TIMES))) == 200
    assert resolve_cut("x", 0.99, np.array(sorted(TIMES))) == 800


def test_date_cuts_utc_and_zones():
    base = 1041379200  # 2003-01-01T00:00:00Z
    times = [base - 86400 * 2, base - 1, base, base + 3600, base + 86400, base + 86400 * 3]
    d = make_data(["a", "b", "a", "b", "a", "b"], [1, 2, 3, 4, 5, 6], times)
    split = TemporalSplit(valid_cut="2003-01-01", test_cut="2003-01-02T00:00:00Z")(d)
    assert orders(split.train) == [0, 1]
    assert orders(split.valid) == [2, 3]
    assert orders(split.test) == [4, 5]
    # 2003-01-01T01:00:00+01:00 is midnight UTC
    zoned = TemporalSplit(valid_cut="2003-01-01T01:00:00+01:00", test_cut="2003-01-02")(d)
    assert zoned.fingerprint == split.fingerprint
    # a fractional-second cut rounds up: a row at base is before base + 0.5 s
    late = TemporalSplit(valid_cut="2003-01-01T00:00:00.5", test_cut="2003-01-02")(d)
    assert orders(late.train) == [0, 1, 2]


def test_cold_users_kept_and_reported():
    split = TemporalSplit(valid_cut=0.5, test_cut=0.7)(data())
    # valid users: c (cold), a; test users: b, d (cold), a
    assert split.audit.cold_users_valid == 1 and split.audit.cold_users_test == 1
    assert split.audit.cold_items_valid == 2 and split.audit.cold_items_test == 3
    assert split.audit.clean


def test_cold_users_dropped_and_counted():
    split = TemporalSplit(valid_cut=0.5, test_cut=0.7, cold_users="drop")(data())
    assert orders(split.valid) == [6] and orders(split.test) == [7, 9]
    assert split.audit.cold_users_valid == 0 and split.audit.cold_users_test == 0
    assert split.audit.policy_counts == {
        "cold_users_dropped_valid": 1,
        "cold_rows_dropped_valid": 1,
        "cold_users_dropped_test": 1,
        "cold_rows_dropped_test": 1,
    }


def test_requires_timestamps():
    with pytest.raises(SplitError, match=r"'toy' needs timestamps .* use leave_last_out"):
        TemporalSplit()(make_data(USERS, ITEMS))


def test_empty_test_part_is_a_clear_error():
    with pytest.raises(EmptyPartError) as err:
        TemporalSplit(valid_cut=0.5, test_cut="2001-01-01")(data())
    message = str(err.value)
    assert "the test part is empty" in message and "2001-01-01T00:00:00+00:00" in message
    assert "move test_cut earlier" in message and err.value.part == "test"


def test_empty_valid_and_train_parts():
    with pytest.raises(EmptyPartError, match="the valid part is empty"):
        TemporalSplit(valid_cut=0.5, test_cut=0.6)(data())
    with pytest.raises(EmptyPartError, match=r"the train part is empty .* before valid_cut"):
        TemporalSplit(valid_cut="1960-01-01", test_cut=0.7)(data())


def test_valid_cut_after_test_cut():
    with pytest.raises(SplitError, match=r"valid_cut=0.9 .* is after test_cut=0.5"):
        TemporalSplit(valid_cut=0.9, test_cut=0.5)(data())


@pytest.mark.parametrize(
    ("cut", "fragment"),
    [
        (1.5, "valid_cut=1.5 is not a quantile in (0, 1)"),
        (0, "valid_cut=0 is not a quantile"),
        (True, "valid_cut=True is a boolean"),
        ("next tuesday", "valid_cut='next tuesday' is neither a quantile"),
        ([0.8], "valid_cut=[0.8] is neither a quantile"),
    ],
)
def test_bad_cut_values(cut, fragment):
    with pytest.raises(SplitError) as err:
        TemporalSplit(valid_cut=cut, test_cut=0.9)(data())
    assert fragment in str(err.value)


def test_bad_cold_user_policy():
    with pytest.raises(SplitError, match=r"cold_users='ignore' is not one of \['keep', 'drop'\]"):
        TemporalSplit(cold_users="ignore")


def test_no_train_row_after_cut_on_random_data(synthetic):
    split = TemporalSplit(valid_cut=0.7, test_cut=0.85)(synthetic)
    cut = split.params["valid_cut_ts"]
    assert split.train["timestamp"].max() < cut <= split.valid["timestamp"].min()
    assert split.valid["timestamp"].max() < split.params["test_cut_ts"]
    assert split.test["timestamp"].min() >= split.params["test_cut_ts"]
    # the quantile rule: the cut is the timestamp at position floor(q * n) in time order
    assert cut == np.sort(synthetic.frame["timestamp"].to_numpy())[int(0.7 * len(synthetic.frame))]
    assert split.audit.clean

"""Leave-last-out: targets are each user's latest rows (time, then file order); policies; audit."""

from __future__ import annotations

import pandas as pd
import pytest
from split_helpers import make_data

from bench.split import LeaveLastOut, SplitError

# user a: ts 10, 30, 30, 20 (rows 0, 1, 3, 4); user b: ts 5, 7, 6, 1 (rows 2, 5, 6, 7)
USERS = ["a", "a", "b", "a", "a", "b", "b", "b"]
ITEMS = ["i1", "i2", "i1", "i3", "i4", "i2", "i3", "i4"]
TIMES = [10, 30, 5, 30, 20, 7, 6, 1]


def orders(frame: pd.DataFrame) -> list[int]:
    return frame["order"].tolist()


def test_latest_is_test_second_latest_is_valid_ties_by_file_order():
    split = LeaveLastOut()(make_data(USERS, ITEMS, TIMES))
    # a: rows 1 and 3 tie at t=30 -> row 3 (later in the file) is test, row 1 valid
    assert orders(split.test) == [3, 5]
    assert orders(split.valid) == [1, 6]
    assert orders(split.train) == [0, 2, 4, 7]
    assert split.seed is None
    assert split.params["time_key"] == "timestamp, order"
    assert split.audit.clean
    assert split.audit.train_after_user_target == 0
    assert split.audit.valid_after_user_test == 0


def test_without_timestamps_uses_file_order():
    split = LeaveLastOut()(make_data(USERS, ITEMS))
    assert orders(split.test) == [4, 7]
    assert orders(split.valid) == [3, 6]
    assert split.params["time_key"] == "order"
    assert split.audit.clean
    assert split.audit.train_after_first_test is None


def test_matches_a_per_user_reference(synthetic):
    split = LeaveLastOut()(synthetic)
    frame = synthetic.frame.sort_values(["user", "timestamp", "order"])
    expected_test = sorted(frame.groupby("user")["order"].nth(-1).tolist())
    expected_valid = sorted(frame.groupby("user")["order"].nth(-2).tolist())
    assert orders(split.test) == expected_test
    assert orders(split.valid) == expected_valid
    assert len(split.test) == len(split.valid) == synthetic.n_users
    assert split.sizes()["train"] == synthetic.n_interactions - 2 * synthetic.n_users


def test_seed_is_ignored(synthetic):
    assert (
        LeaveLastOut()(synthetic, seed=1).fingerprint
        == LeaveLastOut()(synthetic, seed=2).fingerprint
    )


SHORT_USERS = ["a", "a", "a", "b", "b", "c"]
SHORT_ITEMS = [1, 2, 3, 1, 2, 1]


def test_user_left_without_training_data_is_a_clear_error():
    with pytest.raises(SplitError) as err:
        LeaveLastOut()(make_data(SHORT_USERS, SHORT_ITEMS, name="tiny"))
    message = str(err.value)
    assert "'tiny'" in message and "2 of 3 users" in message and "fewer than 3" in message
    assert "k-core" in message and "user core >= 3" in message
    assert "split.too_few=drop" in message and "split.too_few=train_only" in message
    assert "\n" not in message


def test_drop_policy_removes_short_users_everywhere():
    split = LeaveLastOut(too_few="drop")(make_data(SHORT_USERS, SHORT_ITEMS))
    assert orders(split.train) == [0] and orders(split.valid) == [1] and orders(split.test) == [2]
    assert split.audit.policy_counts == {"users_drop": 2, "rows_drop": 3}
    assert split.n_users == 3  # parts stay in the parent's id space


def test_train_only_policy_keeps_short_users_in_train():
    split = LeaveLastOut(too_few="train_only")(make_data(SHORT_USERS, SHORT_ITEMS))
    assert orders(split.train) == [0, 3, 4, 5]
    assert orders(split.valid) == [1] and orders(split.test) == [2]
    assert split.audit.policy_counts == {"users_train_only": 2, "rows_train_only": 3}
    assert split.audit.clean


def test_larger_min_train():
    data = make_data(["a"] * 4 + ["b"] * 5, list(range(4)) + list(range(5)))
    with pytest.raises(SplitError, match="1 of 2 users have fewer than 5"):
        LeaveLastOut(min_train=3)(data)
    split = LeaveLastOut(min_train=3, too_few="drop")(data)
    assert split.sizes() == {"train": 3, "valid": 1, "test": 1}


def test_min_train_zero_allows_cold_users():
    split = LeaveLastOut(min_train=0, too_few="drop")(make_data(SHORT_USERS, SHORT_ITEMS))
    assert orders(split.test) == [2, 4] and orders(split.valid) == [1, 3]
    assert split.audit.cold_users_test == 1 and split.audit.cold_users_valid == 1
    assert split.audit.clean  # cold users are reported, not a leak


def test_reconsumed_item_is_reported_and_unclean():
    # user a consumes item 1 twice; the second time is its test interaction
    split = LeaveLastOut()(make_data(["a"] * 4, [1, 2, 3, 1], [1, 2, 3, 4]))
    assert split.audit.test_pairs_in_train == 1
    assert not split.audit.clean
    assert "deduplicate" in split.audit.problems()[0]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"too_few": "skip"}, "too_few='skip' is not one of ['error', 'drop', 'train_only']"),
        ({"min_train": -1}, "min_train=-1 must be >= 0"),
        ({"min_train": 1.5}, "min_train=1.5 must be an integer"),
    ],
)
def test_bad_parameters(kwargs, fragment):
    with pytest.raises(SplitError) as err:
        LeaveLastOut(**kwargs)
    assert fragment in str(err.value)

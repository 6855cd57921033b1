"""User holdout (strong generalisation): user partition, fold-in/fold-out, unseen items, audit."""

from __future__ import annotations

import numpy as np
import pytest
from split_helpers import make_data, random_data

from bench.split import EmptyPartError, SplitError, UserHoldout


def users_of(frame) -> set[int]:
    return set(frame["user"].unique().tolist())


def test_users_are_partitioned_and_counts_exact():
    data = random_data(n_users=100, min_per_user=5, seed=3)
    split = UserHoldout(valid_users=0.1, test_users=15, unseen_items="keep")(data, seed=0)
    valid_side = users_of(split.valid_history)
    test_side = users_of(split.test_history)
    train_users = users_of(split.train)
    assert len(valid_side) == 10 and len(test_side) == 15 and len(train_users) == 75
    assert not (valid_side & test_side) and not (train_users & (valid_side | test_side))
    assert users_of(split.valid) <= valid_side and users_of(split.test) <= test_side
    assert split.params["n_valid_users"] == 10 and split.params["n_test_users"] == 15
    # training users keep every interaction
    frame = data.frame
    assert len(split.train) == int(frame["user"].isin(train_users).sum())


def test_fold_out_is_floor_of_fraction_per_user():
    data = random_data(n_users=80, min_per_user=2, max_per_user=30, seed=4)
    split = UserHoldout(fold_out=0.2, unseen_items="keep")(data, seed=5)
    per_user = data.frame.groupby("user").size()
    for target, history in ((split.valid, split.valid_history), (split.test, split.test_history)):
        n_target = target.groupby("user").size()
        n_history = history.groupby("user").size()
        for u, n_hist in n_history.items():
            n = int(per_user[u])
            assert n_target.get(u, 0) == int(0.2 * n), (u, n)
            assert n_hist + n_target.get(u, 0) == n
    without = [
        u for u in users_of(split.valid_history) | users_of(split.test_history) if per_user[u] < 5
    ]
    assert split.audit.policy_counts["heldout_users_without_targets"] == len(without)


def test_unseen_items_dropped_as_liang_et_al():
    # a large catalogue: many items occur only for held-out users
    data = random_data(n_users=50, n_items=400, min_per_user=10, seed=6)
    split = UserHoldout(valid_users=10, test_users=10)(data, seed=1)
    train_items = set(split.train["item"].tolist())
    for name in ("valid", "test", "valid_history", "test_history"):
        assert set(split.parts()[name]["item"].tolist()) <= train_items, name
    kept = UserHoldout(valid_users=10, test_users=10, unseen_items="keep")(data, seed=1)
    heldout = kept.parts()
    dropped = sum(
        int((~heldout[n]["item"].isin(train_items)).sum())
        for n in ("valid", "test", "valid_history", "test_history")
    )
    assert split.audit.policy_counts["unseen_item_rows_dropped"] == dropped > 0
    assert kept.audit.cold_items_valid > 0 and split.audit.cold_items_valid == 0


def test_unseen_items_kept_are_reported_cold():
    # three users with disjoint items: whoever is held out, all its items are unknown to train
    users = ["t"] * 3 + ["h1"] * 5 + ["h2"] * 5
    items = [1, 2, 3, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24]
    data = make_data(users, items)
    s = UserHoldout(valid_users=1, test_users=1, fold_out=0.4, unseen_items="keep")(data, seed=0)
    assert s.audit.cold_items_valid == len(s.valid) > 0
    assert s.audit.cold_items_test == len(s.test) > 0
    assert s.audit.clean  # cold items are reported, not a leak
    with pytest.raises(EmptyPartError, match=r"the valid part is empty .* try unseen_items=keep"):
        UserHoldout(valid_users=1, test_users=1, fold_out=0.4)(data, seed=0)


def test_audit_flags_cold_users_by_design_but_stays_clean(synthetic):
    split = UserHoldout(valid_users=5, test_users=5, unseen_items="keep")(synthetic, seed=0)
    audit = split.audit
    assert audit.cold_users_by_design
    assert audit.cold_users_valid == len(users_of(split.valid)) > 0
    assert audit.cold_users_test == len(users_of(split.test)) > 0
    assert audit.heldout_users_in_train == 0 and audit.target_pairs_in_fold_in == 0
    assert audit.clean


def test_seeds(synthetic):
    a = UserHoldout()(synthetic, seed=0)
    assert a.fingerprint == UserHoldout()(synthetic, seed=0).fingerprint
    b = UserHoldout()(synthetic, seed=1)
    assert a.fingerprint != b.fingerprint
    assert users_of(a.test_history) != users_of(b.test_history)


def test_partition_of_rows_with_keep(synthetic):
    split = UserHoldout(unseen_items="keep")(synthetic, seed=2)
    orders = np.concatenate([p["order"].to_numpy() for p in split.parts().values()])
    assert sorted(orders.tolist()) == list(range(synthetic.n_interactions))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"fold_out": 1.0}, "fold_out=1.0 must be in (0, 1)"),
        ({"fold_out": 0}, "fold_out=0 must be in (0, 1)"),
        ({"unseen_items": "cold"}, "unseen_items='cold' is not one of ['drop', 'keep']"),
    ],
)
def test_bad_parameters(kwargs, fragment):
    with pytest.raises(SplitError) as err:
        UserHoldout(**kwargs)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"valid_users": 0}, "valid_users=0 must be >= 1"),
        ({"test_users": 1.5}, "test_users=1.5 must be an integer count >= 1 or a fraction"),
        ({"test_users": 0.001}, "test_users=0.001 of 60 users selects no user"),
        ({"valid_users": 30, "test_users": 30}, "30 valid + 30 test users leave no training user"),
    ],
)
def test_bad_user_counts(synthetic, kwargs, fragment):
    with pytest.raises(SplitError) as err:
        UserHoldout(**kwargs)(synthetic, seed=0)
    assert fragment in str(err.value)


def test_no_targets_is_an_empty_part_error():
    data = make_data([u for u in range(10) for _ in range(4)], list(range(40)))
    with pytest.raises(EmptyPartError, match=r"floor\(0.2 \* n\) >= 1 among 1 validation users"):
        UserHoldout(valid_users=1, test_users=1, unseen_items="keep")(data, seed=0)

"""Random per-user holdout: RecBole's rounding, seeds, ratio parsing, audit."""

from __future__ import annotations

import numpy as np
import pytest
from split_helpers import make_data

from bench.split import RandomHoldout, SplitError
from bench.split.random_holdout import normalise_ratios, part_counts


def recbole_counts(tot: int, ratios: list[float]) -> list[int]:
    """RecBole 1.2 ``Dataset._calcu_split_ids`` counts, re-typed as a scalar reference."""
    total = sum(ratios)
    ratios = [r / total for r in ratios]
    cnt = [int(ratios[i] * tot) for i in range(len(ratios))]
    cnt[0] = tot - sum(cnt[1:])
    for i in range(1, len(ratios)):
        if cnt[0] <= 1:
            break
        if 0 < ratios[-i] * tot < 1:
            cnt[-i] += 1
            cnt[0] -= 1
    return cnt


@pytest.mark.parametrize(
    "ratios", [[0.8, 0.1, 0.1], [8, 1, 1], [0.7, 0.2, 0.1], [0.6, 0.2, 0.2], [0.71, 0.29, 0.29]]
)
def test_counts_follow_recbole_rounding(ratios):
    n = np.arange(0, 300)
    got = np.stack(part_counts(n, normalise_ratios(ratios)), axis=1)
    expected = np.array([recbole_counts(int(k), ratios) for k in n])
    np.testing.assert_array_equal(got, expected)


def test_small_user_counts_under_8_1_1():
    r = normalise_ratios([8, 1, 1])
    assert [part_counts(n, r) for n in (1, 2, 3, 10, 19, 20)] == [
        (1, 0, 0),
        (1, 0, 1),
        (1, 1, 1),
        (8, 1, 1),
        (17, 1, 1),
        (16, 2, 2),
    ]


def test_per_user_sizes_and_partition(synthetic):
    split = RandomHoldout()(synthetic, seed=7)
    per_user = synthetic.frame.groupby("user").size()
    for name, column in (("train", 0), ("valid", 1), ("test", 2)):
        got = split.parts()[name].groupby("user").size().reindex(per_user.index, fill_value=0)
        expected = [part_counts(int(n), (0.8, 0.1, 0.1))[column] for n in per_user]
        assert got.tolist() == expected, name
    all_orders = np.concatenate([p["order"].to_numpy() for p in split.parts().values()])
    assert sorted(all_orders.tolist()) == list(range(synthetic.n_interactions))
    assert split.seed == 7 and split.params == {"ratios": [0.8, 0.1, 0.1], "rounding": "recbole"}
    assert split.audit.clean


def test_same_seed_same_split_other_seed_other_split(synthetic):
    a = RandomHoldout()(synthetic, seed=1)
    b = RandomHoldout()(synthetic, seed=1)
    c = RandomHoldout()(synthetic, seed=2)
    assert a.fingerprint == b.fingerprint
    assert a.test.equals(b.test)
    assert a.fingerprint != c.fingerprint
    assert not a.test["order"].equals(c.test["order"])
    assert a.sizes() == c.sizes()  # sizes depend on the ratios only


def test_ratio_scales_and_strings_are_equivalent(synthetic):
    fingerprints = {
        RandomHoldout(ratios=r)(synthetic, seed=3).fingerprint
        for r in ([0.8, 0.1, 0.1], [8, 1, 1], (80, 10, 10), "8:1:1")
    }
    assert len(fingerprints) == 1


def test_shuffle_is_not_file_order():
    # one user with 100 rows: the 10 test rows are not simply the last 10 of the file
    data = make_data([0] * 100, list(range(100)))
    split = RandomHoldout()(data, seed=0)
    assert len(split.test) == 10 and split.test["order"].tolist() != list(range(90, 100))


@pytest.mark.parametrize(
    ("ratios", "fragment"),
    [
        (28861, "base-60 integer"),
        ([0.9, 0.1], "must be three positive numbers"),
        ([0.8, 0.0, 0.2], "must be three positive numbers"),
        ([0.8, -0.1, 0.3], "must be three positive numbers"),
        ("a:b:c", "must be numbers"),
    ],
)
def test_bad_ratios(ratios, fragment):
    with pytest.raises(SplitError) as err:
        RandomHoldout(ratios=ratios)
    assert fragment in str(err.value) and repr(ratios) in str(err.value)


def test_seed_must_be_an_integer(synthetic):
    with pytest.raises(SplitError, match="seed=None must be an integer"):
        RandomHoldout()(synthetic, seed=None)


def test_empty_part_when_every_user_is_tiny():
    data = make_data([0, 1, 2], [0, 1, 2])  # one interaction each: train only
    with pytest.raises(SplitError, match="the valid part is empty"):
        RandomHoldout()(data, seed=0)

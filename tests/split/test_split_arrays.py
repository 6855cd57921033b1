"""Array kernels: packed-key sort == lexsort, bitmap and binary-search membership agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bench.split._arrays import BITMAP_LIMIT, distinct, member, rank_within_user, sort_rows

ints = hnp.arrays(np.int64, st.integers(1, 80), elements=st.integers(-5, 40))


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_sort_rows_matches_lexsort(data):
    n = data.draw(st.integers(1, 60))
    user = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 5)))
    key = data.draw(hnp.arrays(np.int64, n, elements=st.integers(-3, 3)))
    expected = np.lexsort((key, user))
    np.testing.assert_array_equal(sort_rows(user, key), expected)  # packed path
    wide = key * (1 << 61)  # too wide to pack: lexsort path
    np.testing.assert_array_equal(sort_rows(user, wide), expected)
    floats = key.astype(float)  # non-integer keys: lexsort path
    np.testing.assert_array_equal(sort_rows(user, floats), expected)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.int64, st.integers(1, 60), elements=st.integers(0, 6)), st.integers(0, 99))
def test_rank_within_user_matches_pandas(user, seed):
    key = np.random.default_rng(seed).integers(0, 5, len(user))
    rank, size = rank_within_user(user, key)
    frame = pd.DataFrame({"user": user, "key": key, "pos": np.arange(len(user))})
    ordered = frame.sort_values(["user", "key", "pos"])
    expected = ordered.groupby("user").cumcount().reindex(frame.index)
    np.testing.assert_array_equal(rank, expected.to_numpy())
    np.testing.assert_array_equal(size, frame.groupby("user")["user"].transform("size"))


@settings(max_examples=60, deadline=None)
@given(ints, ints)
def test_member_and_distinct_match_numpy(values, known):
    np.testing.assert_array_equal(member(values, known), np.isin(values, known))
    big = BITMAP_LIMIT * 4  # forces the binary-search path
    np.testing.assert_array_equal(member(values + big, known + big), np.isin(values, known))
    np.testing.assert_array_equal(distinct(values), np.unique(values))
    np.testing.assert_array_equal(distinct(values + big) - big, np.unique(values))


def test_empty_inputs():
    empty = np.zeros(0, dtype=np.int64)
    assert member(empty, np.array([1])).shape == (0,)
    assert not member(np.array([1]), empty).any()
    assert distinct(empty).shape == (0,)
    rank, size = rank_within_user(empty, empty)
    assert rank.shape == size.shape == (0,)

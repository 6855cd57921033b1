import numpy as np
import pandas as pd
import pytest

from bench.stats.paired import (
    PairedDataError,
    as_generator,
    check_level,
    check_resamples,
    differences,
    paired_values,
)


def test_arrays_pass_through_as_float64():
    a, b = paired_values([1, 2, 3], np.array([0.5, 0.5, 0.5], dtype=np.float32))
    assert a.dtype == b.dtype == np.float64
    assert a.tolist() == [1.0, 2.0, 3.0]
    assert b.tolist() == [0.5, 0.5, 0.5]


def test_series_are_aligned_on_user_id_in_a_order():
    a = pd.Series([0.1, 0.2, 0.3], index=[30, 10, 20])
    b = pd.Series([1.0, 2.0, 3.0], index=[10, 20, 30])
    x, y = paired_values(a, b)
    assert x.tolist() == [0.1, 0.2, 0.3]
    assert y.tolist() == [3.0, 1.0, 2.0]
    assert differences(a, b).tolist() == pytest.approx([-2.9, -0.8, -1.7])


def test_different_user_sets_name_counts_on_each_side():
    a = pd.Series([0.0] * 4, index=[1, 2, 3, 4])
    b = pd.Series([0.0] * 3, index=[1, 2, 9])
    with pytest.raises(PairedDataError, match=r"2 only in a \[3, 4\], 1 only in b \[9\]"):
        paired_values(a, b)


def test_duplicate_users_rejected():
    a = pd.Series([0.0, 1.0, 2.0], index=[1, 1, 2])
    b = pd.Series([0.0, 1.0, 2.0], index=[1, 2, 3])
    with pytest.raises(PairedDataError, match=r"a lists 1 user\(s\) more than once, e\.g\. \[1\]"):
        paired_values(a, b)


def test_series_mixed_with_array_rejected():
    with pytest.raises(PairedDataError, match=r"b is a pandas Series .* but a is not"):
        paired_values([1.0, 2.0], pd.Series([1.0, 2.0]))


def test_length_mismatch():
    with pytest.raises(PairedDataError, match="a has 3 values but b has 2"):
        paired_values([1, 2, 3], [1, 2])


@pytest.mark.parametrize("n", [0, 1])
def test_fewer_than_two_users(n):
    with pytest.raises(PairedDataError, match=f"at least 2 users, got {n}"):
        paired_values([0.5] * n, [0.5] * n)


def test_nan_names_count_and_users():
    a = pd.Series([0.1, np.nan, 0.3, np.nan], index=[5, 6, 7, 8])
    b = pd.Series([0.1, 0.2, 0.3, 0.4], index=[5, 6, 7, 8])
    with pytest.raises(PairedDataError, match=r"a holds 2 NaN value\(s\), at user\(s\) \[6, 8\]"):
        paired_values(a, b)
    with pytest.raises(PairedDataError, match=r"b holds 1 NaN or infinite value\(s\)"):
        paired_values([1.0, 2.0], [np.inf, 0.0])


def test_bad_shapes_and_types():
    with pytest.raises(PairedDataError, match=r"shape \(2, 2\)"):
        paired_values(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(PairedDataError, match="non-numeric"):
        paired_values(["x", "y"], [1.0, 2.0])
    frame = pd.DataFrame({"ndcg": [1.0, 2.0]})
    with pytest.raises(PairedDataError, match=r"DataFrame with columns \['ndcg'\]"):
        paired_values(frame, frame)


def test_custom_names_appear_in_messages():
    with pytest.raises(PairedDataError, match="ease has 1 values but pop has 2"):
        paired_values([1.0], [1.0, 2.0], names=("ease", "pop"))


def test_seed_and_option_checks():
    assert isinstance(as_generator(3), np.random.Generator)
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    for bad in (None, -1, 1.5, True, "0"):
        with pytest.raises(ValueError, match="seed="):
            as_generator(bad)
    for bad in (0.0, 1.0, 95):
        with pytest.raises(ValueError, match="level="):
            check_level(bad)
    for bad in (0, -5, 2.5):
        with pytest.raises(ValueError, match="n_resamples="):
            check_resamples(bad)

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bench.stats import PairedDataError, paired_randomization_test, paired_t_test
from bench.stats.randomization import _exact_codes, _SignFlipSums


def _scipy(d, alternative, n_resamples, seed=0):
    return stats.permutation_test(
        (d,),
        lambda x, axis: np.mean(x, axis=axis),
        permutation_type="samples",
        vectorized=True,
        n_resamples=n_resamples,
        alternative=alternative,
        rng=seed,
    )


def _data(seed, n, shift=0.05):
    rng = np.random.default_rng(seed)
    b = rng.random(n)
    return np.clip(b + rng.normal(shift, 0.2, n), 0, 1), b


@pytest.mark.parametrize("n", [2, 3, 5, 8, 9, 12])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_exact_enumeration_equals_scipy(n, seed, alternative):
    a, b = _data(seed, n, shift=0.1)
    ours = paired_randomization_test(a, b, n_resamples=10_000, alternative=alternative)
    ref = _scipy(a - b, alternative, n_resamples=10_000)
    assert ours.exact and ours.n_resamples == 2**n
    assert ours.p_value == pytest.approx(ref.pvalue, abs=1e-12)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_exact_with_ties_equals_scipy(alternative):
    # HitRate-like per-user differences in {-1, 0, 1}: many exactly tied null values
    a = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1], dtype=float)
    b = np.array([0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1], dtype=float)
    ours = paired_randomization_test(a, b, alternative=alternative)
    ref = _scipy(a - b, alternative, n_resamples=10_000)
    assert ours.p_value == pytest.approx(ref.pvalue, abs=1e-12)
    # d has 4 x (+1), 1 x (-1), 6 zeros: P(|sum of 5 signs| >= 3) = 2 * (1 + 5) / 32
    if alternative == "two-sided":
        assert ours.p_value == 12 / 32


def test_float_ties_are_counted():
    # 0.1 + 0.2 != 0.3 in floating point, yet the flips are exact ties
    d = np.array([0.1, 0.2, 0.3])
    r = paired_randomization_test(d, np.zeros(3), alternative="greater")
    # sums over sign patterns: 0.6, 0.4, 0.2, 0.0, 0.0, -0.2, -0.4, -0.6 -> P(T >= 0.6) = 1/8
    assert r.p_value == 1 / 8
    r = paired_randomization_test([0.1, 0.2, 0.3], [0.0, 0.0, 0.6], alternative="greater")
    assert r.mean_diff == pytest.approx(0.0)
    # d = [.1, .2, -.3]: sums 0, .6, -.4, .2, -.2, .4, -.6, 0 -> both zeros count as ties
    assert r.p_value == 5 / 8


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_monte_carlo_agrees_with_exact(alternative):
    a, b = _data(4, 12, shift=0.07)
    exact = paired_randomization_test(a, b, alternative=alternative, exact=True)
    mc = paired_randomization_test(
        a, b, alternative=alternative, n_resamples=20_000, seed=1, exact=False
    )
    assert not mc.exact and mc.n_resamples == 20_000
    se = np.sqrt(exact.p_value * (1 - exact.p_value) / 20_000)
    assert abs(mc.p_value - exact.p_value) < 4 * se + 1e-4


@pytest.mark.parametrize("n", [60, 1000])
def test_monte_carlo_agrees_with_scipy(n):
    a, b = _data(5, n, shift=0.03 if n == 60 else 0.006)
    ours = paired_randomization_test(a, b, n_resamples=20_000, seed=2)
    ref = _scipy(a - b, "two-sided", n_resamples=20_000, seed=3)
    assert 0.005 < ours.p_value < 0.995  # not a trivial agreement at 0 or 1
    se = np.sqrt(ref.pvalue * (1 - ref.pvalue) / 20_000)
    assert abs(ours.p_value - ref.pvalue) < 5 * np.sqrt(2) * se


def test_large_n_agrees_with_t_test():
    a, b = _data(6, 20_000, shift=0.003)
    t = paired_t_test(a, b).p_value
    perm = paired_randomization_test(a, b, n_resamples=5000, seed=0).p_value
    assert 0.01 < t < 0.5
    assert perm == pytest.approx(t, abs=0.03)


def test_plus_one_correction_bounds_p():
    a, b = _data(7, 500, shift=0.3)
    r = paired_randomization_test(a, b, n_resamples=999, seed=0)
    assert r.p_value == 1 / 1000


def test_kernel_equals_direct_sign_flips():
    rng = np.random.default_rng(8)
    d = rng.normal(size=8 * 512 * 2 + 13)  # three table blocks, a ragged last group
    sums = _SignFlipSums(d)
    codes = rng.integers(0, 256, size=(7, sums.n_groups), dtype=np.uint8)
    bits = np.unpackbits(codes, axis=1, bitorder="little")[:, : d.size]
    direct = (1.0 - 2.0 * bits) @ d
    np.testing.assert_allclose(sums(codes), direct, rtol=1e-12, atol=1e-12)
    patterns = _exact_codes(0, 2**10, sums.n_groups)
    assert (patterns[5, :2] == [5, 0]).all() and (patterns[2**9 + 3, :2] == [3, 2]).all()


def test_seeded_and_chunk_invariant():
    a, b = _data(9, 3001, shift=0.005)
    base = paired_randomization_test(a, b, n_resamples=3000, seed=11)
    for chunk in (1, 7, 1024, 5000):
        assert paired_randomization_test(a, b, n_resamples=3000, seed=11, chunk_size=chunk) == base
    other = paired_randomization_test(a, b, n_resamples=3000, seed=12)
    assert other.p_value != base.p_value
    gen = paired_randomization_test(a, b, n_resamples=3000, seed=np.random.default_rng(11))
    assert gen == base


def test_series_alignment_and_errors():
    a = pd.Series([0.5, 0.4, 0.3, 0.9], index=list("wxyz"))
    b = pd.Series([0.1, 0.2, 0.3, 0.4], index=list("zyxw"))
    arrays = paired_randomization_test([0.5, 0.4, 0.3, 0.9], [0.4, 0.3, 0.2, 0.1])
    assert paired_randomization_test(a, b) == arrays
    with pytest.raises(PairedDataError, match="1 only in a"):
        paired_randomization_test(a, b.iloc[:3])
    with pytest.raises(ValueError, match="exact=True enumerates 2\\*\\*40"):
        paired_randomization_test(np.ones(40), np.zeros(40), exact=True)
    with pytest.raises(ValueError, match="alternative="):
        paired_randomization_test([1, 2], [2, 1], alternative="two_sided")


def test_null_calibration():
    # Under H0 (symmetric differences) about 5% of tests reject at 0.05.
    rng = np.random.default_rng(10)
    p = [
        paired_randomization_test(
            rng.standard_t(3, 40), np.zeros(40), n_resamples=199, seed=s
        ).p_value
        for s in range(400)
    ]
    assert 0.025 <= np.mean(np.array(p) <= 0.05) <= 0.085
    assert 0.4 < np.mean(p) < 0.6


@pytest.mark.slow
def test_138k_users_10k_resamples():
    a, b = _data(11, 138_000, shift=0.0015)
    t = paired_t_test(a, b).p_value
    perm = paired_randomization_test(a, b)
    assert perm.n_resamples == 10_000 and not perm.exact
    assert 0.005 < t < 0.3
    assert perm.p_value == pytest.approx(t, abs=0.02)

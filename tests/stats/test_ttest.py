import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bench.stats import PairedDataError, paired_t_test


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [2, 3, 10, 137, 5000])
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_matches_scipy_ttest_rel(seed, n, alternative):
    rng = np.random.default_rng(seed)
    b = rng.beta(0.5, 2.0, n)  # skewed, like per-user NDCG
    a = np.clip(b + rng.normal(0.02, 0.15, n), 0, 1)
    ours = paired_t_test(a, b, alternative=alternative, level=0.9)
    ref = stats.ttest_rel(a, b, alternative=alternative)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)
    assert ours.df == ref.df == n - 1
    assert ours.mean_diff == pytest.approx(np.mean(a - b), rel=1e-12)
    two_sided = stats.ttest_rel(a, b).confidence_interval(confidence_level=0.9)
    assert ours.ci == pytest.approx((two_sided.low, two_sided.high), rel=1e-10)
    assert ours.n_users == n and ours.level == 0.9 and ours.test == "t"


def test_known_values():
    r = paired_t_test([0.3, 0.5, 0.4, 0.8], [0.2, 0.5, 0.1, 0.6])
    # d = [.1, 0, .3, .2]: mean .15, sd sqrt(.05/3), t = .15 / (sd / 2)
    assert r.statistic == pytest.approx(0.15 / (np.sqrt(0.05 / 3) / 2))
    assert r.p_value == pytest.approx(2 * stats.t.sf(r.statistic, 3))
    assert isinstance(r.ci[0], float)


def test_series_input_equals_aligned_arrays():
    rng = np.random.default_rng(7)
    users = rng.permutation(100)
    a = pd.Series(rng.random(100), index=users)
    b = pd.Series(rng.random(100), index=users).sample(frac=1.0, random_state=1)
    arrays = paired_t_test(a.to_numpy(), b.reindex(a.index).to_numpy())
    assert paired_t_test(a, b) == arrays


def test_degenerate_differences():
    same = paired_t_test([0.2, 0.4, 0.9], [0.2, 0.4, 0.9])
    assert (same.statistic, same.p_value, same.ci) == (0.0, 1.0, (0.0, 0.0))
    shifted = paired_t_test([1.5, 2.5, 3.5], [1.0, 2.0, 3.0])
    assert shifted.statistic == np.inf and shifted.p_value == 0.0
    assert shifted.ci == (0.5, 0.5)
    assert paired_t_test([1.0, 2.0], [1.5, 2.5]).statistic == -np.inf
    assert paired_t_test([1.5, 2.5], [1.0, 2.0], alternative="less").p_value == 1.0


def test_bad_options():
    with pytest.raises(ValueError, match="alternative='bigger'"):
        paired_t_test([1, 2], [2, 1], alternative="bigger")
    with pytest.raises(ValueError, match=r"level=1\.5"):
        paired_t_test([1, 2], [2, 1], level=1.5)
    with pytest.raises(PairedDataError, match="NaN"):
        paired_t_test([1, np.nan], [2, 1])

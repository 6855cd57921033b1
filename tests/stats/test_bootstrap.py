import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bench.stats import paired_bootstrap_ci, paired_t_test
from bench.stats.bootstrap import _bca, _percentile


def _data(seed, n, shift=0.03):
    rng = np.random.default_rng(seed)
    b = rng.beta(0.4, 1.5, n)  # skewed, like per-user NDCG
    return np.clip(b + rng.normal(shift, 0.2, n) * (rng.random(n) < 0.6), 0, 1), b


def _scipy(a, b, method, n_resamples=10_000, seed=0, level=0.95):
    return stats.bootstrap(
        (a, b),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        paired=True,
        vectorized=True,
        method=method,
        n_resamples=n_resamples,
        confidence_level=level,
        rng=seed,
    )


@pytest.mark.parametrize(("method", "scipy_method"), [("percentile", "percentile"), ("bca", "BCa")])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_interval_formula_equals_scipy_on_its_own_bootstrap_distribution(
    method, scipy_method, level
):
    a, b = _data(0, 40)
    ref = _scipy(a, b, scipy_method, n_resamples=2000, level=level)
    fn = {"percentile": _percentile, "bca": _bca}[method]
    ours = fn(a - b, ref.bootstrap_distribution, level)
    assert ours == pytest.approx(tuple(ref.confidence_interval), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("method", "scipy_method"), [("percentile", "percentile"), ("bca", "BCa")])
@pytest.mark.parametrize("n", [30, 400])
def test_ci_close_to_scipy_bootstrap(method, scipy_method, n):
    a, b = _data(1, n)
    ours = paired_bootstrap_ci(a, b, method=method, seed=1)
    ref = _scipy(a, b, scipy_method, seed=2)
    se = ref.standard_error
    # Monte Carlo error of a 2.5% quantile with 10k resamples is ~0.03 SE per run
    assert ours.ci[0] == pytest.approx(ref.confidence_interval.low, abs=0.2 * se)
    assert ours.ci[1] == pytest.approx(ref.confidence_interval.high, abs=0.2 * se)
    assert ours.standard_error == pytest.approx(se, rel=0.05)
    for values, ci in ((a, ours.ci_a), (b, ours.ci_b)):
        marginal = stats.bootstrap(
            (values,), np.mean, method=scipy_method, vectorized=True, rng=3
        ).confidence_interval
        side_se = values.std() / np.sqrt(n)
        assert ci == pytest.approx((marginal.low, marginal.high), abs=0.2 * side_se)


def test_resampling_is_uniform_over_users():
    # Bootstrap means of x center on mean(x) with spread sd(x, ddof=0) / sqrt(n)
    a, b = _data(2, 1000)
    r = paired_bootstrap_ci(a, b, n_resamples=4000, seed=5)
    d = a - b
    assert r.standard_error == pytest.approx(d.std() / np.sqrt(d.size), rel=0.05)
    t_ci = paired_t_test(a, b).ci  # close, up to skewness and Monte Carlo error
    assert r.ci == pytest.approx(t_ci, abs=0.3 * r.standard_error)
    assert r.ci_a[0] < r.mean_a < r.ci_a[1] and r.ci_b[0] < r.mean_b < r.ci_b[1]


def test_seeded_and_independent_of_with_means():
    a, b = _data(3, 200)
    r1 = paired_bootstrap_ci(a, b, n_resamples=500, seed=9)
    assert paired_bootstrap_ci(a, b, n_resamples=500, seed=9) == r1
    assert paired_bootstrap_ci(a, b, n_resamples=500, seed=np.random.default_rng(9)) == r1
    only = paired_bootstrap_ci(a, b, n_resamples=500, seed=9, with_means=False)
    assert only.ci == r1.ci and only.ci_a is None and only.ci_b is None
    assert paired_bootstrap_ci(a, b, n_resamples=500, seed=10).ci != r1.ci


def test_series_input_is_aligned():
    a, b = _data(4, 50)
    users = np.arange(50) * 3
    sa = pd.Series(a, index=users)
    sb = pd.Series(b, index=users)[::-1]
    assert paired_bootstrap_ci(sa, sb, n_resamples=300) == paired_bootstrap_ci(
        a, b, n_resamples=300
    )


def test_degenerate_and_errors():
    r = paired_bootstrap_ci([0.5, 0.5, 0.5], [0.25, 0.25, 0.25], n_resamples=50, method="bca")
    assert r.ci == (0.25, 0.25) and r.ci_a == (0.5, 0.5) and r.standard_error == 0.0
    with pytest.raises(ValueError, match="method='student'"):
        paired_bootstrap_ci([1, 2], [2, 1], method="student")
    with pytest.raises(ValueError, match="level=0"):
        paired_bootstrap_ci([1, 2], [2, 1], level=0)
    with pytest.raises(ValueError, match="BCa interval undefined"):
        _bca(np.array([0.0, 1.0]), np.full(10, 2.0), 0.95)


@pytest.mark.slow
def test_138k_users():
    a, b = _data(5, 138_000, shift=0.002)
    r = paired_bootstrap_ci(a, b, n_resamples=5000, with_means=False)
    t_ci = paired_t_test(a, b).ci  # Monte Carlo sd of the bounds: ~0.04 SE
    assert r.ci == pytest.approx(t_ci, abs=0.25 * r.standard_error)

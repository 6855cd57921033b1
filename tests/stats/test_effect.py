import numpy as np
import pytest
from scipy import stats
from scipy.special import gammaln

from bench.stats import cohens_dz, hedges_correction, hedges_gz, relative_improvement


def test_cohens_dz_is_t_over_sqrt_n():
    rng = np.random.default_rng(0)
    for n in (2, 5, 300):
        a, b = rng.random(n), rng.random(n)
        t = stats.ttest_rel(a, b).statistic
        assert cohens_dz(a, b) == pytest.approx(t / np.sqrt(n), rel=1e-10)


def test_cohens_dz_known_value():
    # d = [.1, 0, .3, .2]: mean .15, sd sqrt(.05 / 3)
    assert cohens_dz([0.3, 0.5, 0.4, 0.8], [0.2, 0.5, 0.1, 0.6]) == pytest.approx(
        0.15 / np.sqrt(0.05 / 3)
    )
    assert cohens_dz([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]) == -np.inf
    assert cohens_dz([1.0, 2.0], [1.0, 2.0]) == 0.0


@pytest.mark.parametrize("df", [1, 2, 3, 9, 50, 1000])
def test_hedges_correction_exact_and_approximation(df):
    log_j = gammaln(df / 2) - gammaln((df - 1) / 2) - 0.5 * np.log(df / 2)
    assert hedges_correction(df) == pytest.approx(np.exp(log_j), rel=1e-10, abs=1e-15)
    # Hedges (1981): J ~ 1 - 3 / (4 df - 1), J(2) = 1 / sqrt(pi) (Gamma(1/2) = sqrt(pi))
    assert hedges_correction(df) == pytest.approx(1 - 3 / (4 * df - 1), abs=0.6 / df**2)
    if df == 2:
        assert hedges_correction(2) == pytest.approx(1 / np.sqrt(np.pi))
    with pytest.raises(ValueError, match="df=0"):
        hedges_correction(0)


def test_hedges_gz():
    a, b = [2.0, 3.0, 4.0, 2.5], [1.0, 1.0, 1.0, 1.5]
    assert hedges_gz(a, b) == pytest.approx(cohens_dz(a, b) * hedges_correction(3))
    assert abs(hedges_gz(a, b)) < abs(cohens_dz(a, b))
    assert hedges_gz([1.5, 2.5], [1.0, 2.0]) == np.inf  # constant shift, n = 2 (J = 0)


def test_relative_improvement():
    assert relative_improvement([0.3, 0.3], [0.2, 0.2]) == pytest.approx(50.0)
    assert relative_improvement([0.1, 0.1], [0.2, 0.2]) == pytest.approx(-50.0)
    assert relative_improvement([-0.1, -0.1], [-0.2, -0.2]) == pytest.approx(50.0)
    assert np.isnan(relative_improvement([0.1, 0.0], [0.0, 0.0]))

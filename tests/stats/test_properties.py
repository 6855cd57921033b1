"""Properties every paired test must have, on arbitrary per-user values (hypothesis)."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bench.stats import (
    cohens_dz,
    paired_bootstrap_ci,
    paired_randomization_test,
    paired_t_test,
)

values = arrays(np.float64, st.integers(2, 40), elements=st.floats(0.0, 1.0, width=32))
FAST = settings(max_examples=60, deadline=None)


@st.composite
def pairs(draw):
    a = draw(values)
    b = draw(arrays(np.float64, a.size, elements=st.floats(0.0, 1.0, width=32)))
    return a, b


def _tests(a, b, seed=0):
    return [
        paired_t_test(a, b),
        paired_randomization_test(a, b, n_resamples=300, seed=seed),
    ]


@FAST
@given(a=values)
def test_identical_inputs_give_p_one_and_zero_diff(a):
    for r in _tests(a, a.copy()):
        assert r.p_value == 1.0 and r.mean_diff == 0.0
    boot = paired_bootstrap_ci(a, a.copy(), n_resamples=50)
    assert boot.ci == (0.0, 0.0) and boot.mean_diff == 0.0
    assert cohens_dz(a, a) == 0.0


@FAST
@given(ab=pairs())
def test_p_in_unit_interval_and_swap_flips_sign(ab):
    a, b = ab
    assume(np.ptp(a - b) > 0)
    for fwd, back in zip(_tests(a, b), _tests(b, a), strict=True):
        assert 0.0 < fwd.p_value <= 1.0
        assert fwd.p_value == pytest.approx(back.p_value, rel=1e-9)
        assert fwd.statistic == pytest.approx(-back.statistic, rel=1e-9, abs=1e-12)
        assert fwd.mean_diff == pytest.approx(-back.mean_diff, rel=1e-9, abs=1e-12)
    lo, hi = paired_t_test(a, b).ci
    assert paired_t_test(b, a).ci == pytest.approx((-hi, -lo), rel=1e-9, abs=1e-12)
    assert cohens_dz(a, b) == pytest.approx(-cohens_dz(b, a), rel=1e-9, abs=1e-12)
    assert paired_t_test(a, b, alternative="greater").p_value + paired_t_test(
        a, b, alternative="less"
    ).p_value == pytest.approx(1.0)


@FAST
@given(ab=pairs(), seed=st.integers(0, 2**32))
def test_seeded_determinism(ab, seed):
    a, b = ab
    assert _tests(a, b, seed) == _tests(a, b, seed)
    boot = paired_bootstrap_ci(a, b, n_resamples=40, seed=seed, method="percentile")
    assert boot == paired_bootstrap_ci(a, b, n_resamples=40, seed=seed, method="percentile")
    assert boot.ci[0] <= boot.mean_diff + 1e-12 or boot.ci[1] < boot.mean_diff


@FAST
@given(ab=pairs(), shift=st.floats(0.01, 1.0))
def test_shifting_the_candidate_up_never_raises_one_sided_p(ab, shift):
    a, b = ab
    assume(np.ptp(a - b) > 0)
    before = paired_t_test(a, b, alternative="greater").p_value
    after = paired_t_test(a + shift, b, alternative="greater").p_value
    assert after <= before + 1e-12
    perm_before = paired_randomization_test(a, b, alternative="greater", n_resamples=200)
    perm_after = paired_randomization_test(a + shift, b, alternative="greater", n_resamples=200)
    assert perm_after.p_value <= perm_before.p_value + 1e-12

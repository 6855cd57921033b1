import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from bench.stats import benjamini_hochberg, holm

p_lists = st.lists(
    st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 0.01, 0.02, 0.05, 1.0])),
    min_size=1,
    max_size=12,
)


def _holm_step_down(p, alpha):
    """Textbook Holm: walk the sorted p-values, reject while p_(k) <= alpha / (m - k + 1)."""
    m = len(p)
    reject = np.zeros(m, dtype=bool)
    for k, i in enumerate(sorted(range(m), key=lambda i: p[i])):
        if p[i] > alpha / (m - k):
            break
        reject[i] = True
    return reject


def test_hand_computed_values():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max
    r = holm([0.01, 0.04, 0.03, 0.005], alpha=0.05)
    np.testing.assert_allclose(r.p_adjusted, [0.03, 0.06, 0.06, 0.02])
    assert r.reject.tolist() == [True, False, False, True]
    assert holm([0.01, 0.04, 0.03, 0.005], alpha=0.06).reject.all()
    # sorted 0.3, 0.5, 0.9 times 3, 2, 1 = 0.9, 1.0 (capped), 0.9 -> running max 0.9, 1, 1
    np.testing.assert_allclose(holm([0.5, 0.3, 0.9]).p_adjusted, [1.0, 0.9, 1.0])
    np.testing.assert_allclose(holm([0.001, 0.001]).p_adjusted, [0.002, 0.002])
    assert holm([0.2]).p_adjusted.tolist() == [0.2]


@settings(max_examples=300, deadline=None)
@given(p=p_lists, alpha=st.sampled_from([0.01, 0.05, 0.1, 0.5]))
def test_holm_equals_brute_force_step_down(p, alpha):
    r = holm(p, alpha=alpha)
    assert r.reject.tolist() == _holm_step_down(p, alpha).tolist()
    assert (r.p_adjusted >= np.asarray(p)).all() and (r.p_adjusted <= 1.0).all()
    # the adjusted p is the smallest alpha at which the step-down rejects that hypothesis
    for i, q in enumerate(r.p_adjusted):
        if 1e-300 < q < 1.0:
            assert _holm_step_down(p, q * (1 + 1e-9))[i]
            assert not _holm_step_down(p, q * (1 - 1e-9))[i]


@settings(max_examples=200, deadline=None)
@given(p=p_lists)
def test_bh_equals_scipy(p):
    np.testing.assert_allclose(
        benjamini_hochberg(p).p_adjusted, stats.false_discovery_control(p, method="bh"), rtol=1e-12
    )


def test_bh_hand_values():
    r = benjamini_hochberg([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(r.p_adjusted, [0.02, 0.04, 0.04, 0.02])
    assert r.reject.all() and r.method == "bh"


@pytest.mark.parametrize("fn", [holm, benjamini_hochberg])
def test_bad_input(fn):
    with pytest.raises(ValueError, match=r"got nan at position 1"):
        fn([0.1, float("nan")])
    with pytest.raises(ValueError, match=r"got 1.5 at position 0 \(2 bad"):
        fn([1.5, -0.1])
    with pytest.raises(ValueError, match="non-empty"):
        fn([])
    with pytest.raises(ValueError, match="alpha=0"):
        fn([0.1], alpha=0)

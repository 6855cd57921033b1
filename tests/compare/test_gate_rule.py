"""The decision rule: verdicts agree with the interval, in both metric directions."""

from __future__ import annotations

import pytest
from _gate_stores import shifted, standard_store, write_model

from bench.compare import EXIT_STATUS, GateError, Margin, decide, open_source, run_gate, select
from bench.compare.selection import Spec
from bench.results import ResultStore


def _gate(root, **options):
    source = open_source(root)
    return run_gate(
        select(source, Spec.parse("cand")),
        select(source, Spec.parse("pop"), role="baseline"),
        **options,
    )


@pytest.mark.parametrize(
    ("shift", "noise", "expected"),
    [
        (0.02, 0.01, "better"),
        (0.0, 0.05, "not worse"),
        (-0.004, 0.02, "not worse"),
        (-0.01, 0.3, "inconclusive"),
        (-0.03, 0.05, "worse"),
    ],
)
def test_verdict_agrees_with_the_interval(tmp_path, shift, noise, expected) -> None:
    standard_store(tmp_path, shift, noise)
    result = _gate(tmp_path, margin="0.01")
    assert result.verdict == expected
    low, high, bound = result.ci_low, result.ci_high, result.bound
    inside = {
        "better": low > 0,
        "not worse": bound < low <= 0,
        "inconclusive": low <= bound <= high,
        "worse": high < bound,
    }
    assert inside[expected], (low, high, bound)
    assert result.exit_status == EXIT_STATUS[expected]
    assert (result.p_non_inferior <= 0.025) == (low > bound)
    assert (result.p_worse <= 0.025) == (high < bound)


def test_alpha_sets_the_interval_level(tmp_path) -> None:
    standard_store(tmp_path, -0.004, 0.05)
    wide, narrow = _gate(tmp_path, alpha=0.01), _gate(tmp_path, alpha=0.2)
    assert wide.level == 0.99 and narrow.level == pytest.approx(0.8)
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high
    assert wide.diff == narrow.diff


def test_margin_zero_is_a_superiority_test(tmp_path) -> None:
    standard_store(tmp_path, 0.0, 0.05)
    assert _gate(tmp_path, margin=0).verdict == "inconclusive"


def test_lower_is_better_direction_flips_the_bound(tmp_path) -> None:
    store = ResultStore(tmp_path)
    directions = {"ndcg@10": False, "recall@10": True}  # pretend lower ndcg is better
    write_model(store, "pop", (0, 1), shifted(0.0), higher_is_better=directions)
    write_model(store, "cand", (0, 1), shifted(-0.02, 0.01), higher_is_better=directions)
    result = _gate(tmp_path, margin="0.01")
    assert result.higher_is_better is False and result.bound == 0.01
    assert result.verdict == "better" and result.ci_high < 0


def test_rule_and_margin_units() -> None:
    assert [
        decide(non_inferior=n, worse=w, superior=s)
        for n, w, s in [(True, False, True), (True, False, False), (False, True, False),
                        (False, False, False)]
    ] == ["better", "not worse", "worse", "inconclusive"]  # fmt: skip
    assert Margin.parse("2%").absolute(-0.5) == pytest.approx(0.01)
    assert Margin.parse(" 0.02 ") == Margin(0.02, relative=False)
    with pytest.raises(GateError, match="must be a finite number"):
        Margin.parse("nan")

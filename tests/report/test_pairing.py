"""The one rule that pairs seeds and users (bench.report.pairing)."""

import numpy as np
import pandas as pd
import pytest

from bench.report.pairing import NotComparableError, SeedRun, seed_paired
from bench.results import RunRecord


def run(seed: int, split: str, users: list[int], values: list[float]) -> SeedRun:
    record = RunRecord(
        run_id=f"r{seed}-{split}-{len(users)}-{values[0]}", status="completed",
        config={"seed": seed}, started_at="2024-01-01T00:00:00+00:00",
        ended_at="2024-01-01T00:00:00+00:00", seed=seed, split_fingerprint=split,
    )  # fmt: skip
    return SeedRun(record, pd.DataFrame({"m": values}, index=pd.Index(users, name="user")))


def test_users_are_averaged_over_the_seeds_they_appear_in() -> None:
    # random split: user 3 has a test target under seed 0 only
    cand = {0: run(0, "a", [1, 2, 3], [1.0, 0.0, 1.0]), 1: run(1, "b", [1, 2], [0.0, 1.0])}
    base = {0: run(0, "a", [1, 2, 3], [0.0, 0.0, 0.0]), 1: run(1, "b", [1, 2], [0.0, 0.0])}
    pair = seed_paired(cand, base)
    assert pair.candidate["m"].tolist() == [0.5, 0.5, 1.0]
    assert pair.baseline["m"].tolist() == [0.0, 0.0, 0.0]
    assert pair.split_depends_on_seed and pair.n_users == 3
    # the mean of within-seed differences, per user
    diffs = {1: [1.0, 0.0], 2: [0.0, 1.0], 3: [1.0]}
    expected = [np.mean(diffs[u]) for u in (1, 2, 3)]
    assert (pair.candidate["m"] - pair.baseline["m"]).tolist() == expected


def test_one_split_for_every_seed_is_recognised() -> None:
    cand = {s: run(s, "same", [1, 2], [0.5, 0.25]) for s in (0, 1)}
    assert not seed_paired(cand, cand).split_depends_on_seed


def test_refusals_name_the_problem() -> None:
    cand = {0: run(0, "a", [1, 2], [1.0, 0.0]), 1: run(1, "b", [1, 2], [0.0, 1.0])}
    base = {0: run(0, "a", [1, 2], [0.0, 0.0])}
    with pytest.raises(NotComparableError, match=r"baseline has seeds \[0\] but candidate has"):
        seed_paired(cand, base)
    pair = seed_paired(cand, base, missing_seeds="common")
    assert pair.seeds == (0,) and pair.left_out_seeds == (1,)
    with pytest.raises(NotComparableError, match=r"used split a but baseline run .* used z"):
        seed_paired(cand, {0: run(0, "z", [1, 2], [0.0, 0.0])}, missing_seeds="common")
    with pytest.raises(NotComparableError, match=r"different users \(1 only in candidate"):
        seed_paired(cand, {0: run(0, "a", [1, 5], [0.0, 0.0])}, missing_seeds="common")
    with pytest.raises(NotComparableError, match="share no seed"):
        seed_paired(cand, {7: run(7, "a", [1, 2], [0.0, 0.0])}, missing_seeds="common")

"""Pair a candidate's runs with a baseline's: within each seed, then combined over seeds.

This is the one rule by which reports and the regression gate combine seeds and users:

1. Runs are matched by seed. A seed's two runs must have been evaluated on the same split
   (equal split fingerprints) and the same users; anything else is :class:`NotComparableError`.
   Where the split depends on the seed (random holdout), users are therefore only ever paired
   with themselves under the same split.
2. Each user's values are averaged over the seeds in which the user was evaluated (the same
   seeds for both sides), so the per-user difference is the mean of the within-seed
   differences.
3. The paired test then runs over users on these per-user means: users are the unit of
   analysis, seeds only reduce the noise of each user's value.

A candidate with seeds the baseline lacks is an error (``missing_seeds="raise"``), or those
seeds are left out and named (``"common"``).

Example:
    >>> import pandas as pd
    >>> from bench.results import RunRecord
    >>> def run(seed, split, values):
    ...     record = RunRecord(run_id=f"r{seed}{values[0]}", status="completed",
    ...         config={"seed": seed}, started_at="2024-01-01T00:00:00+00:00",
    ...         ended_at="2024-01-01T00:00:00+00:00", seed=seed, split_fingerprint=split)
    ...     frame = pd.DataFrame({"ndcg@10": values}, index=pd.Index([1, 2], name="user"))
    ...     return SeedRun(record, frame)
    >>> cand = {0: run(0, "s0", [0.5, 0.1]), 1: run(1, "s1", [0.3, 0.3])}
    >>> base = {0: run(0, "s0", [0.4, 0.1]), 1: run(1, "s1", [0.1, 0.2])}
    >>> pair = seed_paired(cand, base)
    >>> pair.candidate["ndcg@10"].tolist(), pair.baseline["ndcg@10"].round(2).tolist()
    ([0.4, 0.2], [0.25, 0.15])
    >>> pair.seeds, pair.split_depends_on_seed
    ((0, 1), True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from bench.results import RunRecord

MISSING_SEEDS = ("raise", "common")


class NotComparableError(ValueError):
    """Two sides that must not be compared: other data, split, protocol, users or seeds."""


@dataclass(frozen=True)
class SeedRun:
    """One seed's run and its per-user table (index ``user``)."""

    record: RunRecord
    per_user: pd.DataFrame


@dataclass(frozen=True)
class SeedPairing:
    """Per-user values of both sides averaged over the paired seeds (index ``user``)."""

    candidate: pd.DataFrame
    baseline: pd.DataFrame
    seeds: tuple[int, ...]
    split_depends_on_seed: bool
    left_out_seeds: tuple[int, ...] = ()

    @property
    def n_users(self) -> int:
        return len(self.candidate)


def seed_mean(runs: Mapping[int, SeedRun]) -> pd.DataFrame:
    """Each user's values averaged over the seeds in which the user was evaluated.

    Example:
        >>> import pandas as pd
        >>> frame = lambda v: pd.DataFrame({"m": v}, index=pd.Index([1, 2], name="user"))
        >>> from types import SimpleNamespace as NS
        >>> means = seed_mean({0: NS(per_user=frame([1.0, 0.0])), 1: NS(per_user=frame([0, 0]))})
        >>> means["m"].tolist(), means.index.tolist()
        ([0.5, 0.0], [1, 2])
    """
    if not runs:
        raise ValueError("no runs to average")
    frames = [runs[seed].per_user for seed in sorted(runs)]
    stacked = pd.concat(frames, keys=sorted(runs), names=["seed", "user"])
    return stacked.groupby(level="user", sort=True).mean()


def seed_paired(
    candidate: Mapping[int, SeedRun],
    baseline: Mapping[int, SeedRun],
    *,
    missing_seeds: str = "raise",
    names: tuple[str, str] = ("candidate", "baseline"),
) -> SeedPairing:
    """Pair the two sides seed by seed and average each user over seeds (module docstring).

    Args:
        candidate: seed -> the candidate's run of that seed.
        baseline: seed -> the baseline's run of that seed.
        missing_seeds: ``"raise"`` if the candidate has a seed the baseline lacks, or
            ``"common"`` to use the shared seeds only (``left_out_seeds`` names the others).
        names: how the sides are called in error messages.

    Raises:
        NotComparableError: no shared seed, a seed without the baseline (``"raise"``), or a
            seed whose runs used different splits or users.
    """
    if missing_seeds not in MISSING_SEEDS:
        raise ValueError(f"missing_seeds={missing_seeds!r} is not one of {MISSING_SEEDS}")
    cand_name, base_name = names
    extra = sorted(set(candidate) - set(baseline))
    if extra and missing_seeds == "raise":
        raise NotComparableError(
            f"{base_name} has seeds {sorted(baseline)} but {cand_name} has {sorted(candidate)}: "
            f"run {base_name} with seed={','.join(map(str, extra))} too (pairs are formed "
            "within a seed)"
        )
    seeds = tuple(sorted(set(candidate) & set(baseline)))
    if not seeds:
        raise NotComparableError(
            f"{cand_name} (seeds {sorted(candidate)}) and {base_name} (seeds {sorted(baseline)}) "
            "share no seed; run both with the same seeds"
        )
    fingerprints = set()
    for seed in seeds:
        a, b = candidate[seed], baseline[seed]
        fa, fb = a.record.split_fingerprint, b.record.split_fingerprint
        if fa != fb:
            raise NotComparableError(
                f"seed {seed}: {cand_name} run {a.record.run_id} used split {fa} but "
                f"{base_name} run {b.record.run_id} used {fb}; compare runs of one split"
            )
        fingerprints.add(fa)
        only_a = a.per_user.index.difference(b.per_user.index)
        only_b = b.per_user.index.difference(a.per_user.index)
        if len(only_a) or len(only_b):
            raise NotComparableError(
                f"seed {seed}: {cand_name} run {a.record.run_id} and {base_name} run "
                f"{b.record.run_id} evaluated different users ({len(only_a)} only in "
                f"{cand_name}, {len(only_b)} only in {base_name})"
            )
    cand = seed_mean({s: candidate[s] for s in seeds})
    base = seed_mean({s: baseline[s] for s in seeds}).reindex(cand.index)
    return SeedPairing(
        candidate=cand,
        baseline=base,
        seeds=seeds,
        split_depends_on_seed=len(fingerprints) > 1,
        left_out_seeds=tuple(extra),
    )

"""Write a synthetic long-tail interactions CSV (Yelp-sized by default) for memory benchmarks.

Item popularity follows a Zipf-like law (``p_i ~ (i + offset)^-exponent``), user activity a
log-normal law (``min_per_user`` draws or more each; repeated draws collapse), every item gets
``min_per_item`` interactions first, and timestamps increase per user, so nearly all of the
file survives 5-core filtering and a leave-last-out split. Write it under a temp or outputs
directory, never into git.

Usage:
    python scripts/make_longtail_dataset.py --out /tmp/longtail/interactions.csv
    python -m bench.train dataset=custom dataset.path=/tmp/longtail/interactions.csv \
        dataset.parser.columns.timestamp=timestamp split=leave_last_out model=ease

Example:
    >>> frame = longtail_interactions(n_users=200, n_items=50, n_interactions=2000, seed=0)
    >>> frame["item_id"].nunique(), frame["user_id"].nunique()
    (50, 200)
    >>> counts = frame.groupby("item_id").size().sort_values(ascending=False)
    >>> bool(counts.iloc[:5].sum() > 0.15 * len(frame))  # 10% of the items, 15%+ of the rows
    True
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd


def longtail_interactions(
    n_users: int = 30_000,
    n_items: int = 20_000,
    n_interactions: int = 400_000,
    *,
    exponent: float = 0.9,
    offset: float = 10.0,
    min_per_user: int = 5,
    min_per_item: int = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """A ``user_id, item_id, timestamp`` frame with long-tail item popularity (no duplicates)."""
    rng = np.random.default_rng(seed)
    popularity = (np.arange(n_items) + offset) ** -exponent
    popularity /= popularity.sum()
    floor = np.repeat(np.arange(n_items), min_per_item)  # every item reaches min_per_item
    activity = rng.lognormal(mean=0.0, sigma=1.0, size=n_users)
    extra = max(0, n_interactions - len(floor) - n_users * min_per_user)
    per_user = min_per_user + np.floor(activity / activity.sum() * extra).astype(np.int64)
    users = np.repeat(np.arange(n_users), per_user)
    items = rng.choice(n_items, size=len(users), p=popularity)
    users = np.concatenate([users, rng.integers(0, n_users, size=len(floor))])
    items = np.concatenate([items, floor])
    frame = pd.DataFrame({"user_id": users, "item_id": items}).drop_duplicates()
    permutation = rng.permutation(n_items)  # popular items are not the small ids
    frame["item_id"] = permutation[frame["item_id"].to_numpy()]
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    start = 1_500_000_000 + rng.integers(0, 10**7, size=n_users)
    frame["timestamp"] = start[frame["user_id"].to_numpy()] + frame.groupby("user_id").cumcount()
    return frame.sort_values(["user_id", "timestamp"]).reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` through a temp file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        frame.to_csv(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="CSV to write (not in git)")
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--interactions", type=int, default=400_000)
    parser.add_argument("--exponent", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    frame = longtail_interactions(
        args.users, args.items, args.interactions, exponent=args.exponent, seed=args.seed
    )
    write_csv(frame, args.out)
    counts = frame.groupby("item_id").size().sort_values(ascending=False)
    top = counts.iloc[: max(1, len(counts) // 100)].sum() / len(frame)
    print(
        f"{args.out}: {len(frame):,} interactions, {frame['user_id'].nunique():,} users, "
        f"{frame['item_id'].nunique():,} items; top 1% of items hold {top:.1%} of interactions"
    )


if __name__ == "__main__":
    main()

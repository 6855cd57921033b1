"""Synthetic-data builders shared by the split tests (imported by name: unique module name)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.data.interactions import Interactions


def make_data(
    users: list,
    items: list,
    timestamps: list | None = None,
    name: str = "toy",
) -> Interactions:
    """Interactions from parallel lists (file order = list order)."""
    raw = pd.DataFrame({"user": users, "item": items})
    if timestamps is not None:
        raw["timestamp"] = timestamps
    return Interactions.from_raw(name, raw)


def random_data(
    n_users: int = 60,
    n_items: int = 80,
    min_per_user: int = 3,
    max_per_user: int = 40,
    n_times: int = 200,
    seed: int = 0,
    timestamps: bool = True,
) -> Interactions:
    """Deduplicated random interactions, rows shuffled, timestamps with many ties."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for u in range(n_users):
        k = int(rng.integers(min_per_user, max_per_user + 1))
        users += [u] * k
        items += rng.choice(n_items, size=k, replace=False).tolist()
    raw = pd.DataFrame({"user": users, "item": items})
    if timestamps:
        raw["timestamp"] = rng.integers(1_000_000, 1_000_000 + n_times, size=len(raw))
    raw = raw.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return Interactions.from_raw("synthetic", raw)

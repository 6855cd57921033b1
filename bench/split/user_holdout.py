"""User holdout (strong generalisation), the Mult-VAE protocol of Liang et al. (WWW 2018).

Users are permuted with the seed; the last ``test_users`` of the permutation are test users, the
``valid_users`` before them validation users, the rest training users (all their interactions go
to train). Each held-out user's interactions are split at random into a fold-in history
(``valid_history`` / ``test_history``: input at inference time, never trained on) and fold-out
targets (``valid`` / ``test``): ``floor(fold_out * n)`` targets for a user with ``n``
interactions (float64 product, as Liang et al.'s ``int(test_prop * n)``; with the default 0.2 a
user needs 5 interactions to get a target, matching their ``n >= 5`` rule; users with fewer keep
only a history and are counted in ``audit.policy_counts["heldout_users_without_targets"]``).

``valid_users``/``test_users``: an integer is a number of users, a float in (0, 1) a fraction of
the users (``floor(fraction * n_users)``).

Items that only held-out users have (absent from train), ``unseen_items``:

- ``drop`` (default, Liang et al.): remove held-out rows with such items before folding;
  counted in ``policy_counts`` (``unseen_item_rows_dropped``, ``unseen_items_dropped``);
- ``keep``: keep them; targets with them are reported as cold items by the audit.

Held-out users are cold by design: the audit flags ``cold_users_by_design`` and does not count
that as a leak (a held-out user found in train would be).

Example:
    >>> import pandas as pd
    >>> from bench.data.interactions import Interactions
    >>> raw = pd.DataFrame({"user": [u for u in range(6) for _ in range(5)],
    ...                     "item": [i % 7 for i in range(30)]})
    >>> split = UserHoldout(valid_users=1, test_users=1, unseen_items="keep")(
    ...     Interactions.from_raw("toy", raw), seed=0)
    >>> split.sizes()
    {'train': 20, 'valid': 1, 'test': 1, 'valid_history': 4, 'test_history': 4}
    >>> split.audit.cold_users_by_design, split.audit.clean
    (True, True)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from bench.data.interactions import Interactions
from bench.split._arrays import distinct, member, rank_within_user
from bench.split._common import check_choice, check_seed, finish_split
from bench.split.audit import AuditOptions
from bench.split.base import Split
from bench.split.errors import SplitError

UNSEEN_ITEM_POLICIES = ("drop", "keep")


def n_heldout(param: str, value: Any, n_users: int) -> int:
    """Number of users for a count (int >= 1) or a fraction (float in (0, 1)).

    Example:
        >>> n_heldout("test_users", 0.1, 6040), n_heldout("test_users", 600, 6040)
        (604, 600)
    """
    if isinstance(value, bool):
        raise SplitError(f"user_holdout: {param}={value!r} must be a count or a fraction")
    if isinstance(value, int | np.integer):
        if value < 1:
            raise SplitError(f"user_holdout: {param}={value} must be >= 1 (a number of users)")
        return int(value)
    if isinstance(value, float | np.floating) and 0.0 < value < 1.0:
        count = math.floor(float(value) * n_users)
        if count < 1:
            raise SplitError(
                f"user_holdout: {param}={value} of {n_users} users selects no user - "
                "raise the fraction or give a count"
            )
        return count
    raise SplitError(
        f"user_holdout: {param}={value!r} must be an integer count >= 1 or a fraction in (0, 1)"
    )


@dataclass(frozen=True)
class UserHoldout:
    """Seeded strong-generalisation splitter with fold-in/fold-out parts for held-out users.

    Args:
        valid_users: validation users, a count or a fraction of all users.
        test_users: test users, a count or a fraction of all users.
        fold_out: fraction of each held-out user's interactions that become targets (0, 1).
        unseen_items: ``drop`` or ``keep`` held-out rows whose item is not in train.
    """

    valid_users: int | float = 0.1
    test_users: int | float = 0.1
    fold_out: float = 0.2
    unseen_items: str = "drop"

    name = "user_holdout"

    def __post_init__(self) -> None:
        if isinstance(self.fold_out, bool) or not 0.0 < float(self.fold_out) < 1.0:
            raise SplitError(f"{self.name}: fold_out={self.fold_out!r} must be in (0, 1), e.g. 0.2")
        check_choice(self.name, "unseen_items", self.unseen_items, UNSEEN_ITEM_POLICIES)

    def __call__(self, data: Interactions, *, seed: int) -> Split:
        """Split ``data`` with ``numpy.random.default_rng(seed)``."""
        seed = check_seed(self.name, seed)
        frame = data.frame
        user = frame["user"].to_numpy(np.int64)
        item = frame["item"].to_numpy(np.int64)
        users = distinct(user)
        n_valid = n_heldout("valid_users", self.valid_users, len(users))
        n_test = n_heldout("test_users", self.test_users, len(users))
        n_train = len(users) - n_valid - n_test
        if n_train < 1:
            raise SplitError(
                f"{self.name} on {data.name!r}: {n_valid} valid + {n_test} test users leave no "
                f"training user out of {len(users)} - hold out fewer users"
            )
        rng = np.random.default_rng(seed)
        perm = rng.permutation(users)
        role = np.zeros(data.n_users, dtype=np.int8)  # 0 train, 1 valid, 2 test
        role[perm[n_train : n_train + n_valid]] = 1
        role[perm[n_train + n_valid :]] = 2
        row_role = role[user]
        train = row_role == 0
        kept = np.ones(len(frame), dtype=bool)
        counts: dict[str, int] = {}
        if self.unseen_items == "drop":
            unseen = ~train & ~member(item, item[train])
            kept = ~unseen
            counts["unseen_item_rows_dropped"] = int(unseen.sum())
            counts["unseen_items_dropped"] = len(distinct(item[unseen]))
        heldout = np.flatnonzero(~train & kept)
        rank, size = rank_within_user(user[heldout], rng.permutation(len(heldout)))
        n_out = np.floor(float(self.fold_out) * size).astype(np.int64)
        target = np.zeros(len(frame), dtype=bool)
        target[heldout] = rank < n_out
        counts["heldout_users_without_targets"] = len(distinct(user[heldout][n_out == 0]))
        history = ~train & kept & ~target
        no_target = f"no held-out user has enough interactions for floor({self.fold_out} * n) >= 1"
        if counts.get("unseen_item_rows_dropped"):
            no_target += (
                f" after {counts['unseen_item_rows_dropped']} rows with items absent from train "
                "were dropped (unseen_items=drop; try unseen_items=keep)"
            )
        return finish_split(
            self.name,
            data,
            {
                "train": train,
                "valid": target & (row_role == 1),
                "test": target & (row_role == 2),
                "valid_history": history & (row_role == 1),
                "test_history": history & (row_role == 2),
            },
            seed=int(seed),
            params={
                **asdict(self),
                "n_train_users": n_train,
                "n_valid_users": n_valid,
                "n_test_users": n_test,
            },
            empty_hints={
                "valid": f"{no_target} among {n_valid} validation users",
                "test": f"{no_target} among {n_test} test users",
                "valid_history": "every validation row was dropped (try unseen_items=keep)",
                "test_history": "every test row was dropped (try unseen_items=keep)",
            },
            audit=AuditOptions(users_cold_by_design=True, policy_counts=counts),
        )

"""EvalResult: what one evaluation returns (means, per-user table, counts, protocol label).

Example:
    >>> import pandas as pd
    >>> table = pd.DataFrame({"ndcg@10": [0.5, 1.0]}, index=pd.Index([3, 7], name="user"))
    >>> result = EvalResult("full", {"ndcg@10": 0.75}, table, 2, 0, {"ndcg@10": True})
    >>> result["ndcg@10"], result.n_users
    (0.75, 2)
"""

from __future__ import annotations

import pandas as pd


class EvalResult:
    """The outcome of one evaluation (a plain class, so torchmetrics passes it through as is).

    Attributes:
        protocol: ``"full"`` for full ranking, ``"sampled(...)"`` for sampled candidates (its
            metric keys then start with ``sampled_``).
        metrics: metric key -> value: the mean over evaluated users for per-user metrics, the
            catalogue value for coverage / Gini.
        per_user: one row per evaluated user (index ``user``, ascending), one column per
            per-user metric key; the input of paired significance tests and segment reports.
        n_users: users evaluated (with at least one target).
        n_skipped: users passed in but skipped because they had no target.
        higher_is_better: metric key -> direction.
    """

    __slots__ = ("higher_is_better", "metrics", "n_skipped", "n_users", "per_user", "protocol")

    def __init__(
        self,
        protocol: str,
        metrics: dict[str, float],
        per_user: pd.DataFrame,
        n_users: int,
        n_skipped: int,
        higher_is_better: dict[str, bool],
    ) -> None:
        self.protocol = protocol
        self.metrics = metrics
        self.per_user = per_user
        self.n_users = n_users
        self.n_skipped = n_skipped
        self.higher_is_better = higher_is_better

    def __getitem__(self, key: str) -> float:
        try:
            return self.metrics[key]
        except KeyError:
            raise KeyError(
                f"no metric {key!r} in this {self.protocol} result; have {sorted(self.metrics)}"
            ) from None

    def summary(self) -> dict[str, float | int | str]:
        """Flat dict for loggers: metric values plus protocol and counts."""
        return {
            **self.metrics,
            "protocol": self.protocol,
            "n_users": self.n_users,
            "n_skipped": self.n_skipped,
        }

    def __repr__(self) -> str:
        return (
            f"EvalResult(protocol={self.protocol!r}, n_users={self.n_users}, "
            f"n_skipped={self.n_skipped}, metrics={self.metrics})"
        )

    def __str__(self) -> str:
        lines = [f"{self.protocol} ranking, {self.n_users} users ({self.n_skipped} skipped)"]
        width = max((len(key) for key in self.metrics), default=0)
        lines += [f"  {key:<{width}}  {value:.6f}" for key, value in self.metrics.items()]
        return "\n".join(lines)

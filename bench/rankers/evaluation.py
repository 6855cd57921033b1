"""``Evaluation``: which metrics a run computes, under which protocol, and which one selects.

It is built from ``conf/eval/<name>.yaml`` and hands each ranker a fresh
:class:`~bench.eval.FullRankingEvaluator` per stage. ``select`` names the validation metric for
early stopping and checkpoint selection; its direction comes from the metric's registry entry.

Example:
    >>> ev = Evaluation(metrics=["recall@10", "ndcg@10"], select="ndcg@10")
    >>> ev.monitor, ev.mode, ev.keys
    ('valid/ndcg@10', 'max', ['recall@10', 'ndcg@10'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from torch import Tensor

from bench.eval import FullRanking, FullRankingEvaluator, RankingProtocol
from bench.metrics import parse_metric


class EvaluationConfigError(ValueError):
    """The evaluation settings are inconsistent (say ``select`` is not a computed metric)."""


@dataclass(frozen=True)
class Evaluation:
    """Metrics, protocol and selection metric of a run.

    Args:
        metrics: metric strings (``"ndcg@10"``, ``"recall@20"``...).
        select: the metric that selects the best epoch on validation (one of ``metrics``;
            defaults to the first).
        protocol: :class:`~bench.eval.FullRanking` (default) or a sampled protocol.
    """

    metrics: Sequence[str]
    select: str | None = None
    protocol: RankingProtocol = field(default_factory=FullRanking)

    def __post_init__(self) -> None:
        if isinstance(self.metrics, str) or not self.metrics:
            raise EvaluationConfigError(
                f"eval.metrics={self.metrics!r} must be a non-empty list such as [ndcg@10]"
            )
        parsed = [str(parse_metric(m)) for m in self.metrics]
        object.__setattr__(self, "metrics", tuple(parsed))
        select = parsed[0] if self.select is None else str(parse_metric(self.select))
        if select not in parsed:
            raise EvaluationConfigError(
                f"eval.select={self.select!r} is not among eval.metrics {parsed}; add it there"
            )
        if parse_metric(select).spec.per_user is None:
            raise EvaluationConfigError(
                f"eval.select={select!r} is a catalogue metric; select on a per-user metric"
            )
        object.__setattr__(self, "select", select)

    @property
    def keys(self) -> list[str]:
        """Result keys (with the protocol's prefix, e.g. ``sampled_``)."""
        return [f"{self.protocol.key_prefix}{m}" for m in self.metrics]

    @property
    def select_key(self) -> str:
        """The selection metric's result key."""
        return f"{self.protocol.key_prefix}{self.select}"

    @property
    def monitor(self) -> str:
        """The logged name that callbacks monitor: ``valid/<select_key>``."""
        return f"valid/{self.select_key}"

    @property
    def mode(self) -> str:
        """``"max"`` if higher is better for the selection metric, else ``"min"``."""
        return "max" if parse_metric(str(self.select)).spec.higher_is_better else "min"

    @property
    def per_user_metrics(self) -> list[str]:
        """The metrics with a value per user (every one but catalogue metrics)."""
        return [m for m in self.metrics if parse_metric(m).spec.per_user is not None]

    def evaluator(
        self,
        n_items: int,
        *,
        metrics: Sequence[str] | None = None,
        item_popularity: Tensor | None = None,
        **kwargs: Any,
    ) -> FullRankingEvaluator:
        """A fresh evaluator for one stage (``metrics``: a subset; default all)."""
        return FullRankingEvaluator(
            list(self.metrics if metrics is None else metrics),
            n_items,
            protocol=self.protocol,
            item_popularity=item_popularity,
            **kwargs,
        )

"""Metric registry: every metric module registers itself with a decorator; names resolve here.

A metric is asked for by a string ``"<name>@<k>"`` (``"ndcg@10"``, ``"recall_minK@20"``).
Names are matched case-insensitively; results carry the canonical spelling. Adding a metric
means adding one module to :mod:`bench.metrics` that decorates its function with
:func:`per_user_metric` or :func:`catalogue_metric`; nothing else changes.

Two scopes exist:

- *per-user* metrics map the top-k lists of a batch of users (:class:`RankedLists`) to one
  value per user; the reported value is the mean over evaluated users.
- *catalogue* metrics (coverage, Gini) map the summed item exposure of all users' top-k lists
  to one number; they have no per-user value.

Example:
    >>> from bench.metrics import parse_metric
    >>> key = parse_metric("NDCG@10")
    >>> str(key), key.spec.higher_is_better
    ('ndcg@10', True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor

from bench.metrics.lists import RankedLists

PerUserFn = Callable[[RankedLists, int], Tensor]
CatalogueFn = Callable[[Tensor], float]


class MetricNameError(ValueError):
    """A metric string that does not name a registered metric at a positive cutoff."""


@dataclass(frozen=True)
class MetricSpec:
    """One registered metric.

    Attributes:
        name: canonical name (``"ndcg"``, ``"recall_minK"``).
        higher_is_better: direction, for leaderboards and early stopping.
        per_user: ``fn(lists, k) -> [users]`` values, or ``None`` for a catalogue metric.
        catalogue: ``fn(exposure) -> float`` from per-item top-k counts ``[n_items]``, or
            ``None`` for a per-user metric.
        requires: :class:`RankedLists` fields beyond the lists themselves that the metric
            reads (``"item_popularity"``, ``"item_features"``).
        summary: one line for listings.
    """

    name: str
    higher_is_better: bool
    per_user: PerUserFn | None = None
    catalogue: CatalogueFn | None = None
    requires: tuple[str, ...] = ()
    summary: str = ""


@dataclass(frozen=True)
class MetricKey:
    """A metric at one cutoff; ``str(key)`` is the result key, e.g. ``"ndcg@10"``."""

    spec: MetricSpec
    k: int

    def __str__(self) -> str:
        return f"{self.spec.name}@{self.k}"


_REGISTRY: dict[str, MetricSpec] = {}


def _register(spec: MetricSpec) -> None:
    folded = spec.name.lower()
    if folded in _REGISTRY and _REGISTRY[folded] != spec:
        raise ValueError(f"metric name {spec.name!r} is registered twice; rename one module")
    _REGISTRY[folded] = spec


def _summary(fn: Callable) -> str:
    return (fn.__doc__ or "").strip().split("\n")[0]


def per_user_metric(
    name: str, *, higher_is_better: bool, requires: tuple[str, ...] = ()
) -> Callable[[PerUserFn], PerUserFn]:
    """Register ``fn(lists: RankedLists, k: int) -> Tensor[users]`` under ``name``."""

    def decorate(fn: PerUserFn) -> PerUserFn:
        _register(MetricSpec(name, higher_is_better, fn, None, requires, _summary(fn)))
        return fn

    return decorate


def catalogue_metric(name: str, *, higher_is_better: bool) -> Callable[[CatalogueFn], CatalogueFn]:
    """Register ``fn(exposure: Tensor[n_items]) -> float`` under ``name``."""

    def decorate(fn: CatalogueFn) -> CatalogueFn:
        _register(MetricSpec(name, higher_is_better, None, fn, (), _summary(fn)))
        return fn

    return decorate


def available() -> list[str]:
    """Canonical names of all registered metrics, sorted."""
    return sorted(spec.name for spec in _REGISTRY.values())


def get_metric(name: str) -> MetricSpec:
    """The metric registered under ``name`` (case-insensitive)."""
    try:
        return _REGISTRY[name.strip().lower()]
    except KeyError:
        raise MetricNameError(
            f"unknown metric {name!r}; available: {', '.join(available())}"
        ) from None


def parse_metric(text: str) -> MetricKey:
    """Resolve ``"<name>@<k>"`` to a :class:`MetricKey`.

    Raises:
        MetricNameError: unknown name, missing ``@k``, or ``k`` not a positive integer.
    """
    name, sep, cutoff = str(text).partition("@")
    if not sep:
        raise MetricNameError(f"metric {text!r} has no cutoff; write it as name@k, e.g. ndcg@10")
    spec = get_metric(name)
    if not cutoff.strip().isdigit() or int(cutoff) < 1:
        raise MetricNameError(f"metric {text!r}: cutoff must be a positive integer, e.g. ndcg@10")
    return MetricKey(spec, int(cutoff))

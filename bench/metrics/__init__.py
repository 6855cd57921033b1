"""Ranking metrics: one metric per module, registered by name, pure vectorised torch kernels.

Import this package and every metric module in it is registered; a new metric plugs in by
adding a module with a decorated function (see :mod:`bench.metrics.registry`).

Definitions follow trec_eval (see each module): ``ndcg`` (ndcg_cut), ``recall`` (recall),
``precision`` (P), ``hitrate`` (success), ``mrr`` (recip_rank within k), ``map`` (map_cut).
Variants used elsewhere have their own names: ``ndcg_binary`` (RecBole), ``recall_minK``
(Mult-VAE), ``map_minK`` (RecBole). Beyond accuracy: ``coverage``, ``gini`` (catalogue-level),
``novelty``, ``arp``, ``ild`` (per user).

Example:
    >>> from bench.metrics import parse_metric
    >>> [str(parse_metric(m)) for m in ["ndcg@10", "Recall_MinK@20", "map@50"]]
    ['ndcg@10', 'recall_minK@20', 'map@50']
"""

from __future__ import annotations

import importlib
import pkgutil

from bench.metrics.lists import RankedLists
from bench.metrics.registry import (
    MetricKey,
    MetricNameError,
    MetricSpec,
    available,
    catalogue_metric,
    get_metric,
    parse_metric,
    per_user_metric,
)

_INFRASTRUCTURE = {"lists", "registry"}
for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _INFRASTRUCTURE and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "MetricKey",
    "MetricNameError",
    "MetricSpec",
    "RankedLists",
    "available",
    "catalogue_metric",
    "get_metric",
    "parse_metric",
    "per_user_metric",
]

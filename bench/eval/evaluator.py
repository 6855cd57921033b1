"""FullRankingEvaluator: per-user ranking metrics over the whole catalogue, DDP-safe.

For every batch of users it takes the ranker's scores ``[batch, n_items]``, removes each user's
seen items (``-inf``), selects the top ``max(K)`` items once with a deterministic tie rule
(higher score first, then the lower item index: see :mod:`bench.eval.topk`) and computes every
metric at every cutoff from that one selection. Per-user values are kept (torchmetrics list
states reduced by concatenation), so Lightning validation and DDP work and agree with a single
process; memory grows with the batch, never with users x items. Results do not depend on the
batch size or on how users are spread over processes.

Users without any target are skipped and counted. A target that is also a seen item can never
be retrieved but still counts as relevant (as trec_eval would count it).

Example:
    >>> import torch, scipy.sparse as sp
    >>> evaluator = FullRankingEvaluator(["ndcg@2", "recall@2"], n_items=4)
    >>> scores = torch.tensor([[0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.4]])
    >>> targets = sp.csr_matrix([[0, 0, 1, 0], [0, 0, 0, 1]])
    >>> seen = sp.csr_matrix([[1, 0, 0, 0], [0, 0, 0, 0]])
    >>> evaluator.update(torch.tensor([10, 11]), scores, targets, seen)
    >>> result = evaluator.compute()
    >>> result.metrics
    {'ndcg@2': 0.8154648767857288, 'recall@2': 1.0}
    >>> result.per_user["ndcg@2"].tolist()
    [0.6309297535714575, 1.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.utilities.data import dim_zero_cat

from bench.eval.blocks import BlockRanker
from bench.eval.order import as_rankable
from bench.eval.protocol import FullRanking, RankingProtocol
from bench.eval.ranked import build_lists
from bench.eval.result import EvalResult
from bench.eval.sparse import as_row_sets
from bench.metrics import MetricKey, parse_metric

_MAX_EXACT_ID = 2**53  # user ids travel as float64 (one dtype for every synced state)


class FullRankingEvaluator(Metric):
    """Accumulate per-user ranking metrics batch by batch; ``compute()`` gives an EvalResult.

    Args:
        metrics: metric strings such as ``"ndcg@10"``, ``"recall_minK@20"``, ``"coverage@10"``
            (see :func:`bench.metrics.available`).
        n_items: catalogue size (columns of the score matrix).
        protocol: :class:`~bench.eval.protocol.FullRanking` (default) or
            :class:`~bench.eval.protocol.SampledCandidates` (keys then start with
            ``sampled_``).
        item_popularity: ``[n_items]`` training users per item (each user counted once), for
            ``novelty`` and ``arp``.
        n_train_users: training users, for ``novelty``.
        item_features: ``[n_items, d]`` features or embeddings, for ``ild``.
        block_elements: scores ranked at once inside a batch on a CPU (a memory/speed knob
            only).
        block_policy: how a batch is cut into blocks and ranked, ``"cache"`` or ``"device"``
            (see :mod:`bench.eval.blocks`); default ``None``: by the scores' device. A speed
            knob only: both give the same lists.
        **kwargs: passed to :class:`torchmetrics.Metric` (``process_group``, ...).
    """

    full_state_update = False
    is_differentiable = False
    higher_is_better = None  # mixed; see ``EvalResult.higher_is_better``

    def __init__(
        self,
        metrics: Sequence[str],
        n_items: int,
        *,
        protocol: RankingProtocol | None = None,
        item_popularity: Tensor | None = None,
        n_train_users: int | None = None,
        item_features: Tensor | None = None,
        block_elements: int = 1 << 21,
        block_policy: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(metrics, str) or not metrics:
            raise ValueError(f"metrics must be a non-empty list like ['ndcg@10'], got {metrics!r}")
        keys = list(dict.fromkeys(parse_metric(m) for m in metrics))
        self.n_items = int(n_items)
        self.protocol = protocol if protocol is not None else FullRanking()
        self._user_keys = [key for key in keys if key.spec.per_user is not None]
        self._catalogue_keys = [key for key in keys if key.spec.catalogue is not None]
        self.max_k = max(key.k for key in keys)
        self._ranker = BlockRanker(
            self.n_items, self.max_k, int(block_elements), policy=block_policy
        )
        self._context = _context(keys, self.n_items, item_popularity, n_train_users, item_features)
        self.add_state("user_ids", default=[], dist_reduce_fx="cat")
        self.add_state("values", default=[], dist_reduce_fx="cat")
        self.add_state("skipped_ids", default=[], dist_reduce_fx="cat")
        exposure = torch.zeros(len(self._catalogue_keys), self.n_items, dtype=torch.float64)
        self.add_state("exposure", default=exposure, dist_reduce_fx="sum")

    @property
    def dtype(self) -> torch.dtype:
        # torchmetrics fills the list state of a process that saw no batch with an empty tensor
        # of this dtype before gathering; every state here is float64.
        return torch.float64

    def keys(self) -> list[str]:
        """Result keys in order: per-user metrics, then catalogue metrics."""
        prefix = self.protocol.key_prefix
        return [f"{prefix}{key}" for key in self._user_keys + self._catalogue_keys]

    def update(
        self,
        user_ids: Tensor | Sequence[int],
        scores: Tensor,
        targets: object,
        seen: object | None = None,
    ) -> None:
        """Add one batch.

        Args:
            user_ids: ``[batch]`` ids of the scored users (any integers; results are ordered
                and de-duplicated by them).
            scores: ``[batch, n_items]`` scores, higher is better; ``-inf`` removes an item;
                NaN is an error. Not modified.
            targets: the batch's relevant items with gains, ``[batch, n_items]`` (scipy
                sparse, torch sparse or dense, or RowSets); gain > 0 means relevant.
            seen: items to remove from each user's ranking (training, and validation items
                on test), same formats; ``None`` removes nothing.
        """
        scores = as_rankable(scores.detach())
        if scores.dim() != 2 or scores.shape[1] != self.n_items:
            raise ValueError(
                f"scores must be [batch, n_items={self.n_items}], got {tuple(scores.shape)}"
            )
        batch, device = scores.shape[0], scores.device
        users = torch.as_tensor(user_ids, device=device).long().reshape(-1)
        if users.numel() != batch:
            raise ValueError(f"{users.numel()} user ids for {batch} rows of scores")
        if batch and (int(users.min()) < 0 or int(users.max()) >= _MAX_EXACT_ID):
            raise ValueError("user ids must be in [0, 2**53)")
        targets = as_row_sets(targets, batch, self.n_items, name="targets").to(device)
        if seen is not None:
            seen = as_row_sets(seen, batch, self.n_items, name="seen").to(device)
        rows = torch.nonzero(targets.counts > 0).squeeze(1)
        if rows.numel() < batch:
            self.skipped_ids.append(users[targets.counts == 0].double())
            targets = targets.take(rows)
            seen = None if seen is None else seen.take(rows)
        if rows.numel() == 0:
            return
        users = users[rows]
        values, items, gains = self._ranker.rank(self.protocol, scores, rows, users, targets, seen)
        context = {
            name: value.to(device) if isinstance(value, Tensor) else value
            for name, value in self._context.items()
        }
        lists = build_lists(items, values, targets, gains, **context)
        if self._user_keys:
            table = torch.stack([key.spec.per_user(lists, key.k) for key in self._user_keys], 1)
            self.values.append(table.reshape(-1))
        self.user_ids.append(users.double())
        for slot, key in enumerate(self._catalogue_keys):
            top = lists.items[:, : key.k]
            shown = torch.bincount(top[top >= 0], minlength=self.n_items)
            self.exposure[slot] += shown.to(self.exposure.dtype)

    def compute(self) -> EvalResult:
        """Means over users, the per-user table (ordered by user id) and counts."""
        prefix = self.protocol.key_prefix
        user_columns = [f"{prefix}{key}" for key in self._user_keys]
        users = _cat(self.user_ids).long()
        table = _cat(self.values).reshape(users.numel(), len(user_columns))
        users, table, repeated = _unique_users(users, table)
        if repeated and self._catalogue_keys:
            warnings.warn(
                f"{repeated} users were evaluated more than once (DDP padding?); catalogue "
                "metrics count their lists each time",
                stacklevel=2,
            )
        skipped = np.setdiff1d(_cat(self.skipped_ids).long().cpu().numpy(), users.cpu().numpy())
        frame = pd.DataFrame(
            table.cpu().numpy(),
            columns=user_columns,
            index=pd.Index(users.cpu().numpy(), name="user"),
        )
        metrics = {column: float(frame[column].mean()) for column in user_columns}
        for slot, key in enumerate(self._catalogue_keys):
            metrics[f"{prefix}{key}"] = key.spec.catalogue(self.exposure[slot])
        directions = {
            f"{prefix}{key}": key.spec.higher_is_better
            for key in self._user_keys + self._catalogue_keys
        }
        return EvalResult(
            self.protocol.label, metrics, frame, int(users.numel()), int(skipped.size), directions
        )


def _cat(state: list[Tensor] | Tensor) -> Tensor:
    if isinstance(state, Tensor):
        return state.reshape(-1)
    if not state:
        return torch.zeros(0, dtype=torch.float64)
    return dim_zero_cat(state).reshape(-1)


def _unique_users(users: Tensor, table: Tensor) -> tuple[Tensor, Tensor, int]:
    """Sort by user id and drop repeats (which must carry identical values)."""
    order = torch.sort(users, stable=True).indices
    users, table = users[order], table[order]
    first = torch.ones(users.numel(), dtype=torch.bool, device=users.device)
    first[1:] = users[1:] != users[:-1]
    repeated = int((~first).sum())
    if repeated:
        group = torch.cumsum(first, 0) - 1
        kept = table[first][group]
        differs = ~((kept == table) | (kept.isnan() & table.isnan())).all(dim=1)
        if bool(differs.any()):
            user = int(users[differs][0])
            raise ValueError(
                f"user {user} was evaluated more than once with different results; "
                "pass each user once (or with the same targets and scores)"
            )
    return users[first], table[first], repeated


def _context(
    keys: list[MetricKey],
    n_items: int,
    item_popularity: Tensor | None,
    n_train_users: int | None,
    item_features: Tensor | None,
) -> dict[str, Any]:
    """Check and package what beyond-accuracy metrics read from RankedLists."""
    context: dict[str, Any] = {
        "item_popularity": None
        if item_popularity is None
        else torch.as_tensor(item_popularity).double().reshape(-1),
        "n_train_users": n_train_users,
        "item_features": None if item_features is None else torch.as_tensor(item_features),
    }
    for key in keys:
        for field in key.spec.requires:
            if context[field] is None:
                raise ValueError(f"metric {key} needs {field}=...; pass it to the evaluator")
    popularity, features = context["item_popularity"], context["item_features"]
    if popularity is not None and popularity.numel() != n_items:
        raise ValueError(f"item_popularity has {popularity.numel()} entries, n_items={n_items}")
    if features is not None and (features.dim() != 2 or features.shape[0] != n_items):
        raise ValueError(
            f"item_features must be [n_items={n_items}, d], got {tuple(features.shape)}"
        )
    return context

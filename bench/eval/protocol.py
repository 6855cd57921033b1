"""Ranking protocols: which items each user's ranking is over.

A protocol writes a block of users' scores into the evaluator's buffer and sets every item
that must not be ranked to ``-inf``:

- :class:`FullRanking` (the default): the whole catalogue minus the user's seen items.
- :class:`SampledCandidates`: only the user's targets plus sampled negatives, as in older
  papers. Its numbers are not comparable with full ranking (Krichene & Rendle, KDD 2020), so
  every key it produces starts with ``sampled_`` and its label starts with ``sampled``.

Example:
    >>> import torch
    >>> from bench.eval.sparse import RowSets
    >>> seen = RowSets(torch.tensor([0, 1]), torch.tensor([2]), torch.tensor([1.0]), 3)
    >>> out = torch.empty(1, 3)
    >>> FullRanking().fill(out, torch.tensor([[0.1, 0.2, 0.3]]), torch.tensor([0]),
    ...                    torch.tensor([5]), targets=seen, seen=seen)
    >>> out.tolist()
    [[0.10000000149011612, 0.20000000298023224, -inf]]
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch
from torch import Tensor

from bench.eval.negatives import UniformNegatives
from bench.eval.sparse import RowSets


class RankingProtocol(Protocol):
    """What the evaluator needs from a protocol."""

    label: str
    key_prefix: str

    def fill(
        self,
        out: Tensor,
        scores: Tensor,
        rows: Tensor | slice,
        users: Tensor,
        targets: RowSets,
        seen: RowSets | None,
    ) -> None:
        """Write ``scores[rows]`` into ``out`` with items outside the ranking set to ``-inf``.

        ``out`` is ``[len(rows), n_items]``, possibly a view with a longer row stride;
        ``targets``/``users``/``seen`` describe the same rows.
        """


def flat_keys(out: Tensor, sets: RowSets) -> Tensor:
    """Offsets of the entries of ``sets`` in ``out``'s storage (row stride respected)."""
    return sets.row_ids() * out.stride(0) + sets.indices


def flat_view(out: Tensor) -> Tensor:
    """A 1-D view of the storage under a row-major (possibly row-padded) 2-D ``out``."""
    return out.as_strided((out.shape[0] * out.stride(0),), (1,))


class FullRanking:
    """Rank the whole catalogue except each user's seen items."""

    label = "full"
    key_prefix = ""

    def fill(
        self,
        out: Tensor,
        scores: Tensor,
        rows: Tensor | slice,
        users: Tensor,
        targets: RowSets,
        seen: RowSets | None,
    ) -> None:
        out.copy_(scores[rows])
        if seen is not None and seen.indices.numel():
            flat_view(out).scatter_(0, flat_keys(out, seen), float("-inf"))


class SampledCandidates:
    """Rank each user's targets among sampled negatives only (labelled ``sampled``).

    Every target is a candidate, even one the user has already seen (a re-consumption), as
    in the papers this protocol reproduces; :class:`FullRanking` removes seen items, targets
    included. Negatives are never targets or seen items.

    Args:
        negatives: a sampler such as :class:`~bench.eval.negatives.UniformNegatives` (default:
            100 uniform negatives, seed 0) or
            :class:`~bench.eval.negatives.PopularityNegatives`.
    """

    key_prefix = "sampled_"

    def __init__(self, negatives: UniformNegatives | None = None) -> None:
        self.negatives = negatives if negatives is not None else UniformNegatives()

    @property
    def label(self) -> str:
        return f"sampled({self.negatives.label})"

    def negative_keys(self, users: Tensor, targets: RowSets, seen: RowSets | None) -> Tensor:
        """Flat ``row * n_items + item`` keys of every row's sampled negatives."""
        n_items = targets.n_cols
        tgt_ptr, tgt_items = targets.indptr.cpu().numpy(), targets.indices.cpu().numpy()
        if seen is not None:
            seen_ptr, seen_items = seen.indptr.cpu().numpy(), seen.indices.cpu().numpy()
        keys = []
        for row, user in enumerate(users.tolist()):
            excluded = tgt_items[tgt_ptr[row] : tgt_ptr[row + 1]]
            if seen is not None:
                excluded = np.union1d(excluded, seen_items[seen_ptr[row] : seen_ptr[row + 1]])
            keys.append(row * n_items + self.negatives.sample(user, excluded, n_items))
        flat = np.concatenate(keys) if keys else np.zeros(0, np.int64)
        return torch.from_numpy(flat.astype(np.int64)).to(targets.indices.device)

    def fill(
        self,
        out: Tensor,
        scores: Tensor,
        rows: Tensor | slice,
        users: Tensor,
        targets: RowSets,
        seen: RowSets | None,
    ) -> None:
        n_items = targets.n_cols
        keys = torch.cat([targets.flat_keys(), self.negative_keys(users, targets, seen)])
        row, item = keys // n_items, keys % n_items
        source = scores[rows]
        out.fill_(float("-inf"))
        flat_view(out)[row * out.stride(0) + item] = source[row, item].to(out.dtype)

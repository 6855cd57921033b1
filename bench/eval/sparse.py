"""Per-user item sets (targets with gains, seen items) in CSR layout as torch tensors.

The evaluator accepts targets and seen items as a scipy sparse matrix, a torch sparse tensor
(COO or CSR), a dense matrix (non-zero entries count), or a :class:`RowSets`; all become a
:class:`RowSets` with sorted, unique items per row. Duplicate entries are summed (scipy's rule),
explicit zeros are dropped, negative values are an error.

Example:
    >>> import scipy.sparse as sp
    >>> sets = as_row_sets(sp.csr_matrix([[0, 2, 1], [0, 0, 0]]), 2, 3)
    >>> sets.indptr.tolist(), sets.indices.tolist(), sets.values.tolist()
    ([0, 2, 2], [1, 2], [2.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import Tensor


@dataclass(frozen=True)
class RowSets:
    """CSR rows of item indices with a float64 value per entry.

    Attributes:
        indptr: ``[rows + 1]`` int64 offsets.
        indices: ``[nnz]`` int64 item indices, ascending and unique within each row.
        values: ``[nnz]`` float64 positive values (gains; 1.0 for plain sets).
        n_cols: number of items.
    """

    indptr: Tensor
    indices: Tensor
    values: Tensor
    n_cols: int

    @property
    def n_rows(self) -> int:
        return self.indptr.numel() - 1

    @property
    def counts(self) -> Tensor:
        """``[rows]`` int64 entries per row."""
        return self.indptr[1:] - self.indptr[:-1]

    def row_ids(self) -> Tensor:
        """``[nnz]`` int64 row of each entry."""
        return segment_ids(self.counts, self.indices.numel())

    def flat_keys(self) -> Tensor:
        """``[nnz]`` int64 ``row * n_cols + item``, ascending."""
        return self.row_ids() * self.n_cols + self.indices

    def slice(self, start: int, stop: int, bounds: Tensor | None = None) -> RowSets:
        """Rows ``start:stop`` (views, no copy). ``bounds``: a CPU copy of ``indptr``, read
        instead of ``indptr`` (no device round trip per slice)."""
        source = self.indptr if bounds is None else bounds
        lo, hi = int(source[start]), int(source[stop])
        indptr = self.indptr[start : stop + 1] - lo
        return RowSets(indptr, self.indices[lo:hi], self.values[lo:hi], self.n_cols)

    def take(self, rows: Tensor) -> RowSets:
        """The given rows, in the given order."""
        counts = self.counts[rows]
        indptr = torch.zeros(rows.numel() + 1, dtype=torch.int64, device=rows.device)
        torch.cumsum(counts, 0, out=indptr[1:])
        total = int(indptr[-1])
        shift = (self.indptr[rows] - indptr[:-1])[segment_ids(counts, total)]
        source = shift + torch.arange(total, device=rows.device)
        return RowSets(indptr, self.indices[source], self.values[source], self.n_cols)

    def restrict(self, keep: Tensor) -> RowSets:
        """Only the entries whose item is marked in ``keep`` (``[n_cols]`` bool), rows kept.

        Example:
            >>> import scipy.sparse as sp
            >>> sets = as_row_sets(sp.csr_matrix([[1, 1, 0], [0, 0, 1]]), 2, 3)
            >>> head = sets.restrict(torch.tensor([True, False, False]))
            >>> head.indptr.tolist(), head.indices.tolist()
            ([0, 1, 1], [0])
        """
        mask = keep.to(self.indices.device)[self.indices]
        rows = self.row_ids()[mask]
        counts = torch.bincount(rows, minlength=self.n_rows)
        indptr = torch.zeros(self.n_rows + 1, dtype=torch.int64, device=self.indices.device)
        torch.cumsum(counts, 0, out=indptr[1:])
        return RowSets(indptr, self.indices[mask], self.values[mask], self.n_cols)

    def to(self, device: torch.device | str) -> RowSets:
        return RowSets(
            *(t.to(device) for t in (self.indptr, self.indices, self.values)), self.n_cols
        )


def segment_ids(counts: Tensor, total: int) -> Tensor:
    """``[total]`` int64: ``i`` repeated ``counts[i]`` times (``total == counts.sum()``)."""
    if counts.device.type == "cpu":  # numpy's repeat is several times faster here
        ids = np.repeat(np.arange(counts.numel(), dtype=np.int64), counts.numpy())
        return torch.from_numpy(ids)
    rows = torch.arange(counts.numel(), device=counts.device)
    return torch.repeat_interleave(rows, counts, output_size=total)


def _from_coo(rows: Tensor, cols: Tensor, values: Tensor, n_rows: int, n_cols: int) -> RowSets:
    """Canonical RowSets from unordered (row, col, value) triples."""
    rows, cols = rows.long(), cols.long()
    values = values.to(torch.float64)
    keys = rows * n_cols + cols
    if keys.numel() > 1 and not bool((keys[1:] > keys[:-1]).all()):
        keys, inverse = torch.unique(keys, sorted=True, return_inverse=True)
        summed = torch.zeros(keys.numel(), dtype=torch.float64, device=values.device)
        values = summed.index_add_(0, inverse, values)
        rows, cols = keys // n_cols, keys % n_cols
    keep = values != 0
    if not bool(keep.all()):
        rows, cols, values = rows[keep], cols[keep], values[keep]
    counts = torch.bincount(rows, minlength=n_rows)
    indptr = torch.zeros(n_rows + 1, dtype=torch.int64, device=rows.device)
    torch.cumsum(counts, 0, out=indptr[1:])
    return RowSets(indptr, cols, values, n_cols)


def _from_csr(matrix: sp.csr_matrix) -> RowSets:
    """RowSets sharing a canonical (sorted, no duplicates) scipy CSR matrix's index arrays."""
    values = torch.from_numpy(np.asarray(matrix.data, dtype=np.float64))
    indptr = torch.from_numpy(matrix.indptr.astype(np.int64, copy=False))
    indices = torch.from_numpy(matrix.indices.astype(np.int64, copy=False))
    sets = RowSets(indptr, indices, values, matrix.shape[1])
    if bool((values == 0).any()):  # explicit zeros: drop them the general way
        return _from_coo(sets.row_ids(), indices, values, *matrix.shape)
    return sets


def as_row_sets(data: object, n_rows: int, n_cols: int, *, name: str = "targets") -> RowSets:
    """Convert ``data`` (scipy sparse, torch sparse/dense, numpy dense, RowSets) to RowSets.

    Raises:
        ValueError: wrong shape, item index out of range, or a negative value.
    """
    if isinstance(data, RowSets):
        sets = data
    elif sp.issparse(data) and data.format == "csr" and data.has_canonical_format:
        sets = _from_csr(data)
    elif sp.issparse(data):
        coo = data.tocoo()
        sets = _from_coo(
            torch.from_numpy(coo.row.astype(np.int64)),
            torch.from_numpy(coo.col.astype(np.int64)),
            torch.from_numpy(np.asarray(coo.data, dtype=np.float64)),
            *data.shape,
        )
    elif isinstance(data, Tensor | np.ndarray):
        tensor = torch.as_tensor(data)
        if tensor.layout != torch.strided:
            tensor = tensor.to_sparse_coo().coalesce()
            (rows, cols), values = tensor.indices(), tensor.values()
        else:
            rows, cols = torch.nonzero(tensor, as_tuple=True)
            values = tensor[rows, cols]
        sets = _from_coo(rows, cols, values, *tensor.shape)
    else:
        raise ValueError(
            f"{name} must be a scipy sparse matrix, a torch tensor (sparse or dense) or RowSets, "
            f"got {type(data).__name__}"
        )
    if (sets.n_rows, sets.n_cols) != (n_rows, n_cols):
        raise ValueError(
            f"{name} has shape {(sets.n_rows, sets.n_cols)}, expected {(n_rows, n_cols)} "
            "(one row per scored user, one column per item)"
        )
    if sets.values.numel() and bool((sets.values < 0).any()):
        raise ValueError(f"{name} contain negative values; gains must be >= 0")
    return sets


def csr_from_frame(
    frame: pd.DataFrame, n_users: int, n_items: int, *, value: str | None = None
) -> sp.csr_matrix:
    """A ``[n_users, n_items]`` CSR matrix with one entry per (user, item) pair of ``frame``.

    Args:
        frame: rows with ``user`` and ``item`` columns (a Split part, for instance).
        value: column holding the gain (e.g. ``"rating"`` for graded relevance); repeated
            pairs keep their largest value. ``None``: every pair has gain 1.

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"user": [0, 0, 1, 0], "item": [2, 0, 1, 2]})
        >>> csr_from_frame(frame, 2, 3).toarray().tolist()
        [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    users = frame["user"].to_numpy(np.int64)
    items = frame["item"].to_numpy(np.int64)
    gains = np.ones(len(frame)) if value is None else frame[value].to_numpy(np.float64)
    for label, ids, bound in (("user", users, n_users), ("item", items, n_items)):
        if ids.size and (ids.min() < 0 or ids.max() >= bound):
            raise ValueError(f"frame has {label} ids outside [0, {bound}); pass the right size")
    keys = users * n_items + items
    order = np.lexsort((gains, keys))  # by key, largest gain last
    keys, gains = keys[order], gains[order]
    last = np.r_[keys[1:] != keys[:-1], True] if keys.size else np.zeros(0, bool)
    keys, gains = keys[last], gains[last]
    return sp.csr_matrix((gains, (keys // n_items, keys % n_items)), shape=(n_users, n_items))

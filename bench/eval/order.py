"""Rank-ordering flat (row, col, value) entries with one integer sort.

The order is *(row ascending, value descending, col ascending)*: a list's best item first and
ties broken by the lower item index. Floats map to integers that sort the same way, so one
radix-sorted int64 key replaces a per-row sort.

Example:
    >>> import torch
    >>> values, cols = first_per_row(
    ...     torch.tensor([1, 0, 1]), torch.tensor([4, 2, 3]), torch.tensor([1.0, 5.0, 1.0]),
    ...     n_rows=2, n_cols=5, k=2)
    >>> cols.tolist(), values.tolist()
    ([[2, -1], [3, 4]], [[5.0, -inf], [1.0, 1.0]])
"""

from __future__ import annotations

import torch
from torch import Tensor

_FLOAT32_SIGN_FLIP = 0x7FFFFFFF
_FLOAT64_SIGN_FLIP = 0x7FFFFFFFFFFFFFFF


def as_rankable(scores: Tensor) -> Tensor:
    """Scores as float32 or float64 without changing their order (ties stay ties)."""
    if scores.dtype in (torch.float32, torch.float64):
        return scores
    if scores.dtype in (torch.float16, torch.bfloat16):
        return scores.float()  # exact widening
    if scores.is_complex():
        raise ValueError(f"scores must be real numbers, got dtype {scores.dtype}")
    return scores.double()  # integers and booleans: exact below 2**53


def ascending_key(values: Tensor) -> Tensor:
    """int64 keys that sort like the floats they encode (-0.0 and 0.0 get the same key)."""
    values = values + 0.0  # -0.0 + 0.0 == +0.0
    if values.dtype == torch.float32:
        bits = values.view(torch.int32).to(torch.int64)
        return torch.where(bits < 0, bits ^ _FLOAT32_SIGN_FLIP, bits)
    bits = values.view(torch.int64)
    return torch.where(bits < 0, bits ^ _FLOAT64_SIGN_FLIP, bits)


def rank_order(rows: Tensor, cols: Tensor, values: Tensor, n_rows: int, n_cols: int) -> Tensor:
    """Permutation sorting entries by (row ascending, value descending, col ascending)."""
    row_bits = max(1, (n_rows - 1).bit_length())
    col_bits = max(1, (n_cols - 1).bit_length())
    if values.dtype == torch.float32 and row_bits + 32 + col_bits <= 63:
        descending = (2**31 - 1) - ascending_key(values)  # in [0, 2**32)
        key = (rows << (32 + col_bits)) | (descending << col_bits) | cols
        return torch.sort(key).indices
    # wider keys: stable sorts from the least significant component to the most significant
    order = torch.sort(cols, stable=True).indices
    by_value = torch.sort(-1 - ascending_key(values)[order], stable=True).indices
    order = order[by_value]
    by_row = torch.sort(rows[order], stable=True).indices
    return order[by_row]


def first_per_row(
    rows: Tensor, cols: Tensor, values: Tensor, n_rows: int, n_cols: int, k: int
) -> tuple[Tensor, Tensor]:
    """``[n_rows, k]`` values and cols of each row's first ``k`` entries in rank order.

    Rows with fewer than ``k`` entries are padded with value ``-inf`` and col ``-1``.
    """
    if rows.numel() == 0:
        return values.new_full((n_rows, k), float("-inf")), cols.new_full((n_rows, k), -1)
    order = rank_order(rows, cols, values, n_rows, n_cols)
    counts = torch.bincount(rows, minlength=n_rows)
    starts = torch.cumsum(counts, 0) - counts
    slot = torch.arange(k, device=rows.device)
    pick = order[(starts.unsqueeze(1) + slot).clamp_max(rows.numel() - 1)]
    present = slot < counts.unsqueeze(1)
    top_values = torch.where(present, values[pick], float("-inf"))
    top_cols = torch.where(present, cols[pick], -1)
    return top_values, top_cols

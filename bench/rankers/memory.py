"""Memory estimates of closed-form rankers, checked before fitting.

A closed-form ranker (EASE, SLIM, ItemKNN, RP3beta) builds one or more ``n_items x n_items``
matrices, so its memory grows with the square of the catalogue. Each such ranker implements
``estimate_memory(data)``, returning a :class:`MemoryEstimate` of the host memory its ``fit``
will add (the training matrix itself is already in memory). :func:`check_memory` compares the
estimate with the memory the machine has available (``MemAvailable`` of ``/proc/meminfo``)
and, if set, with the run's cap ``max_memory_gb`` (top-level key of ``conf/train.yaml``), and
refuses a fit that will not fit with one :class:`MemoryRefusal` line, before any time is
spent. :func:`~bench.rankers.data.prepare_ranker` runs it, so the runner records the refusal
as a failed run.

Estimates are sized for fitting on the host (CPU); they are upper bounds of the peak, not
exact. :func:`lazy_zeros` allocates a zero matrix whose pages are only committed when written,
so a ranker's ``n_items x n_items`` buffer costs nothing before the check.

Example:
    >>> estimate = MemoryEstimate(int(13.4e9), "for 41,000 items (float64)", "use dtype=float32")
    >>> try:
    ...     check_estimate("EASE", estimate, available=int(9.8e9))
    ... except MemoryRefusal as err:
    ...     print(err)  # doctest: +NORMALIZE_WHITESPACE
    EASE needs about 13.4 GB for 41,000 items (float64); 9.8 GB is available:
    use dtype=float32 or a machine with more memory
    >>> check_estimate("EASE", estimate, max_memory_gb=None, available=int(20e9))
    >>> dense_bytes(1000, 1000, "float32")
    4000000
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

GB = 1e9  # estimates and caps are in decimal gigabytes


class MemoryRefusal(ValueError):
    """A fit that will not fit in memory (one line: how much, how much there is, what to do)."""


@dataclass(frozen=True)
class MemoryEstimate:
    """The host memory a ranker's ``fit`` will add.

    Attributes:
        n_bytes: estimated peak bytes added by ``fit`` (an upper bound).
        what: what it is sized by, e.g. ``"for 41,000 items (float64)"``.
        hint: what to change if it does not fit (``"or a machine with more memory"`` is added).
    """

    n_bytes: int
    what: str
    hint: str = ""


def dense_bytes(rows: int, cols: int, dtype: Any = "float64") -> int:
    """Bytes of a dense ``rows x cols`` array of ``dtype``."""
    return int(rows) * int(cols) * np.dtype(dtype).itemsize


def sparse_bytes(nnz: int, rows: int, dtype: Any = "float64", index: Any = "int32") -> int:
    """Bytes of a CSR / CSC matrix with ``nnz`` stored values and ``rows`` compressed rows."""
    index_size = np.dtype(index).itemsize
    return int(nnz) * (np.dtype(dtype).itemsize + index_size) + (int(rows) + 1) * index_size


def gram_nnz_bound(matrix: sp.spmatrix) -> int:
    """An upper bound on the stored values of ``X^T X``: ``min(n_items^2, sum_u d_u^2)``."""
    csr = sp.csr_matrix(matrix)
    degrees = np.diff(csr.indptr).astype(np.int64)
    return int(min(csr.shape[1] ** 2, int(np.sum(degrees * degrees))))


def available_bytes() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` in bytes (``None`` where it cannot be read)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_estimate(
    name: str,
    estimate: MemoryEstimate,
    *,
    max_memory_gb: float | None = None,
    available: int | None = None,
) -> None:
    """Raise :class:`MemoryRefusal` if ``estimate`` exceeds ``available`` bytes or the cap."""
    if max_memory_gb is not None and not float(max_memory_gb) > 0:
        raise MemoryRefusal(f"max_memory_gb={max_memory_gb!r} must be > 0 (or null: no cap)")
    limits: list[tuple[int, str]] = []
    if available is not None:
        limits.append((int(available), "is available"))
    if max_memory_gb is not None:
        cap = int(float(max_memory_gb) * GB)
        limits.append((cap, f"is allowed (max_memory_gb={max_memory_gb})"))
    if not limits:
        return
    budget, said = min(limits, key=lambda limit: limit[0])
    if estimate.n_bytes <= budget:
        return
    hint = f"{estimate.hint} or a" if estimate.hint else "use a"
    raise MemoryRefusal(
        f"{name} needs about {estimate.n_bytes / GB:.3g} GB {estimate.what}; "
        f"{budget / GB:.3g} GB {said}: {hint} machine with more memory"
    )


def check_memory(ranker: Any, data: Any, *, max_memory_gb: float | None = None) -> None:
    """Refuse, with one :class:`MemoryRefusal` line, a ranker whose ``estimate_memory(data)``
    exceeds the available memory or ``max_memory_gb``; rankers without an estimate pass."""
    estimate_memory = getattr(ranker, "estimate_memory", None)
    estimate = None if estimate_memory is None else estimate_memory(data)
    if estimate is None:
        return
    check_estimate(
        type(ranker).__name__, estimate, max_memory_gb=max_memory_gb, available=available_bytes()
    )


def lazy_zeros(rows: int, cols: int, dtype: Any = np.float32) -> Tensor:
    """A zero ``rows x cols`` tensor whose memory is committed only where it is written.

    ``torch.zeros`` writes every page at once; numpy's zeros come from ``calloc``, whose large
    blocks are fresh zero pages the kernel maps on first write.

    Example:
        >>> lazy_zeros(2, 3).tolist()
        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    return torch.from_numpy(np.zeros((int(rows), int(cols)), dtype=dtype))

"""EASE (Steck, WWW 2019): a closed-form item-item linear auto-encoder.

With the binary training matrix ``X``, ``P = (X^T X + l2 I)^-1`` and
``B = I - P / diag(P)`` (column ``j`` divided by ``P[j, j]``), so ``diag(B) = 0``. A user's
scores are ``x_u B`` for the history row ``x_u``; ``B`` is kept in float32.

The fit works on one ``n_items x n_items`` buffer of ``dtype`` (:func:`ease_weights`): the
Gram matrix is written into it a block of rows at a time, ``l2`` is added to its diagonal, it
is replaced by its Cholesky factor and then by the inverse (LAPACK ``potrf`` / ``potri``,
overwriting), the inverse's triangle is mirrored, and its columns are divided by ``-diag(P)``,
all in place. With ``dtype="float32"`` (the default) that buffer is ``B`` itself, so the fit
needs ``4 n_items^2`` bytes (1.6 GB at 20,000 items); ``"float64"`` adds an ``8 n_items^2``
buffer (the values equal the float64 inverse of earlier versions to 1e-10). Above 2 GB (23,170
items in float32) one LAPACK call on the whole matrix is not safe (scipy's OpenBLAS crashes
near 4 GB), so the inverse is taken by 2 x 2 blocks through the Schur complement
(:func:`spd_inverse`), which adds three half-size blocks: 11.8 GB in all at 41,000 items.
:meth:`EASE.estimate_memory` gives the runner that size to check before fitting.

Example:
    >>> import scipy.sparse as sp
    >>> import torch
    >>> from bench.rankers import TrainMatrix
    >>> X = sp.csr_matrix([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    >>> ease = EASE(n_users=2, n_items=3, l2=1.0)
    >>> ease.fit(TrainMatrix(X, torch.tensor([1.0, 2.0, 1.0])))
    >>> torch.diagonal(ease.B).tolist()
    [0.0, 0.0, 0.0]
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
import torch
from scipy.linalg import lapack
from torch import Tensor

from bench.rankers import Capabilities, ClosedFormRanker, TrainingData, TrainMatrix, UserBatch
from bench.rankers.memory import (
    MemoryEstimate,
    dense_bytes,
    gram_nnz_bound,
    lazy_zeros,
    sparse_bytes,
)

DTYPES = ("float32", "float64")
_TORCH = {"float32": torch.float32, "float64": torch.float64}
BLOCK_BYTES = 1 << 26  # rows of the Gram matrix computed per sparse product (~64 MB dense)


def _block_rows(n_items: int, itemsize: int) -> int:
    return max(1, min(n_items, BLOCK_BYTES // max(1, n_items * itemsize)))


def gram_into(X: sp.spmatrix, out: np.ndarray) -> None:
    """Write ``X^T X`` of the binary ``X`` (users x items) into ``out`` (items x items, C
    order, ``out``'s dtype), a block of rows at a time (no second dense matrix)."""
    n_items = X.shape[1]
    binary = sp.csr_matrix(X, dtype=out.dtype, copy=True)
    binary.data[:] = 1
    items_by_users = sp.csr_matrix(binary.T)
    step = _block_rows(n_items, out.itemsize)
    for start in range(0, n_items, step):
        stop = min(n_items, start + step)
        rows = out[start:stop]
        rows[...] = 0  # toarray(out=...) adds to what is there
        (items_by_users[start:stop] @ binary).toarray(out=rows)


def _mirror_lower(a: np.ndarray) -> None:
    """Copy the lower triangle of the square C-order ``a`` onto its upper one, in place."""
    n = a.shape[0]
    step = _block_rows(n, a.itemsize)
    for start in range(0, n, step):
        stop = min(n, start + step)
        block = a[start:stop, start:stop]
        block[...] = np.tril(block) + np.tril(block, -1).T
        a[start:stop, stop:] = a[stop:, start:stop].T


# The largest buffer handed to LAPACK in one call. scipy's bundled (LP64) OpenBLAS crashes
# with SIGSEGV in ``potrf`` on square matrices of about 4 GB and more (measured: float32 at
# 32,700 items and float64 at 24,000 crash at once; float32 at 24,000 (2.3 GB) and float64 at
# 20,000 (3.2 GB) run). Larger matrices are inverted by blocks (:func:`spd_inverse`).
LAPACK_MAX_BYTES = 1 << 31
_COPY_ROWS_BYTES = 1 << 26  # rows per chunk when block products are written back (~64 MB)


def _lapack_inverse(a: np.ndarray) -> None:
    """Invert the symmetric positive definite C-order ``a`` in place with one ``potrf`` and
    one ``potri`` (both triangles filled)."""
    # LAPACK is column-major: a.T is the same symmetric matrix in Fortran order, and its
    # upper triangle is a's lower one.
    potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (a,))
    factor, info = potrf(a.T, lower=False, clean=False, overwrite_a=True)
    if info != 0:
        raise np.linalg.LinAlgError(
            f"EASE: X^T X + l2 I is not positive definite (potrf info={info})"
        )
    inverse, info = potri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: the Cholesky factor is singular (potri info={info})")
    if not (np.shares_memory(factor, a) and np.shares_memory(inverse, a)):
        raise RuntimeError("EASE: LAPACK copied the buffer instead of overwriting it")
    _mirror_lower(a)


def _row_chunks(rows: int, cols: int, itemsize: int) -> list[slice]:
    """Slices covering ``rows`` rows of ``cols`` columns, about 64 MB each."""
    step = max(1, _COPY_ROWS_BYTES // max(1, cols * itemsize))
    return [slice(start, min(rows, start + step)) for start in range(0, rows, step)]


def _blocked_inverse(a: np.ndarray, max_bytes: int | None) -> None:
    """Invert the symmetric positive definite C-order ``a`` in place by 2 x 2 blocks.

    With ``A = [[A11, A12], [A12^T, A22]]``, ``W = A11^-1 A12`` and the Schur complement
    ``S = A22 - A12^T W``: ``P22 = S^-1``, ``P12 = -W P22`` and ``P11 = A11^-1 - P12 W^T``.
    The two half-size inverses recurse (:func:`spd_inverse`); the products run in numpy's
    own (64-bit index) BLAS and are written back a chunk of rows at a time. Extra memory:
    three half-size blocks (``A11^-1``, ``W``, ``S``), :func:`inverse_workspace_bytes`.
    """
    n = a.shape[0]
    n1 = n // 2
    inv11 = np.ascontiguousarray(a[:n1, :n1])  # a copy: A11 is overwritten by P11 below
    spd_inverse(inv11, max_bytes=max_bytes)
    a12 = a[:n1, n1:]
    w = inv11 @ a12
    schur = a12.T @ w
    np.subtract(a[n1:, n1:], schur, out=schur)
    spd_inverse(schur, max_bytes=max_bytes)  # now P22
    for rows in _row_chunks(n1, n - n1, a.itemsize):  # P12 = -W P22 replaces A12
        np.negative(w[rows] @ schur, out=a[rows, n1:])
    for rows in _row_chunks(n1, n1, a.itemsize):  # P11 = A11^-1 - P12 W^T replaces A11
        np.subtract(inv11[rows], a[rows, n1:] @ w.T, out=a[rows, :n1])
    del inv11, w
    a[n1:, n1:] = schur
    del schur
    for rows in _row_chunks(n - n1, n1, a.itemsize):  # P21 = P12^T
        a[n1 + rows.start : n1 + rows.stop, :n1] = a[:n1, n1 + rows.start : n1 + rows.stop].T


def inverse_workspace_bytes(n: int, itemsize: int, max_bytes: int | None = None) -> int:
    """Peak bytes :func:`spd_inverse` allocates beyond ``a`` for an ``n x n`` matrix: 0 when
    LAPACK takes it whole, else the blocks of :func:`_blocked_inverse` (recursively).

    Example:
        >>> inverse_workspace_bytes(1000, 4), inverse_workspace_bytes(4, 8, max_bytes=64)
        (0, 96)
    """
    max_bytes = LAPACK_MAX_BYTES if max_bytes is None else max_bytes
    if n * n * itemsize <= max_bytes or n < 2:
        return 0
    n1, n2 = n // 2, n - n // 2
    first = n1 * n1 * itemsize + inverse_workspace_bytes(n1, itemsize, max_bytes)
    second = (n1 * n1 + n1 * n2 + n2 * n2) * itemsize
    second += inverse_workspace_bytes(n2, itemsize, max_bytes)
    return max(first, second)


def spd_inverse(a: np.ndarray, *, max_bytes: int | None = None) -> np.ndarray:
    """Replace the symmetric positive definite C-order square ``a`` by its inverse (returned).

    Matrices up to ``max_bytes`` go to LAPACK whole (Cholesky factor and inverse in ``a``'s
    own memory); larger ones by blocks, so no single LAPACK call sees more than ``max_bytes``
    (default :data:`LAPACK_MAX_BYTES`).

    Example:
        >>> a = np.array([[4.0, 2.0], [2.0, 3.0]])
        >>> spd_inverse(a, max_bytes=8).round(4).tolist()
        [[0.375, -0.25], [-0.25, 0.5]]
    """
    if a.ndim != 2 or a.shape[0] != a.shape[1] or not a.flags.c_contiguous:
        raise ValueError("spd_inverse needs a C-order square matrix")
    max_bytes = LAPACK_MAX_BYTES if max_bytes is None else max_bytes
    if a.nbytes <= max_bytes or a.shape[0] < 2:
        if a.shape[0] == 1:
            if not a[0, 0] > 0:
                raise np.linalg.LinAlgError("EASE: X^T X + l2 I is not positive definite")
            a[0, 0] = 1.0 / a[0, 0]
        else:
            _lapack_inverse(a)
    else:
        _blocked_inverse(a, max_bytes)
    return a


def ease_weights(
    X: sp.spmatrix,
    l2: float,
    out: np.ndarray,
    *,
    threads: int | None = None,
    max_lapack_bytes: int | None = None,
) -> np.ndarray:
    """EASE's ``B`` for the training matrix ``X``, computed in ``out`` (returned).

    ``out`` is a C-order ``n_items x n_items`` float32 or float64 array; it holds in turn
    ``X^T X + l2 I``, its inverse ``P`` (:func:`spd_inverse`: in place up to
    ``max_lapack_bytes``, by blocks above) and ``B``. BLAS and LAPACK run on ``threads``
    threads (default: torch's intra-op threads, i.e. the run's ``threads`` setting).

    Example:
        >>> X = sp.csr_matrix([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
        >>> B = ease_weights(X, 1.0, np.empty((3, 3)))
        >>> [round(float(v), 4) for v in B[0]]
        [0.0, 0.5, -0.2]
    """
    n = X.shape[1]
    if out.shape != (n, n) or not out.flags.c_contiguous or out.dtype.name not in DTYPES:
        raise ValueError(f"out must be a C-order {n}x{n} float32/float64 array")
    gram_into(X, out)
    out.flat[:: n + 1] += out.dtype.type(l2)
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency

    with threadpool_limits(limits=threads or torch.get_num_threads(), user_api="blas"):
        spd_inverse(out, max_bytes=max_lapack_bytes)
    scale = -np.diagonal(out).copy()
    np.divide(out, scale, out=out)  # column j divided by -P[j, j]
    np.fill_diagonal(out, 0.0)
    return out


class EASE(ClosedFormRanker):
    """EASE with L2 regularisation weight ``l2`` (Steck used 500 on ML-20M; RecBole 250).

    Args:
        l2: L2 weight (``> 0``).
        dtype: precision of the fit, ``"float32"`` (in ``B``'s own memory, ``4 n_items^2``
            bytes) or ``"float64"`` (``12 n_items^2`` bytes); metrics agree to 1e-4.
    """

    capabilities = Capabilities(folds_in_users=True)  # scores from the batch's history only

    def __init__(
        self,
        n_users: int,
        n_items: int,
        l2: float = 500.0,
        dtype: Literal["float32", "float64"] = "float32",
    ) -> None:
        super().__init__(n_users, n_items)
        if not float(l2) > 0:
            raise ValueError(f"model.l2={l2!r} must be > 0 (EASE's L2 weight, e.g. 500)")
        if dtype not in DTYPES:
            raise ValueError(f"model.dtype={dtype!r} must be one of {', '.join(DTYPES)}")
        self.save_hyperparameters()
        self.l2 = float(l2)
        self.dtype_name = str(dtype)
        self.register_buffer("B", lazy_zeros(n_items, n_items))  # pages committed by fit

    def estimate_memory(self, data: TrainingData) -> MemoryEstimate:
        """Host bytes :meth:`fit` adds: ``B`` (float32), the float64 buffer if asked for,
        two binary copies of the training matrix, one block of Gram rows and, above
        :data:`LAPACK_MAX_BYTES`, the blocked inverse's half-size blocks."""
        n, nnz = self.n_items, int(data.matrix.nnz)
        itemsize = np.dtype(self.dtype_name).itemsize
        total = dense_bytes(n, n, "float32")
        if self.dtype_name == "float64":
            total += dense_bytes(n, n, "float64")
        workspace = inverse_workspace_bytes(n, itemsize)
        if workspace:  # plus the row chunks of the block products
            total += workspace + 2 * _COPY_ROWS_BYTES
        total += sparse_bytes(nnz, data.n_users, self.dtype_name) + sparse_bytes(
            nnz, n, self.dtype_name
        )
        block = min(_block_rows(n, itemsize) * n, gram_nnz_bound(data.matrix))
        total += 2 * block * (itemsize + 4)  # one block's sparse product and its row slice
        hint = "use model.dtype=float32" if self.dtype_name == "float64" else ""
        return MemoryEstimate(total, f"for {n:,} items ({self.dtype_name})", hint)

    def fit(self, train: TrainMatrix) -> None:
        n, B = self.n_items, self.B
        if B.device.type == "cpu" and B.is_contiguous() and B.dtype == _TORCH[self.dtype_name]:
            ease_weights(train.matrix, self.l2, B.numpy())  # in B's own memory
            return
        work = np.empty((n, n), dtype=self.dtype_name)
        ease_weights(train.matrix, self.l2, work)
        self.B.copy_(torch.from_numpy(work))
        del work

    def score(self, batch: UserBatch) -> Tensor:
        return batch.history.to(self.B.dtype) @ self.B

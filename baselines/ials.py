"""iALS: implicit-feedback alternating least squares (Hu, Koren & Volinsky, ICDM 2008).

With the binary training matrix ``R`` (preference ``p_ui = 1`` where ``r_ui > 0``, else 0) and
confidence ``c_ui = 1 + alpha * r_ui``, user factors ``U`` and item factors ``V`` minimise

    L = sum_{u,i} c_ui (p_ui - u_u . v_i)^2 + reg * (||U||^2 + ||V||^2)

(every user-item pair counts, unobserved pairs with confidence 1). Each iteration solves every
user exactly given the items, then every item given the users, with Hu et al.'s speed-up
``A_u = V^T V + alpha * V_u^T V_u + reg * I``, ``b_u = (1 + alpha) * sum_{i in u} v_i``
(batched Cholesky solves in float64 with torch on the CPU), so ``L`` never increases. The
item factors start from ``N(0, 0.01^2)`` drawn from a generator seeded by ``seed``. Scores are
``U[users] @ V^T`` (the users' training factors: a user unseen in training cannot be scored).

``engine="implicit"`` fits the same model with the ``implicit`` package (conjugate-gradient
solver, its own initialisation); its confidence is ``alpha * r``, so it is given ``1 + alpha``.

Example:
    >>> import scipy.sparse as sp
    >>> import torch
    >>> from bench.rankers import TrainMatrix
    >>> X = sp.csr_matrix([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    >>> als = IALS(n_users=3, n_items=3, factors=2, iterations=3, seed=0)
    >>> als.fit(TrainMatrix(X, torch.tensor([2.0, 2.0, 2.0])))
    >>> all(b <= a for a, b in zip(als.losses, als.losses[1:]))
    True
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from baselines.itemknn import check_k
from bench.rankers import ClosedFormRanker, TrainMatrix, UserBatch

ENGINES = ("torch", "implicit")
_CHUNK = 1 << 17  # padded (row, interaction) slots per batched solve


def _chunks(degrees: np.ndarray) -> list[np.ndarray]:
    """Rows sorted by degree, cut into blocks of at most ``_CHUNK`` padded slots."""
    order = np.argsort(degrees, kind="stable")
    blocks, start, n = [], 0, len(order)
    while start < n:
        end = start + 1
        while end < n and (end + 1 - start) * max(1, degrees[order[end]]) <= _CHUNK:
            end += 1
        blocks.append(order[start:end])
        start = end
    return blocks


def solve_side(R: sp.csr_matrix, Y: Tensor, alpha: float, reg: float) -> Tensor:
    """Exact least-squares factors of every row of binary ``R`` given the column factors ``Y``."""
    n_rows, f = R.shape[0], Y.shape[1]
    eye = torch.eye(f, dtype=Y.dtype)
    base = Y.T @ Y + reg * eye
    Y_pad = torch.cat([Y, torch.zeros(1, f, dtype=Y.dtype)])  # row -1: padding
    out = torch.zeros(n_rows, f, dtype=Y.dtype)
    degrees = np.diff(R.indptr)
    for rows in _chunks(degrees):
        sub = R[rows]
        length = int(max(1, degrees[rows].max()))
        counts = np.diff(sub.indptr)
        row_ids = np.repeat(np.arange(len(rows)), counts)
        slots = np.arange(sub.nnz) - np.repeat(sub.indptr[:-1], counts)
        index = np.full((len(rows), length), Y.shape[0], dtype=np.int64)
        index[row_ids, slots] = sub.indices
        Yr = Y_pad[torch.from_numpy(index)]  # [rows, length, f]
        A = base + alpha * torch.einsum("nlf,nlg->nfg", Yr, Yr)
        b = (1.0 + alpha) * Yr.sum(dim=1)
        L = torch.linalg.cholesky(A)
        out[torch.from_numpy(rows)] = torch.cholesky_solve(b.unsqueeze(-1), L).squeeze(-1)
    return out


def ials_loss(R: sp.csr_matrix, U: Tensor, V: Tensor, alpha: float, reg: float) -> float:
    """Hu et al.'s objective over all user-item pairs (binary ``R``), in float64."""
    U, V = U.double(), V.double()
    coo = R.tocoo()
    rows = torch.from_numpy(coo.row.astype(np.int64))
    cols = torch.from_numpy(coo.col.astype(np.int64))
    p = (U[rows] * V[cols]).sum(dim=1)
    every_pair = torch.sum((U.T @ U) * (V.T @ V))  # sum over all (u, i) of (u_u . v_i)^2
    observed = torch.sum((1.0 + alpha) * (1.0 - p) ** 2 - p**2)
    penalty = reg * (U.pow(2).sum() + V.pow(2).sum())
    return float(every_pair + observed + penalty)


class IALS(ClosedFormRanker):
    """Implicit ALS matrix factorisation.

    Args:
        factors: latent dimensions (``>= 1``).
        reg: L2 weight on both factor matrices (``>= 0``).
        alpha: confidence slope, ``c = 1 + alpha * r`` (``>= 0``).
        iterations: ALS sweeps (users then items) (``>= 1``).
        seed: initialisation seed (the runner passes the run seed).
        engine: ``"torch"`` (exact solves, this module) or ``"implicit"`` (the package).
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        factors: int = 64,
        reg: float = 0.01,
        alpha: float = 10.0,
        iterations: int = 15,
        seed: int = 0,
        engine: str = "torch",
    ) -> None:
        super().__init__(n_users, n_items)
        self.factors = check_k(factors, "model.factors")
        self.iterations = check_k(iterations, "model.iterations")
        if not float(reg) >= 0:
            raise ValueError(f"model.reg={reg!r} must be >= 0")
        if not float(alpha) >= 0:
            raise ValueError(f"model.alpha={alpha!r} must be >= 0")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"model.seed={seed!r} must be an integer >= 0")
        if engine not in ENGINES:
            raise ValueError(f"model.engine={engine!r} must be one of {', '.join(ENGINES)}")
        self.reg, self.alpha, self.seed, self.engine = float(reg), float(alpha), seed, engine
        self.save_hyperparameters()
        self.register_buffer("U", torch.zeros(n_users, self.factors))
        self.register_buffer("V", torch.zeros(n_items, self.factors))
        self.losses: list[float] = []

    def fit(self, train: TrainMatrix) -> None:
        R = sp.csr_matrix(train.matrix, dtype=np.float64)
        R.data[:] = 1.0
        if self.engine == "implicit":
            U, V = self._fit_implicit(R)
        else:
            U, V = self._fit_torch(R)
        self.U.copy_(U.to(self.U.dtype))
        self.V.copy_(V.to(self.V.dtype))

    def _fit_torch(self, R: sp.csr_matrix) -> tuple[Tensor, Tensor]:
        generator = torch.Generator().manual_seed(self.seed)
        V = 0.01 * torch.randn(self.n_items, self.factors, generator=generator, dtype=torch.float64)
        R_t = sp.csr_matrix(R.T)
        self.losses = []
        U = torch.zeros(self.n_users, self.factors, dtype=torch.float64)
        for _ in range(self.iterations):
            U = solve_side(R, V, self.alpha, self.reg)
            V = solve_side(R_t, U, self.alpha, self.reg)
            self.losses.append(ials_loss(R, U, V, self.alpha, self.reg))
        return U, V

    def _fit_implicit(self, R: sp.csr_matrix) -> tuple[Tensor, Tensor]:
        from implicit.cpu.als import AlternatingLeastSquares

        model = AlternatingLeastSquares(
            factors=self.factors, regularization=self.reg, alpha=1.0 + self.alpha,
            iterations=self.iterations, random_state=self.seed, dtype=np.float32,
        )  # fmt: skip
        model.fit(sp.csr_matrix(R, dtype=np.float32), show_progress=False)
        U = torch.from_numpy(np.asarray(model.user_factors, dtype=np.float64))
        V = torch.from_numpy(np.asarray(model.item_factors, dtype=np.float64))
        self.losses = [ials_loss(R, U, V, self.alpha, self.reg)]
        return U, V

    def score(self, batch: UserBatch) -> Tensor:
        return self.U[batch.users] @ self.V.T

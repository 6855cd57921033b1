"""LightGCN (He et al., SIGIR 2020): embeddings propagated linearly on the user-item graph.

The bipartite graph of the training interactions (users first, then items) has the adjacency
``A = [[0, R], [R^T, 0]]`` of the binary matrix ``R``; it is normalised symmetrically,
``A_hat = D^-1/2 A D^-1/2`` (``D``: node degrees; a node without edges keeps a zero row), once,
in :meth:`LightGCN.prepare`. The ego embeddings ``E^0`` (users and items, xavier-uniform as in
RecBole) are propagated ``n_layers`` times, ``E^(k+1) = A_hat E^k``, and the final embedding is
the mean of the layers, ``E = mean(E^0, ..., E^L)``; a score is ``<e_u, e_i>``. With
``n_layers=0`` LightGCN is matrix factorisation.

Training is RecBole's: every step propagates the whole graph, each (user, positive) pair gets
one negative outside the user's training row from a shared sampler
(:mod:`bench.rankers.samplers`, seeded by (run seed, epoch, batch, process) as BPR), and the
loss of a batch is

    mean(-log sigmoid(s_ui - s_uj)) + l2 * reg(e_u^0, e_i^0, e_j^0)

with the regulariser on the batch's *ego* (layer-0) embeddings, RecBole's ``EmbLoss``:
``(||E_u^0|| + ||E_i^0|| + ||E_j^0||) / batch`` (Frobenius norms, not squared: RecBole's default
``require_pow=False``), or with ``l2_squared=True`` ``(||E_u^0||^2 + ||E_i^0||^2 + ||E_j^0||^2)
/ (2 batch)`` (RecBole's ``require_pow=True``, the paper's ``lambda/2 ||E^0||^2``). Optimiser:
plain Adam.

Evaluation propagates once, in :meth:`LightGCN.before_scoring`, and keeps the final embeddings
until training resumes or weights are loaded; :meth:`LightGCN.score` is then one matmul. On the
CPU the propagation multiplies with scipy's CSR kernel (about 3x faster than torch's CPU sparse
kernels on ML-1M), on an accelerator with a torch sparse CSR tensor; ``A_hat`` is symmetric, so
the backward pass is the same product.

LightGCN has per-user parameters: it cannot score users unseen in training (as BPR), and the
runner refuses splits that evaluate users without training interactions.

Example:
    >>> import scipy.sparse as sp
    >>> adj = normalized_adjacency(sp.csr_matrix([[1.0, 1.0], [0.0, 1.0]]))
    >>> adj.shape, adj.nnz, round(float(adj[0, 2]), 4)  # 1 / sqrt(deg(u0)=2 * deg(i0)=1)
    ((4, 4), 6, 0.7071)
    >>> model = LightGCN(n_users=2, n_items=2, embedding_dim=8, n_layers=2)
    >>> model.n_parameters(), model.batching.batch_size
    (32, 2048)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor, nn

from bench.rankers import InteractionBatch, Ranker, TrainingData, UserBatch
from bench.rankers.params import check_int
from bench.rankers.samplers import (
    NEGATIVE_SAMPLERS,
    NegativeSampler,
    check_negatives,
    step_negatives,
)


def normalized_adjacency(matrix: sp.spmatrix) -> sp.csr_matrix:
    """``D^-1/2 A D^-1/2`` of the bipartite graph of the binary ``[n_users, n_items]``
    ``matrix`` (nodes: users ``0..n_users-1``, then items), as a float32 CSR matrix with sorted
    indices; nodes without edges get zero rows and columns. Computed in float64, then cast."""
    binary = (sp.csr_matrix(matrix) != 0).astype(np.float64)
    adjacency = sp.bmat([[None, binary], [binary.T, None]], format="csr")
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    inv_sqrt = np.zeros_like(degree)
    np.power(degree, -0.5, out=inv_sqrt, where=degree > 0)
    scale = sp.diags(inv_sqrt)
    normalized = sp.csr_matrix(scale @ adjacency @ scale, dtype=np.float32)
    normalized.sort_indices()
    return normalized


class Graph:
    """A symmetric sparse matrix that multiplies dense tensors on any device: scipy's CSR
    kernel on the CPU, a torch sparse CSR copy (made once per device and dtype) elsewhere."""

    def __init__(self, matrix: sp.csr_matrix) -> None:
        self.matrix = matrix
        self._copies: dict[tuple[torch.device, torch.dtype], Tensor] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"matrix": self.matrix, "_copies": {}}

    def on(self, device: torch.device, dtype: torch.dtype) -> Tensor:
        """The matrix as a torch sparse CSR tensor on ``device`` (cached)."""
        key = (device, dtype)
        if key not in self._copies:
            m = self.matrix
            self._copies[key] = torch.sparse_csr_tensor(
                torch.from_numpy(m.indptr.astype(np.int64)),
                torch.from_numpy(m.indices.astype(np.int64)),
                torch.from_numpy(m.data),
                m.shape,
                dtype=dtype,
                device=device,
            )
        return self._copies[key]

    def mm(self, x: Tensor) -> Tensor:
        """``matrix @ x`` for a dense ``[n_nodes, d]`` tensor (no autograd)."""
        if x.device.type == "cpu":
            dense = x.detach().contiguous().numpy()
            out = self.matrix.astype(dense.dtype, copy=False) @ dense
            return torch.from_numpy(np.ascontiguousarray(out))
        return torch.sparse.mm(self.on(x.device, x.dtype), x)


class _Propagate(torch.autograd.Function):
    """``A_hat @ x`` with its gradient ``A_hat^T @ g = A_hat @ g`` (``A_hat`` is symmetric)."""

    @staticmethod
    def forward(ctx: Any, graph: Graph, x: Tensor) -> Tensor:
        ctx.graph = graph
        return graph.mm(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[None, Tensor]:
        return None, ctx.graph.mm(grad)


class LightGCN(Ranker):
    """LightGCN with layer-mean readout, BPR loss and RecBole's regulariser.

    Args:
        n_users, n_items: sizes of the split.
        embedding_dim: latent factors (64, as RecBole).
        n_layers: propagation steps (2, as RecBole); 0 is matrix factorisation.
        lr: Adam learning rate.
        l2: weight of the regulariser on the batch's layer-0 embeddings (RecBole's
            ``reg_weight``, 1e-5); 0 turns it off.
        l2_squared: ``False`` (RecBole's default): sum of the three Frobenius norms over the
            batch size; ``True``: sum of their squares over twice the batch size.
        batch_size: training pairs per step.
        negatives: ``"uniform"`` or ``"popularity"`` negative sampling.
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        embedding_dim: int = 64,
        n_layers: int = 2,
        lr: float = 1e-3,
        l2: float = 1e-5,
        l2_squared: bool = False,
        batch_size: int = 2048,
        negatives: str = "uniform",
    ) -> None:
        super().__init__(n_users, n_items, batch_size=batch_size)
        check_int("model.embedding_dim", embedding_dim, 1)
        check_int("model.n_layers", n_layers, 0)
        if not float(lr) > 0:
            raise ValueError(f"model.lr={lr!r} must be > 0 (Adam learning rate)")
        if not float(l2) >= 0:
            raise ValueError(f"model.l2={l2!r} must be >= 0 (weight of the ego embeddings' L2)")
        if not isinstance(l2_squared, bool):
            raise ValueError(f"model.l2_squared={l2_squared!r} must be true or false")
        check_negatives(negatives)
        self.save_hyperparameters()
        self.user_embedding = nn.Embedding(n_users, embedding_dim)
        self.item_embedding = nn.Embedding(n_items, embedding_dim)
        nn.init.xavier_uniform_(self.user_embedding.weight)
        nn.init.xavier_uniform_(self.item_embedding.weight)
        self.graph: Graph | None = None
        self.sampler: NegativeSampler | None = None
        self._final: tuple[Tensor, Tensor] | None = None

    def prepare(self, data: TrainingData) -> None:
        if data.matrix.shape != (self.n_users, self.n_items):
            raise ValueError(
                f"LightGCN got a {data.matrix.shape} training matrix for "
                f"n_users={self.n_users}, n_items={self.n_items}"
            )
        self.graph = Graph(normalized_adjacency(data.matrix))
        self.sampler = NEGATIVE_SAMPLERS[self.hparams.negatives].from_data(data)
        self._final = None

    def _need(self, what: Any, name: str) -> Any:
        if what is None:
            raise RuntimeError(
                f"LightGCN has no {name}: call prepare(data) before fitting or scoring "
                "(bench.rankers.prepare_ranker; the runner and fit_ranker do)"
            )
        return what

    def propagate(self) -> tuple[Tensor, Tensor]:
        """The final ``[n_users, d]`` and ``[n_items, d]`` embeddings (mean of layers 0..L)."""
        graph: Graph = self._need(self.graph, "graph")
        layer = torch.cat([self.user_embedding.weight, self.item_embedding.weight])
        total = layer
        for _ in range(self.hparams.n_layers):
            layer = _Propagate.apply(graph, layer)
            total = total + layer
        if self.hparams.n_layers:
            total = total / (self.hparams.n_layers + 1)
        return total[: self.n_users], total[self.n_users :]

    forward = propagate

    def training_step(self, batch: InteractionBatch, batch_idx: int) -> Tensor:
        self._final = None
        negatives = step_negatives(self.sampler, self, batch.users, batch_idx)
        users, items = self.propagate()
        u = users[batch.users]
        i, j = items[batch.items], items[negatives]
        diff = (u * i).sum(-1) - (u * j).sum(-1)
        loss = -nn.functional.logsigmoid(diff).mean()
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(batch))
        if self.hparams.l2:
            ego = (
                self.user_embedding(batch.users),
                self.item_embedding(batch.items),
                self.item_embedding(negatives),
            )
            if self.hparams.l2_squared:
                penalty = sum(e.pow(2).sum() for e in ego) / (2 * len(batch))
            else:
                penalty = sum(torch.linalg.vector_norm(e) for e in ego) / len(batch)
            loss = loss + self.hparams.l2 * penalty
        return loss

    def on_train_epoch_start(self) -> None:
        self._final = None

    def load_state_dict(self, *args: Any, **kwargs: Any) -> Any:
        self._final = None
        return super().load_state_dict(*args, **kwargs)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)

    def before_scoring(self) -> None:
        """Propagate once for the whole evaluation (kept until training resumes)."""
        with torch.no_grad():
            users, items = self.propagate()
        self._final = (users.detach(), items.detach())

    def score(self, batch: UserBatch) -> Tensor:
        if self._final is None:
            self.before_scoring()
        users, items = self._final  # type: ignore[misc]
        return users[batch.users] @ items.T

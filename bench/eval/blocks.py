"""Rank a batch block by block in one reused buffer; find the gains of the listed items.

Memory stays at one ``[block rows, n_items]`` buffer however large the batch: the scores of a
block are copied in (the protocol removes items there) and ranked. How a batch is cut into
blocks and ranked depends on the device (:func:`block_policy`; results do not):

- ``"cache"`` (CPU): blocks of about ``block_elements`` scores, which stay in the CPU cache,
  ranked side by side in threads with :func:`bench.eval.topk.rank_block` (candidate groups,
  data-dependent shapes); then the block's targets are marked in the same buffer (NaN) and one
  gather tells which listed items are relevant.
- ``"device"`` (GPU and other accelerators): blocks as large as free device memory allows
  (normally the whole batch, :func:`device_block_rows`), ranked with fixed-shape operations
  only (:func:`rank_fixed`, :func:`gains_fixed`: no ``nonzero``, no ``.item()``, no boolean
  indexing), so the block loop never waits for the device; a NaN check runs once per batch.

Example:
    >>> import torch
    >>> from bench.eval.protocol import FullRanking
    >>> from bench.eval.sparse import RowSets
    >>> targets = RowSets(torch.tensor([0, 1]), torch.tensor([2]), torch.tensor([3.0]), 4)
    >>> ranker = BlockRanker(n_items=4, k=2)
    >>> values, items, gains = ranker.rank(
    ...     FullRanking(), torch.tensor([[0.1, 0.4, 0.3, 0.2]]), torch.tensor([0]),
    ...     torch.tensor([9]), targets, seen=None)
    >>> items.tolist(), gains.tolist()
    ([[1, 2]], [[0.0, 3.0]])
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import torch
from torch import Tensor

from bench.eval.protocol import RankingProtocol, flat_keys, flat_view
from bench.eval.sparse import RowSets
from bench.eval.topk import _raise_on_nan, padded_width, rank_block

GROUP = 32  # items per group in the top-k candidate search (see bench.eval.topk)
#: Block policies: ``"cache"`` (CPU-cache-sized blocks) and ``"device"`` (memory-bounded
#: blocks, fixed-shape ranking without host syncs).
POLICIES: tuple[str, ...] = ("cache", "device")
#: Device-policy memory per score of a block, beyond the score itself: the ranking's
#: temporaries (int32 keys and products, two boolean masks) with some headroom.
DEVICE_TEMP_BYTES = 16
#: Share of the device's free memory a device-policy block may use.
DEVICE_MEMORY_SHARE = 0.5
#: Memory bound of a device-policy block where free memory cannot be asked (not CUDA).
DEVICE_FALLBACK_BYTES = 1 << 30


def block_policy(device: torch.device | str) -> str:
    """``"cache"`` on a CPU, ``"device"`` on any accelerator (CUDA, MPS, ...).

    Example:
        >>> block_policy("cpu"), block_policy("cuda:0")
        ('cache', 'device')
    """
    return "cache" if torch.device(device).type == "cpu" else "device"


def device_block_rows(
    n_rows: int, width: int, like: Tensor, budget_bytes: int | None = None
) -> int:
    """Rows per device-policy block: all ``n_rows`` unless the block and its temporaries
    would exceed ``budget_bytes`` (default: :data:`DEVICE_MEMORY_SHARE` of the device's free
    memory, counting memory torch's allocator holds but does not use).

    Example:
        >>> device_block_rows(4096, 27_000, torch.zeros(1), budget_bytes=20 * 27_000 * 1000)
        1000
    """
    if budget_bytes is None:
        if like.device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(like.device)
            cached = torch.cuda.memory_reserved(like.device)
            cached -= torch.cuda.memory_allocated(like.device)
            budget_bytes = int((free + cached) * DEVICE_MEMORY_SHARE)
        else:
            budget_bytes = DEVICE_FALLBACK_BYTES
    per_row = width * (like.element_size() + DEVICE_TEMP_BYTES)
    return max(1, min(n_rows, budget_bytes // per_row))


class BlockRanker:
    """Top-``k`` lists and their gains for batches of users, in blocks of bounded size.

    Args:
        n_items: catalogue size.
        k: list length (the largest cutoff).
        block_elements: scores per block (memory: one buffer of this many scores per worker).
        workers: CPU threads ranking blocks side by side (default: ``torch.get_num_threads()``;
            each runs torch single-threaded, which beats intra-op threading on these
            millisecond-sized ops). Results do not depend on it.
        policy: ``"cache"`` or ``"device"`` (:data:`POLICIES`); default ``None`` picks by the
            scores' device (:func:`block_policy`). ``block_elements`` and ``workers`` apply to
            ``"cache"``; ``device_bytes`` (default: from free device memory) bounds a
            ``"device"`` block. Results do not depend on them.
    """

    def __init__(
        self,
        n_items: int,
        k: int,
        block_elements: int = 1 << 21,
        workers: int | None = None,
        *,
        policy: str | None = None,
        device_bytes: int | None = None,
    ) -> None:
        if policy is not None and policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES} or None, got {policy!r}")
        self.n_items, self.k = n_items, k
        self.width = padded_width(n_items, GROUP)
        self.step = max(1, block_elements // self.width)
        self.workers = workers
        self.policy, self.device_bytes = policy, device_bytes
        self._buffers: dict[int, Tensor] = {}

    def _buffer(self, like: Tensor, rows: int, slot: int = 0) -> Tensor:
        """Worker ``slot``'s buffer of at least ``rows`` rows; its padding columns stay -inf
        for its lifetime."""
        buffer = self._buffers.get(slot)
        if (
            buffer is None
            or buffer.dtype != like.dtype
            or buffer.device != like.device
            or buffer.shape[0] < rows
        ):
            buffer = self._buffers[slot] = like.new_full((rows, self.width), float("-inf"))
        return buffer

    def _n_workers(self, scores: Tensor, n_blocks: int) -> int:
        """CPU blocks run in parallel threads (one torch thread each); accelerators use one."""
        if scores.device.type != "cpu" or n_blocks < 2:
            return 1
        wanted = self.workers if self.workers is not None else torch.get_num_threads()
        return max(1, min(wanted, n_blocks))

    def rank(
        self,
        protocol: RankingProtocol,
        scores: Tensor,
        rows: Tensor,
        users: Tensor,
        targets: RowSets,
        seen: RowSets | None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``[len(rows), k]`` scores, items (``-1``: none) and float64 gains of the lists.

        Args:
            protocol: writes each block's scores and removes items (``-inf``).
            scores: ``[batch, n_items]`` (not modified); ``rows`` selects and orders the
                rows to rank, ``users``/``targets``/``seen`` describe those rows.
        """
        n = rows.numel()
        policy = self.policy or block_policy(scores.device)
        all_rows = n == scores.shape[0]  # then rows == arange: slicing avoids a gather
        width = min(self.k, self.n_items)
        values = scores.new_full((n, self.k), float("-inf"))
        items = torch.full((n, self.k), -1, dtype=torch.int64, device=scores.device)
        gains = torch.zeros((n, self.k), dtype=torch.float64, device=scores.device)
        if policy == "device":
            step = device_block_rows(n, self.width, scores, self.device_bytes)
            self._rank_device(protocol, scores, rows, users, targets, seen, step, all_rows,
                              (values, items, gains))  # fmt: skip
            items.masked_fill_(values == float("-inf"), -1)  # nothing retrieved there
            return values, items, gains
        binary = bool((targets.values == 1.0).all())
        step = self.step

        def rank_blocks(slot: int, starts: range) -> None:
            block_buffer = self._buffer(scores, min(step, n), slot)
            for start in starts:
                stop = min(n, start + step)
                block = block_buffer[: stop - start]
                block_targets = targets.slice(start, stop)
                protocol.fill(
                    block[:, : self.n_items],
                    scores,
                    slice(start, stop) if all_rows else rows[start:stop],
                    users[start:stop],
                    block_targets,
                    None if seen is None else seen.slice(start, stop),
                )
                top_values, top_items = rank_block(block, self.n_items, self.k, GROUP)
                values[start:stop, :width], items[start:stop, :width] = top_values, top_items
                gains[start:stop, :width] = _gains(
                    block, top_values, top_items, block_targets, binary
                )

        starts = range(0, n, step)
        n_workers = self._n_workers(scores, len(starts))
        if n_workers == 1:
            rank_blocks(0, starts)
        else:  # blocks write disjoint rows of the outputs; each thread owns one buffer
            _run_threads(rank_blocks, [starts[i::n_workers] for i in range(n_workers)])
        items.masked_fill_(values == float("-inf"), -1)  # nothing retrieved there
        return values, items, gains

    def _rank_device(
        self,
        protocol: RankingProtocol,
        scores: Tensor,
        rows: Tensor,
        users: Tensor,
        targets: RowSets,
        seen: RowSets | None,
        step: int,
        all_rows: bool,
        out: tuple[Tensor, Tensor, Tensor],
    ) -> None:
        """The ``"device"`` policy: blocks of ``step`` rows, fixed-shape ops, no host sync
        inside the loop (row bounds of the sparse sets are read once, before it)."""
        values, items, gains = out
        n = rows.numel()
        width = min(self.k, self.n_items)
        leading = scores.new_empty(n)  # each row's best score: NaN there means NaN scores
        block_buffer = self._buffer(scores, min(step, n))
        several = n > step
        target_bounds = targets.indptr.cpu() if several else None  # one sync per batch
        seen_bounds = seen.indptr.cpu() if several and seen is not None else None
        for start in range(0, n, step):
            stop = min(n, start + step)
            block = block_buffer[: stop - start]
            block_targets = targets.slice(start, stop, target_bounds) if several else targets
            block_seen = seen
            if several and seen is not None:
                block_seen = seen.slice(start, stop, seen_bounds)
            protocol.fill(
                block[:, : self.n_items],
                scores,
                slice(start, stop) if all_rows else rows[start:stop],
                users[start:stop],
                block_targets,
                block_seen,
            )
            top_values, top_items, leading[start:stop] = rank_fixed(block, self.n_items, self.k)
            values[start:stop, :width], items[start:stop, :width] = top_values, top_items
            gains[start:stop, :width] = gains_fixed(top_values, top_items, block_targets)
        _raise_on_nan(leading)  # the one host sync of the ranking


def rank_fixed(block: Tensor, n_cols: int, k: int) -> tuple[Tensor, Tensor, Tensor]:
    """Top ``min(k, n_cols)`` of each row of a block with fixed-shape operations only, and
    each row's leading score (NaN where the row holds a NaN; the caller checks).

    The same lists as :func:`bench.eval.topk.rank_block` (score descending, then the lower
    item index): the ``k``-th best score ``t`` of each row (``torch.topk`` values, whose ties
    do not matter) splits the row into items above ``t``, all in the list, and items equal to
    ``t``, of which the lowest-indexed fill the rest. One more ``topk``, on integer keys that
    are distinct for those items (above ``t``: ``2 n - i``; equal to ``t``: ``n - i``; below:
    0), picks exactly them, and a stable sort orders them. Rows
    holding NaN give arbitrary lists (``torch.topk`` ranks NaN first: the leading score).

    Example:
        >>> values, items, _ = rank_fixed(torch.tensor([[0.5, 0.75, 0.5, 0.5]]), 4, 3)
        >>> items.tolist(), values.tolist()
        ([[1, 0, 2]], [[0.75, 0.5, 0.5]])
    """
    scores = block[:, :n_cols]
    k = min(k, n_cols)
    best = torch.topk(scores, k, dim=1).values  # NaN first
    kth = best[:, k - 1 :]
    descending = torch.arange(n_cols, 0, -1, dtype=torch.int32, device=block.device)
    key = torch.where(scores > kth, descending + n_cols, (scores == kth) * descending)
    picked = torch.topk(key, k, dim=1).indices  # above t, then tied at t; by ascending index
    picked_values = scores.gather(1, picked)
    order = torch.sort(picked_values + 0.0, dim=1, descending=True, stable=True).indices
    return picked_values.gather(1, order), picked.gather(1, order), best[:, 0]


def gains_fixed(values: Tensor, items: Tensor, targets: RowSets) -> Tensor:
    """Float64 gains of the listed items (0 where not relevant or nothing is listed), looked
    up with one ``searchsorted`` in the targets' sorted ``row * n_cols + item`` keys.

    Example:
        >>> from bench.eval.sparse import RowSets
        >>> targets = RowSets(torch.tensor([0, 2]), torch.tensor([1, 3]),
        ...                   torch.tensor([2.0, 1.0]), 4)
        >>> gains_fixed(torch.tensor([[0.9, 0.5, -float("inf")]]),
        ...             torch.tensor([[3, 2, 0]]), targets).tolist()
        [[1.0, 0.0, 0.0]]
    """
    keys = targets.flat_keys()
    if keys.numel() == 0:
        return torch.zeros(values.shape, dtype=torch.float64, device=values.device)
    row = torch.arange(values.shape[0], device=values.device).unsqueeze(1)
    query = row * targets.n_cols + items.clamp_min(0)
    position = torch.searchsorted(keys, query).clamp_max(keys.numel() - 1)
    found = (keys[position] == query) & (values > float("-inf"))
    return torch.where(found, targets.values[position].to(torch.float64), 0.0)


def _run_threads(work: Callable[[int, range], None], chunks: list[range]) -> None:
    """Run ``work(slot, chunk)`` for every chunk in its own thread, torch single-threaded.

    Grad and inference modes are thread-local in torch: the workers take the caller's (under
    Lightning's validation the outputs are inference tensors, writable only in inference mode).
    """
    threads = torch.get_num_threads()
    inference, grad = torch.is_inference_mode_enabled(), torch.is_grad_enabled()

    def in_callers_mode(slot: int, chunk: range) -> None:
        with torch.inference_mode(inference), torch.set_grad_enabled(grad):
            work(slot, chunk)

    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            for future in [pool.submit(in_callers_mode, i, c) for i, c in enumerate(chunks)]:
                future.result()
    finally:
        torch.set_num_threads(threads)


def _gains(block: Tensor, values: Tensor, items: Tensor, targets: RowSets, binary: bool) -> Tensor:
    """Gains of the listed items, marking the targets in the (already ranked) score buffer."""
    flat_view(block).scatter_(0, flat_keys(block, targets), float("nan"))
    hit = block.gather(1, items.clamp_min(0)).isnan() & (values > float("-inf"))
    if binary:
        return hit.to(torch.float64)
    rows, ranks = torch.nonzero(hit, as_tuple=True)  # graded: look up the hits' gains
    position = torch.searchsorted(targets.flat_keys(), rows * targets.n_cols + items[rows, ranks])
    gains = torch.zeros(values.shape, dtype=torch.float64, device=values.device)
    gains[rows, ranks] = targets.values[position].to(torch.float64)
    return gains

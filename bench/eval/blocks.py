"""Rank a batch block by block in one reused buffer; find the gains of the listed items.

Memory stays at one ``[block rows, n_items]`` buffer however large the batch: the scores of a
block are copied in (the protocol removes items there) and ranked with
:func:`bench.eval.topk.rank_block`; then the scores are no longer needed, so the block's targets
are marked in the same buffer (NaN) and one gather tells which listed items are relevant.

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
from bench.eval.topk import padded_width, rank_block

GROUP = 32  # items per group in the top-k candidate search (see bench.eval.topk)


class BlockRanker:
    """Top-``k`` lists and their gains for batches of users, in blocks of bounded size.

    Args:
        n_items: catalogue size.
        k: list length (the largest cutoff).
        block_elements: scores per block (memory: one buffer of this many scores per worker).
        workers: CPU threads ranking blocks side by side (default: ``torch.get_num_threads()``;
            each runs torch single-threaded, which beats intra-op threading on these
            millisecond-sized ops). Results do not depend on it.
    """

    def __init__(
        self, n_items: int, k: int, block_elements: int = 1 << 21, workers: int | None = None
    ) -> None:
        self.n_items, self.k = n_items, k
        self.width = padded_width(n_items, GROUP)
        self.step = max(1, block_elements // self.width)
        self.workers = workers
        self._buffers: dict[int, Tensor] = {}

    def _buffer(self, like: Tensor, rows: int, slot: int = 0) -> Tensor:
        """Worker ``slot``'s score buffer; its padding columns stay -inf for its lifetime."""
        rows = min(self.step, rows)
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
        binary = bool((targets.values == 1.0).all())
        all_rows = n == scores.shape[0]  # then rows == arange: slicing avoids a gather
        width = min(self.k, self.n_items)
        values = scores.new_full((n, self.k), float("-inf"))
        items = torch.full((n, self.k), -1, dtype=torch.int64, device=scores.device)
        gains = torch.zeros((n, self.k), dtype=torch.float64, device=scores.device)

        def rank_blocks(slot: int, starts: range) -> None:
            block_buffer = self._buffer(scores, n, slot)
            for start in starts:
                stop = min(n, start + self.step)
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

        starts = range(0, n, self.step)
        n_workers = self._n_workers(scores, len(starts))
        if n_workers == 1:
            rank_blocks(0, starts)
        else:  # blocks write disjoint rows of the outputs; each thread owns one buffer
            _run_threads(rank_blocks, [starts[i::n_workers] for i in range(n_workers)])
        items.masked_fill_(values == float("-inf"), -1)  # nothing retrieved there
        return values, items, gains


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

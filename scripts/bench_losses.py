"""Full softmax cross-entropy speed: the blocked ``linear_cross_entropy`` against logits + PyTorch.

The peers (RecBole's SASRec with ``loss_type=CE``, Klenitskiy & Vasilev's SASRec+, and this
project before the blocked loss) compute ``F.cross_entropy(states @ items.T, targets)``: the
whole ``[positions, n_items]`` logit matrix is written, soft-maxed, kept for the backward pass,
and a zero-filled gradient of the same size is built. ``bench.rankers.losses.linear_cross_entropy``
gives the same value and gradients a block of rows at a time, while the block is in cache.

Each problem is one training step's loss (forward and backward), with the positions and
catalogue of a real configuration (random states and item embeddings of width 64):

- ``ml-1m sasrec``: 128 users, about 110 targets each (the ML-1M histories capped at 200
  positions), 3,416 items;
- ``ml-1m bert4rec``: the same users with 20% of the positions masked, 3,416 items;
- ``beauty sasrec``: 128 users of S3-Rec's Beauty (about 6 targets each), 12,101 items;
- ``ml-20m-like``: 128 users x 200 positions over 20,000 items (a larger catalogue).

Values and gradients are compared (largest absolute difference printed); times are medians of
``--repeats`` runs after one warm-up, on ``--threads`` torch threads.

Then one whole training step (forward, loss, backward; no optimiser) of the three sequential
models in their ML-1M configurations (``conf/experiment/*_ml1m.yaml``) on a batch of 128 random
histories of 20 to 200 items, with the peers' loss swapped in and with ours: what the loss is
worth in an epoch (48 such steps on ML-1M).

Usage:
    python scripts/bench_losses.py                 # 1 thread, 5 repeats
    python scripts/bench_losses.py --threads 2 --repeats 9
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from unittest import mock

import torch
from torch.nn import functional as F

from baselines.bert4rec import BERT4Rec
from baselines.gru4rec import GRU4Rec
from baselines.sasrec import SASRec
from bench.rankers import SequenceBatch
from bench.rankers.losses import linear_cross_entropy

PROBLEMS = {  # name: (positions per step, catalogue size)
    "ml-1m sasrec": (14_000, 3_416),
    "ml-1m bert4rec": (2_800, 3_416),
    "beauty sasrec": (750, 12_101),
    "ml-20m-like": (25_600, 20_000),
}


def logits_path(states: torch.Tensor, items: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The peers' loss: every logit materialised, then PyTorch's cross-entropy."""
    return F.cross_entropy(states @ items.T, targets)


def timed_step(
    loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    states: torch.Tensor,
    items: torch.Tensor,
    targets: torch.Tensor,
) -> tuple[float, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Seconds for one forward + backward, with the loss and both gradients."""
    s, w = states.clone().requires_grad_(), items.clone().requires_grad_()
    start = time.perf_counter()
    loss = loss_fn(s, w, targets)
    loss.backward()
    return time.perf_counter() - start, loss.detach(), s.grad, w.grad


def run(positions: int, n_items: int, repeats: int, seed: int) -> dict[str, float]:
    """Median seconds of one loss step (forward and backward) on both sides, and the largest
    differences of the loss and the gradients between them."""
    generator = torch.Generator().manual_seed(seed)
    states = torch.randn(positions, 64, generator=generator)
    items = torch.randn(n_items, 64, generator=generator) * 0.1
    targets = torch.randint(0, n_items, (positions,), generator=generator)
    times: dict[str, list[float]] = {"logits": [], "blocked": []}
    outputs = {}
    for _ in range(repeats + 1):  # the first round warms up
        for label, fn in (("logits", logits_path), ("blocked", linear_cross_entropy)):
            seconds, *outputs[label] = timed_step(fn, states, items, targets)
            times[label].append(seconds)
    (ref_loss, ref_s, ref_w), (loss, grad_s, grad_w) = outputs["logits"], outputs["blocked"]
    return {
        "logits_s": statistics.median(times["logits"][1:]),
        "blocked_s": statistics.median(times["blocked"][1:]),
        "loss_diff": abs(float(loss - ref_loss)),
        "grad_diff": max(float((grad_s - ref_s).abs().max()), float((grad_w - ref_w).abs().max())),
    }


ML1M_USERS, ML1M_ITEMS = 6_040, 3_416
STEP_MODELS = {  # the ML-1M experiments' architectures
    "sasrec": lambda: SASRec(
        ML1M_USERS, ML1M_ITEMS, dropout=0.1, block="sasrec", positions="from_start"
    ),
    "gru4rec": lambda: GRU4Rec(ML1M_USERS, ML1M_ITEMS),
    "bert4rec": lambda: BERT4Rec(ML1M_USERS, ML1M_ITEMS),
}
# where each model looks the loss up: the peers' loss is patched in there
LOSS_SITES = (
    "bench.rankers.next_item.linear_cross_entropy",
    "baselines.bert4rec.linear_cross_entropy",
)


def ml1m_batch(model_name: str, seed: int, users: int = 128, width: int = 200) -> SequenceBatch:
    """128 left-padded random histories of 20 to 200 items; next-item targets at every real
    position, or (BERT4Rec) 20% of the positions masked."""
    generator = torch.Generator().manual_seed(seed)
    pad = ML1M_ITEMS
    lengths = torch.randint(20, width + 1, (users,), generator=generator)
    real = torch.arange(width)[None, :] >= (width - lengths)[:, None]
    items = torch.randint(0, ML1M_ITEMS, (users, width + 1), generator=generator)
    if model_name == "bert4rec":
        masked = real & (torch.rand(users, width, generator=generator) < 0.2)
        inputs = torch.where(masked, ML1M_ITEMS + 1, items[:, :-1]).masked_fill(~real, pad)
        targets = items[:, :-1].masked_fill(~masked, pad)
    else:
        inputs = items[:, :-1].masked_fill(~real, pad)
        targets = items[:, 1:].masked_fill(~real, pad)
    return SequenceBatch(torch.arange(users), inputs, targets, pad=pad)


def time_training_steps(model_name: str, repeats: int, seed: int) -> dict[str, float]:
    """Median seconds of one training step with the peers' loss and with ours."""
    torch.manual_seed(seed)
    model = STEP_MODELS[model_name]().train()
    batch = ml1m_batch(model_name, seed)

    def step() -> float:
        model.zero_grad(set_to_none=True)
        start = time.perf_counter()
        model.training_loss(batch).backward()
        return time.perf_counter() - start

    def peers_loss(states, items, targets, block_elements=None):
        return logits_path(states, items, targets)

    times: dict[str, list[float]] = {"logits": [], "blocked": []}
    for _ in range(repeats + 1):
        with mock.patch(LOSS_SITES[0], peers_loss), mock.patch(LOSS_SITES[1], peers_loss):
            times["logits"].append(step())
        times["blocked"].append(step())
    return {label: statistics.median(values[1:]) for label, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per side (median)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), median of {args.repeats}")
    header = f"{'problem':<16}{'positions':>10}{'items':>8}{'logits+F.ce s':>15}"
    print(f"{header}{'blocked s':>11}{'speed-up':>10}{'|Δ loss|':>11}{'|Δ grad|':>11}")
    for name, (positions, n_items) in PROBLEMS.items():
        r = run(positions, n_items, args.repeats, args.seed)
        print(
            f"{name:<16}{positions:>10,}{n_items:>8,}{r['logits_s']:>15.3f}{r['blocked_s']:>11.3f}"
            f"{r['logits_s'] / r['blocked_s']:>9.2f}x{r['loss_diff']:>11.1e}{r['grad_diff']:>11.1e}"
        )
    print(
        "\none ML-1M training step (batch 128, length 200), seconds; s / epoch: saved over 48 steps"
    )
    print(f"{'model':<16}{'logits+F.ce s':>15}{'blocked s':>11}{'speed-up':>10}{'s / epoch':>11}")
    for model_name in STEP_MODELS:
        r = time_training_steps(model_name, args.repeats, args.seed)
        saved = 48 * (r["logits"] - r["blocked"])
        print(
            f"{model_name:<16}{r['logits']:>15.3f}{r['blocked']:>11.3f}"
            f"{r['logits'] / r['blocked']:>9.2f}x{saved:>11.1f}"
        )


if __name__ == "__main__":
    main()

"""BERT4Rec speed: the last Transformer block on the read positions only, against every position.

BERT4Rec's loss reads the hidden states at the masked positions only (about a fifth of the real
positions), and scoring reads the last position only. The peers (RecBole's BERT4Rec, Klenitskiy &
Vasilev's Hugging Face BERT, and this project before ``encode(inputs, read=...)``) run every
block on every position and select afterwards. ``baselines.bert4rec.BERT4Rec`` runs the last
block's queries, residuals and feed-forward on the read positions only (keys and values still
come from every position): the same states and gradients, less work.

Measured on the ML-1M experiment's configuration (``conf/experiment/bert4rec_ml1m.yaml``: 2
blocks, width 64, 2 heads, 200 positions, 3,416 items), on 128 random histories of 20 to 200
items (the batch of ``scripts/bench_losses.py``, 20% of the real positions masked):

- one training step: forward, the blocked full-softmax loss, backward (no optimiser);
- scoring 256 users with 200-item histories (no gradients), the evaluation's work.

Both sides use the same model and loss, with dropout off for the printed differences (largest
absolute difference of the loss, the gradients and the scores) and on (0.1, as trained) for the
times, medians of ``--repeats`` runs after one warm-up on ``--threads`` torch threads.

Usage:
    python scripts/bench_bert4rec.py                 # 1 thread, 5 repeats
    python scripts/bench_bert4rec.py --threads 2 --repeats 9
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from baselines.bert4rec import BERT4Rec
from bench.rankers import SequenceBatch
from bench.rankers.losses import linear_cross_entropy

ML1M_USERS, ML1M_ITEMS, WIDTH = 6_040, 3_416, 200


def masked_batch(seed: int, users: int = 128, width: int = WIDTH) -> SequenceBatch:
    """``users`` left-padded random histories of 20 to ``width`` items with 20% of the real
    positions masked (at least one per row): BERT4Rec's cloze training batch."""
    generator = torch.Generator().manual_seed(seed)
    pad, mask_token = ML1M_ITEMS, ML1M_ITEMS + 1
    lengths = torch.randint(20, width + 1, (users,), generator=generator)
    real = torch.arange(width)[None, :] >= (width - lengths)[:, None]
    items = torch.randint(0, ML1M_ITEMS, (users, width), generator=generator)
    masked = real & (torch.rand(users, width, generator=generator) < 0.2)
    masked[:, -1] |= ~masked.any(1)
    inputs = torch.where(masked, mask_token, items).masked_fill(~real, pad)
    return SequenceBatch(torch.arange(users), inputs, items.masked_fill(~masked, pad), pad=pad)


def loss_every_position(model: BERT4Rec, batch: SequenceBatch) -> torch.Tensor:
    """The peers' way: every block on every position, then the masked rows selected."""
    keep = batch.has_target
    items = model.item_embedding.weight[: model.n_items]
    return linear_cross_entropy(model.encode(batch.inputs)[keep], items, batch.targets[keep])


def loss_read_positions(model: BERT4Rec, batch: SequenceBatch) -> torch.Tensor:
    """Ours: :meth:`BERT4Rec.training_loss` (the last block on the masked rows only)."""
    return model.training_loss(batch)


def scores_every_position(model: BERT4Rec, inputs: torch.Tensor) -> torch.Tensor:
    return model.encode(inputs)[:, -1] @ model.item_embedding.weight[: model.n_items].T


def scores_read_positions(model: BERT4Rec, inputs: torch.Tensor) -> torch.Tensor:
    read = torch.zeros_like(inputs, dtype=torch.bool)
    read[:, -1] = True
    return model.encode(inputs, read=read) @ model.item_embedding.weight[: model.n_items].T


def _median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def compare(seed: int = 0, repeats: int = 5, users: int = 128, score_users: int = 256,
            width: int = WIDTH) -> dict[str, float]:  # fmt: skip
    """Seconds of a training step and of scoring on both sides, and the largest differences
    between them (dropout off)."""
    torch.manual_seed(seed)
    model = BERT4Rec(ML1M_USERS, ML1M_ITEMS, max_len=width, dropout=0.0)
    batch = masked_batch(seed, users, width)
    generator = torch.Generator().manual_seed(seed + 1)
    histories = torch.randint(0, ML1M_ITEMS, (score_users, width), generator=generator)
    histories[:, -1] = model.mask_token

    def loss_and_grads(loss_of) -> tuple[torch.Tensor, list[torch.Tensor]]:
        model.zero_grad(set_to_none=True)
        loss = loss_of(model, batch)
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in model.parameters() if p.grad is not None]

    loss_a, grads_a = loss_and_grads(loss_every_position)
    loss_b, grads_b = loss_and_grads(loss_read_positions)
    with torch.no_grad():
        model.eval()
        score_diff = (scores_every_position(model, histories)
                      - scores_read_positions(model, histories)).abs().max()  # fmt: skip
    result = {
        "loss_diff": float((loss_a - loss_b).abs()),
        "grad_diff": max(float((a - b).abs().max()) for a, b in zip(grads_a, grads_b, strict=True)),
        "score_diff": float(score_diff),
    }
    for module in model.modules():  # time as trained: dropout 0.1
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.1
        if isinstance(module, torch.nn.MultiheadAttention):
            module.dropout = 0.1
    sides = {"train_every": loss_every_position, "train_read": loss_read_positions}
    for label, loss_of in sides.items():
        model.train()
        result[label] = _median_seconds(lambda f=loss_of: loss_and_grads(f), repeats)
    model.eval()
    scorers = {"score_every": scores_every_position, "score_read": scores_read_positions}
    for label, score in scorers.items():
        with torch.no_grad():
            result[label] = _median_seconds(lambda f=score: f(model, histories), repeats)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per side (median)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), median of {args.repeats}")
    r = compare(args.seed, args.repeats)
    print(f"{'ML-1M BERT4Rec':<26}{'every position s':>18}{'read positions s':>18}{'speed-up':>10}")
    for label, key in (("training step (128 users)", "train"), ("scoring (256 users)", "score")):
        every, read = r[f"{key}_every"], r[f"{key}_read"]
        print(f"{label:<26}{every:>18.3f}{read:>18.3f}{every / read:>9.2f}x")
    print(f"48 steps an epoch: {48 * r['train_every']:.1f} s -> {48 * r['train_read']:.1f} s")
    print(f"|Δ loss| {r['loss_diff']:.1e}  |Δ grad| {r['grad_diff']:.1e}  "
          f"|Δ score| {r['score_diff']:.1e}  (dropout off)")  # fmt: skip


if __name__ == "__main__":
    main()

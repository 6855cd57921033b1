"""Masked-item training sequences (BERT4Rec's cloze input): layout, masking statistics, the
last-item-only rows, seeding by (seed, epoch, step, rank), and the data module's keyed
batches."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from bench.rankers import RankDataModule, SequenceBatch
from bench.rankers.samplers import ShuffledBatches
from bench.rankers.sequences import BatchKey, KeyedBatches, MaskedItemSequences
from bench.split import Split

N_ITEMS = 50
PAD, MASK = N_ITEMS, N_ITEMS + 1


def _rows(lengths: list[int], max_len: int = 8, **kwargs: object) -> MaskedItemSequences:
    """Users with the given numbers of training items; user ``u``'s items are
    ``(u + j) % N_ITEMS``."""
    items = np.concatenate(
        [(u + np.arange(n)) % N_ITEMS for u, n in enumerate(lengths)] or [np.zeros(0)]
    )
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    return MaskedItemSequences(indptr, items.astype(np.int64), N_ITEMS, max_len, **kwargs)


def _all(rows: MaskedItemSequences, **key: int) -> SequenceBatch:
    return rows(BatchKey(np.arange(len(rows)), **key))


def test_masked_positions_hold_the_token_and_the_hidden_item() -> None:
    rows = _rows([3, 0, 12], max_len=8, mask_prob=0.5)
    assert rows.users.tolist() == [0, 2]  # user 1 has no training item
    batch = _all(rows)
    plain = np.array([[PAD] * 5 + [0, 1, 2], [6, 7, 8, 9, 10, 11, 12, 13]])  # last 8 items
    inputs, targets = batch.inputs.numpy(), batch.targets.numpy()
    hidden = inputs == MASK
    assert np.array_equal(targets[hidden], plain[hidden])  # the target is the hidden item
    assert np.array_equal(inputs[~hidden], plain[~hidden])  # the rest is unchanged
    assert (targets[~hidden] == PAD).all() and batch.pad == PAD
    assert np.array_equal(batch.has_target.numpy(), hidden)
    assert not hidden[0, :5].any()  # padding is never masked


def test_about_mask_prob_of_the_real_positions_and_one_target_per_row() -> None:
    lengths = [int(n) for n in np.random.default_rng(0).integers(1, 40, size=2000)]
    rows = _rows(lengths, max_len=30, mask_prob=0.2)
    batch = _all(rows, epoch=3, step=1)
    real = batch.inputs != PAD
    hidden = batch.inputs == MASK
    assert not bool((hidden & ~real).any())
    assert bool(hidden.any(1).all())  # every row trains something
    share = float(hidden.sum()) / float(real.sum())
    # Bernoulli(0.2) over ~31,000 real positions, plus one forced mask in each row where none was
    # drawn (0.8^n: most often in short rows): 0.2 + sum_rows 0.8^n / total ~ 0.205
    assert 0.195 < share < 0.215, share
    long_rows = real.sum(1) == 30  # no forced masks matter here: 0.8^30 ~ 0.001
    long_share = float(hidden[long_rows].sum()) / float(real[long_rows].sum())
    assert abs(long_share - 0.2) < 0.01, long_share
    one_item = real.sum(1) == 1  # a single item is always the one hidden
    assert bool(one_item.any()) and bool((hidden[one_item].sum(1) == 1).all())


def test_rows_that_mask_only_their_last_item() -> None:
    always = _all(_rows([5, 9, 2], mask_last_prob=1.0))
    assert always.inputs[:, -1].tolist() == [MASK] * 3
    assert always.targets[:, -1].tolist() == [4, 9, 3]  # each user's last training item
    assert int(always.has_target.sum()) == 3
    rows = _rows([20] * 4000, max_len=20, mask_prob=0.2, mask_last_prob=0.25)
    hidden = _all(rows).inputs == MASK
    last_only = (hidden.sum(1) == 1) & hidden[:, -1]
    # 0.25 of the rows, plus the Bernoulli rows that happen to draw only the last position
    assert abs(float(last_only.float().mean()) - 0.25) < 0.03
    with pytest.raises(ValueError, match=r"^mask_last_prob=1\.5 must be a probability"):
        _rows([3], mask_last_prob=1.5)
    with pytest.raises(ValueError, match=r"^mask_prob=0 must be a probability in \(0, 1\]"):
        _rows([3], mask_prob=0)


def test_draws_are_seeded_by_seed_epoch_step_and_rank() -> None:
    def draw(seed: int = 0, **key: int) -> list[list[int]]:
        return _all(_rows([15] * 20, max_len=12, seed=seed), **key).inputs.tolist()

    base = draw(epoch=1, step=2, rank=0)
    assert draw(epoch=1, step=2, rank=0) == base
    others = [draw(epoch=2, step=2), draw(epoch=1, step=3), draw(epoch=1, step=2, rank=1)]
    others.append(draw(seed=1, epoch=1, step=2))
    assert all(other != base for other in others)


def test_keyed_batches_count_steps_within_each_epoch() -> None:
    keyed = KeyedBatches(ShuffledBatches(5, batch_size=2, seed=0, rank=1, world_size=2))
    keyed.set_epoch(3)
    keys = list(keyed)
    assert len(keyed) == len(keys) == 2
    assert [(k.epoch, k.step, k.rank) for k in keys] == [(3, 0, 1), (3, 1, 1)]
    plain = ShuffledBatches(5, batch_size=2, seed=0, rank=1, world_size=2)
    plain.set_epoch(3)
    assert [k.positions.tolist() for k in keys] == [b.tolist() for b in plain]


@pytest.fixture
def split() -> Split:
    """Users 0..5 with 6 training items each (items u .. u + 5), then one valid and one test
    item."""
    rows = [(u, (u + j) % 20, j) for u in range(6) for j in range(8)]
    frame = pd.DataFrame(rows, columns=["user", "item", "timestamp"])
    frame["order"] = np.arange(len(frame))
    part = lambda keep: frame[keep].reset_index(drop=True)  # noqa: E731
    return Split("leave_last_out", train=part(frame["timestamp"] < 6),
                 valid=part(frame["timestamp"] == 6), test=part(frame["timestamp"] == 7),
                 n_users=6, n_items=20)  # fmt: skip


def test_data_module_serves_masked_rows_per_epoch_and_rank(split: Split) -> None:
    def epoch(e: int, rank: int = 0, world: int = 1, seed: int = 0) -> list[SequenceBatch]:
        dm = RankDataModule(split, train_input="masked_sequences", batch_size=2,
                            sequence_length=6, seed=seed, mask_prob=0.4)  # fmt: skip
        dm.trainer = SimpleNamespace(global_rank=rank, world_size=world)
        loader = dm.train_dataloader()
        loader.sampler.set_epoch(e)
        return list(loader)

    batches = epoch(0)
    assert [len(b) for b in batches] == [2, 2, 2]
    assert all(isinstance(b, SequenceBatch) and b.pad == 20 for b in batches)
    assert sorted(int(u) for b in batches for u in b.users) == list(range(6))
    for b in batches:  # each row: the user's 6 training items, some replaced by the token 21
        plain = (b.users[:, None] + torch.arange(6)) % 20
        hidden = b.inputs == 21
        assert bool(hidden.any(1).all())
        assert bool((b.inputs[~hidden] == plain[~hidden]).all())
        assert bool((b.targets[hidden] == plain[hidden]).all())
    same = epoch(0)
    assert all(a.inputs.equal(b.inputs) for a, b in zip(batches, same, strict=True))

    def by_user(bs: list[SequenceBatch]) -> dict[int, list[int]]:
        return {int(u): row.tolist() for b in bs for u, row in zip(b.users, b.inputs, strict=True)}

    assert by_user(epoch(1)) != by_user(batches)  # another epoch draws other masks
    shards = [epoch(0, rank, 2) for rank in range(2)]
    users = sorted(int(u) for shard in shards for b in shard for u in b.users)
    assert users == list(range(6)) and len(shards[0]) == len(shards[1])
    with pytest.raises(ValueError, match="train_input='masked_sequences' needs sequence_length"):
        RankDataModule(split, train_input="masked_sequences")


def test_data_module_takes_the_ranker_masking(split: Split) -> None:
    from baselines.bert4rec import BERT4Rec

    ranker = BERT4Rec(n_users=6, n_items=20, hidden_dim=8, max_len=6, mask_prob=0.3,
                      mask_last_prob=0.1)  # fmt: skip
    dm = RankDataModule.for_ranker(split, ranker, seed=4)
    rows = dm.train_masked_sequences
    assert (rows.mask_prob, rows.mask_last_prob, rows.seed, rows.max_len) == (0.3, 0.1, 4, 6)
    assert dm.train_input == "masked_sequences"


def test_a_fit_draws_by_epoch_and_step(split: Split, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lightning reaches the keyed sampler's set_epoch: each epoch's steps carry their keys."""
    from baselines.bert4rec import BERT4Rec
    from bench.rankers.testing import fit_ranker

    keys: list[tuple[int, int, int]] = []
    build = MaskedItemSequences.__call__

    def record(self: MaskedItemSequences, key: BatchKey) -> SequenceBatch:
        keys.append((key.epoch, key.step, key.rank))
        return build(self, key)

    monkeypatch.setattr(MaskedItemSequences, "__call__", record)
    ranker = BERT4Rec(n_users=6, n_items=20, hidden_dim=8, n_layers=1, max_len=6, batch_size=4)
    fit_ranker(ranker, split, max_epochs=2)
    assert keys == [(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 0)]

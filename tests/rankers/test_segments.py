"""Head / tail item segments: the definition, and the per-user values a ranker records."""

import numpy as np
import pytest
import pytorch_lightning as pl
import scipy.sparse as sp
import torch

from bench.eval import FullRankingEvaluator
from bench.rankers import ClosedFormRanker, Evaluation, RankDataModule
from bench.rankers.segments import head_items, segment_masks


def test_head_is_the_most_popular_share_ties_by_item_index() -> None:
    popularity = torch.tensor([3.0, 7.0, 3.0, 0.0, 9.0, 3.0, 1.0, 0.0, 0.0, 0.0])
    assert head_items(popularity, 0.3).nonzero().flatten().tolist() == [0, 1, 4]  # 0 beats 2, 5
    assert head_items(popularity, 0.5).nonzero().flatten().tolist() == [0, 1, 2, 4, 5]
    assert not head_items(torch.zeros(4), 0.5).any()  # unseen items are never head items
    masks = segment_masks(popularity, 0.3)
    assert (masks["head"] ^ masks["tail"]).all()
    with pytest.raises(ValueError, match=r"head_share=1.5 must be in \(0, 1\)"):
        head_items(popularity, 1.5)


class Noisy(ClosedFormRanker):
    """Deterministic pseudo-random scores."""

    def fit(self, train) -> None:
        pass

    def score(self, batch):
        g = torch.Generator().manual_seed(7)
        table = torch.rand(self.n_users, self.n_items, generator=g)
        return table[batch.users]


def test_segment_values_equal_an_evaluation_on_restricted_targets(toy_split) -> None:
    ranker = Noisy(toy_split.n_users, toy_split.n_items)
    dm = RankDataModule(toy_split, train_input="matrix")
    popularity = dm.train.user_counts
    ranker.attach_evaluation(Evaluation(["ndcg@3", "recall@2"]), popularity, head_share=0.5)
    t = pl.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False,
                   enable_progress_bar=False, enable_model_summary=False, max_epochs=1,
                   use_distributed_sampler=False)  # fmt: skip
    t.fit(ranker, datamodule=dm)
    t.test(ranker, datamodule=dm, verbose=False)
    table = ranker.per_user_table("test")
    stage = dm.stage("test")
    head = head_items(popularity, 0.5).numpy()
    users = stage.users
    scores = ranker.score(stage.batch(users))
    for name, keep in (("head", head), ("tail", ~head)):
        targets = stage.targets[users].multiply(sp.csr_matrix(keep.astype(float))).tocsr()
        reference = FullRankingEvaluator(["ndcg@3", "recall@2"], toy_split.n_items)
        reference.update(torch.as_tensor(users), scores, targets, stage.exclude[users])
        expected = reference.compute().per_user
        got = table[[f"{name}:ndcg@3", f"{name}:recall@2"]].dropna()
        assert got.index.tolist() == expected.index.tolist()
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy())
    np.testing.assert_allclose(table["ndcg@3"], ranker.eval_results["test"].per_user["ndcg@3"])
    assert (table["user:score_ms"] >= 0).all() and table["user:score_ms"].notna().all()

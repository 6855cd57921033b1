"""A popularity scorer on real ml-100k (random 8:1:1 holdout) through the evaluator, checked
user by user against trec_eval (pytrec_eval) on full runs.

Popularity scores are item training counts, so ties are frequent: this exercises the tie rule
(lower item index first == trec_eval's docno order under ``eval_helpers.docno``).
"""

from __future__ import annotations

import numpy as np
import pytest
import pytrec_eval
import torch
from eval_helpers import docno

from bench.data import load
from bench.eval import csr_from_frame, evaluate
from bench.split import RandomHoldout

pytestmark = pytest.mark.slow

CUTOFFS = [1, 5, 10, 20]
TREC = {"ndcg": "ndcg_cut", "recall": "recall", "precision": "P", "map": "map_cut"}
TREC["hitrate"] = "success"


def test_popularity_on_ml100k_equals_trec_eval() -> None:
    data = load("ml-100k")
    split = RandomHoldout(ratios=(0.8, 0.1, 0.1))(data, seed=0)
    n_users, n_items = split.n_users, split.n_items
    popularity = np.bincount(split.train["item"], minlength=n_items).astype(np.float32)
    targets = csr_from_frame(split.test, n_users, n_items)
    seen = csr_from_frame(split.train, n_users, n_items) + csr_from_frame(
        split.valid, n_users, n_items
    )
    scores = torch.from_numpy(popularity)
    metrics = [f"{name}@{k}" for name in [*TREC, "mrr"] for k in CUTOFFS]
    result = evaluate(
        lambda users: scores.expand(len(users), -1), targets, seen, metrics=metrics,
        batch_size=200,
    )  # fmt: skip
    evaluated = np.flatnonzero(np.diff(targets.indptr) > 0)
    assert result.n_users == evaluated.size and result.n_users + result.n_skipped == n_users
    assert result.per_user.index.tolist() == evaluated.tolist()
    assert 0.05 < result["ndcg@10"] < 0.5  # popularity is a real baseline on ml-100k

    qrels, runs = {}, {k: {} for k in [None, *CUTOFFS]}
    order = np.lexsort((np.arange(n_items), -popularity))  # our documented order
    for user in evaluated:
        query = str(user)
        qrels[query] = {docno(i, n_items): 1 for i in targets[user].indices}
        ranked = order[~np.isin(order, seen[user].indices)]
        for k in runs:  # full run for the cut measures, runs cut at k for recip_rank
            runs[k][query] = {docno(i, n_items): float(popularity[i]) for i in ranked[:k]}
    cut = ",".join(map(str, CUTOFFS))
    full = pytrec_eval.RelevanceEvaluator(qrels, {f"{m}.{cut}" for m in TREC.values()})
    trec = full.evaluate(runs[None])
    for k in CUTOFFS:
        for ours, theirs in TREC.items():
            expect = [trec[str(u)][f"{theirs}_{k}"] for u in evaluated]
            got = result.per_user[f"{ours}@{k}"].to_numpy()
            np.testing.assert_allclose(got, expect, rtol=0, atol=1e-9, err_msg=f"{ours}@{k}")
        top = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(runs[k])
        expect = [top[str(u)]["recip_rank"] for u in evaluated]
        np.testing.assert_allclose(result.per_user[f"mrr@{k}"], expect, rtol=0, atol=1e-9)

"""Random evaluation problems and their trec_eval (pytrec_eval) reference values.

trec_eval orders a run by score descending, then by docno descending (``strcmp``). With
``docno(i) = f"d{n_items - 1 - i:07d}"`` that is item index ascending: our tie rule. Items a
user has seen, and items scored ``-inf``, are left out of the run (they are not ranked).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytrec_eval
import scipy.sparse as sp


def docno(item: int, n_items: int) -> str:
    return f"d{n_items - 1 - item:07d}"


@dataclass
class Problem:
    scores: np.ndarray  # [users, items] float32, many ties, some -inf
    gains: np.ndarray  # [users, items] 0 or a positive grade
    seen: np.ndarray  # [users, items] bool

    @property
    def targets(self) -> sp.csr_matrix:
        return sp.csr_matrix(self.gains)

    @property
    def seen_csr(self) -> sp.csr_matrix:
        return sp.csr_matrix(self.seen.astype(np.float64))

    def ranking(self, user: int) -> np.ndarray:
        """Ranked items of one user: (score desc, item asc), seen and -inf items dropped."""
        row = self.scores[user].astype(np.float64)
        order = np.lexsort((np.arange(row.size), -row))
        keep = ~self.seen[user][order] & (row[order] > -np.inf)
        return order[keep]


def random_problem(
    seed: int,
    n_users: int = 30,
    n_items: int = 60,
    graded: bool = False,
    no_target: int = 0,
    levels: int | None = None,
    seen_share: float = 1.0,
) -> Problem:
    """Integer scores in ``[0, levels)`` (ties; default 2..9 levels), 1..n_items//2 targets,
    up to ``seen_share`` of the other items seen, and ``no_target`` users without targets."""
    rng = np.random.default_rng(seed)
    levels = int(rng.integers(2, 10)) if levels is None else levels
    scores = rng.integers(0, levels, size=(n_users, n_items)).astype(np.float32)
    scores[rng.random((n_users, n_items)) < 0.05] = -np.inf
    gains = np.zeros((n_users, n_items))
    seen = np.zeros((n_users, n_items), dtype=bool)
    for user in range(n_users):
        items = rng.permutation(n_items)
        n_rel = int(rng.integers(1, max(2, n_items // 2)))
        n_seen = int(rng.integers(0, n_items - n_rel) * seen_share)
        if user >= n_users - no_target:
            n_rel = 0
        gains[user, items[:n_rel]] = rng.integers(1, 5, size=n_rel) if graded else 1
        seen[user, items[n_rel : n_rel + n_seen]] = True
    return Problem(scores, gains, seen)


def trec_values(problem: Problem, measures: set[str], top: int | None = None) -> dict[int, dict]:
    """pytrec_eval per-user values (users with targets only); ``top`` truncates the runs."""
    n_users, n_items = problem.scores.shape
    qrels, run = {}, {}
    for user in range(n_users):
        relevant = np.flatnonzero(problem.gains[user] > 0)
        if relevant.size == 0:
            continue
        qrels[str(user)] = {docno(i, n_items): int(problem.gains[user, i]) for i in relevant}
        order = problem.ranking(user)[:top]
        run[str(user)] = {docno(i, n_items): float(problem.scores[user, i]) for i in order}
        if not run[str(user)]:  # trec_eval skips queries with an empty run; ours scores 0
            run[str(user)] = {"none": -1e30}
    result = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    return {int(query): values for query, values in result.items()}


def trec_table(problem: Problem, cutoffs: list[int]) -> dict[str, dict[int, float]]:
    """Our metric key -> {user: trec_eval value} for the trec_eval-defined metrics."""
    cut = ",".join(map(str, cutoffs))
    measures = {f"ndcg_cut.{cut}", f"recall.{cut}", f"P.{cut}", f"map_cut.{cut}"}
    trec = trec_values(problem, measures | {f"success.{cut}"})
    table: dict[str, dict[int, float]] = {}
    for k in cutoffs:
        for ours, theirs in [("ndcg", "ndcg_cut"), ("recall", "recall"), ("precision", "P"),
                             ("map", "map_cut"), ("hitrate", "success")]:  # fmt: skip
            table[f"{ours}@{k}"] = {user: v[f"{theirs}_{k}"] for user, v in trec.items()}
        top = trec_values(problem, {"recip_rank"}, top=k)
        table[f"mrr@{k}"] = {user: v["recip_rank"] for user, v in top.items()}
    return table

"""Validation items at test time: removing them from the ranking is its own, explicit choice."""

import numpy as np
import pytest

from bench.rankers import stage_data


@pytest.mark.parametrize("history", ["train", "train_valid"])
def test_valid_items_are_excluded_only_when_asked(toy_split, history) -> None:
    kept = stage_data(toy_split, "test", history, exclude_valid=True)
    ranked = stage_data(toy_split, "test", history, exclude_valid=False)
    for user, item in toy_split.valid[["user", "item"]].itertuples(index=False):
        assert kept.exclude[user, item] == 1  # removed from the ranking
        assert ranked.exclude[user, item] == 0 or (
            ((toy_split.train["user"] == user) & (toy_split.train["item"] == item)).any()
        )
    # the history shown to the ranker is the other, independent choice
    np.testing.assert_array_equal(kept.history.toarray(), ranked.history.toarray())
    assert (kept.history.sum() > stage_data(toy_split, "test", "train").history.sum()) == (
        history == "train_valid"
    )

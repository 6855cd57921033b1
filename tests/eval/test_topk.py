"""topk_ranked: exact top-k under (score descending, item ascending) on every path."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.eval.topk import topk_ranked


def reference(scores: torch.Tensor, k: int) -> torch.Tensor:
    rows = []
    for row in scores.double().numpy():
        order = list(np.lexsort((np.arange(row.size), -row))[:k])
        rows.append(order + [-1] * (k - len(order)))
    return torch.tensor(rows, dtype=torch.int64).reshape(scores.shape[0], k)


def random_scores(seed: int, rows: int, cols: int, levels: int | None, inf_share: float = 0.0):
    g = torch.Generator().manual_seed(seed)
    if levels is None:
        scores = torch.rand(rows, cols, generator=g)
    else:
        scores = torch.randint(0, levels, (rows, cols), generator=g).float()
    scores[torch.rand(rows, cols, generator=g) < inf_share] = float("-inf")
    return scores


@pytest.mark.parametrize("levels", [None, 2, 7, 1000])
@pytest.mark.parametrize(("cols", "k"), [(1, 1), (5, 10), (40, 40), (41, 40), (300, 7), (5000, 37)])
def test_matches_reference(levels, cols, k) -> None:
    for group in (4, 32):
        scores = random_scores(cols + k, 9, cols, levels, inf_share=0.1)
        values, items = topk_ranked(scores, k, group=group, block_elements=3 * cols)
        assert torch.equal(items, reference(scores, k))
        listed = items >= 0
        expect = scores.gather(1, items.clamp_min(0))
        assert torch.equal(values[listed], expect[listed])
        assert bool((values[~listed] == float("-inf")).all())


def test_rows_with_few_finite_scores_rank_inf_items_by_index() -> None:
    scores = torch.full((2, 6000), float("-inf"))
    scores[0, 4000] = 1.0
    _, items = topk_ranked(scores, 3)
    assert items.tolist() == [[4000, 0, 1], [0, 1, 2]]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.int64, torch.bool])
def test_other_dtypes(dtype) -> None:
    scores = random_scores(3, 4, 200, levels=5).to(dtype)
    values, items = topk_ranked(scores, 20)
    assert torch.equal(items, reference(scores.double(), 20))
    assert values.dtype == (torch.float64 if dtype in (torch.int64, torch.bool) else values.dtype)


def test_float64_ties_closer_than_float32_resolution() -> None:
    scores = torch.tensor([[1.0, 1.0 + 1e-12, 1.0]], dtype=torch.float64)
    assert topk_ranked(scores, 3)[1].tolist() == [[1, 0, 2]]


def test_negative_zero_ties_with_zero() -> None:
    assert topk_ranked(torch.tensor([[-0.0, 0.0, -0.0]]), 3)[1].tolist() == [[0, 1, 2]]


def test_non_contiguous_input_is_not_modified() -> None:
    scores = random_scores(5, 6000, 8, levels=3).t()  # [8, 6000] with stride (1, 8)
    before = scores.clone()
    _, items = topk_ranked(scores, 50)
    assert torch.equal(items, reference(scores, 50))
    assert torch.equal(scores, before)


@pytest.mark.parametrize("cols", [50, 6000])
def test_nan_is_an_error(cols) -> None:
    scores = torch.rand(3, cols)
    scores[2, cols // 2] = float("nan")
    with pytest.raises(ValueError, match=r"NaN .*batch row 2"):
        topk_ranked(scores, 10)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="k must be >= 1"):
        topk_ranked(torch.rand(2, 3), 0)
    with pytest.raises(ValueError, match=r"\[rows, n_items\]"):
        topk_ranked(torch.rand(3), 1)
    _values, items = topk_ranked(torch.rand(2, 0), 2)
    assert items.tolist() == [[-1, -1], [-1, -1]]


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 10_000), st.integers(1, 7000), st.integers(1, 60),
    st.sampled_from([None, 3, 50]), st.sampled_from([2, 8, 32, 64]), st.integers(1, 50_000),
)  # fmt: skip
def test_speed_knobs_never_change_the_result(seed, cols, k, levels, group, block) -> None:
    scores = random_scores(seed, 3, cols, levels, inf_share=0.05)
    _, items = topk_ranked(scores, k, group=group, block_elements=block)
    assert torch.equal(items, reference(scores, k))

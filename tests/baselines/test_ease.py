"""EASE: the contract, plus the closed form against a direct numpy computation."""

from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from baselines.ease import EASE
from bench.rankers import TrainMatrix
from bench.rankers.testing import RankerContract


class TestEASE(RankerContract):
    ranker_class = EASE
    params: ClassVar[dict] = {"l2": 500.0}
    min_ndcg = 0.30  # measured 0.330 (ml-100k, random 8:1:1, seed 0)


def reference_ease(X: np.ndarray, l2: float) -> np.ndarray:
    """Steck (2019), Algorithm 1, verbatim."""
    G = X.T @ X + l2 * np.eye(X.shape[1])
    P = np.linalg.inv(G)
    B = P / (-np.diag(P))
    np.fill_diagonal(B, 0.0)
    return B


def test_matches_the_paper_algorithm() -> None:
    rng = np.random.default_rng(0)
    X = (rng.random((40, 12)) < 0.3).astype(float)
    ease = EASE(n_users=40, n_items=12, l2=3.0)
    ease.fit(TrainMatrix(sp.csr_matrix(X), torch.from_numpy(X.sum(0))))
    np.testing.assert_allclose(ease.B.numpy(), reference_ease(X, 3.0), rtol=1e-5, atol=1e-6)
    assert torch.all(torch.diagonal(ease.B) == 0)


def test_scores_are_history_times_b() -> None:
    X = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 1.0, 1.0]])
    ease = EASE(n_users=3, n_items=4, l2=1.0)
    ease.fit(TrainMatrix(sp.csr_matrix(X), torch.from_numpy(X.sum(0))))
    from bench.rankers.history import build_batch

    batch = build_batch(np.array([2, 0]), sp.csr_matrix(X), 4)
    expected = X[[2, 0]] @ reference_ease(X, 1.0)
    np.testing.assert_allclose(ease.score(batch).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("l2", [0.0, -1.0])
def test_rejects_non_positive_l2(l2: float) -> None:
    with pytest.raises(ValueError, match=r"model\.l2"):
        EASE(n_users=2, n_items=2, l2=l2)


def old_fit(X: sp.csr_matrix, l2: float) -> torch.Tensor:
    """EASE.fit before the in-place rewrite (dense float64 Gram, torch.linalg.inv): float64."""
    G = torch.from_numpy((X.T @ X).toarray().astype(np.float64))
    G.diagonal().add_(l2)
    P = torch.linalg.inv(G)
    B = -P / torch.diagonal(P).unsqueeze(0)
    B.fill_diagonal_(0.0)
    return B


def random_binary(n_users: int, n_items: int, density: float, seed: int = 0) -> sp.csr_matrix:
    X = sp.random(n_users, n_items, density=density, format="csr", random_state=seed)
    X.data[:] = 1.0
    return X


@pytest.mark.parametrize("block_bytes", [None, 8 * 300 * 7])  # one block; 7-row blocks
def test_in_place_float64_equals_the_old_formula(monkeypatch, block_bytes) -> None:
    import baselines.ease as ease_module

    if block_bytes:
        monkeypatch.setattr(ease_module, "BLOCK_BYTES", block_bytes)
    X = random_binary(200, 300, 0.05)
    out = np.full((300, 300), np.nan)  # every entry is written
    B = ease_module.ease_weights(X, 7.0, out)
    assert B is out
    np.testing.assert_allclose(B, old_fit(X, 7.0).numpy(), rtol=0, atol=1e-10)
    ease = EASE(n_users=200, n_items=300, l2=7.0, dtype="float64")
    ease.fit(TrainMatrix(X, torch.from_numpy(np.asarray(X.sum(0)).ravel())))
    assert ease.B.dtype == torch.float32  # kept in float32, as before
    np.testing.assert_allclose(ease.B.numpy(), old_fit(X, 7.0).float().numpy(), atol=1e-7)


def test_float32_fit_is_in_place_in_b() -> None:
    X = random_binary(100, 50, 0.1)
    ease = EASE(n_users=100, n_items=50, l2=2.0)
    pointer = ease.B.data_ptr()
    ease.fit(TrainMatrix(X, torch.from_numpy(np.asarray(X.sum(0)).ravel())))
    assert ease.B.data_ptr() == pointer and ease.hparams["dtype"] == "float32"
    np.testing.assert_allclose(ease.B.numpy(), old_fit(X, 2.0).numpy(), rtol=0, atol=1e-5)


def test_a_second_fit_starts_from_a_clean_buffer() -> None:
    X, Y = random_binary(100, 40, 0.1, seed=1), random_binary(100, 40, 0.2, seed=2)
    counts = lambda M: torch.from_numpy(np.asarray(M.sum(0)).ravel())  # noqa: E731
    ease = EASE(n_users=100, n_items=40, l2=2.0)
    ease.fit(TrainMatrix(X, counts(X)))
    ease.fit(TrainMatrix(Y, counts(Y)))
    np.testing.assert_allclose(ease.B.numpy(), old_fit(Y, 2.0).numpy(), rtol=0, atol=1e-5)


@pytest.mark.slow
def test_float32_and_float64_agree_on_scores_and_metrics() -> None:
    from bench.rankers.testing import fit_ranker, movielens_split

    split = movielens_split(0)
    fitted = {}
    for dtype in ("float32", "float64"):
        ranker = EASE(n_users=split.n_users, n_items=split.n_items, l2=500.0, dtype=dtype)
        fitted[dtype] = fit_ranker(ranker, split, metrics=("ndcg@10", "recall@20", "mrr@10"))
    single, double = fitted["float32"], fitted["float64"]
    np.testing.assert_allclose(single.ranker.B.numpy(), double.ranker.B.numpy(), atol=1e-4)
    users = np.arange(200)
    batch = single.datamodule.stage("test").batch(users, None)
    np.testing.assert_allclose(
        single.ranker.score(batch).numpy(), double.ranker.score(batch).numpy(), atol=1e-4
    )
    for name, value in double.test.metrics.items():
        assert single.test.metrics[name] == pytest.approx(value, abs=1e-4), name
    assert double.test.metrics["ndcg@10"] > 0.3


def test_rejects_an_unknown_dtype() -> None:
    with pytest.raises(ValueError, match=r"model\.dtype='float16' must be one of"):
        EASE(n_users=2, n_items=2, dtype="float16")


def test_memory_estimate_formula() -> None:
    from bench.rankers.data import TrainingData

    X = random_binary(1000, 2000, 0.01)
    data = TrainingData(X, torch.zeros(2000), 1000, 2000, seed=0, time_ordered=False)
    single = EASE(n_users=1000, n_items=2000).estimate_memory(data)
    double = EASE(n_users=1000, n_items=2000, dtype="float64").estimate_memory(data)
    assert double.n_bytes - single.n_bytes >= 8 * 2000**2  # the float64 work buffer
    assert 4 * 2000**2 < single.n_bytes < 1.5 * 4 * 2000**2
    assert single.what == "for 2,000 items (float32)" and "dtype=float32" in double.hint


def test_float64_fit_into_a_float64_b_is_in_place_and_equals_the_old_formula() -> None:
    X = random_binary(150, 80, 0.1, seed=3)
    ease = EASE(n_users=150, n_items=80, l2=4.0, dtype="float64").double()
    pointer = ease.B.data_ptr()
    ease.fit(TrainMatrix(X, torch.from_numpy(np.asarray(X.sum(0)).ravel())))
    assert ease.B.data_ptr() == pointer and ease.B.dtype == torch.float64
    np.testing.assert_allclose(ease.B.numpy(), old_fit(X, 4.0).numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("max_bytes", [8 * 300 * 300 // 3, 8 * 40 * 40, 8])
def test_blocked_inverse_equals_the_old_formula(max_bytes) -> None:
    """Above the LAPACK limit the inverse is taken by Schur-complement blocks (one level, a few
    levels, and down to 1 x 1 blocks): the same B as one LAPACK call, to 1e-10 in float64."""
    import baselines.ease as ease_module

    X = random_binary(250, 301, 0.05, seed=4)  # odd size: unequal halves
    B = ease_module.ease_weights(X, 7.0, np.full((301, 301), np.nan), max_lapack_bytes=max_bytes)
    np.testing.assert_allclose(B, old_fit(X, 7.0).numpy(), rtol=0, atol=1e-10)
    single = np.full((301, 301), np.nan, dtype=np.float32)
    ease_module.ease_weights(X, 7.0, single, max_lapack_bytes=max_bytes // 2)
    np.testing.assert_allclose(single, old_fit(X, 7.0).numpy(), rtol=0, atol=1e-5)


def test_lapack_never_sees_more_than_its_limit(monkeypatch) -> None:
    """No LAPACK call gets a matrix over ``LAPACK_MAX_BYTES`` (scipy's OpenBLAS crashes with
    SIGSEGV in potrf on 4 GB matrices): the fit goes through blocks of at most that size."""
    import baselines.ease as ease_module

    seen: list[int] = []
    real = ease_module._lapack_inverse
    monkeypatch.setattr(ease_module, "LAPACK_MAX_BYTES", 4 * 60 * 60)
    monkeypatch.setattr(ease_module, "_lapack_inverse", lambda a: (seen.append(a.nbytes), real(a)))
    X = random_binary(300, 130, 0.05, seed=5)
    ease = EASE(n_users=300, n_items=130, l2=3.0)
    ease.fit(TrainMatrix(X, torch.from_numpy(np.asarray(X.sum(0)).ravel())))
    assert seen and max(seen) <= 4 * 60 * 60 and len(seen) == 4  # 130 -> 65 -> 32 / 33
    np.testing.assert_allclose(ease.B.numpy(), old_fit(X, 3.0).numpy(), rtol=0, atol=1e-5)


def test_memory_estimate_counts_the_blocks_at_41k_items() -> None:
    """Gowalla's 40,981 items in float32: B (6.7 GB) plus three half-size blocks (5.0 GB),
    within the 16 GB the issue allows; a 20,000-item EASE needs no blocks."""
    from baselines.ease import LAPACK_MAX_BYTES, inverse_workspace_bytes
    from bench.rankers.data import TrainingData

    n = 40_981
    assert 4 * n * n > LAPACK_MAX_BYTES and LAPACK_MAX_BYTES >= 4 * 20_000**2
    assert inverse_workspace_bytes(n, 4) == 4 * (20_490**2 + 20_490 * 20_491 + 20_491**2)
    X = sp.csr_matrix((29_858, n), dtype=np.float32)
    data = TrainingData(X, torch.zeros(n), 29_858, n, seed=0, time_ordered=False)
    estimate = EASE(n_users=29_858, n_items=n).estimate_memory(data).n_bytes
    assert 11.7e9 < estimate < 12.0e9
    assert inverse_workspace_bytes(20_000, 4) == 0

"""A closed-form fit whose memory estimate exceeds ``max_memory_gb`` (or what the machine has
available) is refused before fitting, with one line, and recorded as a failed run."""

import pytest
from train_helpers import compose_train

from bench.results import ResultStore
from bench.train.errors import RunConfigError
from bench.train.runner import run


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("ease", r"EASE needs about 0\.0\d+ GB for 1,682 items \(float32\); 0\.001 GB is allowed "
         r"\(max_memory_gb=0\.001\): use a machine with more memory$"),
        ("itemknn", r"ItemKNN needs about 0\.\d+ GB for 1,682 items \(float64 similarity\)"),
    ],
)  # fmt: skip
def test_a_fit_over_the_cap_is_refused_and_recorded(tmp_path, model, expected) -> None:
    with pytest.raises(RunConfigError, match=expected) as caught:
        run(compose_train([f"model={model}", "max_memory_gb=0.001", "threads=1"], tmp_path))
    assert "\n" not in str(caught.value)
    (record,) = ResultStore(tmp_path / "results").records()
    assert record.status == "failed" and "needs about" in record.error.message
    assert record.metrics == {} and not record.fit_seconds  # refused before fitting


def test_a_fit_under_the_cap_runs(tmp_path) -> None:
    outcome = run(compose_train(["model=ease", "max_memory_gb=1.0", "threads=1"], tmp_path))
    assert outcome.test.metrics["ndcg@10"] > 0.3


def test_a_non_positive_cap_is_refused(tmp_path) -> None:
    with pytest.raises(RunConfigError, match=r"max_memory_gb=0\.0 must be > 0"):
        run(compose_train(["model=ease", "max_memory_gb=0"], tmp_path))

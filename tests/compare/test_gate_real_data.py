"""The gate on real runs: pop and EASE trained on ML-100K (seeds 0 and 1), in-process."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from _gate_stores import gate_cli

TRAIN_TESTS = Path(__file__).resolve().parents[1] / "train"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A store with pop and ease, seeds 0 and 1, on ML-100K (random holdout, full ranking)."""
    if str(TRAIN_TESTS) not in sys.path:
        sys.path.insert(0, str(TRAIN_TESTS))
    from train_helpers import compose_train

    from bench.train.runner import run

    root = tmp_path_factory.mktemp("real")
    for model in ("pop", "ease"):
        for seed in (0, 1):
            run(compose_train([f"model={model}", f"seed={seed}", "threads=1"], root))
    return root / "results"


@pytest.mark.slow
def test_ease_passes_against_pop_and_pop_fails_against_ease(results, tmp_path) -> None:
    verdict = tmp_path / "verdict.json"
    done = gate_cli(
        "--root", str(results), "--candidate", "ease", "--baseline", "pop", "--json", str(verdict)
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(verdict.read_text())
    assert data["verdict"] == "better" and data["seeds"] == [0, 1]
    assert data["n_users"] == 943 and data["split_depends_on_seed"] is True
    assert data["diff"] > 0.1 and data["ci_low"] > 0.05  # EASE is far better than popularity
    assert "ml-100k" in data["cell"] and "full ranking" in data["cell"]
    print(done.stdout)

    done = gate_cli("--root", str(results), "--candidate", "pop", "--baseline", "ease")
    assert done.returncode == 1, done.stderr
    assert "**[FAIL] worse**" in done.stdout


@pytest.mark.slow
def test_gate_against_an_exported_baseline_bundle(results, tmp_path) -> None:
    bundle = tmp_path / "baseline.tar.gz"
    done = gate_cli("export", "--root", str(results), "--model", "pop", "--out", str(bundle))
    assert done.returncode == 0, done.stderr
    from_store = tmp_path / "store.json"
    from_bundle = tmp_path / "bundle.json"
    common = ("--root", str(results), "--candidate", "ease", "--metric", "recall@10")
    done = gate_cli(*common, "--baseline", "pop", "--json", str(from_store))
    assert done.returncode == 0, done.stderr
    done = gate_cli(*common, "--baseline", str(bundle), "--json", str(from_bundle))
    assert done.returncode == 0, done.stderr
    assert f"from bundle `{bundle}`" in done.stdout
    a, b = json.loads(from_store.read_text()), json.loads(from_bundle.read_text())
    for key in ("diff", "ci_low", "ci_high", "p_non_inferior", "n_users", "seeds", "verdict"):
        assert a[key] == b[key], key

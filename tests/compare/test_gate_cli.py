"""``python -m bench.compare`` on synthetic stores: exit status, verdict values, refusals.

The exit statuses of pass (0), fail (1) and not comparable (2) are checked on a real
``python -m bench.compare`` process; the other cases call the same ``main`` in-process.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from _gate_stores import (
    USERS,
    base_values,
    gate_cli,
    gate_main,
    per_user,
    record,
    shifted,
    snapshot,
    standard_store,
    write_model,
)

from bench.results import ResultStore


def _verdict(tmp_path, *extra: str, root=None, capsys=None):
    """Gate ``cand`` against ``pop``: in a subprocess, or in-process when given ``capsys``."""
    out = tmp_path / "verdict.json"
    args = (
        "--root", str(root or tmp_path / "results"), "--candidate", "cand", "--baseline", "pop",
        "--json", str(out), *extra,
    )  # fmt: skip
    done = gate_cli(*args) if capsys is None else gate_main(capsys, *args)
    data = json.loads(out.read_text()) if out.exists() else None
    return done, data


def test_better_candidate_passes_with_the_right_numbers(tmp_path) -> None:
    standard_store(tmp_path / "results", candidate_shift=0.02, noise=0.01)
    done, data = _verdict(tmp_path, "--margin", "0.01")
    assert done.returncode == 0, done.stderr
    assert data["verdict"] == "better" and data["passed"] and data["exit_status"] == 0
    assert data["diff"] == pytest.approx(0.02, abs=0.002)
    assert data["ci_low"] < data["diff"] < data["ci_high"] and data["ci_low"] > 0
    assert data["candidate"]["mean"] - data["baseline"]["mean"] == pytest.approx(data["diff"])
    assert data["baseline"]["mean"] == pytest.approx(
        np.mean([base_values(s) for s in (0, 1, 2)]), abs=1e-12
    )
    assert data["seeds"] == [0, 1, 2] and data["n_users"] == len(USERS)
    assert data["split_depends_on_seed"] is True and data["margin"] == 0.01
    assert data["level"] == 0.95 and data["p_non_inferior"] < 1e-10
    assert [r["run_id"] for r in data["candidate"]["runs"]] == ["cand-s0", "cand-s1", "cand-s2"]
    text = done.stdout
    for part in (
        "ndcg@10 (higher is better)", "split test", "| candidate | `cand@", "| baseline | `pop@",
        "95% CI [+0.01", "non-inferiority margin: 0.0100",
        "p (non-inferiority, one-sided t): <0.0001",
        "seeds: 0, 1, 2", "users: 400", "split depends on the seed: yes",
        "ml-100k · random_holdout ratios=[0.8, 0.1, 0.1] · full ranking",
    ):  # fmt: skip
        assert part in text, part
    assert text.rstrip().splitlines()[-1].startswith("**[PASS] better**")
    assert done.stderr == ""


def test_candidate_005_worse_fails(tmp_path) -> None:
    standard_store(tmp_path / "results", candidate_shift=-0.05, noise=0.01)
    done, data = _verdict(tmp_path, "--margin", "0.01")
    assert done.returncode == 1, done.stderr
    assert data["verdict"] == "worse" and not data["passed"]
    assert data["diff"] == pytest.approx(-0.05, abs=0.002) and data["ci_high"] < -0.01
    assert data["p_worse"] < 1e-10 and data["p_non_inferior"] > 0.99
    assert "**[FAIL] worse**" in done.stdout


def test_tiny_non_significant_dip_within_the_margin_passes(tmp_path, capsys) -> None:
    standard_store(tmp_path / "results", candidate_shift=-0.001, noise=0.05)
    done, data = _verdict(tmp_path, "--margin", "0.01", capsys=capsys)
    assert done.returncode == 0, done.stderr
    assert data["verdict"] == "not worse"
    assert data["p_two_sided"] > 0.05  # the dip itself is not significant
    assert data["ci_low"] < 0 < data["ci_high"] and data["ci_low"] > -0.01
    assert "**[PASS] not worse**" in done.stdout


def test_inconclusive_fails_and_says_so(tmp_path, capsys) -> None:
    standard_store(tmp_path / "results", candidate_shift=-0.01, noise=0.3)
    done, data = _verdict(tmp_path, "--margin", "0.01", capsys=capsys)
    assert done.returncode == 1
    assert data["verdict"] == "inconclusive"
    assert data["ci_low"] < -0.01 < data["ci_high"]
    assert data["p_non_inferior"] > 0.025 and data["p_worse"] > 0.025
    assert "**[FAIL] inconclusive**: not shown non-inferior" in done.stdout


def test_percentage_margin_is_relative_to_the_baseline_mean(tmp_path, capsys) -> None:
    standard_store(tmp_path / "results", candidate_shift=-0.001, noise=0.01)
    done, data = _verdict(tmp_path, "--margin", "5%", capsys=capsys)
    assert done.returncode == 0, done.stderr
    assert data["margin"] == pytest.approx(0.05 * data["baseline"]["mean"])
    assert data["margin_spec"] == "5%" and "(5% of the baseline mean)" in done.stdout


def test_different_dataset_fingerprints_exit_2_naming_the_field(tmp_path) -> None:
    store = ResultStore(tmp_path / "results")
    write_model(store, "pop", (0, 1), shifted(0.0))
    write_model(store, "cand", (0, 1), shifted(0.02), dataset_fingerprint="e" * 16)
    before = snapshot(store.root)
    done, data = _verdict(tmp_path)
    assert done.returncode == 2 and data is None and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: not comparable") and "dataset_fingerprint" in line
    assert "e" * 16 in line and "d" * 16 in line
    assert snapshot(store.root) == before


def test_fewer_baseline_seeds_exit_2(tmp_path) -> None:
    store = ResultStore(tmp_path / "results")
    write_model(store, "pop", (0, 1), shifted(0.0))
    write_model(store, "cand", (0, 1, 2), shifted(0.02))
    done, _ = _verdict(tmp_path)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "seeds [0, 1]" in line and "seed=2" in line


def test_extra_baseline_seeds_are_named_unused(tmp_path, capsys) -> None:
    store = ResultStore(tmp_path / "results")
    write_model(store, "pop", (0, 1, 2), shifted(0.0))
    write_model(store, "cand", (0, 1), shifted(0.02, 0.01))
    done, data = _verdict(tmp_path, capsys=capsys)
    assert done.returncode == 0, done.stderr
    assert data["seeds"] == [0, 1] and data["unused_baseline_seeds"] == [2]
    assert "(baseline seeds 2 unused)" in done.stdout


def test_other_users_or_other_split_exit_2(tmp_path, capsys) -> None:
    store = ResultStore(tmp_path / "results")
    write_model(store, "pop", (0,), shifted(0.0))
    rec = record("cand", 0)
    store.write(rec, {"test": per_user(base_values(0)[:-1], USERS[:-1])})
    done, _ = _verdict(tmp_path, capsys=capsys)
    assert done.returncode == 2 and "different users (0 only in" in done.stderr

    other = ResultStore(tmp_path / "other")
    write_model(other, "pop", (0,), shifted(0.0))
    write_model(other, "cand", (0,), shifted(0.0), split_fingerprint="another-split")
    done, _ = _verdict(tmp_path, root=other.root, capsys=capsys)
    assert done.returncode == 2 and "used split another-split" in done.stderr


def test_several_configurations_are_refused_then_picked_by_hash(tmp_path, capsys) -> None:
    store = standard_store(tmp_path / "results", candidate_shift=0.02, noise=0.01)
    write_model(store, "cand", (0, 1, 2), shifted(0.02), prefix="l2", model_params={"l2": 9.0})
    done, _ = _verdict(tmp_path, capsys=capsys)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "matches 2 configurations" in line and "model.l2=9.0" in line
    hashes = {r.variant_hash for r in store.records() if r.model == "cand"}
    plain = next(h for h in hashes if h != record("cand", 0, model_params={"l2": 9.0}).variant_hash)
    done = gate_main(
        capsys,
        "--root", str(store.root), "--candidate", f"cand@{plain[:6]}", "--baseline", "pop",
        "--margin", "0.01",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"`cand@{plain[:8]}`" in done.stdout


def test_latest_run_of_each_seed_is_used(tmp_path, capsys) -> None:
    store = standard_store(tmp_path / "results", candidate_shift=-0.05)
    later = "2024-06-01T00:00:00.000+00:00"
    for seed in (0, 1, 2):  # a rerun of every seed, fixed: now better than the baseline
        store.write(
            record("cand", seed, run_id=f"cand-rerun-s{seed}", started_at=later, ended_at=later),
            {"test": per_user(shifted(0.02, 0.01)(seed))},
        )
    done, data = _verdict(tmp_path, "--margin", "0.01", capsys=capsys)
    assert done.returncode == 0, done.stderr
    assert [r["run_id"] for r in data["candidate"]["runs"]] == [
        "cand-rerun-s0", "cand-rerun-s1", "cand-rerun-s2",
    ]  # fmt: skip


def test_lower_is_better_metric_is_judged_in_its_direction(tmp_path, capsys) -> None:
    store = ResultStore(tmp_path / "results")
    directions = {"ndcg@10": True, "recall@10": True, "latency": False}
    for model, shift in (("pop", 0.0), ("cand", 0.05)):  # cand: higher latency = worse
        for seed in (0, 1):
            frame = per_user(base_values(seed))
            frame["latency"] = base_values(seed) + shift
            store.write(record(model, seed, higher_is_better=directions), {"test": frame})
    done, data = _verdict(tmp_path, "--metric", "latency", "--margin", "0.01", capsys=capsys)
    assert done.returncode == 1, done.stderr
    assert data["verdict"] == "worse" and data["higher_is_better"] is False
    assert data["diff"] == pytest.approx(0.05) and data["bound"] == 0.01
    assert "latency (lower is better)" in done.stdout and "lies above +0.0100" in done.stdout

"""Bad input: one ``error:`` line on stderr, exit status 2, no store modified."""

from __future__ import annotations

import pytest
from _gate_stores import (
    gate_cli,
    gate_main,
    record,
    shifted,
    snapshot,
    standard_store,
    write_model,
)

from bench.results import ErrorInfo, ResultStore
from bench.results.store import per_user_file


def _refused(done, *parts: str) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith("error: ")
    for part in parts:
        assert part in line, (part, line)
    return line


def _gate(capsys, root, *extra: str, candidate="cand", baseline="pop"):
    return gate_main(
        capsys, "--root", str(root), "--candidate", candidate, "--baseline", baseline, *extra
    )


def test_missing_results_directory(tmp_path, capsys) -> None:
    _refused(_gate(capsys, tmp_path / "nope"), "results directory", "does not exist")
    assert not (tmp_path / "nope").exists()


def test_empty_results_directory(tmp_path, capsys) -> None:
    (tmp_path / "results").mkdir()
    _refused(_gate(capsys, tmp_path / "results"), "holds no runs")
    assert list((tmp_path / "results").iterdir()) == []


def test_only_failed_runs(tmp_path, capsys) -> None:
    store = ResultStore(tmp_path / "results")
    error = ErrorInfo("RuntimeError", "CUDA out of memory", "Traceback ...")
    for seed in (0, 1):
        store.write(record("cand", seed, status="failed", error=error))
    before = snapshot(store.root)
    _refused(
        _gate(capsys, store.root),
        "no completed run",
        "all 2 runs failed",
        "RuntimeError: CUDA out of memory",
    )
    assert snapshot(store.root) == before


@pytest.mark.parametrize("side", ["candidate", "baseline"])
def test_unknown_model_lists_the_available_ones(tmp_path, capsys, side) -> None:
    store = standard_store(tmp_path / "results", 0.02)
    names = {"candidate": "cand", "baseline": "pop", side: "eas"}
    done = _gate(capsys, store.root, **names)
    _refused(done, f"unknown {side} model 'eas'", "available models: cand, pop")


def test_model_whose_runs_all_failed_says_so(tmp_path, capsys) -> None:
    store = standard_store(tmp_path / "results", 0.02)
    error = ErrorInfo("ValueError", "bad l2", "")
    store.write(record("ease", 0, run_id="ease-failed", status="failed", error=error))
    done = _gate(capsys, store.root, candidate="ease")
    _refused(done, "unknown candidate model 'ease'", "its 1 run(s) failed", "cand, pop")


def test_unknown_metric_lists_the_metrics_of_the_runs(tmp_path, capsys) -> None:
    store = standard_store(tmp_path / "results", 0.02)
    done = _gate(capsys, store.root, "--metric", "ndgc@10")
    _refused(done, "unknown metric 'ndgc@10'", "the runs have ndcg@10, recall@10")


def test_unknown_split_and_bad_margin_and_alpha(tmp_path, capsys) -> None:
    store = standard_store(tmp_path / "results", 0.02)
    _refused(_gate(capsys, store.root, "--split", "valid"), "no per-user values for split")
    _refused(_gate(capsys, store.root, "--margin=-1%"), "margin '-1%' must be")
    _refused(_gate(capsys, store.root, "--margin", "abc"), "not a number or a percentage")
    _refused(_gate(capsys, store.root, "--alpha", "1.5"), "alpha=1.5")
    _refused(gate_main(capsys, "--candidate", "cand"), "--baseline", "--help")


def test_corrupt_record_is_skipped_with_a_warning_naming_it(tmp_path, capsys) -> None:
    store = standard_store(tmp_path / "results", 0.02, noise=0.01)
    write_model(store, "cand", (7,), shifted(0.0), prefix="broken")
    bad = store.run_dir("broken-s7") / "record.json"
    bad.write_text("{ not json")
    before = snapshot(store.root)
    done = _gate(capsys, store.root, "--margin", "0.01")
    assert done.returncode == 0, done.stderr
    (warning,) = done.stderr.splitlines()
    assert warning.startswith("warning: invalid run record") and str(bad) in warning
    assert "seeds: 0, 1, 2;" in done.stdout  # the other runs are still used
    assert snapshot(store.root) == before


def test_missing_per_user_file(tmp_path, capsys) -> None:
    store = standard_store(tmp_path / "results", 0.02)
    (store.run_dir("pop-s1") / per_user_file("test")).unlink()
    before = snapshot(store.root)
    _refused(_gate(capsys, store.root), "baseline run pop-s1", "per-user file", "is missing")
    assert snapshot(store.root) == before


def test_same_runs_on_both_sides_are_refused(tmp_path, capsys) -> None:
    store = standard_store(tmp_path / "results", 0.02)
    _refused(_gate(capsys, store.root, baseline="cand"), "select the same runs")


def test_corrupt_bundle_baseline_via_the_cli(tmp_path) -> None:
    store = standard_store(tmp_path / "results", 0.02)
    bundle = tmp_path / "baseline.tar.gz"
    done = gate_cli("export", "--root", str(store.root), "--model", "pop", "--out", str(bundle))
    assert done.returncode == 0, done.stderr
    bundle.write_bytes(bundle.read_bytes()[: bundle.stat().st_size // 2])
    before = snapshot(tmp_path)
    done = gate_cli("--root", str(store.root), "--candidate", "cand", "--baseline", str(bundle))
    _refused(done, f"corrupt bundle {bundle}", "truncated")
    assert snapshot(tmp_path) == before

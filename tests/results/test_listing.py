"""``bench.results.listing`` and ``python -m bench.results`` on a store built by RunRecorder."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench.results import ResultStore, RunRecorder
from bench.results.__main__ import main
from bench.results.listing import ListingError, format_table, list_runs, render, short_run_id

REPO = Path(__file__).resolve().parents[2]
RUNS = [  # run_id, model, seed, group, tags, test ndcg@10
    ("20240501T120000-aaaaaaaaaaaa", "pop", 0, None, ("baseline",), 0.10),
    ("20240501T120001-bbbbbbbbbbbb", "ease", 0, "sweep-1", ("sweep",), 0.30),
    ("20240501T120002-cccccccccccc", "ease", 1, "sweep-1", ("sweep",), 0.32),
]
FAILED = "20240501T120003-dddddddddddd"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A store with three completed runs (oldest first, as listed) and one failed run."""
    path = tmp_path / "results"
    for run_id, model, seed, group, tags, ndcg in RUNS:
        with RunRecorder(
            path, {"seed": seed}, run_id=run_id, model=model, dataset="ml-100k",
            split="random_holdout", group=group, tags=tags,
        ) as rec:  # fmt: skip
            with rec.time_fit():
                pass
            rec.set_metrics("valid", {"ndcg@10": ndcg - 0.05})
            rec.set_metrics("test", {"ndcg@10": ndcg, "recall@10": ndcg / 2, "mrr@10": ndcg * 2})
    failing = RunRecorder(path, {"seed": 2}, run_id=FAILED, model="bpr", dataset="ml-1m")
    with pytest.raises(RuntimeError), failing:
        raise RuntimeError("CUDA out of memory.\nTried to allocate 2.00 GiB")
    return path


def run_cli(*args: str, capsys) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_list_runs_keeps_the_chosen_columns(root) -> None:
    runs = list_runs(root)
    assert list(runs.columns) == [
        "run_id", "status", "model", "dataset", "split", "seed", "group",
        "test/ndcg@10", "test/recall@10", "fit_s", "started", "error",
    ]  # fmt: skip
    assert runs["run_id"].tolist() == [r[0] for r in RUNS] + [FAILED]
    assert runs["status"].tolist() == ["completed"] * 3 + ["failed"]
    assert runs["test/ndcg@10"].tolist()[:3] == [0.10, 0.30, 0.32]
    assert runs["test/recall@10"].tolist()[:3] == [0.05, 0.15, 0.16]
    assert pd.isna(runs["test/ndcg@10"].iloc[3])
    assert pd.isna(runs["group"].iloc[0]) and runs["group"].tolist()[1:3] == ["sweep-1"] * 2
    store = ResultStore(root)
    assert runs["fit_s"].tolist()[:3] == [store.read(r[0]).fit_seconds for r in RUNS]
    assert runs["error"].isna().tolist() == [True] * 3 + [False]
    assert runs["error"].iloc[3] == "RuntimeError: CUDA out of memory."


def test_filters_metrics_and_limit(root) -> None:
    assert list_runs(root, model="ease")["seed"].tolist() == [0, 1]
    assert list_runs(root, status="failed")["run_id"].tolist() == [FAILED]
    assert list_runs(root, dataset="ml-1m")["model"].tolist() == ["bpr"]
    assert list_runs(root, group="sweep-1")["run_id"].tolist() == [RUNS[1][0], RUNS[2][0]]
    assert list_runs(root, tag="baseline")["model"].tolist() == ["pop"]
    assert list_runs(root, limit=2)["run_id"].tolist() == [RUNS[2][0], FAILED]
    chosen = list_runs(root, metrics=["mrr@10", "valid/ndcg@10"])
    assert [c for c in chosen.columns if "/" in c] == ["test/mrr@10", "valid/ndcg@10"]
    assert chosen["test/mrr@10"].tolist()[:3] == [0.2, 0.6, 0.64]
    with pytest.raises(ListingError, match="no run listed has test/ndcg@5; test metrics here"):
        list_runs(root, metrics=["ndcg@5"])
    with pytest.raises(ListingError, match="unknown status 'done'"):
        list_runs(root, status="done")


def test_table_format(root) -> None:
    lines = format_table(list_runs(root)).splitlines()
    header = lines[0].split()
    assert header[:9] == [
        "run", "status", "model", "dataset", "split", "seed", "group", "test/ndcg@10",
        "test/recall@10",
    ]  # fmt: skip
    assert lines[1].startswith("aaaaaaaaaaaa  completed  pop ")
    assert "0.1000" in lines[1].split() and "0.0500" in lines[1].split()
    assert lines[4].startswith("dddddddddddd  failed     bpr ")
    assert lines[4].endswith("RuntimeError: CUDA out of memory.")
    assert "Tried to allocate" not in "\n".join(lines)
    starts = {line.index("completed" if "completed" in line else "failed") for line in lines[1:]}
    assert starts == {lines[0].index("status")} == {14}  # aligned columns


def test_short_run_id_and_machine_formats(root) -> None:
    assert short_run_id(RUNS[0][0]) == "aaaaaaaaaaaa" and short_run_id("mine") == "mine"
    runs = list_runs(root)
    frame = pd.read_csv(io.StringIO(render(runs, "csv")))
    assert frame["run_id"].tolist() == runs["run_id"].tolist()  # full ids
    assert frame["test/ndcg@10"].tolist()[:3] == [0.10, 0.30, 0.32]
    rows = json.loads(render(runs, "json"))
    assert rows[0]["run_id"] == RUNS[0][0] and rows[0]["seed"] == 0
    assert rows[3]["test/ndcg@10"] is None and rows[3]["error"].startswith("RuntimeError")
    assert pd.Timestamp(rows[0]["started"]) == runs["started"].iloc[0]


def test_cli_table(root, capsys) -> None:
    status, out, err = run_cli("--root", str(root), capsys=capsys)
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("run ") and "started (UTC)" in lines[0]
    assert len(lines) == 6 and lines[-1] == "4 runs: 3 completed, 1 failed"
    status, out, _ = run_cli("--root", str(root), "--model", "ease", "--limit", "1",
                             "--metric", "mrr@10", capsys=capsys)  # fmt: skip
    lines = out.splitlines()
    assert status == 0 and "test/mrr@10" in lines[0] and "test/ndcg@10" not in lines[0]
    assert lines[1].startswith("cccccccccccc") and "0.6400" in lines[1].split()
    assert lines[2] == "newest 1 of 2 runs: 1 completed"


def test_cli_machine_formats(root, capsys) -> None:
    status, out, err = run_cli("--root", str(root), "--format", "json", "--status", "failed",
                               capsys=capsys)  # fmt: skip
    assert status == 0 and err == ""
    (row,) = json.loads(out)
    assert row["run_id"] == FAILED and row["error"] == "RuntimeError: CUDA out of memory."
    status, out, _ = run_cli("--root", str(root), "--format", "csv", "--tag", "sweep",
                             capsys=capsys)  # fmt: skip
    frame = pd.read_csv(io.StringIO(out))
    assert frame["run_id"].tolist() == [RUNS[1][0], RUNS[2][0]]


def test_cli_empty_missing_and_unusable(tmp_path, root, capsys) -> None:
    (tmp_path / "empty").mkdir()
    assert run_cli("--root", str(tmp_path / "empty"), capsys=capsys) == (
        0, f"no runs in {tmp_path / 'empty'}\n", "",
    )  # fmt: skip
    nowhere = tmp_path / "nowhere"
    status, out, _ = run_cli("--root", str(nowhere), capsys=capsys)
    assert status == 0 and out == f"no runs in {nowhere} (the directory does not exist)\n"
    status, out, _ = run_cli("--root", str(root), "--model", "bpr", "--status", "completed",
                             capsys=capsys)  # fmt: skip
    assert status == 0 and out == f"no runs in {root} match status=completed, model=bpr\n"
    status, out, err = run_cli("--root", str(tmp_path / "empty"), "--format", "json",
                               capsys=capsys)  # fmt: skip
    assert status == 0 and json.loads(out) == [] and err.startswith("no runs in")
    a_file = tmp_path / "record.json"
    a_file.write_text("{}")
    status, out, err = run_cli("--root", str(a_file), capsys=capsys)
    assert status == 2 and out == ""
    assert err == f"error: {a_file} is not a directory (give the results store's directory)\n"
    status, _, err = run_cli("--root", str(root), "--metric", "ndcg@5", capsys=capsys)
    assert status == 2 and err.startswith("error: no run listed has test/ndcg@5;")
    with pytest.raises(SystemExit) as exited:
        main(["--status", "done"])
    assert exited.value.code == 2


def test_cli_warns_about_a_corrupt_record_and_lists_the_rest(root, capsys) -> None:
    broken = root / "20240501T130000-eeeeeeeeeeee"
    broken.mkdir()
    (broken / "record.json").write_text('{"run_id": ')
    status, out, err = run_cli("--root", str(root), capsys=capsys)
    assert status == 0
    (warning,) = err.splitlines()
    assert warning.startswith("warning: invalid run record ")
    assert str(broken / "record.json") in warning and warning.endswith("(skipped)")
    assert out.splitlines()[-1] == "4 runs: 3 completed, 1 failed"


def test_python_dash_m_entry(root) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.results", "--root", str(root), "--group", "sweep-1"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:3]] == ["bbbbbbbbbbbb", "cccccccccccc"]
    assert lines[-1] == "2 runs: 2 completed" and "\x1b[" not in done.stdout + done.stderr

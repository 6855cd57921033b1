"""``python -m bench.suite`` in subprocesses on real ML-100K: plain quiet output, one-line
errors and exit codes, records whose commands reproduce them, the leaderboard at the end."""

import re
import signal
import time
from pathlib import Path

import pytest
from suite_helpers import BPR, POP, records, suite_cli, train_cli, write_suite

#: Lightning's console chatter and meaningless warnings: none of it may reach the suite's output.
NOISE = (
    "GPU available", "TPU available", "HPU available", "💡", "LOCAL_RANK", "Restoring states",
    "Loaded model weights", "`Trainer.fit` stopped", "Checkpoint directory", "LeafSpec",
    "does not have many workers", "configure_optimizers", "logging interval", "epoch 0",
)  # fmt: skip
STATUS = (
    r"\[{i}/2\] ml-100k random_holdout · {model} · seed 0 · ndcg@10 0\.\d{{4}} · fit \d+\.\d s"
    r" · done"
)


def assert_plain(text: str) -> None:
    assert "\x1b[" not in text and "\r" not in text, repr(text[-500:])
    for noise in NOISE:
        assert noise not in text, (noise, text[-2000:])


@pytest.fixture(scope="module")
def pop_and_bpr(tmp_path_factory: pytest.TempPathFactory):
    """A suite of pop and a two-epoch BPR, run once by the CLI (no leaderboard)."""
    root = tmp_path_factory.mktemp("suite")
    path = write_suite(root / "quiet.yaml", {"pop": POP, "bpr": BPR})
    return root, suite_cli(f"suite={path}", "report=false", cwd=root)


def test_output_is_plain_lines_without_lightning_noise(pop_and_bpr) -> None:
    _, done = pop_and_bpr
    assert done.returncode == 0, done.stderr[-3000:]
    assert_plain(done.stdout + done.stderr)
    assert done.stderr == ""
    header, *status = done.stdout.splitlines()
    assert header == (
        "suite quiet: 2 runs (1 cell, 2 models, 1 seed), 0 in the results store, 2 to run "
        "(launcher local)"
    )
    assert len(status) == 2
    assert re.fullmatch(STATUS.format(i=1, model="pop"), status[0]), status[0]
    assert re.fullmatch(STATUS.format(i=2, model="bpr"), status[1]), status[1]


@pytest.mark.slow
def test_every_record_command_reproduces_it(pop_and_bpr) -> None:
    root, done = pop_and_bpr
    assert done.returncode == 0, done.stderr[-3000:]
    runs = records(root)
    assert sorted(r.model for r in runs) == ["bpr", "pop"]
    for record in runs:
        again = root / f"again-{record.model}"
        again.mkdir()
        rerun = train_cli(record.command, cwd=again)
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        (copy,) = records(again)
        assert copy.config_hash == record.config_hash
        assert copy.metrics["test"]["ndcg@10"] == pytest.approx(
            record.metrics["test"]["ndcg@10"], abs=1e-9
        )


def test_a_bad_key_is_one_line_and_status_2(tmp_path: Path) -> None:
    done = suite_cli("modls=[pop]", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: suite.modls: unknown key; valid: baseline, cells,")
    assert done.stderr.count("\n") == 1


def test_a_failed_run_is_reported_and_the_suite_exits_1(tmp_path: Path) -> None:
    cells = {"users": ["dataset=ml-100k", "split=user_holdout", "eval.metrics=[ndcg@10]"]}
    path = write_suite(tmp_path / "f.yaml", {"bpr": BPR, "pop": POP}, cells=cells)
    done = suite_cli(f"suite={path}", "report=false", cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-3000:]
    assert_plain(done.stdout + done.stderr)
    lines = done.stdout.splitlines()
    assert lines[1].startswith("[1/2] ml-100k user_holdout · bpr · seed 0 · failed: model BPR ")
    assert lines[2].startswith("[2/2] ml-100k user_holdout · pop · seed 0 · ndcg@10 ")
    assert done.stderr.startswith("1 of 2 runs failed:\n  users-bpr-seed0: model BPR has per-user")


@pytest.mark.slow
def test_leaderboard_at_the_end_and_a_rerun_runs_nothing(tmp_path: Path) -> None:
    pytest.importorskip("bench.report", reason="bench.report (build_report) is not importable yet")
    path = write_suite(tmp_path / "board.yaml", {"pop": POP, "ease": ["model=ease"]})
    first = suite_cli(f"suite={path}", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert_plain(first.stdout + first.stderr)
    assert "## RankBench leaderboard" in first.stdout
    out_dir = tmp_path / "reports" / "board"
    for fmt in ("md", "html", "csv", "json"):
        (written,) = out_dir.glob(f"*.{fmt}")
        assert f"{fmt:<5} {written}" in first.stdout.splitlines()
    second = suite_cli(f"suite={path}", cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stdout.splitlines()[0].endswith(
        "2 in the results store, 0 to run (launcher local)"
    )
    assert "## RankBench leaderboard" in second.stdout
    assert len(records(tmp_path)) == 2


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_suite_resumes(tmp_path: Path, sig: signal.Signals, code: int) -> None:
    """Ctrl-C / kill during BPR's training; the rerun skips pop and resumes BPR from last.ckpt."""
    bpr = [*BPR[:-1], "trainer.max_epochs=10", "early_stopping=null"]
    path = write_suite(tmp_path / "stop.yaml", {"pop": POP, "bpr": bpr})
    running = suite_cli(f"suite={path}", "report=false", cwd=tmp_path, wait=False)
    deadline = time.monotonic() + 300
    while not list(tmp_path.glob("outputs/checkpoints/*/last.ckpt")):
        assert running.poll() is None, running.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    running.send_signal(sig)
    stdout, stderr = running.communicate(timeout=120)
    assert running.returncode == code, stderr[-3000:]
    assert_plain(stdout + stderr)  # no "Detected KeyboardInterrupt, attempting graceful ..."
    assert stderr.splitlines()[-1] == (
        "interrupted after 1 of 2 runs: run the same command again to resume"
    )
    assert stdout.splitlines()[1].startswith("[1/2] ml-100k random_holdout · pop · seed 0 ·")
    assert sorted((r.model, r.status) for r in records(tmp_path)) == [
        ("bpr", "failed"),
        ("pop", "completed"),
    ]

    again = suite_cli(f"suite={path}", "report=false", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    header, line = again.stdout.splitlines()
    assert header.endswith("1 in the results store, 1 to run (launcher local)")
    assert line.startswith("[1/1] ml-100k random_holdout · bpr · seed 0 · ndcg@10 ")
    assert line.endswith(" · done (resumed)")
    (bpr_run,) = [r for r in records(tmp_path) if r.status == "completed" and r.model == "bpr"]
    assert bpr_run.extra["resumed_from"].endswith("last.ckpt") and bpr_run.extra["epochs"] == 10

"""``python -m bench.train`` end to end in subprocesses: W&B offline, DDP, kill + resume,
concurrent runs, multirun groups, one-line errors. Real ML-100K, tiny epochs."""

import shlex
import signal
from pathlib import Path

import pandas as pd
import pytest
from train_helpers import cli, compose_train

from bench.results import ResultStore
from bench.train.runner import run
from bench.train.wandb_offline import read_offline_run

pytestmark = pytest.mark.slow
BPR = [
    "model=bpr", "trainer.max_epochs=3", "model.lr=0.01", "eval.metrics=[ndcg@10,recall@10]",
    "threads=1",  # the in-process comparison runs use the same thread count
]  # fmt: skip


def records(root: Path) -> list:
    store = ResultStore(root / "results")
    return [store.read(run_id) for run_id in store.run_ids()]


def test_end_to_end_with_offline_wandb(tmp_path) -> None:
    done = cli(*BPR, "tags=[e2e]", cwd=tmp_path, env={"WANDB_MODE": "offline"})
    assert done.returncode == 0, done.stderr[-3000:]
    (record,) = records(tmp_path)
    assert record.status == "completed" and record.model == "bpr"
    assert record.command == shlex.join(["python", "-m", "bench.train", *BPR, "tags=[e2e]"])
    assert record.n_params == (943 + 1682) * 64
    assert record.extra["best_epoch"] in (0, 1, 2) and record.extra["epochs"] == 3
    per_user = ResultStore(tmp_path / "results").read_per_user(record.run_id, "test")
    assert per_user["recall@10"].mean() == pytest.approx(record.metrics["test"]["recall@10"])
    (wandb_dir,) = tmp_path.glob("outputs/runs/*/wandb/offline-run-*")
    offline = read_offline_run(wandb_dir)
    assert offline.run_id == record.run_id and offline.exit_code == 0
    assert set(offline.tags) == {"ml-100k", "bpr", "random_holdout", "full", "e2e"}
    for split, values in record.metrics.items():
        for key, value in values.items():
            assert offline.summary[f"{split}/{key}"] == value, (split, key)
    assert offline.summary["n_params"] == record.n_params
    assert offline.config["model"]["lr"] == 0.01
    (artifact,) = offline.artifacts
    assert artifact["type"] == "per_user_metrics"
    assert "per_user_test.parquet" in artifact["files"]


def test_ddp_two_processes_equal_one(tmp_path) -> None:
    done = cli("model=ease", "trainer=ddp", "trainer.accelerator=cpu", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    (record,) = records(tmp_path)  # rank 1 writes nothing
    assert record.extra["world_size"] == 2
    single = run(compose_train(["model=ease", "threads=1"], tmp_path / "single"))  # as each rank
    assert record.metrics["test"] == single.test.metrics
    assert record.metrics["valid"] == single.valid.metrics
    ddp_users = ResultStore(tmp_path / "results").read_per_user(record.run_id, "test")
    metrics = list(single.test.per_user.columns)  # (segments and attributes besides)
    pd.testing.assert_frame_equal(
        ddp_users.set_index("user")[metrics], single.test.per_user, check_names=False
    )


def test_ddp_rank_without_evaluation_users_still_syncs(tmp_path) -> None:
    one_user = ["split=user_holdout", "split.valid_users=1", "split.test_users=1", "model=ease"]
    done = cli(*one_user, "trainer=ddp", "trainer.accelerator=cpu", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    (record,) = records(tmp_path)
    single = run(compose_train([*one_user, "threads=1"], tmp_path / "single"))
    assert record.metrics["test"] == single.test.metrics and single.test.n_users == 1


def test_killed_run_resumes_with_the_same_command(tmp_path) -> None:
    kill = ["+callbacks.kill._target_=train_helpers.KillAfterEpoch", "+callbacks.kill.epoch=1"]
    killed = cli(*BPR, *kill, cwd=tmp_path)
    assert killed.returncode == -signal.SIGKILL
    assert records(tmp_path) == []  # SIGKILL leaves no record...
    (ckpt_dir,) = (tmp_path / "outputs" / "checkpoints").iterdir()
    assert (ckpt_dir / "last.ckpt").exists()  # ...but a checkpoint
    resumed = cli(*BPR, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    (record,) = records(tmp_path)
    assert record.extra["resumed_from"] == str(ckpt_dir / "last.ckpt")
    uninterrupted = run(compose_train(BPR, tmp_path / "fresh"))
    assert record.metrics["test"] == uninterrupted.test.metrics


def test_concurrent_runs_are_both_recorded(tmp_path) -> None:
    meet = [
        "+callbacks.meet._target_=train_helpers.Rendezvous",
        f"+callbacks.meet.directory={tmp_path / 'rendezvous'}",
    ]  # both hold their checkpoint locks at once, however the two start-ups are timed
    procs = [cli("model=ease", *meet, cwd=tmp_path, wait=False) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
    assert len(list((tmp_path / "rendezvous").iterdir())) == 2  # both reached it: they overlapped
    both = records(tmp_path)
    assert len(both) == 2 and {r.status for r in both} == {"completed"}
    assert both[0].metrics == both[1].metrics
    dirs = {r.extra["checkpoint_dir"] for r in both}
    assert len(dirs) == 2  # the second got a private checkpoint directory


def test_multirun_grid_shares_one_group(tmp_path) -> None:
    done = cli("-m", "model=pop,ease", "seed=0,1", cwd=tmp_path, env={"WANDB_MODE": "offline"})
    assert done.returncode == 0, done.stderr[-3000:]
    grid = records(tmp_path)
    assert sorted((r.model, r.seed) for r in grid) == [
        ("ease", 0), ("ease", 1), ("pop", 0), ("pop", 1),
    ]  # fmt: skip
    (sweep,) = (tmp_path / "outputs" / "multiruns").iterdir()
    assert {r.group for r in grid} == {sweep.name}
    offline = [read_offline_run(d) for d in sweep.glob("*/wandb/offline-run-*")]
    assert len(offline) == 4 and {o.group for o in offline} == {sweep.name}


@pytest.mark.parametrize(
    ("override", "named"),
    [("model.l3=5", "'model.l3'"), ("eval.batch_size=abc", "eval.batch_size='abc'")],
)
def test_bad_override_is_one_line(tmp_path, override, named) -> None:
    done = cli(override, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], lines
    assert records(tmp_path) == []

import os
import platform

import numpy as np
import pandas as pd
import pytest
import torch
from omegaconf import OmegaConf

from bench.results.jsonable import RecordError, config_hash, result_hash
from bench.results.provenance import git_info
from bench.results.recorder import RunRecorder, name_from_config
from bench.results.store import ResultStore, RunExistsError

CONFIG = {
    "model": {"_target_": "baselines.ease.EASE", "l2": 0.5},
    "dataset": {"name": "ml-100k"},
    "split": {"name": "leave_last_out"},
    "seed": 11,
}


def _per_user() -> pd.DataFrame:
    return pd.DataFrame({"user": [0, 1, 2], "ndcg@10": [1.0, 0.5, 0.0]})


def test_completed_run_writes_full_record(tmp_path):
    store = ResultStore(tmp_path)
    with RunRecorder(store, CONFIG, command="python -m bench.cli.train seed=11", tags=["t"]) as rec:
        rec.set_fingerprints(dataset="dfp", split="sfp")
        n = rec.count_params(torch.nn.Linear(10, 5))
        with rec.time_fit():
            pass
        with rec.time_eval():
            rec.set_metrics("valid", {"ndcg@10": torch.tensor(0.5)})
        with rec.time_eval():
            rec.set_metrics("test", {"ndcg@10": 0.25, "recall@20": float("nan")})
        rec.set_per_user("test", _per_user())
        rec.set_extra("best_epoch", 4)
    assert n == 55
    record = store.read(rec.run_id)
    assert rec.record == record and rec.path == tmp_path / rec.run_id
    assert record.status == "completed" and record.error is None
    assert (record.model, record.dataset, record.split, record.seed) == (
        "EASE",
        "ml-100k",
        "leave_last_out",
        11,
    )
    assert record.config == CONFIG and record.config_hash == config_hash(CONFIG)
    assert (record.dataset_fingerprint, record.split_fingerprint) == ("dfp", "sfp")
    assert record.n_params == 55
    assert record.metrics == {
        "valid": {"ndcg@10": 0.5},
        "test": {"ndcg@10": 0.25, "recall@20": None},
    }
    assert record.git_commit == git_info().commit and record.git_dirty == git_info().dirty
    assert record.packages["torch"] == torch.__version__
    assert record.python == platform.python_version()
    assert record.hardware.cpu_count == os.cpu_count()
    assert record.peak_rss_bytes > 10 * 2**20
    assert record.peak_cuda_bytes is None or torch.cuda.is_available()
    assert 0 <= record.fit_seconds <= record.wall_seconds
    assert 0 <= record.eval_seconds <= record.wall_seconds
    assert record.started_at <= record.ended_at
    assert record.command == "python -m bench.cli.train seed=11" and record.tags == ("t",)
    assert record.extra == {"best_epoch": 4}
    assert record.per_user_splits == ("test",)
    pd.testing.assert_frame_equal(store.read_per_user(rec.run_id, "test"), _per_user())


def _train_and_crash(rec: RunRecorder) -> None:
    rec.set_metrics("valid", {"ndcg@10": 0.3})
    with rec.time_fit():
        raise FloatingPointError("loss is nan at epoch 3")


def test_failed_run_writes_failed_record_and_reraises(tmp_path):
    store = ResultStore(tmp_path)
    with (
        pytest.raises(FloatingPointError, match="loss is nan"),
        RunRecorder(tmp_path, CONFIG) as rec,
    ):
        _train_and_crash(rec)
    assert _entries(tmp_path) == [rec.run_id]  # no .tmp-* residue, no marker left
    record = store.read(rec.run_id)
    assert record.status == "failed"
    assert record.error.type == "FloatingPointError"
    assert record.error.message == "loss is nan at epoch 3"
    assert "_train_and_crash" in record.error.traceback
    assert record.error.traceback.strip().endswith("FloatingPointError: loss is nan at epoch 3")
    assert record.metrics == {"valid": {"ndcg@10": 0.3}}  # what was known before the crash
    assert record.fit_seconds is not None and record.eval_seconds is None


def test_keyboard_interrupt_is_recorded_as_failed(tmp_path):
    with pytest.raises(KeyboardInterrupt), RunRecorder(tmp_path, {}) as rec:
        raise KeyboardInterrupt
    assert ResultStore(tmp_path).read(rec.run_id).error.type == "KeyboardInterrupt"


def test_failed_record_write_error_does_not_mask_the_run_error(tmp_path):
    ResultStore(tmp_path).write(_stub_record("taken"))
    with (
        pytest.raises(ValueError, match="bad batch") as info,
        RunRecorder(tmp_path, {}, run_id="taken"),
    ):
        raise ValueError("bad batch")
    assert any("failed-run record taken was not written" in note for note in info.value.__notes__)


def test_completed_write_error_propagates(tmp_path):
    ResultStore(tmp_path).write(_stub_record("taken"))
    with pytest.raises(RunExistsError), RunRecorder(tmp_path, {}, run_id="taken"):
        pass


def _stub_record(run_id):
    from bench.results.record import RunRecord

    return RunRecord(
        run_id=run_id, status="completed", config={}, started_at="2024-01-01T00:00:00+00:00",
        ended_at="2024-01-01T00:00:00+00:00",
    )  # fmt: skip


def test_omegaconf_config_is_resolved(tmp_path):
    cfg = OmegaConf.create({"model": {"name": "pop", "k": "${top_k}"}, "top_k": 10, "seed": 0})
    with RunRecorder(tmp_path, cfg) as rec:
        pass
    record = ResultStore(tmp_path).read(rec.run_id)
    assert record.config == {"model": {"name": "pop", "k": 10}, "top_k": 10, "seed": 0}
    assert (record.model, record.seed) == ("pop", 0)


def test_bad_values_fail_inside_the_block(tmp_path):
    with (
        pytest.raises(RecordError, match="metric test/ndcg = 'high'"),
        RunRecorder(tmp_path, {}) as rec,
    ):
        rec.set_metrics("test", {"ndcg": "high"})
    assert ResultStore(tmp_path).read(rec.run_id).error.type == "RecordError"
    with pytest.raises(RecordError, match=r"extra\.fn = "), RunRecorder(tmp_path, {}) as rec:
        rec.set_extra("fn", object())
    with pytest.raises(RecordError, match="config must be a mapping, got list"):
        RunRecorder(tmp_path, [1, 2])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"run_id": "a/b"}, "invalid run id 'a/b'"),
        ({"seed": 1.5}, r"seed = 1\.5 must be int"),
        ({"tags": ["a", 2]}, "tags must contain only strings"),
        ({"group": 3}, "group = 3 must be str"),
    ],
)
def test_bad_arguments_fail_at_construction(tmp_path, kwargs, message):
    with pytest.raises(RecordError, match=message):
        RunRecorder(tmp_path, {}, **kwargs)
    assert not os.listdir(tmp_path)


def test_setters_validate_and_config_seed_fallback(tmp_path):
    rec = RunRecorder(tmp_path, {"seed": "7"})  # a non-int config seed is not the seed
    with pytest.raises(RecordError, match=r"n_params = 2\.5 must be an integer"):
        rec.set_params(2.5)
    with pytest.raises(RecordError, match="dataset_fingerprint = 5 must be str"):
        rec.set_fingerprints(dataset=5)
    rec.set_params(np.int64(12))
    with rec:
        pass
    record = ResultStore(tmp_path).read(rec.run_id)
    assert (record.n_params, record.seed) == (12, None)
    assert record.command.startswith("python ")  # default: this process's argv


def test_recorder_cannot_be_reused(tmp_path):
    recorder = RunRecorder(tmp_path, {})
    with recorder:
        pass
    with pytest.raises(RuntimeError, match="records one run"), recorder:
        pass
    assert len(_entries(tmp_path)) == 1


def test_name_from_config_variants():
    assert name_from_config({"model": "pop"}, "model") == "pop"
    assert name_from_config({"model": {"name": "x", "_target_": "a.B"}}, "model") == "x"
    assert name_from_config({"model": {"_target_": "a.b.C"}}, "model") == "C"
    assert name_from_config({"model": {"l2": 1}}, "model") is None
    assert name_from_config({"model": 3}, "model") is None


def _entries(root) -> list[str]:
    """The store's entries; the (emptied) ``.running`` marker folder must hold nothing."""
    running = root / ".running"
    assert not running.exists() or not os.listdir(running)
    return [name for name in os.listdir(root) if name != ".running"]


def test_a_killed_run_shows_as_interrupted_and_a_running_one_as_running(tmp_path) -> None:
    import subprocess
    import sys

    from bench.results import load
    from bench.results.markers import INTERRUPTED

    script = (
        "import os, signal, sys\n"
        "from bench.results import RunRecorder\n"
        "with RunRecorder(sys.argv[1], {'model': {'name': 'bpr'}, 'seed': 4}) as rec:\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], timeout=120)
    assert done.returncode == -9
    table = load(tmp_path)
    (row,) = table.itertuples()
    assert row.status == "interrupted" and row.model == "bpr" and row.seed == 4
    assert row.error_message == INTERRUPTED
    assert load(tmp_path, status="interrupted").shape[0] == 1
    # the marker names the configuration the record would have had: a resume is recognisable
    with RunRecorder(tmp_path, {"model": {"name": "bpr"}, "seed": 4}) as resumed:
        pass
    assert row.config_hash == ResultStore(tmp_path).read(resumed.run_id).config_hash
    assert len(row.config_hash) == 64
    with RunRecorder(tmp_path, {"seed": 1}) as rec:
        running = load(tmp_path, status="running")
        assert running["config_hash"].tolist() == [result_hash({"seed": 1})]
        assert running["run_id"].tolist() == [rec.run_id]
    completed = load(tmp_path, status="completed")["run_id"].tolist()
    assert sorted(completed) == sorted([resumed.run_id, rec.run_id])
    assert load(tmp_path, status="running").empty


def test_sigterm_and_ctrl_c_records_say_what_happened(tmp_path) -> None:
    for exc, expected in ((SystemExit(143), "interrupted by SIGTERM (exit status 143)"),
                          (KeyboardInterrupt(), "interrupted by SIGINT (Ctrl-C)"),
                          (SystemExit(1), "the run called sys.exit(1)")):  # fmt: skip
        with pytest.raises(type(exc)), RunRecorder(tmp_path, {"seed": 0}) as rec:
            raise exc
        assert ResultStore(tmp_path).read(rec.run_id).error.message.startswith(expected)

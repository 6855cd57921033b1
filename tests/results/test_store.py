import json
import multiprocessing
import os
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from _record_factory import build_record

from bench.results.record import RecordError
from bench.results.store import (
    CorruptRecordError,
    ResultStore,
    RunExistsError,
    check_per_user,
    new_run_id,
)


def _per_user(n: int = 5, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user": np.arange(n, dtype=np.int32) * 3,
            "ndcg@10": rng.random(n),
            "recall@20": np.where(np.arange(n) == 1, np.nan, rng.random(n)),
        }
    )


def _entries(root) -> list[str]:
    return sorted(os.listdir(root))


def test_write_read_round_trip_with_per_user_tables(tmp_path):
    store = ResultStore(tmp_path / "results")  # created on first write
    record = build_record("r1")
    tables = {"test": _per_user(6, 1), "valid": _per_user(4, 2)}
    run_dir = store.write(record, tables)
    assert run_dir == tmp_path / "results" / "r1"
    assert sorted(os.listdir(run_dir)) == [
        "per_user_test.parquet",
        "per_user_valid.parquet",
        "record.json",
    ]
    back = store.read("r1")
    assert back.per_user_splits == ("test", "valid")
    assert back == replace(record, per_user_splits=("test", "valid"))
    for split, frame in tables.items():
        loaded = store.read_per_user("r1", split)
        pd.testing.assert_frame_equal(loaded, frame)
        assert loaded["user"].dtype == np.int32
    assert np.isnan(store.read_per_user("r1", "test").loc[1, "recall@20"])
    assert json.loads((run_dir / "record.json").read_text())["run_id"] == "r1"
    assert store.run_ids() == ["r1"] and "r1" in store and "r2" not in store


def test_write_once_violation_raises_and_keeps_original(tmp_path):
    store = ResultStore(tmp_path)
    store.write(build_record("r1", seed=1), {"test": _per_user()})
    with pytest.raises(RunExistsError, match=r"run 'r1' already exists in .*write-once"):
        store.write(build_record("r1", seed=2))
    assert store.read("r1").seed == 1
    assert store.read_per_user("r1").shape == (5, 3)
    assert _entries(tmp_path) == ["r1"]  # no temp residue


def test_rename_race_is_reported_as_exists_and_cleans_up(tmp_path, monkeypatch):
    """Another writer creates the run between our existence check and our rename."""
    store = ResultStore(tmp_path)
    real_rename = os.rename

    def rename_after_rival(src, dst):
        store_rival = ResultStore(tmp_path)
        monkeypatch.setattr(os, "rename", real_rename)
        store_rival.write(build_record("r1", seed=99))
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename_after_rival)
    with pytest.raises(RunExistsError):
        store.write(build_record("r1", seed=1))
    assert store.read("r1").seed == 99
    assert _entries(tmp_path) == ["r1"]


def test_invalid_per_user_table_writes_nothing(tmp_path):
    store = ResultStore(tmp_path)
    bad = {"test": pd.DataFrame({"user": [1, 1], "ndcg@10": [0.1, 0.2]})}
    with pytest.raises(RecordError, match="user 1 appears more than once"):
        store.write(build_record("r1"), bad)
    assert _entries(tmp_path) == []


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"u": [1], "m": [0.1]}), "has no 'user' column"),
        (pd.DataFrame({"user": [1]}), "has no metric columns"),
        (pd.DataFrame({"user": ["a"], "m": [0.1]}), "'user' must be integer"),
        (pd.DataFrame({"user": [1], "m": ["x"]}), "column 'm' must be numeric"),
        (pd.DataFrame({"user": [1], "a/b": [0.1]}), "invalid metric name 'a/b'"),
        ({"user": [1]}, "must be a pandas DataFrame, got dict"),
    ],
)
def test_check_per_user_messages(frame, message):
    with pytest.raises(RecordError, match=message):
        check_per_user(frame, "test")


def test_failure_while_writing_leaves_no_residue(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)

    def broken_parquet(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken_parquet)
    with pytest.raises(OSError, match="disk full"):
        store.write(build_record("r1"), {"test": _per_user()})
    assert _entries(tmp_path) == []


def test_readers_ignore_temp_and_hidden_entries_and_clean_tmp(tmp_path):
    store = ResultStore(tmp_path)
    store.write(build_record("r1"))
    residue = tmp_path / ".tmp-r2-abc123"
    residue.mkdir()
    (residue / "record.json").write_text("{half")
    (tmp_path / ".DS_Store").write_text("x")
    (tmp_path / "notes.txt").write_text("a stray file")
    assert store.run_ids() == ["r1"]
    assert store.clean_tmp(older_than_s=3600) == []  # fresh: may belong to a live writer
    old = time.time() - 7200
    os.utime(residue, (old, old))
    assert store.clean_tmp(older_than_s=3600) == [residue]
    assert not residue.exists()


def test_corrupt_record_error_names_the_file(tmp_path):
    store = ResultStore(tmp_path)
    store.write(build_record("r1"))
    path = tmp_path / "r1" / "record.json"
    path.write_text('{"run_id": "r1", ')
    with pytest.raises(CorruptRecordError) as info:
        store.read("r1")
    message = str(info.value)
    assert message.startswith(f"invalid run record {path}: not valid JSON")
    assert "on_error='warn'" in message and "\n" not in message
    assert info.value.path == path


def test_record_in_wrong_directory_and_missing_runs(tmp_path):
    store = ResultStore(tmp_path)
    store.write(build_record("r1"))
    os.rename(tmp_path / "r1", tmp_path / "r9")
    with pytest.raises(CorruptRecordError, match=r"run_id 'r1' != directory name"):
        store.read("r9")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorruptRecordError, match=r"empty/record.json: cannot read it"):
        store.read("empty")
    with pytest.raises(FileNotFoundError, match="no run 'nope'"):
        store.read("nope")
    store.write(build_record("r2"), {"test": _per_user()})
    with pytest.raises(FileNotFoundError, match=r"no per-user table for split 'valid'.*\['test'\]"):
        store.read_per_user("r2", "valid")


def test_records_warn_mode_skips_corrupt(tmp_path):
    store = ResultStore(tmp_path)
    for run_id in ("a", "b", "c"):
        store.write(build_record(run_id))
    (tmp_path / "b" / "record.json").write_text("[]")
    with pytest.raises(CorruptRecordError, match=r"b/record\.json"):
        list(store.records())
    with pytest.warns(UserWarning, match=r"b/record\.json: a record must be a JSON object"):
        ids = [r.run_id for r in store.records(on_error="warn")]
    assert ids == ["a", "c"]
    with pytest.raises(ValueError, match="on_error='skip'"):
        list(store.records(on_error="skip"))


def test_new_run_ids_are_unique_and_time_sortable():
    ids = [new_run_id() for _ in range(2000)]
    assert len(set(ids)) == 2000
    assert all(len(i) == 28 and i[8] == "T" and i[15] == "-" for i in ids)


# -- concurrency ------------------------------------------------------------------------------
def _worker(root: str, worker: int, n: int, start_at: float) -> list[str]:
    """Write n records (fresh ids) and then race for one shared id; runs in a spawned process."""
    store = ResultStore(root)
    time.sleep(max(0.0, start_at - time.time()))
    written = []
    for i in range(n):
        run_id = new_run_id()
        record = build_record(run_id, seed=worker * 100 + i, extra={"pid": os.getpid()})
        store.write(record, {"test": _per_user(8, seed=worker * 100 + i)})
        written.append(run_id)
    try:
        store.write(build_record("shared", seed=worker))
        written.append("shared")
    except RunExistsError:
        pass
    return written


@pytest.mark.slow
def test_concurrent_writers_never_clobber(tmp_path):
    n_workers, per_worker = 8, 5
    start_at = time.time() + 2.0  # let every process finish importing before they start
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(n_workers) as pool:
        results = pool.starmap(
            _worker, [(str(tmp_path), w, per_worker, start_at) for w in range(n_workers)]
        )
    written = [run_id for ids in results for run_id in ids]
    assert written.count("shared") == 1  # exactly one writer won the shared id
    fresh = [run_id for run_id in written if run_id != "shared"]
    assert len(fresh) == len(set(fresh)) == n_workers * per_worker
    store = ResultStore(tmp_path)
    assert store.run_ids() == sorted(written)
    assert _entries(tmp_path) == sorted(written)  # no temp residue
    seeds = set()
    for record in store.records():
        if record.run_id == "shared":
            continue
        seeds.add(record.seed)
        worker, i = divmod(record.seed, 100)
        pd.testing.assert_frame_equal(
            store.read_per_user(record.run_id), _per_user(8, seed=worker * 100 + i)
        )
    assert seeds == {w * 100 + i for w in range(n_workers) for i in range(per_worker)}
    assert len({r.extra["pid"] for r in store.records() if r.run_id != "shared"}) == n_workers

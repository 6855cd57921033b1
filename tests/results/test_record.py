import json

import numpy as np
import pytest
from _record_factory import build_record

from bench.results.jsonable import config_hash, result_hash
from bench.results.provenance import Hardware
from bench.results.record import SCHEMA_VERSION, ErrorInfo, RecordError, RunRecord

HW = Hardware("Linux-6", "x86_64", "node1", 2, 24 * 2**30, None, 0)


def test_round_trip_through_json_is_exact():
    record = build_record(hardware=HW)
    text = record.to_json()
    data = json.loads(text)
    assert data["schema_version"] == SCHEMA_VERSION == 2
    assert data["config_hash"] == result_hash(record.config)
    assert data["hardware"]["ram_bytes"] == 24 * 2**30
    assert data["tags"] == ["baseline", "ease"]
    back = RunRecord.from_json(text)
    assert back == record
    assert back.hardware == HW and back.tags == ("baseline", "ease")
    assert back.metrics["test"] == {"ndcg@10": 0.29, "recall@20": 0.4}


def test_failed_record_round_trip_keeps_error():
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError as exc:
        error = ErrorInfo.from_exception(exc)
    record = RunRecord(
        run_id="f1", status="failed", config={}, started_at="2024-01-01T00:00:00+00:00",
        ended_at="2024-01-01T00:00:01+00:00", error=error,
    )  # fmt: skip
    back = RunRecord.from_dict(json.loads(record.to_json()))
    assert back.error.type == "ZeroDivisionError" and back.error.message == "boom"
    assert "test_failed_record_round_trip_keeps_error" in back.error.traceback
    assert back == record


def test_numpy_and_nan_values_are_normalised():
    record = build_record(
        config={"lr": np.float32(0.5), "dims": (8, 16)},
        metrics={"test": {"ndcg@10": np.float64(0.125), "mrr": float("nan"), "hit": np.int64(1)}},
    )
    assert record.config == {"lr": 0.5, "dims": [8, 16]}
    assert record.metrics == {"test": {"ndcg@10": 0.125, "mrr": None, "hit": 1.0}}
    assert "NaN" not in record.to_json()
    assert json.loads(record.to_json())["metrics"]["test"]["mrr"] is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "done"}, "status 'done' is not one of"),
        ({"status": "failed"}, "a failed record needs an error"),
        ({"run_id": "../etc"}, "invalid run id '../etc'"),
        ({"run_id": ".tmp-x"}, "invalid run id"),
        ({"seed": "7"}, "seed = '7' must be int"),
        ({"seed": True}, "seed = True must be int"),
        ({"git_dirty": "no"}, "git_dirty = 'no' must be bool"),
        ({"started_at": "yesterday"}, "started_at = 'yesterday' is not an ISO 8601"),
        ({"config_hash": "0" * 64}, "does not match the config"),
        ({"metrics": {"test": {"a/b": 1.0}}}, "invalid metric name 'a/b'"),
        ({"metrics": {"te st": {"a": 1.0}}}, "invalid split name 'te st'"),
        ({"metrics": {"test": {"a": "high"}}}, "metric test/a = 'high' must be a number"),
        ({"tags": "ease"}, "tags must be a list of strings"),
    ],
)
def test_invalid_fields_raise_one_line_errors(changes, message):
    with pytest.raises(RecordError, match=message) as info:
        build_record(**changes)
    assert "\n" not in str(info.value)


def test_from_dict_checks_schema_and_fields():
    data = build_record().to_dict()
    with pytest.raises(RecordError, match=r"schema_version 3 is newer .*upgrade"):
        RunRecord.from_dict({**data, "schema_version": 3})
    with pytest.raises(RecordError, match="schema_version None is missing"):
        RunRecord.from_dict({k: v for k, v in data.items() if k != "schema_version"})
    with pytest.raises(RecordError, match=r"unknown field\(s\) \['colour'\]"):
        RunRecord.from_dict({**data, "colour": "red"})
    with pytest.raises(RecordError, match=r"missing field\(s\) \['ended_at'\]"):
        RunRecord.from_dict({k: v for k, v in data.items() if k != "ended_at"})
    with pytest.raises(RecordError, match="malformed hardware"):
        RunRecord.from_dict({**data, "hardware": {"cpu": 2}})
    with pytest.raises(RecordError, match="must be a JSON object, got list"):
        RunRecord.from_dict([data])
    edited = {**data, "config": {**data["config"], "seed": 8}}
    with pytest.raises(RecordError, match="the record was edited"):
        RunRecord.from_dict(edited)


def test_from_json_rejects_bad_json():
    with pytest.raises(RecordError, match="not valid JSON"):
        RunRecord.from_json('{"run_id": ')


def test_config_hash_is_computed_when_omitted():
    record = build_record()
    assert record.config_hash == result_hash(
        {"seed": 7, "dataset": {"name": "ml-100k"}, "model": {"l2": 0.5, "name": "ease"}}
    )


def test_config_hash_ignores_paths_and_loggers_and_variant_hash_ignores_the_seed():
    base = {"model": {"l2": 0.5}, "seed": 1, "paths": {"output_dir": "/o/2024-01-01_10-00"}}
    base["trainer"] = {"default_root_dir": "/o/2024-01-01_10-00", "max_epochs": 3}
    later = {**base, "paths": {"output_dir": "/o/2024-02-02_11-11"}, "logger": {"w": {"id": 3}}}
    later["trainer"] = {"default_root_dir": "/o/2024-02-02_11-11", "max_epochs": 3}
    a, b = build_record(config=base), build_record(config=later)
    assert a.config_hash == b.config_hash and a.variant_hash == b.variant_hash
    seed2 = build_record(config={**base, "seed": 2})
    assert seed2.config_hash != a.config_hash and seed2.variant_hash == a.variant_hash
    changed = build_record(config={**base, "model": {"l2": 5.0}})
    assert changed.variant_hash != a.variant_hash


def test_schema_1_records_are_still_read_with_their_full_config_hash():
    data = build_record().to_dict()
    old = {k: v for k, v in data.items() if k not in NEW_IN_2}
    old.update(schema_version=1, config_hash=config_hash(data["config"]))
    record = RunRecord.from_dict(old)
    assert record.schema_version == 1 and record.protocol is None
    assert record.variant_hash == result_hash(data["config"], with_seed=False)


def test_directions_are_checked():
    with pytest.raises(RecordError, match="must be true or false"):
        build_record(higher_is_better={"ndcg@10": "yes"})
    assert build_record(higher_is_better={"ndcg@10": True}).higher_is_better == {"ndcg@10": True}


NEW_IN_2 = (
    "variant_hash",
    "preprocess",
    "split_params",
    "protocol",
    "test_history",
    "higher_is_better",
)

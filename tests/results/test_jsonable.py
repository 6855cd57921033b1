import hashlib
from pathlib import Path

import numpy as np
import pytest

from bench.results.jsonable import RecordError, canonical_json, config_hash, to_jsonable


def test_to_jsonable_converts_numpy_paths_tuples_and_non_finite():
    value = {
        "f32": np.float32(0.25),
        "i64": np.int64(3),
        "flag": np.bool_(True),
        "arr": np.array([[1, 2]]),
        "path": Path("/tmp/x"),
        "tup": (1, (2.5, float("-inf"))),
        "nan": float("nan"),
        "npnan": np.float64("nan"),
    }
    out = to_jsonable(value)
    assert out == {
        "f32": 0.25,
        "i64": 3,
        "flag": True,
        "arr": [[1, 2]],
        "path": "/tmp/x",
        "tup": [1, [2.5, None]],
        "nan": None,
        "npnan": None,
    }
    assert type(out["i64"]) is int and type(out["flag"]) is bool


def test_to_jsonable_rejects_objects_and_non_string_keys_naming_the_place():
    with pytest.raises(RecordError, match=r"config\.model\.fn = .*object.*not JSON-serialisable"):
        to_jsonable({"model": {"fn": object()}}, "config")
    with pytest.raises(RecordError, match="non-string key 1"):
        to_jsonable({1: "a"})


def test_config_hash_is_sha256_of_sorted_compact_json():
    config = {"b": {"y": 1, "x": [1.5, None]}, "a": "é"}
    text = '{"a":"é","b":{"x":[1.5,null],"y":1}}'
    assert canonical_json(config) == text
    assert config_hash(config) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    reordered = {"a": "é", "b": {"x": [1.5, None], "y": 1}}
    assert config_hash(reordered) == config_hash(config)
    assert config_hash({"a": 1}) != config_hash({"a": 1.0000001})
    assert config_hash({}) == hashlib.sha256(b"{}").hexdigest()


def test_side_table_declarations_hash_only_when_a_metric_reads_them() -> None:
    """Declaring item features (MovieLens genres) must not change the hash of an accuracy-only
    run, and must change it once ild@K reads them."""
    from bench.results.jsonable import result_config, result_hash

    plain = {"dataset": {"name": "d", "sources": [{"path": "p"}]}, "eval": {"metrics": ["ndcg@10"]}}
    declared = {
        "dataset": {
            "name": "d",
            "item_features": {"id": "item_id"},
            "sources": [{"path": "p", "item_features": {"sep": "|"}}],
        },
        "eval": {"metrics": ["ndcg@10"]},
    }
    assert result_hash(declared) == result_hash(plain)
    reading = {**declared, "eval": {"metrics": ["ndcg@10", "ild@10"]}}
    assert result_hash(reading) != result_hash({**plain, "eval": reading["eval"]})
    kept = result_config(reading)["dataset"]
    assert kept["item_features"] == {"id": "item_id"}
    assert kept["sources"][0]["item_features"] == {"sep": "|"}

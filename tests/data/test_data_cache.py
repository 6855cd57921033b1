import json

import pandas as pd

from bench.data.cache import cache_root, load_prepared, prepared_dir, save_prepared
from bench.data.interactions import Interactions


def toy():
    raw = pd.DataFrame({"user": ["a", "b", "a"], "item": ["x", "x", "y"], "rating": [1, 2, 3]})
    return Interactions.from_raw("toy", raw, {"source": "test"})


def test_cache_root_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("RANKBENCH_CACHE", str(tmp_path / "env"))
    assert cache_root(None) == tmp_path / "env"
    assert cache_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("RANKBENCH_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root(None) == tmp_path / "home" / ".cache" / "rankbench"


def test_round_trip_keeps_table_vocab_meta(tmp_path):
    root, data = cache_root(tmp_path), toy()
    save_prepared(root, "k1", data)
    back = load_prepared(root, "toy", "k1")
    assert back.fingerprint == data.fingerprint and back.user_vocab == ("a", "b")
    assert back.item_vocab == ("x", "y") and back.meta["source"] == "test"
    pd.testing.assert_frame_equal(back.frame, data.frame)
    assert list((root / "tmp").iterdir()) == []


def test_absent_and_corrupt_entries_are_misses(tmp_path):
    root = cache_root(tmp_path)
    assert load_prepared(root, "toy", "nope") is None
    save_prepared(root, "k1", toy())
    meta = prepared_dir(root, "toy", "k1") / "meta.json"
    doc = json.loads(meta.read_text())
    doc["fingerprint"] = "0" * 16
    meta.write_text(json.dumps(doc))
    assert load_prepared(root, "toy", "k1") is None
    assert not prepared_dir(root, "toy", "k1").exists()  # removed, to be rebuilt


def test_a_same_size_edit_of_the_order_column_is_detected(tmp_path):
    import datasets

    root = cache_root(tmp_path)
    save_prepared(root, "k1", toy())
    table_dir = prepared_dir(root, "toy", "k1") / "table"
    arrow = sorted(table_dir.glob("*.arrow"))
    size = sum(p.stat().st_size for p in arrow)
    table = datasets.load_from_disk(str(table_dir)).to_pandas()
    assert table["order"].tolist() == [0, 1, 2]
    edited = datasets.Dataset.from_pandas(table.assign(order=[2, 1, 0]), preserve_index=False)
    scratch = tmp_path / "edited"
    edited.save_to_disk(str(scratch))
    for path in sorted(scratch.glob("*.arrow")):  # same schema, same size: only values differ
        (table_dir / arrow[0].name).write_bytes(path.read_bytes())
    assert sum(p.stat().st_size for p in table_dir.glob("*.arrow")) == size
    assert datasets.load_from_disk(str(table_dir)).to_pandas()["order"].tolist() == [2, 1, 0]
    assert load_prepared(root, "toy", "k1") is None  # the fingerprint alone would not notice
    assert not prepared_dir(root, "toy", "k1").exists()  # removed, to be rebuilt

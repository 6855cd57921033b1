import pandas as pd

from bench.data.interactions import Interactions
from bench.data.stats import dataset_stats, format_table, split_stats
from bench.split.base import Split


def test_dataset_stats_values():
    raw = pd.DataFrame({"user": ["a", "b", "a"], "item": ["x", "x", "y"]})
    data = Interactions.from_raw("toy", raw, {"source": "mirror t", "cache": "hit"})
    s = dataset_stats(data)
    assert (s["users"], s["items"], s["interactions"], s["density"]) == (2, 2, 3, 0.75)
    assert s["fingerprint"] == data.fingerprint and s["source"] == "mirror t"


def test_split_stats_without_audit():
    part = pd.DataFrame({"user": [0, 1], "item": [1, 0], "order": [0, 1]})
    split = Split("demo", train=part, valid=part.iloc[:1], test=part.iloc[:0], n_users=2, n_items=2)
    s = split_stats(split)
    assert s["sizes"] == {"train": 2, "valid": 1, "test": 0}
    assert s["users"] == {"train": 2, "valid": 1, "test": 0} and s["audit"] is None


def test_table_flattens_and_formats_numbers():
    text = format_table({"dataset": {"users": 6040, "density": 0.0446, "x": {"a": 1}}})
    assert text.splitlines() == ["dataset", "  users    6,040", "  density  0.0446", "  x.a      1"]

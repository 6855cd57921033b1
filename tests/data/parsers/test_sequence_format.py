"""The custom dataset reads "user item item ..." sequence files (format: sequences)."""

import os
from pathlib import Path

import pandas as pd
import pytest

from bench.data import load
from bench.data.errors import SchemaError


def test_real_s3rec_file_through_the_custom_dataset_equals_its_own_config(tmp_path) -> None:
    mirror = Path(os.environ["RANKBENCH_MIRROR"]) / "S3Rec" / "Beauty.txt"
    custom = load("custom", cache_dir=str(tmp_path), **{"dataset.path": str(mirror),
                  "dataset.parser.format": "sequences"})  # fmt: skip
    own = load("s3rec-beauty", cache_dir=str(tmp_path))
    assert (custom.n_users, custom.n_items, custom.n_interactions) == (22363, 12101, 198502)
    assert custom.fingerprint == own.fingerprint


def test_timestamps_in_item_tokens(tmp_path) -> None:
    path = tmp_path / "clicks.txt"
    path.write_text("u1 a,300 b,100\nu2 b,50\n")
    timed = {"dataset.parser.format": "sequences", "dataset.parser.timestamps": True}
    data = load("custom", cache_dir=str(tmp_path), **{"dataset.path": str(path), **timed})
    frame = data.frame
    assert frame["timestamp"].tolist() == [300, 100, 50] and data.n_interactions == 3
    assert pd.Series(data.item_vocab).tolist() == ["a", "b"]
    bad = tmp_path / "bad.txt"
    bad.write_text("u1 a b\n")
    with pytest.raises(SchemaError, match=r"item token 1 is 'a', expected 'item,timestamp'"):
        load("custom", cache_dir=str(tmp_path), **{"dataset.path": str(bad), **timed})

"""Data that comes already split (``dataset=presplit dataset.parts...``): one id mapping over the
parts, a ``part`` marker per row, a fingerprint over every part, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from data_helpers import dataset_cfg

from bench.data import load, prepare
from bench.data.errors import ConfigError, EmptyDataError, SchemaError, SourceUnavailableError
from bench.data.parts import part_paths


def gowalla_files(root: Path, test: str = "1 12\n0 13 10\n") -> dict[str, str]:
    """LightGCN-style ``user item item ...`` lines: train.txt and test.txt."""
    (root / "train.txt").write_text("0 10 11\n1 11 12\n")
    (root / "test.txt").write_text(test)
    return {"train": str(root / "train.txt"), "test": str(root / "test.txt")}


def load_parts(root: Path, parts: dict, **overrides) -> object:
    given = {f"dataset.parts.{part}": path for part, path in parts.items()}
    return load(
        "presplit",
        **given,
        **{"dataset.parser.format": "sequences", "cache_dir": str(root / "cache"), **overrides},
    )


def test_parts_share_one_id_mapping_and_mark_each_row(tmp_path) -> None:
    data = load_parts(tmp_path, gowalla_files(tmp_path))
    frame = data.frame
    assert data.user_vocab == ("0", "1") and data.item_vocab == ("10", "11", "12", "13")
    assert frame["user"].tolist() == [0, 0, 1, 1, 1, 0, 0]  # raw "1" is index 1 in every part
    assert frame["item"].tolist() == [0, 1, 1, 2, 2, 3, 0]  # raw "10" is index 0 in train and test
    assert frame["part"].tolist() == [0, 0, 0, 0, 2, 2, 2]
    assert frame["order"].tolist() == list(range(7))
    assert data.meta["parts"]["test"]["raw_rows"] == 3 and data.meta["cache"] == "miss"
    assert load_parts(tmp_path, gowalla_files(tmp_path)).meta["cache"] == "hit"


def test_the_fingerprint_covers_every_part(tmp_path) -> None:
    before = load_parts(tmp_path, gowalla_files(tmp_path)).fingerprint
    changed = load_parts(tmp_path, gowalla_files(tmp_path, test="1 12\n0 13 11\n"))
    assert changed.meta["cache"] == "miss" and changed.fingerprint != before
    # the same rows moved from test to train are another dataset too
    (tmp_path / "b").mkdir()
    moved = gowalla_files(tmp_path / "b", test="1 12\n")
    (tmp_path / "b" / "train.txt").write_text("0 10 11\n1 11 12\n0 13 10\n")
    moved_data = load_parts(tmp_path, moved)
    assert moved_data.n_interactions == 7 and moved_data.fingerprint != before


def test_a_valid_file_sits_between_train_and_test(tmp_path) -> None:
    parts = gowalla_files(tmp_path)
    (tmp_path / "valid.txt").write_text("1 10\n")
    data = load_parts(tmp_path, {**parts, "valid": str(tmp_path / "valid.txt")})
    assert data.frame["part"].tolist() == [0, 0, 0, 0, 1, 2, 2, 2]


def test_preprocessing_runs_on_the_union_and_keeps_the_part(tmp_path) -> None:
    changes = {f"parts.{part}": path for part, path in gowalla_files(tmp_path).items()}
    cfg = dataset_cfg("presplit", **changes, **{"parser.format": "sequences"})
    data = prepare(cfg, {"item_min": 2}, tmp_path / "cache")
    # item 13 appears once over all parts (in test) and is dropped; 10, 11, 12 twice each
    assert (
        data.item_vocab == ("10", "11", "12") and data.frame["part"].tolist() == [0] * 4 + [2] * 2
    )


def test_one_line_errors(tmp_path) -> None:
    parts = gowalla_files(tmp_path)
    with pytest.raises(SourceUnavailableError, match=r"the test part's file is missing") as err:
        load_parts(tmp_path, {**parts, "test": str(tmp_path / "nope.txt")})
    assert "dataset.parts.test" in str(err.value) and "\n" not in str(err.value)
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(EmptyDataError, match=r"the valid part .* has no rows.*parts.valid=null"):
        load_parts(tmp_path, {**parts, "valid": str(tmp_path / "empty.txt")})
    with pytest.raises(ConfigError, match=r"dataset.parts.test is not set"):
        load_parts(tmp_path, {"train": parts["train"]})
    with pytest.raises(ConfigError, match=r"unknown part 'validation' in dataset.parts"):
        part_paths("mine", {**parts, "validation": parts["test"]})  # a plain dict config
    (tmp_path / "stamped.txt").write_text("0 13,100\n")
    with pytest.raises(SchemaError, match=r"expected 'item,timestamp'"):  # train has no stamps
        load_parts(tmp_path, {**parts, "test": str(tmp_path / "stamped.txt")}, **{
            "dataset.parser.timestamps": True})  # fmt: skip


def test_parts_with_different_columns_are_refused(tmp_path) -> None:
    (tmp_path / "train.csv").write_text("user_id,item_id,ts\nu1,a,5\n")
    (tmp_path / "test.csv").write_text("user_id,item_id\nu1,b\n")
    with pytest.raises(SchemaError, match=r"missing column 'ts'"):
        load(
            "presplit",
            **{
                "dataset.parts.train": str(tmp_path / "train.csv"),
                "dataset.parts.test": str(tmp_path / "test.csv"),
                "dataset.parser.columns.timestamp": "ts",
                "cache_dir": str(tmp_path / "cache"),
            },
        )

"""scripts/recbole_same_split.py: the pure parts (no RecBole, no training).

The benchmark files must hold exactly our split (raw ids, one file per part), and RecBole's
config must read them as they are: no filtering, full ranking, metrics at full precision.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import pandas as pd
import pytest
from script_module import load_script

same_split = load_script("recbole_same_split")


def test_docstring_examples_run() -> None:
    result = doctest.testmod(same_split, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 1
    assert result.failed == 0


class _Split:
    def __init__(self) -> None:
        self.train = pd.DataFrame({"user": [0, 0, 1, 1], "item": [0, 1, 1, 2]})
        self.valid = pd.DataFrame({"user": [0, 1], "item": [2, 0]})
        self.test = pd.DataFrame({"user": [1], "item": [3]})


def test_benchmark_files_hold_the_split_with_raw_ids(tmp_path: Path) -> None:
    counts = same_split.benchmark_files(_Split(), ["u7", "u9"], ["a", "b", "c", "d"],
                                        tmp_path, "toy")  # fmt: skip
    assert counts == {"train": 4, "valid": 2, "test": 1}
    folder = tmp_path / "toy"
    names = sorted(p.name for p in folder.iterdir())  # no temporary file left behind
    assert names == ["toy.test.inter", "toy.train.inter", "toy.valid.inter"]
    train = pd.read_csv(folder / "toy.train.inter", sep="\t", dtype=str)
    assert list(train.columns) == ["user_id:token", "item_id:token"]
    assert train.values.tolist() == [["u7", "a"], ["u7", "b"], ["u9", "b"], ["u9", "c"]]
    test = pd.read_csv(folder / "toy.test.inter", sep="\t", dtype=str)
    assert test.values.tolist() == [["u9", "d"]]


def test_recbole_config_reads_the_files_as_they_are(tmp_path: Path) -> None:
    config = same_split.recbole_config(tmp_path, 3, {"reg_weight": 250.0})
    assert config["benchmark_filename"] == ["train", "valid", "test"]
    assert config["eval_args"]["mode"] == "full"
    assert config["metrics"] == ["NDCG", "Recall"] and config["topk"] == [10]
    assert config["metric_decimal_place"] >= 8  # RecBole's default rounds to 4 places
    assert config["seed"] == 3 and config["reg_weight"] == 250.0
    for key in ("user_inter_num_interval", "item_inter_num_interval", "val_interval"):
        assert key not in config  # our preprocessing already ran: RecBole must not filter again
    assert set(same_split.METRICS.values()) == {"ndcg_binary@10", "recall@10"}


def test_param_parsing() -> None:
    assert same_split.parse_param("reg_weight=1e3") == ("reg_weight", 1000.0)
    assert same_split.parse_param("k=[1, 2]") == ("k", [1, 2])
    with pytest.raises(Exception, match="expected key=value"):
        same_split.parse_param("reg_weight")


def test_table_lists_each_seed_and_the_means() -> None:
    def seed(s: int, ours: float, theirs: float) -> dict:
        row = {"ours": ours, "recbole": theirs, "diff": ours - theirs}
        return {"seed": s, "metrics": {"ndcg_binary@10": row, "recall@10": row}}

    table = same_split.format_table([seed(0, 0.30, 0.30), seed(1, 0.20, 0.1999)])
    lines = table.splitlines()
    assert lines[2] == "| 0 | ndcg_binary@10 | 0.3000 | 0.3000 | +0.00e+00 |"
    assert "| mean | ndcg_binary@10 | 0.2500 | 0.2500 | +5.00e-05 |" in lines

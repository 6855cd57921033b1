"""split=predefined: the parts the data came in (Gowalla-style train.txt / test.txt), audited like
every split, end to end through the runner and the CLI."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench.data.interactions import Interactions
from bench.split import Predefined, RandomHoldout, SplitError

TRAIN_DIR = Path(__file__).resolve().parents[1] / "train"
if str(TRAIN_DIR) not in sys.path:
    sys.path.insert(0, str(TRAIN_DIR))

from train_helpers import cli, compose_train  # noqa: E402

# Train popularity is 10: 5, 11: 4, 12: 3, 13: 2, 14: 1 (no ties); 15 is only in test.
GOWALLA_TRAIN = "0 10 11 12 13 14\n1 10 11 12 13\n2 10 11 12\n3 10 11\n4 10\n"
GOWALLA_TEST = "0 15\n1 15\n2 14 15\n3 12\n4 13 11\n"


def gowalla(root: Path) -> list[str]:
    """LightGCN's layout in ``root``; the overrides that run it with split=predefined."""
    (root / "train.txt").write_text(GOWALLA_TRAIN)
    (root / "test.txt").write_text(GOWALLA_TEST)
    return [
        "dataset=presplit", "dataset.name=gowalla-tiny", "dataset.parser.format=sequences",
        f"dataset.parts.train={root / 'train.txt'}", f"dataset.parts.test={root / 'test.txt'}",
        "split=predefined", "eval.metrics=[recall@2,ndcg@2]", "eval.select=recall@2",
    ]  # fmt: skip


def parts_data(users: list, items: list, parts: list, timestamps: list | None = None):
    raw = pd.DataFrame({"user": users, "item": items, "part": parts})
    if timestamps is not None:
        raw["timestamp"] = timestamps
    return Interactions.from_raw("toy", raw)


def test_pop_on_gowalla_style_files_end_to_end(tmp_path) -> None:
    from bench.results import ResultStore
    from bench.train.runner import run

    over = [*gowalla(tmp_path), "split.valid=none", "early_stopping=null", "model=pop"]
    outcome = run(compose_train(over, tmp_path))
    record = ResultStore(tmp_path / "results").read(outcome.run_id)
    split = record.extra["split"]
    assert split["sizes"] == {"train": 15, "valid": 0, "test": 7}
    assert split["users"] == {"train": 5, "valid": 0, "test": 5}
    assert (split["n_users"], split["n_items"]) == (5, 6) and split["clean"] is True
    # Pop ranks the unseen items by train popularity (15 last, score 0). Recall@2 per user:
    # 0: {15} -> 15 first; 1: {15} -> 14, 15; 2: {14, 15} -> 13, 14 (1 of 2); 3: {12} -> 12 first;
    # 4: {13, 11} -> 11, 12 (1 of 2).
    assert outcome.test.metrics["recall@2"] == pytest.approx((1 + 1 + 0.5 + 1 + 0.5) / 5)
    hit2 = 1 / math.log2(3)  # a hit at rank 2
    ndcg = [1, hit2, hit2 / (1 + hit2), 1, 1 / (1 + hit2)]
    assert outcome.test.metrics["ndcg@2"] == pytest.approx(sum(ndcg) / 5)
    assert math.isnan(outcome.valid.metrics["recall@2"])  # no validation data: not computed


def test_validation_carved_from_train_by_leave_last_out(tmp_path) -> None:
    from bench.train.runner import run

    over = [*gowalla(tmp_path), "split.valid=leave_last_out", "model=ease"]
    outcome = run(compose_train(over, tmp_path))
    assert outcome.valid.n_users == 4  # user 4 has one train row: kept train-only
    assert outcome.test.n_users == 5


def test_validation_equal_to_test_is_refused_in_one_line(tmp_path) -> None:
    from bench.train.leakage import LeakageError
    from bench.train.runner import run

    (tmp_path / "valid.txt").write_text(GOWALLA_TEST)
    over = [*gowalla(tmp_path), f"dataset.parts.valid={tmp_path / 'valid.txt'}", "model=pop"]
    with pytest.raises(LeakageError, match=r"7 test \(user, item\) pairs also in valid \(is "):
        run(compose_train(over, tmp_path))
    done = cli(*over, "logger=none", cwd=tmp_path)
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: split predefined is not clean: 7 test (user, item) pairs")
    assert "is validation a copy of test?" in last and "allow_leakage=true" in last


def test_no_validation_with_early_stopping_is_refused(tmp_path) -> None:
    from bench.train.errors import RunConfigError
    from bench.train.settings import load_settings

    cfg = compose_train([*gowalla(tmp_path), "split.valid=none", "model=bpr"], tmp_path)
    with pytest.raises(RunConfigError, match=r"early_stopping is on but split.valid=none") as err:
        load_settings(cfg)
    assert "early_stopping=null" in str(err.value) and "\n" not in str(err.value)


def test_rows_go_by_part_and_ids_are_shared() -> None:
    data = parts_data(["a", "a", "b", "b", "a", "c"], [1, 2, 1, 3, 3, 2], [0, 0, 0, 1, 2, 2])
    split = Predefined()(data, seed=0)
    assert split.train["order"].tolist() == [0, 1, 2]
    assert split.valid["order"].tolist() == [3] and split.test["order"].tolist() == [4, 5]
    assert "part" not in split.test.columns and split.params["valid"] == "file"
    # user c is only in test: reported as a cold user, not a leak
    assert split.audit.cold_users_test == 1 and split.audit.clean


def test_repeat_consumption_is_a_leak_finding() -> None:
    data = parts_data(["a", "a", "a"], [1, 2, 1], [0, 1, 2])
    audit = Predefined()(data, seed=0).audit
    assert audit.test_pairs_in_train == 1 and not audit.clean


def test_random_holdout_carve_reuses_the_holdout_rule() -> None:
    users = [u for u in range(6) for _ in range(u + 1)]  # user u has u + 1 train rows
    both = parts_data([*users, 0], list(range(len(users) + 1)), [0] * len(users) + [2])
    split = Predefined(valid="random_holdout", valid_ratio=0.5)(both, seed=3)
    # floor(0.5 * n) per user (n = 1..6): 0, 1, 1, 2, 2, 3 -> 9 valid rows
    assert split.sizes() == {"train": 12, "valid": 9, "test": 1}
    assert split.seed == 3 and split.audit.clean
    again = Predefined(valid="random_holdout", valid_ratio=0.5)(both, seed=3)
    assert again.fingerprint == split.fingerprint


def test_leave_last_out_carve_takes_the_latest_train_row() -> None:
    data = parts_data(
        ["a", "a", "a", "b", "a"], [1, 2, 3, 1, 4], [0, 0, 0, 0, 2], timestamps=[5, 9, 1, 3, 20]
    )
    split = Predefined(valid="leave_last_out")(data)
    assert split.valid["item"].tolist() == [1]  # raw item 2, timestamp 9
    assert split.audit.policy_counts == {"users_train_only": 1, "rows_train_only": 1}


def test_one_line_errors_of_the_split() -> None:
    plain = Interactions.from_raw("one", pd.DataFrame({"user": [1], "item": [1]}))
    with pytest.raises(SplitError, match=r"not given as parts - use dataset=presplit"):
        Predefined()(plain)
    data = parts_data(["a", "a"], [1, 2], [0, 2])
    with pytest.raises(SplitError, match=r"split.valid=file but the dataset has no valid part"):
        Predefined()(data)
    with pytest.raises(SplitError, match=r"has a valid part but split.valid=none"):
        Predefined(valid="none")(parts_data(["a", "a", "a"], [1, 2, 3], [0, 1, 2]))
    with pytest.raises(SplitError, match=r"this split would ignore that - use split=predefined"):
        RandomHoldout()(data, seed=0)
    with pytest.raises(SplitError, match=r"valid_ratio=1.5 must be a number in \(0, 1\)"):
        Predefined(valid_ratio=1.5)
    with pytest.raises(SplitError, match=r"valid='test' is not one of"):
        Predefined(valid="test")

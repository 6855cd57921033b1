"""The leakage audit is acted on: an unclean split stops the run unless allowed (then recorded)."""

import pandas as pd
import pytest
from train_helpers import cli, compose_train

from bench.results import ResultStore
from bench.train.leakage import LeakageError
from bench.train.runner import run


def repeated_clicks(path) -> str:
    """Every user re-clicks their first item last: leave-last-out's test item is in train."""
    rows = []
    for user in range(30):
        items = [(user + k) % 12 for k in range(5)]
        rows += [(user, item, 10 * k) for k, item in enumerate([*items, items[0]])]
    pd.DataFrame(rows, columns=["user_id", "item_id", "ts"]).to_csv(path, index=False)
    return str(path)


def overrides(path) -> list[str]:
    return [
        "dataset=custom", f"dataset.path={path}", "dataset.parser.columns.timestamp=ts",
        "split=leave_last_out", "model=pop", "eval.metrics=[ndcg@10]",
    ]  # fmt: skip


def test_an_unclean_split_stops_the_run_with_one_line(tmp_path) -> None:
    path = repeated_clicks(tmp_path / "clicks.csv")
    with pytest.raises(LeakageError, match="30 test \\(user, item\\) pairs also in train") as info:
        run(compose_train(overrides(path), tmp_path))
    assert "allow_leakage=true" in str(info.value) and "\n" not in str(info.value)
    done = cli(*overrides(path), "logger=none", cwd=tmp_path)
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: split leave_last_out is not clean: 30 test")


def test_allowed_leakage_runs_warns_and_is_recorded(tmp_path) -> None:
    path = repeated_clicks(tmp_path / "clicks.csv")
    with pytest.warns(UserWarning, match="not clean \\(allowed by allow_leakage=true"):
        outcome = run(compose_train([*overrides(path), "allow_leakage=true"], tmp_path))
    record = ResultStore(tmp_path / "results").read(outcome.run_id)
    assert record.status == "completed" and record.extra["leakage"]["allowed"] is True
    assert record.extra["leakage"]["problems"][0].startswith("30 test (user, item) pairs")


def test_a_clean_split_records_no_problem(tmp_path) -> None:
    outcome = run(compose_train(["model=pop", "eval.metrics=[ndcg@10]"], tmp_path))
    record = ResultStore(tmp_path / "results").read(outcome.run_id)
    assert record.extra["leakage"] == {"allowed": False, "problems": []}


def test_ranking_validation_items_is_recorded_and_makes_another_cell(tmp_path) -> None:
    from bench.report import cell_key

    base = ["model=ease", "eval.metrics=[ndcg@10]", "eval.test_history=train"]
    default = run(compose_train(base, tmp_path))
    ranked = run(compose_train([*base, "eval.exclude_valid=false"], tmp_path))
    store = ResultStore(tmp_path / "results")
    a, b = store.read(default.run_id), store.read(ranked.run_id)
    assert a.exclude_valid is True and b.exclude_valid is False
    assert cell_key(a) != cell_key(b) and "validation items ranked" in cell_key(b).title
    # with the validation items back in the ranking they compete with the test targets
    assert ranked.test.metrics["ndcg@10"] < default.test.metrics["ndcg@10"]


def test_ratings_as_gains_change_ndcg_not_recall_and_make_another_cell(tmp_path) -> None:
    from bench.report import cell_key

    base = ["model=ease", "eval.metrics=[ndcg@10,recall@10]"]  # ml-100k has 1-5 star ratings
    binary = run(compose_train(base, tmp_path))
    graded = run(compose_train([*base, "eval.gains=rating"], tmp_path))
    assert graded.test.metrics["recall@10"] == binary.test.metrics["recall@10"]
    assert graded.test.metrics["ndcg@10"] != pytest.approx(binary.test.metrics["ndcg@10"], abs=1e-4)
    store = ResultStore(tmp_path / "results")
    a, b = store.read(binary.run_id), store.read(graded.run_id)
    assert (a.gains, b.gains) == ("binary", "rating") and cell_key(a) != cell_key(b)
    assert "graded gains" in cell_key(b).title


def test_rating_gains_without_ratings_is_one_line(tmp_path) -> None:
    path = repeated_clicks(tmp_path / "clicks.csv")
    with pytest.raises(ValueError, match=r"eval\.gains=rating needs ratings, but the valid part"):
        run(compose_train([*overrides(path), "eval.gains=rating", "allow_leakage=true"], tmp_path))

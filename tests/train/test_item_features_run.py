"""A dataset that declares item features runs ild@K end to end; one without them is refused at
start-up. The recorded ild@5 equals the value computed by hand on a tiny catalogue."""

import math

import pytest
from train_helpers import compose_train

from bench.results import ResultStore
from bench.train.errors import RunConfigError
from bench.train.runner import run
from bench.train.settings import load_settings


def write_files(root) -> tuple[str, str]:
    """Users u0..u4 click a, b, then one of c..g; genres for a..f (none for g) plus zz."""
    rows = ["user_id,item_id,ts"]
    for n, last in enumerate("cdefg"):
        rows += [f"u{n},a,1", f"u{n},b,2", f"u{n},{last},3"]
    (root / "clicks.csv").write_text("\n".join(rows) + "\n")
    genres = ["zz,x", "f,x|y", "e,y", "d,x", "c,x", "b,y", "a,x"]
    (root / "items.csv").write_text("item_id,genres\n" + "\n".join(genres) + "\n")
    return str(root / "clicks.csv"), str(root / "items.csv")


def overrides(clicks: str, items: str | None) -> list[str]:
    base = [
        "dataset=custom", f"dataset.path={clicks}", "dataset.parser.columns.timestamp=ts",
        "split=leave_last_out", "model=pop", "eval.metrics=[ndcg@5,ild@5]", "eval.select=ndcg@5",
    ]  # fmt: skip
    if items is None:
        return base
    declared = f"{{path:'{items}',id:item_id,multi_hot:{{column:genres,sep:'|'}}}}"
    return [*base, f"+dataset.item_features={declared}"]


def test_ild_runs_end_to_end_and_equals_the_hand_computed_value(tmp_path) -> None:
    clicks, items = write_files(tmp_path)
    with pytest.warns(UserWarning, match="1 of 7 items of the interactions have no row"):
        outcome = run(compose_train(overrides(clicks, items), tmp_path))
    # Each test user has seen a (train) and b (valid, excluded from the test ranking), so the
    # top 5 are c, d, e, f, g whatever their order. Unit genre vectors: c = d = (1, 0),
    # e = (0, 1), f = (1, 1)/sqrt(2), g = 0 (no row). Cosines over the 10 pairs: c-d 1, c-f,
    # d-f, e-f 1/sqrt(2), the rest 0; ild = mean distance = (10 - 1 - 3/sqrt(2)) / 10.
    expected = (9 - 3 / math.sqrt(2)) / 10
    record = ResultStore(tmp_path / "results").read(outcome.run_id)
    assert record.status == "completed"
    assert record.metrics["test"]["ild@5"] == pytest.approx(expected, abs=1e-12)
    assert outcome.test.metrics["ild@5"] == pytest.approx(0.6878679656440357, abs=1e-12)
    summary = record.extra["features"]
    assert record.extra["feature_fingerprint"] == summary["fingerprint"]
    assert summary["item"]["shape"] == [7, 2]
    assert (summary["item"]["dropped"], summary["item"]["missing"]) == (1, 1)


def test_without_item_features_ild_is_refused_before_training(tmp_path) -> None:
    clicks, items = write_files(tmp_path)
    with pytest.raises(RunConfigError, match="ild@5 needs item_features") as info:
        load_settings(compose_train(overrides(clicks, None), tmp_path))
    assert "dataset.item_features" in str(info.value) and "\n" not in str(info.value)
    load_settings(compose_train(overrides(clicks, items), tmp_path))  # declared: accepted


def test_a_feature_file_change_changes_the_recorded_feature_fingerprint_only(tmp_path) -> None:
    clicks, items = write_files(tmp_path)
    store = ResultStore(tmp_path / "results")
    with pytest.warns(UserWarning):
        first = store.read(run(compose_train(overrides(clicks, items), tmp_path)).run_id)
    (tmp_path / "items.csv").write_text((tmp_path / "items.csv").read_text() + "g,y\n")
    second = store.read(run(compose_train(overrides(clicks, items), tmp_path)).run_id)
    assert first.dataset_fingerprint == second.dataset_fingerprint
    assert first.extra["feature_fingerprint"] != second.extra["feature_fingerprint"]
    # declared but read by no metric (the default ndcg / recall list): not loaded, not recorded
    accuracy = [o for o in overrides(clicks, items) if not o.startswith("eval.")]
    plain = store.read(run(compose_train(accuracy, tmp_path)).run_id)
    assert plain.dataset_fingerprint == first.dataset_fingerprint
    assert "feature_fingerprint" not in plain.extra and "features" not in plain.extra

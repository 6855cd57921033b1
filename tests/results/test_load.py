import math

import numpy as np
import pandas as pd
import pytest
from _record_factory import build_record

from bench.results import load, load_per_user
from bench.results.load import BASE_COLUMNS, flatten
from bench.results.record import ErrorInfo
from bench.results.store import CorruptRecordError, ResultStore

ERROR = ErrorInfo("RuntimeError", "CUDA out of memory", "Traceback ...")


@pytest.fixture
def root(tmp_path):
    store = ResultStore(tmp_path)
    for i, (model, l2, seed) in enumerate([("ease", 0.5, 0), ("ease", 5.0, 0), ("pop", None, 1)]):
        config = {"model": {"name": model, "l2": l2}, "dataset": {"name": "ml-100k"}, "seed": seed}
        store.write(
            build_record(
                f"run-{i}",
                config=config,
                model=model,
                seed=seed,
                started_at=f"2024-05-0{3 - i}T00:00:00+00:00",  # later ids started earlier
                ended_at=f"2024-05-0{3 - i}T01:00:00+00:00",
                metrics={"valid": {"ndcg@10": 0.1 * (i + 1)}, "test": {"ndcg@10": 0.05 * (i + 1)}},
                group="sweep-b" if model == "pop" else "sweep-a",
            ),
            {"test": pd.DataFrame({"user": [0, 1], "ndcg@10": [0.1 * i, 0.2]})},
        )
    store.write(
        build_record(
            "run-failed",
            status="failed",
            error=ERROR,
            config={"model": {"name": "ease", "l2": 50.0}, "seed": 0},
            metrics={"valid": {"ndcg@10": 0.2}},
            started_at="2024-05-09T00:00:00+00:00",
        )
    )
    return tmp_path


def test_load_gives_one_row_per_run_with_flat_columns(root):
    table = load(root)
    assert list(table.columns[: len(BASE_COLUMNS)]) == list(BASE_COLUMNS)
    assert table["run_id"].tolist() == ["run-2", "run-1", "run-0", "run-failed"]  # by start time
    row = table.set_index("run_id").loc["run-1"]
    assert row["status"] == "completed" and row["model"] == "ease" and row["seed"] == 0
    assert row["valid/ndcg@10"] == pytest.approx(0.2) and row["test/ndcg@10"] == pytest.approx(0.1)
    assert "test/recall@20" not in table.columns  # no record has it
    assert row["cfg.model.l2"] == 5.0 and row["cfg.dataset.name"] == "ml-100k"
    assert row["dataset_fingerprint"] == "d" * 16 and row["git_commit"] == "a" * 40
    assert row["n_params"] == 1682 * 1682 and row["peak_rss_bytes"] == 2**30
    assert row["fit_seconds"] == 300.25 and row["pkg.torch"] == "2.13.0"
    assert row["extra.best_epoch"] == 3 and row["tags"] == ("baseline", "ease")
    assert row["started_at"] == pd.Timestamp("2024-05-02T00:00:00", tz="UTC")
    assert table["seed"].dtype == "Int64" and table["git_dirty"].dtype == "boolean"
    assert table["test/ndcg@10"].dtype == np.float64
    failed = table.set_index("run_id").loc["run-failed"]
    assert (
        failed["error_type"] == "RuntimeError" and failed["error_message"] == "CUDA out of memory"
    )
    assert math.isnan(failed["test/ndcg@10"]) and failed["valid/ndcg@10"] == pytest.approx(0.2)
    assert pd.isna(table.set_index("run_id").loc["run-0", "error_type"])
    assert table.loc[table.run_id == "run-2", "cfg.model.l2"].isna().all()  # config had l2: None


def test_filters_status_values_lists_and_dotted_keys(root):
    assert load(root, status="completed")["run_id"].tolist() == ["run-2", "run-1", "run-0"]
    assert load(root, "failed")["run_id"].tolist() == ["run-failed"]
    assert load(root, model="ease", seed=0)["run_id"].tolist() == ["run-1", "run-0"]
    assert load(root, group=["sweep-b", "nope"])["run_id"].tolist() == ["run-2"]
    assert load(root, **{"cfg.model.l2": 0.5})["run_id"].tolist() == ["run-0"]
    assert load(root, **{"cfg.model.l2": None})["run_id"].tolist() == ["run-2"]
    assert load(root, status="completed", **{"test/ndcg@10": 0.05})["run_id"].tolist() == ["run-0"]
    assert load(root, model="lightgcn").empty
    four = ("run-0", "run-1", "x", "y")  # as long as the table: must not compare element-wise
    assert load(root, tags=four).empty and load(root, run_id=four).empty
    assert len(load(root, tags=("baseline", "ease"))) == 4


def test_bad_filter_and_status_errors(root):
    with pytest.raises(ValueError, match=r"unknown filter 'modle': not a column"):
        load(root, modle="ease")
    with pytest.raises(ValueError, match=r"status='done': use None or one of"):
        load(root, status="done")


def test_config_fields_selects_cfg_columns(root):
    table = load(root, config_fields=["model"])
    cfg = sorted(c for c in table.columns if c.startswith("cfg."))
    assert cfg == ["cfg.model.l2", "cfg.model.name"]
    assert [c for c in load(root, config_fields=["seed"]).columns if c.startswith("cfg.")] == [
        "cfg.seed"
    ]


def test_corrupt_record_raises_naming_file_or_warns_and_skips(root):
    path = root / "run-1" / "record.json"
    path.write_text(path.read_text().replace('"status": "completed"', '"status": "finished"'))
    with pytest.raises(CorruptRecordError, match=rf"^invalid run record {path}: status 'finished'"):
        load(root)
    with pytest.warns(UserWarning, match="run-1/record.json"):
        table = load(root, on_error="warn")
    assert sorted(table["run_id"]) == ["run-0", "run-2", "run-failed"]


def test_temp_residue_is_ignored(root):
    residue = root / ".tmp-run-9-xyz"
    residue.mkdir()
    (residue / "record.json").write_text(build_record("run-9").to_json())
    assert "run-9" not in load(root)["run_id"].tolist()
    assert len(load(root)) == 4


def test_empty_or_missing_store(tmp_path):
    table = load(tmp_path / "nothing-here")
    assert table.empty and list(table.columns[: len(BASE_COLUMNS)]) == list(BASE_COLUMNS)
    assert load(tmp_path, status="completed", **{"cfg.model.l2": 1}).empty


def test_load_per_user_round_trip(root):
    frame = load_per_user(root, "run-2")
    expected = pd.DataFrame({"ndcg@10": [0.2, 0.2]}, index=pd.Index([0, 1], name="user"))
    pd.testing.assert_frame_equal(frame, expected)
    with pytest.raises(FileNotFoundError, match="no per-user table for split 'valid'"):
        load_per_user(root, "run-2", split="valid")
    with pytest.raises(FileNotFoundError, match="no run 'run-7'"):
        load_per_user(ResultStore(root), "run-7")


def test_flatten_nested_config():
    assert flatten({"a": {"b": {"c": 1}}, "d": [1, 2], "e": {}}, "cfg") == {
        "cfg.a.b.c": 1,
        "cfg.d": (1, 2),
    }

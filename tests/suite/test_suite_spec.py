"""Suite configs: the shipped suites compose and validate; bad keys and values are one line."""

from pathlib import Path

import pytest
from suite_helpers import POP, write_suite

from bench.suite import SuiteError, available_suites, load_config


def test_shipped_suites_validate() -> None:
    assert {"default", "recbole_ml1m"} <= set(available_suites())
    default = load_config([])  # suite=default
    suite = default.suite
    assert suite.name == "default" and suite.seeds == (0, 1, 2) and suite.baseline == "ease"
    assert [m.name for m in suite.models] == ["pop", "ease", "bpr"]
    assert default.options.launcher == "local" and default.options.formats[0] == "md"
    recbole = load_config(["suite=recbole_ml1m"]).suite
    (cell,) = recbole.cells
    assert [m.name for m in recbole.models_in(cell)] == ["pop", "ease", "bpr"]
    assert recbole.tag == "suite:recbole_ml1m"


def test_command_line_overrides(tmp_path: Path) -> None:
    config = load_config(
        ["suite=recbole_ml1m", "launcher=joblib", "n_jobs=4", "seeds=[0]",
         f"root_dir={tmp_path}", "models.extra=[model=pop]", "metrics=[recall@10]"]
    )  # fmt: skip
    assert config.options.launcher == "joblib" and config.options.n_jobs == 4
    assert config.suite.seeds == (0,) and config.suite.metrics == ("recall@10",)
    assert config.options.results_dir == tmp_path / "results"
    assert config.options.report_dir == tmp_path / "reports" / "recbole_ml1m"
    assert [m.name for m in config.suite.models] == ["extra"]


def test_suite_from_a_path(tmp_path: Path) -> None:
    path = write_suite(tmp_path / "mine.yaml", {"pop": POP}, seeds=(3, 4))
    config = load_config([f"suite={path}"])
    assert config.suite.name == "mine" and config.suite.seeds == (3, 4)
    (cell,) = config.suite.cells
    assert cell.name == "random" and cell.overrides[0] == "dataset=ml-100k"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["modls=[pop]"], "suite.modls: unknown key; valid: baseline, cells, description,"),
        (["suite=nope"], "suite=nope: no such suite; available: default, recbole_ml1m"),
        (["seeds=[0,0]"], "suite.seeds: expected distinct integers >= 0"),
        (["seeds=[]"], "suite.seeds: expected distinct integers >= 0"),
        (["baseline=itemknn"], "suite.baseline: 'itemknn' is not a model of the suite; valid:"),
        (["launcher=slurm"], "suite.launcher: 'slurm'; valid: local, joblib, ray"),
        (["n_jobs=0"], "suite.n_jobs: expected an integer >= 1, got 0"),
        (["logger=tensorboard"], "suite.logger: 'tensorboard'; valid:"),
        (["formats=[pdf]"], "suite.formats: 'pdf'; valid: md, html, csv, json"),
        (["report=maybe"], "suite.report: expected true or false, got 'maybe'"),
        (["metrics=[]"], "suite.metrics: expected at least one entry"),
        (["models.pop=[seed=3]"], "suite.models.pop: 'seed=3': seed is set by the suite"),
        (["models.pop=['model.l2=1,2']"], "suite.models.pop: 'model.l2=1,2' sweeps several"),
        (["seeds"], "seeds: expected key=value"),
        (["cells.a.overrides=[model=pop]", "cells.a.modls=1"], "suite.cells.a.modls: unknown key"),
    ],
)
def test_bad_config_is_one_line(overrides: list[str], message: str) -> None:
    with pytest.raises(SuiteError) as caught:
        load_config(overrides)
    text = str(caught.value)
    assert text.startswith(message), text
    assert "\n" not in text


def test_bad_key_in_a_suite_file(tmp_path: Path) -> None:
    path = write_suite(tmp_path / "typo.yaml", modls={"pop": POP})
    with pytest.raises(SuiteError, match=r"^suite\.modls: unknown key; valid: baseline, cells"):
        load_config([f"suite={path}"])
    bad_name = write_suite(tmp_path / "name.yaml", {"pop/x": POP})
    with pytest.raises(SuiteError, match=r"^suite\.models\.pop/x: invalid name 'pop/x'"):
        load_config([f"suite={bad_name}"])


def test_a_cell_needs_models(tmp_path: Path) -> None:
    path = tmp_path / "nomodels.yaml"
    path.write_text("cells: {a: [dataset=ml-100k]}\nseeds: [0]\nbaseline: pop\nmetrics: [x]\n")
    with pytest.raises(SuiteError, match=r"^suite\.cells\.a: no models"):
        load_config([f"suite={path}"])

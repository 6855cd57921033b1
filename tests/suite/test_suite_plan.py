"""Job planning: cells x models x seeds, the bench.train command of each job, its config hash."""

from pathlib import Path

import pytest
from omegaconf import OmegaConf
from suite_helpers import BPR, CELL, POP, suite_config, write_suite

from bench.cli.compose import compose_train, set_paths, train_configs
from bench.results import ErrorInfo, ResultStore, RunRecord, reproduce_command
from bench.results.provenance import utc_now
from bench.suite import SuiteError, completed_hashes, load_config, pending, plan_jobs


def test_default_suite_jobs() -> None:
    config = load_config([])
    jobs = plan_jobs(config)
    suite = config.suite
    expected = [
        (cell.name, model.name, seed)
        for cell in suite.cells
        for model in suite.models_in(cell)
        for seed in suite.seeds
    ]
    assert [(j.cell, j.model, j.seed) for j in jobs] == expected
    assert len({j.key for j in jobs}) == len({j.config_hash for j in jobs}) == len(jobs)
    first = jobs[0]
    assert first.label == "ml-100k random_holdout"
    assert first.train_overrides[0] == "logger=wandb" and "threads=1" in first.train_overrides
    assert first.train_overrides[-2:] == ["seed=0", "tags=[suite:default]"]
    assert first.command == reproduce_command("bench.train", first.train_overrides)
    recbole = [j for j in jobs if j.cell == "ml1m_recbole"]
    assert {j.model for j in recbole} == {"pop", "ease"}
    assert recbole[0].tags == ("recbole-benchmark", "suite:default")  # the experiment's tags kept
    assert recbole[0].label == "ml-1m implicit_3_10core random_holdout recbole"


def test_cells_models_and_seeds(tmp_path: Path) -> None:
    cells = {
        "random": CELL,
        "last": {"overrides": ["dataset=ml-100k", "split=leave_last_out"],
                 "models": {"pop": POP}},
    }  # fmt: skip
    path = write_suite(tmp_path / "s.yaml", {"pop": POP, "bpr": BPR}, seeds=(0, 1, 2), cells=cells)
    jobs = plan_jobs(suite_config(path, tmp_path))
    assert [(j.cell, j.model) for j in jobs[::3]] == [("random", "pop"), ("random", "bpr"),
                                                       ("last", "pop")]  # fmt: skip
    assert [j.seed for j in jobs] == [0, 1, 2] * 3
    assert [j.label for j in jobs[::3]] == ["ml-100k random_holdout"] * 2 + [
        "ml-100k leave_last_out"
    ]


def test_hash_ignores_where_and_how_outputs_go(tmp_path: Path) -> None:
    path = write_suite(tmp_path / "s.yaml", {"pop": POP})
    (a,) = plan_jobs(suite_config(path, tmp_path / "one"))
    (b,) = plan_jobs(suite_config(path, tmp_path / "two", "logger=wandb"))
    (c,) = plan_jobs(suite_config(path, tmp_path / "one", "threads=2"))
    assert a.config_hash == b.config_hash  # paths and loggers are not part of a result
    assert a.config_hash != c.config_hash  # threads is part of a run's config


def test_bad_train_override_names_its_cell_and_model(tmp_path: Path) -> None:
    path = write_suite(tmp_path / "s.yaml", {"ease": ["model=ease", "model.l2=abc"]})
    with pytest.raises(SuiteError, match=r"^suite cell random, model ease: model.l2='abc' must be"):
        plan_jobs(suite_config(path, tmp_path))
    path = write_suite(tmp_path / "s.yaml", {"x": ["model=no_such_model"]})
    with pytest.raises(SuiteError, match=r"^suite cell random, model x: .*'model/no_such_model'"):
        plan_jobs(suite_config(path, tmp_path))


def test_done_means_completed_with_the_hash_and_the_suite_tag(tmp_path: Path) -> None:
    path = write_suite(tmp_path / "s.yaml", {"pop": POP}, seeds=(0, 1))
    config = suite_config(path, tmp_path)
    jobs = plan_jobs(config)
    with train_configs():  # job 0's resolved config, as the runner records it
        cfg = compose_train(jobs[0].train_overrides)
    set_paths(cfg, tmp_path, tmp_path / "results", tmp_path / "elsewhere")
    resolved = OmegaConf.to_container(cfg, resolve=True)
    store = ResultStore(tmp_path / "results")

    def record(status: str, tags: tuple[str, ...]) -> None:
        error = None if status == "completed" else ErrorInfo("RuntimeError", "boom", "")
        store.write(
            RunRecord(
                run_id=store.new_run_id(),
                status=status,
                config=resolved,
                started_at=utc_now(),
                ended_at=utc_now(),
                tags=tags,
                error=error,
            )
        )

    assert completed_hashes(tmp_path / "missing", "suite:s") == set()
    record("failed", ("suite:s",))  # failed: runs again
    record("completed", ("other",))  # not the suite's: its leaderboard would miss it
    assert pending(jobs, completed_hashes(store.root, "suite:s")) == jobs
    record("completed", ("x", "suite:s"))
    assert pending(jobs, completed_hashes(store.root, "suite:s")) == jobs[1:]


def test_recbole_suite_jobs() -> None:
    jobs = plan_jobs(load_config(["suite=recbole_ml1m"]))
    assert [(j.model, j.seed) for j in jobs[::3]] == [("pop", 0), ("ease", 0), ("bpr", 0)]
    assert len(jobs) == 9
    assert jobs[-1].command == (
        "python -m bench.train logger=wandb experiment=recbole_ml1m_bpr threads=1 seed=2 "
        "'tags=[recbole-benchmark,suite:recbole_ml1m]'"
    )

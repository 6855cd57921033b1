"""A row's reproduce command is checked against the configs in use (bench.report.reproduce).

A real EASE run on ML-100K through ``python -m bench.train`` with a copy of ``conf/``; then the
copy's default changes (as the SASRec experiment's block did), and the report must stop offering
the bare command and pin it to the run's commit instead.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.paths import CONF_ENV, conf_dir
from bench.report import build_report
from bench.report.reproduce import composed_variant, reproduction, sweep_command
from bench.results import ResultStore

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ease_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(results dir, conf copy) after ``python -m bench.train model=ease`` with that copy."""
    root = tmp_path_factory.mktemp("reproduce")
    conf = root / "conf"
    shutil.copytree(conf_dir(), conf, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, CONF_ENV: str(conf), "WANDB_MODE": "disabled", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.train", "model=ease", "logger=none"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return root / "results", conf


def _row(results: Path):
    (cell,) = build_report(results).cells
    (row,) = cell.rows
    return row


def test_unchanged_configs_keep_the_recorded_command(ease_run, monkeypatch) -> None:
    results, conf = ease_run
    monkeypatch.setenv(CONF_ENV, str(conf))
    row = _row(results)
    assert row.reproduce == "python -m bench.train model=ease logger=none seed=0"
    assert row.notes == ()
    (record,) = ResultStore(results).records()
    assert composed_variant(record.command, 5) == record.variant_hash  # the seed is not in it


def test_a_changed_default_pins_the_command_to_the_runs_commit(ease_run, monkeypatch) -> None:
    results, conf = ease_run
    changed = conf.parent / "conf_l2_200"
    shutil.copytree(conf, changed)
    ease_yaml = changed / "model" / "ease.yaml"
    text = ease_yaml.read_text()
    assert "l2: 500.0" in text
    ease_yaml.write_text(text.replace("l2: 500.0", "l2: 200.0"))
    monkeypatch.setenv(CONF_ENV, str(changed))
    (record,) = ResultStore(results).records()
    assert record.git_commit  # the run recorded its code version
    row = _row(results)
    commit = record.git_commit[:12]
    assert row.reproduce == (
        f"git checkout {commit} && python -m bench.train model=ease logger=none seed=0"
    )
    (note,) = row.notes
    assert note.startswith("the reproduce command composes another configuration")
    assert f"run it at commit {commit}" in note
    assert ("uncommitted changes" in note) == bool(record.git_dirty)
    assert f"`{row.reproduce}`" in build_report(results).to_markdown()


def test_a_command_that_no_longer_composes_is_pinned(ease_run, monkeypatch) -> None:
    results, conf = ease_run
    gone = conf.parent / "conf_without_ease"
    shutil.copytree(conf, gone)
    (gone / "model" / "ease.yaml").unlink()
    monkeypatch.setenv(CONF_ENV, str(gone))
    row = _row(results)
    assert row.reproduce.startswith("git checkout ")
    (note,) = row.notes
    assert note.startswith("the reproduce command does not compose with the configs in use (")
    assert "model/ease" in note


def test_no_commit_to_go_back_to_is_said(ease_run, monkeypatch) -> None:
    results, conf = ease_run
    (record,) = ResultStore(results).records()
    no_git = dataclasses.replace(record, git_commit=None, git_dirty=None)
    monkeypatch.setenv(CONF_ENV, str(conf))
    assert reproduction({0: no_git}, record.variant_hash).note is None  # still composes: fine
    other = "0" * 64  # a row whose configuration the command does not give
    again = reproduction({0: no_git}, other)
    assert again.command == "python -m bench.train model=ease logger=none seed=0"
    assert again.note is not None and "recorded no git commit" in again.note
    assert reproduction({0: no_git}, other, check=False).note is None


def test_sweep_command_joins_seeds_and_drops_machine_paths() -> None:
    commands = {
        2: "python -m bench.train experiment=x threads=1 seed=2 paths.root_dir=/a",
        0: "python -m bench.train -m experiment=x threads=1 seed=0",
    }
    assert sweep_command(commands) == "python -m bench.train -m experiment=x threads=1 seed=0,2"
    assert sweep_command({0: "python other.py seed=0"}) == "python other.py seed=0"
    assert sweep_command({0: None}) == "(no command recorded)"

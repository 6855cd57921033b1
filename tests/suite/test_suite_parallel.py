"""Parallel launchers: the same in-process job function in joblib (loky) and Ray workers."""

from pathlib import Path

import pytest
from suite_helpers import POP, records, suite_cli, write_suite
from test_suite_cli import assert_plain


def run_parallel(tmp_path: Path, launcher: str) -> None:
    path = write_suite(tmp_path / "par.yaml", {"pop": POP}, seeds=(0, 1))
    done = suite_cli(f"suite={path}", f"launcher={launcher}", "n_jobs=2", "report=false",
                     cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert_plain(done.stdout + done.stderr)  # workers' Lightning chatter silenced too
    if launcher == "joblib":
        assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].endswith(f"2 to run (launcher {launcher})")
    assert sorted(line[:6] for line in lines[1:]) == ["[1/2] ", "[2/2] "]
    runs = records(tmp_path)
    assert sorted(r.seed for r in runs) == [0, 1]
    assert all(r.status == "completed" and "suite:par" in r.tags for r in runs)
    again = suite_cli(f"suite={path}", f"launcher={launcher}", "report=false", cwd=tmp_path)
    assert again.stdout.splitlines()[0].endswith("2 in the results store, 0 to run "
                                                 f"(launcher {launcher})")  # fmt: skip


@pytest.mark.slow
def test_joblib_runs_jobs_in_two_worker_processes(tmp_path: Path) -> None:
    run_parallel(tmp_path, "joblib")


@pytest.mark.slow
def test_ray_runs_jobs_as_ray_tasks(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    run_parallel(tmp_path, "ray")

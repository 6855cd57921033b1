"""Running a suite in-process on real ML-100K: a job is done once it ran, nothing runs twice,
an interrupted suite resumes with the jobs it had not finished, a failing job lets others run."""

import io

import pytest
from suite_helpers import BPR, POP, records, suite_config, write_suite

import bench.suite.launch as launch_module
from bench.suite import completed_hashes, plan_jobs, run_suite


def counting(monkeypatch: pytest.MonkeyPatch, fail_on: int | None = None) -> list[str]:
    """Count (and optionally interrupt) the jobs the suite starts."""
    started: list[str] = []
    real = launch_module.run_job

    def run_job(job, config, sweep_dir):
        started.append(job.key)
        if fail_on is not None and len(started) == fail_on:
            raise KeyboardInterrupt  # Ctrl-C while this job runs
        return real(job, config, sweep_dir)

    monkeypatch.setattr(launch_module, "run_job", run_job)
    return started


def test_a_job_is_done_after_it_ran_and_never_runs_twice(tmp_path, monkeypatch) -> None:
    config = suite_config(write_suite(tmp_path / "tiny.yaml", {"pop": POP}), tmp_path)
    (job,) = plan_jobs(config)
    started = counting(monkeypatch)
    out = io.StringIO()
    first = run_suite(config, out=out)
    assert started == [job.key] and first.ran == 1 and not first.failed
    (record,) = records(tmp_path)
    assert record.status == "completed" and record.config_hash == job.config_hash
    assert record.command == job.command
    assert "suite:tiny" in record.tags and record.seed == 0 and record.model == "pop"
    assert completed_hashes(tmp_path / "results", "suite:tiny") == {job.config_hash}
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("suite tiny: 1 run (1 cell, 1 model, 1 seed), 0 in the results")
    assert lines[1].startswith("[1/1] ml-100k random_holdout · pop · seed 0 · ndcg@10 0.")
    assert lines[1].endswith(" · done")

    out = io.StringIO()
    second = run_suite(config, out=out)
    assert started == [job.key] and second.ran == 0 and second.skipped == 1  # nothing new ran
    assert out.getvalue() == (
        "suite tiny: 1 run (1 cell, 1 model, 1 seed), 1 in the results store, 0 to run "
        "(launcher local)\n"
    )
    assert len(records(tmp_path)) == 1


def test_an_interrupted_suite_resumes_with_the_other_jobs(tmp_path, monkeypatch) -> None:
    config = suite_config(write_suite(tmp_path / "two.yaml", {"pop": POP}, seeds=(0, 1)), tmp_path)
    first, second = plan_jobs(config)
    started = counting(monkeypatch, fail_on=2)
    with pytest.raises(KeyboardInterrupt):
        run_suite(config, out=io.StringIO())
    assert started == [first.key, second.key]
    assert [r.config_hash for r in records(tmp_path)] == [first.config_hash]

    started = counting(monkeypatch)
    outcome = run_suite(config, out=io.StringIO())
    assert started == [second.key] and outcome.skipped == 1 and outcome.ran == 1
    assert sorted(r.seed for r in records(tmp_path)) == [0, 1]


def test_a_failed_job_is_one_line_and_the_others_run(tmp_path) -> None:
    cells = {"users": ["dataset=ml-100k", "split=user_holdout", "eval.metrics=[ndcg@10]"]}
    path = write_suite(tmp_path / "f.yaml", {"bpr": BPR, "pop": POP}, cells=cells)
    out = io.StringIO()
    outcome = run_suite(suite_config(path, tmp_path), out=out)
    assert outcome.ran == 2
    ((job, result),) = outcome.failed
    assert job.model == "bpr" and "cannot score users unseen in training" in result.error
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("[1/2] ml-100k user_holdout · bpr · seed 0 · failed: model BPR")
    assert lines[2].startswith("[2/2] ml-100k user_holdout · pop · seed 0 · ndcg@10 ")
    statuses = sorted((r.model, r.status) for r in records(tmp_path))
    assert statuses == [("bpr", "failed"), ("pop", "completed")]

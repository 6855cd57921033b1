"""Benchmark suites: cells x models x seeds run once into the results store, then a leaderboard.

A suite is ``conf/suite/<name>.yaml``. :func:`load_config` validates it (and the run options of
``conf/suite.yaml``) into typed dataclasses, :func:`plan_jobs` lists its ``bench.train`` jobs
with their config hashes, :func:`run_suite` runs those the store does not hold and
:func:`write_leaderboard` writes the report. CLI: ``python -m bench.suite``.

Example:
    >>> config = load_config(["suite=default", "seeds=[0]"])
    >>> jobs = plan_jobs(config)
    >>> sorted({job.model for job in jobs}) == sorted({m.name for m in config.suite.models})
    True
"""

from bench.suite.config import available_suites, load_config
from bench.suite.launch import JobResult, execute, run_job
from bench.suite.plan import Job, completed_hashes, job_config, pending, plan_jobs
from bench.suite.run import SuiteInterrupted, SuiteOutcome, run_suite, write_leaderboard
from bench.suite.spec import CellSpec, ModelSpec, Options, Suite, SuiteConfig, SuiteError

__all__ = [
    "CellSpec",
    "Job",
    "JobResult",
    "ModelSpec",
    "Options",
    "Suite",
    "SuiteConfig",
    "SuiteError",
    "SuiteInterrupted",
    "SuiteOutcome",
    "available_suites",
    "completed_hashes",
    "execute",
    "job_config",
    "load_config",
    "pending",
    "plan_jobs",
    "run_job",
    "run_suite",
    "write_leaderboard",
]

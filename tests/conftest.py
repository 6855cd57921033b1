"""Shared test settings: where the dataset layer caches and finds its mirror.

- ``RANKBENCH_CACHE`` defaults to ``~/.cache/rankbench-tests``: a stable directory, so real
  datasets (MovieLens via its PyPI wheel) are fetched once per machine, not once per test run.
- ``RANKBENCH_MIRROR`` defaults to ``<repo>/../shared/data`` (the team's dataset mirror).

Both keep a value already set in the environment.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEST_CACHE = Path("~/.cache/rankbench-tests").expanduser()
MIRROR = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def rankbench_data_env():
    """Session-wide RANKBENCH_CACHE / RANKBENCH_MIRROR (see the module docstring)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RANKBENCH_CACHE", os.environ.get("RANKBENCH_CACHE") or str(TEST_CACHE))
        patch.setenv("RANKBENCH_MIRROR", os.environ.get("RANKBENCH_MIRROR") or str(MIRROR))
        yield


@pytest.fixture(autouse=True)
def no_leftover_hydra_config():
    """Tests that compose and run a config in-process set Hydra's global HydraConfig; clear it
    after each test so later tests (doctests of "outside a Hydra app") see a clean process."""
    yield
    from hydra.core.hydra_config import HydraConfig

    HydraConfig.instance().cfg = None

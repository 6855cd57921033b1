"""Fixtures for the split tests: synthetic Interactions (real data: test_split_real_data.py)."""

from __future__ import annotations

import pytest
from split_helpers import random_data

from bench.data.interactions import Interactions


@pytest.fixture(scope="session")
def synthetic() -> Interactions:
    return random_data()


@pytest.fixture(scope="session")
def synthetic_no_ts() -> Interactions:
    return random_data(seed=1, timestamps=False)

"""Every docstring example in the framework runs (the packages without their own doctest file)."""

import doctest
import importlib
import pkgutil

import pytest

import bench

COVERED_ELSEWHERE = ("bench.stats", "bench.rankers", "bench.train")  # their own test_*_doctests.py
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(bench.__path__, prefix="bench.")
    if not info.name.startswith(COVERED_ELSEWHERE) and not info.name.endswith("__main__")
)


def test_all_framework_packages_are_covered() -> None:
    packages = {name.split(".")[1] for name in MODULES}
    assert {"data", "split", "eval", "metrics", "results"} <= packages


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"

"""Packaging that ``pyproject.toml`` cannot say: the top-level ``conf/`` ships as ``bench.conf``.

The repository keeps its configs at the top level (``conf/``); installed, they are the package
``bench.conf`` (its YAML files are package data, see ``[tool.setuptools.package-data]``), which
:func:`bench.paths.conf_dir` finds through the import system, in a wheel and in an editable
install alike. Everything else about the project is in ``pyproject.toml``.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["bench*", "baselines*"]),
        *(f"bench.{name}" for name in find_namespace_packages(include=["conf*"])),
    ],
    package_dir={"bench.conf": "conf"},
)

"""The configs ship inside the package: a built wheel holds every ``conf/`` YAML where
:func:`bench.paths.conf_dir` looks, and an installed wheel finds them with no checkout around."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bench.paths import CONF_ENV, ConfDirError, conf_dir, shipped_conf_dir

REPO = Path(__file__).resolve().parents[1]
PACKAGING = ("pyproject.toml", "setup.py", "README.md", "bench", "baselines", "conf")


def _yamls(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*.yaml")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the packaging inputs (the checkout's build/ is left alone)."""
    src = tmp_path_factory.mktemp("src")
    for name in PACKAGING:
        path = REPO / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
           "-q", "-w", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, cwd=src, timeout=240)
    (built,) = out.glob("rankbench-*.whl")
    return built


def test_conf_dir_is_the_package_bench_conf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONF_ENV, raising=False)
    assert conf_dir() == shipped_conf_dir()
    assert (conf_dir() / "train.yaml").is_file()
    assert _yamls(conf_dir()) == _yamls(REPO / "conf")  # the checkout's conf/, editable install


def test_rankbench_conf_replaces_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONF_ENV, str(tmp_path))
    assert conf_dir() == tmp_path.resolve()
    monkeypatch.setenv(CONF_ENV, str(tmp_path / "missing"))
    with pytest.raises(ConfDirError, match=f"{CONF_ENV}=.*missing.* is not a folder"):
        conf_dir()


def test_wheel_ships_every_config_where_conf_dir_looks(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n.removeprefix("bench/conf/") for n in names if n.startswith("bench/conf/")}
    expected = _yamls(REPO / "conf")
    assert {"train.yaml", "model/ease.yaml", "model/bpr.yaml", "logger/none.yaml"} <= expected
    assert expected <= shipped
    assert not any(n.startswith("conf/") for n in names)  # no top-level package named conf


def test_installed_wheel_finds_its_configs_without_a_checkout(wheel: Path, tmp_path: Path) -> None:
    """Installed with pip (no checkout on the path), conf_dir() is the wheel's bench/conf and
    Hydra composes train.yaml from it."""
    site = tmp_path / "site"
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site)]
    subprocess.run([*cmd, str(wheel)], check=True, capture_output=True, timeout=240)
    code = (
        "from hydra import compose, initialize_config_dir\n"
        "from bench.paths import conf_dir\n"
        "with initialize_config_dir(config_dir=str(conf_dir()), version_base='1.3'):\n"
        "    cfg = compose('train', overrides=['model=ease'])\n"
        "print(conf_dir()); print(cfg.model._target_)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop(CONF_ENV, None)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=tmp_path, check=True, timeout=240)  # fmt: skip
    where, target = run.stdout.split()
    assert Path(where) == (site / "bench" / "conf").resolve()
    assert target.startswith("baselines.")

import importlib.metadata
import os
import platform
import shlex
import shutil
import subprocess
import time

import numpy as np
import pytest
import torch

from bench.results import provenance
from bench.results.provenance import (
    GitInfo,
    Timer,
    command_line,
    count_parameters,
    git_info,
    hardware_info,
    package_versions,
    peak_cuda_bytes,
    peak_rss_bytes,
    reproduce_command,
)

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git binary not installed")


def _git(repo, *args):
    cmd = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


@needs_git
def test_git_info_reports_commit_and_dirty_flag(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "a.py").write_text("x = 1\n")
    _git(repo, "add", "a.py")
    _git(repo, "commit", "-q", "-m", "first")
    head = _git(repo, "rev-parse", "HEAD")
    assert len(head) == 40
    assert git_info(repo) == GitInfo(head, False)
    (repo / "new_untracked.py").write_text("y = 2\n")
    assert git_info(repo) == GitInfo(head, False)  # untracked files do not count
    (repo / "a.py").write_text("x = 2\n")
    assert git_info(repo / ".") == GitInfo(head, True)


def test_git_info_outside_a_repository_is_none(tmp_path):
    assert git_info(tmp_path) == GitInfo(None, None)
    assert git_info(tmp_path / "does-not-exist") == GitInfo(None, None)


def test_git_info_without_git_binary_is_none(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on PATH
    assert git_info(tmp_path) == GitInfo(None, None)


def test_package_versions_match_installed_metadata():
    versions = package_versions()
    assert list(versions) == list(provenance.DEFAULT_PACKAGES)
    assert versions["torch"] == importlib.metadata.version("torch") == torch.__version__
    assert versions["numpy"] == np.__version__
    assert versions["rankbench"] == importlib.metadata.version("rankbench")
    assert package_versions(["no-such-dist-xyz"]) == {"no-such-dist-xyz": None}


def test_hardware_info_describes_this_machine():
    hw = hardware_info()
    assert hw.cpu_count == os.cpu_count()
    assert hw.machine == platform.machine()
    assert hw.ram_bytes is not None and hw.ram_bytes > 2**28
    if torch.cuda.is_available():
        assert hw.gpu == torch.cuda.get_device_name(0) and hw.gpu_count >= 1
    else:
        assert hw.gpu is None and hw.gpu_count == 0


def test_peak_rss_grows_with_a_big_allocation():
    """A touched buffer bigger than the current peak must raise the peak to at least its size."""
    before = peak_rss_bytes()
    assert 2**20 < before < 64 * 2**30
    size = before + 64 * 2**20
    block = np.ones(size // 8)  # writes every page
    after = peak_rss_bytes()
    assert block[-1] == 1.0
    assert after >= size > before


def test_peak_cuda_is_none_without_cuda_use():
    if not torch.cuda.is_available():
        assert peak_cuda_bytes() is None
    else:
        x = torch.ones(2**20, device="cuda")
        assert peak_cuda_bytes() >= x.numel() * 4


def test_timer_measures_and_survives_exceptions():
    with Timer() as t:
        time.sleep(0.05)
    assert 0.04 <= t.seconds < 2.0
    timer = Timer()
    with pytest.raises(KeyError), timer:
        raise KeyError("x")
    assert timer.seconds is not None and timer.seconds >= 0.0


def test_count_parameters_and_commands():
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 1, bias=False))
    assert count_parameters(net) == 4 * 3 + 3 + 3
    overrides = ["model=ease", "+tags=[a b]", "model.name='it''s'"]
    command = reproduce_command("bench.cli.train", overrides)
    assert command.startswith("python -m bench.cli.train model=ease '+tags=[a b]' ")
    assert shlex.split(command) == ["python", "-m", "bench.cli.train", *overrides]
    assert command_line(["train.py", "a=1"]) == "python train.py a=1"

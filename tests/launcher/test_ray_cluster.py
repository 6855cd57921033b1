"""A sweep on a running Ray cluster (launcher=ray_cluster): a head started with `ray start
--head` on the loopback address with token authentication on (Ray's default when a token is
available), a second node, a two-job sweep whose records land in the driver's results store.

The nodes run in their own process groups and the teardown stops exactly those (SIGTERM, then
SIGKILL), never `ray stop`, which would stop every Ray on the machine.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.results import ResultStore

ray = pytest.importorskip("ray")

RAY = Path(sys.executable).with_name("ray")  # the `ray` CLI of this environment
if not RAY.exists():
    RAY = Path(shutil.which("ray") or "ray")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_ports() -> list[str]:
    """Ports each node would otherwise take at fixed defaults (clashing with any other Ray)."""
    names = ("dashboard-agent-listen-port", "dashboard-agent-grpc-port", "runtime-env-agent-port")
    return [f"--{name}={free_port()}" for name in names]


def start_node(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen:
    """`ray start --block ...` in a new session (its processes share one process group)."""
    with log.open("w") as out:
        return subprocess.Popen(
            [str(RAY), "start", "--block", "--num-cpus=1", "--disable-usage-stats", *args],
            env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def stop_nodes(nodes: list[subprocess.Popen], grace_s: float = 20.0) -> None:
    """Stop the nodes' process groups: SIGTERM, then SIGKILL whatever is left after grace_s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for node in nodes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.pid, sig)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(running(node) for node in nodes):
            time.sleep(0.2)
        if not any(running(node) for node in nodes):
            return


def running(node: subprocess.Popen) -> bool:
    """Whether any process of the node's group is left (its leader reaped first)."""
    node.poll()
    try:
        os.killpg(node.pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_nodes(address: str, env: dict[str, str], count: int, timeout_s: float = 60) -> None:
    """Wait until `count` nodes are alive (asked through the GCS, with the cluster's token)."""
    probe = (
        "import ray, sys\n"
        f"ray.init(address={address!r}, logging_level='ERROR')\n"
        "print(sum(node['Alive'] for node in ray.nodes()))\n"
    )
    deadline = time.monotonic() + timeout_s
    alive = "0"
    while time.monotonic() < deadline:
        done = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
        )
        alive = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "0"
        if done.returncode == 0 and int(alive) >= count:
            return
        time.sleep(1)
    raise AssertionError(f"{alive} of {count} Ray nodes alive after {timeout_s} s")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A head and a worker node on 127.0.0.1, token authentication on; yields the address and
    the environment a driver needs (RAY_AUTH_TOKEN_PATH; RAY_AUTH_MODE left unset)."""
    token = tmp_path / "auth_token"
    token.write_text(secrets.token_hex(32))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "RANKBENCH_ROOT"))}
    env |= {"RAY_AUTH_TOKEN_PATH": str(token), "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",
            "WANDB_MODE": "disabled", "OMP_NUM_THREADS": "1"}  # fmt: skip
    port = free_port()
    address = f"127.0.0.1:{port}"
    # Ray's session sockets live under --temp-dir: keep its path short (AF_UNIX limit).
    temp_dir = Path(tempfile.mkdtemp(prefix="rbray", dir="/tmp"))
    head_cwd = tmp_path / "head"  # the jobs' working directory: not where the sweep starts
    head_cwd.mkdir()
    nodes: list[subprocess.Popen] = []
    try:
        nodes.append(start_node(
            ["--head", "--node-ip-address=127.0.0.1", f"--port={port}", f"--temp-dir={temp_dir}",
             "--include-dashboard=false", f"--ray-client-server-port={free_port()}",
             *node_ports()],
            env, tmp_path / "head.log", head_cwd,
        ))  # fmt: skip
        wait_for_nodes(address, {**env, "RAY_AUTH_MODE": "token"}, 1)
        # A node joining with an explicit address needs RAY_AUTH_MODE=token (Ray enables it by
        # itself only on the head).
        nodes.append(start_node(
            [f"--address={address}", f"--temp-dir={temp_dir}", *node_ports()],
            {**env, "RAY_AUTH_MODE": "token"}, tmp_path / "worker.log", head_cwd,
        ))  # fmt: skip
        wait_for_nodes(address, {**env, "RAY_AUTH_MODE": "token"}, 2)
        yield address, env
    finally:
        stop_nodes(nodes)
        subprocess.run(["rm", "-rf", str(temp_dir)], check=False)


def sweep(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench.train", "-m", "launcher=ray_cluster", "logger=none", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


@pytest.mark.slow
def test_sweep_on_a_running_cluster_with_token_auth(cluster, tmp_path: Path) -> None:
    address, env = cluster
    driver = tmp_path / "driver"
    driver.mkdir()
    # Token authentication is on: a driver without the token is refused in one line.
    refused = sweep(
        f"hydra.launcher.ray.init.address={address}", "model=pop", "seed=0,1", cwd=driver,
        env={**env, "RAY_AUTH_TOKEN": "not-the-token", "RAY_gcs_server_port_wait_time_s": "1"},
    )  # fmt: skip
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .startswith(f"error: Ray at {address} refused the driver's token")
    )
    assert not (driver / "results").exists()

    done = sweep(f"hydra.launcher.ray.init.address={address}", "model=pop", "seed=0,1",
                 cwd=driver, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Connected to Ray cluster" in done.stderr  # the running cluster, not a local Ray
    store = ResultStore(driver / "results")
    runs = [store.read(run_id) for run_id in store.run_ids()]
    assert sorted((r.model, r.seed, r.status) for r in runs) == [
        ("pop", 0, "completed"), ("pop", 1, "completed"),
    ]  # fmt: skip
    assert all(r.metrics["test"]["ndcg@10"] > 0.1 for r in runs)
    assert not (tmp_path / "head" / "results").exists()  # not in the jobs' working directory


def one_line_refusal(tmp_path: Path, *args: str) -> str:
    """The sweep's stderr, which must be one line, after an exit with status 2."""
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env["WANDB_MODE"] = "disabled"
    done = sweep(*args, "model=pop", "seed=0,1", cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stderr[-3000:]
    (line,) = done.stderr.strip().splitlines()
    assert not (tmp_path / "results").exists()
    return line


def test_unreachable_address_is_one_line(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there; Ray itself would wait for minutes
    started = time.monotonic()
    line = one_line_refusal(tmp_path, f"hydra.launcher.ray.init.address=127.0.0.1:{port}")
    assert line == (
        f"error: no Ray cluster answers at 127.0.0.1:{port} (Connection refused); start one "
        f"with `ray start --head --port={port}` or fix hydra.launcher.ray.init.address"
    )
    assert time.monotonic() - started < 60


def test_missing_address_and_relative_paths_are_refused(tmp_path: Path) -> None:
    line = one_line_refusal(tmp_path)
    assert line.startswith("error: launcher=ray_cluster needs the head's address: "
                           "hydra.launcher.ray.init.address=<host>:<port>")  # fmt: skip
    line = one_line_refusal(tmp_path, "hydra.launcher.ray.init.address=127.0.0.1:1",
                            "paths.root_dir=out")  # fmt: skip
    assert line == (
        "error: paths.root_dir='out' is relative; the jobs of launcher=ray_cluster run in the "
        "directory where `ray start` ran: give paths.root_dir as an absolute path"
    )

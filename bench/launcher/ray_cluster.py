"""The driver of a sweep on a running Ray cluster (``launcher=ray_cluster``).

hydra-ray-launcher connects with ``ray.init(**hydra.launcher.ray.init)`` and adds
``object_store_memory`` to it, which Ray refuses when it joins an existing cluster; with an
explicit address Ray also leaves token authentication off on the driver, so a head started with
the default token authentication refuses it. :class:`ConnectRayCluster`, a Hydra callback
registered by ``conf/launcher/ray_cluster.yaml``, connects first (the launcher then sees Ray
initialised and only submits the jobs):

1. the address (``hydra.launcher.ray.init.address``, default ``$RAY_ADDRESS``) must answer on
   TCP within a few seconds, else one line says so (Ray itself would wait for minutes);
2. with ``RAY_AUTH_MODE`` unset and a token available (``$RAY_AUTH_TOKEN``, the file named by
   ``$RAY_AUTH_TOKEN_PATH``, or ``~/.ray/auth_token``), token authentication is turned on for the
   driver: Ray's own rule for a local cluster found by ``address=auto``;
3. the jobs get ``RANKBENCH_ROOT`` (the driver's ``paths.root_dir``, absolute) and the driver's
   other ``RANKBENCH_*`` variables, so records land in the driver's results store, not under the
   directory where ``ray start`` ran;
4. a refusal is one line: a token problem names ``RAY_AUTH_TOKEN``, anything else Ray's message.

Example:
    >>> parse_address("127.0.0.1:6379"), parse_address("ray://head:10001"), parse_address("auto")
    (('127.0.0.1', 6379), ('head', 10001), None)
    >>> try:
    ...     parse_address("head")
    ... except RayClusterError as err:
    ...     print(err)
    hydra.launcher.ray.init.address='head' is not host:port (e.g. 127.0.0.1:6379)
"""

from __future__ import annotations

import os
import socket
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from bench.train.errors import one_line_error

#: The config key of the address (the messages name it).
ADDRESS_KEY = "hydra.launcher.ray.init.address"
#: ``ray.init`` keys that Ray refuses when it joins a running cluster (``ray start`` sets them).
REFUSED_KEYS = ("num_cpus", "num_gpus", "resources", "labels", "object_store_memory",
                "_system_config", "_node_name")  # fmt: skip
#: Seconds to wait for the head's port to accept a TCP connection.
CONNECT_TIMEOUT_S = 5.0
#: How the driver gets the head's token (the README's section says more).
TOKEN_FIX = (
    "export RAY_AUTH_TOKEN=<the output of `ray get-auth-token` on the head> (or "
    "RAY_AUTH_TOKEN_PATH=<a file holding it>) and run again (README: 'Sweeps on a running Ray "
    "cluster')"
)


class RayClusterError(ValueError):
    """The driver cannot join the Ray cluster (a bad address, an unreachable head, a refused
    token); one-line message naming what to fix."""


def parse_address(address: str | None) -> tuple[str, int] | None:
    """``(host, port)`` of ``address`` (``host:port`` or ``ray://host:port``); ``None`` for
    ``auto`` (Ray looks for a cluster on this machine itself).

    Raises :class:`RayClusterError` when the address is missing or not ``host:port``.
    """
    if address is None or not str(address).strip():
        raise RayClusterError(
            f"launcher=ray_cluster needs the head's address: {ADDRESS_KEY}=<host>:<port> "
            "(the --port of `ray start --head`), or export RAY_ADDRESS"
        )
    text = str(address).strip()
    if text == "auto":
        return None
    host, _, port = text.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise RayClusterError(f"{ADDRESS_KEY}={text!r} is not host:port (e.g. 127.0.0.1:6379)")
    return host.strip("[]"), int(port)


def check_reachable(host: str, port: int, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise :class:`RayClusterError` unless ``host:port`` accepts a TCP connection."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as err:
        reason = err.strerror or type(err).__name__
    raise RayClusterError(
        f"no Ray cluster answers at {host}:{port} ({reason}); start one with `ray start --head "
        f"--port={port}` or fix {ADDRESS_KEY}"
    )


def enable_token_auth_if_available() -> bool:
    """Turn token authentication on for this process when ``RAY_AUTH_MODE`` is unset and Ray
    finds a token; return whether the driver authenticates with a token."""
    mode = os.environ.get("RAY_AUTH_MODE")
    if mode is not None:
        return mode.strip().lower() == "token"
    try:
        from ray._raylet import AuthenticationTokenLoader, Config
    except ImportError:  # a Ray without token authentication
        return False
    if not AuthenticationTokenLoader.instance().has_token(ignore_auth_mode=True):
        return False
    os.environ["RAY_AUTH_MODE"] = "token"  # this process and the ones it starts
    Config.initialize("")  # Ray caches its config: read the mode again
    return True


def job_env(root_dir: str | Path) -> dict[str, str]:
    """The variables every job of the sweep gets: the driver's ``RANKBENCH_*`` variables and
    ``RANKBENCH_ROOT`` set to ``root_dir`` made absolute on the driver.

    Example:
        >>> job_env("/data/bench")["RANKBENCH_ROOT"]
        '/data/bench'
    """
    env = {key: value for key, value in os.environ.items() if key.startswith("RANKBENCH_")}
    env["RANKBENCH_ROOT"] = os.path.abspath(os.path.expanduser(str(root_dir)))
    return env


def init_kwargs(init: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """The ``ray.init`` arguments for joining a cluster: the set keys of ``init`` with ``env``
    added to the job's ``runtime_env``; a key Ray refuses there is an error naming it.

    Example:
        >>> init_kwargs({"address": "h:1", "object_store_memory": None}, {"A": "1"})
        {'address': 'h:1', 'runtime_env': {'env_vars': {'A': '1'}}}
    """
    kwargs = {key: value for key, value in init.items() if value is not None}
    for key in REFUSED_KEYS:
        if key in kwargs:
            raise RayClusterError(
                f"hydra.launcher.ray.init.{key}: Ray refuses it when joining a running cluster "
                f"(`ray start` sets it); remove it or set it to null"
            )
    runtime_env = dict(kwargs.get("runtime_env") or {})
    runtime_env["env_vars"] = {**env, **dict(runtime_env.get("env_vars") or {})}
    kwargs["runtime_env"] = runtime_env
    return kwargs


def _is_auth_refusal(err: BaseException) -> bool:
    """Whether Ray's connection error (or its cause) is a refused or missing token."""
    seen: BaseException | None = err
    while seen is not None:
        text = f"{type(seen).__name__} {seen}"
        if "AuthenticationError" in text or "InvalidAuthToken" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def check_path_overrides(overrides: list[str]) -> None:
    """Refuse a relative ``paths.*`` override: a job resolves it in its own working directory,
    which on a cluster is where ``ray start`` ran, not where the sweep was started.

    Example:
        >>> check_path_overrides(["model=pop", "paths.root_dir=/shared/bench"])
        >>> try:
        ...     check_path_overrides(["paths.root_dir=out"])
        ... except RayClusterError as err:
        ...     print(str(err).split(";")[0])
        paths.root_dir='out' is relative
    """
    for override in overrides:
        key, sep, value = override.lstrip("+~").partition("=")
        if not sep or not key.startswith("paths."):
            continue
        if value and not os.path.isabs(os.path.expanduser(value)) and "${" not in value:
            raise RayClusterError(
                f"{key}={value!r} is relative; the jobs of launcher=ray_cluster run in the "
                f"directory where `ray start` ran: give {key} as an absolute path"
            )


def connect(init: Mapping[str, Any], root_dir: str | Path) -> None:
    """Join the cluster at ``init["address"]`` with ``ray.init`` (see the module docstring).

    Raises :class:`RayClusterError` (one line) when the address is missing or unreachable, a
    refused key is set, or Ray refuses the driver.
    """
    import ray

    address = init.get("address")
    target = parse_address(address)
    if target is not None:
        check_reachable(*target)
    kwargs = init_kwargs(init, job_env(root_dir))
    token = enable_token_auth_if_available()
    try:
        ray.init(**kwargs)
    except ConnectionError as err:
        if not _is_auth_refusal(err):
            raise RayClusterError(f"Ray at {address} refused the driver: {err}") from err
        mode = os.environ.get("RAY_AUTH_MODE", "")
        if token:
            problem = ("refused the driver's token (from RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or "
                       "~/.ray/auth_token)")  # fmt: skip
        elif mode:
            problem = (f"uses token authentication and the driver has RAY_AUTH_MODE={mode}; "
                       "unset it")  # fmt: skip
        else:
            problem = "uses token authentication and the driver has no token"
        raise RayClusterError(f"Ray at {address} {problem}; {TOKEN_FIX}") from err


class ConnectRayCluster(Callback):
    """A Hydra callback: before the sweep, connect the driver to the cluster named by
    ``hydra.launcher.ray.init`` (:func:`connect`); after it, disconnect.

    Hydra turns a callback's exception into a warning and goes on (the launcher would then
    start a Ray of its own, or wait minutes on a dead address), so a failure here prints
    ``error: <one line>`` on stderr and exits with status 2, as the CLI does for a bad config
    (``RANKBENCH_TRACEBACK=1`` adds the traceback).
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        init = OmegaConf.to_container(config.hydra.launcher.ray.init, resolve=True)
        try:
            check_path_overrides(list(OmegaConf.select(config, "hydra.overrides.task") or []))
            connect(init, root_dir=config.paths.root_dir)
        except Exception as err:
            if os.environ.get("RANKBENCH_TRACEBACK", "") not in ("", "0"):
                traceback.print_exc()
            message = str(err) if isinstance(err, RayClusterError) else one_line_error(err)
            if not isinstance(err, RayClusterError):
                message = f"could not connect to Ray at {init.get('address')}: {message}"
            print(f"error: {message}", file=sys.stderr, flush=True)
            raise SystemExit(2) from err

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        import ray

        if ray.is_initialized():
            ray.shutdown()

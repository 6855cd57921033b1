"""Helpers for the dataset-layer tests: a local HTTP server and config shortcuts."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from pathlib import Path
from typing import ClassVar

from omegaconf import DictConfig, OmegaConf

from bench.data.registry import compose_data


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory; paths in ``cut`` announce the full length but send only half."""

    cut: ClassVar[set[str]] = set()

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.lstrip("/") not in self.cut:
            return super().do_GET()
        body = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True


class LocalServer:
    """A directory served over HTTP on 127.0.0.1 (``url(name)``, ``truncate(name)``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = type("Handler", (_Handler,), {"cut": set()})
        self.cut = handler.cut
        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
        )
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def add(self, name: str, data: bytes) -> str:
        (self.root / name).write_bytes(data)
        return self.url(name)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def truncate(self, name: str) -> None:
        self.cut.add(name)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def dataset_cfg(dataset: str, **changes) -> DictConfig:
    """``conf/dataset/<dataset>.yaml`` composed, then ``changes`` (dotted keys) applied."""
    cfg = compose_data([f"dataset={dataset}"]).dataset
    OmegaConf.set_struct(cfg, False)
    for key, value in changes.items():
        OmegaConf.update(cfg, key, value, merge=False)
    return cfg


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

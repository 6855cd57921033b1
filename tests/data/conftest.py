"""Fixtures of the dataset-layer tests: a local HTTP server, a network guard, MovieLens files."""

from __future__ import annotations

import io
import socket
import subprocess
import urllib.request
import zipfile
from pathlib import Path

import pytest
from data_helpers import LocalServer

from bench.data.cache import cache_root
from bench.data.fetch import fetch
from bench.data.registry import build_sources, compose_data, dataset_config


@pytest.fixture
def http_server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    server = LocalServer(root)
    yield server
    server.close()


@pytest.fixture
def no_network(monkeypatch):
    """Make any socket connection, urlopen or subprocess (pip) fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network or subprocess used: {args[:2]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)


@pytest.fixture(scope="session")
def ml100k_inter() -> Path:
    """RecBole's ml-100k.inter, fetched once through the real path (PyPI wheel, shared cache)."""
    cfg = dataset_config(compose_data(["dataset=ml-100k"]).dataset)
    wheel = [s.source for s in build_sources(cfg) if "wheel" in s.source.describe()]
    return fetch("ml-100k", wheel, cache_root(None)).path


@pytest.fixture(scope="session")
def ml100k_zip(ml100k_inter) -> bytes:
    """An official-layout ml-100k.zip (member ml-100k/u.data) rebuilt from the wheel's copy."""
    lines = ml100k_inter.read_bytes().decode().splitlines()[1:]  # drop the typed header
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ml-100k/u.data", "\n".join(lines) + "\n")
        archive.writestr("ml-100k/README", "fixture built from recbole's ml-100k.inter\n")
    return buffer.getvalue()

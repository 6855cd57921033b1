import hashlib

import pytest

from bench.data.cache import cache_root, raw_path
from bench.data.errors import FetchError, IncompleteDownloadError, SourceUnavailableError
from bench.data.fetch import fetch, resolve_mirror
from bench.data.sources import MirrorSource, UrlSource

DATA = b"1 5 6\n2 6\n"
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def mirror(tmp_path):
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "Toy.txt").write_bytes(DATA)
    return tmp_path / "mirror"


def leftovers(root):
    return [p for p in (root / "tmp").iterdir()]


def test_mirror_first_then_cached(tmp_path, mirror, http_server):
    root = cache_root(tmp_path / "cache")
    url = UrlSource(http_server.add("Toy.txt", DATA), sha256=SHA)
    art = fetch("toy", [MirrorSource("Toy.txt", sha256=SHA), url], root, mirror)
    assert art.source == "mirror Toy.txt"
    assert art.path == raw_path(root, "toy", f"sha256:{SHA}", "Toy.txt")
    assert art.path.read_bytes() == DATA and leftovers(root) == []


def test_falls_back_to_url_when_mirror_lacks_the_file(tmp_path, http_server):
    root = cache_root(tmp_path / "cache")
    url = UrlSource(http_server.add("Toy.txt", DATA), sha256=SHA)
    art = fetch("toy", [MirrorSource("Toy.txt", sha256=SHA), url], root, tmp_path)
    assert art.source.startswith("url http://127.0.0.1")


def test_warm_cache_touches_no_source(tmp_path, mirror, no_network):
    root = cache_root(tmp_path / "cache")
    fetch("toy", [MirrorSource("Toy.txt", sha256=SHA)], root, mirror)
    (mirror / "Toy.txt").unlink()  # the mirror is gone, the network refuses
    sources = [UrlSource("https://example.org/Toy.txt", sha256=SHA)]
    assert fetch("toy", sources, root).path.read_bytes() == DATA


def test_corrupt_cache_entry_is_replaced(tmp_path, mirror):
    root = cache_root(tmp_path / "cache")
    src = MirrorSource("Toy.txt", sha256=SHA)
    path = fetch("toy", [src], root, mirror).path
    path.write_bytes(b"garbage")
    assert fetch("toy", [src], root, mirror).path.read_bytes() == DATA


def test_wrong_checksum_is_rejected_and_not_cached(tmp_path, mirror):
    root = cache_root(tmp_path / "cache")
    bad = "f" * 64
    with pytest.raises(FetchError, match=rf"1\) mirror Toy.txt: .*sha256 mismatch.*{bad}"):
        fetch("toy", [MirrorSource("Toy.txt", sha256=bad)], root, mirror)
    assert not (root / "raw").exists() and leftovers(root) == []


def test_truncated_download_is_rejected_and_not_cached(tmp_path, http_server):
    root = cache_root(tmp_path / "cache")
    http_server.add("Toy.txt", DATA * 1000)
    http_server.truncate("Toy.txt")
    with pytest.raises(FetchError, match="truncated: got 5,000 of 10,000 bytes") as err:
        fetch("toy", [UrlSource(http_server.url("Toy.txt"), sha256=SHA)], root)
    assert isinstance(err.value.attempts[0][1], IncompleteDownloadError)
    assert not (root / "raw").exists() and leftovers(root) == []


def test_one_error_lists_every_attempt(tmp_path, http_server, monkeypatch):
    monkeypatch.delenv("RANKBENCH_MIRROR")
    root = cache_root(tmp_path / "cache")
    sources = [
        MirrorSource("Toy.txt", sha256=SHA),
        UrlSource(http_server.url("absent.txt"), sha256=SHA),
        UrlSource(http_server.add("Wrong.txt", b"other"), sha256=SHA),
    ]
    with pytest.raises(FetchError) as err:
        fetch("toy", sources, root)
    msg = str(err.value)
    assert msg.startswith("dataset 'toy': no source could provide the file; tried 1) mirror")
    assert "set RANKBENCH_MIRROR" in msg and "2) url" in msg and "HTTP Error 404" in msg
    assert "3) url" in msg and "sha256 mismatch" in msg and "\n" not in msg
    assert [type(e) for _, e in err.value.attempts][:2] == [SourceUnavailableError] * 2


def test_no_sources(tmp_path):
    with pytest.raises(FetchError, match="declares no sources"):
        fetch("toy", [], cache_root(tmp_path))


def test_resolve_mirror_uses_env(monkeypatch, tmp_path):
    monkeypatch.setenv("RANKBENCH_MIRROR", str(tmp_path))
    assert resolve_mirror(None) == tmp_path
    monkeypatch.delenv("RANKBENCH_MIRROR")
    assert resolve_mirror(None) is None

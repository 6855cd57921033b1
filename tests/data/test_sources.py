import hashlib
import subprocess
import sys
import zipfile

import pytest

from bench.data.errors import IncompleteDownloadError, SourceUnavailableError
from bench.data.sources import FetchContext, LocalSource, MirrorSource, UrlSource, WheelSource

DATA = b"1 5 6\n2 6\n"
SHA = hashlib.sha256(DATA).hexdigest()


def ctx(tmp_path, mirror=None):
    work = tmp_path / "work"
    work.mkdir(parents=True, exist_ok=True)
    return FetchContext(workdir=work, mirror_dir=mirror)


def test_mirror_copies_and_hashes(tmp_path):
    (tmp_path / "m" / "S3Rec").mkdir(parents=True)
    (tmp_path / "m" / "S3Rec" / "Toy.txt").write_bytes(DATA)
    path, digests = MirrorSource("S3Rec/Toy.txt", sha256=SHA).fetch(ctx(tmp_path, tmp_path / "m"))
    assert path.read_bytes() == DATA and digests["sha256"] == SHA


def test_mirror_unset_or_missing(tmp_path):
    src = MirrorSource("S3Rec/Toy.txt", sha256=SHA)
    with pytest.raises(SourceUnavailableError, match="set RANKBENCH_MIRROR"):
        src.fetch(ctx(tmp_path))
    with pytest.raises(SourceUnavailableError, match=r"not found: .*S3Rec/Toy.txt"):
        src.fetch(ctx(tmp_path, tmp_path))


def test_url_downloads_from_local_server(tmp_path, http_server):
    url = http_server.add("Toy.txt", DATA)
    src = UrlSource(url, sha256=SHA)
    path, digests = src.fetch(ctx(tmp_path))
    assert src.filename == "Toy.txt" and path.read_bytes() == DATA and digests["sha256"] == SHA


def test_url_truncated_download_is_detected(tmp_path, http_server):
    url = http_server.add("big.txt", b"x" * 100_000)
    http_server.truncate("big.txt")
    with pytest.raises(IncompleteDownloadError, match="truncated: got 50,000 of 100,000 bytes"):
        UrlSource(url, sha256=SHA).fetch(ctx(tmp_path))


def test_url_http_error_and_unreachable_host(tmp_path, http_server):
    with pytest.raises(SourceUnavailableError, match="download failed: HTTP Error 404"):
        UrlSource(http_server.url("absent.txt"), sha256=SHA).fetch(ctx(tmp_path))
    with pytest.raises(SourceUnavailableError, match="download failed"):
        UrlSource("http://127.0.0.1:9/none", sha256=SHA, timeout_s=5).fetch(ctx(tmp_path))


def fake_pip(tmp_path, monkeypatch, member: str, data: bytes, returncode: int = 0):
    """Replace `pip download` by a function writing a wheel that holds ``member``."""
    calls = []

    def run(cmd, **kwargs):
        calls.append(cmd)
        if returncode == 0:
            dest = cmd[cmd.index("-d") + 1]
            with zipfile.ZipFile(f"{dest}/pkg-1.0-py3-none-any.whl", "w") as whl:
                whl.writestr(member, data)
        return subprocess.CompletedProcess(cmd, returncode, "", "ERROR: No matching distribution")

    monkeypatch.setattr(subprocess, "run", run)
    return calls


def test_wheel_member_is_extracted(tmp_path, monkeypatch):
    calls = fake_pip(tmp_path, monkeypatch, "pkg/data/x.inter", DATA)
    src = WheelSource("pkg", "1.0", "pkg/data/x.inter", sha256=SHA)
    path, digests = src.fetch(ctx(tmp_path))
    assert path.read_bytes() == DATA and digests["sha256"] == SHA
    assert calls[0][:5] == [sys.executable, "-m", "pip", "download", "--no-deps"]
    assert "pkg==1.0" in calls[0]
    assert not (tmp_path / "work" / "wheel").exists()  # the wheel itself is not kept


def test_wheel_errors_are_one_line(tmp_path, monkeypatch):
    fake_pip(tmp_path, monkeypatch, "pkg/other", DATA)
    with pytest.raises(SourceUnavailableError, match=r"has no member pkg/data/x.inter"):
        WheelSource("pkg", "1.0", "pkg/data/x.inter", sha256=SHA).fetch(ctx(tmp_path))
    fake_pip(tmp_path, monkeypatch, "pkg/other", DATA, returncode=1)
    with pytest.raises(SourceUnavailableError, match=r"pip download pkg==1.0 failed: ERROR: No"):
        WheelSource("pkg", "1.0", "m", sha256=SHA).fetch(ctx(tmp_path / "w2"))


def test_local_source_reads_in_place(tmp_path):
    (tmp_path / "log.csv").write_bytes(DATA)
    src = LocalSource(str(tmp_path / "log.csv"))
    path, _ = src.fetch(ctx(tmp_path))
    assert path == tmp_path / "log.csv" and str(src.checksum) == f"sha256:{SHA}"
    assert src.cacheable is False
    with pytest.raises(SourceUnavailableError, match=r"not found: .*nope.csv"):
        LocalSource(str(tmp_path / "nope.csv")).fetch(ctx(tmp_path))


@pytest.mark.parametrize("url", ["htp://example/x.txt", "not a url"])
def test_malformed_url_is_unavailable_so_the_next_source_is_tried(tmp_path, url):
    with pytest.raises(SourceUnavailableError, match=r"^(bad URL|download failed)"):
        UrlSource(url, sha256="0" * 64).fetch(ctx(tmp_path))

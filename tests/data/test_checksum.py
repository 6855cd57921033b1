import hashlib

import pytest

from bench.data.checksum import Checksum, check, file_digests, verify
from bench.data.errors import ChecksumError, ConfigError


def test_file_digests_match_hashlib(tmp_path):
    data = b"user item\n" * 1000
    (tmp_path / "f").write_bytes(data)
    assert file_digests(tmp_path / "f") == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "md5": hashlib.md5(data).hexdigest(),
    }


def test_directory_digest_covers_names_and_contents(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "x.arrow").write_bytes(b"123")
    assert file_digests(a) == file_digests(b)
    (b / "x.arrow").rename(b / "y.arrow")
    assert file_digests(a) != file_digests(b)


def test_verify_accepts_md5_and_sha256(tmp_path):
    (tmp_path / "f").write_bytes(b"abc")
    verify(tmp_path / "f", Checksum("md5", "900150983cd24fb0d6963f7d28e17f72"), "f")
    verify(tmp_path / "f", Checksum("sha256", hashlib.sha256(b"abc").hexdigest().upper()), "f")


def test_mismatch_names_expected_actual_and_size(tmp_path):
    (tmp_path / "f").write_bytes(b"abc")
    with pytest.raises(ChecksumError) as err:
        verify(tmp_path / "f", Checksum("sha256", "0" * 64), "mirror Beauty.txt")
    msg = str(err.value)
    assert "mirror Beauty.txt: sha256 mismatch (3 bytes" in msg
    assert "0" * 64 in msg and hashlib.sha256(b"abc").hexdigest() in msg
    assert "\n" not in msg


@pytest.mark.parametrize(
    ("algorithm", "value", "fragment"),
    [("sha1", "0" * 40, "unknown"), ("sha256", "abc", "64 hex"), ("md5", "z" * 32, "32 hex")],
)
def test_malformed_checksums_are_config_errors(algorithm, value, fragment):
    with pytest.raises(ConfigError, match=fragment):
        Checksum(algorithm, value)


def test_declared_prefers_sha256_and_requires_one():
    assert Checksum.declared("a" * 64, "b" * 32, "x").algorithm == "sha256"
    assert Checksum.declared(None, "b" * 32, "x").algorithm == "md5"
    with pytest.raises(ConfigError, match="url source 'u': declares no checksum"):
        Checksum.declared(None, None, "url source 'u'")


def test_check_uses_declared_algorithm():
    digests = {"sha256": "a" * 64, "md5": "b" * 32}
    check(digests, Checksum("md5", "b" * 32), "x")
    with pytest.raises(ChecksumError, match="md5 mismatch"):
        check(digests, Checksum("md5", "c" * 32), "x")

import zipfile

import pytest

from bench.data.artifact import Artifact
from bench.data.errors import SchemaError


def test_plain_file_and_zip_member(tmp_path):
    (tmp_path / "u.data").write_bytes(b"1\t2\n")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.writestr("ml/u.data", b"3\t4\n")
    assert Artifact(tmp_path / "u.data", "sha256:x", "t").read_bytes() == b"1\t2\n"
    assert Artifact(tmp_path / "a.zip", "sha256:x", "t", "ml/u.data").read_bytes() == b"3\t4\n"


def test_missing_member_names_it_and_the_fix(tmp_path):
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.writestr("ml/u.data", b"")
    with pytest.raises(SchemaError, match=r"has no member 'ml/ratings.dat'.*fix 'extract'"):
        Artifact(tmp_path / "a.zip", "sha256:x", "t", "ml/ratings.dat").read_bytes()


def test_not_a_zip(tmp_path):
    (tmp_path / "a.zip").write_bytes(b"not a zip")
    with pytest.raises(SchemaError, match="not a valid zip"):
        Artifact(tmp_path / "a.zip", "sha256:x", "t", "m").read_bytes()

"""Result bundles: round trip, manifest, atomic writes, refusal of damaged bundles, export CLI."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pandas as pd
import pytest
from _record_factory import build_record

from bench.results import ErrorInfo, ResultStore
from bench.results.bundle import (
    MANIFEST,
    BundleError,
    BundleStore,
    export_bundle,
    open_bundle,
    rankbench_version,
)
from bench.results.store import per_user_file

REPO = Path(__file__).resolve().parents[2]


def _store(root: Path) -> ResultStore:
    store = ResultStore(root)
    for seed in (0, 1):
        users = pd.Series([3, 1, 2, 10], dtype="int64")
        frame = pd.DataFrame(
            {
                "user": users,
                "ndcg@10": [0.5, 0.0, 0.25, 1.0 / 3 + seed],
                "head:ndcg@10": [0.1, 0.2, 0.3, 0.4],
                "user:n_train": [5, 9, 2, 7],
            }
        )
        store.write(
            build_record(
                f"ease-{seed}", seed=seed, config={"model": {"name": "ease"}, "seed": seed}
            ),
            {"test": frame, "valid": frame.assign(**{"ndcg@10": 0.5})},
        )
    error = ErrorInfo("RuntimeError", "boom", "")
    store.write(build_record("ease-failed", status="failed", error=error))
    return store


@pytest.mark.parametrize("name", ["bundle", "bundle.tar.gz"])
def test_round_trip_gives_identical_records_and_per_user_frames(tmp_path, name) -> None:
    store = _store(tmp_path / "results")
    dest = export_bundle(store.root, ["ease-0", "ease-1"], tmp_path / "out" / name)
    assert dest.is_dir() == (name == "bundle")
    with open_bundle(dest) as bundle:
        assert isinstance(bundle, BundleStore) and bundle.run_ids() == ["ease-0", "ease-1"]
        for run_id in ("ease-0", "ease-1"):
            assert bundle.read(run_id) == store.read(run_id)
            for split in ("test", "valid"):
                pd.testing.assert_frame_equal(
                    bundle.read_per_user(run_id, split), store.read_per_user(run_id, split)
                )
        manifest = bundle.manifest
        assert manifest.run_ids == ("ease-0", "ease-1")
        assert manifest.rankbench_version == rankbench_version() is not None
        assert manifest.created_at.endswith("+00:00")
        expected = {
            f"{run_id}/{file}": hashlib.sha256(
                (store.run_dir(run_id) / file).read_bytes()
            ).hexdigest()
            for run_id in ("ease-0", "ease-1")
            for file in ("record.json", per_user_file("test"), per_user_file("valid"))
        }
        assert manifest.files == expected
        with pytest.raises(PermissionError, match="read-only"):
            bundle.write(build_record("new"))
        root = bundle.root
    assert root.exists() == (name == "bundle")  # an archive's extraction is removed on close


def test_manifest_json_on_disk(tmp_path) -> None:
    store = _store(tmp_path / "results")
    dest = export_bundle(store, ["ease-1"], tmp_path / "b")
    data = json.loads((dest / MANIFEST).read_text())
    assert data["kind"] == "rankbench-bundle" and data["format_version"] == 1
    assert data["run_ids"] == ["ease-1"] and len(data["files"]) == 3
    assert sorted(os.listdir(dest)) == ["ease-1", MANIFEST]


def test_truncated_archive_is_refused_with_one_line(tmp_path, monkeypatch) -> None:
    store = _store(tmp_path / "results")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))  # where open_bundle extracts
    dest = export_bundle(store, ["ease-0", "ease-1"], tmp_path / "b.tar.gz")
    data = dest.read_bytes()
    for size in (len(data) // 2, len(data) - 20, 10):
        dest.write_bytes(data[:size])
        with pytest.raises(BundleError) as caught:
            open_bundle(dest)
        message = str(caught.value)
        assert "\n" not in message and message.startswith(f"corrupt bundle {dest}")
    assert list(scratch.iterdir()) == []  # no extraction left behind


def test_archive_missing_a_file_or_with_a_changed_one_is_refused(tmp_path) -> None:
    store = _store(tmp_path / "results")
    good = export_bundle(store, ["ease-0"], tmp_path / "dir")
    # an archive whose per-user file differs from its checksum
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        for path in sorted(good.rglob("*")):
            if path.is_file():
                arcname = path.relative_to(good).as_posix()
                if arcname.endswith(per_user_file("test")):
                    other = tmp_path / "other.parquet"
                    store.read_per_user("ease-1", "test").to_parquet(other, index=False)
                    tar.add(other, arcname)
                elif arcname.endswith(per_user_file("valid")):
                    continue  # and one file is missing
                else:
                    tar.add(path, arcname)
    with pytest.raises(BundleError, match=r"missing|does not match its sha256"):
        open_bundle(bad)


def test_edited_or_extra_files_in_a_directory_bundle_are_refused(tmp_path) -> None:
    store = _store(tmp_path / "results")
    dest = export_bundle(store, ["ease-0"], tmp_path / "b")
    per_user = dest / "ease-0" / per_user_file("test")
    original = per_user.read_bytes()
    per_user.write_bytes(original[:-1] + b"x")
    with pytest.raises(BundleError, match=r"ease-0/per_user_test.parquet does not match"):
        open_bundle(dest)
    per_user.write_bytes(original)
    open_bundle(dest)
    (dest / "ease-0" / "notes.txt").write_text("hi")
    with pytest.raises(BundleError, match=r"files not in manifest\.json"):
        open_bundle(dest)
    (dest / "ease-0" / "notes.txt").unlink()
    (dest / MANIFEST).unlink()
    with pytest.raises(BundleError, match=r"no manifest\.json"):
        open_bundle(dest)


def test_export_refuses_an_existing_destination_and_replaces_it_when_asked(tmp_path) -> None:
    store = _store(tmp_path / "results")
    for name in ("b.tar.gz", "b"):
        dest = export_bundle(store, ["ease-0"], tmp_path / name)
        with pytest.raises(BundleError, match="already exists"):
            export_bundle(store, ["ease-1"], dest)
        export_bundle(store, ["ease-1"], dest, overwrite=True)
        assert open_bundle(dest).run_ids() == ["ease-1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "b.tar.gz", "results"]


def test_a_failed_export_leaves_nothing_behind(tmp_path, monkeypatch) -> None:
    store = _store(tmp_path / "results")
    out = tmp_path / "out"
    out.mkdir()

    def broken(self, tarinfo, fileobj=None):
        raise OSError("disk full")

    monkeypatch.setattr(tarfile.TarFile, "addfile", broken)
    with pytest.raises(OSError, match="disk full"):
        export_bundle(store, ["ease-0"], out / "b.tar.gz")
    monkeypatch.undo()

    def no_space(self, data):
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", no_space)
    with pytest.raises(OSError, match="disk full"):
        export_bundle(store, ["ease-0"], out / "b")
    assert list(out.iterdir()) == []


def test_export_refuses_missing_runs_and_per_user_files(tmp_path) -> None:
    store = _store(tmp_path / "results")
    with pytest.raises(BundleError, match="no runs"):
        export_bundle(store, [], tmp_path / "b")
    with pytest.raises(FileNotFoundError, match="no run 'nope'"):
        export_bundle(store, ["nope"], tmp_path / "b")
    (store.run_dir("ease-1") / per_user_file("valid")).unlink()
    with pytest.raises(BundleError, match=r"per-user file .* is missing"):
        export_bundle(store, ["ease-0", "ease-1"], tmp_path / "b")
    assert not (tmp_path / "b").exists()


def _export_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "disabled", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "bench.compare", "export", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_export_cli_selects_the_latest_completed_run_of_each_seed(tmp_path) -> None:
    store = _store(tmp_path / "results")
    later = "2024-06-01T00:00:00+00:00"
    frame = pd.DataFrame({"user": [1, 2], "ndcg@10": [0.5, 0.5]})
    config = {"model": {"name": "ease"}, "seed": 1}
    store.write(
        build_record("ease-1-rerun", seed=1, config=config, started_at=later, ended_at=later),
        {"test": frame},
    )
    store.write(build_record("other-tag", seed=0, config={"seed": 0}, tags=("x",)), {})
    out = tmp_path / "ci" / "baseline.tar.gz"
    before = {p: p.stat().st_mtime_ns for p in store.root.rglob("*")}
    done = _export_cli("--root", str(store.root), "--model", "ease", "--tag", "baseline",
                       "--group", "sweep-a", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out}: ease@") and "seeds 0, 1" in done.stdout
    assert open_bundle(out).run_ids() == ["ease-0", "ease-1-rerun"]
    assert {p: p.stat().st_mtime_ns for p in store.root.rglob("*")} == before

    done = _export_cli("--root", str(store.root), "--model", "bpr", "--out", str(out))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "unknown export model 'bpr'" in done.stderr and "ease" in done.stderr
    done = _export_cli("--root", str(store.root), "--model", "ease", "--out", str(out))
    assert done.returncode == 2 and "matches 2 configurations" in done.stderr  # other-tag's
    done = _export_cli("--root", str(store.root), "--model", "ease", "--tag", "baseline",
                       "--out", str(out))  # fmt: skip
    assert done.returncode == 2 and "already exists" in done.stderr

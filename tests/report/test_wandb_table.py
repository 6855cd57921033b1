"""The leaderboard logged to a W&B run (offline, as every run here)."""

import json

from golden_store import STORE

from bench.report import build_report, log_to_wandb


def test_table_is_logged_offline(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    report = build_report(STORE, baseline="ease", check_commands=False)
    run_dir = log_to_wandb(report, save_dir=tmp_path, with_html=False)
    tables = list(run_dir.rglob("leaderboard_*.table.json"))
    assert len(tables) == 1
    data = json.loads(tables[0].read_text())
    frame = report.to_frame()
    assert data["columns"] == list(frame.columns) and len(data["data"]) == len(frame)
    column = data["columns"].index("verdict")
    assert sorted({row[column] for row in data["data"]}, key=str) == sorted(
        set(frame["verdict"].dropna()) | ({None} if frame["verdict"].isna().any() else set()),
        key=str,
    )


def test_disabled_mode_logs_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert log_to_wandb(build_report(STORE), save_dir=tmp_path) is None
    assert not list(tmp_path.rglob("*.wandb"))

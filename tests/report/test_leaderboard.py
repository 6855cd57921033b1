"""The leaderboard built from the committed golden store (tests/report/golden_store.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from golden_store import STORE
from scipy import stats

from bench.report import ReportError, build_report
from bench.results import ResultStore

GOLDEN_MD = Path(__file__).resolve().parent / "data" / "golden_leaderboard.md"


@pytest.fixture(scope="module")
def report():
    return build_report(STORE, baseline="ease", check_commands=False)


def _relative(text: str) -> str:
    return text.replace(str(STORE), "golden_store")


def test_markdown_matches_the_golden_file(report) -> None:
    text = _relative(report.to_markdown())
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN_MD.write_text(text, encoding="utf-8")
    assert text == GOLDEN_MD.read_text(encoding="utf-8")


def _seed_means(model: str, metric: str) -> pd.Series:
    """Each user's value averaged over the model's seeds, read straight from the files."""
    store = ResultStore(STORE)
    frames = []
    for run_id in store.run_ids():
        record = store.read(run_id)
        if record.model == model and record.status == "completed":
            frame = store.read_per_user(run_id, "test").set_index("user")[metric]
            frames.append(frame.rename(record.seed))
    return pd.concat(frames, axis=1).mean(axis=1).sort_index()


def _holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (p.size - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def test_markers_are_exactly_where_a_hand_computed_holm_test_puts_them(report) -> None:
    (cell,) = report.cells
    metrics = ["ndcg@10", "recall@10", "arp@10"]
    pairs, pvalues, diffs = [], [], []
    for model in ("itemknn", "bpr", "pop"):
        seeds = (0,) if model == "bpr" else (0, 1)
        for metric in metrics:
            cand = _seed_means(model, metric)
            base_frames = []
            store = ResultStore(STORE)
            for run_id in store.run_ids():
                r = store.read(run_id)
                if r.model == "ease" and r.seed in seeds:
                    base_frames.append(
                        store.read_per_user(run_id, "test").set_index("user")[metric]
                    )
            base = pd.concat(base_frames, axis=1).mean(axis=1).sort_index()
            pairs.append((model, metric))
            pvalues.append(stats.ttest_rel(cand, base).pvalue)
            diffs.append(float((cand - base).mean()))
    adjusted = _holm(np.array(pvalues))
    higher = {"ndcg@10": True, "recall@10": True, "arp@10": False}
    rows = {row.model: row for row in cell.rows}
    for (model, metric), p, p_adj, diff in zip(pairs, pvalues, adjusted, diffs, strict=True):
        delta = rows[model].deltas[metric]
        assert delta.p_value == pytest.approx(p, rel=1e-9)
        assert delta.p_adjusted == pytest.approx(p_adj, rel=1e-9)
        assert delta.diff == pytest.approx(diff, abs=1e-12)
        better = diff > 0 if higher[metric] else diff < 0
        expected = "" if p_adj >= 0.05 else ("▲" if better else "▼")
        assert delta.marker == expected, (model, metric)
    assert cell.n_comparisons == 9
    markers = {(m, k): rows[m].deltas[k].marker for m, k in pairs}
    assert markers[("itemknn", "ndcg@10")] == "▲" and markers[("pop", "ndcg@10")] == "▼"
    assert markers[("bpr", "ndcg@10")] == ""


def test_a_worse_candidate_is_never_marked_as_an_improvement(report) -> None:
    (cell,) = report.cells
    pop = next(r for r in cell.rows if r.model == "pop")
    for metric, delta in pop.deltas.items():
        assert delta.improvement < 0 and delta.verdict == "worse" and delta.marker == "▼", metric
    # arp@10: lower is better; pop's is higher, i.e. a positive diff that is a loss
    assert pop.deltas["arp@10"].diff > 30 and pop.deltas["arp@10"].improvement < -30
    assert "▲" not in " ".join(d.marker for d in pop.deltas.values())


def test_rows_are_configurations_over_seeds_with_spread_and_ci(report) -> None:
    (cell,) = report.cells
    ease = next(r for r in cell.rows if r.is_baseline)
    assert cell.rows[0] is ease and ease.seeds == (0, 1) and ease.n_users == 40
    store = ResultStore(STORE)
    tests = [store.read(i).metrics["test"]["ndcg@10"] for i in store.run_ids()[:2]]
    assert ease.stats["ndcg@10"].mean == pytest.approx(np.mean(tests))
    assert ease.stats["ndcg@10"].std == pytest.approx(np.std(tests, ddof=1))
    values = _seed_means("ease", "ndcg@10").to_numpy()
    half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    assert ease.stats["ndcg@10"].ci_low == pytest.approx(values.mean() - half)
    assert cell.split_depends_on_seed and cell.seeds == (0, 1)
    assert ease.reproduce == "python -m bench.train -m model=ease model.l2=500.0 seed=0,1"
    bpr = next(r for r in cell.rows if r.model == "bpr")
    assert bpr.seeds == (0,) and bpr.stats["ndcg@10"].std is None
    assert [f.run_id for f in report.failures] == ["20240501T120900-golden99"]
    assert report.failures[0].error == "RuntimeError: factors diverged (loss is NaN)"


def test_segments_compare_within_each_segment(report) -> None:
    (cell,) = report.cells
    names = [s.name for s in cell.segments]
    assert names == ["cold users", "light users", "heavy users", "head items", "tail items"]
    tail = cell.segments[-1]
    assert tail.n_users == 26  # users without a tail target have no tail value
    base = tail.rows[0]
    assert base.is_baseline and base.means["ndcg@10"] == pytest.approx(
        _seed_means("ease", "tail:ndcg@10").dropna().mean()
    )


def test_formats_agree(report, tmp_path) -> None:
    paths = report.write(tmp_path, ("md", "csv", "json"))
    frame = pd.read_csv(paths["csv"])
    row = frame[(frame.model == "pop") & (frame.metric == "ndcg@10")].iloc[0]
    (cell,) = report.cells
    pop = next(r for r in cell.rows if r.model == "pop")
    assert row["diff"] == pytest.approx(pop.deltas["ndcg@10"].diff)
    assert row["verdict"] == "worse" and row["reproduce"] == pop.reproduce
    import json

    data = json.loads(paths["json"].read_text())
    assert data["cells"][0]["rows"][0]["label"] == "ease"
    assert data["failures"][0]["run_id"] == "20240501T120900-golden99"


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    shutil.copytree(STORE, root)
    return root


def test_bad_input_gives_one_clear_line(tmp_path) -> None:
    with pytest.raises(ReportError, match="does not exist"):
        build_report(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReportError, match="no runs in"):
        build_report(tmp_path / "empty")
    root = _copy(tmp_path)
    with pytest.raises(ReportError, match=r"all failed .*factors diverged"):
        build_report(root, check_commands=False, models=["ials"])
    with pytest.raises(
        ReportError, match="unknown baseline 'knn'; models: bpr, ease, itemknn, pop"
    ):
        build_report(root, check_commands=False, baseline="knn")
    with pytest.raises(ReportError, match="unknown metric 'ndcg@5'; the runs have: arp@10"):
        build_report(root, check_commands=False, metrics=["ndcg@5"])


def test_corrupt_record_warns_and_the_rest_is_reported(tmp_path) -> None:
    root = _copy(tmp_path)
    bad = root / "20240501T120003-golden03" / "record.json"
    bad.write_text("{not json")
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    report = build_report(root, check_commands=False, baseline="ease")
    assert any("golden03" in w and "not valid JSON" in w for w in report.warnings)
    (cell,) = report.cells
    itemknn = next(r for r in cell.rows if r.model == "itemknn")
    assert itemknn.seeds == (1,)  # its seed-0 record is the corrupt one
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before  # nothing modified


def test_missing_per_user_file_and_missing_baseline_seed_are_noted(tmp_path) -> None:
    root = _copy(tmp_path)
    (root / "20240501T120004-golden04" / "per_user_test.parquet").unlink()  # itemknn seed 1
    # remove the baseline's seed 1: pop (seeds 0, 1) is then compared on seed 0 only
    shutil.rmtree(root / "20240501T120002-golden02")
    report = build_report(root, check_commands=False, baseline="ease")
    (cell,) = report.cells
    rows = {r.model: r for r in cell.rows}
    assert any("seed 1: no per-user values" in n for n in rows["itemknn"].notes)
    assert any("seeds 1 have no baseline run" in n and "seed=1" in n for n in rows["pop"].notes)
    assert "note (pop): seeds 1 have no baseline run" in report.to_markdown()


def test_cli_prints_the_leaderboard_and_writes_files(tmp_path) -> None:
    env = {**os.environ, "WANDB_MODE": "disabled"}
    command = [sys.executable, "-m", "bench.report", "--root", str(STORE), "--baseline", "ease",
               "--out", str(tmp_path / "out")]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "| itemknn | 2 | **0.4341 ±0.0042** ▲" in done.stdout
    # the golden records' configs are made up: no command composes them, so each is pinned
    pinned = (
        "`git checkout 0123456789ab && python -m bench.train -m model=itemknn model.k=50 seed=0,1`"
    )
    assert pinned in done.stdout
    assert (tmp_path / "out" / "leaderboard.csv").is_file()
    unchecked = subprocess.run([*command, "--no-command-check"], capture_output=True, text=True,
                               env=env, timeout=120)  # fmt: skip
    assert unchecked.returncode == 0, unchecked.stderr
    assert "`python -m bench.train -m model=itemknn model.k=50 seed=0,1`" in unchecked.stdout
    assert "git checkout" not in unchecked.stdout
    assert "\x1b[" not in done.stdout + done.stderr
    bad = subprocess.run([*command[:3], "--root", str(tmp_path / "nope")], capture_output=True,
                         text=True, env=env, timeout=120)  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert bad.stderr.startswith("error: results directory")


def test_report_exports_its_runs_as_a_bundle_for_the_gate(tmp_path) -> None:
    from bench.report.__main__ import main
    from bench.results import open_bundle

    bundle = tmp_path / "baseline.tar.gz"
    code = main(["--root", str(STORE), "--model", "ease", "--quiet", "--format", "md",
                 "--out", str(tmp_path / "out"), "--bundle", str(bundle)])  # fmt: skip
    assert code == 0
    store = open_bundle(bundle)
    assert sorted(store.read(i).model for i in store.run_ids()) == ["ease", "ease"]


def test_interrupted_runs_are_listed_apart(tmp_path) -> None:
    from bench.results.markers import RunMarker, write_marker

    root = _copy(tmp_path)
    host = __import__("socket").gethostname()
    dead = RunMarker("20240501T121000-killed", pid=2**22 + 12345, host=host,
                     started_at="2024-05-01T12:10:00+00:00", model="bpr", dataset="ml-100k",
                     seed=1, tags=("golden",))  # fmt: skip
    write_marker(root, dead)
    report = build_report(root, check_commands=False, baseline="ease", tags=["golden"])
    (failure,) = [f for f in report.failures if f.run_id == dead.run_id]
    assert failure.error.startswith("interrupted: the run stopped without writing its record")
    assert "`20240501T121000-killed` · bpr · ml-100k · seed 1 · interrupted" in report.to_markdown()


def test_an_interrupted_run_later_resumed_to_completion_is_not_listed_as_a_failure(
    tmp_path,
) -> None:
    """A killed ease seed-0 run whose marker names the configuration of the completed ease
    seed-0 run, which started after it: a resume, noted, not a failure. Started after the
    completed run, or from a marker that names no configuration, it stays a failure."""
    import json
    import socket

    from bench.results.markers import RunMarker, marker_path, write_marker

    root = _copy(tmp_path)
    done = json.loads((root / "20240501T120001-golden01" / "record.json").read_text())
    assert done["model"] == "ease" and done["seed"] == 0 and done["status"] == "completed"
    fields = dict(pid=2**22 + 12345, host=socket.gethostname(), model="ease", dataset="ml-100k",
                  seed=0, tags=("golden",))  # fmt: skip

    def failures(started_at: str, config_hash: str | None) -> list[str]:
        marker = RunMarker("20240501T110000-killed", started_at=started_at,
                           config_hash=config_hash, **fields)  # fmt: skip
        write_marker(root, marker)
        report = build_report(root, check_commands=False, baseline="ease", tags=["golden"])
        marker_path(root, marker.run_id).unlink()
        resumed = [w for w in report.warnings if "later run to completion" in w]
        assert bool(resumed) == (marker.run_id not in {f.run_id for f in report.failures})
        assert not resumed or "20240501T110000-killed" in resumed[0]
        return [f.run_id for f in report.failures if f.run_id == marker.run_id]

    assert failures("2024-05-01T11:00:00+00:00", done["config_hash"]) == []
    assert failures("2024-05-01T13:00:00+00:00", done["config_hash"]) == ["20240501T110000-killed"]
    assert failures("2024-05-01T11:00:00+00:00", None) == ["20240501T110000-killed"]
    assert failures("2024-05-01T11:00:00+00:00", "0" * 64) == ["20240501T110000-killed"]


def test_allowed_leakage_is_a_cell_warning(tmp_path) -> None:
    import json

    root = _copy(tmp_path)
    path = root / "20240501T120001-golden01" / "record.json"
    data = json.loads(path.read_text())
    data["extra"] = {
        "leakage": {"allowed": True, "problems": ["3 test (user, item) pairs also in train"]}
    }
    path.write_text(json.dumps(data))
    (cell,) = build_report(root, check_commands=False, baseline="ease").cells
    assert any("not clean" in w and "3 test (user, item) pairs" in w for w in cell.warnings)


def test_commit_filter_keeps_one_code_version(tmp_path) -> None:
    """--commit: a table from the runs of one commit only (ease's seed 1 re-made elsewhere)."""
    import json

    root = _copy(tmp_path)
    path = root / "20240501T120002-golden02" / "record.json"  # ease, seed 1
    record = json.loads(path.read_text())
    record["git_commit"] = "fedcba9876543210fedcba9876543210fedcba98"
    path.write_text(json.dumps(record))
    everything = {
        r.model: r.seeds
        for r in build_report(root, check_commands=False, baseline="ease").cells[0].rows
    }
    assert everything["ease"] == (0, 1)
    report = build_report(root, check_commands=False, baseline="ease", commit="0123456")
    rows = {r.model: r.seeds for r in report.cells[0].rows}
    assert rows["ease"] == (0,) and rows["pop"] == (0, 1)
    assert report.git_commits == ("0123456789abcdef0123456789abcdef01234567",)
    assert report.failures == ()  # the failed ials run records no commit: left out too
    only_other = build_report(root, check_commands=False, commit="fedcba")
    assert {r.model for r in only_other.cells[0].rows} == {"ease"}
    with pytest.raises(ReportError, match="commit=0000"):
        build_report(root, check_commands=False, commit="0000")


def test_latest_variant_keeps_each_models_current_configuration(tmp_path) -> None:
    """--latest-variant: a re-tuned itemknn (k 100, run later) replaces k 50 and is noted."""
    import json

    root = _copy(tmp_path)
    for n in (3, 4):  # itemknn seeds 0 and 1
        source = root / f"20240501T12000{n}-golden0{n}"
        run_id = f"20240502T12000{n}-retuned{n}"
        target = root / run_id
        shutil.copytree(source, target)
        record = json.loads((target / "record.json").read_text())
        record["config"]["model"]["k"] = 100
        record.update(run_id=run_id, started_at=f"2024-05-02T12:0{n}:00+00:00",
                      config_hash=None, variant_hash=None)  # fmt: skip
        (target / "record.json").write_text(json.dumps(record))
    both = build_report(root, check_commands=False, baseline="ease").cells[0].rows
    assert sorted(r.label for r in both if r.model == "itemknn") == [
        "itemknn (k=100)",
        "itemknn (k=50)",
    ]
    report = build_report(root, check_commands=False, baseline="ease", latest_variant=True)
    rows = {r.model: r for r in report.cells[0].rows}
    assert sorted(rows) == ["bpr", "ease", "itemknn", "pop"]
    assert rows["itemknn"].label == "itemknn" and rows["itemknn"].seeds == (0, 1)
    assert rows["itemknn"].run_ids == ("20240502T120003-retuned3", "20240502T120004-retuned4")
    (note,) = [w for w in report.warnings if w.startswith("itemknn:")]
    assert "1 older configuration(s) left out" in note and "2 run(s)" in note
    assert "left out" in report.to_markdown()


def test_a_failed_run_later_completed_is_not_listed_as_a_failure(tmp_path) -> None:
    """The failed run becomes an interrupted ease seed-0 run that was resumed to completion."""
    import json

    root = _copy(tmp_path)
    done = json.loads((root / "20240501T120001-golden01" / "record.json").read_text())
    path = root / "20240501T120900-golden99" / "record.json"
    failed = json.loads(path.read_text())
    assert failed["status"] == "failed"
    for key in ("config", "model", "dataset", "seed", "split_fingerprint"):
        failed[key] = done[key]
    failed.pop("config_hash"), failed.pop("variant_hash")  # recomputed from the config
    before = {
        **failed,
        "started_at": "2024-05-01T11:00:00+00:00",
        "ended_at": "2024-05-01T11:00:01+00:00",
    }
    path.write_text(json.dumps(before))
    report = build_report(root, check_commands=False, baseline="ease")
    assert report.failures == ()
    (note,) = [w for w in report.warnings if "later run to completion" in w]
    assert note.startswith("1 failed or interrupted run(s)") and "20240501T120900-golden99" in note
    after = {
        **failed,
        "started_at": "2024-05-01T13:00:00+00:00",
        "ended_at": "2024-05-01T13:00:01+00:00",
    }
    path.write_text(json.dumps(after))  # failed after the completed run: still a failure
    report = build_report(root, check_commands=False, baseline="ease")
    assert [f.run_id for f in report.failures] == ["20240501T120900-golden99"]
    assert not any("later run to completion" in w for w in report.warnings)

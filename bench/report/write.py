"""Write a report's formats to a directory, each file atomically (temp file, then rename).

Example:
    >>> import tempfile
    >>> from bench.report.model import Report, Settings
    >>> empty = Report("t", "now", "results", (), (), (), False, {}, Settings())
    >>> paths = write_report(empty, tempfile.mkdtemp(), ("md", "json"))
    >>> sorted(paths), paths["md"].name
    (['json', 'md'], 'leaderboard.md')
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.report.model import Report

FORMATS: tuple[str, ...] = ("md", "html", "csv", "json")
FILE_NAMES = {fmt: f"leaderboard.{fmt}" for fmt in FORMATS}


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file in the same directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render(report: Report, fmt: str) -> str:
    """The text of one format."""
    if fmt == "md":
        return report.to_markdown()
    if fmt == "html":
        return report.to_html()
    if fmt == "csv":
        return report.to_frame().to_csv(index=False)
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=1, allow_nan=False) + "\n"
    raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")


def write_report(
    report: Report, out_dir: str | os.PathLike[str], formats: Sequence[str] = FORMATS
) -> dict[str, Path]:
    """Render every format first (nothing is written if one fails), then write each file."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format {unknown[0]!r}; choose from {', '.join(FORMATS)}")
    texts = {fmt: render(report, fmt) for fmt in formats}
    paths = {}
    for fmt, text in texts.items():
        path = Path(out_dir) / FILE_NAMES[fmt]
        atomic_write_text(path, text)
        paths[fmt] = path
    return paths

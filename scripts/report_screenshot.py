"""Regenerate docs/report.png: the top of the fixture report's HTML page in headless chromium.

The report is the hand-built one of the tests (``tests/report/report_fixture.py``); the page is
written to a temporary file, opened from its ``file://`` URL in Debian's chromium (Playwright
drives it; no browser is downloaded) and the top ``--width`` x ``--height`` pixels are saved.
Also writes the HTML next to the PNG with ``--html``.

Usage:
    python scripts/report_screenshot.py                  # docs/report.png, 1400 x 1000
    python scripts/report_screenshot.py --out /tmp/r.png --height 1600 --html /tmp/r.html
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.report.browser import CHROMIUM
from bench.report.browser import CHROMIUM_ARGS as ARGS

REPO = Path(__file__).resolve().parents[1]


def screenshot(
    out: Path,
    width: int = 1400,
    height: int = 1000,
    html: Path | None = None,
    source: Path | None = None,
) -> int:
    """Render a report (``source``: an existing leaderboard.html, else the test fixture), save
    the top of the page as PNG; returns the PNG's bytes."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        if source is not None:
            page_path = Path(source)
        else:
            sys.path.insert(0, str(REPO / "tests" / "report"))
            from report_fixture import make_report

            page_path = Path(html) if html else Path(tmp) / "report.html"
            page_path.write_text(make_report().to_html(), encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_function(
                "document.querySelectorAll('.plotly-graph-div svg.main-svg').length > 0"
            )
            page.wait_for_timeout(300)  # let the plots settle at their final size
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), clip={"x": 0, "y": 0, "width": width, "height": height})
            browser.close()
    return out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "report.png")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--html", type=Path, default=None, help="also keep the HTML here")
    parser.add_argument(
        "--from-html", type=Path, default=None, help="screenshot this leaderboard.html instead"
    )
    args = parser.parse_args()
    size = screenshot(args.out, args.width, args.height, args.html, args.from_html)
    print(f"{args.out}: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()

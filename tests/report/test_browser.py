"""The HTML report in a real browser (Debian's chromium driven by Playwright), offline.

The page is opened from a ``file://`` URL; it must log no console error, raise no page error,
request nothing but itself, draw every plot, and sort its tables by a header click.

Chromium is the system package (``/usr/bin/chromium``; ``.ci/run`` installs it where it can);
Playwright's own browser download is never used. The test is skipped only when chromium is
missing and cannot be installed (no apt-get, or not root); where it could be installed, a
missing chromium is a failure, so CI never skips it silently.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from report_fixture import make_report

from bench.report.browser import CHROMIUM
from bench.report.browser import CHROMIUM_ARGS as ARGS
from bench.report.model import Report
from bench.report.plots import cell_figures

LOCAL_SCHEMES = {"file", "data", "blob", "about"}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    installable = shutil.which("apt-get") is not None and os.geteuid() == 0
    if installable:
        pytest.fail(
            f"{CHROMIUM} is missing although apt-get and root are available: "
            "`apt-get install -y chromium` (.ci/run does it first; did it fail?)"
        )
    pytest.skip(
        f"{CHROMIUM} is missing and cannot be installed here "
        "(apt-get install -y chromium needs apt-get and root)"
    )


@pytest.fixture(scope="module")
def browser() -> Iterator:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def report() -> Report:
    return make_report()


def _labels(page, table: int) -> list[str]:
    script = "ts => Array.from(ts[%d].tBodies[0].rows, r => r.querySelector('.label').textContent)"
    return page.eval_on_selector_all("table.leaderboard", script % table)


@pytest.mark.timeout(180)
def test_page_in_chromium(browser, report: Report, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(report.to_html(), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("request", lambda r: requests.append(r.url))

    page.goto(path.as_uri(), wait_until="load")
    n_figures = sum(len(cell_figures(c)) for c in report.cells)
    page.wait_for_function(
        f"document.querySelectorAll('.plotly-graph-div svg.main-svg').length >= {n_figures}",
        timeout=30_000,
    )
    assert page.title() == report.title
    assert page.locator(".plotly-graph-div").count() == n_figures
    for i in range(n_figures):
        div = page.locator(".plotly-graph-div").nth(i)
        assert div.locator("svg.main-svg").count() >= 1
        assert div.locator("g.trace, g.violins, g.boxlayer, g.barlayer").count() >= 1
        box = div.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 200

    # sort the first leaderboard by the primary metric: ascending, then descending
    cell = report.cells[0]
    before = _labels(page, 0)
    assert before == [r.label for r in cell.rows]
    header = page.locator("table.leaderboard").first.locator("th", has_text=f"{cell.primary} ↑")
    header = header.filter(has_not_text="Δ").first
    header.locator("button.sort").click()
    ascending = [r.label for r in sorted(cell.rows, key=lambda r: r.stats[cell.primary].mean)]
    assert _labels(page, 0) == ascending
    assert ascending != before
    assert header.get_attribute("aria-sort") == "ascending"
    header.locator("button.sort").click()
    assert _labels(page, 0) == ascending[::-1]
    assert header.get_attribute("aria-sort") == "descending"
    sorted_headers = page.locator("table.leaderboard").first.locator("th[aria-sort]")
    assert sorted_headers.count() == 1

    # a text column sorts textually
    model = page.locator("table.leaderboard").first.locator("th", has_text="model").first
    model.locator("button.sort").click()
    by_label = sorted(cell.rows, key=lambda r: r.label.casefold())
    assert _labels(page, 0) == [r.label for r in by_label]

    # the reproduce command opens (first row now: the first label)
    details = page.locator("table.leaderboard details").first
    assert not details.locator("code.cmd").is_visible()
    details.locator("summary").click()
    assert details.locator("code.cmd").inner_text() == by_label[0].reproduce

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), clip={"x": 0, "y": 0, "width": 1400, "height": 1000})
    assert shot.stat().st_size > 10_000
    page.close()

    assert errors == []
    remote = [u for u in requests if urlparse(u).scheme not in LOCAL_SCHEMES]
    assert remote == []
    assert requests[0] == path.as_uri()

"""The HTML report without a browser: content, escaping, offline-ness, edge cases, plots."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from plotly.offline import get_plotlyjs
from report_fixture import make_report, ml1m_cell, sampled_cell

from bench.report.html import render_html
from bench.report.model import Cell, Report
from bench.report.plots import (
    cell_figures,
    cost_quality_figure,
    metric_at_k_figure,
    pareto_front,
    segment_figure,
)

EVIL = '<script>alert("x")</script> & co'


class Page(HTMLParser):
    """The parts of a page the tests read: tables (cells with attributes), links, sources."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: list[dict] = []  # {"cls", "head": [texts], "rows": [[cell dicts]]}
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: list[str] = []
        self._cell: dict | None = None
        self._row: list[dict] | None = None
        self._in_head = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        for name in ("src", "href", "srcset", "data", "action"):
            if attributes.get(name):
                self.urls.append((tag, name, attributes[name] or ""))
        if tag == "table":
            self.tables.append({"cls": attributes.get("class", ""), "head": [], "rows": []})
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self._row = []
            self.tables[-1]["rows"].append(self._row)
        elif tag in ("td", "th"):
            self._cell = {"attrs": attributes, "text": "", "strong": False}
        elif tag == "strong" and self._cell is not None:
            self._cell["strong"] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None:
            self._cell["text"] = " ".join(self._cell["text"].split())
            if self._in_head:
                self.tables[-1]["head"].append(self._cell["text"])
            elif self._row is not None:
                self._row.append(self._cell)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data

    def leaderboards(self) -> list[dict]:
        return [t for t in self.tables if "leaderboard" in t["cls"]]


def esc(text: str) -> str:
    """``text`` as the page's (Jinja2) autoescaping writes it."""
    return str(escape(text))


def column(table: dict, header_start: str) -> int:
    return next(i for i, h in enumerate(table["head"]) if h.startswith(header_start))


def with_cells(report: Report, *cells: Cell) -> Report:
    return dataclasses.replace(report, cells=cells)


@pytest.fixture(scope="module")
def report() -> Report:
    return make_report()


@pytest.fixture(scope="module")
def page_text(report: Report) -> str:
    return render_html(report)


@pytest.fixture(scope="module")
def page(page_text: str) -> Page:
    return Page(page_text)


def test_title_header_and_method(report: Report, page_text: str) -> None:
    assert page_text.startswith("<!DOCTYPE html>")
    assert "<title>RankBench leaderboard</title>" in page_text
    assert '<meta charset="utf-8">' in page_text
    for cell in report.cells:
        assert esc(cell.title) in page_text
        assert cell.key.dataset_fingerprint in page_text
        assert esc(report.settings.method(cell)) in page_text
        for warning in cell.warnings:
            assert esc(warning) in page_text
    for commit in report.git_commits:
        assert commit in page_text
    assert "dirty tree" in page_text
    for warning in report.warnings:
        assert esc(warning) in page_text
    assert "torch <code>2.13.0</code>" in page_text
    assert "implicit <code>not installed</code>" in page_text
    assert "sampled protocol: sampled-100" in page_text


def test_every_row_is_in_its_leaderboard(report: Report, page: Page) -> None:
    tables = page.leaderboards()
    assert len(tables) == len(report.cells)
    for cell, table in zip(report.cells, tables, strict=True):
        labels = [row[0]["text"].removesuffix(" baseline") for row in table["rows"]]
        assert labels == [r.label for r in cell.rows]
        assert all(len(row) == len(table["head"]) for row in table["rows"])


def test_markers_bold_best_and_deltas(report: Report, page: Page) -> None:
    cell, table = report.cells[0], page.leaderboards()[0]
    for metric in cell.metrics:
        col = column(table, f"{metric} ")
        bold = [row[0]["text"] for row in table["rows"] if row[col]["strong"]]
        best = cell.best(metric)
        assert bold == [
            r.label + (" baseline" if r.is_baseline else "")
            for r in cell.rows
            if r.stats[metric].mean == best
        ]
    delta_col = column(table, f"Δ {cell.primary}")
    for row, tds in zip(cell.rows, table["rows"], strict=True):
        text = tds[delta_col]["text"]
        if row.is_baseline:
            assert text == "baseline"
        else:
            delta = row.deltas[cell.primary]
            assert delta.marker and delta.marker in text
            assert float(tds[delta_col]["attrs"]["data-sort"]) == pytest.approx(delta.diff)
    dz = column(table, "d_z")
    ease = next(i for i, r in enumerate(cell.rows) if r.label.startswith("EASE"))
    assert table["rows"][ease][dz]["text"].startswith("+")
    assert "▲" in table["rows"][ease][delta_col]["text"]
    assert "▼" in table["rows"][-1][delta_col]["text"]  # Pop is worse than iALS


def test_not_significant_row_has_no_marker(report: Report, page: Page) -> None:
    cell, table = report.cells[1], page.leaderboards()[1]
    i = next(i for i, r in enumerate(cell.rows) if r.label.startswith("ItemKNN"))
    assert cell.rows[i].deltas[cell.primary].verdict == "n.s."
    assert not any(m in td["text"] for td in table["rows"][i] for m in "▲▼")


def test_costs_and_reproduce(report: Report, page_text: str, page: Page) -> None:
    table = page.leaderboards()[0]
    ease = table["rows"][1]
    assert ease[column(table, "params")]["text"] == "13.4M"
    assert ease[column(table, "fit s")]["text"] == "18.7"
    assert ease[column(table, "peak GB")]["text"] == "3.92"
    assert ease[column(table, "p99 ms")]["text"] == "1.93"
    for cell in report.cells:
        for row in cell.rows:
            assert esc(row.reproduce) in page_text
            assert f'<code class="hash">{row.variant_hash}</code>' in page_text


def test_segments_and_failures(report: Report, page_text: str, page: Page) -> None:
    segments = [t for t in page.tables if "segment" in t["cls"].split()]
    assert len(segments) == sum(len(c.segments) for c in report.cells)
    for cell in report.cells:
        for segment in cell.segments:
            assert esc(segment.description) in page_text
    failures = next(t for t in page.tables if "failures" in t["cls"])
    (row,) = failures["rows"]
    assert row[0]["text"] == "sasrec-ml-1m-s1"
    assert row[-1]["text"] == report.failures[0].error


def test_plotly_js_is_inlined_once_and_nothing_is_fetched(page_text: str, page: Page) -> None:
    banner = get_plotlyjs()[:40]
    assert "plotly.js v" in banner
    assert page_text.count(banner) == 1
    assert page_text.count("Plotly.newPlot(") == sum(
        len(cell_figures(c)) for c in make_report().cells
    )
    assert "link" not in page.tags  # no stylesheet, icon or preload
    for tag, attribute, url in page.urls:
        assert url.startswith("#"), (tag, attribute, url)
    assert "<script src" not in page_text


def test_text_is_escaped_everywhere(report: Report) -> None:
    cell = report.cells[0]
    evil_row = dataclasses.replace(cell.rows[1], label=EVIL, reproduce=f"echo {EVIL}")
    rows = (cell.rows[0], evil_row, *cell.rows[2:])
    evil_cell = dataclasses.replace(
        cell,
        rows=rows,
        distributions={
            EVIL if k == cell.rows[1].label else k: v for k, v in cell.distributions.items()
        },
        warnings=(EVIL,),
    )
    text = render_html(
        dataclasses.replace(report, title=EVIL, cells=(evil_cell,), warnings=(EVIL,))
    )
    assert "<script>alert" not in text
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co"
    assert f"<title>{escaped}</title>" in text
    assert f'<span class="label">{escaped}</span>' in text
    assert f'<code class="cmd">echo {escaped}</code>' in text
    page = Page(text)
    labels = [row[0]["text"] for row in page.leaderboards()[0]["rows"]]
    assert EVIL in labels  # shown as written
    assert text.count("<script>") == 2 + len(cell_figures(evil_cell))  # plotly.js, sort, plots


def test_zero_segments(report: Report) -> None:
    cell = dataclasses.replace(ml1m_cell(), segments=())
    text = render_html(with_cells(report, cell))
    assert 'class="sortable segment"' not in text
    assert "plot-0-segments" not in text
    assert "plot-0-at_k" in text and "plot-0-cost" in text


def test_single_row(report: Report) -> None:
    cell = ml1m_cell()
    (row,) = cell.rows[:1]
    single = dataclasses.replace(
        cell,
        rows=(row,),
        segments=(),
        distributions={row.label: cell.distributions[row.label]},
        n_comparisons=0,
    )
    page = Page(render_html(with_cells(report, single)))
    (table,) = page.leaderboards()
    assert len(table["rows"]) == 1
    col = column(table, f"{single.primary} ")
    assert table["rows"][0][col]["strong"]  # the only row is the best


def test_cell_without_baseline(report: Report) -> None:
    cell = ml1m_cell()
    rows = tuple(dataclasses.replace(r, is_baseline=False, deltas={}) for r in cell.rows)
    segments = tuple(
        dataclasses.replace(
            s, rows=tuple(dataclasses.replace(r, is_baseline=False, deltas={}) for r in s.rows)
        )
        for s in cell.segments
    )
    bare = dataclasses.replace(cell, baseline=None, rows=rows, segments=segments)
    page = Page(render_html(with_cells(report, bare)))
    table = page.leaderboards()[0]
    delta_col = column(table, f"Δ {bare.primary}")
    assert all(row[delta_col]["text"] == "–" for row in table["rows"])
    assert all(row[column(table, "d_z")]["text"] == "–" for row in table["rows"])
    assert not any(
        m in td["text"] for t in page.tables for r in t["rows"] for td in r for m in "▲▼"
    )


def test_sampled_cell_alone(report: Report) -> None:
    cell = sampled_cell()
    text = render_html(with_cells(report, cell))
    assert "sampled protocol: sampled-100" in text
    assert "full ranking</span>" not in text
    assert "plot-0-at_k" not in text  # hr@10, ndcg@10, mrr: no family at several K
    assert "plot-0-cost" in text and "plot-0-distribution" in text


def test_report_without_cells_has_no_plotly() -> None:
    empty = dataclasses.replace(make_report(), cells=(), failures=())
    text = render_html(empty)
    assert "No completed runs matched." in text
    assert "plotly.js v" not in text and "Plotly.newPlot" not in text


def test_pareto_front_respects_direction() -> None:
    points = [(1.0, 0.30), (2.0, 0.20), (4.0, 0.35), (8.0, 0.34)]
    assert pareto_front(points, higher_is_better=True) == [0, 2]
    assert pareto_front(points, higher_is_better=False) == [0, 1]
    assert pareto_front([(1.0, 0.5), (1.0, 0.6)]) == [1]


def test_figures_read_the_cell() -> None:
    cell = ml1m_cell()
    at_k = metric_at_k_figure(cell)
    assert at_k is not None
    assert {t.xaxis for t in at_k.data} == {"x", "x2"}  # ndcg and recall panels
    ease = next(t for t in at_k.data if t.name == "EASE λ=500" and t.xaxis == "x")
    assert list(ease.x) == [5, 10, 20]
    cost = cost_quality_figure(cell)
    assert cost is not None
    front = cost.data[0]
    assert front.name == "Pareto front"
    assert list(front.x) == [0.41, 18.7]  # Pop, then EASE: iALS and BPR cost more for less
    assert cost.layout.xaxis.type == "log"
    bars = segment_figure(cell)
    assert bars is not None and len(bars.data) == len(cell.rows)
    assert segment_figure(dataclasses.replace(cell, segments=())) is None

"""The report as one self-contained HTML page: sortable tables and plotly figures, offline.

The page is a Jinja2 template (``templates/report.html.j2``, autoescaped) with its CSS, the
sort script (``templates/sort.js``) and plotly.js inlined once; no file, font or script is
fetched, so it opens from disk without a network. Every table cell is built here as escaped
:class:`markupsafe.Markup`, with a ``data-sort`` key for the numeric columns.

Example:
    >>> from bench.report.model import Report, Settings
    >>> report = Report(title="Nightly <main>", created_at="2024-01-01T00:00:00+00:00",
    ...                 results_dir="outputs", cells=(), failures=(), git_commits=("abc1234",),
    ...                 dirty=False, packages={"torch": "2.13.0"}, settings=Settings())
    >>> page = render_html(report)
    >>> "<title>Nightly &lt;main&gt;</title>" in page, "plotly.js v" in page
    (True, False)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import plotly.io as pio
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from bench.report.model import Cell, Delta, MetricStat, Report, Row, SegmentTable
from bench.report.plots import cell_figures

TEMPLATES = Path(__file__).parent / "templates"
#: plotly's own options for every figure: no logo, no link to an online editor.
PLOT_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class Td:
    """One table cell: its (escaped) content, sort key, CSS class and tooltip."""

    content: Markup
    sort: str | None = None
    cls: str = ""
    title: str = ""


@dataclass(frozen=True)
class Th:
    """One column header; ``sortable`` columns get a button that sorts the table."""

    text: str
    title: str = ""
    sortable: bool = True
    numeric: bool = True


@dataclass(frozen=True)
class Table:
    """A table as the template draws it."""

    caption: str
    head: list[Th]
    body: list[list[Td]]
    row_classes: list[str] = field(default_factory=list)


def num(value: float | None, digits: int = 4) -> str:
    """A number for a table: fixed decimals, thousands separated, ``–`` for missing.

    Example:
        >>> num(0.123456), num(None), num(float("nan")), num(1234567.0, 0)
        ('0.1235', '–', '–', '1,234,567')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def signed(value: float, digits: int = 4) -> str:
    """A difference with its sign, minus as U+2212.

    Example:
        >>> signed(0.0123), signed(-0.5, 2)
        ('+0.0123', '−0.50')
    """
    return f"{value:+.{digits}f}".replace("-", "−")


def human_count(value: int | None) -> str:
    """A parameter count in k/M/G.

    Example:
        >>> human_count(13_359_025), human_count(84_352), human_count(0), human_count(None)
        ('13.4M', '84.4k', '0', '–')
    """
    if value is None:
        return "–"
    for limit, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{unit}"
    return str(value)


def _sort_key(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else repr(float(value))


def _is_best(cell: Cell, metric: str, value: float) -> bool:
    best = cell.best(metric)
    return best is not None and math.isclose(value, best, rel_tol=0.0, abs_tol=1e-12)


def _delta_title(metric: str, delta: Delta) -> str:
    return (
        f"{metric}: Δ {signed(delta.diff)} [{signed(delta.ci_low)}, {signed(delta.ci_high)}] "
        f"({signed(delta.rel_diff, 1)}%), d_z {signed(delta.effect_size, 2)}, "
        f"p adj. {delta.p_adjusted:.2g} — {delta.verdict}"
    )


def _marker(delta: Delta | None) -> Markup:
    if delta is None or not delta.marker:
        return Markup("")
    cls = "up" if delta.verdict != "worse" else "down"
    return Markup('<span class="marker {}">{}</span>').format(cls, delta.marker)


def metric_td(cell: Cell, metric: str, stat: MetricStat | None, delta: Delta | None) -> Td:
    """``mean ± sd`` (bold when best, ▲/▼ vs baseline) over the 95% CI, sorted by mean."""
    if stat is None:
        return Td(Markup("–"))
    mean = num(stat.mean)
    best = _is_best(cell, metric, stat.mean)
    shown = Markup("<strong>{}</strong>").format(mean) if best else mean
    sd = Markup(' <span class="sd">± {}</span>').format(num(stat.std)) if stat.std else ""
    ci = (
        Markup('<span class="ci">[{}, {}]</span>').format(num(stat.ci_low), num(stat.ci_high))
        if stat.ci_low is not None and stat.ci_high is not None
        else Markup('<span class="ci">no CI (catalogue metric)</span>')
    )
    content = Markup("{}{} {}<br>{}").format(shown, sd, _marker(delta), ci)
    title = _delta_title(metric, delta) if delta else ""
    return Td(content, sort=_sort_key(stat.mean), cls="num", title=title)


def delta_td(row_is_baseline: bool, metric: str, delta: Delta | None) -> Td:
    """``Δ [CI] ▲`` of one metric; ``baseline`` on the baseline's row, ``–`` without one."""
    if row_is_baseline:
        return Td(Markup('<span class="muted">baseline</span>'), sort="0", cls="num")
    if delta is None:
        return Td(Markup("–"), cls="num")
    content = Markup('{} {}<br><span class="ci">[{}, {}] · {}%</span>').format(
        signed(delta.diff),
        _marker(delta),
        signed(delta.ci_low),
        signed(delta.ci_high),
        signed(delta.rel_diff, 1),
    )
    return Td(content, sort=_sort_key(delta.diff), cls="num", title=_delta_title(metric, delta))


def _label_td(row: Row) -> Td:
    badge = Markup(' <span class="badge">baseline</span>') if row.is_baseline else ""
    notes = Markup("").join(Markup('<br><span class="note">{}</span>').format(n) for n in row.notes)
    content = Markup('<span class="label">{}</span>{}{}').format(row.label, badge, notes)
    return Td(content, sort=row.label, cls="text", title=f"model: {row.model}")


def _reproduce_td(row: Row) -> Td:
    extra = Markup("").join(
        Markup('<div class="runs">{}: {}</div>').format(name, ", ".join(values))
        for name, values in (("runs", row.run_ids), ("git", row.git_commits))
        if values
    )
    content = Markup(
        '<details><summary>variant <code class="hash">{}</code></summary>'
        '<code class="cmd">{}</code>{}</details>'
    ).format(row.variant_hash, row.reproduce, extra)
    return Td(content, cls="text")


def _cost_tds(row: Row) -> list[Td]:
    c = row.cost
    return [
        Td(Markup(num(c.fit_seconds, 1)), _sort_key(c.fit_seconds), "num"),
        Td(Markup(num(c.eval_seconds, 1)), _sort_key(c.eval_seconds), "num"),
        Td(Markup(num(c.peak_rss_gb, 2)), _sort_key(c.peak_rss_gb), "num"),
        Td(
            Markup(human_count(c.n_params)),
            _sort_key(None if c.n_params is None else float(c.n_params)),
            "num",
            "" if c.n_params is None else f"{c.n_params:,} parameters",
        ),
        Td(Markup(num(c.latency_p50_ms, 2)), _sort_key(c.latency_p50_ms), "num"),
        Td(Markup(num(c.latency_p99_ms, 2)), _sort_key(c.latency_p99_ms), "num"),
    ]


def _metric_th(cell: Cell, metric: str) -> Th:
    higher = cell.higher_is_better.get(metric, True)
    arrow = "↑" if higher else "↓"
    better = "higher" if higher else "lower"
    return Th(f"{metric} {arrow}", f"mean ± sd over seeds, 95% CI; {better} is better")


def main_table(cell: Cell) -> Table:
    """The cell's leaderboard: the primary metric with its Δ and d_z, the others, costs."""
    primary = cell.primary
    others = [m for m in cell.metrics if m != primary]
    head = [
        Th("model", "model configuration", numeric=False),
        Th("seeds"),
        Th("users"),
        _metric_th(cell, primary),
        Th(f"Δ {primary} [95% CI]", "candidate − baseline, 95% CI over users, relative change"),
        Th("d_z", "effect size: mean paired difference / its sd"),
        *(_metric_th(cell, m) for m in others),
        Th("fit s", "training time, mean over seeds"),
        Th("eval s", "evaluation time, mean over seeds"),
        Th("peak GB", "peak resident memory"),
        Th("params", "number of parameters"),
        Th("p50 ms", "scoring latency per user, median"),
        Th("p99 ms", "scoring latency per user, 99th percentile"),
        Th("reproduce", "command and variant hash", sortable=False, numeric=False),
    ]
    body = []
    for row in cell.rows:
        delta = row.deltas.get(primary)
        dz = Td(Markup("–"), cls="num")
        if delta is not None:
            dz = Td(Markup(signed(delta.effect_size, 2)), _sort_key(delta.effect_size), "num")
        body.append(
            [
                _label_td(row),
                Td(Markup(str(len(row.seeds))), str(len(row.seeds)), "num"),
                Td(Markup(f"{row.n_users:,}"), str(row.n_users), "num"),
                metric_td(cell, primary, row.stats.get(primary), delta),
                delta_td(row.is_baseline, primary, delta),
                dz,
                *(metric_td(cell, m, row.stats.get(m), row.deltas.get(m)) for m in others),
                *_cost_tds(row),
                _reproduce_td(row),
            ]
        )
    classes = ["baseline" if r.is_baseline else "" for r in cell.rows]
    return Table(f"Leaderboard: {cell.title}", head, body, classes)


def segment_table(cell: Cell, segment: SegmentTable) -> Table:
    """One segment: per-metric means (best bold, ▲/▼) and the primary metric's Δ [CI].

    A segment without the cell's primary metric shows the Δ of its own first metric.
    """
    first = cell.primary if cell.primary in segment.metrics else next(iter(segment.metrics), None)
    head = [Th("model", numeric=False), *(_metric_th(cell, m) for m in segment.metrics)]
    if first is not None:
        head.append(Th(f"Δ {first} [95% CI]", "candidate − baseline within the segment"))
    body = []
    for srow in segment.rows:
        tds = [Td(Markup('<span class="label">{}</span>').format(srow.label), srow.label, "text")]
        for m in segment.metrics:
            values = [r.means[m] for r in segment.rows if m in r.means]
            mean = srow.means.get(m)
            if mean is None:
                tds.append(Td(Markup("–"), cls="num"))
                continue
            best = max(values) if cell.higher_is_better.get(m, True) else min(values)
            text = num(mean)
            shown = Markup("<strong>{}</strong>").format(text) if mean == best else Markup(text)
            delta = srow.deltas.get(m)
            tds.append(
                Td(
                    Markup("{} {}").format(shown, _marker(delta)),
                    _sort_key(mean),
                    "num",
                    _delta_title(m, delta) if delta else "",
                )
            )
        if first is not None:
            tds.append(delta_td(srow.is_baseline, first, srow.deltas.get(first)))
        body.append(tds)
    classes = ["baseline" if r.is_baseline else "" for r in segment.rows]
    return Table(f"Segment: {segment.name}", head, body, classes)


def figure_divs(cell: Cell, index: int) -> list[Markup]:
    """The cell's plotly figures as ``<div>``s (plotly.js itself is inlined once per page)."""
    divs = []
    for kind, fig in cell_figures(cell).items():
        height = fig.layout.height or 380
        fragment = pio.to_html(
            fig,
            include_plotlyjs=False,
            full_html=False,
            div_id=f"plot-{index}-{kind}",
            config=PLOT_CONFIG,
            default_height=f"{height}px",
        )
        divs.append(Markup(fragment))  # plotly escapes "<" in its JSON (\u003c)
    return divs


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: Report) -> str:
    """The whole page (see the module docstring)."""
    cells = []
    for index, cell in enumerate(report.cells):
        cells.append(
            {
                "cell": cell,
                "anchor": f"cell-{index}",
                "method": report.settings.method(cell),
                "table": main_table(cell),
                "segments": [(s, segment_table(cell, s)) for s in cell.segments],
                "figures": figure_divs(cell, index),
            }
        )
    any_figure = any(c["figures"] for c in cells)
    fingerprints = sorted({(c.key.dataset, c.key.dataset_fingerprint) for c in report.cells})
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            cells=cells,
            fingerprints=fingerprints,
            packages=sorted(report.packages.items()),
            plotly_js=Markup(get_plotlyjs()) if any_figure else None,
            sort_js=Markup((TEMPLATES / "sort.js").read_text(encoding="utf-8")),
        )
    )

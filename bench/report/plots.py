"""The plots of a report cell, as plotly figures (rendered into the page by :mod:`.html`).

Each ``*_figure`` function reads one :class:`~bench.report.model.Cell` and returns a
``plotly.graph_objects.Figure``, or ``None`` when the cell has nothing to show (no metric
family at several K, no fit times, no distributions, no segments). They compute nothing but
what is drawn: every number comes from the report object.

Text that plotly would read as its pseudo-HTML (``<b>``, ``<br>``) is entity-escaped first, so
a label is always shown as written.

Example:
    >>> metric_families(("ndcg@10", "ndcg@5", "recall@10", "mrr", "recall@20"))
    {'ndcg': [(5, 'ndcg@5'), (10, 'ndcg@10')], 'recall': [(10, 'recall@10'), (20, 'recall@20')]}
    >>> pareto_front([(1.0, 0.2), (10.0, 0.3), (5.0, 0.1), (100.0, 0.3)], higher_is_better=True)
    [0, 1]
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bench.report.model import Cell, Row

#: Shared look of every figure (a built-in template: no fonts or images are fetched).
TEMPLATE = "plotly_white"
#: Per-user values are summarised by at most this many quantiles before they are drawn.
MAX_POINTS = 1000

_AT_K = re.compile(r"^(?P<family>.+)@(?P<k>\d+)$")


def text(value: str) -> str:
    """``value`` as plotly text: entity-escaped, so ``<`` is never read as a tag.

    Example:
        >>> text("a<b>")
        'a&lt;b&gt;'
    """
    return html.escape(value, quote=False)


def metric_families(metrics: Sequence[str]) -> dict[str, list[tuple[int, str]]]:
    """Metrics named ``family@K`` grouped by family, sorted by K; families with one K dropped."""
    families: dict[str, list[tuple[int, str]]] = {}
    for metric in metrics:
        match = _AT_K.match(metric)
        if match:
            families.setdefault(match["family"], []).append((int(match["k"]), metric))
    return {name: sorted(ks) for name, ks in families.items() if len(ks) > 1}


def pareto_front(points: Sequence[tuple[float, float]], higher_is_better: bool = True) -> list[int]:
    """Indices of the (cost, quality) points no other point beats, by increasing cost.

    A point is on the front when every cheaper (or equally cheap) point has worse quality:
    lower cost and better quality (in the metric's direction) win.

    Example:
        >>> pareto_front([(2.0, 0.5), (1.0, 0.6), (3.0, 0.7)], higher_is_better=False)
        [1, 0]
    """
    sign = 1.0 if higher_is_better else -1.0
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -sign * points[i][1]))
    front: list[int] = []
    best = -math.inf
    for i in order:
        quality = sign * points[i][1]
        if quality > best:
            front.append(i)
            best = quality
    return front


def quantile_sketch(values: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Finite ``values``, or ``max_points`` evenly spaced quantiles of them when there are more.

    The sketch keeps the shape of the distribution (and its min and max) while the page size
    stays independent of the number of users.

    Example:
        >>> quantile_sketch(np.arange(10_001.0), max_points=5).tolist()
        [0.0, 2500.0, 5000.0, 7500.0, 10000.0]
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size <= max_points:
        return finite
    return np.quantile(finite, np.linspace(0.0, 1.0, max_points))


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title={"text": text(title), "x": 0.01, "font": {"size": 15}},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "v"},
    )
    return fig


def _colors(rows: Sequence[Row]) -> dict[str, str]:
    palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]  # fmt: skip
    return {row.label: palette[i % len(palette)] for i, row in enumerate(rows)}


def _ci_error(stats: Sequence[tuple[float, float | None, float | None]]) -> dict | None:
    """Asymmetric error bars from (mean, low, high); ``None`` when no value has a CI."""
    if all(low is None or high is None for _, low, high in stats):
        return None
    plus = [(high - mean) if high is not None else 0.0 for mean, _, high in stats]
    minus = [(mean - low) if low is not None else 0.0 for mean, low, _ in stats]
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus}


def metric_at_k_figure(cell: Cell) -> go.Figure | None:
    """One panel per metric family (``ndcg@5``, ``ndcg@10``, ... → x = K), one line per row."""
    families = metric_families(cell.metrics)
    if not families:
        return None
    names = list(families)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[text(n) for n in names])
    colors = _colors(cell.rows)
    for col, name in enumerate(names, start=1):
        for row in cell.rows:
            points = [(k, row.stats[m]) for k, m in families[name] if m in row.stats]
            if not points:
                continue
            stats = [(s.mean, s.ci_low, s.ci_high) for _, s in points]
            fig.add_trace(
                go.Scatter(
                    x=[k for k, _ in points],
                    y=[s.mean for _, s in points],
                    error_y=_ci_error(stats),
                    mode="lines+markers",
                    name=text(row.label),
                    legendgroup=row.label,
                    showlegend=col == 1,
                    line={"color": colors[row.label]},
                    hovertemplate=f"{text(row.label)}<br>{text(name)}@%{{x}} = %{{y:.4f}}"
                    "<extra></extra>",
                ),
                row=1,
                col=col,
            )
        ks = [k for k, _ in families[name]]
        fig.update_xaxes(title_text="K", tickvals=ks, row=1, col=col)
    return _layout(fig, "Metric at K (mean, 95% CI over users)")


def cost_quality_figure(cell: Cell) -> go.Figure | None:
    """Fit seconds (log x) against the primary metric, with the Pareto front of the rows."""
    metric = cell.primary
    higher = cell.higher_is_better.get(metric, True)
    rows = [
        r
        for r in cell.rows
        if metric in r.stats and r.cost.fit_seconds is not None and r.cost.fit_seconds > 0
    ]
    if not rows:
        return None
    colors = _colors(cell.rows)
    fig = go.Figure()
    points = [(float(r.cost.fit_seconds or 0.0), r.stats[metric].mean) for r in rows]
    front = pareto_front(points, higher_is_better=higher)
    fig.add_trace(
        go.Scatter(
            x=[points[i][0] for i in front],
            y=[points[i][1] for i in front],
            mode="lines",
            line={"dash": "dash", "color": "#888"},
            name="Pareto front",
            hoverinfo="skip",
        )
    )
    for i, row in enumerate(rows):
        stat = row.stats[metric]
        fig.add_trace(
            go.Scatter(
                x=[points[i][0]],
                y=[stat.mean],
                error_y=_ci_error([(stat.mean, stat.ci_low, stat.ci_high)]),
                mode="markers+text",
                text=[text(row.label)],
                textposition="middle right",
                cliponaxis=False,
                marker={
                    "size": 12,
                    "color": colors[row.label],
                    "symbol": "star" if i in front else "circle",
                },
                name=text(row.label),
                hovertemplate=f"{text(row.label)}<br>fit %{{x:.3g}} s<br>{text(metric)} = "
                "%{y:.4f}<extra></extra>",
            )
        )
    arrow = "↑" if higher else "↓"
    low, high = (math.log10(min(x for x, _ in points)), math.log10(max(x for x, _ in points)))
    fig.update_xaxes(
        type="log", title_text="fit time (s, log scale)", range=[low - 0.3, high + 1.0]
    )
    fig.update_yaxes(title_text=text(f"{metric} {arrow}"))
    return _layout(fig, f"Cost against quality ({metric}; Pareto front dashed, stars)")


def distribution_figure(cell: Cell) -> go.Figure | None:
    """Per-user values, one violin (with box) per row; a menu switches between metrics."""
    labels = [r.label for r in cell.rows if r.label in cell.distributions]
    labels += [label for label in cell.distributions if label not in labels]
    metrics = [
        m for m in cell.metrics if any(m in cell.distributions.get(lbl, {}) for lbl in labels)
    ]
    if not metrics:
        return None
    colors = _colors(cell.rows)
    fig = go.Figure()
    owner: list[str] = []
    for metric in metrics:
        for label in labels:
            values = cell.distributions[label].get(metric)
            if values is None:
                continue
            fig.add_trace(
                go.Violin(
                    y=quantile_sketch(values),
                    name=text(label),
                    box={"visible": True},
                    meanline={"visible": True},
                    points=False,
                    spanmode="hard",
                    line={"color": colors.get(label, "#444")},
                    visible=metric == metrics[0],
                    showlegend=False,
                    hoverinfo="y+name",
                )
            )
            owner.append(metric)
    if len(metrics) > 1:
        fig.update_layout(
            updatemenus=[
                {
                    "buttons": [
                        {
                            "label": text(m),
                            "method": "update",
                            "args": [
                                {"visible": [o == m for o in owner]},
                                {"yaxis": {"title": {"text": text(m)}}},
                            ],
                        }
                        for m in metrics
                    ],
                    "x": 1.0,
                    "xanchor": "right",
                    "y": 1.15,
                    "yanchor": "top",
                }
            ]
        )
    fig.update_yaxes(title_text=text(metrics[0]))
    return _layout(fig, "Per-user distribution (violin with box and mean)")


def segment_figure(cell: Cell) -> go.Figure | None:
    """Grouped bars: x = segment, one bar per row, y = the primary metric's segment mean.

    Segments whose table lacks the primary metric use their own first metric (named on the
    axis). Bars carry the ▲/▼ marker of their delta to the baseline.
    """
    segments = [s for s in cell.segments if s.rows and s.metrics]
    if not segments:
        return None
    colors = _colors(cell.rows)
    names = []
    for s in segments:
        metric = cell.primary if cell.primary in s.metrics else s.metrics[0]
        suffix = "" if metric == cell.primary else f" ({metric})"
        names.append(text(f"{s.name}{suffix} · n={s.n_users}"))
    fig = go.Figure()
    order = [r.label for r in cell.rows]
    labels = order + sorted({r.label for s in segments for r in s.rows} - set(order))
    for label in labels:
        xs, ys, marks = [], [], []
        for name, seg in zip(names, segments, strict=True):
            metric = cell.primary if cell.primary in seg.metrics else seg.metrics[0]
            for srow in seg.rows:
                if srow.label == label and metric in srow.means:
                    delta = srow.deltas.get(metric)
                    xs.append(name)
                    ys.append(srow.means[metric])
                    marks.append(delta.marker if delta else "")
        if xs:
            fig.add_trace(
                go.Bar(
                    x=xs,
                    y=ys,
                    text=marks,
                    textposition="outside",
                    name=text(label),
                    marker={"color": colors.get(label, "#444")},
                    hovertemplate=f"{text(label)}<br>%{{x}}: %{{y:.4f}} %{{text}}<extra></extra>",
                )
            )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=text(cell.primary))
    return _layout(fig, f"Segments ({cell.primary}; ▲/▼ vs baseline)")


def cell_figures(cell: Cell) -> dict[str, go.Figure]:
    """Every figure the cell has, by kind (``at_k``, ``cost``, ``distribution``, ``segments``)."""
    makers = {
        "at_k": metric_at_k_figure,
        "cost": cost_quality_figure,
        "distribution": distribution_figure,
        "segments": segment_figure,
    }
    figures = {kind: make(cell) for kind, make in makers.items()}
    return {kind: fig for kind, fig in figures.items() if fig is not None}

"""Markdown rendering of a :class:`~bench.report.model.Report`: fits a pull-request comment.

Per cell: a heading naming the cell, a provenance line, the method in one paragraph, the main
table (mean ± sd over seeds per metric with ▲/▼ where significantly better/worse than the
baseline, best value bold; Δ with its 95% CI and d_z for the primary metric; cost columns), the
segment table (primary metric per segment), the reproduce commands, and failures at the end.

Example:
    >>> fmt_value(0.123456, 0.00123)
    '0.1235 ±0.0012'
    >>> fmt_ci(-0.01234, -0.02, -0.004)
    '−0.0123 [−0.0200, −0.0040]'
"""

from __future__ import annotations

from bench.report.model import Cell, Report, Row

_NA = "–"


def _num(value: float | None, digits: int = 4) -> str:
    if value is None:
        return _NA
    return f"{value:.{digits}f}".replace("-", "−")


def fmt_value(mean: float, std: float | None) -> str:
    """``mean ±sd`` with four decimals (sd omitted for one seed)."""
    return _num(mean) if std is None else f"{_num(mean)} ±{_num(std)}"


def fmt_ci(diff: float, low: float, high: float) -> str:
    """``diff [low, high]`` with four decimals."""
    return f"{_num(diff)} [{_num(low)}, {_num(high)}]"


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return _NA
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def fmt_count(value: int | None) -> str:
    if value is None:
        return _NA
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return str(value)


def fmt_us(p50_ms: float | None, p99_ms: float | None) -> str:
    """Scoring latency per user, p50 / p99, in microseconds."""
    if p50_ms is None or p99_ms is None:
        return _NA
    return f"{_us(p50_ms)} / {_us(p99_ms)}"


def _us(ms: float) -> str:
    us = ms * 1000.0
    return f"{us:.0f}" if us >= 10 else f"{us:.2g}"


def _cell_value(cell: Cell, row: Row, metric: str) -> str:
    stat = row.stats.get(metric)
    if stat is None:
        return _NA
    text = fmt_value(stat.mean, stat.std)
    if cell.best(metric) == stat.mean and len(cell.rows) > 1:
        text = f"**{text}**"
    delta = row.deltas.get(metric)
    return f"{text} {delta.marker}".rstrip() if delta else text


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def main_table(cell: Cell) -> list[str]:
    """The cell's main table as Markdown lines."""
    primary = cell.primary
    head = ["model", "seeds", *cell.metrics]
    if cell.baseline is not None:
        head += [f"Δ {primary} vs {cell.baseline} [95% CI]", "d_z"]
    head += ["fit s", "eval s", "peak GB", "params", "µs/user p50 / p99"]
    lines = ["| " + " | ".join(_escape(h) for h in head) + " |"]
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for row in cell.rows:
        label = f"{row.label} (baseline)" if row.is_baseline else row.label
        values = [_escape(label), str(len(row.seeds))]
        values += [_cell_value(cell, row, m) for m in cell.metrics]
        if cell.baseline is not None:
            delta = row.deltas.get(primary)
            if delta is None:
                values += ["—" if row.is_baseline else _NA, _NA if not row.is_baseline else "—"]
            else:
                ci = fmt_ci(delta.diff, delta.ci_low, delta.ci_high)
                values += [f"{ci} {delta.marker}".rstrip(), _num(delta.effect_size, 2)]
        cost = row.cost
        gb = None if cost.peak_rss_gb is None else round(cost.peak_rss_gb, 2)
        values += [
            fmt_seconds(cost.fit_seconds),
            fmt_seconds(cost.eval_seconds),
            _NA if gb is None else f"{gb:.2f}",
            fmt_count(cost.n_params),
            fmt_us(cost.latency_p50_ms, cost.latency_p99_ms),
        ]
        lines.append("| " + " | ".join(values) + " |")
    return lines


def segment_table(cell: Cell) -> list[str]:
    """Primary metric per segment (columns) and model (rows), with markers."""
    if not cell.segments:
        return []
    metric = cell.segments[0].metrics[0]
    labels = [row.label for row in cell.segments[0].rows]
    head = ["model", *(f"{s.name} ({s.n_users} users)" for s in cell.segments)]
    lines = [
        f"Segments ({metric}; ▲/▼ vs the baseline, Holm within each segment):",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
    ]
    order = [r.label for r in cell.rows]
    labels.sort(key=lambda label: order.index(label) if label in order else len(order))
    for label in labels:
        values = [_escape(label)]
        for segment in cell.segments:
            found = [r for r in segment.rows if r.label == label]
            if not found:
                values.append(_NA)
                continue
            seg_row = found[0]
            delta = seg_row.deltas.get(metric)
            text = _num(seg_row.means.get(metric))
            if delta is not None:
                text += f" ({_num(delta.diff)} {delta.marker})".replace(" )", ")")
            values.append(text)
        lines.append("| " + " | ".join(values) + " |")
    lines.append("")
    lines += [f"- {s.name}: {s.description}" for s in cell.segments]
    return lines


def render_cell(report: Report, cell: Cell) -> list[str]:
    """All Markdown lines of one cell."""
    key = cell.key
    seeds = ",".join(map(str, cell.seeds))
    baseline = cell.baseline or "none (pass --baseline)"
    lines = [
        f"### {cell.title}",
        "",
        f"data `{key.dataset_fingerprint[:12]}` · seeds {seeds} · baseline: {baseline}",
        "",
        report.settings.method(cell),
        "",
        *main_table(cell),
        "",
    ]
    lines += [f"> ⚠ {w}" for w in cell.warnings]
    notes = [(r.label, n) for r in cell.rows for n in r.notes]
    lines += [f"> note ({label}): {n}" for label, n in notes]
    if cell.warnings or notes:
        lines.append("")
    segments = segment_table(cell)
    if segments:
        lines += [*segments, ""]
    lines.append("Reproduce:")
    lines.append("")
    for row in cell.rows:
        lines.append(f"- {row.label} (config `{row.variant_hash[:12]}`): `{row.reproduce}`")
    lines.append("")
    return lines


def render_markdown(report: Report) -> str:
    """The whole report as Markdown text."""
    commits = ", ".join(c[:8] for c in report.git_commits) or "unknown"
    dirty = " (dirty tree)" if report.dirty else ""
    versions = ", ".join(
        f"{k} {v}"
        for k, v in report.packages.items()
        if k in ("rankbench", "torch", "pytorch-lightning")
    )
    lines = [
        f"## {report.title}",
        "",
        f"commit {commits}{dirty} · {versions or 'versions unknown'} · "
        f"{len(report.cells)} cell(s) · results `{report.results_dir}`",
        "",
    ]
    lines += [f"> ⚠ {w}" for w in report.warnings]
    if report.warnings:
        lines.append("")
    for cell in report.cells:
        lines += render_cell(report, cell)
    if report.failures:
        lines += [f"### Failed runs ({len(report.failures)})", ""]
        for f in report.failures:
            where = " · ".join(str(x) for x in (f.model, f.dataset, f"seed {f.seed}") if x)
            lines.append(f"- `{f.run_id}` · {where} · {f.error}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"

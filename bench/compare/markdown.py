"""The gate's verdict as short Markdown (for a CI log or a pull-request comment) and as JSON.

The last line is the verdict with a plain-text marker, ``[PASS]`` or ``[FAIL]``, so a log
search or a human finds it without colour or emoji.

Example:
    >>> fmt_signed(0.01234), fmt_p(3e-9), fmt_p(0.2)
    ('+0.0123', '<0.0001', '0.2000')
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench.compare.gate import GateResult
from bench.results.jsonable import to_jsonable


def fmt_signed(value: float) -> str:
    """A difference with its sign, four decimals."""
    return f"{value:+.4f}"


def fmt_p(value: float) -> str:
    """A p-value, four decimals (``<0.0001`` below that)."""
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def _seeds(seeds: tuple[int, ...] | list[int]) -> str:
    return ", ".join(map(str, seeds)) or "none"


def verdict_line(result: GateResult) -> str:
    """The verdict with its marker and the reason, in one line.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> verdict_line(NS(verdict="worse", passed=False, level=0.95, bound=-0.01,
        ...                 higher_is_better=True))
        '**[FAIL] worse**: the 95% CI of the difference lies below -0.0100 (worse by more than the margin)'
    """  # noqa: E501
    pct = f"{result.level * 100:g}%"
    better_side, worse_side = ("above", "below") if result.higher_is_better else ("below", "above")
    bound = fmt_signed(result.bound) if result.bound else "0"
    reasons = {
        "better": f"the {pct} CI of the difference lies {better_side} 0 (significantly better)",
        "not worse": f"the {pct} CI of the difference lies {better_side} {bound} (within the "
        "margin)",
        "worse": f"the {pct} CI of the difference lies {worse_side} {bound} (worse by more "
        "than the margin)",
        "inconclusive": f"not shown non-inferior: the {pct} CI of the difference contains "
        f"{bound}; more seeds or users, or a wider margin, would decide it",
    }
    marker = "[PASS]" if result.passed else "[FAIL]"
    return f"**{marker} {result.verdict}**: {reasons[result.verdict]}"


def to_markdown(result: GateResult) -> str:
    """The verdict report: both sides, the difference and its CI, margin, tests, seeds, users."""
    r = result
    direction = "higher is better" if r.higher_is_better else "lower is better"
    margin = f"{r.margin:.4f}"
    if r.margin_spec.endswith("%"):
        margin += f" ({r.margin_spec} of the baseline mean)"
    rows = []
    for role, side in (("candidate", r.candidate), ("baseline", r.baseline)):
        where = f" from bundle `{side.source}`" if side.bundle else ""
        seeds = _seeds([run["seed"] for run in side.runs])
        rows.append(f"| {role} | `{side.label}`{where} | {side.mean:.4f} | {seeds} |")
    unused = (
        f" (baseline seeds {_seeds(r.unused_baseline_seeds)} unused)"
        if r.unused_baseline_seeds
        else ""
    )
    depends = "yes (users paired within each seed's split)" if r.split_depends_on_seed else "no"
    lines = [
        f"### Regression gate: {r.metric} ({direction}), split {r.split}",
        "",
        f"| side | configuration | mean {r.metric} | seeds |",
        "|---|---|---:|---|",
        *rows,
        "",
        f"- difference (candidate - baseline): {fmt_signed(r.diff)}, "
        f"{r.level * 100:g}% CI [{fmt_signed(r.ci_low)}, {fmt_signed(r.ci_high)}]",
        f"- non-inferiority margin: {margin}",
        f"- p (non-inferiority, one-sided t): {fmt_p(r.p_non_inferior)}; "
        f"p (worse beyond the margin): {fmt_p(r.p_worse)}; each at alpha/2 = {r.alpha / 2:g}; "
        f"p (any difference, two-sided): {fmt_p(r.p_two_sided)}",
        f"- seeds: {_seeds(r.seeds)}{unused}; users: {r.n_users}; "
        f"split depends on the seed: {depends}",
        f"- cell: {r.cell}",
        "",
        verdict_line(r),
    ]
    return "\n".join(lines) + "\n"


def write_json(result: GateResult, path: str | os.PathLike[str]) -> Path:
    """Write :meth:`GateResult.to_dict` as JSON (NaN as null; a temporary file, renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(to_jsonable(result.to_dict()), indent=2, allow_nan=False) + "\n")
    os.replace(tmp, path)
    return path

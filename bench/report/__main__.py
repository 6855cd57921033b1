"""``python -m bench.report``: build the leaderboard of a results store and write it.

Examples::

    python -m bench.report                                   # every run in results/
    python -m bench.report --group 2026-11-29_10-00-00-123456 --baseline ease
    python -m bench.report --tag suite:default --metric ndcg@10 --metric recall@10
    python -m bench.report --baseline ease --out reports/pr-42 --wandb
    python -m bench.report --model ease --bundle baseline.tar.gz   # a baseline for bench.compare

Prints the Markdown leaderboard, writes ``leaderboard.{md,html,csv,json}`` to ``--out``
(default ``reports/latest``) and prints their paths. Bad input exits 2 with one line.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from bench.report.build import ReportError, build_report
from bench.report.write import FORMATS


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n")[0])
    p.add_argument("--root", default="results", help="results directory (default: results)")
    p.add_argument("--group", help="only runs of this sweep group")
    p.add_argument("--tag", action="append", default=[], help="only runs with this tag (repeat)")
    p.add_argument("--dataset", help="only runs on this dataset")
    p.add_argument("--model", action="append", help="only these models (repeat)")
    p.add_argument("--commit", help="only runs made at this git commit (a hash prefix)")
    p.add_argument(
        "--latest-variant",
        action="store_true",
        help="one row per model: its most recently run configuration (the report notes the "
        "older ones it leaves out)",
    )
    p.add_argument(
        "--no-command-check",
        action="store_true",
        help="do not compose each row's reproduce command to check it still gives the row's "
        "configuration (by default a command that no longer does is pinned to its git commit)",
    )
    p.add_argument("--baseline", help="baseline model (model or model@<config hash prefix>)")
    p.add_argument("--metric", action="append", help="metrics to show, primary first (repeat)")
    p.add_argument("--out", default=os.path.join("reports", "latest"), help="output directory")
    p.add_argument(
        "--format", default=",".join(FORMATS), help=f"comma-separated, from {','.join(FORMATS)}"
    )
    p.add_argument("--title", help="report title")
    p.add_argument("--wandb", action="store_true", help="also log the table to a W&B run")
    p.add_argument("--quiet", action="store_true", help="do not print the Markdown")
    p.add_argument(
        "--bundle",
        help="also export the report's runs (records + per-user files) as a bundle: a directory "
        "or a .tar.gz, a baseline for `python -m bench.compare --baseline <bundle>`",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        print(f"error: --format {unknown[0]!r} is not one of {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            report = build_report(
                args.root, group=args.group, tags=args.tag, dataset=args.dataset,
                models=args.model, baseline=args.baseline, metrics=args.metric, title=args.title,
                commit=args.commit, latest_variant=args.latest_variant,
                check_commands=not args.no_command_check,
            )  # fmt: skip
        except ReportError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    if not args.quiet:
        print(report.to_markdown())
    paths = report.write(args.out, formats)
    for fmt, path in paths.items():
        print(f"{fmt}: {path}")
    if args.bundle:
        from bench.results.bundle import BundleError, export_bundle

        run_ids = [run for cell in report.cells for row in cell.rows for run in row.run_ids]
        try:
            print(f"bundle: {export_bundle(args.root, run_ids, args.bundle)}")
        except (BundleError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    if args.wandb:
        from bench.report.wandb_table import log_to_wandb

        where = log_to_wandb(report, save_dir=os.path.join("outputs", "reports"))
        print(f"wandb: {where if where is not None else 'disabled (WANDB_MODE=disabled)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What a suite prints: a progress bar over runs on stderr and one status line per finished run.

On a terminal the bar is tqdm's (stderr) and status lines are written above it (stdout). When
stderr is not a terminal (a log file, CI, a pipe) there is no bar and no ANSI code at all: the
status lines, numbered ``[i/n]``, are the progress. Log records and warnings raised while jobs
run go through the same channel (:func:`console_logging`), so they never break the bar.

Example:
    >>> from bench.suite.launch import JobResult
    >>> from bench.suite.plan import Job
    >>> job = Job("a", "ease", 1, "ml-100k random_holdout", (), (), "h")
    >>> done = JobResult("a-ease-seed1", "done", metric="ndcg@10", value=0.33124, fit_seconds=1.21)
    >>> status_line(3, 9, job, done)
    '[3/9] ml-100k random_holdout · ease · seed 1 · ndcg@10 0.3312 · fit 1.2 s · done'
    >>> status_line(4, 9, job, JobResult("a-ease-seed1", "failed", error="CUDA error:\\nout"))
    '[4/9] ml-100k random_holdout · ease · seed 1 · failed: CUDA error: out'
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from bench.suite.launch import JobResult
from bench.suite.plan import Job

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def seconds(value: float | None) -> str:
    """``"1.2 s"``, ``"2 min 5 s"``, ``"n/a"``.

    Example:
        >>> seconds(1.21), seconds(125.4), seconds(None)
        ('1.2 s', '2 min 5 s', 'n/a')
    """
    if value is None:
        return "n/a"
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest} s"


def status_line(index: int, total: int, job: Job, result: JobResult) -> str:
    """One line for a finished job (see the module docstring)."""
    head = f"[{index}/{total}] {job.label} · {job.model} · seed {job.seed}"
    if not result.ok:
        error = " ".join((result.error or "unknown error").split())
        return f"{head} · failed: {error}"
    value = "n/a" if result.value is None else f"{result.value:.4f}"
    resumed = " (resumed)" if result.resumed else ""
    return f"{head} · {result.metric} {value} · fit {seconds(result.fit_seconds)} · done{resumed}"


class SuiteConsole:
    """The progress bar (terminal only) and the status lines of one suite run.

    Args:
        total: Runs to do.
        name: The suite's name (the bar's label).
        out: Where status lines go (default ``sys.stdout``).
        err: Where the bar goes (default ``sys.stderr``); no bar unless it is a terminal.
    """

    def __init__(
        self, total: int, name: str, out: TextIO | None = None, err: TextIO | None = None
    ) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.out = out if out is not None else sys.stdout
        err = err if err is not None else sys.stderr
        self.bar = None
        if is_terminal(err) and total > 0:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=f"suite {name}", unit="run", file=err,
                            dynamic_ncols=True, leave=False)  # fmt: skip

    def write(self, line: str) -> None:
        """Print a line above the bar."""
        if self.bar is not None:
            self.bar.write(line, file=self.out)
        else:
            print(line, file=self.out, flush=True)

    def started(self, job: Job) -> None:
        """Name the running job on the bar (one job at a time: ``launcher=local``)."""
        if self.bar is not None:
            self.bar.set_postfix_str(f"{job.label} · {job.model} · seed {job.seed}")

    def finished(self, job: Job, result: JobResult) -> None:
        """Print the job's status line and advance the bar."""
        self.done += 1
        self.failed += 0 if result.ok else 1
        self.write(status_line(self.done, self.total, job, result))
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    @contextmanager
    def logging(self) -> Iterator[None]:
        """Log records and warnings while jobs run: through the bar on a terminal."""
        if self.bar is None:
            yield
            return
        from tqdm.contrib.logging import logging_redirect_tqdm

        with logging_redirect_tqdm():
            yield


def console_logging() -> None:
    """The suite process's logging: ``LEVEL name: message`` on stderr, WARNING and up, plus
    RankBench's own INFO lines (a dataset being fetched), warnings routed through logging."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("bench").setLevel(logging.INFO)
    logging.captureWarnings(True)

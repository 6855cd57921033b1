"""Paired significance testing of per-user metric values: tests, intervals, effect sizes, tables.

Every function takes the per-user values of a candidate (``a``) and a baseline (``b``) for the
same users (numpy arrays by position, or pandas Series by user id) and is seeded where random.

- :func:`paired_t_test`, :func:`paired_randomization_test`: p-values of the mean difference;
- :func:`paired_bootstrap_ci`: percentile / BCa intervals of the mean difference and the means;
- :func:`cohens_dz`, :func:`hedges_gz`, :func:`relative_improvement`: effect sizes;
- :func:`holm`, :func:`benjamini_hochberg`: corrections over a family of comparisons;
- :func:`compare`, :func:`compare_many`: tidy tables with all of the above per metric.

With thousands of users almost every difference is "significant" (Ihemelandu & Ekstrand,
SIGIR 2023): always read the confidence interval and the effect size along with the p-value,
and correct for the number of comparisons (Holm). Wilcoxon and sign tests over-reject at that
scale and are deliberately not offered.

Example:
    >>> from bench.stats import paired_t_test
    >>> round(paired_t_test([0.3, 0.5, 0.4, 0.8], [0.2, 0.5, 0.1, 0.6]).p_value, 3)
    0.103
"""

from bench.stats.bootstrap import BootstrapCI, paired_bootstrap_ci
from bench.stats.compare import CI_METHODS, EFFECTS, TESTS, compare, compare_many
from bench.stats.effect import cohens_dz, hedges_correction, hedges_gz, relative_improvement
from bench.stats.multiple import CORRECTIONS, Adjusted, benjamini_hochberg, holm
from bench.stats.paired import PairedDataError, differences, paired_values
from bench.stats.randomization import paired_randomization_test
from bench.stats.result import TestResult
from bench.stats.ttest import paired_t_test

__all__ = [
    "CI_METHODS",
    "CORRECTIONS",
    "EFFECTS",
    "TESTS",
    "Adjusted",
    "BootstrapCI",
    "PairedDataError",
    "TestResult",
    "benjamini_hochberg",
    "cohens_dz",
    "compare",
    "compare_many",
    "differences",
    "hedges_correction",
    "hedges_gz",
    "holm",
    "paired_bootstrap_ci",
    "paired_randomization_test",
    "paired_t_test",
    "paired_values",
    "relative_improvement",
]

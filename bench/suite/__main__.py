"""``python -m bench.suite``: see :mod:`bench.suite.cli`."""

import sys

from bench.suite.cli import main

sys.exit(main())

"""``python -m bench.compare``: see :mod:`bench.compare.cli`."""

import sys

from bench.compare.cli import main

if __name__ == "__main__":
    sys.exit(main())

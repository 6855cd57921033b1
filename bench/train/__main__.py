"""``python -m bench.train``: see :mod:`bench.cli.train`."""

from bench.cli.train import main

if __name__ == "__main__":
    main()

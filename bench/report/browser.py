"""How a headless Debian chromium is started here, for the report's browser test and its
screenshot script (Playwright drives it; its own browser download does not work offline).

Example:
    >>> "--headless" in CHROMIUM_ARGS and str(CHROMIUM)
    '/usr/bin/chromium'
"""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
#: Headless, no sandbox (root in CI), and no background connections (the network is closed).
CHROMIUM_ARGS: list[str] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a small /dev/shm
]

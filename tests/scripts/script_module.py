"""Import a file of ``scripts/`` (not a package) as a module, for the tests beside this file.

Example (in a test module of this folder, which pytest puts on ``sys.path``):
    >>> from script_module import load_script   # doctest: +SKIP
    >>> bench_losses = load_script("bench_losses")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` imported as the module ``name`` (registered in ``sys.modules``, as
    dataclasses and doctest look a module up by name)."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

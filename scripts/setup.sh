#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv with exact pins.
# torch is installed first and alone, as torch==2.13.0 (the CPU build), so that no other
# dependency ever resolves a multi-GB CUDA build of torch by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet torch==2.13.0
.venv/bin/python -m pip install --quiet -c constraints.txt -e '.[test]'

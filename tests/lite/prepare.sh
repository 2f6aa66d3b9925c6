#!/usr/bin/env bash
# Installs what tests/test_lite_pyodide.py needs, offline afterwards: the pinned pyodide npm package and
# the Pyodide (pyemscripten, Python 3.14) wheels of pydantic, python-stdnum and python-calamine from the Python index
# (pinned: pydantic-core publishes wasm32 wheels for some releases only).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --silent
python -m pip download -q --only-binary=:all: --implementation cp --python-version 3.14 \
  --platform pyemscripten_2026_0_wasm32 -d wheels pydantic==2.14.4 python-stdnum==2.2 python-calamine==0.9.1

#!/usr/bin/env bash
# Set up miniscan with its test extras (system packages, .venv, Chromium) and run the tests.
# Extra arguments go to pytest, e.g. scripts/test.sh -k loading (add -n 0 for one process).
# One worker per core (pytest-xdist); worksteal keeps each module's tests, and so its cached
# fixtures, together until a worker runs dry. tests/conftest.py pins native thread pools to
# one thread per worker so the workers do not oversubscribe the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
exec .venv/bin/python -m pytest -n auto --dist worksteal "$@"

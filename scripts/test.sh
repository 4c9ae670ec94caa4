#!/usr/bin/env bash
# Set up miniscan with its test extras (system packages, .venv, Chromium) and run the tests.
# Extra arguments go to pytest, e.g. scripts/test.sh -k loading
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
exec .venv/bin/python -m pytest "$@"

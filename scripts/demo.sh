#!/usr/bin/env bash
# Set up miniscan (system packages, .venv) and check the bundled sample meshes.
# Extra arguments go to `miniscan check`, e.g. scripts/demo.sh --profile display
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/miniscan check sample_meshes/ "$@"

#!/usr/bin/env bash
# The main job on a fresh machine: install, then generate, ingest and assess the demo data set.
# Usage: bash scripts/demo.sh [ecoplan demo options, e.g. --dir demo-output]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
exec .venv/bin/ecoplan demo "$@"

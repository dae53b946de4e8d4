#!/usr/bin/env bash
# Quickstart 2: set up, then run the whole test suite (Qt offscreen, real SQLite, real worker processes).
set -euo pipefail
cd "$(dirname "$0")/.."
# redis extra: the scale-out tests drive a real Redis and PostgreSQL through their client libraries.
EXTRAS="${EXTRAS:-test,redis}" bash packaging/setup_env.sh
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
exec .venv/bin/python -m pytest -q "$@"

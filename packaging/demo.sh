#!/usr/bin/env bash
# Quickstart 1: set up, then build and analyse the demo library with the built-in defaults
# (DSP backend: CPU only, no model download). Extra arguments go to `moss-music demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${EXTRAS:-test}" bash packaging/setup_env.sh
exec .venv/bin/moss-music demo "$@"

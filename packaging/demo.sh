#!/usr/bin/env bash
# Quickstart 1: set up, then build and analyse the demo library with the built-in defaults
# (DSP backend: CPU only, no model download). Extra arguments go to `moss-music demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${EXTRAS-}" bash packaging/setup_env.sh  # DSP-only install: no torch to download
exec .venv/bin/moss-music demo "$@"

#!/usr/bin/env bash
# Make (or reuse) .venv and install MOSS-Music Studio into it, CPU torch first.
# VENV=path picks the venv folder; TORCH_SPEC / TORCH_INDEX_URL pick torch (packaging/install_torch.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
EXTRAS="${EXTRAS:-test}"  # test includes the [model] extra

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip

bash packaging/install_torch.sh "$VENV"

"$VENV/bin/pip" install --quiet -e ".[${EXTRAS}]"
echo "Installed into $VENV ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'))"

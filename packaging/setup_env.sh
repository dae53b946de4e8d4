#!/usr/bin/env bash
# Make (or reuse) .venv and install MOSS-Music Studio into it, CPU torch first.
#
# A plain `pip install torch` pulls a multi-GB CUDA build; the app only needs the CPU build
# unless you run MOSS-Music on an NVIDIA GPU (see README: "GPU install").
# Override with TORCH_SPEC='torch==2.6.0' or TORCH_INDEX_URL=... ; VENV=path picks the venv folder.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
EXTRAS="${EXTRAS:-test}"

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip

if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  if [ -n "${TORCH_SPEC:-}" ]; then
    "$VENV/bin/pip" install --quiet "$TORCH_SPEC" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
  elif ! "$VENV/bin/pip" install --quiet "torch==2.13.0" 2>/dev/null; then
    # No local 2.13.0 CPU wheel: take the CPU build from the PyTorch index, else whatever pip finds.
    "$VENV/bin/pip" install --quiet "torch>=2.5,<3" --index-url https://download.pytorch.org/whl/cpu \
      || "$VENV/bin/pip" install --quiet "torch>=2.5,<3"
  fi
fi

"$VENV/bin/pip" install --quiet -e ".[${EXTRAS}]"
echo "Installed into $VENV ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'))"

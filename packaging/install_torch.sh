#!/usr/bin/env bash
# Install torch into the venv at $1 unless it already has one: the CPU build, not pip's default CUDA one.
#
# A plain `pip install torch` pulls a multi-GB CUDA build; the app only needs the CPU build
# unless you run MOSS-Music on an NVIDIA GPU (see README: "GPU install").
# Override with TORCH_SPEC='torch==2.6.0' or TORCH_INDEX_URL=... .
set -euo pipefail
VENV="$1"
if "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  exit 0
fi
if [ -n "${TORCH_SPEC:-}" ]; then
  "$VENV/bin/pip" install --quiet "$TORCH_SPEC" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
elif ! "$VENV/bin/pip" install --quiet "torch==2.13.0" 2>/dev/null; then
  # No local 2.13.0 CPU wheel: take the CPU build from the PyTorch index, else whatever pip finds.
  "$VENV/bin/pip" install --quiet "torch>=2.5,<3" --index-url https://download.pytorch.org/whl/cpu \
    || "$VENV/bin/pip" install --quiet "torch>=2.5,<3"
fi

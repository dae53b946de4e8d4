#!/usr/bin/env bash
# Make (or reuse) .venv and install MOSS-Music Studio into it, CPU torch first.
# VENV=path picks the venv folder; TORCH_SPEC / TORCH_INDEX_URL pick torch (packaging/install_torch.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
EXTRAS="${EXTRAS-test}"  # test includes the [model] extra; EXTRAS= (empty) is the DSP-only install

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip

# Only the [model] extra needs torch (test and quant include it): put the CPU build in first.
case ",$EXTRAS," in
  *,model,*|*,test,*|*,quant,*) bash packaging/install_torch.sh "$VENV" ;;
esac

"$VENV/bin/pip" install --quiet -e ".${EXTRAS:+[$EXTRAS]}"
echo "Installed into $VENV (extras: ${EXTRAS:-none}; $("$VENV/bin/python" -c 'import importlib.util as u; print("torch" if u.find_spec("torch") else "no torch")'))"

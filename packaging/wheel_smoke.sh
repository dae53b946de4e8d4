#!/usr/bin/env bash
# The app as a user gets it: build the wheel, install it into a clean venv outside the checkout, and from
# a folder outside the checkout run the demo (scan + DSP analysis into a fresh library) on the DSP-only
# install, then add the [model] extra and run the MOSS path on a tiny random-weight checkpoint
# (`model check`, then a caption, which needs the shipped prompts).
# Nothing from the checkout is importable there; only tests/model/tiny_checkpoint.py is loaded by path to
# write the checkpoint. WORK=dir keeps the build, venv and outputs there (default: a temp dir, removed).
set -euo pipefail
CHECKOUT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
if [ -n "${WORK:-}" ]; then
  mkdir -p "$WORK"
else
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/moss-wheel.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
fi
case "$WORK/" in "$CHECKOUT"/*) echo "WORK must be outside the checkout" >&2; exit 2 ;; esac
VENV="$WORK/venv"

echo "== build the wheel (from a copy of the working tree, so no stale build/ folder ships)"
rm -rf "$VENV" "$WORK/src" "$WORK/dist"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
mkdir -p "$WORK/src"
if git -C "$CHECKOUT" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$CHECKOUT" ls-files -z --cached --others --exclude-standard \
    | tar -C "$CHECKOUT" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$WORK/src" -xf -
else
  tar -C "$CHECKOUT" --exclude=./.venv --exclude=./build -cf - . | tar -C "$WORK/src" -xf -
fi
"$VENV/bin/pip" wheel --quiet --no-deps --wheel-dir "$WORK/dist" "$WORK/src"
WHEEL="$(ls "$WORK"/dist/moss_music_studio-*.whl)"
"$VENV/bin/python" - "$WHEEL" "$WORK/src" <<'PY'
import sys
import zipfile
from pathlib import Path

names = set(zipfile.ZipFile(sys.argv[1]).namelist())
src = Path(sys.argv[2])
needed = {"desktop/style.qss"}
needed |= {f"moss_music/resources/{p.relative_to(src / 'resources').as_posix()}"
           for p in (src / "resources").rglob("*") if p.is_file()}
needed |= {p.relative_to(src).as_posix() for package in ("moss_music", "desktop", "worker")
           for p in (src / package).rglob("*.py")}
assert needed <= names, f"the wheel lacks {sorted(needed - names)}"
print(f"the wheel holds all {len(needed)} modules and resources of the checkout")
PY

echo "== install it (no extras: the DSP-only install) into a clean venv ($VENV)"
"$VENV/bin/pip" install --quiet "$WHEEL"

mkdir -p "$WORK/run"
cd "$WORK/run"
export MOSS_MUSIC_HOME="$WORK/home" OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
unset PYTHONPATH
"$VENV/bin/python" - "$CHECKOUT" <<'PY'
import sys
from pathlib import Path

import moss_music
from moss_music.paths import RESOURCES_DIR

checkout = Path(sys.argv[1]).resolve()
package = Path(moss_music.__file__).resolve()
assert checkout not in package.parents, f"moss_music imported from the checkout: {package}"
assert (RESOURCES_DIR / "prompts" / "caption.txt").is_file(), f"no prompts in {RESOURCES_DIR}"
print(f"moss_music from {package.parent}, resources in {RESOURCES_DIR}")
for heavy in ("torch", "transformers"):
    try:
        __import__(heavy)
    except ImportError:
        continue
    raise AssertionError(f"the base install pulled {heavy}: it belongs in the [model] extra")
PY

echo "== the desktop theme from the wheel (stylesheet and icons)"
QT_QPA_PLATFORM=offscreen "$VENV/bin/python" - <<'PY'
from PySide6.QtWidgets import QApplication

from desktop.theme import ICONS_DIR, apply_theme, icon, stylesheet

app = QApplication([])
apply_theme(app)
assert ICONS_DIR.as_posix() in stylesheet(), "the stylesheet does not point at the shipped icons"
assert not icon("app").isNull() and not icon("settings").isNull(), f"no icons in {ICONS_DIR}"
print("theme: stylesheet and icons found in", ICONS_DIR)
PY

echo "== moss-music demo (DSP-only install)"
rm -rf "$WORK/home"
"$VENV/bin/moss-music" --home "$WORK/home" demo
"$VENV/bin/moss-music" --home "$WORK/home" tracks --json > "$WORK/tracks.json"
"$VENV/bin/python" - "$WORK/tracks.json" <<'PY'
import json
import sys

tracks = json.load(open(sys.argv[1]))
analysed = [t for t in tracks if t["status"] == "ok" and t["bpm"] and t["key"]]
assert tracks and len(analysed) == len(tracks), f"demo tracks without tempo/key: {tracks}"
print(f"demo: {len(tracks)} tracks analysed")
PY

echo "== the [model] extra (CPU torch first), then a tiny checkpoint: model check and a caption"
bash "$CHECKOUT/packaging/install_torch.sh" "$VENV"
"$VENV/bin/pip" install --quiet "$WHEEL[model]"
"$VENV/bin/python" - "$CHECKOUT/tests/model/tiny_checkpoint.py" "$WORK/tiny" <<'PY'
import importlib.util
import sys

spec = importlib.util.spec_from_file_location("tiny_checkpoint", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print("tiny checkpoint in", module.build_tiny_checkpoint(sys.argv[2]))
PY
"$VENV/bin/moss-music" --home "$WORK/home" model check "$WORK/tiny" --device cpu --json
SONG="$(ls "$WORK"/home/demo/*.* | head -n 1)"
"$VENV/bin/moss-music" --home "$WORK/home" analyze "$SONG" --backend moss --model "$WORK/tiny" --device cpu \
  --tasks caption --json > "$WORK/caption.json"
"$VENV/bin/python" -c "import json,sys; r=json.load(open(sys.argv[1])); r=r[0] if isinstance(r,list) else r; \
assert r['backend']=='moss' and 'caption' in r['annotations'], r; print('caption from the wheel:', r['annotations']['caption'])" \
  "$WORK/caption.json"
echo "wheel smoke: ok"

"""Why pyproject.toml keeps PySide6 below 6.12 on Python < 3.12.

PySide6 6.12.0 drops one reference to ``True``/``False`` each time pyqtgraph's ``itemChange`` hook
returns; on Python 3.11 the bools are ordinary refcounted objects, so a few hundred graphics items later
the interpreter aborts with "Fatal Python error: bool_dealloc" (the track view adds thousands). Python
3.12 made the bools immortal, so there the same build runs. This test adds that many items in a real
interpreter: it passes with the pinned PySide6 and aborts under 6.12 on 3.11 — run it (with
``pip install PySide6-Essentials==6.12.x``) before lifting the ceiling.
"""

from __future__ import annotations

import os
import subprocess
import sys

import PySide6

ITEMS = 1000
SCRIPT = f"""
from PySide6.QtWidgets import QApplication
import pyqtgraph as pg

app = QApplication([])
plot = pg.PlotWidget()
for i in range({ITEMS}):
    plot.addItem(pg.InfiniteLine(pos=i))
plot.clear()
print("added", {ITEMS})
"""


def test_many_pyqtgraph_items_do_not_abort_the_interpreter():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]}: {done.stderr}"
    assert f"added {ITEMS}" in done.stdout

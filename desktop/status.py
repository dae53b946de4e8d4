"""The status bar: worker lanes up/down, the backend in use, the GPU and its memory, and transient messages.

Lane and GPU state are read every few seconds on a pool thread (slot locks in
the data dir; ``nvidia-smi`` when it exists), never on the UI thread.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QStatusBar

from desktop.library.columns import BACKEND_LABELS
from desktop.services import BackgroundRunner
from moss_music.paths import DataDir

POLL_MS = 3000


@dataclass(frozen=True)
class GpuInfo:
    name: str
    used_mb: int
    total_mb: int


def query_gpu() -> GpuInfo | None:
    """The first NVIDIA GPU's name and memory use, or None where there is none (or no driver tool)."""
    tool = shutil.which("nvidia-smi")
    if not tool:
        return None
    try:
        output = subprocess.run([tool, "--query-gpu=name,memory.used,memory.total", "--format=csv,noheader,nounits"],
                                capture_output=True, text=True, timeout=3, check=True).stdout
        name, used, total = [part.strip() for part in output.splitlines()[0].split(",")]
        return GpuInfo(name, int(float(used)), int(float(total)))
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def lane_status(data_dir: DataDir) -> dict[str, bool]:
    from worker import slots
    from worker.app import LANES

    live = {record.lane for record in slots.live_consumers(data_dir)}
    return {lane: lane in live for lane in LANES}


class StatusBar(QStatusBar):
    lanes_changed = Signal(dict)
    """Lane -> a consumer serves it, after every poll."""

    def __init__(self, data_dir: DataDir, runner: BackgroundRunner, parent=None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.runner = runner
        self.lanes_label = QLabel("Workers: checking…", objectName="lanesStatus")
        self.backend_label = QLabel("", objectName="backendStatus")
        self.gpu_label = QLabel("", objectName="gpuStatus")
        for label in (self.lanes_label, self.backend_label, self.gpu_label):
            self.addPermanentWidget(label)
        self.lanes: dict[str, bool] = {}
        self.expected_lanes: tuple[str, ...] = ("cpu",)
        """Lanes this setup needs; a lane nobody needs (GPU without a model) is not shown as down."""
        self._polling = False
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.timer.start()
        self.poll()

    def set_backend(self, backend: str, detail: str = "") -> None:
        text = f"Backend: {BACKEND_LABELS.get(backend, backend)}"
        self.backend_label.setText(f"{text} ({detail})" if detail else text)

    def poll(self) -> None:
        if self._polling:
            return
        self._polling = True
        data_dir = self.data_dir
        self.runner.submit(lambda: (lane_status(data_dir), query_gpu()), self._show,
                           lambda _error: setattr(self, "_polling", False))

    def _show(self, result: tuple[dict[str, bool], GpuInfo | None]) -> None:
        self._polling = False
        lanes, gpu = result
        self.lanes = lanes
        self.lanes_changed.emit(lanes)
        parts = [f"{lane.upper()} {'● up' if up else '○ down'}" for lane, up in lanes.items()
                 if up or lane in self.expected_lanes]
        self.lanes_label.setText("Workers: " + " · ".join(parts))
        self.lanes_label.setToolTip("Consumers serving each queue lane (CPU: DSP and server jobs; GPU: the model)")
        if gpu is None:
            self.gpu_label.setText("No GPU found — CPU only")
        else:
            self.gpu_label.setText(f"{gpu.name} · {gpu.used_mb / 1024:.1f} / {gpu.total_mb / 1024:.0f} GB")

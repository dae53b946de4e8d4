"""``moss-music doctor``: what this machine can do, and what to do about what it cannot."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import sys
from dataclasses import asdict, dataclass

from moss_music.cli.context import EXIT_OK
from moss_music.settings import MODEL_ENV, configured_model_dir


@dataclass
class Check:
    name: str
    status: str
    """'ok', 'warn' (works with less) or 'fail' (a feature will not work)."""
    detail: str
    advice: str = ""


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("doctor", parents=[common], help="check Python, torch/GPU, audio, Qt and the model")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args, ctx) -> int:
    checks = [check_python(), check_torch(), check_audio_decoding(), check_portaudio(), check_qt(),
              check_data_dir(ctx.data_dir), check_model(ctx.data_dir)]
    if args.json:
        ctx.print_json([asdict(check) for check in checks])
        return EXIT_OK
    marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    for check in checks:
        print(f"[{marks[check.status]}] {check.name}: {check.detail}")
        if check.advice:
            print(f"       -> {check.advice}")
    return EXIT_OK


def check_python() -> Check:
    version = platform.python_version()
    return Check("python", "ok", f"{version} ({sys.executable})")


def check_torch() -> Check:
    if importlib.util.find_spec("torch") is None:
        return Check("torch", "fail", "not installed", "pip install torch (CPU) or the CUDA build from pytorch.org")
    import torch

    if torch.cuda.is_available():
        index = torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        free, total = torch.cuda.mem_get_info(index)
        detail = (f"torch {torch.__version__}, CUDA {torch.version.cuda}, {props.name}, "
                  f"{total / 2**30:.1f} GiB ({free / 2**30:.1f} GiB free)")
        if total < 20 * 2**30:
            return Check("torch/gpu", "warn", detail,
                         "under 20 GiB: use 8-bit or 4-bit quantization (pip install .[quant]) for the 8B model")
        return Check("torch/gpu", "ok", detail)
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return Check("torch/gpu", "ok", f"torch {torch.__version__}, Apple MPS")
    return Check("torch/gpu", "warn", f"torch {torch.__version__}, no GPU found",
                 "the DSP backend works without a GPU; for MOSS-Music install a CUDA build of torch "
                 "(pip install torch --index-url https://download.pytorch.org/whl/cu124) on a machine with an "
                 "NVIDIA GPU (>= 24 GB for bf16), or point the app at a vLLM/SGLang server")


def check_audio_decoding() -> Check:
    import av
    import soundfile

    return Check("audio decoding", "ok", f"libsndfile {soundfile.__libsndfile_version__}, "
                                         f"FFmpeg (PyAV {av.__version__})")


def check_portaudio() -> Check:
    try:
        import sounddevice
    except OSError as error:
        return Check("playback", "warn", f"PortAudio library not found ({error})",
                     "install PortAudio (Debian/Ubuntu: sudo apt-get install libportaudio2); playback is off until then")
    try:
        devices = [d for d in sounddevice.query_devices() if d["max_output_channels"] > 0]
    except Exception as error:  # noqa: BLE001 - PortAudio reports host errors in many ways
        return Check("playback", "warn", f"PortAudio {sounddevice.get_portaudio_version()[1]}, no devices ({error})",
                     "no sound output: the app shows tracks but cannot play them")
    if not devices:
        return Check("playback", "warn", "PortAudio found but no output device", "connect or enable a sound card")
    return Check("playback", "ok", f"{len(devices)} output device(s), default: {devices[0]['name']}")


def check_qt() -> Check:
    if importlib.util.find_spec("PySide6") is None:
        return Check("qt", "fail", "PySide6 not installed", "pip install PySide6-Essentials")
    import PySide6

    platform_name = os.environ.get("QT_QPA_PLATFORM", "")
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform != "linux"
    detail = f"PySide6 {PySide6.__version__}, platform {platform_name or 'default'}"
    if not has_display and platform_name not in ("offscreen", "minimal"):
        return Check("qt", "warn", detail + ", no display",
                     "no DISPLAY/WAYLAND_DISPLAY: run the GUI on a desktop session (or QT_QPA_PLATFORM=offscreen "
                     "for tests); on minimal Linux installs also apt-get install libxcb-cursor0 libxcb-icccm4 "
                     "libxcb-keysyms1")
    return Check("qt", "ok", detail)


def check_data_dir(data_dir) -> Check:
    usage = shutil.disk_usage(data_dir.root)
    detail = f"{data_dir.root} ({usage.free / 2**30:.1f} GiB free)"
    if not os.access(data_dir.root, os.W_OK):
        return Check("data dir", "fail", detail, "the data dir is not writable: choose another with --home")
    if usage.free < 512 * 2**20:
        return Check("data dir", "warn", detail, "less than 512 MiB free: analyses and caches may fail to save")
    return Check("data dir", "ok", detail)


def check_model(data_dir) -> Check:
    folder = configured_model_dir(data_dir)
    download = ("hf download OpenMOSS-Team/MOSS-Music-8B-Instruct --local-dir ~/models/MOSS-Music-8B-Instruct, "
                f"then set {MODEL_ENV} or choose the folder in Settings")
    if not folder:
        return Check("model", "warn", "no MOSS-Music folder configured (the DSP backend still works)", download)
    config = os.path.join(folder, "config.json")
    if not os.path.isfile(config):
        return Check("model", "fail", f"{folder} has no config.json", download)
    try:
        model_type = json.loads(open(config, encoding="utf-8").read()).get("model_type", "?")
    except ValueError as error:
        return Check("model", "fail", f"{config} is not valid JSON ({error})", download)
    has_weights = any(name.endswith(".safetensors") for name in os.listdir(folder))
    if not has_weights:
        return Check("model", "fail", f"{folder}: no .safetensors weights", "the download is incomplete: run it again")
    return Check("model", "ok", f"{folder} (model_type {model_type}); `moss-music model check {folder}` loads it")

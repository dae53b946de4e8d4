"""``moss-music doctor``: what this machine can do, and what to do about what it cannot."""

from __future__ import annotations

import importlib.util
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
    checks = [check_python(), check_torch(), *check_model_libraries(), check_gpu_capacity(ctx.data_dir),
              check_audio_decoding(), check_portaudio(), check_qt(), check_data_dir(ctx.data_dir),
              check_model(ctx.data_dir)]
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
        return Check("torch", "warn", "not installed: the MOSS-Music backend is unavailable (DSP works)",
                     "pip install 'moss-music-studio[model]' (a CPU or CUDA torch build from pytorch.org first)")
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


def _version(module: str) -> str | None:
    """The installed distribution's version, without importing it (bitsandbytes imports CUDA on import)."""
    from importlib import metadata

    names = {"flash_attn": "flash-attn"}
    try:
        return metadata.version(names.get(module, module))
    except metadata.PackageNotFoundError:
        return None if importlib.util.find_spec(module) is None else "?"


def check_model_libraries() -> list[Check]:
    """transformers (floor), accelerate and bitsandbytes (8-bit/4-bit loading), flash-attn (optional kernel)."""
    checks = []
    transformers_version = _version("transformers")
    if transformers_version is None:
        checks.append(Check("transformers", "fail", "not installed", "pip install 'transformers>=5.23,<6'"))
    else:
        major_minor = tuple(int(p) for p in transformers_version.split(".")[:2] if p.isdigit())
        ok = major_minor >= (5, 23)
        checks.append(Check("transformers", "ok" if ok else "fail", transformers_version,
                            "" if ok else "MOSS-Music needs transformers >= 5.23: pip install -U 'transformers<6'"))
    accelerate, bnb = _version("accelerate"), _version("bitsandbytes")
    checks.append(Check("accelerate", "ok" if accelerate else "warn", accelerate or "not installed",
                        "" if accelerate else "bf16 loads without it (weights move to the GPU after loading, so RAM "
                        "must hold them once); 8-bit/4-bit need it: pip install -e '.[quant]'"))
    checks.append(Check("bitsandbytes", "ok" if bnb else "warn", bnb or "not installed",
                        "" if bnb else "8-bit/4-bit quantization for GPUs under 24 GB: pip install -e '.[quant]'"))
    flash = _version("flash_attn")
    detail, advice, status = flash or "not installed", "", "ok"
    if flash is None:
        advice, status = "optional: SDPA is used instead (pip install flash-attn on an Ampere or newer GPU)", "warn"
    elif importlib.util.find_spec("torch") is not None:
        import torch

        if torch.cuda.is_available():
            major, minor = torch.cuda.get_device_capability()
            if major < 8:
                detail += f", but the GPU is compute capability {major}.{minor} (< 8.0): SDPA is used"
                status = "warn"
    checks.append(Check("flash-attn", status, detail, advice))
    return checks


def check_gpu_capacity(data_dir) -> Check:
    """What the GPU holds in bf16 / 8-bit / 4-bit and the longest audio window beside it, with the arithmetic."""
    if importlib.util.find_spec("torch") is None:
        return Check("gpu capacity", "warn", "torch is not installed")
    import torch

    from moss_music.model.memory import MOSS_MUSIC_8B_DECODER_LINEAR, MOSS_MUSIC_8B_PARAMETERS, gpu_capacity

    shape, parameters, quantizable, model = _model_shape(configured_model_dir(data_dir))
    parameters = parameters or MOSS_MUSIC_8B_PARAMETERS
    quantizable = quantizable or MOSS_MUSIC_8B_DECODER_LINEAR
    if torch.cuda.is_available():
        _, total = torch.cuda.mem_get_info()
        name = torch.cuda.get_device_name()
        cards = [(f"{name}, {total / 2**30:.1f} GiB", total)]
    else:
        cards = [(f"a {gb} GiB GPU", gb * 2**30) for gb in (24, 16, 12)]
    lines, best = [], None
    for label, total in cards:
        plans = gpu_capacity(total, shape, parameters, quantizable)
        summary = ", ".join(f"{p.mode} {p.weights / 1e9:.1f} GB " + (f"fits, windows up to {p.max_window_seconds / 60:.0f} min"
                                                                  if p.fits else "does not fit") for p in plans)
        lines.append(f"{label} ({model}): {summary}")
        best = best or next((p for p in plans if p.fits), None)
        lines.extend(f"    {p.mode}: {p.arithmetic}" for p in plans)
    detail = "\n       ".join(lines)
    if not torch.cuda.is_available():
        return Check("gpu capacity", "warn", "no CUDA GPU here; for reference " + detail,
                     "run doctor on the GPU machine for its own figures, or use a server (--backend server)")
    if best is None:
        return Check("gpu capacity", "fail", detail, "this GPU cannot hold the model: use a server (--backend server)")
    advice = "" if best.mode == "bf16" else f"use --quantization {best.mode.replace('-bit', 'bit')} (pip install -e '.[quant]')"
    return Check("gpu capacity", "ok" if best.mode == "bf16" else "warn", detail, advice)


def _model_shape(folder: str | None):
    """The configured model's decoder shape and parameter counts (config + safetensors headers), else 8B's."""
    from moss_music.model.memory import ModelShape, decoder_linear_parameters

    default = ModelShape(num_layers=36, num_kv_heads=8, head_dim=128, hidden_size=4096, intermediate_size=12288,
                         vocab_size=151936, dtype_bytes=2)
    if not folder:
        return default, None, None, "MOSS-Music-8B"
    try:
        from moss_music.model.checkpoint import inspect_checkpoint
        from moss_music.model.prepare import build_config

        info = inspect_checkpoint(folder)
        text = build_config(info).language_config
        parameters = _stored_parameters(info)
        return (ModelShape.from_config(text, 2), parameters, decoder_linear_parameters(text),
                os.path.basename(os.path.normpath(folder)))
    except (OSError, ValueError):
        return default, None, None, "MOSS-Music-8B"


def _stored_parameters(info) -> int:
    from safetensors import safe_open

    count = 0
    for path in info.weight_files:
        with safe_open(str(path), framework="pt") as handle:
            for key in handle.keys():
                shape = handle.get_slice(key).get_shape()
                size = 1
                for dim in shape:
                    size *= dim
                count += size
    return count


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
    if not os.path.isfile(os.path.join(folder, "config.json")):
        return Check("model", "fail", f"{folder} has no config.json", download)
    from moss_music.model.checkpoint import inspect_checkpoint
    from moss_music.model.tokenizer import load_tokenizer

    try:  # headers and JSON only: no weight is read, no code from the folder runs
        info = inspect_checkpoint(folder)
        load_tokenizer(folder)
    except OSError as error:
        return Check("model", "fail", str(error).splitlines()[0],
                     "the folder is incomplete or not a released MOSS-Music/MOSS-Audio folder: download it again")
    return Check("model", "ok", f"{folder} ({info.model_type}, {info.variant}, {len(info.weight_files)} shard(s), "
                                f"{info.total_bytes / 1e9:.1f} GB); `moss-music model check {folder}` loads it")

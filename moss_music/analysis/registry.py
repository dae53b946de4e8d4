"""Every analysis backend described once: name, labels, lane, what it needs to run, and its options.

The CLI, the worker and the desktop app read this table instead of naming
backends themselves, so adding a backend is one ``register_backend`` call (or
one entry below): its library column, menu entry, settings block, queue lane
and availability message follow from the description.

Nothing here imports a backend's module: the DSP path never imports torch, and
``backend_unavailable_reason`` is cheap enough for a menu (file checks and
``importlib.util.find_spec`` only).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LANES = ("cpu", "gpu")
"""Queue lanes: ``gpu`` runs one job at a time in one process that keeps the model loaded; ``cpu`` runs many."""

Settings = Mapping[str, Any]
"""The parsed ``settings.json`` (``moss_music.settings.read_settings`` or the app's settings store data)."""


@dataclass(frozen=True)
class BackendOption:
    """One setting of a backend: a key of ``settings.json``'s ``backends.<name>`` block and of ``from_options``."""

    key: str
    label: str
    default: Any = ""
    choices: tuple[str, ...] = ()
    """Values a settings page offers (empty: free text)."""
    cli_flag: str | None = None
    """The ``moss-music analyze`` flag that sets it for one run (None: settings only)."""
    help: str = ""
    secret: bool = False
    """Shown masked and never printed (API keys)."""
    metavar: str | None = None
    in_settings: bool = True
    """False: not part of the ``backends.<name>`` block (set elsewhere, or for one run only)."""


@dataclass(frozen=True)
class BackendSpec:
    """What the rest of the app knows about a backend without importing it."""

    name: str
    label: str
    """Menus and settings ('MOSS-Music')."""
    short_label: str
    """Narrow places: the library column header ('MOSS')."""
    target: str
    """'module:Class' of the analyzer, imported on first use."""
    lane: str = "cpu"
    description: str = ""
    options: tuple[BackendOption, ...] = ()
    requires_modules: tuple[str, ...] = ()
    """Importable modules it needs (checked with find_spec, nothing imported)."""
    requirement: Callable[[dict[str, Any]], str] | None = None
    """Given the resolved options, why it cannot run ('' when it can): a sentence that says what to do."""
    extra_options: Callable[[Settings], dict[str, Any]] | None = None
    """Options that live outside the ``backends.<name>`` block (the model folder is shared by several pages)."""
    typical_job_s: float = 30.0
    """A first guess at one job's length, for queue estimates before any job of it has finished."""
    hidden_tasks: frozenset[str] = field(default_factory=frozenset)
    """Tasks not offered for queueing a library (free questions need a question)."""

    def analyzer_class(self) -> type:
        module_name, _, class_name = self.target.partition(":")
        return getattr(importlib.import_module(module_name), class_name)

    def tasks(self) -> tuple[str, ...]:
        """Task names the analyzer understands (imports the backend's module)."""
        return tuple(self.analyzer_class().tasks)

    def default_settings(self) -> dict[str, Any]:
        return {option.key: option.default for option in self.options
                if option.in_settings and option.default is not None}


def _model_dir_options(settings: Settings) -> dict[str, Any]:
    from moss_music.settings import configured_model_dir

    model_dir = configured_model_dir(None, dict(settings))
    return {"model_dir": model_dir} if model_dir else {}


def _needs_model_dir(options: dict[str, Any]) -> str:
    model_dir = options.get("model_dir")
    if not model_dir:
        return "choose a model folder in Settings → Model (or --model DIR, or $MOSS_MUSIC_MODEL)"
    if not (Path(str(model_dir)).expanduser() / "config.json").is_file():
        return f"the model folder {model_dir} has no config.json: choose a MOSS-Music checkpoint folder"
    return ""


def _needs_server_url(options: dict[str, Any]) -> str:
    url = str(options.get("server_url") or "")
    if not url:
        return "set the server URL in Settings → Model (or --server-url URL)"
    if not url.startswith(("http://", "https://")):
        return f"the server URL {url!r} is not an http(s) URL"
    return ""


_MODEL_TASKS_HIDDEN = frozenset({"ask"})

_REGISTRY: dict[str, BackendSpec] = {}


def register_backend(name: str, target: str, *, label: str | None = None, short_label: str | None = None,
                     lane: str = "cpu", **details: Any) -> BackendSpec:
    """Add (or replace) a backend; plugins and tests call this, ``$MOSS_MUSIC_BACKENDS`` does it in consumers."""
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}; choose one of {', '.join(LANES)}")
    spec = BackendSpec(name=name, label=label or name, short_label=short_label or label or name, target=target,
                       lane=lane, **details)
    _REGISTRY[name] = spec
    return spec


register_backend(
    "dsp", "moss_music.analysis.dsp:DspAnalyzer", label="DSP", short_label="DSP", lane="cpu",
    description="beats, key, chords, sections and loudness on the CPU in seconds; nothing to download",
    typical_job_s=20.0)
register_backend(
    "moss", "moss_music.analysis.moss:MossAnalyzer", label="MOSS-Music", short_label="MOSS", lane="gpu",
    description="MOSS-Music in this process on your GPU: captions, timestamped lyrics and chords, structure",
    options=(
        BackendOption("model_dir", "Model folder", None, (), "--model",
                      "MOSS-Music checkpoint folder (Settings → Model keeps it as model_dir)", metavar="DIR",
                      in_settings=False),
        BackendOption("device", "Device", "auto", ("auto", "cuda", "cpu", "mps"), "--device",
                      "cuda, cuda:1, mps or cpu (default: best available)"),
        BackendOption("dtype", "Precision", None, ("bf16", "fp16", "fp32"), "--dtype", "weights precision"),
        BackendOption("quantization", "Quantization", "none", ("none", "8bit", "4bit"), "--quantization",
                      "bitsandbytes quantization for GPUs under 24 GB"),
    ),
    requires_modules=("torch", "transformers"), requirement=_needs_model_dir, extra_options=_model_dir_options,
    typical_job_s=120.0, hidden_tasks=_MODEL_TASKS_HIDDEN)
register_backend(
    "server", "moss_music.analysis.server:ServerAnalyzer", label="Remote server", short_label="Server", lane="cpu",
    description="the same tasks through an OpenAI-compatible vLLM or SGLang endpoint",
    options=(
        BackendOption("server_url", "Server URL", "", (), "--server-url", "OpenAI-compatible endpoint",
                      metavar="URL"),
        BackendOption("api_key", "API key", "", (), "--api-key", "API key for the server", secret=True),
        BackendOption("server_model", "Model name", "", (), "--server-model", "model name served at the URL"),
        BackendOption("timeout", "Timeout (s)", 600, (), "--timeout",
                      "seconds one request may take in all, retries included", metavar="SECONDS"),
    ),
    requirement=_needs_server_url, typical_job_s=60.0, hidden_tasks=_MODEL_TASKS_HIDDEN)


def backend_specs() -> list[BackendSpec]:
    """Every registered backend, in the order menus and columns show them."""
    return list(_REGISTRY.values())


def available_backends() -> list[str]:
    """Names of every registered backend (whether or not it can run now), in display order."""
    return list(_REGISTRY)


def get_backend(name: str) -> BackendSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(_REGISTRY)}") from None


def get_analyzer_class(name: str) -> type:
    return get_backend(name).analyzer_class()


def lane_for_backend(name: str) -> str:
    """The queue lane a backend's jobs run on; an unknown name runs on the CPU lane (and fails there clearly)."""
    spec = _REGISTRY.get(name)
    return spec.lane if spec is not None else "cpu"


def backend_options(name: str, settings: Settings) -> dict[str, Any]:
    """The options ``from_options`` gets from the settings: the ``backends.<name>`` block plus shared ones."""
    spec = get_backend(name)
    options: dict[str, Any] = spec.extra_options(settings) if spec.extra_options else {}
    block = (settings.get("backends") or {}).get(name)
    if isinstance(block, dict):
        options.update({key: value for key, value in block.items() if value not in (None, "")})
    return options


def backend_unavailable_reason(name: str, settings: Settings, overrides: Mapping[str, Any] | None = None) -> str:
    """Why ``name`` cannot run with these settings ('' when it can); ``overrides`` are one run's options.

    Cheap (no backend import), so a menu can ask on every open.
    """
    spec = _REGISTRY.get(name)
    if spec is None:
        return f"unknown backend {name!r}"
    missing = [module for module in spec.requires_modules if importlib.util.find_spec(module) is None]
    if missing:
        return f"not available in this installation: {', '.join(missing)} is not installed"
    if spec.requirement is None:
        return ""
    options = {**backend_options(name, settings), **{k: v for k, v in (overrides or {}).items() if v is not None}}
    return spec.requirement(options)


def default_backend_settings() -> dict[str, dict[str, Any]]:
    """The ``backends`` block of a fresh ``settings.json``: every backend option with its default."""
    return {spec.name: spec.default_settings() for spec in _REGISTRY.values() if spec.options}


def cli_options() -> list[BackendOption]:
    """Options with a command-line flag, once each (two backends may share a flag)."""
    seen: dict[str, BackendOption] = {}
    for spec in _REGISTRY.values():
        for option in spec.options:
            if option.cli_flag and option.key not in seen:
                seen[option.key] = option
    return list(seen.values())

"""The backend registry: one description per backend that the CLI, the worker's lanes and the app read."""

from __future__ import annotations

import argparse

import pytest

from moss_music.analysis import (
    available_backends,
    backend_options,
    backend_unavailable_reason,
    get_analyzer_class,
    get_backend,
    lane_for_backend,
    register_backend,
)
from moss_music.analysis.registry import _REGISTRY, default_backend_settings
from moss_music.settings import MODEL_ENV


@pytest.fixture
def restore_registry():
    saved = dict(_REGISTRY)
    yield
    _REGISTRY.clear()
    _REGISTRY.update(saved)


def test_builtin_backends_in_display_order_with_their_lanes():
    assert available_backends()[:3] == ["dsp", "moss", "server"]
    assert [lane_for_backend(name) for name in ("dsp", "moss", "server")] == ["cpu", "gpu", "cpu"]
    assert get_backend("moss").short_label == "MOSS" and get_backend("server").label == "Remote server"


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown backend 'nope'; choose one of dsp, moss, server"):
        get_analyzer_class("nope")
    assert backend_unavailable_reason("nope", {}) == "unknown backend 'nope'"


def test_dsp_always_available_model_backends_say_what_is_missing(monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    assert backend_unavailable_reason("dsp", {}) == ""
    assert "choose a model folder" in backend_unavailable_reason("moss", {})
    assert "set the server URL" in backend_unavailable_reason("server", {"backends": {"server": {"server_url": ""}}})
    assert "not an http(s) URL" in backend_unavailable_reason("server", {"backends": {"server": {"server_url": "ftp://x"}}})
    assert backend_unavailable_reason("server", {"backends": {"server": {"server_url": "http://gpu:8000/v1"}}}) == ""


def test_moss_needs_a_folder_with_a_config(tmp_path, monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    assert "has no config.json" in backend_unavailable_reason("moss", {"model_dir": str(tmp_path)})
    (tmp_path / "config.json").write_text("{}")
    assert backend_unavailable_reason("moss", {"model_dir": str(tmp_path)}) == ""
    monkeypatch.setenv(MODEL_ENV, str(tmp_path))
    assert backend_unavailable_reason("moss", {}) == ""
    assert backend_options("moss", {"backends": {"moss": {"device": "cpu"}}}) == {"model_dir": str(tmp_path),
                                                                                 "device": "cpu"}


def test_one_run_options_override_the_settings(tmp_path, monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    (tmp_path / "config.json").write_text("{}")
    assert backend_unavailable_reason("moss", {}, {"model_dir": str(tmp_path)}) == ""


def test_settings_defaults_come_from_the_options():
    defaults = default_backend_settings()
    assert defaults["moss"] == {"device": "auto", "quantization": "none"}
    assert defaults["server"] == {"server_url": "", "api_key": "", "server_model": "", "timeout": 600}
    assert "dsp" not in defaults


def test_a_registered_backend_gets_a_lane_a_cli_choice_and_a_class(restore_registry):
    register_backend("test-rms", "tests.worker.rms_backend:RmsAnalyzer", label="RMS", lane="gpu")
    assert lane_for_backend("test-rms") == "gpu"
    assert get_analyzer_class("test-rms").tasks == ("loudness", "energy")
    from moss_music.cli import analyze_cmd

    parser = argparse.ArgumentParser()
    analyze_cmd.register(parser.add_subparsers(), argparse.ArgumentParser(add_help=False))
    assert parser.parse_args(["analyze", "x.wav", "--backend", "test-rms"]).backend == "test-rms"
    with pytest.raises(ValueError, match="unknown lane"):
        register_backend("bad", "x:Y", lane="tpu")


def test_cli_flags_come_from_the_registry():
    from moss_music.cli import analyze_cmd

    parser = argparse.ArgumentParser()
    analyze_cmd.register(parser.add_subparsers(), argparse.ArgumentParser(add_help=False))
    args = parser.parse_args(["analyze", "x.wav", "--model", "/m", "--server-url", "http://a", "--dtype", "bf16"])
    assert analyze_cmd.analyzer_options(args) == {"model_dir": "/m", "server_url": "http://a", "dtype": "bf16"}

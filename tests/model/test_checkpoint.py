"""Checkpoint folders: the released key names, safetensors only, clear errors, no code from the folder."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from moss_music.model.checkpoint import CheckpointError, inspect_checkpoint
from moss_music.model.config import MossMusicConfig
from moss_music.model.loader import load
from moss_music.model.prepare import build_config
from tests.model.tiny_checkpoint import SENTINEL


def test_config_defaults_are_the_documented_ones():
    config = MossMusicConfig()
    audio = config.audio_config
    assert (audio.d_model, audio.output_dim, audio.num_mel_bins, audio.encoder_layers) == (1280, 1280, 128, 32)
    assert (audio.encoder_attention_heads, audio.encoder_ffn_dim, audio.downsample_hidden_size) == (20, 5120, 480)
    assert (audio.n_window, audio.conv_chunksize, audio.deepstack_encoder_layer_indexes) == (200, 64, [8, 16, 24])
    assert config.adapter_hidden_size == 8192 and config.deepstack_num_inject_layers is None
    assert config.tie_word_embeddings is False and not audio.uses_out_proj


def test_moss_audio_model_type_and_inject_cap_are_read(tiny_dir):
    info = inspect_checkpoint(tiny_dir)
    info.config["model_type"] = "moss_audio"
    info.config["deepstack_num_inject_layers"] = 2
    config = build_config(info)
    assert config.checkpoint_model_type == "moss_audio"
    assert config.num_deepstack_features == 2
    assert config.audio_token_id == 509  # from processor_config.json


def test_loading_never_runs_code_from_the_folder(tiny, tiny_dir):
    assert (tiny_dir / "modeling_moss_music.py").exists()
    assert not (tiny_dir / SENTINEL).exists()


def test_weights_come_from_every_shard(tiny, tiny_dir):
    state = tiny.model.state_dict()
    shards = sorted(tiny_dir.glob("model-*.safetensors"))
    assert len(shards) == 4
    for shard in shards:
        stored = load_file(str(shard))
        name = sorted(n for n in stored if n in state)[0]
        assert torch.equal(state[name], stored[name].float())


def test_pickle_only_folder_is_refused(tmp_path, tiny_dir):
    folder = tmp_path / "pickled"
    folder.mkdir()
    shutil.copy(tiny_dir / "config.json", folder / "config.json")
    (folder / "pytorch_model.bin").write_bytes(b"not really a pickle")
    with pytest.raises(CheckpointError, match="pickle"):
        inspect_checkpoint(folder)


def test_missing_and_unexpected_weights_are_listed(tmp_path, tiny_dir):
    folder = tmp_path / "renamed"
    shutil.copytree(tiny_dir, folder)
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    shard = index["weight_map"].pop("lm_head.weight")
    index["weight_map"]["lm_head.weights_typo"] = shard
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(CheckpointError) as error:
        load(folder, device="cpu")
    assert "1 missing: lm_head.weight" in str(error.value)
    assert "1 unexpected: lm_head.weights_typo" in str(error.value)


def test_index_naming_an_absent_shard_is_reported(tmp_path, tiny_dir):
    folder = tmp_path / "partial"
    shutil.copytree(tiny_dir, folder)
    (folder / "model-00002-of-00004.safetensors").unlink()
    with pytest.raises(CheckpointError, match="model-00002-of-00004.safetensors"):
        inspect_checkpoint(folder)


def test_wrong_model_type_is_refused(tmp_path, tiny_dir):
    folder = tmp_path / "llama"
    shutil.copytree(tiny_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "llama"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="model_type 'llama'"):
        inspect_checkpoint(folder)


def test_same_folder_loads_in_bf16(tiny_dir, tiny):
    from tests.model.conftest import noise

    bf16 = load(tiny_dir, device="cpu", dtype="bf16")
    assert bf16.model.dtype == torch.bfloat16
    inputs = tiny.processor(text="Describe this.", audio=noise(3.0))
    logits16 = bf16.model(**inputs).logits.float()
    logits32 = tiny.model(**inputs).logits
    assert torch.isfinite(logits16).all()
    assert torch.nn.functional.cosine_similarity(logits16.flatten(), logits32.flatten(), dim=0) > 0.99


@pytest.mark.parametrize(("accelerate", "quantization"), [(False, None), (True, None), (True, "4bit")])
def test_gpu_loads_pass_a_device_map_only_when_accelerate_can_take_it(tiny_dir, monkeypatch, accelerate,
                                                                     quantization):
    """No GPU here: the device is faked and from_pretrained recorded, to check what transformers would be asked."""
    from moss_music.model import device as device_policy
    from moss_music.model import loader
    from moss_music.model.modeling import MossMusicForConditionalGeneration

    calls: dict = {}

    class Loaded:
        def to(self, device):
            calls["moved_to"] = device
            return self

        def eval(self):
            return self

    monkeypatch.setattr(loader, "resolve_device", lambda device: "cuda:0")
    monkeypatch.setattr(loader, "has_module", lambda name: accelerate if name == "accelerate" else True)
    monkeypatch.setattr(device_policy, "has_module", lambda name: accelerate if name == "accelerate" else True)
    monkeypatch.setattr(loader, "quantization_config", lambda q, d, dev: {"quantization": q} if q else None)
    monkeypatch.setattr(MossMusicForConditionalGeneration, "from_pretrained",
                        classmethod(lambda cls, folder, **kwargs: calls.update(kwargs=kwargs) or Loaded()))
    loaded = loader.load(tiny_dir, device="cuda", dtype="bf16", quantization=quantization)
    kwargs = calls["kwargs"]
    if accelerate:
        assert kwargs["device_map"] == {"": "cuda:0"} and "moved_to" not in calls
    else:
        assert "device_map" not in kwargs and calls["moved_to"] == "cuda:0"
    assert ("quantization_config" in kwargs) == bool(quantization)
    assert loaded.device == "cuda:0" and loaded.attention == kwargs["attn_implementation"]


def test_quantization_without_accelerate_says_what_to_install(monkeypatch):
    from moss_music.model import device as device_policy

    monkeypatch.setattr(device_policy, "has_module", lambda name: name != "accelerate")
    with pytest.raises(RuntimeError, match="needs accelerate: pip install"):
        device_policy.quantization_config("8bit", torch.bfloat16, "cuda:0")


def test_flash_attention_is_chosen_from_the_real_device(monkeypatch):
    from moss_music.model import device as device_policy

    monkeypatch.setattr(device_policy, "has_module", lambda name: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda index=0: (8, 9))
    assert device_policy.default_attention(torch.bfloat16, "cuda:0") == "flash_attention_2"
    assert device_policy.default_attention(torch.float32, "cuda:0") == "sdpa"
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda index=0: (7, 5))  # Turing: no FA2
    assert device_policy.default_attention(torch.float16, "cuda") == "sdpa"
    assert device_policy.default_attention(torch.bfloat16, "cpu") == "sdpa"

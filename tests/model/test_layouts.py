"""Released folder layouts read alike; hostile or damaged folders are refused with one clear sentence."""

from __future__ import annotations

import json
import shutil
import struct

import pytest
import torch
from safetensors.torch import load_file, save_file

from moss_music.model.checkpoint import CheckpointError, inspect_checkpoint
from moss_music.model.tokenizer import TokenizerError, load_tokenizer
from tests.model.tiny_checkpoint import (
    EXTRA_BUFFER,
    LAYOUTS,
    build_tiny_checkpoint,
    release_tensor_shapes,
    tiny_config,
)

SAMPLES = ["<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n", "0.00 - 12.50: hello world",
           "C Am F G7 Bbmaj7 F#m7b5 C/E", "<think>\nslow and sad\n</think>\n\nA ballad.", "Ünïcödé 歌词 123"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("layouts")
    return {layout: build_tiny_checkpoint(root / layout, layout=layout, encoder_layers=2, decoder_layers=2)
            for layout in LAYOUTS}


def test_the_fixture_names_match_the_release_count():
    """The documented architecture at full size: 901 tensors, 902 with the release's extra buffer."""
    config = tiny_config()
    config["audio_config"].update(d_model=1280, output_dim=1280, encoder_layers=32, encoder_attention_heads=20,
                                  encoder_ffn_dim=5120, downsample_hidden_size=480,
                                  deepstack_encoder_layer_indexes=[8, 16, 24])
    config["language_config"].update(num_hidden_layers=36, hidden_size=4096, intermediate_size=12288,
                                     num_attention_heads=32, num_key_value_heads=8, head_dim=128, vocab_size=151936)
    config["adapter_hidden_size"] = 8192
    shapes = release_tensor_shapes(config)
    assert len(shapes) == 901 and EXTRA_BUFFER not in shapes
    parameters = sum(torch.Size(s).numel() for s in shapes.values())
    assert 9.0e9 < parameters < 9.2e9  # "~9.1B parameters"


def test_every_layout_tokenizes_identically(folders):
    tokenizers = {layout: load_tokenizer(folder) for layout, folder in folders.items()}
    reference = tokenizers["fast"]
    for layout, tokenizer in tokenizers.items():
        for text in SAMPLES:
            ids = tokenizer.encode(text, add_special_tokens=False)
            assert ids == reference.encode(text, add_special_tokens=False), (layout, text)
            assert tokenizer.decode(ids, skip_special_tokens=True) == reference.decode(ids, skip_special_tokens=True)
        assert tokenizer.convert_tokens_to_ids("<|im_end|>") == reference.convert_tokens_to_ids("<|im_end|>")
        assert tokenizer.pad_token_id == reference.pad_token_id


def test_release_layout_has_the_extra_buffer_and_no_tokenizer_json(folders):
    release = folders["release"]
    assert not (release / "tokenizer.json").exists() and (release / "vocab.json").is_file()
    info = inspect_checkpoint(release)
    assert EXTRA_BUFFER in info.weight_names and len(info.weight_files) == 4
    assert info.stored_dtypes == {"BF16": len(info.weight_names)}


def test_a_wrong_timescale_buffer_is_refused(folders, tmp_path):
    from moss_music.model.loader import load

    folder = tmp_path / "wrong"
    shutil.copytree(folders["release"], folder)
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    shard = folder / index["weight_map"][EXTRA_BUFFER]
    tensors = load_file(str(shard))
    tensors[EXTRA_BUFFER] = tensors[EXTRA_BUFFER] * 3
    save_file(tensors, str(shard), metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match="sinusoid timescales"):
        load(folder, device="cpu")


def test_index_entries_outside_the_folder_are_refused(folders, tmp_path):
    folder = tmp_path / "escape"
    shutil.copytree(folders["fast"], folder)
    outside = tmp_path / "outside.safetensors"
    save_file({"lm_head.weight": torch.zeros(2, 2)}, str(outside))
    for name in ("../outside.safetensors", str(outside), "sub/../../outside.safetensors"):
        index = json.loads((folder / "model.safetensors.index.json").read_text())
        index["weight_map"]["lm_head.weight"] = name
        (folder / "model.safetensors.index.json").write_text(json.dumps(index))
        with pytest.raises(CheckpointError, match="outside the model folder"):
            inspect_checkpoint(folder)


def test_a_huge_safetensors_header_is_a_clear_error(folders, tmp_path):
    folder = tmp_path / "huge"
    folder.mkdir()
    shutil.copy(folders["fast"] / "config.json", folder / "config.json")
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", 2**62) + b"{}" + b"\0" * 64)
    with pytest.raises(CheckpointError, match="header claims 4,611,686,018,427,387,904 bytes"):
        inspect_checkpoint(folder)


@pytest.mark.parametrize("name", ["AutoTokenizer", "LlamaTokenizer", "EvilTokenizer", "PreTrainedTokenizer"])
def test_tokenizer_classes_outside_the_allow_list_are_refused(folders, tmp_path, name):
    folder = tmp_path / "odd"
    shutil.copytree(folders["release"], folder)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["tokenizer_class"] = name
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(TokenizerError) as error:
        load_tokenizer(folder)
    assert f"tokenizer_class {name!r} is not one we load" in str(error.value)


def test_a_tokenizer_without_its_files_says_what_is_missing(tmp_path):
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "Qwen2Tokenizer"}))
    with pytest.raises(TokenizerError, match="no tokenizer.json and no vocab.json"):
        load_tokenizer(tmp_path)


def test_variant_is_read_from_the_files_not_the_folder_name(folders, tmp_path):
    snapshot = tmp_path / "models--OpenMOSS-Team--MOSS-Music-8B-Thinking" / "snapshots" / "3f2a9c"
    build_tiny_checkpoint(snapshot, layout="release", thinking=True, encoder_layers=2, decoder_layers=2)
    assert inspect_checkpoint(snapshot).variant == "thinking"
    (snapshot / "README.md").unlink()  # no model card: the hub cache path still names the repository
    assert inspect_checkpoint(snapshot).variant == "thinking"
    renamed = tmp_path / "my-model-thinking-test"
    build_tiny_checkpoint(renamed, layout="release", thinking=False, encoder_layers=2, decoder_layers=2)
    assert inspect_checkpoint(renamed).variant == "instruct"  # the card says Instruct, whatever the folder says

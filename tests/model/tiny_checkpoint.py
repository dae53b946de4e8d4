"""A tiny MOSS-Music checkpoint with the real file layout, built on the spot.

Random weights (fixed seed), a byte-level BPE tokenizer trained here with
``tokenizers`` using Qwen's pre-tokenizer, ChatML specials and digit tokens,
small audio ids declared in processor_config.json, two safetensors shards +
index, chat_template.jinja, generation_config.json and a config.json with the
released key names. It also holds a remote-code file that would leave a
sentinel behind if anything ever imported it.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_file
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
THINK_TOKENS = ["<think>", "</think>"]
VOCAB_SIZE = 512
"""Embedding rows; the tokenizer uses fewer, and the three audio ids sit in the unused tail like Qwen's."""
AUDIO_TOKEN_ID, AUDIO_START_ID, AUDIO_END_ID = 509, 510, 511
SENTINEL = "REMOTE_CODE_WAS_EXECUTED"

_CORPUS = [
    "You are a helpful assistant.",
    "Please describe this piece of music in terms of style and tempo, tonality and harmony, instrumentation, "
    "structural arrangement, and overall mood.",
    "Transcribe the lyrics of this song with timestamps. 0.00 - 12.50: hello world",
    "chords: C Am F G7 Bbmaj7 F#m7b5 C/E N intro verse chorus bridge outro key of A minor 120 BPM 4/4",
    "guitar piano drums bass vocals synth strings female male",
]

CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

REMOTE_CODE = f'''
import pathlib
pathlib.Path(__file__).with_name("{SENTINEL}").write_text("imported")
raise RuntimeError("remote code must never run")
'''


def tiny_config(encoder_layers: int = 4, decoder_layers: int = 3, thinking: bool = False) -> dict:
    return {
        "model_type": "moss_music",
        "architectures": ["MossMusicModel"],
        "auto_map": {"AutoModel": "modeling_moss_music.MossMusicModel"},
        "dtype": "float32",
        "adapter_hidden_size": 96,
        "deepstack_num_inject_layers": None,
        "tie_word_embeddings": False,
        "audio_config": {
            "d_model": 64, "output_dim": 48, "num_mel_bins": 128, "encoder_layers": encoder_layers,
            "encoder_attention_heads": 4, "encoder_ffn_dim": 128, "downsample_hidden_size": 8,
            "max_source_positions": 1500, "activation_function": "gelu", "layer_norm_eps": 1e-5,
            "n_window": 200, "conv_chunksize": 64,
            "deepstack_encoder_layer_indexes": list(range(1, min(encoder_layers, 4)))[:3],
        },
        "language_config": {
            "model_type": "qwen3", "vocab_size": VOCAB_SIZE, "hidden_size": 64, "intermediate_size": 128,
            "num_hidden_layers": decoder_layers, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
            "hidden_act": "silu", "max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
            "tie_word_embeddings": False, "attention_bias": False, "bos_token_id": None, "eos_token_id": 2,
        },
        "thinking_variant": thinking,
    }


def train_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=440, special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_CORPUS * 4, trainer=trainer)
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in THINK_TOKENS])
    return tokenizer


def build_tiny_checkpoint(folder: str | Path, *, seed: int = 0, encoder_layers: int = 4, decoder_layers: int = 3,
                          thinking: bool = False, enable_time_marker: bool = True,
                          max_new_tokens: int = 16) -> Path:
    """Write the checkpoint into ``folder`` (created) and return it.

    generation_config.json caps answers at ``max_new_tokens`` so random weights do not ramble for
    thousands of tokens in tests that run the real task budgets (the CLI)."""
    from moss_music.model.config import MossMusicConfig
    from moss_music.model.modeling import MossMusicForConditionalGeneration

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer()
    assert tokenizer.get_vocab_size() < AUDIO_TOKEN_ID, "audio ids must stay outside the tokenizer"
    tokenizer.save(str(folder / "tokenizer.json"))
    im_end, endoftext = tokenizer.token_to_id("<|im_end|>"), tokenizer.token_to_id("<|endoftext|>")
    _write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "Qwen2Tokenizer", "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "unk_token": None, "bos_token": None, "model_max_length": 131072, "clean_up_tokenization_spaces": False,
    })
    (folder / "chat_template.jinja").write_text(CHAT_TEMPLATE, encoding="utf-8")

    config_dict = tiny_config(encoder_layers, decoder_layers, thinking)
    config_dict["language_config"]["eos_token_id"] = im_end
    _write_json(folder / "config.json", config_dict)
    _write_json(folder / "processor_config.json", {
        "audio_token_id": AUDIO_TOKEN_ID, "audio_start_id": AUDIO_START_ID, "audio_end_id": AUDIO_END_ID,
        "enable_time_marker": enable_time_marker,
        "mel_config": {"mel_sr": 16000, "mel_dim": 128, "mel_n_fft": 400, "mel_hop_length": 160},
    })
    _write_json(folder / "generation_config.json", {
        "do_sample": True, "temperature": 1.0, "top_p": 0.8, "top_k": 50, "max_new_tokens": max_new_tokens,
        "eos_token_id": [im_end, endoftext], "pad_token_id": endoftext,
    })
    (folder / "modeling_moss_music.py").write_text(REMOTE_CODE, encoding="utf-8")

    torch.manual_seed(seed)
    config = MossMusicConfig(**{k: v for k, v in config_dict.items() if k not in ("architectures", "auto_map")})
    config.audio_token_id = AUDIO_TOKEN_ID
    model = MossMusicForConditionalGeneration(config)
    with torch.no_grad():  # transformers zeroes biases at init; real checkpoints have them, and they matter
        for name, parameter in model.named_parameters():
            if name.endswith(".bias"):
                parameter.normal_(0.0, 0.1)
    _save_two_shards(model.state_dict(), folder)
    return folder


def _save_two_shards(state: dict[str, torch.Tensor], folder: Path) -> None:
    names = sorted(state)
    first = [n for n in names if not n.startswith(("language_model.", "lm_head."))]
    shards = {"model-00001-of-00002.safetensors": first,
              "model-00002-of-00002.safetensors": [n for n in names if n not in set(first)]}
    weight_map, total = {}, 0
    for file_name, keys in shards.items():
        tensors = {k: state[k].detach().contiguous().clone() for k in keys}
        save_file(tensors, str(folder / file_name), metadata={"format": "pt"})
        for key, tensor in tensors.items():
            weight_map[key] = file_name
            total += tensor.numel() * tensor.element_size()
    _write_json(folder / "model.safetensors.index.json", {"metadata": {"total_size": total}, "weight_map": weight_map})


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")

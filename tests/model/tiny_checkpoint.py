"""Tiny MOSS-Music / MOSS-Audio checkpoints written in the released folders' file layouts.

Built from outside facts (shared/docs/moss-music-model.md), never by saving our
own model: the tensor names and shapes come from the documented architecture
(``release_tensor_shapes``), so a name our code gets wrong fails the tests
instead of being written into the fixture. Weights are random (fixed seed).

Layouts (``layout=``):

- ``release``: MOSS-Music-8B as published: bf16 shards + index holding the extra
  ``audio_encoder.embed_positions.inv_timescales`` buffer; config.json with
  ``architectures``, an ``auto_map`` (AutoConfig, AutoProcessor), top-level
  mirrors of the text config and an ``audio_config`` without ``n_window`` /
  ``conv_chunksize``; tokenizer as ``vocab.json`` + ``merges.txt`` +
  ``added_tokens.json`` with ``tokenizer_class: Qwen2Tokenizer`` and no
  ``tokenizer.json``; ``preprocessor_config.json``; a generation_config.json
  without sampling fields (unless ``max_new_tokens`` is given).
- ``moss_audio``: MOSS-Audio: ``model_type: moss_audio``, three shards, a
  ``processor_config.json`` with ``processor_class``, ``auto_map``, ``mel_config``
  and the audio ids; both tokenizer.json and vocab/merges.
- ``fast``: a converted folder: ``tokenizer.json`` with
  ``PreTrainedTokenizerFast``, float32, two shards, an ``out_proj``.
- ``noclass``: vocab/merges and a tokenizer_config.json that names no class.

Every folder also holds Python files that would leave a sentinel file behind
if anything ever imported them.
"""

from __future__ import annotations

import json
import math
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
LAYOUTS = ("release", "moss_audio", "fast", "noclass")
EXTRA_BUFFER = "audio_encoder.embed_positions.inv_timescales"

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


def tiny_config(encoder_layers: int = 4, decoder_layers: int = 3, *, layout: str = "release",
                dtype: str = "bfloat16") -> dict:
    """config.json as the release writes it (top-level mirrors, auto_map without AutoModel)."""
    audio_audio = layout == "moss_audio"
    audio = {
        "d_model": 64, "output_dim": 48 if layout == "fast" else 64, "num_mel_bins": 128,
        "encoder_layers": encoder_layers, "encoder_attention_heads": 4, "encoder_ffn_dim": 128,
        "downsample_hidden_size": 8, "max_source_positions": 1500, "activation_function": "gelu",
        "layer_norm_eps": 1e-5, "deepstack_encoder_layer_indexes": list(range(1, min(encoder_layers, 4)))[:3],
        "dropout": 0.0, "attention_dropout": 0.0, "model_type": "moss_audio_encoder",
    }
    if layout in ("fast", "noclass"):  # converted folders written by newer code carry the chunking keys
        audio.update(n_window=200, conv_chunksize=64)
    language = {
        "model_type": "qwen3", "architectures": ["Qwen3ForCausalLM"], "vocab_size": VOCAB_SIZE, "hidden_size": 64,
        "intermediate_size": 128, "num_hidden_layers": decoder_layers, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 16, "hidden_act": "silu", "max_position_embeddings": 32768,
        "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_scaling": None, "tie_word_embeddings": False,
        "attention_bias": False, "attention_dropout": 0.0, "use_cache": True, "use_sliding_window": False,
        "sliding_window": None, "max_window_layers": decoder_layers, "initializer_range": 0.02,
        "bos_token_id": 2, "eos_token_id": 4, "torch_dtype": dtype,
    }
    name = "MossAudio" if audio_audio else "MossMusic"
    config = {
        "model_type": "moss_audio" if audio_audio else "moss_music",
        "architectures": [f"{name}Model"],
        "auto_map": {"AutoConfig": f"configuration_{name.lower()}.{name}Config",
                     "AutoProcessor": f"processing_{name.lower()}.{name}Processor"},
        "dtype": dtype,
        "adapter_hidden_size": 96,
        "deepstack_num_inject_layers": 3,
        "audio_config": audio,
        "language_config": language,
        "transformers_version": "4.57.1",
    }
    for key in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                "head_dim", "intermediate_size", "max_position_embeddings", "rms_norm_eps", "rope_theta"):
        config[key] = language[key]
    config.update(bos_token_id=2, eos_token_id=4, tie_word_embeddings=False)
    return config


def release_tensor_shapes(config: dict) -> dict[str, tuple[int, ...]]:
    """Every stored tensor's name and shape, from the documented architecture (not from our model code)."""
    audio, text = config["audio_config"], config["language_config"]
    d, channels, ffn = audio["d_model"], audio["downsample_hidden_size"], audio["encoder_ffn_dim"]
    out_dim = audio.get("output_dim", d)
    freq = audio["num_mel_bins"]
    for _ in range(3):
        freq = (freq - 1) // 2 + 1
    shapes: dict[str, tuple[int, ...]] = {
        "audio_encoder.conv1.weight": (channels, 1, 3, 3), "audio_encoder.conv1.bias": (channels,),
        "audio_encoder.conv2.weight": (channels, channels, 3, 3), "audio_encoder.conv2.bias": (channels,),
        "audio_encoder.conv3.weight": (channels, channels, 3, 3), "audio_encoder.conv3.bias": (channels,),
        "audio_encoder.stem_proj.weight": (d, channels * freq), "audio_encoder.stem_proj.bias": (d,),
        "audio_encoder.layer_norm.weight": (d,), "audio_encoder.layer_norm.bias": (d,),
    }
    for i in range(audio["encoder_layers"]):
        p = f"audio_encoder.layers.{i}."
        for proj in ("q_proj", "v_proj", "out_proj"):
            shapes[f"{p}self_attn.{proj}.weight"], shapes[f"{p}self_attn.{proj}.bias"] = (d, d), (d,)
        shapes[f"{p}self_attn.k_proj.weight"] = (d, d)
        for norm in ("self_attn_layer_norm", "final_layer_norm"):
            shapes[f"{p}{norm}.weight"], shapes[f"{p}{norm}.bias"] = (d,), (d,)
        shapes[f"{p}fc1.weight"], shapes[f"{p}fc1.bias"] = (ffn, d), (ffn,)
        shapes[f"{p}fc2.weight"], shapes[f"{p}fc2.bias"] = (d, ffn), (d,)
    if out_dim != d:
        shapes["audio_encoder.out_proj.weight"] = (out_dim, d)
    hidden, adapter = text["hidden_size"], config["adapter_hidden_size"]
    taps = len(audio.get("deepstack_encoder_layer_indexes", [8, 16, 24]))
    if config.get("deepstack_num_inject_layers") is not None:
        taps = min(taps, int(config["deepstack_num_inject_layers"]))
    for prefix in ["audio_adapter"] + [f"deepstack_audio_merger_list.{k}" for k in range(taps)]:
        shapes[f"{prefix}.gate_proj.weight"] = shapes[f"{prefix}.up_proj.weight"] = (adapter, out_dim)
        shapes[f"{prefix}.down_proj.weight"] = (hidden, adapter)
    heads, kv, head_dim = text["num_attention_heads"], text["num_key_value_heads"], text["head_dim"]
    inter, vocab = text["intermediate_size"], text["vocab_size"]
    shapes["language_model.embed_tokens.weight"] = (vocab, hidden)
    for i in range(text["num_hidden_layers"]):
        p = f"language_model.layers.{i}."
        shapes[f"{p}self_attn.q_proj.weight"] = (heads * head_dim, hidden)
        shapes[f"{p}self_attn.k_proj.weight"] = shapes[f"{p}self_attn.v_proj.weight"] = (kv * head_dim, hidden)
        shapes[f"{p}self_attn.o_proj.weight"] = (hidden, heads * head_dim)
        shapes[f"{p}self_attn.q_norm.weight"] = shapes[f"{p}self_attn.k_norm.weight"] = (head_dim,)
        shapes[f"{p}mlp.gate_proj.weight"] = shapes[f"{p}mlp.up_proj.weight"] = (inter, hidden)
        shapes[f"{p}mlp.down_proj.weight"] = (hidden, inter)
        shapes[f"{p}input_layernorm.weight"] = shapes[f"{p}post_attention_layernorm.weight"] = (hidden,)
    shapes["language_model.norm.weight"] = (hidden,)
    shapes["lm_head.weight"] = (vocab, hidden)
    return shapes


def inv_timescales(d_model: int) -> torch.Tensor:
    """The sinusoid buffer the reference registers (non-persistent) and the release stores anyway."""
    half = d_model // 2
    return torch.exp(-math.log(10000.0) / (half - 1) * torch.arange(half, dtype=torch.float32))


def random_weights(shapes: dict[str, tuple[int, ...]], seed: int) -> dict[str, torch.Tensor]:
    """Random weights that keep activations in range: norms near 1, biases ~0.1 (they matter), matrices ~0.02."""
    generator = torch.Generator().manual_seed(seed)
    tensors = {}
    for name, shape in shapes.items():
        noise = torch.randn(shape, generator=generator)
        if "norm" in name and name.endswith(".weight"):
            tensors[name] = 1.0 + 0.1 * noise
        elif name.endswith(".bias"):
            tensors[name] = 0.1 * noise
        elif "conv" in name:
            tensors[name] = 0.2 * noise
        else:
            tensors[name] = 0.02 * noise if "embed" in name or "lm_head" in name else noise / math.sqrt(shape[-1])
    return tensors


def train_tokenizer() -> Tokenizer:
    """A byte-level BPE with Qwen's pre-tokenizer, ChatML specials, single-digit tokens and think tokens."""
    tokenizer = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=440, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tokenizer.train_from_iterator(_CORPUS * 4, trainer=trainer)
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in THINK_TOKENS])
    return tokenizer


def _write_tokenizer(folder: Path, layout: str) -> dict[str, int]:
    tokenizer = train_tokenizer()
    assert tokenizer.get_vocab_size() < AUDIO_TOKEN_ID, "audio ids must stay outside the tokenizer"
    added = {t: tokenizer.token_to_id(t) for t in SPECIAL_TOKENS + THINK_TOKENS}
    config: dict = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": None, "bos_token": None,
                    "model_max_length": 131072, "clean_up_tokenization_spaces": False, "errors": "replace",
                    "split_special_tokens": False, "add_prefix_space": False}
    if layout in ("release", "moss_audio", "noclass"):
        tokenizer.model.save(str(folder))  # vocab.json + merges.txt, the added tokens not among them
        _write_json(folder / "added_tokens.json", added)
        config["added_tokens_decoder"] = {
            str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
                     "special": t in SPECIAL_TOKENS} for t, i in added.items()}
    if layout in ("moss_audio", "fast"):
        tokenizer.save(str(folder / "tokenizer.json"))
    if layout in ("release", "moss_audio"):
        config["tokenizer_class"] = "Qwen2Tokenizer"
    elif layout == "fast":
        config["tokenizer_class"] = "PreTrainedTokenizerFast"
    _write_json(folder / "tokenizer_config.json", config)
    return added


def build_tiny_checkpoint(folder: str | Path, *, layout: str = "fast", seed: int = 0, encoder_layers: int = 4,
                          decoder_layers: int = 3, thinking: bool = False, enable_time_marker: bool = True,
                          max_new_tokens: int | None = 16, dtype: str | None = None) -> Path:
    """Write a checkpoint in ``layout`` into ``folder`` (created) and return it.

    ``max_new_tokens`` goes into generation_config.json (None: no sampling fields, as the release) so
    random weights do not ramble for thousands of tokens in tests that run the real task budgets.
    ``thinking`` names the variant the way the files do: the model card's title."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    dtype = dtype or ("bfloat16" if layout in ("release", "moss_audio") else "float32")
    added = _write_tokenizer(folder, layout)
    im_end, endoftext = added["<|im_end|>"], added["<|endoftext|>"]
    (folder / "chat_template.jinja").write_text(CHAT_TEMPLATE, encoding="utf-8")

    config = tiny_config(encoder_layers, decoder_layers, layout=layout, dtype=dtype)
    config["language_config"]["eos_token_id"] = config["eos_token_id"] = im_end
    config["language_config"]["bos_token_id"] = config["bos_token_id"] = endoftext
    _write_json(folder / "config.json", config)
    family = "MOSS-Audio" if layout == "moss_audio" else "MOSS-Music"
    (folder / "README.md").write_text(
        f"---\nlicense: apache-2.0\nlibrary_name: transformers\n---\n\n# {family}-8B-{'Thinking' if thinking else 'Instruct'}"
        "\n\nA tiny random test checkpoint in the released layout.\n", encoding="utf-8")
    audio_ids = {"audio_token_id": AUDIO_TOKEN_ID, "audio_start_id": AUDIO_START_ID, "audio_end_id": AUDIO_END_ID}
    if layout == "moss_audio":
        _write_json(folder / "processor_config.json", {
            "processor_class": "MossAudioProcessor",
            "auto_map": {"AutoProcessor": "processing_moss_audio.MossAudioProcessor"},
            "mel_config": {"mel_sr": 16000, "mel_dim": 128, "mel_n_fft": 400, "mel_hop_length": 160,
                           "mel_dtype": "bfloat16", "use_whisper_feature_extractor": True},
            "enable_time_marker": enable_time_marker, **audio_ids,
        })
    else:
        _write_json(folder / "preprocessor_config.json", {
            "feature_extractor_type": "WhisperFeatureExtractor", "feature_size": 128, "hop_length": 160,
            "n_fft": 400, "sampling_rate": 16000, "padding_value": 0.0, "return_attention_mask": True,
            "processor_class": f"{family.replace('-', '')}Processor", "enable_time_marker": enable_time_marker,
            **audio_ids,
        })
    generation = {"bos_token_id": endoftext, "eos_token_id": [im_end, endoftext], "pad_token_id": endoftext,
                  "transformers_version": "4.57.1"}
    if max_new_tokens is not None:
        generation.update(do_sample=True, temperature=1.0, top_p=0.8, top_k=50, max_new_tokens=max_new_tokens)
    _write_json(folder / "generation_config.json", generation)
    for name in ("configuration_moss_music.py", "processing_moss_music.py", "modeling_moss_music.py"):
        (folder / name).write_text(REMOTE_CODE, encoding="utf-8")

    shapes = release_tensor_shapes(config)
    tensors = random_weights(shapes, seed)
    if layout in ("release", "moss_audio"):
        tensors[EXTRA_BUFFER] = inv_timescales(config["audio_config"]["d_model"])
    torch_dtype = getattr(torch, dtype)
    shards = {"release": 4, "moss_audio": 3}.get(layout, 2)
    _save_shards({k: v.to(torch_dtype) for k, v in tensors.items()}, folder, shards)
    return folder


def _save_shards(state: dict[str, torch.Tensor], folder: Path, count: int) -> None:
    """Split like save_pretrained's size-based sharding: names in sorted order, roughly equal bytes per shard."""
    names = sorted(state)
    total = sum(state[n].numel() * state[n].element_size() for n in names)
    weight_map, shard, filled = {}, 1, 0
    groups: dict[int, dict[str, torch.Tensor]] = {}
    for name in names:
        size = state[name].numel() * state[name].element_size()
        if filled >= total * shard / count and shard < count:
            shard += 1
        groups.setdefault(shard, {})[name] = state[name].contiguous()
        filled += size
    count = len(groups)
    for index, tensors in groups.items():
        file_name = f"model-{index:05d}-of-{count:05d}.safetensors"
        save_file(tensors, str(folder / file_name), metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(tensors, file_name))
    _write_json(folder / "model.safetensors.index.json", {"metadata": {"total_size": total}, "weight_map": weight_map})


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")

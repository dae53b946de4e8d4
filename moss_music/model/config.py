"""``config.json`` of a MOSS-Music / MOSS-Audio checkpoint, read with the released key names.

The checkpoints ship their own remote-code config class; we never run it. These
classes read the same keys (unknown ones are kept as plain attributes and
ignored) with the documented defaults, so a real folder and our tiny test
folders load through one path.
"""

from __future__ import annotations

from typing import Any

from transformers import PreTrainedConfig, Qwen3Config

_MIRRORED_KEYS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                  "head_dim", "max_position_embeddings", "rms_norm_eps", "bos_token_id", "eos_token_id",
                  "intermediate_size", "rope_theta", "rope_scaling", "sliding_window", "use_sliding_window",
                  "max_window_layers", "attention_bias", "attention_dropout", "hidden_act", "initializer_range")
"""Top-level copies of the text config some exports write; the ``language_config`` is the one that counts."""


class MossAudioEncoderConfig(PreTrainedConfig):
    """The Whisper-style audio encoder (``audio_config`` in config.json)."""

    model_type = "moss_music_audio_encoder"
    attribute_map = {"hidden_size": "d_model", "num_hidden_layers": "encoder_layers"}

    d_model: int = 1280
    output_dim: int = 1280
    num_mel_bins: int = 128
    encoder_layers: int = 32
    encoder_attention_heads: int = 20
    encoder_ffn_dim: int = 5120
    downsample_hidden_size: int = 480
    max_source_positions: int = 1500
    activation_function: str = "gelu"
    layer_norm_eps: float = 1e-5
    n_window: int = 200
    conv_chunksize: int = 64
    deepstack_encoder_layer_indexes: list[int] | None = None
    has_out_proj: bool | None = None
    """None: an ``out_proj`` exists exactly when output_dim != d_model. The loader sets it from the weight names
    so a checkpoint that stores a square out_proj still loads."""

    def __post_init__(self, **kwargs: Any) -> None:
        if self.deepstack_encoder_layer_indexes is None:
            self.deepstack_encoder_layer_indexes = [8, 16, 24]
        kwargs.pop("model_type", None)  # released audio_config dumps carry their own type name
        super().__post_init__(**kwargs)

    @property
    def uses_out_proj(self) -> bool:
        return self.has_out_proj if self.has_out_proj is not None else self.output_dim != self.d_model

    @property
    def chunk_frames(self) -> int:
        """Mel frames per encoder chunk: attention never crosses a chunk boundary."""
        return 2 * self.n_window


class MossMusicConfig(PreTrainedConfig):
    """Top-level config: audio encoder + gated-MLP adapter + DeepStack + a Qwen3 decoder."""

    model_type = "moss_music"
    sub_configs_defaults = {"audio_config": MossAudioEncoderConfig, "language_config": Qwen3Config}

    audio_config: dict | MossAudioEncoderConfig | None = None
    language_config: dict | Qwen3Config | None = None
    adapter_hidden_size: int = 8192
    deepstack_num_inject_layers: int | None = None
    tie_word_embeddings: bool = False
    ignore_index: int = -100
    audio_token_id: int = 151654
    """Placeholder id the audio features replace; the loader takes it from processor_config.json."""

    def __post_init__(self, **kwargs: Any) -> None:
        # "moss_music" or "moss_audio": same architecture; remember which one the folder said.
        self.checkpoint_model_type = str(kwargs.pop("model_type", self.model_type))
        # Some exports mirror decoder sizes at the top level; the language_config is the one that counts.
        for key in _MIRRORED_KEYS:
            kwargs.pop(key, None)
        super().__post_init__(**kwargs)
        self.tie_word_embeddings = False  # the released LM head is its own matrix
        for key in _MIRRORED_KEYS:
            if hasattr(self.language_config, key):
                setattr(self, key, getattr(self.language_config, key))

    @property
    def num_deepstack_features(self) -> int:
        """How many encoder taps get a merger and are injected (after decoder layers 0..k-1)."""
        count = len(self.audio_config.deepstack_encoder_layer_indexes or [])
        if self.deepstack_num_inject_layers is not None:
            count = min(count, int(self.deepstack_num_inject_layers))
        return count

    def get_text_config(self, decoder: bool | None = None, encoder: bool | None = None) -> Qwen3Config:
        return self.language_config

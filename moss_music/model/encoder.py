"""The audio encoder: Conv2d stem + Whisper-style pre-LN layers, run on 4-second chunks.

Attention never crosses a chunk, so cost and memory grow linearly with the
song. Two details reproduce how the released model was trained and served:
positions restart at 0 in every chunk, and when a song has more than one
chunk every chunk (the short tail included) is zero-padded to the longest
chunk *before* the conv stem, then trimmed to its valid length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from moss_music.model.config import MossAudioEncoderConfig
from moss_music.model.features import audio_token_count


@dataclass
class EncoderOutput:
    features: torch.Tensor
    """[total audio tokens, output_dim]: all items' valid tokens, concatenated in order."""
    deepstack: list[torch.Tensor]
    """One [total audio tokens, output_dim] tensor per DeepStack tap (before the final LayerNorm)."""
    token_counts: list[int]
    """Audio tokens per input item."""


def sinusoidal_positions(length: int, channels: int, device: torch.device) -> torch.Tensor:
    """[length, channels]: sin for the first half of the channels, cos for the second, computed not stored."""
    half = channels // 2
    inv = torch.exp(-math.log(10000.0) / (half - 1) * torch.arange(half, device=device, dtype=torch.float32))
    angles = torch.arange(length, device=device, dtype=torch.float32)[:, None] * inv[None, :]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


ACTIVATIONS = {
    "gelu": F.gelu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
}
"""Whisper-family names for activation_function; the release uses "gelu" (exact erf GELU)."""


def activation(name: str):
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"audio_config.activation_function {name!r} is not one of {', '.join(ACTIVATIONS)}") from None


class EncoderAttention(nn.Module):
    def __init__(self, config: MossAudioEncoderConfig) -> None:
        super().__init__()
        self.num_heads = config.encoder_attention_heads
        self.head_dim = config.d_model // self.num_heads
        if self.head_dim * self.num_heads != config.d_model:
            raise ValueError(f"d_model {config.d_model} is not divisible by {self.num_heads} attention heads")
        self.q_proj = nn.Linear(config.d_model, config.d_model, bias=True)
        self.k_proj = nn.Linear(config.d_model, config.d_model, bias=False)
        self.v_proj = nn.Linear(config.d_model, config.d_model, bias=True)
        self.out_proj = nn.Linear(config.d_model, config.d_model, bias=True)

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.num_heads, self.head_dim).transpose(1, 2)

        out = F.scaled_dot_product_attention(
            heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x)),
            attn_mask=key_mask[:, None, None, :], scale=self.head_dim**-0.5,
        )
        return self.out_proj(out.transpose(1, 2).reshape(batch, length, -1))


class EncoderLayer(nn.Module):
    """Pre-LayerNorm Whisper encoder layer."""

    def __init__(self, config: MossAudioEncoderConfig) -> None:
        super().__init__()
        self.self_attn = EncoderAttention(config)
        self.self_attn_layer_norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.fc1 = nn.Linear(config.d_model, config.encoder_ffn_dim)
        self.fc2 = nn.Linear(config.encoder_ffn_dim, config.d_model)
        self.final_layer_norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.activation = activation(config.activation_function)

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attn(self.self_attn_layer_norm(x), key_mask)
        x = x + self.fc2(self.activation(self.fc1(self.final_layer_norm(x))))
        if x.dtype == torch.float16:
            # The reference layer clamps here too: fp16 residuals of 32 layers can pass 65504 and turn inf.
            limit = torch.finfo(torch.float16).max - 1000
            x = x.clamp(min=-limit, max=limit)
        return x


class MossAudioEncoder(nn.Module):
    def __init__(self, config: MossAudioEncoderConfig) -> None:
        super().__init__()
        self.config = config
        channels = config.downsample_hidden_size
        self.conv1 = nn.Conv2d(1, channels, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(channels, channels, kernel_size=3, stride=2, padding=1)
        freq_after_stem = audio_token_count(config.num_mel_bins)
        self.stem_proj = nn.Linear(channels * freq_after_stem, config.d_model)
        self.layers = nn.ModuleList(EncoderLayer(config) for _ in range(config.encoder_layers))
        self.layer_norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.out_proj = (
            nn.Linear(config.d_model, config.output_dim, bias=False) if config.uses_out_proj else nn.Identity()
        )

    def forward(self, mel: torch.Tensor, mel_lengths: torch.Tensor | list[int] | None = None,
                num_deepstack: int | None = None, chunk_batch: int | None = None) -> EncoderOutput:
        """Encode ``mel`` [n_mels, T] or [B, n_mels, T] (valid lengths in ``mel_lengths``)."""
        if mel.dim() == 2:
            mel = mel[None]
        lengths = [mel.shape[-1]] * mel.shape[0] if mel_lengths is None else [int(n) for n in mel_lengths]
        taps = list(self.config.deepstack_encoder_layer_indexes or [])
        taps = taps[: num_deepstack if num_deepstack is not None else len(taps)]

        chunks = self._split_chunks(mel, lengths)
        chunk_frames = [c.shape[-1] for c in chunks]
        valid_tokens = [audio_token_count(n) for n in chunk_frames]
        outputs: list[torch.Tensor] = []
        tap_outputs: list[list[torch.Tensor]] = [[] for _ in taps]
        longest = max(chunk_frames)
        per_batch = max(1, chunk_batch or self.config.conv_chunksize)
        for start in range(0, len(chunks), per_batch):
            batch_chunks = chunks[start : start + per_batch]
            batch_valid = valid_tokens[start : start + per_batch]
            padded = torch.stack([F.pad(c, (0, longest - c.shape[-1])) for c in batch_chunks])
            hidden, taps_hidden = self._encode_chunks(padded, batch_valid, taps)
            for row, n in enumerate(batch_valid):
                outputs.append(hidden[row, :n])
                for k, tap in enumerate(taps_hidden):
                    tap_outputs[k].append(tap[row, :n])

        token_counts = [audio_token_count(n) for n in lengths]
        return EncoderOutput(
            features=torch.cat(outputs),
            deepstack=[torch.cat(parts) for parts in tap_outputs],
            token_counts=token_counts,
        )

    def _split_chunks(self, mel: torch.Tensor, lengths: list[int]) -> list[torch.Tensor]:
        size = self.config.chunk_frames
        chunks: list[torch.Tensor] = []
        for item, length in zip(mel, lengths):
            if length <= 0:
                raise ValueError("an audio item has no mel frames")
            chunks.extend(item[:, :length].split(size, dim=-1))
        return chunks

    def _encode_chunks(self, chunks: torch.Tensor, valid: list[int],
                       taps: list[int]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """chunks: [B, n_mels, frames] (zero-padded) -> ([B, tokens, out], taps [B, tokens, out])."""
        x = chunks.to(self.conv1.weight.dtype)[:, None]
        x = F.gelu(self.conv1(x))
        x = F.gelu(self.conv2(x))
        x = F.gelu(self.conv3(x))  # [B, C, F', T']
        x = x.permute(0, 3, 1, 2).flatten(2)  # [B, T', C * F'] channel-major
        x = self.stem_proj(x)
        x = x[:, : max(valid)]
        x = x + sinusoidal_positions(x.shape[1], x.shape[2], x.device).to(x.dtype)
        key_mask = torch.arange(x.shape[1], device=x.device)[None, :] < torch.tensor(valid, device=x.device)[:, None]
        captured: dict[int, torch.Tensor] = {}
        for index, layer in enumerate(self.layers):
            x = layer(x, key_mask)
            if index in taps:
                captured[index] = x
        x = self.out_proj(self.layer_norm(x))
        return x, [self.out_proj(captured[index]) for index in taps]

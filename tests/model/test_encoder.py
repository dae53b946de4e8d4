"""The chunked encoder: 4-second chunks, padded tail, no attention across chunks, DeepStack taps."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from moss_music.model.features import audio_token_count, log_mel
from tests.model.conftest import noise


@pytest.fixture(scope="module")
def encoder(tiny):
    return tiny.model.audio_encoder


@pytest.mark.parametrize(("seconds", "chunks"), [(3.0, 1), (6.5, 2), (10.0, 3)])
def test_token_count_for_one_two_and_three_chunks(encoder, seconds, chunks):
    mel = torch.from_numpy(log_mel(noise(seconds)))
    assert len(encoder._split_chunks(mel[None], [mel.shape[-1]])) == chunks
    with torch.inference_mode():
        out = encoder(mel, num_deepstack=3)
    assert out.features.shape == (audio_token_count(mel.shape[-1]), encoder.config.output_dim)
    assert [d.shape for d in out.deepstack] == [out.features.shape] * 3


def test_each_chunk_is_encoded_alone_and_the_tail_is_zero_padded_first(encoder):
    mel = torch.from_numpy(log_mel(noise(6.5)))  # 400 + 250 frames
    with torch.inference_mode():
        whole = encoder(mel).features
        first = encoder(mel[:, :400]).features
        tail_padded = encoder._encode_chunks(F.pad(mel[:, 400:], (0, 150))[None], [32], [])[0][0]
        tail_alone = encoder(mel[:, 400:]).features
    assert torch.allclose(whole[:50], first, atol=1e-5)
    assert torch.allclose(whole[50:], tail_padded, atol=1e-5)
    assert not torch.allclose(whole[50:], tail_alone, atol=1e-5)  # padding before the stem matters


def test_attention_never_crosses_a_chunk(encoder):
    mel = torch.from_numpy(log_mel(noise(8.0)))
    changed = mel.clone()
    changed[:, 400:] = torch.flip(changed[:, 400:], dims=[1])  # a different second chunk
    with torch.inference_mode():
        a = encoder(mel).features
        b = encoder(changed).features
    assert torch.equal(a[:50], b[:50])
    assert not torch.allclose(a[50:], b[50:])


def test_fp16_layers_clamp_instead_of_overflowing_like_the_reference(encoder):
    import copy

    layer = copy.deepcopy(encoder.layers[0]).half()
    with torch.no_grad():
        layer.fc2.bias.fill_(30000.0)  # two residual additions past fp16's 65504
        x = torch.full((1, 4, encoder.config.d_model), 40000.0, dtype=torch.float16)
        out = layer(x, torch.ones(1, 4, dtype=torch.bool))
    assert torch.isfinite(out).all() and out.max() == torch.finfo(torch.float16).max - 1000

"""The processor's input_ids, token for token: wrapping, placeholder expansion, time markers."""

from __future__ import annotations

import numpy as np
import pytest

from moss_music.model.features import audio_token_count, log_mel
from moss_music.model.processor import (
    AUDIO_PLACEHOLDER,
    MossMusicProcessor,
    ProcessorSettings,
    default_prompt,
)
from tests.model.conftest import noise
from tests.model.tiny_checkpoint import AUDIO_END_ID, AUDIO_START_ID, AUDIO_TOKEN_ID


@pytest.fixture(scope="module")
def processor(tiny_dir):
    return MossMusicProcessor.from_pretrained(tiny_dir)


def test_outputs_the_four_named_inputs(processor):
    batch = processor(text="What is this?", audio=noise(2.0))
    assert set(batch) == {"input_ids", "attention_mask", "audio_data", "audio_data_seqlens"}
    assert batch["audio_data"].shape == (1, 128, 200)
    assert batch["audio_data_seqlens"].tolist() == [200]
    assert batch["attention_mask"].shape == batch["input_ids"].shape


def test_mel_length_and_token_count_follow_the_conv_arithmetic():
    assert log_mel(noise(5.0)).shape == (128, 500)
    assert audio_token_count(500) == 63  # 500 -> 250 -> 125 -> 63
    assert audio_token_count(400) == 50
    assert audio_token_count(1) == 1


def test_plain_question_is_wrapped_in_the_default_chatml_prompt(processor):
    wav = noise(1.0)
    plain = processor(text="Name the instrument.", audio=wav)["input_ids"][0].tolist()
    explicit = processor(text=default_prompt("Name the instrument."), audio=wav)["input_ids"][0].tolist()
    assert plain == explicit
    before, after = default_prompt("Name the instrument.").split(AUDIO_PLACEHOLDER)
    n = audio_token_count(100)
    expected = (processor.encode_text(before) + [AUDIO_START_ID] + processor.audio_placeholder_ids(n)
                + [AUDIO_END_ID] + processor.encode_text(after))
    assert plain == expected
    assert processor.decode(plain[: len(processor.encode_text(before))]) == before


def test_text_with_a_placeholder_span_is_used_as_given(processor):
    text = f"<|im_start|>user\nListen: {AUDIO_PLACEHOLDER} then answer.<|im_end|>\n"
    ids = processor(text=text, audio=noise(1.0))["input_ids"][0].tolist()
    assert ids[: len(processor.encode_text("<|im_start|>user\nListen: "))] == processor.encode_text(
        "<|im_start|>user\nListen: ")
    assert processor.decode(ids).count("system") == 0


def test_time_markers_every_25_audio_tokens_hold_the_digits_of_even_seconds(processor):
    digits = processor.digit_token_ids
    assert digits["0"] == processor.tokenizer.convert_tokens_to_ids("0")  # looked up, not hard-coded
    ids = processor.audio_placeholder_ids(63)  # 5.0 s of audio
    a = AUDIO_TOKEN_ID
    assert ids == [a] * 25 + [digits["2"]] + [a] * 25 + [digits["4"]] + [a] * 13
    long_ids = processor.audio_placeholder_ids(int(12.5 * 24))  # 24 s: markers 2 .. 24
    markers = [i for i in long_ids if i != a]
    assert markers[-2:] == [digits["2"], digits["4"]]
    assert long_ids.count(a) == 300
    assert processor.decode([i for i in long_ids if i != a]) == "24681012141618202224"


def test_time_markers_can_be_switched_off(tiny_dir):
    plain = MossMusicProcessor.from_pretrained(tiny_dir, enable_time_marker=False)
    assert plain.audio_placeholder_ids(63) == [AUDIO_TOKEN_ID] * 63


def test_placeholder_count_must_match_audio_items(processor):
    with pytest.raises(ValueError, match="placeholder"):
        processor(text=f"{AUDIO_PLACEHOLDER}{AUDIO_PLACEHOLDER}", audio=[noise(1.0)])


def test_too_short_audio_is_a_clear_error(processor):
    with pytest.raises(ValueError, match="too short"):
        processor(text="hi", audio=np.zeros(10, dtype=np.float32))


def test_documented_defaults_apply_without_processor_config():
    settings = ProcessorSettings.from_dict({})
    assert (settings.audio_token_id, settings.audio_start_id, settings.audio_end_id) == (151654, 151669, 151670)
    assert settings.mel.num_mel_bins == 128 and settings.mel.hop_length == 160 and settings.mel.n_fft == 400

"""The transformers-style model: forward, generate, DeepStack only in the prefill."""

from __future__ import annotations

import torch

from tests.model.conftest import noise


def test_forward_gives_logits_over_the_vocabulary(tiny):
    inputs = tiny.processor(text="Describe this.", audio=noise(2.0))
    logits = tiny.model(**inputs).logits
    assert logits.shape == (1, inputs["input_ids"].shape[1], tiny.model.config.language_config.vocab_size)


def test_generate_continues_the_prompt(tiny):
    inputs = tiny.processor(text="Describe this.", audio=noise(2.0))
    out = tiny.model.generate(**inputs, max_new_tokens=4, min_new_tokens=4, do_sample=False)
    assert out.shape[1] == inputs["input_ids"].shape[1] + 4
    # greedy generation with a cache equals argmax of a full forward over the same tokens
    first = int(tiny.model(**inputs).logits[0, -1].argmax())
    assert int(out[0, inputs["input_ids"].shape[1]]) == first


def test_deepstack_is_injected_in_the_prefill_only(tiny):
    model = tiny.model
    seen: list[bool] = []
    handle = model.language_model.layers[0].register_forward_hook(
        lambda module, args, output: seen.append(model._injection is not None))
    try:
        inputs = tiny.processor(text="Describe this.", audio=noise(2.0))
        model.generate(**inputs, max_new_tokens=3, min_new_tokens=3, do_sample=False)
    finally:
        handle.remove()
    assert seen == [True, False, False]


def test_deepstack_changes_the_audio_positions(tiny):
    model = tiny.model
    inputs = tiny.processor(text="Describe this.", audio=noise(2.0))
    with torch.inference_mode():
        with_deepstack = model(**inputs).logits
        saved = [m.down_proj.weight.clone() for m in model.deepstack_audio_merger_list]
        for merger in model.deepstack_audio_merger_list:
            merger.down_proj.weight.zero_()
        try:
            without = model(**inputs).logits
        finally:
            for merger, weight in zip(model.deepstack_audio_merger_list, saved):
                merger.down_proj.weight.copy_(weight)
    assert not torch.allclose(with_deepstack, without)
    first_audio = int((inputs["input_ids"][0] == model.config.audio_token_id).nonzero()[0])
    assert torch.allclose(with_deepstack[0, :first_audio], without[0, :first_audio])  # causal: text before audio


def test_audio_count_mismatch_is_explained(tiny):
    inputs = tiny.processor(text="Describe this.", audio=noise(2.0))
    ids = inputs["input_ids"].clone()
    ids[0, (ids[0] == tiny.model.config.audio_token_id).nonzero()[0]] = 5
    try:
        tiny.model(input_ids=ids, audio_data=inputs["audio_data"], audio_data_seqlens=inputs["audio_data_seqlens"])
    except ValueError as error:
        assert "placeholder" in str(error)
    else:
        raise AssertionError("a prompt with one audio token too few must be refused")

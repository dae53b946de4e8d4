"""Fixtures for the model tests: one tiny checkpoint per session, loaded once, single-threaded torch.

Torch's intra-op threads fight over the two CI cores when other suites run;
one thread makes the tiny model's many small matmuls much faster.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.model.tiny_checkpoint import build_tiny_checkpoint


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    """The release layout (bf16 shards with the extra buffer, vocab/merges tokenizer), answers capped at 16 tokens."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "MOSS-Music-tiny-Instruct", layout="release")


@pytest.fixture(scope="session")
def tiny(tiny_dir):
    from moss_music.model.loader import get_resident

    return get_resident(tiny_dir, device="cpu", dtype="float32")


def noise(seconds: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * 16000)) * 0.1).astype(np.float32)

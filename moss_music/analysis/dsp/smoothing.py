"""Tiny numeric helpers kept in numpy so the analyzer imports no scipy submodules (seconds on a cold start)."""

from __future__ import annotations

import numpy as np


def moving_average(x: np.ndarray, size: int, axis: int = 0) -> np.ndarray:
    """Centred running mean of odd width ``size`` along ``axis``, edges padded with the edge value."""
    if size <= 1 or x.shape[axis] == 0:
        return x.astype(np.float64, copy=True)
    half = size // 2
    moved = np.moveaxis(x, axis, 0).astype(np.float64)
    padded = np.concatenate([np.repeat(moved[:1], half, axis=0), moved, np.repeat(moved[-1:], half, axis=0)])
    csum = np.concatenate([np.zeros((1,) + moved.shape[1:]), np.cumsum(padded, axis=0)])
    out = (csum[size:] - csum[:-size]) / size
    return np.moveaxis(out, 0, axis)


def dct_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Orthonormal DCT-II basis (n_out × n_in): mel bands to cepstral coefficients."""
    k = np.arange(n_out)[:, None]
    i = np.arange(n_in)[None, :]
    basis = np.cos(np.pi * k * (2 * i + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[0] /= np.sqrt(2.0)
    return basis

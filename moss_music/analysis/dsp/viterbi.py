"""Viterbi decoding in plain numpy (librosa's is numba-compiled, which costs seconds on a cold start)."""

from __future__ import annotations

import numpy as np


def viterbi(log_emit: np.ndarray, log_trans: np.ndarray, log_prior: np.ndarray, tick=None) -> np.ndarray:
    """Most likely state path for a small dense HMM; log_emit is (T, S)."""
    n, s = log_emit.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    back = np.zeros((n, s), dtype=np.int64)
    delta = log_prior + log_emit[0]
    for t in range(1, n):
        cand = delta[:, None] + log_trans
        back[t] = np.argmax(cand, axis=0)
        delta = cand[back[t], np.arange(s)] + log_emit[t]
        if tick is not None and t % 256 == 0:
            tick(t / n)
    return _backtrack(back, int(np.argmax(delta)))


def viterbi_sticky(log_emit: np.ndarray, log_stay: np.ndarray, log_change: np.ndarray,
                   log_entry: np.ndarray, tick=None) -> np.ndarray:
    """Viterbi for 'stay or jump anywhere' chains in O(T·S) instead of O(T·S²).

    At step t a state either continues (log_stay[t]) or is entered from the best state of the previous
    step (log_change[t] + log_entry[j]); that is the whole transition model of a chord sequence whose
    changes are more likely on some beats than others.
    """
    n, s = log_emit.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    back = np.zeros((n, s), dtype=np.int16 if s < 2**15 else np.int64)  # small: hours of beats x states
    delta = log_entry + log_emit[0]
    states = np.arange(s)
    for t in range(1, n):
        best = int(np.argmax(delta))
        stay = delta + log_stay[t]
        jump = delta[best] + log_change[t] + log_entry
        take_jump = jump > stay
        back[t] = np.where(take_jump, best, states)
        delta = np.where(take_jump, jump, stay) + log_emit[t]
        if tick is not None and t % 256 == 0:
            tick(t / n)
    return _backtrack(back, int(np.argmax(delta)))


def viterbi_onsets(onset: np.ndarray, held: np.ndarray, log_stay: np.ndarray, log_change: np.ndarray,
                   log_entry: np.ndarray, tick=None) -> np.ndarray:
    """Viterbi over (chord, first beat) and (chord, held beat) states, with ``viterbi_sticky``'s transitions.

    A chord is entered on its first beat (emission ``onset``, from the best state of the previous beat) and
    continues on held beats (emission ``held``). Per beat the best predecessor of every first beat is one
    state, so the back-pointers are one integer per beat plus one flag per held state. ``onset`` and
    ``held`` are overwritten (the entry and stay terms are added in place: no extra copy of either)."""
    n, s = onset.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    onset += log_entry.astype(np.float32)
    held += log_stay.astype(np.float32)[:, None]
    first = onset[0].astype(np.float64)
    cont = np.full(s, -np.inf)
    back_first = np.zeros(n, dtype=np.int64)  # best previous state: i < s a first beat, s + i a held beat
    from_first = np.zeros((n, s), dtype=bool)
    for t in range(1, n):
        bf, bc = int(np.argmax(first)), int(np.argmax(cont))
        best, back_first[t] = (first[bf], bf) if first[bf] >= cont[bc] else (cont[bc], s + bc)
        np.greater_equal(first, cont, out=from_first[t])
        np.maximum(first, cont, out=cont)
        cont += held[t]
        np.add(onset[t], best + log_change[t], out=first)
        if tick is not None and t % 256 == 0:
            tick(t / n)
    bf, bc = int(np.argmax(first)), int(np.argmax(cont))
    current = bf if first[bf] >= cont[bc] else s + bc
    path = np.zeros(n, dtype=np.int64)
    for t in range(n - 1, -1, -1):
        path[t] = current % s
        if t > 0:
            current = int(back_first[t]) if current < s else (path[t] if from_first[t, path[t]] else s + path[t])
    return path


def _backtrack(back: np.ndarray, last: int) -> np.ndarray:
    path = np.zeros(len(back), dtype=np.int64)
    path[-1] = last
    for t in range(len(back) - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path

# gst-prune
# Copyright (C) 2026 gst-prune developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Audio reading and spectra shared by the evaluation scripts
(beat-errors.py, downbeat-check.py). Needs python3-numpy."""

import wave

import numpy as np


def read_wav_mono(path):
    with wave.open(path) as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is read")
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        x = x.astype(np.float32) / 32768.0
        return x.reshape(-1, w.getnchannels()).mean(axis=1), w.getframerate()


def magnitude_blocks(x, n, hop, frames, block):
    """Hann-windowed FFT magnitudes (scaled to the sine amplitude) of
    frames 0..@frames-1 of @x (@n samples, @hop apart), @block frames at
    a time: bounded memory on long files. Yields (first frame, mags)."""
    win = np.hanning(n)
    for a in range(0, frames, block):
        b = min(frames, a + block)
        idx = np.arange(n)[None, :] + hop * np.arange(a, b)[:, None]
        yield a, np.abs(np.fft.rfft(x[idx] * win, axis=1)) * 4.0 / n


def pitch_class_profiles(x, rate):
    """Log-compressed pitch-class profiles (12 per frame, 250 Hz-2.7 kHz)
    in frames of 11 Hz bins or finer; returns (profiles, hop in samples).
    Frame i covers samples i * hop .. i * hop + 8 * hop."""
    n = 1 << int(np.ceil(np.log2(rate / 11.0)))
    hop = n // 8
    frames = max(0, (len(x) - n) // hop)
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    band = (freqs >= 250) & (freqs <= 2700)
    pitch = np.round(12 * np.log2(freqs[band] / 440.0)).astype(int) % 12
    onehot = (pitch[:, None] == np.arange(12)[None, :]).astype(np.float64)
    chroma = np.zeros((frames, 12))
    for a, mag in magnitude_blocks(x, n, hop, frames, 256):
        chroma[a:a + len(mag)] = np.log1p(30.0 * mag[:, band]) @ onehot
    return chroma, hop

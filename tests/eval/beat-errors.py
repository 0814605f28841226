#!/usr/bin/python3
# gst-prune
# Copyright (C) 2026 gst-prune developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Say why a beat list misses its reference, piece by piece.

Usage: beat-errors.py REF_DIR EST_DIR [EST_DIR2 ...]

REF_DIR holds STEM.wav and STEM.beats (as rendered by
../shared/tools/render_openmsx.sh), each EST_DIR one STEM.txt per piece (one
beat time per line). For every piece and every estimate it prints:

  level   the estimate's tempo over the reference's (median inter-beat
          intervals after 5 s), named as the nearest metrical relative
          (1, 2, 1/2, 3/2, 2/3, 4/3, 3/4, 3, 1/3) when within 4 %;
  phase   where the estimated beats fall in the reference beat (after 5 s):
          share on the beat (within 1/8 of a beat), on the half (3/8..5/8),
          on a swung or dotted position (5/8..7/8 or 1/8..3/8);

and once per piece, from the audio alone (no tracker involved):

  on/half the mean onset strength (positive spectral flux, 30 Hz-2.7 kHz)
          on the reference's beats over that on its half beats;
  peak    the position in the beat (twelfths: 0 = on the beat, 6 = half
          beat, 8 = a swung eighth) where the audio's onsets are strongest
          on average. Off 0, the audio's strongest onsets lie between the
          annotated beats: a tracker that follows the audio lands there;
  harm 3/4 how well the harmony repeats after 3 and after 4 reference
          beats: the autocorrelation (over its zero lag) of a chord-change
          curve (one minus the cosine of the pitch-class profiles, 250 Hz-
          2.7 kHz, of the half beats before and after each instant). A
          piece whose chords change every 3 beats and never after 4 has
          its harmonic bar at 3 beats, which 4 periods of 3/4 of a beat
          fill as well as 3 beats do.

Needs python3-numpy. Exit status 0, 1 on a usage or read error.
"""

import glob
import os
import sys
import wave

import numpy as np

from evalaudio import magnitude_blocks, pitch_class_profiles, read_wav_mono

RELATIVES = [(1.0, "1"), (2.0, "2"), (0.5, "1/2"), (1.5, "3/2"),
             (2.0 / 3.0, "2/3"), (4.0 / 3.0, "4/3"), (0.75, "3/4"),
             (3.0, "3"), (1.0 / 3.0, "1/3")]
TRIM = 5.0


def read_times(path):
    rows = [l.split() for l in open(path) if l.strip() and not l.startswith("#")]
    return np.array(sorted(float(r[0]) for r in rows))


def onset_strength(x, rate):
    """Positive log-spectral flux over 30 Hz-2.7 kHz, running mean
    removed; returns (times of frame centres, strength)."""
    n, hop = 1024, 256
    frames = (len(x) - n) // hop
    if frames < 2:
        return np.zeros(0), np.zeros(0)
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    band = (freqs >= 30) & (freqs <= 2700)
    flux = np.zeros(frames - 1)
    prev = None
    for a, mag in magnitude_blocks(x, n, hop, frames, 4096):
        logm = np.log1p(30.0 * mag[:, band])
        if prev is not None:  # the block's first frame against the last
            logm = np.vstack([prev, logm])
        d = np.maximum(logm[1:] - logm[:-1], 0.0).mean(axis=1)
        flux[a - (prev is not None):a - (prev is not None) + len(d)] = d
        prev = logm[-1:]
    # half-wave rectified against a running mean (0.5 s)
    a = 1.0 - np.exp(-1.0 / (0.5 * rate / hop))
    mean = np.zeros_like(flux)
    acc = 0.0
    for i, v in enumerate(flux):
        mean[i] = acc
        acc += a * (v - acc)
    times = (np.arange(1, frames) * hop + n / 2) / rate
    return times, np.maximum(flux - mean, 0.0)


def beat_phase(times, ref):
    """Phase (0..1) of each time within its reference beat; NaN outside."""
    k = np.searchsorted(ref, times) - 1
    ok = (k >= 0) & (k < len(ref) - 1)
    ph = np.full(len(times), np.nan)
    ph[ok] = (times[ok] - ref[k[ok]]) / (ref[k[ok] + 1] - ref[k[ok]])
    return ph


def level_name(ref, est):
    r, e = ref[ref >= TRIM], est[est >= TRIM]
    if len(r) < 3 or len(e) < 3:
        return "-"
    ratio = np.median(np.diff(r)) / np.median(np.diff(e))
    for value, name in RELATIVES:
        if abs(ratio / value - 1.0) <= 0.04:
            return name
    return "%.2f" % ratio


def phase_shares(ref, est):
    ph = beat_phase(est[est >= TRIM], ref)
    ph = ph[~np.isnan(ph)]
    if len(ph) == 0:
        return None
    on = np.mean((ph < 0.125) | (ph >= 0.875))
    half = np.mean((ph >= 0.375) & (ph < 0.625))
    return on, half, max(0.0, 1.0 - on - half)


def audio_profile(wav, ref):
    """(on/half ratio, strongest twelfth of the beat, chord-change
    autocorrelation at 3 and 4 beats) of the audio on the reference."""
    x, rate = read_wav_mono(wav)
    harm = chord_change_ac(x, rate, ref)
    t, o = onset_strength(x, rate)
    ph = beat_phase(t, ref)
    keep = (t >= TRIM) & ~np.isnan(ph)
    bins = np.round(np.nan_to_num(ph) * 12).astype(int) % 12
    prof = np.array([o[keep & (bins == b)].mean() if (keep & (bins == b)).any()
                     else 0.0 for b in range(12)])
    if prof[6] <= 0.0:
        return float("nan"), -1, harm
    return prof[0] / prof[6], int(np.argmax(prof)), harm


def chord_change_ac(x, rate, ref, beats=(3, 4)):
    """Autocorrelation of the chord-change curve at @beats reference
    beats (median inter-beat interval), each over the zero lag."""
    chroma, hop = pitch_class_profiles(x, rate)
    frames = len(chroma)
    period = np.median(np.diff(ref)) * rate / hop if len(ref) > 2 else 0.0
    half = int(round(period / 2))
    if half < 1 or frames < 2 * half + max(beats) * period + 8:
        return [float("nan")] * len(beats)
    acc = np.vstack([np.zeros(12), np.cumsum(chroma, axis=0)])
    t = np.arange(half, frames - half + 1)
    before, after = acc[t] - acc[t - half], acc[t + half] - acc[t]
    norm = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
    change = 1.0 - (before * after).sum(axis=1) / np.maximum(norm, 1e-12)
    change -= change.mean()
    zero = (change * change).sum()
    out = []
    for k in beats:
        lag = int(round(k * period))
        out.append(max((change[:-(lag + d)] * change[lag + d:]).sum()
                       for d in range(-2, 3)) / max(zero, 1e-12))
    return out


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 1 if len(argv) < 3 else 0
    ref_dir, est_dirs = argv[1], argv[2:]
    refs = sorted(glob.glob(os.path.join(ref_dir, "*.beats")))
    if not refs:
        sys.stderr.write(f"beat-errors: no .beats files in {ref_dir}\n")
        return 1
    for d in est_dirs:
        if not os.path.isdir(d):
            sys.stderr.write(f"beat-errors: {d} is not a directory of beat lists\n")
            return 1
    head = "%-22s %7s %4s %11s" % ("clip", "on/half", "peak", "harm 3/4")
    for d in est_dirs:
        head += " | %-5s %17s" % ("level", "phase on/half/else")
    print(head)
    for ref_path in refs:
        stem = os.path.basename(ref_path)[:-len(".beats")]
        ref = read_times(ref_path)
        wav = os.path.join(ref_dir, stem + ".wav")
        try:
            ratio, peak, harm = (audio_profile(wav, ref)
                                 if os.path.exists(wav)
                                 else (float("nan"), -1, [float("nan")] * 2))
        except (OSError, ValueError, wave.Error) as e:
            sys.stderr.write(f"beat-errors: {e}\n")
            return 1
        line = "%-22s %7.2f %4s %5.2f %5.2f" % (stem[:22], ratio,
                                               peak if peak >= 0 else "-",
                                               harm[0], harm[1])
        for d in est_dirs:
            path = os.path.join(d, stem + ".txt")
            est = read_times(path) if os.path.exists(path) else np.zeros(0)
            shares = phase_shares(ref, est)
            cell = ("%3.0f%% %3.0f%% %3.0f%%" % tuple(100 * s for s in shares)
                    if shares else "(no beats)")
            line += " | %-5s %17s" % (level_name(ref, est), cell)
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

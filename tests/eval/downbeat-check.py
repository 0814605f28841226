#!/usr/bin/python3
# gst-prune
# Copyright (C) 2026 gst-prune developers
#
# This library is free software; you can redistribute it and/or
# modify it under the terms of the GNU Library General Public
# License as published by the Free Software Foundation; either
# version 2.1 of the License, or (at your option) any later version.
"""Could downbeats be found from what the beats carry? A check, not a tracker.

For each piece (NAME.wav beside NAME.beats, whose lines are "time position",
position 1 the first beat of a bar) the reference beats themselves are taken,
so that no beat error muddies the answer. Each beat gets two cues:

- bass: the largest rise of the log spectrum from 30 to 150 Hz within 30 ms
  of the beat (a kick or a bass note);
- chord change: how much the 12 pitch classes (250 Hz to 2.7 kHz, as
  beat-errors.py's "harm") of the beat after it differ from those of the
  beat before.

Over the whole piece (the first 240 s), the bar position (of 4, or of 3 when
the piece's bars have 3 beats) whose beats carry the most of each cue, and of
both (each over its mean, summed), is taken as the downbeat, and compared
with the annotated one. Prints one line per piece and the counts.

Usage: downbeat-check.py DIR [DIR ...]   (e.g. the beatdetect-eval.sh cache,
~/.cache/gst-prune/openmsx and openmsx-heldout). Exit status 77 when no DIR
holds a piece.
"""

import glob
import os
import sys

import numpy as np

from evalaudio import magnitude_blocks, pitch_class_profiles, read_wav_mono


def bass_rise(x, rate):
    """Largest rise of the log spectrum from 30 to 150 Hz, per frame of
    2048 samples 512 apart; returns (times of frame centres, rise)."""
    n, hop = 2048, 512
    frames = max(0, (len(x) - n) // hop)
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    low = (freqs >= 30) & (freqs < 150)
    logm = np.zeros((frames, int(low.sum())))
    for a, mag in magnitude_blocks(x, n, hop, frames, 4096):
        logm[a:a + len(mag)] = np.log1p(30.0 * mag[:, low])
    rise = np.concatenate([[0.0], np.maximum(0.0, np.diff(logm, axis=0)).mean(1)])
    return (np.arange(frames) * hop + n / 2) / rate, rise


def cues(x, rate, beats):
    times, rise = bass_rise(x, rate)
    w = int(0.03 * rate / 512)
    at = np.clip(np.searchsorted(times, beats), 0, len(rise) - 1)
    bass = np.array([rise[max(0, i - w):i + w + 1].max() for i in at])
    chroma, hop = pitch_class_profiles(x, rate)
    chroma /= chroma.sum(1, keepdims=True) + 1e-9
    # profile frame i is centred on (i + 4) * hop
    pos = np.clip(np.round(beats * rate / hop - 4).astype(int), 0, len(chroma) - 1)
    change = np.zeros(len(beats))
    for k in range(1, len(beats) - 1):
        before = chroma[pos[k - 1]:pos[k]].mean(0)
        after = chroma[pos[k]:pos[k + 1]].mean(0)
        change[k] = np.abs(before - after).sum()
    return bass, change


def main(dirs):
    rows = []
    for d in dirs:
        for wav in sorted(glob.glob(os.path.join(d, "*.wav"))):
            ref = wav[:-4] + ".beats"
            if not os.path.exists(ref):
                continue
            x, rate = read_wav_mono(wav)
            x = x[:rate * 240]
            table = np.loadtxt(ref, ndmin=2)
            if table.shape[1] < 2:
                continue
            keep = table[:, 0] < len(x) / rate - 1
            beats, pos = table[keep, 0], table[keep, 1].astype(int)
            meter = 3 if pos.max() == 3 else 4
            truth = int(np.where(pos == 1)[0][0]) % meter
            bass, change = cues(x, rate, beats)
            slot = np.arange(len(beats)) % meter
            b = np.array([bass[slot == r].mean() for r in range(meter)])
            c = np.array([change[slot == r].mean() for r in range(meter)])
            both = b / b.mean() + c / c.mean()
            picks = [int(b.argmax()), int(c.argmax()), int(both.argmax())]
            rows.append([p == truth for p in picks])
            print("%-26s %d beats to the bar: bass %s, chord change %s, both %s; "
                  "spread of both %.2f" % (
                      os.path.basename(wav)[:-4][:26], meter,
                      *("right" if p == truth else "wrong" for p in picks),
                      both.max() / both.mean()))
    if not rows:
        print("downbeat-check: no NAME.wav with NAME.beats in", " ".join(dirs))
        return 77
    right = np.array(rows).sum(0)
    print("annotated downbeat found: bass %d, chord change %d, both %d, of %d pieces"
          % (*right, len(rows)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if len(sys.argv) >= 2 else 2)
    sys.exit(main(sys.argv[1:]))

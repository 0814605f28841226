/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#pragma once

/**
 * SECTION:prune-beat
 * @title: Streaming beat and tempo tracker
 *
 * Finds beats in audio as it streams: pure analysis, no element, no
 * buffer handling (the beatdetect element converts samples to float and
 * turns the results into messages and events).
 *
 * 1. Input: interleaved float samples, any channel count, any rate from
 *    8 to 192 kHz. Channels are averaged to mono. The mono signal is
 *    brought to a fixed analysis rate of 11025 Hz: a box-car average over
 *    floor(rate / 11025) input samples (anti-alias filter and decimation
 *    in one), then linear interpolation onto the 11025 Hz grid. Every
 *    later step works on that grid, so every input rate gives the same
 *    beats (within a few ms), and all periods are kept in seconds.
 *    NaN and infinite samples are replaced by 0 and counted.
 * 2. Onset strength: every 128 analysis samples (11.6 ms, 86.13 frames a
 *    second) a 1024-point Hann-windowed FFT (gst-plugins-base FFT
 *    library), log-compressed magnitudes log(1 + 30 |X|) in 30 Hz–5 kHz,
 *    and the positive spectral flux against the previous frame, taken
 *    after a 3-bin maximum filter over the previous frame (so vibrato and
 *    slow glides do not count as onsets), averaged per band (30–200 Hz,
 *    200–1600 Hz, 1.6–5 kHz) and the bands weighed alike (bass onsets
 *    count as much as the many treble bins). The flux minus its running mean
 *    (time constant 0.5 s), half-wave rectified, is the onset strength;
 *    it is kept in a ring of about 4 periods of min-bpm plus 8 s.
 * 3. Tempo: an autocorrelation of the onset strength, updated at every
 *    frame with exponential forgetting (time constant 2.5 s), divided by
 *    the weight each lag has gathered so far (no bias to fast tempi in
 *    the first seconds). Every 4 frames each candidate period between
 *    60/max-bpm and 60/min-bpm is scored by the mean of a comb over its
 *    first four multiples, cut when its own lag is weak against that mean
 *    (a subdivision between clicks), times (bpm/preferred)^0.5 (evidence
 *    per second) and a log-Gaussian prior around `preferred_bpm` (std
 *    `prior_octaves` octaves). The winning
 *    period is refined to a fraction of a frame from the peak at its
 *    highest multiple in range. A new tempo replaces the current one only
 *    when it scores 10 % above it for 0.35 s running (hysteresis), unless it
 * lies within 4 % (drift, followed at once). Tempo confidence is the winner's
 *    autocorrelation above the baseline, over the zero-lag value.
 * 4. Phase: at every frame a comb of the current period is laid over the
 *    last 6 s of onset strength (recent beats weigh more) for every phase;
 *    the best phase gives the last beat and so the next one. The
 *    predicted next beat follows the best phase smoothly while it stays
 *    within 20 % of a period; a phase further away must win by 15 % for
 *    a whole beat before the tracker jumps to it.
 * 5. Lock: "searching" until the tempo confidence and the phase contrast
 *    (best over mean comb value) both pass their thresholds for 0.5 s;
 *    "locked" until they stay below the lower thresholds for 2 s; then
 *    "lost" (tempo and phase are kept, so a return of the same music
 *    locks again at once). A gap — digital silence (below -80 dBFS) longer
 *    than any silent stretch between recent onsets (a click track is
 *    silent between clicks) — neither updates the tempo nor unlocks: the
 *    phase runs on and no beat is reported in it. A beat predicted into
 *    silence waits up to 50 ms for its onset before it is dropped.
 * 6. Beats: causal mode (lookahead 0) announces a beat as soon as the
 *    analysed audio reaches its predicted time (predicted = TRUE: the
 *    onset that confirms it is not analysed yet). With a lookahead of D
 *    seconds a beat is held until D seconds of audio after it have been
 *    analysed, moved to the best-fitting position of a comb centred on
 *    it (past and future onsets) and reported then (predicted = FALSE
 *    once D covers the onset detector's delay of about 50 ms).
 *
 * Beat times are seconds since the first sample after configure() or
 * reset(). Downbeats are not estimated yet: `downbeat` is always FALSE.
 *
 * configure() allocates everything; process() allocates nothing as long
 * as @out has the capacity given by max_beats().
 */

#include <gst/prune/names.h>
#include <gst/prune/prune-prelude.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace prune {

struct BeatSettings {
  double min_bpm = 40.0;        /* slowest tempo reported, >= 20 */
  double max_bpm = 240.0;       /* fastest tempo reported, <= 400 */
  double preferred_bpm = 120.0; /* centre of the tempo prior */
  double prior_octaves = 1.0;   /* std of the prior, in octaves (> 0) */
  double lookahead = 0.0;       /* seconds of delay (0 = causal), <= 10 */
};

struct BeatInfo {
  double time = 0.0;       /* seconds since configure()/reset() */
  double bpm = 0.0;        /* tempo at this beat */
  double confidence = 0.0; /* 0..1 */
  uint64_t index = 0;      /* beats reported since configure()/reset() */
  bool downbeat = false;   /* first beat of a bar (not estimated yet) */
  LockState state = LockState::Searching;
  bool predicted = false; /* announced before its onset was analysed */
};

struct BeatStatus {
  double bpm = 0.0;        /* current tempo, 0 while none */
  double confidence = 0.0; /* 0..1 */
  LockState state = LockState::Searching;
  double time = 0.0;       /* seconds of input analysed */
  double next_beat = -1.0; /* predicted time of the next beat, -1: none */
  uint64_t beats = 0;      /* beats reported */
  uint64_t nonfinite = 0;  /* NaN/Inf samples replaced by 0 */
};

class GST_PRUNE_API BeatTracker {
public:
  static constexpr double kAnalysisRate = 11025.0;
  static constexpr int kHop = 128;
  static constexpr int kFftSize = 1024;

  BeatTracker ();
  ~BeatTracker ();
  BeatTracker (const BeatTracker &) = delete;
  BeatTracker &operator= (const BeatTracker &) = delete;

  /* Settings; take effect at the next configure() or reset(). Values out
   * of range are clamped. */
  void set_settings (const BeatSettings &settings);
  const BeatSettings &settings () const;

  /* Format of the samples to come: @rate Hz (8000..192000), @channels
   * (>= 1) interleaved. Allocates every buffer; forgets all state. Returns
   * false (and stays unconfigured) on a bad format. */
  bool configure (int rate, int channels);
  /* Forgets all learned state; times start again at 0. */
  void reset ();

  /* Analyses @frames frames of @channels interleaved samples and appends
   * the beats reported by this block to @out (in time order). Reserve
   * max_beats(@frames) in @out beforehand and nothing is allocated. */
  void process (const float *interleaved, size_t frames,
                std::vector<BeatInfo> &out);
  /* Most beats one process() call of @frames frames can append. */
  size_t max_beats (size_t frames) const;

  /* Current tempo, confidence, lock state, counters. */
  BeatStatus status () const;
  /* Delay between the audio and the beats reported for it, in seconds:
   * the lookahead (the element reports it in the LATENCY query). */
  double latency () const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace prune

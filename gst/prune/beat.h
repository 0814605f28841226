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
 *    8 to 192 kHz. NaN and infinite samples are replaced by 0 and counted,
 *    finite ones beyond +-16 (24 dB over full scale) are clipped there;
 *    the signal is brought to mono at a fixed analysis rate of 5512.5 Hz:
 *    a box-car average over floor(rate / 5512.5) input frames and every
 *    channel (mix, anti-alias filter and decimation in one pass over the
 *    interleaved samples), then linear interpolation onto the
 *    5512.5 Hz grid. Every later step works on that grid, so every input
 *    rate gives the same beats (within a few ms), and all periods are kept
 *    in seconds.
 * 2. Onset strength: every 64 analysis samples (11.6 ms, 86.13 frames a
 *    second) a 512-point Hann-windowed real FFT (gst-plugins-base FFT
 *    library; 10.8 Hz bins), log-compressed magnitudes log(1 + 30 |X|) in
 *    30 Hz–2.7 kHz, and the positive spectral flux against the previous
 *    frame, taken after a 3-bin maximum filter over the previous frame (so
 *    vibrato and slow glides do not count as onsets), averaged over the
 *    bins (each bin weighs alike: the many bins of chords and hi-hats
 *    count more than the few of the bass). The flux minus
 *    its running mean (time constant 0.5 s), half-wave rectified, is the
 *    onset strength; it is kept in a ring of about 4 periods of min-bpm
 *    plus 8 s (plus the lookahead), newest first and stored twice so that
 *    every span is contiguous (the loops below run on 4-float vectors).
 * 3. Tempo: an autocorrelation of the onset strength, updated at every
 *    frame with exponential forgetting (time constant 2.5 s), divided by
 *    the weight each lag has gathered so far (no bias to fast tempi in
 *    the first seconds). Every 4 frames each candidate period between
 *    60/max-bpm and 60/min-bpm is scored by the mean of a comb over its
 *    first four multiples, cut when its own lag is weak against that mean
 *    (a subdivision between clicks), times (bpm/preferred)^0.4 (evidence
 *    per second) and a log-Gaussian prior around `preferred_bpm` (std
 *    `prior_octaves` octaves). Of two periods 4:3 apart (the beat and
 *    the dotted eighth of 3+3+2 rhythms), one whose four periods
 *    autocorrelate less than 1/1.5 of the other's four loses its score in
 *    that ratio: four beats make the bar the music repeats, four dotted
 *    eighths make three beats. The winning period is refined to a
 *    fraction of a frame from the peak at its highest multiple in range.
 *    No tempo is chosen before the period of `preferred_bpm` can be
 *    scored (after about 1.5 s at 120 BPM): the faster tempi, scorable
 *    first, would otherwise win the first second by default.
 *    A new tempo replaces the current one only when it scores 10 % above
 *    it for 0.1 s running (hysteresis), unless it lies within 4 % (drift,
 *    followed at once). Tempo confidence is the winner's autocorrelation
 *    above the baseline, over the zero-lag value. Tempo steps: while
 *    locked, a second autocorrelation with a 1 s memory is scored the
 *    same way; when its winner (confidence >= 0.6) is no metrical
 *    relative of the tempo followed (not 2, 1/2, 3/2, 2/3, 3, 1/3, 4/3 or
 *    3/4 of it, within 4 %) and scores 1.5 times the tempo followed for
 *    0.25 s running, it becomes the tempo at once and replaces the long
 *    memory (a click track's 120 -> 140 BPM step is on the new grid from
 *    the 4th beat after it). While locked, a switch to a metrical
 *    relative (within 10 %) must also win in the tempo scores averaged
 *    over 20 s (each update's scores over its best): the level belongs
 *    to the piece, and a busy passage of eighth notes no longer doubles
 *    the tempo for as long as it lasts.
 * 4. Phase: at every frame a comb of the current period is laid over the
 *    last 12 s of onset strength (weights fall by 1/e every 6 s) for
 *    every phase; the best phase gives the last beat and so the next one
 *    (a long memory: a phase that only a few bars favour does not take
 *    over). The
 *    predicted next beat follows the best phase smoothly while it stays
 *    within 20 % of a period; a phase further away must win by 15 % for
 *    a whole beat before the tracker jumps to it (before the lock, a
 *    switch of tempo takes the new best phase at once); while locked, a jump to
 *    the other side of the beat (half a period away, within 15 %) must
 *    win by 4 times, and any other jump beyond a fifth of a period by
 *    2.5 times, from 2 s after a switch of tempo on (the off-beat, or a
 *    sixteenth before the beat, carries more onsets than the beat in
 *    whole passages of many pieces). With start_is_beat, for the first
 *    6 s (up to 8 s when the tempo switches in them, until it has
 *    settled) the phase of the strongest onset within 0.1 s of the
 *    entrance wins wherever the comb holds at least a quarter of its best
 *    value there (music mostly starts on a beat), and the side so taken
 *    is kept; the entrance is the first sound, or music coming in 20 dB
 *    over stationary noise before the first lock. Phase contrast is the
 *    best comb value over the mean (before the start's weight). Swing:
 *    when the comb has a second peak (at least a tenth of the first,
 *    above the mean) that follows the strongest phase by less than 0.4
 *    period, with nothing at the same distance before it, and that
 *    carries an onset in at least half of the comb's periods, the beat
 *    is that second peak: the beat is the phase a long interval follows
 *    (a swung or dotted eighth, often louder than the beat, lies 2/3 or
 *    3/4 of the way to the next one). Once settled, such a second peak
 *    away from the phase followed must win as any other jump.
 * 5. Lock: "searching" until, for 0.2 s running, the tempo winner agrees
 *    with the tempo followed (within 4 %) and either the tempo confidence
 *    is >= 0.3 with a phase contrast >= 4, or the confidence is >= 0.1
 *    with a contrast >= 10 (drums whose kick and snare alternate), or the
 *    confidence is >= 0.1 with a contrast >= 3 while the onsets stand out
 *    of the flux as no stationary noise does (RMS onset strength over mean
 *    flux >= 1.3 over ~2 s; white, pink and brown noise stay below 1.1,
 *    and then the contrast averaged over 2 s must be >= 4 too), after at
 *    least 1 s and 2.5 periods of audio, and always with the contrast
 *    averaged over 2 s at >= 3 (applause and speech, whose claps and
 *    syllables line up for a few periods now and then, average about
 *    2.5; music above 4); "locked" until the confidence stays below 0.1,
 *    the contrast below 2 or its average below 3 for 2 s; then "lost" (tempo
 *    and phase are kept, so a return of the same music locks again at
 *    once). White, brown and pink noise never pass this (the winner of
 *    noise wanders, and its rare high confidences come with a flat
 *    phase comb). A gap — digital silence (below -80 dBFS) longer than
 *    any silent stretch between recent onsets (a click track is silent
 *    between clicks) — neither updates the tempo nor unlocks: the phase
 *    runs on and no beat is reported in it. A beat predicted into silence
 *    waits up to 50 ms for its onset before it is dropped. Quiet — the
 *    onset strength over the last 0.5 s below 5 % of its level over 10 s,
 *    a level that holds still while quiet: the music stopped, a noise
 *    floor remains — reports no beat and counts against the lock as a
 *    low contrast does (clicks over a noise floor 50 dB down: the last
 *    beat within 1.5 s of the last click, "lost" 2 s later). Lost audio
 *    (process_lost()) is no gap: the analysis holds still through it
 *    and the beats of its first second are reported from the grid.
 * 6. Beats: causal mode (lookahead 0) announces a beat as soon as the
 *    analysed audio reaches its predicted time (predicted = TRUE: the
 *    onset that confirms it is not analysed yet). With a lookahead of D
 *    seconds, while locked, the beats that fall due (D seconds behind the
 *    analysed audio) are laid out backwards from the newest phase and
 *    tempo — which have seen the D seconds after them — and each is moved
 *    to the best fit (within 20 % of a period) of a comb of past and
 *    future onsets; they are reported then (predicted = FALSE once D
 *    covers the onset detector's delay of about 50 ms). At the first lock
 *    this also fills in the beats of up to 2 D seconds before the lock
 *    (at most 64), reported late by up to D: in file work the first beats
 *    of a piece are not lost. drain() (at the end of the input) reports
 *    the beats of the last D seconds, refined with the onsets there are.
 *    A held beat is dropped in silence as a causal one is (by the frame
 *    50 ms after it), so a lookahead below that waits that long. A beat
 *    timed before the first sample (an onset on it is timed up to 25 ms
 *    early) is reported at 0.
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
  /* the first onset is a beat (music that starts where the stream does);
   * off leaves the phase to the audio alone */
  bool start_is_beat = true;
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
  static constexpr double kAnalysisRate = 5512.5;
  static constexpr int kHop = 64;
  static constexpr int kFftSize = 512;
  /* max_bpm must be at least this times min_bpm (else it is raised) */
  static constexpr double kMinTempoSpan = 1.1;

  BeatTracker ();
  ~BeatTracker ();
  BeatTracker (const BeatTracker &) = delete;
  BeatTracker &operator= (const BeatTracker &) = delete;

  /* Settings; take effect at the next configure() or reset() (settings()
   * returns them at once, latency() then). Values out of range are
   * clamped. */
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
  /* @frames frames of audio that the input lost (packets, buffers, a
   * GAP) while the music went on. The analysis holds still through them
   * and until its window is clear of them (the jump back from nothing is
   * no onset); the grid goes on, and its beats keep coming (predicted)
   * for the first second of a loss. Reserve max_beats(@frames) in @out as
   * for process(). */
  void process_lost (size_t frames, std::vector<BeatInfo> &out);
  /* End of the input: appends the beats still held back by the lookahead
   * (up to the last analysed sample; those within the onset detector's
   * delay of the end are marked predicted). Nothing in causal mode. The
   * tracker stays as it is: more input may follow. At most
   * max_beats(0) beats. */
  void drain (std::vector<BeatInfo> &out);
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

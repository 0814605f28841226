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
 * SECTION:prune-gate
 * @title: Gate hysteresis
 *
 * The open/close logic of the static gate, on times alone: which frames
 * are kept, given for each frame whether it shows motion. No pixels, no
 * buffers; the element holds the frames and this decides.
 *
 * Times are running times in nanoseconds, increasing. A *run* is a stretch
 * of motion frames where no gap between two of them exceeds the run gap
 * (the larger of 1.5 frame durations and 100 ms). A run is *sustained* once
 * it has lasted `min_motion` (from the start of its first frame to the end
 * of its latest one).
 *
 * - Closed: a sustained run opens the gate. The kept segment starts at
 *   `pre_roll` before the run started (never before the earliest frame the
 *   caller still holds): the caller releases the frames it held from there.
 * - Open: every frame is kept. The gate closes at the first frame that
 *   starts `post_roll` or more after the end of the last sustained-motion
 *   frame; that frame is not kept. Short runs (a clock tick, a decode
 *   glitch, a keyframe pulse) neither open the gate nor keep it open.
 * - Strong motion: each motion frame also has a score (staticgate passes
 *   the motion strength: how far the changed blocks exceed their
 *   thresholds). A frame is *strong* when its score reaches 35 % of the
 *   recent peak score (the peak fades with a 1 s time constant). Only strong
 * frames of a sustained run restart the post-roll, and the pre-roll is counted
 * from the run's first strong frame: the faint lead of a motion (a shadow ahead
 * of a hand) and its fading tail (an object leaving the picture, water settling
 * in a bottle) do not stretch the kept segment. With the default score of 1
 * every motion frame is strong.
 * - Keep-alive: while closed, when `keep_alive` is non-zero and that long
 *   has passed since the last kept frame, one frame is kept on its own (a
 *   segment of one frame).
 * - Hold window: while closed, the caller needs to hold only frames that
 *   start at or after `hold_from()`; older ones can be dropped.
 */

#include <gst/gst.h>
#include <gst/prune/prune-prelude.h>

#include <utility>
#include <vector>

namespace prune {

class GST_PRUNE_API GateLogic {
public:
  struct Settings {
    GstClockTime min_motion = 300 * GST_MSECOND;
    GstClockTime pre_roll = GST_SECOND;
    GstClockTime post_roll = 2 * GST_SECOND;
    GstClockTime keep_alive = 0; /* 0 = off */
  };

  /* What to do with one frame. */
  struct Step {
    /* The gate closed before this frame: the segment ended at end_time
     * (the end of the last kept frame). This frame is not kept unless
     * keep_alive. */
    bool closed = false;
    GstClockTime end_time = GST_CLOCK_TIME_NONE;
    /* The gate opened at this frame: release held frames that start at or
     * after release_from, then this frame. */
    bool opened = false;
    GstClockTime release_from = GST_CLOCK_TIME_NONE;
    /* This frame is kept (open, just opened, or a keep-alive frame). */
    bool keep = false;
    /* This frame is a keep-alive frame: a segment of its own. */
    bool keep_alive = false;
  };

  GateLogic () = default;

  void set_settings (const Settings &s) { settings_ = s; }
  const Settings &settings () const { return settings_; }

  /* One frame: start time @t, duration @duration (may be
   * GST_CLOCK_TIME_NONE: the last known or 40 ms is used), @motion. */
  Step push (GstClockTime t, GstClockTime duration, bool motion,
             double score = 1.0);

  /* The stream ends: returns a closing step (closed = TRUE with end_time)
   * when the gate was open. */
  Step finish ();

  /* Forget everything (flush, new segment). The gate is closed after. */
  void reset ();

  bool is_open () const { return open_; }
  /* Frames starting before this time can be dropped while closed. */
  GstClockTime hold_from () const { return hold_from_; }
  /* How far back a release can reach: pre_roll + min_motion + run gap. */
  GstClockTime max_hold () const;

private:
  GstClockTime run_gap (GstClockTime duration) const;
  GstClockTime strong_start () const;

  Settings settings_;
  bool open_ = false;
  GstClockTime run_start_ = GST_CLOCK_TIME_NONE; /* current run */
  GstClockTime last_motion_end_ = GST_CLOCK_TIME_NONE;
  GstClockTime last_sustained_end_ = GST_CLOCK_TIME_NONE;
  GstClockTime last_kept_end_ = GST_CLOCK_TIME_NONE;
  GstClockTime first_seen_ = GST_CLOCK_TIME_NONE;
  GstClockTime last_duration_ = 40 * GST_MSECOND;
  GstClockTime last_t_ = GST_CLOCK_TIME_NONE;
  GstClockTime hold_from_ = 0;
  double peak_ = 0.0;
  GstClockTime peak_time_ = GST_CLOCK_TIME_NONE;
  std::vector<std::pair<GstClockTime, double>> run_scores_;
};

} // namespace prune

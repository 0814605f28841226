/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gate.h"

#include <algorithm>
#include <cmath>

namespace prune {

namespace {
constexpr GstClockTime kMinRunGap = 100 * GST_MSECOND;
constexpr double kRelative = 0.35; /* of the peak: strong motion */
constexpr double kPeakFade = 1.0 * GST_SECOND;
constexpr std::size_t kMaxRunScores = 4096;

GstClockTime
sub_clamped (GstClockTime a, GstClockTime b)
{
  return a > b ? a - b : 0;
}
} // namespace

GstClockTime
GateLogic::run_gap (GstClockTime duration) const
{
  return std::max (kMinRunGap, duration + duration / 2);
}

/* Where the current run became strong: its first frame whose score reached
 * kRelative of the peak (the run start if its scores did not fit). */
GstClockTime
GateLogic::strong_start () const
{
  if (run_scores_.empty () || run_scores_.front ().first != run_start_)
    return run_start_;
  for (const auto &[t, score] : run_scores_)
    if (score >= kRelative * peak_)
      return t;
  return run_start_;
}

GstClockTime
GateLogic::max_hold () const
{
  return settings_.pre_roll + settings_.min_motion + run_gap (last_duration_);
}

void
GateLogic::reset ()
{
  const Settings keep = settings_;
  *this = GateLogic ();
  settings_ = keep;
}

GateLogic::Step
GateLogic::push (GstClockTime t, GstClockTime duration, bool motion,
                 double score)
{
  Step step;
  /* A frame lasts its duration, or until this one when frames come further
   * apart than their durations say (variable frame rate, dropped frames). */
  if (GST_CLOCK_TIME_IS_VALID (duration) && duration > 0)
    last_duration_ = duration;
  GstClockTime dur = last_duration_;
  if (GST_CLOCK_TIME_IS_VALID (last_t_) && t > last_t_)
    dur = std::max (dur, t - last_t_);
  last_t_ = t;
  const GstClockTime end = t + dur;
  if (!GST_CLOCK_TIME_IS_VALID (first_seen_))
    first_seen_ = t;

  /* Track the motion run. */
  if (motion) {
    const bool continues = GST_CLOCK_TIME_IS_VALID (last_motion_end_) &&
                           t <= last_motion_end_ + run_gap (dur);
    if (!continues) {
      run_start_ = t;
      run_scores_.clear ();
    }
    last_motion_end_ = end;
    /* the recent peak score, fading with kPeakFade */
    if (GST_CLOCK_TIME_IS_VALID (peak_time_) && t > peak_time_)
      peak_ *= std::exp (-static_cast<double> (t - peak_time_) / kPeakFade);
    peak_ = std::max (peak_, score);
    peak_time_ = t;
    if (run_scores_.size () < kMaxRunScores)
      run_scores_.emplace_back (t, score);
  }
  const bool strong = motion && score >= kRelative * peak_;
  const bool run_alive = GST_CLOCK_TIME_IS_VALID (last_motion_end_) &&
                         t <= last_motion_end_ + run_gap (dur);
  const bool sustained =
      motion && run_alive && end - run_start_ >= settings_.min_motion;
  if (sustained && strong)
    last_sustained_end_ = end;

  if (open_) {
    const bool expired = !(sustained && strong) &&
                         (!GST_CLOCK_TIME_IS_VALID (last_sustained_end_) ||
                          t >= last_sustained_end_ + settings_.post_roll);
    if (expired) {
      open_ = false;
      step.closed = true;
      step.end_time = last_kept_end_;
    } else {
      step.keep = true;
      last_kept_end_ = end;
    }
  } else if (sustained) {
    open_ = true;
    step.opened = true;
    step.keep = true;
    step.release_from = std::max (
        sub_clamped (strong_start (), settings_.pre_roll), first_seen_);
    last_kept_end_ = end;
    last_sustained_end_ = end;
  }

  if (!open_ && !step.keep && settings_.keep_alive > 0) {
    const GstClockTime since =
        GST_CLOCK_TIME_IS_VALID (last_kept_end_) ? last_kept_end_ : first_seen_;
    if (t >= since + settings_.keep_alive) {
      step.keep = true;
      step.keep_alive = true;
      last_kept_end_ = end;
    }
  }

  /* While closed, a future release reaches back at most pre_roll before
   * the current run, or before the next frame when no run is alive, and
   * never into what was already kept. */
  if (!open_) {
    GstClockTime earliest_run = end;
    if (run_alive)
      earliest_run = std::min (earliest_run, run_start_);
    hold_from_ = std::max (
        sub_clamped (earliest_run, settings_.pre_roll),
        GST_CLOCK_TIME_IS_VALID (last_kept_end_) ? last_kept_end_ : 0);
  } else {
    hold_from_ = end;
  }
  return step;
}

GateLogic::Step
GateLogic::finish ()
{
  Step step;
  if (open_) {
    step.closed = true;
    step.end_time = last_kept_end_;
  }
  reset ();
  return step;
}

} // namespace prune

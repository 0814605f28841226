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

namespace prune {

namespace {
constexpr GstClockTime kMinRunGap = 100 * GST_MSECOND;

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
GateLogic::push (GstClockTime t, GstClockTime duration, bool motion)
{
  Step step;
  if (GST_CLOCK_TIME_IS_VALID (duration) && duration > 0)
    last_duration_ = duration;
  const GstClockTime dur = last_duration_;
  const GstClockTime end = t + dur;
  if (!GST_CLOCK_TIME_IS_VALID (first_seen_))
    first_seen_ = t;

  /* Track the motion run. */
  if (motion) {
    const bool continues = GST_CLOCK_TIME_IS_VALID (last_motion_end_) &&
                           t <= last_motion_end_ + run_gap (dur);
    if (!continues)
      run_start_ = t;
    last_motion_end_ = end;
  }
  const bool run_alive = GST_CLOCK_TIME_IS_VALID (last_motion_end_) &&
                         t <= last_motion_end_ + run_gap (dur);
  const bool sustained =
      motion && run_alive && end - run_start_ >= settings_.min_motion;
  if (sustained)
    last_sustained_end_ = end;

  if (open_) {
    const bool expired =
        !sustained && (!GST_CLOCK_TIME_IS_VALID (last_sustained_end_) ||
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
    step.release_from =
        std::max (sub_clamped (run_start_, settings_.pre_roll), first_seen_);
    last_kept_end_ = end;
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

/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#pragma once

/* Small helpers shared by the elements of the prune plugin. */

#include <gst/gst.h>

namespace prune {

/* Holds the object lock of a GstObject for the scope. */
class ObjectLocker {
public:
  explicit ObjectLocker (gpointer obj) : obj_ (GST_OBJECT (obj))
  {
    GST_OBJECT_LOCK (obj_);
  }
  ~ObjectLocker () { GST_OBJECT_UNLOCK (obj_); }
  ObjectLocker (const ObjectLocker &) = delete;
  ObjectLocker &operator= (const ObjectLocker &) = delete;

private:
  GstObject *obj_;
};

/* Adds @extra to an answered LATENCY query: to the minimum, and to the
 * maximum when the element holds that much data back itself (@holds; an
 * element that only reports late leaves the buffering to upstream or to
 * a queue after it). */
inline void
add_latency (GstQuery *query, GstClockTime extra, bool holds)
{
  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency (query, &live, &min, &max);
  min += extra;
  if (holds && GST_CLOCK_TIME_IS_VALID (max))
    max += extra;
  gst_query_set_latency (query, live, min, max);
}

/* Whether a SEGMENT event repeats the current segment (elements re-send
 * theirs, e.g. after a reconfiguration): @a and @b map timestamps alike.
 * Unlike gst_segment_is_equal() this sets the position aside, which the
 * base classes move on as buffers pass. */
inline bool
same_segment (const GstSegment &a, const GstSegment &b)
{
  return a.format == b.format && a.flags == b.flags && a.rate == b.rate &&
         a.applied_rate == b.applied_rate && a.base == b.base &&
         a.offset == b.offset && a.start == b.start && a.stop == b.stop &&
         a.time == b.time;
}

/* Stream and running time of @ts in @segment. A segment in another format
 * than time (bytes: raw media straight from a file) has no times for a
 * timestamp: @ts is taken as both, as in a time segment from 0. */
inline GstClockTime
to_stream_time (const GstSegment &segment, GstClockTime ts)
{
  if (segment.format != GST_FORMAT_TIME)
    return ts;
  return gst_segment_to_stream_time (&segment, GST_FORMAT_TIME, ts);
}

inline GstClockTime
to_running_time (const GstSegment &segment, GstClockTime ts)
{
  if (segment.format != GST_FORMAT_TIME)
    return ts;
  return gst_segment_to_running_time (&segment, GST_FORMAT_TIME, ts);
}

} // namespace prune

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

/* Adds @extra to an answered LATENCY query (what an element can hold
 * back on top of upstream's latency). */
inline void
add_latency (GstQuery *query, GstClockTime extra)
{
  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency (query, &live, &min, &max);
  min += extra;
  if (GST_CLOCK_TIME_IS_VALID (max))
    max += extra;
  gst_query_set_latency (query, live, min, max);
}

} // namespace prune

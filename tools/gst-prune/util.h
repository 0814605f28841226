/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Small helpers shared by the gst-prune tool's files: owning pointers for
 * GStreamer objects, time formatting, JSON string escaping.
 */
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <string>
#include <utility>

/* the tool's debug category, "gst-prune" (GST_DEBUG=gst-prune:5): how the
 * input's streams were linked, when the video was let through, stalls and
 * reconnections */
GST_DEBUG_CATEGORY_EXTERN (gst_prune_tool_debug);
#define GST_CAT_DEFAULT gst_prune_tool_debug

namespace gstprune {

/* Registers the category gst_prune_tool_debug (after gst_init ()). */
void init_debug_category ();

/* Exit status of the tool. */
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitAborted = 130; /* second Ctrl-C: 128 + SIGINT */

/* Owns one reference to a GstObject (element, bus, pad, clock...). */
template<typename T>
class Ref {
public:
  Ref () = default;
  /* takes the reference @p (transfer full) */
  explicit Ref (T *p) : p_ (p) {}
  Ref (const Ref &) = delete;
  Ref &operator= (const Ref &) = delete;
  Ref (Ref &&o) noexcept : p_ (std::exchange (o.p_, nullptr)) {}
  Ref &operator= (Ref &&o) noexcept
  {
    if (this != &o)
      reset (std::exchange (o.p_, nullptr));
    return *this;
  }
  ~Ref () { reset (); }

  void reset (T *p = nullptr)
  {
    T *old = std::exchange (p_, p);
    if (old != nullptr)
      gst_object_unref (old);
  }
  T *get () const { return p_; }
  T *release () { return std::exchange (p_, nullptr); }
  explicit operator bool () const { return p_ != nullptr; }

private:
  T *p_ = nullptr;
};

/* Takes a floating or full reference and owns it (sinks a floating one). */
template<typename T>
Ref<T>
adopt (T *p)
{
  if (p != nullptr)
    gst_object_ref_sink (p);
  return Ref<T> (p);
}

/* "1:02:03.4", "2:03.4" or "3.4 s"-style duration for people. */
std::string format_duration (double seconds);
/* "4.1 MB" */
std::string format_bytes (guint64 bytes);
/* A JSON string literal, quotes included. */
std::string json_string (const std::string &s);
/* A JSON number with up to @decimals decimals ("null" for NaN/inf). */
std::string json_number (double v, int decimals = 3);
/* Seconds as a double from a GstClockTime (NaN for NONE). */
double to_seconds (GstClockTime t);
/* "2026-11-21T15:13:41.582Z" */
std::string iso_time (gint64 real_time_us);
/* The parser for a stream of media type @s (after an encoder, or between a
 * demuxer and a muxer: H.264/H.265 stream formats, AAC raw/ADTS), or
 * nullptr when it needs none. */
const char *parser_of (const GstStructure *s);

} // namespace gstprune

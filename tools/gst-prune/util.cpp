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

#include "util.h"

#include <cmath>
#include <cstdio>

GST_DEBUG_CATEGORY (gst_prune_tool_debug);

namespace gstprune {

void
init_debug_category ()
{
  GST_DEBUG_CATEGORY_INIT (gst_prune_tool_debug, "gst-prune", 0,
                           "the gst-prune command-line tool");
}

std::string
format_duration (double seconds)
{
  if (!std::isfinite (seconds))
    return "?";
  if (seconds < 0)
    seconds = 0;
  char buf[64];
  const auto tenths = static_cast<long long> (std::llround (seconds * 10));
  const long long h = tenths / 36000;
  const long long m = (tenths / 600) % 60;
  const double s = double (tenths % 600) / 10.0;
  if (h > 0)
    std::snprintf (buf, sizeof buf, "%lld:%02lld:%04.1f", h, m, s);
  else
    std::snprintf (buf, sizeof buf, "%lld:%04.1f", m, s);
  return buf;
}

std::string
format_bytes (guint64 bytes)
{
  char buf[64];
  const double b = double (bytes);
  if (b >= 1e9)
    std::snprintf (buf, sizeof buf, "%.2f GB", b / 1e9);
  else if (b >= 1e6)
    std::snprintf (buf, sizeof buf, "%.1f MB", b / 1e6);
  else if (b >= 1e3)
    std::snprintf (buf, sizeof buf, "%.0f kB", b / 1e3);
  else
    std::snprintf (buf, sizeof buf, "%llu B", (unsigned long long)bytes);
  return buf;
}

std::string
json_string (const std::string &s)
{
  std::string out = "\"";
  for (const unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf (buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char (c);
        }
    }
  }
  return out + "\"";
}

std::string
json_number (double v, int decimals)
{
  if (!std::isfinite (v))
    return "null";
  char buf[64];
  g_ascii_formatd (buf, sizeof buf,
                   ("%." + std::to_string (decimals) + "f").c_str (), v);
  return buf;
}

double
to_seconds (GstClockTime t)
{
  return GST_CLOCK_TIME_IS_VALID (t) ? double (t) / GST_SECOND : NAN;
}

std::string
iso_time (gint64 real_time_us)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (real_time_us / G_USEC_PER_SEC);
  if (dt == nullptr)
    return "";
  gchar *s = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  char frac[16];
  std::snprintf (frac, sizeof frac, ".%03dZ",
                 int ((real_time_us % G_USEC_PER_SEC) / 1000));
  std::string out = std::string (s) + frac;
  g_free (s);
  g_date_time_unref (dt);
  return out;
}

const char *
parser_of (const GstStructure *s)
{
  if (gst_structure_has_name (s, "video/x-h264"))
    return "h264parse";
  if (gst_structure_has_name (s, "video/x-h265"))
    return "h265parse";
  if (gst_structure_has_name (s, "video/x-av1"))
    return "av1parse";
  if (gst_structure_has_name (s, "image/jpeg"))
    return "jpegparse";
  gint version = 0;
  if (gst_structure_has_name (s, "audio/mpeg") &&
      gst_structure_get_int (s, "mpegversion", &version))
    return version == 1 ? "mpegaudioparse" : "aacparse";
  return nullptr;
}

} // namespace gstprune

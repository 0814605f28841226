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

#include "record.h"
#include "util.h"

#include <glib/gstdio.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace gstprune {

namespace {
constexpr std::size_t kMaxSegments = 100000;
constexpr std::size_t kMaxBeats = 20000;
constexpr std::size_t kMaxKept = 100000;
} // namespace

void
ScoreSeries::add (double t, double score)
{
  if (!std::isfinite (t) || t < 0 || !std::isfinite (score))
    return;
  std::size_t k = std::size_t (t / width_);
  while (k >= kMaxBuckets) {
    std::vector<float> merged ((max_.size () + 1) / 2,
                               std::numeric_limits<float>::quiet_NaN ());
    for (std::size_t i = 0; i < max_.size (); i++) {
      float &m = merged[i / 2];
      if (!std::isnan (max_[i]) && (std::isnan (m) || max_[i] > m))
        m = max_[i];
    }
    max_ = std::move (merged);
    width_ *= 2;
    k = std::size_t (t / width_);
  }
  if (max_.size () <= k)
    max_.resize (k + 1, std::numeric_limits<float>::quiet_NaN ());
  if (std::isnan (max_[k]) || float (score) > max_[k])
    max_[k] = float (score);
}

double
Record::kept_duration (double now) const
{
  double d = 0;
  for (const auto &[a, b] : kept)
    d += b - a;
  if (open_since >= 0 && now > open_since)
    d += now - open_since;
  return d;
}

void
Record::gate_open (double t)
{
  if (open_since < 0)
    open_since = t;
}

void
Record::gate_closed (double t)
{
  if (open_since < 0)
    return;
  if (kept.size () < kMaxKept)
    kept.emplace_back (open_since, std::max (t, open_since));
  else /* fold into the last stretch: the total stays right */
    kept.back ().second += std::max (t, open_since) - open_since;
  open_since = -1;
}

void
Record::add_segment (SegmentInfo s)
{
  segment_bytes += s.bytes;
  if (segments.size () < kMaxSegments)
    segments.push_back (std::move (s));
  else
    segments_dropped++;
}

void
Record::add_beat (double t)
{
  beats_total++;
  if (beats.size () < kMaxBeats)
    beats.push_back (t);
}

std::string
Record::to_json () const
{
  const double kept_d = kept_duration (input_end);
  std::string o = "{\n";
  auto field = [&o] (const char *name, const std::string &value,
                     bool last = false) {
    o += "  " + json_string (name) + ": " + value + (last ? "\n" : ",\n");
  };
  field ("version", "1");
  field ("generator", json_string (std::string ("gst-prune ") + VERSION));
  field ("input", json_string (input));
  field ("input-kind", json_string (input_kind));
  field ("live", live ? "true" : "false");
  field ("started", json_string (iso_time (started_real_us)));
  field ("started-unix",
         json_number (double (started_real_us) / G_USEC_PER_SEC, 6));
  field ("time-taken", json_number (time_taken));
  field ("stopped-by", json_string (stopped_by));
  field ("exit-status", std::to_string (exit_status));
  if (!error.empty ())
    field ("error", json_string (error));
  std::string out = "{";
  out += "\"directory\": " + json_string (outdir);
  out += ", \"playlist\": " + json_string (playlist);
  out += ", \"index\": " + json_string (index);
  out += ", \"report\": " + json_string (report);
  out += ", \"timeline\": " + json_string (timeline);
  out += ", \"merge\": " + (merge.empty () ? "null" : json_string (merge));
  out += "}";
  field ("output", out);
  std::string set = "{";
  for (std::size_t i = 0; i < settings.size (); i++)
    set += (i ? ", " : "") + json_string (settings[i].first) + ": " +
           settings[i].second;
  field ("settings", set + "}");
  field ("input-duration", json_number (input_end));
  field ("frames", std::to_string (frames));
  field ("kept-duration", json_number (kept_d));
  field ("pruned-percent",
         json_number (input_end > 0 ? 100.0 * (1 - kept_d / input_end) : 0, 2));
  std::string k = "[";
  for (std::size_t i = 0; i < kept.size (); i++)
    k += std::string (i ? ", " : "") + "[" + json_number (kept[i].first) +
         ", " + json_number (kept[i].second) + "]";
  if (open_since >= 0)
    k += std::string (kept.empty () ? "" : ", ") + "[" +
         json_number (open_since) + ", " + json_number (input_end) + "]";
  field ("kept", k + "]");
  std::string segs = "[";
  for (std::size_t i = 0; i < segments.size (); i++) {
    const SegmentInfo &s = segments[i];
    segs += std::string (i ? ",\n    " : "\n    ") +
            "{\"index\": " + std::to_string (s.index) +
            ", \"location\": " + json_string (s.location) +
            ", \"start\": " + json_number (s.start) +
            ", \"duration\": " + json_number (s.duration) +
            ", \"bytes\": " + std::to_string (s.bytes) +
            ", \"reason\": " + json_string (s.reason) + "}";
  }
  field ("segments", segs + (segments.empty () ? "]" : "\n  ]"));
  field ("segments-written",
         std::to_string (segments.size () + segments_dropped));
  field ("segment-bytes", std::to_string (segment_bytes));
  field ("segments-deleted", std::to_string (deleted));
  field ("list-entries", std::to_string (list_entries));
  field ("list-duration", json_number (list_duration));
  std::string b = "[";
  for (std::size_t i = 0; i < beats.size (); i++)
    b += (i ? ", " : "") + json_number (beats[i]);
  field ("beats", b + "]");
  field ("beats-total", std::to_string (beats_total));
  field ("tempo", json_number (tempo, 1));
  std::string rc = "[";
  for (std::size_t i = 0; i < reconnects.size (); i++)
    rc += std::string (i ? ", " : "") +
          "{\"at\": " + json_number (reconnects[i].first) +
          ", \"reason\": " + json_string (reconnects[i].second) + "}";
  field ("reconnects", rc + "]");
  std::string tr = "[";
  for (std::size_t i = 0; i < truth.size (); i++)
    tr += std::string (i ? ", " : "") + "[" + json_number (truth[i].first) +
          ", " + json_number (truth[i].second) + "]";
  field ("truth", truth.empty () && input_kind != "demo" ? "null" : tr + "]",
         true);
  return o + "}\n";
}

namespace {

std::string
svg_escape (const std::string &s)
{
  std::string o;
  for (const char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string
num (double v)
{
  return json_number (v, 1);
}

std::string
clock_label (double s)
{
  const long long t = std::llround (s);
  char buf[32];
  if (t >= 3600)
    std::snprintf (buf, sizeof buf, "%lld:%02lld:%02lld", t / 3600,
                   (t / 60) % 60, t % 60);
  else
    std::snprintf (buf, sizeof buf, "%lld:%02lld", t / 60, t % 60);
  return buf;
}

} // namespace

std::string
Record::to_svg () const
{
  constexpr double W = 1200, L = 112, R = 24;
  constexpr double plot_top = 64, plot_h = 220;
  constexpr double truth_y = plot_top + plot_h + 14;
  constexpr double seg_y = truth_y + 24;
  constexpr double beat_y = seg_y + 26;
  constexpr double axis_y = beat_y + 24;
  constexpr double H = axis_y + 62;
  double span = input_end;
  for (const auto &[a, b] : kept)
    span = std::max (span, b);
  for (const auto &s : segments)
    span = std::max (span, s.start + s.duration);
  if (!(span > 0))
    span = 1;
  const double pw = W - L - R;
  auto x = [&] (double t) {
    return L + pw * std::clamp (t / span, 0.0, 1.0);
  };
  /* score on a log scale: 1e-4 (and below) at the bottom, 1 at the top */
  auto y = [&] (double score) {
    const double lg = std::log10 (std::max (score, 1e-4));
    return plot_top + plot_h * (-lg / 4.0);
  };

  std::string o;
  o += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num (W) +
       "\" height=\"" + num (H) + "\" viewBox=\"0 0 " + num (W) + " " +
       num (H) + "\" font-family=\"DejaVu Sans, Arial, sans-serif\" " +
       "font-size=\"12\">\n";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  const double kept_d = kept_duration (input_end);
  char title[512];
  std::snprintf (title, sizeof title,
                 "gst-prune: %s — kept %s of %s (%.0f %% pruned), %zu "
                 "segment file%s",
                 input.c_str (), format_duration (kept_d).c_str (),
                 format_duration (input_end).c_str (),
                 input_end > 0 ? 100.0 * (1 - kept_d / input_end) : 0.0,
                 segments.size () + segments_dropped,
                 segments.size () + segments_dropped == 1 ? "" : "s");
  o += "<text x=\"" + num (L) + "\" y=\"22\" font-size=\"15\" " +
       "font-weight=\"bold\">" + svg_escape (title) + "</text>\n";
  o += "<text x=\"" + num (L) + "\" y=\"42\" fill=\"#555\">" +
       svg_escape ("motion score (changed fraction of the picture, log "
                   "scale) per frame; green: kept; grey lines: segment "
                   "files; dashed: min-area") +
       "</text>\n";

  /* kept stretches behind everything */
  auto kept_rect = [&] (double a, double b) {
    o += "<rect x=\"" + num (x (a)) + "\" y=\"" + num (plot_top) +
         "\" width=\"" + num (std::max (1.0, x (b) - x (a))) + "\" height=\"" +
         num (plot_h) + "\" fill=\"#c8ecc8\"/>\n";
  };
  for (const auto &[a, b] : kept)
    kept_rect (a, b);
  if (open_since >= 0)
    kept_rect (open_since, input_end);

  /* score grid */
  for (int d = 0; d <= 4; d++) {
    const double s = std::pow (10.0, -d);
    const double yy = y (s);
    o += "<line x1=\"" + num (L) + "\" y1=\"" + num (yy) + "\" x2=\"" +
         num (W - R) + "\" y2=\"" + num (yy) +
         "\" stroke=\"#e4e4e4\" stroke-width=\"1\"/>\n";
    const char *labels[] = {"1", "0.1", "0.01", "0.001", "≤0.0001"};
    o += "<text x=\"" + num (L - 6) + "\" y=\"" + num (yy + 4) +
         "\" text-anchor=\"end\" fill=\"#555\">" + labels[d] + "</text>\n";
  }
  o += "<rect x=\"" + num (L) + "\" y=\"" + num (plot_top) + "\" width=\"" +
       num (pw) + "\" height=\"" + num (plot_h) +
       "\" fill=\"none\" stroke=\"#888\"/>\n";

  /* segment file boundaries */
  for (const auto &s : segments) {
    o += "<line x1=\"" + num (x (s.start)) + "\" y1=\"" + num (plot_top) +
         "\" x2=\"" + num (x (s.start)) + "\" y2=\"" + num (seg_y + 14) +
         "\" stroke=\"#999\" stroke-width=\"1\"/>\n";
  }

  /* the score: one point per bucket, gaps where no frame fell */
  const auto &bk = scores.buckets ();
  const double bw = scores.bucket_width ();
  std::string path;
  bool pen = false;
  std::size_t empty = 0;
  for (std::size_t i = 0; i < bk.size (); i++) {
    /* a frame rate below the bucket rate leaves single buckets empty:
     * only a gap of a second or more (no input) breaks the line */
    if (std::isnan (bk[i])) {
      if (++empty * bw >= 1.0)
        pen = false;
      continue;
    }
    empty = 0;
    const double t = (double (i) + 0.5) * bw;
    path += (pen ? " L" : " M") + num (x (t)) + " " + num (y (bk[i]));
    pen = true;
  }
  if (!path.empty ())
    o += "<path d=\"" + path +
         "\" fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"1.2\"/>\n";
  /* min-area */
  if (min_area > 0) {
    o += "<line x1=\"" + num (L) + "\" y1=\"" + num (y (min_area)) +
         "\" x2=\"" + num (W - R) + "\" y2=\"" + num (y (min_area)) +
         "\" stroke=\"#c0392b\" stroke-dasharray=\"6 4\"/>\n";
    char lbl[64];
    std::snprintf (lbl, sizeof lbl, "min-area %g", min_area);
    o += "<text x=\"" + num (W - R - 4) + "\" y=\"" + num (y (min_area) - 4) +
         "\" text-anchor=\"end\" fill=\"#c0392b\">" + lbl + "</text>\n";
  }

  /* rows under the plot */
  auto row_label = [&] (double yy, const char *text) {
    o += "<text x=\"" + num (L - 6) + "\" y=\"" + num (yy) +
         "\" text-anchor=\"end\" fill=\"#333\">" + text + "</text>\n";
  };
  if (!truth.empty () || input_kind == "demo") {
    row_label (truth_y + 10, "motion (truth)");
    for (const auto &[a, b] : truth)
      o += "<rect x=\"" + num (x (a)) + "\" y=\"" + num (truth_y) +
           "\" width=\"" + num (std::max (1.0, x (b) - x (a))) +
           "\" height=\"12\" fill=\"#e67e22\"/>\n";
  }
  row_label (seg_y + 11, "segment files");
  for (std::size_t i = 0; i < segments.size (); i++) {
    const SegmentInfo &s = segments[i];
    o += "<rect x=\"" + num (x (s.start)) + "\" y=\"" + num (seg_y) +
         "\" width=\"" +
         num (std::max (1.0, x (s.start + s.duration) - x (s.start))) +
         "\" height=\"14\" fill=\"" + (i % 2 ? "#5d8aa8" : "#2c5f7c") +
         "\"><title>" + svg_escape (s.location) + " (" +
         format_duration (s.duration) + ", " + s.reason + ")</title></rect>\n";
  }
  row_label (beat_y + 10, "beats");
  for (const double b : beats)
    o += "<line x1=\"" + num (x (b)) + "\" y1=\"" + num (beat_y) + "\" x2=\"" +
         num (x (b)) + "\" y2=\"" + num (beat_y + 12) +
         "\" stroke=\"#8e44ad\" stroke-width=\"1\"/>\n";
  if (beats.empty ())
    o += "<text x=\"" + num (L + 4) + "\" y=\"" + num (beat_y + 10) +
         "\" fill=\"#999\">none</text>\n";
  for (const auto &[t, why] : reconnects) {
    o += "<line x1=\"" + num (x (t)) + "\" y1=\"" + num (plot_top) +
         "\" x2=\"" + num (x (t)) + "\" y2=\"" + num (axis_y) +
         "\" stroke=\"#d62728\" stroke-width=\"2\"><title>reconnect: " +
         svg_escape (why) + "</title></line>\n";
    o += "<text x=\"" + num (x (t) + 3) + "\" y=\"" + num (plot_top + 12) +
         "\" fill=\"#d62728\">reconnect</text>\n";
  }

  /* time axis */
  const double steps[] = {0.5,  1,     2,     5,     10,    15,    30,
                          60,   120,   300,   600,   900,   1800,  3600,
                          7200, 10800, 21600, 43200, 86400, 172800};
  double step = steps[std::size (steps) - 1];
  for (const double s : steps)
    if (span / s <= 12) {
      step = s;
      break;
    }
  o += "<line x1=\"" + num (L) + "\" y1=\"" + num (axis_y) + "\" x2=\"" +
       num (W - R) + "\" y2=\"" + num (axis_y) + "\" stroke=\"#333\"/>\n";
  for (double t = 0; t <= span + 1e-9; t += step) {
    o += "<line x1=\"" + num (x (t)) + "\" y1=\"" + num (axis_y) + "\" x2=\"" +
         num (x (t)) + "\" y2=\"" + num (axis_y + 5) + "\" stroke=\"#333\"/>\n";
    o += "<text x=\"" + num (x (t)) + "\" y=\"" + num (axis_y + 18) +
         "\" text-anchor=\"middle\">" +
         (step < 1 ? json_number (t, 1) : clock_label (t)) + "</text>\n";
  }
  o += "<text x=\"" + num (L + pw / 2) + "\" y=\"" + num (axis_y + 38) +
       "\" text-anchor=\"middle\" fill=\"#555\">" +
       (live ? "time since the start of the run" : "input time") +
       " (m:ss)</text>\n";
  o += "</svg>\n";
  return o;
}

bool
write_file_atomically (const std::string &path, const std::string &text,
                       std::string &error)
{
  const std::string tmp = path + ".tmp";
  FILE *f = g_fopen (tmp.c_str (), "wb");
  if (f == nullptr) {
    error = "cannot write '" + tmp + "': " + g_strerror (errno);
    return false;
  }
  const bool ok =
      std::fwrite (text.data (), 1, text.size (), f) == text.size ();
  const int err = errno;
  if (std::fclose (f) != 0 || !ok) {
    error = "cannot write '" + tmp + "': " + g_strerror (ok ? errno : err);
    g_unlink (tmp.c_str ());
    return false;
  }
  if (g_rename (tmp.c_str (), path.c_str ()) != 0) {
    error =
        "cannot rename '" + tmp + "' to '" + path + "': " + g_strerror (errno);
    g_unlink (tmp.c_str ());
    return false;
  }
  return true;
}

} // namespace gstprune

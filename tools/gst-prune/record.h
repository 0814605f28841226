/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * What a run saw, gathered from the elements' bus messages (prune-score,
 * prune-gate, prune-segment-*, prune-beat), in bounded memory, and written
 * out as the JSON report and the SVG timeline.
 *
 * Times are seconds on the run's time line: for a file or the demo, the
 * input's running time; for a live input, seconds since the run started
 * (each reconnection's pipeline is placed where it started).
 */
#pragma once

#include <glib.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gstprune {

/* The motion score over time as the maximum per time bucket. When the
 * buckets would exceed kMaxBuckets, neighbours merge and the bucket width
 * doubles: memory stays bounded over days. */
class ScoreSeries {
public:
  static constexpr std::size_t kMaxBuckets = 4096;

  void add (double t, double score);
  double bucket_width () const { return width_; }
  /* NaN where no frame fell */
  const std::vector<float> &buckets () const { return max_; }

private:
  double width_ = 0.2;
  std::vector<float> max_;
};

struct SegmentInfo {
  guint index = 0;
  std::string location;
  double start = 0;    /* run time of its first frame */
  double duration = 0; /* as listed */
  guint64 bytes = 0;
  std::string reason;
};

struct Record {
  /* about the run */
  std::string input;
  std::string input_kind; /* demo, file, uri, device */
  std::string outdir, playlist, index, report, timeline, merge;
  bool live = false;
  gint64 started_real_us = 0;
  double time_taken = 0;
  std::string stopped_by = "end"; /* end, interrupt, abort, error */
  std::string error;
  int exit_status = 0;
  std::vector<std::pair<std::string, std::string>> settings;

  /* what happened (run time, seconds) */
  double input_end = 0; /* the latest frame seen, end of input */
  guint64 frames = 0;
  ScoreSeries scores;
  double min_area = 0.0025;
  std::vector<std::pair<double, double>> kept; /* closed stretches */
  double open_since = -1;                      /* >= 0 while open */
  std::vector<SegmentInfo> segments;           /* finished this run */
  std::size_t segments_dropped = 0;            /* beyond the cap */
  guint64 segment_bytes = 0;
  guint deleted = 0;
  guint64 deleted_bytes = 0;
  guint list_entries = 0;
  double list_duration = 0;
  std::vector<double> beats;
  guint64 beats_total = 0;
  double tempo = 0;
  std::vector<std::pair<double, std::string>> reconnects;
  std::vector<std::pair<double, double>> truth; /* demo ground truth */

  /* kept time up to @now (an open stretch counts to @now) */
  double kept_duration (double now) const;
  std::size_t kept_stretches () const
  {
    return kept.size () + (open_since >= 0 ? 1 : 0);
  }

  void gate_open (double t);
  void gate_closed (double t);
  void add_segment (SegmentInfo s);
  void add_beat (double t);

  std::string to_json () const;
  std::string to_svg () const;
};

/* Writes @text to @path through a temporary file and a rename; FALSE with
 * @error set on failure. */
bool write_file_atomically (const std::string &path, const std::string &text,
                            std::string &error);

} // namespace gstprune

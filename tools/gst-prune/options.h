/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * The command line of gst-prune: every option, parsed and checked before
 * anything starts. A problem is a UsageError (exit status 2) whose message
 * says what to change.
 */
#pragma once

#include <glib.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace gstprune {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class InputKind { Demo, File, Uri, Device, None };

struct Options {
  /* input */
  InputKind kind = InputKind::None;
  std::string input; /* as given */
  std::string uri;   /* what uridecodebin opens (File, Uri, Device) */
  double demo_seconds = 180;
  bool realtime = false;
  bool no_audio = false;

  /* gate */
  double threshold = 5.0;
  double min_area = 0.0025;
  double min_motion = 0.3;
  double pre_roll = 1.0;
  double post_roll = 2.0;
  std::string mask;
  bool mark = false; /* --mode mark */

  /* encoding and segments */
  std::string encoder; /* element description; empty = default x264enc */
  std::string container = "mp4";
  double segment_time = 0; /* 0 = one file per kept stretch */
  guint max_files = 0;
  guint64 max_disk = 0;
  guint beats = 0;

  /* live inputs */
  double stall_timeout = 10;
  bool reconnect = true;
  double reconnect_max = 30;

  /* output */
  std::string outdir;
  std::string report;   /* default OUTDIR/report.json */
  std::string timeline; /* default OUTDIR/timeline.svg */
  std::string merge;    /* empty = no merge */
  bool quiet = false;
  bool merge_only = false; /* --merge without INPUT: merge OUTDIR's list */

  /* derived names */
  std::string muxer () const;
  std::string extension () const;
};

/* Parses and checks argv. Throws UsageError. Prints --help/--version itself
 * and then returns std::nullopt-like: sets @exit_now to TRUE. */
Options parse_options (int argc, char **argv, bool &exit_now);

/* "--max-disk" style sizes: 123, 500K, 20M, 2G, 1.5T (powers of 1024). */
bool parse_size (const std::string &s, guint64 &out);

} // namespace gstprune

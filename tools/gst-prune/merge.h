/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * --merge: joins the files of an ffconcat list into one file by stream
 * copy, with GStreamer only (no ffmpeg). Each file is read with filesrc !
 * parsebin into appsinks; its packets keep their own timing, moved so that
 * the file starts where the list's durations place it (what ffmpeg's concat
 * demuxer does: ts - file start + sum of the earlier durations), and go
 * through appsrc into one muxer chosen by the output's extension.
 */
#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace gstprune {

struct ListEntry {
  std::string path;     /* resolved against the list's folder */
  double duration = -1; /* seconds; < 0 when the list gives none */
};

/* Parses an ffconcat list (the subset ffmpeg's concat demuxer reads:
 * 'ffconcat version 1.0', file, duration, comments). FALSE with @error. */
bool parse_ffconcat (const std::string &list_path,
                     std::vector<ListEntry> &entries, std::string &error);

struct MergeResult {
  guint files = 0;
  guint64 video_frames = 0;
  guint64 audio_packets = 0;
  double duration = 0; /* seconds, end of the last packet */
};

/* Writes @out from the files of @list_path. The result appears under its
 * name only when complete (written as OUT.part, then renamed). */
bool merge_list (const std::string &list_path, const std::string &out,
                 MergeResult &result, std::string &error);

} // namespace gstprune

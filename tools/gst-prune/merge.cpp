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

#include "merge.h"
#include "util.h"

#include <gst/app/app.h>
#include <gst/gst.h>
#include <glib/gstdio.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

namespace gstprune {

namespace {

/* One token as ffmpeg's av_get_token reads it: '...' quotes everything up
 * to the next quote, a backslash escapes one character. */
bool
read_token (const std::string &line, std::size_t &pos, std::string &out)
{
  out.clear ();
  while (pos < line.size () && (line[pos] == ' ' || line[pos] == '\t'))
    pos++;
  if (pos >= line.size ())
    return false;
  while (pos < line.size () && line[pos] != ' ' && line[pos] != '\t') {
    const char c = line[pos++];
    if (c == '\'') {
      const std::size_t end = line.find ('\'', pos);
      if (end == std::string::npos)
        return false;
      out += line.substr (pos, end - pos);
      pos = end + 1;
    } else if (c == '\\' && pos < line.size ()) {
      out += line[pos++];
    } else {
      out += c;
    }
  }
  return true;
}

} // namespace

bool
parse_ffconcat (const std::string &list_path, std::vector<ListEntry> &entries,
                std::string &error)
{
  entries.clear ();
  std::ifstream in (list_path);
  if (!in) {
    error = "cannot read the list '" + list_path + "': " + g_strerror (errno);
    return false;
  }
  gchar *dir_c = g_path_get_dirname (list_path.c_str ());
  const std::string dir = dir_c;
  g_free (dir_c);
  std::string line;
  int n = 0;
  while (std::getline (in, line)) {
    n++;
    if (!line.empty () && line.back () == '\r')
      line.pop_back ();
    std::size_t pos = 0;
    std::string key;
    if (!read_token (line, pos, key) || key[0] == '#')
      continue;
    std::string value;
    if (key == "ffconcat") {
      continue;
    } else if (key == "file") {
      if (!read_token (line, pos, value)) {
        error =
            list_path + ":" + std::to_string (n) + ": 'file' without a name";
        return false;
      }
      ListEntry e;
      e.path = g_path_is_absolute (value.c_str ()) ? value : dir + "/" + value;
      entries.push_back (e);
    } else if (key == "duration") {
      char *end = nullptr;
      if (entries.empty () || !read_token (line, pos, value))
        goto bad;
      entries.back ().duration = g_ascii_strtod (value.c_str (), &end);
      if (end == value.c_str () || !std::isfinite (entries.back ().duration))
        goto bad;
    }
    /* other directives (inpoint, outpoint, metadata) are not written by
     * segmentsink; ignored */
    continue;
  bad:
    error =
        list_path + ":" + std::to_string (n) + ": cannot read '" + line + "'";
    return false;
  }
  return true;
}

namespace {

/* Waits up to @timeout for a @done message or an error on @pipeline's bus.
 * On an error sets @error to @failed + the error's text, on a timeout to
 * @timed_out, and returns false. */
bool
wait_on_bus (GstElement *pipeline, GstMessageType done, GstClockTime timeout,
             const std::string &failed, const std::string &timed_out,
             std::string &error)
{
  Ref<GstBus> bus (gst_element_get_bus (pipeline));
  GstMessage *m = gst_bus_timed_pop_filtered (
      bus.get (), timeout, GstMessageType (GST_MESSAGE_ERROR | done));
  if (m == nullptr) {
    error = timed_out;
    return false;
  }
  const bool ok = GST_MESSAGE_TYPE (m) == done;
  if (!ok) {
    GError *e = nullptr;
    gst_message_parse_error (m, &e, nullptr);
    error = failed + e->message;
    g_error_free (e);
  }
  gst_message_unref (m);
  return ok;
}

/* Reads one file: filesrc ! parsebin, the first video and the first audio
 * stream through a queue into appsinks (bounded: the demuxer waits for
 * us). The queues let one demuxer thread preroll both sinks: without them
 * the first sink to preroll blocks the thread that the other one waits
 * for (MPEG-TS with audio). */
struct Reader {
  Ref<GstElement> pipeline;
  std::mutex lock;
  GstElement *video = nullptr; /* owned by the pipeline */
  GstElement *audio = nullptr;

  static void pad_added (GstElement *, GstPad *pad, gpointer data)
  {
    auto *r = static_cast<Reader *> (data);
    GstCaps *caps = gst_pad_get_current_caps (pad);
    if (caps == nullptr)
      caps = gst_pad_query_caps (pad, nullptr);
    const gchar *name =
        gst_structure_get_name (gst_caps_get_structure (caps, 0));
    GstElement *sink = nullptr;
    {
      std::lock_guard<std::mutex> lk (r->lock);
      if (g_str_has_prefix (name, "video/") && r->video == nullptr) {
        sink = r->video = gst_element_factory_make ("appsink", nullptr);
      } else if (g_str_has_prefix (name, "audio/") && r->audio == nullptr) {
        sink = r->audio = gst_element_factory_make ("appsink", nullptr);
      }
    }
    gst_caps_unref (caps);
    GstElement *head = sink;
    if (sink != nullptr) {
      g_object_set (sink, "sync", FALSE, "max-buffers", 1000u,
                    "enable-last-sample", FALSE, nullptr);
      head = gst_element_factory_make ("queue", nullptr);
      gst_bin_add_many (GST_BIN (r->pipeline.get ()), head, sink, nullptr);
      gst_element_link (head, sink);
      gst_element_sync_state_with_parent (sink);
      gst_element_sync_state_with_parent (head);
    } else {
      /* other streams: consumed, never waited for */
      head = gst_element_factory_make ("fakesink", nullptr);
      g_object_set (head, "sync", FALSE, "async", FALSE, nullptr);
      gst_bin_add (GST_BIN (r->pipeline.get ()), head);
      gst_element_sync_state_with_parent (head);
    }
    GstPad *sinkpad = gst_element_get_static_pad (head, "sink");
    gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
  }

  bool open (const std::string &path, std::string &error)
  {
    pipeline.reset (gst_pipeline_new ("merge-reader"));
    GstElement *src = gst_element_factory_make ("filesrc", nullptr);
    GstElement *parse = gst_element_factory_make ("parsebin", nullptr);
    if (src == nullptr || parse == nullptr) {
      error = "filesrc or parsebin is missing (install "
              "gstreamer1.0-plugins-base)";
      if (src)
        gst_object_unref (gst_object_ref_sink (src));
      if (parse)
        gst_object_unref (gst_object_ref_sink (parse));
      return false;
    }
    g_object_set (src, "location", path.c_str (), nullptr);
    gst_bin_add_many (GST_BIN (pipeline.get ()), src, parse, nullptr);
    gst_element_link (src, parse);
    g_signal_connect (parse, "pad-added", G_CALLBACK (pad_added), this);
    gst_element_set_state (pipeline.get (), GST_STATE_PLAYING);
    bool ok = wait_on_bus (pipeline.get (), GST_MESSAGE_ASYNC_DONE,
                           60 * GST_SECOND, "cannot read '" + path + "': ",
                           "cannot read '" + path + "': timed out", error);
    if (ok && video == nullptr && audio == nullptr) {
      error = "'" + path + "' has no audio or video stream";
      ok = false;
    }
    return ok;
  }

  ~Reader ()
  {
    if (pipeline)
      gst_element_set_state (pipeline.get (), GST_STATE_NULL);
  }
};

/* Running time of @ts through @sample's segment, signed (ns). */
bool
signed_running_time (GstSample *sample, GstClockTime ts, gint64 &out)
{
  const GstSegment *seg = gst_sample_get_segment (sample);
  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return false;
  if (seg == nullptr || seg->format != GST_FORMAT_TIME) {
    out = gint64 (ts);
    return true;
  }
  guint64 rt = 0;
  const int sign =
      gst_segment_to_running_time_full (seg, GST_FORMAT_TIME, ts, &rt);
  if (sign == 0)
    return false;
  out = sign > 0 ? gint64 (rt) : -gint64 (rt);
  return true;
}

/* The output: appsrc [! parser] per stream into one muxer and a
 * filesink. */
struct Writer {
  Ref<GstElement> pipeline;
  GstElement *video = nullptr, *audio = nullptr; /* owned by the pipeline */
  GstElement *mux = nullptr;

  bool create (const std::string &path, GstCaps *vcaps, GstCaps *acaps,
               std::string &error)
  {
    std::string ext;
    if (const char *dot = std::strrchr (path.c_str (), '.'))
      for (const char *p = dot; *p; p++)
        ext += g_ascii_tolower (*p);
    const char *muxer = ext == ".mkv"   ? "matroskamux"
                        : ext == ".ts"  ? "mpegtsmux"
                        : ext == ".mov" ? "qtmux"
                                        : "mp4mux";
    pipeline.reset (gst_pipeline_new ("merge-writer"));
    mux = gst_element_factory_make (muxer, nullptr);
    GstElement *sink = gst_element_factory_make ("filesink", nullptr);
    if (mux == nullptr || sink == nullptr) {
      error = std::string ("the muxer ") + muxer +
              " is missing (install gstreamer1.0-plugins-good or -bad)";
      if (mux)
        gst_object_unref (gst_object_ref_sink (mux));
      if (sink)
        gst_object_unref (gst_object_ref_sink (sink));
      return false;
    }
    g_object_set (sink, "location", (path + ".part").c_str (), "sync", FALSE,
                  nullptr);
    gst_bin_add_many (GST_BIN (pipeline.get ()), mux, sink, nullptr);
    gst_element_link (mux, sink);
    for (int i = 0; i < 2; i++) {
      GstCaps *caps = i == 0 ? vcaps : acaps;
      if (caps == nullptr)
        continue;
      GstElement *src = gst_element_factory_make ("appsrc", nullptr);
      g_object_set (src, "format", GST_FORMAT_TIME, "caps", caps, "block", TRUE,
                    "max-bytes", guint64 (16 << 20), nullptr);
      gst_bin_add (GST_BIN (pipeline.get ()), src);
      GstElement *last = src;
      /* converts the stream to the form the muxer asks for (H.264 and
       * H.265 in MP4/Matroska "avc"/"hvc1" to MPEG-TS's byte-stream, raw
       * AAC to ADTS) */
      const char *pname = parser_of (gst_caps_get_structure (caps, 0));
      if (GstElement *parser =
              pname ? gst_element_factory_make (pname, nullptr) : nullptr) {
        gst_bin_add (GST_BIN (pipeline.get ()), parser);
        if (gst_element_link (src, parser))
          last = parser;
        else
          gst_bin_remove (GST_BIN (pipeline.get ()), parser);
      }
      GstPad *srcpad = gst_element_get_static_pad (last, "src");
      /* mp4mux, qtmux, matroskamux: video_%u/audio_%u; mpegtsmux: sink_%d */
      GstPad *muxpad = gst_element_request_pad_simple (
          mux, i == 0 ? "video_%u" : "audio_%u");
      if (muxpad == nullptr)
        muxpad = gst_element_request_pad_simple (mux, "sink_%d");
      const bool linked =
          muxpad != nullptr && gst_pad_link (srcpad, muxpad) == GST_PAD_LINK_OK;
      gst_object_unref (srcpad);
      if (muxpad != nullptr)
        gst_object_unref (muxpad);
      if (!linked) {
        gchar *c = gst_caps_to_string (caps);
        error = std::string (muxer) + " does not take " + c;
        g_free (c);
        return false;
      }
      (i == 0 ? video : audio) = src;
    }
    if (gst_element_set_state (pipeline.get (), GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
      error = "cannot write '" + path + ".part'";
      return false;
    }
    return true;
  }

  /* an error posted so far, or "" */
  std::string pending_error ()
  {
    Ref<GstBus> bus (gst_element_get_bus (pipeline.get ()));
    GstMessage *m = gst_bus_pop_filtered (bus.get (), GST_MESSAGE_ERROR);
    if (m == nullptr)
      return "";
    GError *e = nullptr;
    gst_message_parse_error (m, &e, nullptr);
    std::string s = e->message;
    g_error_free (e);
    gst_message_unref (m);
    return s;
  }

  ~Writer ()
  {
    if (pipeline)
      gst_element_set_state (pipeline.get (), GST_STATE_NULL);
  }
};

bool
same_format (GstCaps *a, GstCaps *b)
{
  const GstStructure *sa = gst_caps_get_structure (a, 0);
  const GstStructure *sb = gst_caps_get_structure (b, 0);
  if (!gst_structure_has_name (sb, gst_structure_get_name (sa)))
    return false;
  for (const char *f : {"width", "height", "rate", "channels"}) {
    int va = 0, vb = 0;
    const bool ha = gst_structure_get_int (sa, f, &va);
    const bool hb = gst_structure_get_int (sb, f, &vb);
    if (ha && hb && va != vb)
      return false;
  }
  return true;
}

} // namespace

bool
merge_list (const std::string &list_path, const std::string &out,
            MergeResult &result, std::string &error)
{
  result = MergeResult ();
  std::vector<ListEntry> entries;
  if (!parse_ffconcat (list_path, entries, error))
    return false;
  if (entries.empty ()) {
    error = "the list '" + list_path + "' names no files yet: nothing to merge";
    return false;
  }
  Writer w;
  GstCaps *first_vcaps = nullptr, *first_acaps = nullptr;
  gint64 offset = 0;
  gint64 end = 0;
  auto cleanup = [&] {
    if (first_vcaps)
      gst_caps_unref (first_vcaps);
    if (first_acaps)
      gst_caps_unref (first_acaps);
  };
  for (const ListEntry &entry : entries) {
    Reader r;
    if (!r.open (entry.path, error)) {
      cleanup ();
      return false;
    }
    GstAppSink *sinks[2] = {r.video ? GST_APP_SINK (r.video) : nullptr,
                            r.audio ? GST_APP_SINK (r.audio) : nullptr};
    GstSample *next[2] = {nullptr, nullptr};
    for (int i = 0; i < 2; i++)
      if (sinks[i] != nullptr)
        next[i] = gst_app_sink_pull_sample (sinks[i]);
    if (!w.pipeline) {
      first_vcaps =
          next[0] ? gst_caps_ref (gst_sample_get_caps (next[0])) : nullptr;
      first_acaps =
          next[1] ? gst_caps_ref (gst_sample_get_caps (next[1])) : nullptr;
      if (!w.create (out, first_vcaps, first_acaps, error)) {
        for (GstSample *s : next)
          if (s)
            gst_sample_unref (s);
        cleanup ();
        g_unlink ((out + ".part").c_str ());
        return false;
      }
    }
    GstElement *dst[2] = {w.video, w.audio};
    GstCaps *first[2] = {first_vcaps, first_acaps};
    /* the file's start: the earliest first timestamp of its streams */
    gint64 start = G_MAXINT64;
    for (int i = 0; i < 2; i++) {
      if (next[i] != nullptr && dst[i] == nullptr) {
        /* a stream the first file did not have: left out (and drained, so
         * that it never holds up the demuxer) */
        gst_app_sink_set_drop (sinks[i], TRUE);
        gst_app_sink_set_max_buffers (sinks[i], 1);
        gst_sample_unref (next[i]);
        next[i] = nullptr;
        continue;
      }
      if (next[i] == nullptr)
        continue;
      if (!same_format (first[i], gst_sample_get_caps (next[i]))) {
        gchar *a = gst_caps_to_string (first[i]);
        gchar *b = gst_caps_to_string (gst_sample_get_caps (next[i]));
        error = "cannot merge '" + entry.path + "': its format (" + b +
                ") differs from the first file's (" + a +
                "); merge the files of each format separately";
        g_free (a);
        g_free (b);
        for (GstSample *s : next)
          if (s)
            gst_sample_unref (s);
        cleanup ();
        return false;
      }
      GstBuffer *buf = gst_sample_get_buffer (next[i]);
      gint64 rt = 0;
      if (signed_running_time (next[i], GST_BUFFER_PTS (buf), rt) ||
          signed_running_time (next[i], GST_BUFFER_DTS (buf), rt))
        start = std::min (start, rt);
    }
    if (start == G_MAXINT64)
      start = 0;
    gint64 file_end = offset;
    /* push in timestamp order, pulling from the stream that is behind */
    gint64 last[2] = {G_MININT64, G_MININT64};
    while (next[0] != nullptr || next[1] != nullptr) {
      int i = next[0] == nullptr   ? 1
              : next[1] == nullptr ? 0
                                   : (last[0] <= last[1] ? 0 : 1);
      GstSample *s = next[i];
      GstBuffer *in = gst_sample_get_buffer (s);
      GstBuffer *buf = gst_buffer_copy (in);
      gint64 pts = 0, dts = 0;
      if (signed_running_time (s, GST_BUFFER_PTS (in), pts)) {
        GST_BUFFER_PTS (buf) =
            GstClockTime (std::max<gint64> (0, offset + pts - start));
        last[i] = offset + pts - start;
      } else {
        GST_BUFFER_PTS (buf) = GST_CLOCK_TIME_NONE;
      }
      if (signed_running_time (s, GST_BUFFER_DTS (in), dts)) {
        GST_BUFFER_DTS (buf) =
            GstClockTime (std::max<gint64> (0, offset + dts - start));
        last[i] = offset + dts - start;
      } else {
        GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
      }
      if (GST_BUFFER_PTS_IS_VALID (buf)) {
        const gint64 e = gint64 (GST_BUFFER_PTS (buf)) +
                         (GST_BUFFER_DURATION_IS_VALID (in)
                              ? gint64 (GST_BUFFER_DURATION (in))
                              : 0);
        file_end = std::max (file_end, e);
      }
      if (i == 0)
        result.video_frames++;
      else
        result.audio_packets++;
      gst_sample_unref (s);
      const GstFlowReturn fr =
          gst_app_src_push_buffer (GST_APP_SRC (dst[i]), buf);
      if (fr != GST_FLOW_OK) {
        const std::string e = w.pending_error ();
        error = "writing '" + out +
                "' failed: " + (e.empty () ? gst_flow_get_name (fr) : e);
        for (GstSample *x : next)
          if (x && x != s)
            gst_sample_unref (x);
        cleanup ();
        g_unlink ((out + ".part").c_str ());
        return false;
      }
      next[i] = gst_app_sink_pull_sample (sinks[i]);
      if (next[i] == nullptr)
        last[i] = G_MAXINT64;
    }
    result.files++;
    end = std::max (end, file_end);
    /* the next file starts where the list places it (ffmpeg concat) */
    offset += entry.duration >= 0
                  ? gint64 (std::llround (entry.duration * GST_SECOND))
                  : file_end - offset;
  }
  result.duration = double (end) / GST_SECOND;
  cleanup ();
  for (GstElement *src : {w.video, w.audio})
    if (src != nullptr)
      gst_app_src_end_of_stream (GST_APP_SRC (src));
  bool ok =
      wait_on_bus (w.pipeline.get (), GST_MESSAGE_EOS, 120 * GST_SECOND,
                   "writing '" + out + "' failed: ",
                   "writing '" + out + "' did not finish within 120 s", error);
  gst_element_set_state (w.pipeline.get (), GST_STATE_NULL);
  if (ok && g_rename ((out + ".part").c_str (), out.c_str ()) != 0) {
    error = "cannot rename '" + out + ".part' to '" + out +
            "': " + g_strerror (errno);
    ok = false;
  }
  if (!ok)
    g_unlink ((out + ".part").c_str ());
  return ok;
}

} // namespace gstprune

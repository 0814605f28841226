/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * GstHarness tests of staticgate: dropping and marking, pre-roll, events
 * and messages, GAP, LATENCY and ALLOCATION, flushing, EOS, caps changes,
 * formats, masks, the clock finder, keep-alive and live property changes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/prune/names.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>

#include "../prune-check.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr GstClockTime kFrame = 100 * GST_MSECOND; /* 10 fps */
constexpr int kW = 64, kH = 48;

/* Deterministic noise. */
uint32_t
hash (uint32_t x)
{
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

struct Scene {
  int w = kW, h = kH;
  bool square = false; /* a bright 12x12 square ... */
  int sx = 0, sy = 0;  /* ... at this position */
  int tick = -1;       /* a 6x8 "digit" with this value (-1 none) */
  double gain = 1.0;
  int noise = 2; /* +-levels */
};

/* Luma of the scene at (x, y) for frame n. */
uint8_t
luma (const Scene &s, int x, int y, uint32_t n)
{
  int v = 40 + ((x / 8 + y / 8) % 2) * 60 + (x * 3 + y * 5) % 23;
  if (s.square && x >= s.sx && x < s.sx + 12 && y >= s.sy && y < s.sy + 12)
    v = 220;
  if (s.tick >= 0 && x >= 50 && x < 56 && y >= 2 && y < 10)
    v = ((x + y + s.tick) % 3 == 0) ? 250 : 10;
  v = static_cast<int> (v * s.gain);
  v += static_cast<int> (hash (n * 7919u + y * 1031u + x) % (2 * s.noise + 1)) -
       s.noise;
  return static_cast<uint8_t> (std::clamp (v, 0, 255));
}

/* A frame of @format from @s; RGB formats get gray pixels. */
GstBuffer *
make_frame (const GstVideoInfo *info, const Scene &s, uint32_t n,
            GstClockTime pts, GstBuffer *into = nullptr)
{
  GstBuffer *buf = into != nullptr
                       ? into
                       : gst_buffer_new_allocate (nullptr, info->size, nullptr);
  GstVideoFrame frame;
  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE));
  const GstVideoFormatInfo *f = info->finfo;
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
    auto *data =
        static_cast<uint8_t *> (GST_VIDEO_FRAME_PLANE_DATA (&frame, p));
    const int stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);
    const int ph = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p);
    const int pw = GST_VIDEO_FRAME_COMP_WIDTH (&frame, p);
    for (int y = 0; y < ph; y++)
      for (int x = 0; x < stride; x++)
        data[y * stride + x] = 128;
    if (GST_VIDEO_FORMAT_INFO_IS_RGB (f) || GST_VIDEO_FORMAT_INFO_IS_GRAY (f) ||
        p == 0) {
      const int pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, 0);
      for (int y = 0; y < ph && p == 0; y++)
        for (int x = 0; x < pw; x++) {
          const uint8_t v = luma (s, x * s.w / pw, y * s.h / ph, n);
          if (GST_VIDEO_FORMAT_INFO_IS_RGB (f)) {
            for (int c = 0; c < pstride; c++)
              data[y * stride + x * pstride + c] = v;
          } else {
            data[y * stride + x * pstride +
                 GST_VIDEO_FRAME_COMP_POFFSET (&frame, 0)] = v;
          }
        }
    }
  }
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = kFrame;
  return buf;
}

/* What left the element, in order. */
struct Item {
  enum Kind {
    Buffer,
    Gap,
    GapOob, /* prune-gap, out of band */
    ForceKeyUnit,
    SegStart,
    SegEnd,
    SegEndOob, /* prune-segment-end, out of band */
    Eos,
    Other
  } kind;
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  GstClockTime rt = GST_CLOCK_TIME_NONE; /* for prune events */
};

GstPadProbeReturn
record (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *log = static_cast<std::vector<Item> *> (data);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    log->push_back (
        {Item::Buffer, GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info))});
    return GST_PAD_PROBE_OK;
  }
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  if (ev == nullptr)
    return GST_PAD_PROBE_OK;
  Item it{Item::Other};
  if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP) {
    it.kind = Item::Gap;
    gst_event_parse_gap (ev, &it.pts, nullptr);
  } else if (auto gap = prune::from_oob_event<prune::Gap> (ev)) {
    it.kind = Item::GapOob;
    it.rt = gap->running_time;
  } else if (auto oob_end = prune::from_oob_event<prune::SegmentEnd> (ev)) {
    it.kind = Item::SegEndOob;
    it.rt = oob_end->running_time;
  } else if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
    it.kind = Item::Eos;
  } else if (gst_video_event_is_force_key_unit (ev)) {
    it.kind = Item::ForceKeyUnit;
  } else if (auto st = prune::from_event<prune::SegmentStart> (ev)) {
    it.kind = Item::SegStart;
    it.pts = st->timestamp;
    it.rt = st->running_time;
  } else if (auto en = prune::from_event<prune::SegmentEnd> (ev)) {
    it.kind = Item::SegEnd;
    it.pts = en->timestamp;
    it.rt = en->running_time;
  } else if (const GstStructure *s = gst_event_get_structure (ev)) {
    fail_if (g_str_has_prefix (gst_structure_get_name (s), "prune-"),
             "a prune event that does not parse: %" GST_PTR_FORMAT, s);
  }
  if (it.kind != Item::Other)
    log->push_back (it);
  return GST_PAD_PROBE_OK;
}

struct Gate {
  GstHarness *h;
  GstVideoInfo info;
  std::vector<Item> log;
  GstBus *bus;

  explicit Gate (const char *props = "", const char *format = "I420",
                 int w = kW, int h_ = kH)
  {
    std::string desc = std::string ("staticgate ") + props;
    /* one element: gst_parse_launch returns it, not a bin */
    GstElement *e = gst_parse_launch (desc.c_str (), nullptr);
    fail_unless (GST_IS_ELEMENT (e) && !GST_IS_BIN (e));
    h = gst_harness_new_with_element (e, "sink", "src");
    gst_object_unref (e);
    bus = gst_bus_new ();
    gst_element_set_bus (h->element, bus);
    set_caps (format, w, h_);
    GstPad *src = gst_element_get_static_pad (h->element, "src");
    gst_pad_add_probe (
        src,
        static_cast<GstPadProbeType> (GST_PAD_PROBE_TYPE_BUFFER |
                                      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
        record, &log, nullptr);
    gst_object_unref (src);
  }
  ~Gate ()
  {
    gst_harness_teardown (h);
    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (bus);
  }
  void set_caps (const char *format, int w, int hh)
  {
    gchar *caps = g_strdup_printf (
        "video/x-raw,format=%s,width=%d,height=%d,framerate=10/1", format, w,
        hh);
    gst_harness_set_src_caps_str (h, caps);
    GstCaps *c = gst_caps_from_string (caps);
    fail_unless (gst_video_info_from_caps (&info, c));
    gst_caps_unref (c);
    g_free (caps);
  }
  GstFlowReturn push (const Scene &s, uint32_t n)
  {
    return gst_harness_push (h, make_frame (&info, s, n, n * kFrame));
  }
  /* PTS (in frames) of the buffers that came out, in order */
  std::vector<int> kept () const
  {
    std::vector<int> out;
    for (const Item &i : log)
      if (i.kind == Item::Buffer)
        out.push_back (static_cast<int> (i.pts / kFrame));
    return out;
  }
  int count (Item::Kind k) const
  {
    int n = 0;
    for (const Item &i : log)
      n += i.kind == k;
    return n;
  }
  std::vector<GstMessage *> messages (const char *name)
  {
    std::vector<GstMessage *> out;
    while (GstMessage *m = gst_bus_pop (bus)) {
      const GstStructure *s = gst_message_get_structure (m);
      if (s != nullptr && gst_structure_has_name (s, name))
        out.push_back (m);
      else
        gst_message_unref (m);
    }
    return out;
  }
  GstStructure *stats ()
  {
    GstStructure *s = nullptr;
    g_object_get (h->element, "stats", &s, nullptr);
    return s;
  }
};

void
free_messages (std::vector<GstMessage *> &v)
{
  for (GstMessage *m : v)
    gst_message_unref (m);
  v.clear ();
}

/* Runs frames [0, n): motion (a moving square) in [m0, m1). */
void
run_scene (Gate &g, int n, int m0, int m1, uint32_t seed = 0)
{
  for (int i = 0; i < n; i++) {
    Scene s;
    if (i >= m0 && i < m1) {
      s.square = true;
      s.sx = 4 + ((i - m0) * 3) % 44;
      s.sy = 10 + ((i - m0) * 2) % 24;
    }
    fail_unless_equals_int (g.push (s, i + seed), GST_FLOW_OK);
  }
}

} // namespace

GST_START_TEST (test_drop_keeps_motion_with_pre_and_post_roll)
{
  Gate g ("pre-roll=1000000000 post-roll=2000000000 min-motion=300000000");
  run_scene (g, 120, 50, 70);
  gst_harness_push_event (g.h, gst_event_new_eos ());
  /* motion [5.0, 7.2) s (the square vanishing at 7.0 s is a change too,
   * seen again at 7.1 s over the 200 ms span): kept from 4.0 s (pre-roll)
   * to 9.2 s (post-roll) */
  std::vector<int> want;
  for (int i = 40; i < 92; i++)
    want.push_back (i);
  const auto kept = g.kept ();
  fail_unless (kept == want, "kept %zu frames, first %d last %d", kept.size (),
               kept.empty () ? -1 : kept.front (),
               kept.empty () ? -1 : kept.back ());
  /* order: segment-start, the frames, segment-end; GAPs elsewhere. No
   * force-key-unit before the first frame pushed (test_keyframe_asked) */
  int first_buf = -1, fku = -1, start = -1, end = -1, end_oob = -1,
      last_buf = -1;
  for (std::size_t i = 0; i < g.log.size (); i++) {
    const Item &it = g.log[i];
    if (it.kind == Item::Buffer) {
      if (first_buf < 0)
        first_buf = i;
      last_buf = i;
    }
    if (it.kind == Item::ForceKeyUnit)
      fku = i;
    if (it.kind == Item::SegStart) {
      start = i;
      fail_unless_equals_uint64 (it.rt, 40 * kFrame);
    }
    if (it.kind == Item::SegEnd) {
      end = i;
      fail_unless_equals_uint64 (it.rt, 92 * kFrame);
    }
    if (it.kind == Item::SegEndOob) {
      end_oob = i;
      fail_unless_equals_uint64 (it.rt, 92 * kFrame);
    }
  }
  fail_unless (fku < 0 && start + 1 == first_buf);
  fail_unless (end == last_buf + 1);
  /* the end also out of band, at once (an encoder keeps the other) */
  fail_unless (end_oob == end + 1);
  /* every frame is accounted for: kept or covered by a GAP, and each GAP
   * also announced out of band */
  fail_unless_equals_int (g.count (Item::Gap) + g.count (Item::Buffer), 120);
  fail_unless_equals_int (g.count (Item::GapOob), g.count (Item::Gap));
  fail_unless_equals_int (g.count (Item::SegStart), 1);

  auto msgs = g.messages (prune::names::kGate);
  fail_unless_equals_int (msgs.size (), 2);
  auto open = prune::from_message<prune::Gate> (msgs[0]);
  auto closed = prune::from_message<prune::Gate> (msgs[1]);
  fail_unless (open && closed);
  fail_unless (open->state == prune::GateState::Open);
  fail_unless_equals_uint64 (open->running_time, 40 * kFrame);
  fail_unless (open->score > 0.0);
  fail_unless (closed->state == prune::GateState::Closed);
  fail_unless (closed->reason == prune::GateReason::Static);
  free_messages (msgs);

  GstStructure *st = g.stats ();
  guint64 in, passed, dropped;
  guint segments;
  fail_unless (gst_structure_get (st, "frames-in", G_TYPE_UINT64, &in,
                                  "frames-passed", G_TYPE_UINT64, &passed,
                                  "frames-dropped", G_TYPE_UINT64, &dropped,
                                  "segments", G_TYPE_UINT, &segments, nullptr));
  fail_unless_equals_uint64 (in, 120);
  fail_unless_equals_uint64 (passed, 52);
  fail_unless_equals_uint64 (dropped, 68);
  fail_unless_equals_int (segments, 1);
  gst_structure_free (st);
}
GST_END_TEST;

/* A kept segment after the first starts with a force-key-unit event (the
 * encoder has coded frames before it); the first does not: an encoder's
 * first frame is a keyframe, and GstVideoEncoder (1.22) takes a first
 * frame forced so as the last forced key unit at x264enc's offset PTS
 * (about 1000 h), then ignores timed requests (segmentsink's cuts). */
/* send-gaps=false: the same frames and events, no GAP (an encoder after
 * the gate keeps every GAP until its next frame: gst-prune's memory grew
 * by 0.49 KB per static frame, 26 MB over 30 minutes of a static 30 fps
 * input) */
GST_START_TEST (test_no_gaps)
{
  Gate g ("pre-roll=1000000000 post-roll=2000000000 min-motion=300000000 "
          "send-gaps=false");
  run_scene (g, 120, 50, 70);
  gst_harness_push_event (g.h, gst_event_new_eos ());
  fail_unless_equals_int (g.count (Item::Gap), 0);
  fail_unless_equals_int (g.count (Item::GapOob), 68);
  fail_unless_equals_int (g.count (Item::Buffer), 52);
  fail_unless_equals_int (g.count (Item::SegStart), 1);
  fail_unless_equals_int (g.count (Item::SegEnd), 1);
  fail_unless_equals_int (g.count (Item::SegEndOob), 1);
}
GST_END_TEST;

GST_START_TEST (test_keyframe_asked)
{
  Gate g ("pre-roll=0 post-roll=0 min-motion=300000000");
  for (int i = 0; i < 200; i++) {
    Scene s;
    const int m0 = i < 100 ? 50 : 150;
    if (i >= m0 && i < m0 + 20) {
      s.square = true;
      s.sx = 4 + ((i - m0) * 3) % 44;
      s.sy = 10 + ((i - m0) * 2) % 24;
    }
    fail_unless_equals_int (g.push (s, i), GST_FLOW_OK);
  }
  gst_harness_push_event (g.h, gst_event_new_eos ());
  std::vector<int> starts, fkus, bufs;
  for (std::size_t i = 0; i < g.log.size (); i++) {
    const Item &it = g.log[i];
    if (it.kind == Item::SegStart)
      starts.push_back (i);
    if (it.kind == Item::ForceKeyUnit)
      fkus.push_back (i);
    if (it.kind == Item::Buffer)
      bufs.push_back (i);
  }
  fail_unless_equals_int (starts.size (), 2);
  fail_unless_equals_int (fkus.size (), 1);
  fail_unless (fkus[0] + 1 == starts[1]);
  fail_unless (bufs.front () == starts[0] + 1);
}

GST_END_TEST;

GST_START_TEST (test_mark_passes_everything)
{
  Gate g ("mode=mark pre-roll=1000000000 post-roll=2000000000");
  run_scene (g, 120, 50, 70);
  gst_harness_push_event (g.h, gst_event_new_eos ());
  fail_unless_equals_int (g.kept ().size (), 120);
  fail_unless_equals_int (g.count (Item::Gap), 0);
  fail_unless_equals_int (g.count (Item::ForceKeyUnit), 1);
  fail_unless_equals_int (g.count (Item::SegStart), 1);
  fail_unless_equals_int (g.count (Item::SegEnd), 1);
  for (const Item &it : g.log) {
    if (it.kind == Item::SegStart) {
      /* opened at frame 52, the segment reaches back to 4.0 s */
      fail_unless_equals_uint64 (it.rt, 40 * kFrame);
      fail_unless_equals_uint64 (it.pts, 40 * kFrame);
    }
    if (it.kind == Item::SegEnd)
      fail_unless_equals_uint64 (it.rt, 92 * kFrame);
  }
  auto msgs = g.messages (prune::names::kGate);
  fail_unless_equals_int (msgs.size (), 2);
  free_messages (msgs);
}
GST_END_TEST;

GST_START_TEST (test_static_scene_never_opens)
{
  /* noise, a global light ramp and an exposure step: nothing moves */
  Gate g;
  for (int i = 0; i < 200; i++) {
    Scene s;
    s.noise = 3;
    s.gain = 1.0 + 0.2 * i / 200.0 + (i >= 120 ? 0.25 : 0.0);
    fail_unless_equals_int (g.push (s, i), GST_FLOW_OK);
  }
  gst_harness_push_event (g.h, gst_event_new_eos ());
  fail_unless_equals_int (g.kept ().size (), 0);
  fail_unless_equals_int (g.count (Item::SegStart), 0);
  fail_unless_equals_int (g.count (Item::Gap), 200);
}
GST_END_TEST;

GST_START_TEST (test_eos_while_open_ends_segment)
{
  Gate g ("pre-roll=0");
  run_scene (g, 40, 20, 40);
  gst_harness_push_event (g.h, gst_event_new_eos ());
  fail_unless (!g.log.empty ());
  const std::size_t n = g.log.size ();
  fail_unless_equals_int (g.log[n - 1].kind, Item::Eos);
  fail_unless_equals_int (g.log[n - 3].kind, Item::SegEnd);
  fail_unless_equals_uint64 (g.log[n - 3].rt, 40 * kFrame);
  fail_unless_equals_int (g.log[n - 2].kind, Item::SegEndOob);
  fail_unless_equals_uint64 (g.log[n - 2].rt, 40 * kFrame);
  auto msgs = g.messages (prune::names::kGate);
  fail_unless_equals_int (msgs.size (), 2);
  auto closed = prune::from_message<prune::Gate> (msgs[1]);
  fail_unless (closed->reason == prune::GateReason::Eos);
  free_messages (msgs);
}
GST_END_TEST;

GST_START_TEST (test_flush_resets)
{
  Gate g ("pre-roll=0");
  run_scene (g, 40, 20, 40);
  GstStructure *st = g.stats ();
  gboolean open;
  gst_structure_get_boolean (st, "open", &open);
  gst_structure_free (st);
  fail_unless (open);
  gst_harness_push_event (g.h, gst_event_new_flush_start ());
  gst_harness_push_event (g.h, gst_event_new_flush_stop (TRUE));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (g.h, gst_event_new_segment (&seg));
  st = g.stats ();
  gst_structure_get_boolean (st, "open", &open);
  gst_structure_free (st);
  fail_if (open);
  /* after the flush static frames are dropped again */
  const std::size_t before = g.kept ().size ();
  run_scene (g, 30, 100, 100, 500);
  fail_unless_equals_int (g.kept ().size (), before);
}
GST_END_TEST;

/* The same segment again, while open: the kept segment goes on (no end,
 * no new start), and so does the motion analysis. */
GST_START_TEST (test_same_segment_again_keeps_going)
{
  Gate g ("pre-roll=0");
  run_scene (g, 40, 20, 40);
  fail_unless_equals_int (g.count (Item::SegStart), 1);
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (g.h, gst_event_new_segment (&seg));
  for (int i = 40; i < 60; i++) {
    Scene s;
    s.square = true;
    s.sx = 4 + ((i - 20) * 3) % 44;
    s.sy = 10 + ((i - 20) * 2) % 24;
    fail_unless_equals_int (g.push (s, i), GST_FLOW_OK);
  }
  fail_unless_equals_int (g.count (Item::SegEnd), 0);
  fail_unless_equals_int (g.count (Item::SegStart), 1);
  const std::vector<int> kept = g.kept ();
  fail_unless (!kept.empty () && kept.back () == 59);
  for (int i = 41; i < 60; i++)
    fail_unless (std::find (kept.begin (), kept.end (), i) != kept.end (),
                 "frame %d dropped", i);
}
GST_END_TEST;

GST_START_TEST (test_no_pts_is_an_error_in_drop_mode)
{
  Gate g;
  Scene s;
  GstBuffer *buf = make_frame (&g.info, s, 0, GST_CLOCK_TIME_NONE);
  fail_unless_equals_int (gst_harness_push (g.h, buf), GST_FLOW_ERROR);
  check_message (g.bus, GST_MESSAGE_ERROR, "needs timestamped frames");
}
GST_END_TEST;

/* ... also in a segment in bytes (raw video straight from a file), which
 * has no stream or running time for them (criticals before) */
GST_START_TEST (test_no_pts_passes_in_mark_mode)
{
  for (const GstFormat format : {GST_FORMAT_TIME, GST_FORMAT_BYTES}) {
    Gate g ("mode=mark");
    GstSegment seg;
    gst_segment_init (&seg, format);
    fail_unless (gst_harness_push_event (g.h, gst_event_new_segment (&seg)));
    Scene s;
    for (int i = 0; i < 20; i++) {
      /* a square moves from frame 5 on: the gate opens (a message) */
      s.square = i >= 5;
      s.sx = 4 * i;
      fail_unless_equals_int (
          gst_harness_push (g.h,
                            make_frame (&g.info, s, i, GST_CLOCK_TIME_NONE)),
          GST_FLOW_OK);
    }
    fail_unless_equals_int (gst_harness_buffers_received (g.h), 20);
  }
}
GST_END_TEST;

/* A frame that does not come after the one before it (a decoder's
 * timestamps stepping back as a live stream is joined again) is dropped:
 * x264enc gives a repeated PTS out without any, and mp4mux then fails */
GST_START_TEST (test_frame_back_in_time_dropped)
{
  Gate g ("mode=mark");
  Scene s;
  s.square = true;
  const int order[] = {0, 1, 2, 2, 1, 3, 4};
  for (const int n : order) {
    s.sx = 4 * n;
    fail_unless_equals_int (
        gst_harness_push (g.h, make_frame (&g.info, s, n, n * kFrame)),
        GST_FLOW_OK);
  }
  gst_harness_push_event (g.h, gst_event_new_eos ());
  const std::vector<int> want = {0, 1, 2, 3, 4};
  fail_unless (g.kept () == want, "passed %zu frames", g.kept ().size ());
}
GST_END_TEST;

/* ... but a new segment whose running time starts again is a new stream:
 * its frames pass */
GST_START_TEST (test_new_segment_may_start_over)
{
  Gate g ("mode=mark");
  Scene s;
  s.square = true;
  for (int n = 0; n < 5; n++) {
    s.sx = 4 * n;
    fail_unless_equals_int (
        gst_harness_push (g.h, make_frame (&g.info, s, n, n * kFrame)),
        GST_FLOW_OK);
  }
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = seg.time = 10 * kFrame; /* running time 0 again */
  fail_unless (gst_harness_push_event (g.h, gst_event_new_segment (&seg)));
  for (int n = 10; n < 15; n++) {
    s.sx = 4 * (n - 10);
    fail_unless_equals_int (
        gst_harness_push (g.h, make_frame (&g.info, s, n, n * kFrame)),
        GST_FLOW_OK);
  }
  gst_harness_push_event (g.h, gst_event_new_eos ());
  fail_unless_equals_int (g.kept ().size (), 10);
}
GST_END_TEST;

GST_START_TEST (test_latency_query)
{
  Gate g ("pre-roll=2000000000 min-motion=500000000");
  gst_harness_set_upstream_latency (g.h, 10 * GST_MSECOND);
  gst_harness_play (g.h);
  /* pre-roll + min-motion + the run gap (1.5 frames at most 100 ms: 100 ms
   * before any frame) */
  GstClockTime lat = gst_harness_query_latency (g.h);
  fail_unless_equals_uint64 (lat, 10 * GST_MSECOND + 2600 * GST_MSECOND);
  g_object_set (g.h->element, "mode", 1 /* mark */, nullptr);
  lat = gst_harness_query_latency (g.h);
  fail_unless_equals_uint64 (lat, 10 * GST_MSECOND);
}
GST_END_TEST;

GST_START_TEST (test_allocation_query_adds_held_frames)
{
  Gate g ("pre-roll=3000000000");
  GstCaps *caps = gst_video_info_to_caps (&g.info);
  GstQuery *q = gst_query_new_allocation (caps, TRUE);
  gst_caps_unref (caps);
  fail_unless (gst_pad_peer_query (g.h->srcpad, q));
  fail_unless (gst_query_get_n_allocation_pools (q) >= 1);
  guint size, min, max;
  gst_query_parse_nth_allocation_pool (q, 0, nullptr, &size, &min, &max);
  /* 3 s pre-roll + 300 ms min-motion + gap at 10 fps: at least 34 frames */
  fail_unless (min >= 34, "min %u", min);
  fail_unless (max == 0 || max >= min);
  gst_query_unref (q);
}
GST_END_TEST;

/* An upstream pool capped at 4 buffers and a pre-roll of 30 frames: the
 * gate must not hold the pool's buffers (it copies the ones it holds). */
GST_START_TEST (test_capped_upstream_pool_never_stalls)
{
  Gate g ("pre-roll=3000000000 min-motion=0");
  GstBufferPool *pool = gst_video_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_video_info_to_caps (&g.info);
  gst_buffer_pool_config_set_params (config, caps, g.info.size, 0, 4);
  gst_caps_unref (caps);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  GstBufferPoolAcquireParams params = {};
  params.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT;
  for (int i = 0; i < 60; i++) {
    GstBuffer *buf = nullptr;
    fail_unless_equals_int (
        gst_buffer_pool_acquire_buffer (pool, &buf, &params), GST_FLOW_OK);
    Scene s;
    if (i >= 40) {
      s.square = true;
      s.sx = (i - 40) * 2;
      s.sy = 10;
    }
    make_frame (&g.info, s, i, i * kFrame, buf);
    fail_unless_equals_int (gst_harness_push (g.h, buf), GST_FLOW_OK);
    /* downstream consumes what it gets */
    while (GstBuffer *out = gst_harness_try_pull (g.h))
      gst_buffer_unref (out);
  }
  /* opened at frame 40 with 3 s of pre-roll: frames 10..59 came out */
  const auto kept = g.kept ();
  fail_unless_equals_int (kept.size (), 50);
  fail_unless_equals_int (kept.front (), 10);
  /* drain what the harness holds before deactivating the pool */
  GstBuffer *b;
  while ((b = gst_harness_try_pull (g.h)) != nullptr)
    gst_buffer_unref (b);
  gst_buffer_pool_set_active (pool, FALSE);
  gst_object_unref (pool);
}
GST_END_TEST;

GST_START_TEST (test_preroll_bounded_by_bytes)
{
  /* room for 5 I420 64x48 frames (4608 bytes each) */
  Gate g ("pre-roll=3000000000 min-motion=0 max-preroll-bytes=23040");
  run_scene (g, 40, 30, 40);
  const auto kept = g.kept ();
  fail_unless_equals_int (kept.front (), 25);
  GstMessage *w = gst_bus_pop_filtered (g.bus, GST_MESSAGE_WARNING);
  fail_unless (w != nullptr);
  gst_message_unref (w);
  /* one warning only */
  fail_unless (gst_bus_pop_filtered (g.bus, GST_MESSAGE_WARNING) == nullptr);
}
GST_END_TEST;

GST_START_TEST (test_formats_and_sizes)
{
  const char *formats[] = {"I420", "YV12",  "NV12", "NV21", "Y42B",
                           "Y444", "GRAY8", "YUY2", "UYVY", "RGB",
                           "BGR",  "RGBx",  "BGRx", "xRGB", "xBGR",
                           "RGBA", "BGRA",  "ARGB", "ABGR"};
  for (const char *f : formats) {
    Gate g ("pre-roll=0 min-motion=0", f);
    run_scene (g, 40, 20, 30);
    const auto kept = g.kept ();
    fail_unless (!kept.empty (), "%s: no motion found", f);
    fail_unless_equals_int (kept.front (), 20);
    fail_unless (kept.size () < 35, "%s: kept %zu", f, kept.size ());
  }
  /* tiny and odd sizes run */
  const int sizes[][2] = {{1, 1}, {2, 3}, {33, 17}, {641, 7}};
  for (auto sz : sizes) {
    Gate g ("", "I420", sz[0], sz[1]);
    for (int i = 0; i < 10; i++) {
      Scene s;
      fail_unless_equals_int (g.push (s, i), GST_FLOW_OK);
    }
  }
}
GST_END_TEST;

GST_START_TEST (test_caps_change_keeps_going)
{
  Gate g ("pre-roll=0");
  run_scene (g, 40, 10, 40); /* open */
  /* new caps only, as a decoder sends on a resolution change */
  GstCaps *caps = gst_caps_from_string (
      "video/x-raw,format=I420,width=96,height=64,framerate=10/1");
  fail_unless (gst_video_info_from_caps (&g.info, caps));
  fail_unless (gst_harness_push_event (g.h, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  for (int i = 40; i < 50; i++) {
    Scene s;
    s.square = true;
    s.sx = (i - 40) * 4;
    s.sy = 8;
    fail_unless_equals_int (
        gst_harness_push (g.h, make_frame (&g.info, s, i, i * kFrame)),
        GST_FLOW_OK);
  }
  const auto kept = g.kept ();
  fail_unless_equals_int (kept.back (), 49);
  fail_unless_equals_int (g.count (Item::SegStart), 1);
}
GST_END_TEST;

GST_START_TEST (test_mask_hides_motion)
{
  /* a square moving along the top 20 rows */
  auto run = [] (const char *props) {
    Gate g (props);
    for (int i = 0; i < 40; i++) {
      Scene s;
      s.square = i >= 10 && i < 30;
      s.sx = (i * 3) % 50;
      s.sy = 4;
      fail_unless_equals_int (g.push (s, i), GST_FLOW_OK);
    }
    return g.kept ().size ();
  };
  fail_unless (run ("pre-roll=0 min-motion=0") >= 20);
  fail_unless_equals_int (run ("pre-roll=0 min-motion=0 mask=0,0,100%,20"), 0);
  fail_unless_equals_int (
      run ("pre-roll=0 min-motion=0 mask=\"0,0,50%,20;50%,0,50%,18\""), 0);
}
GST_END_TEST;

GST_START_TEST (test_mask_image)
{
  /* a 4x2 grayscale image whose left half is white: the left half of the
   * frame is ignored */
  gchar *dir = g_dir_make_tmp ("staticgate-XXXXXX", nullptr);
  gchar *path = g_build_filename (dir, "mask left half.pgm", nullptr);
  const char pgm[] = "P5\n4 2\n255\n\xff\xff\x00\x00\xff\xff\x00\x00";
  fail_unless (g_file_set_contents (path, pgm, sizeof pgm - 1, nullptr));
  auto run = [] (const std::string &props, int x0) {
    Gate g (props.c_str ());
    for (int i = 0; i < 30; i++) {
      Scene s;
      s.square = i >= 10;
      s.sx = x0 + (i % 4) * 3;
      s.sy = 20;
      fail_unless_equals_int (g.push (s, i), GST_FLOW_OK);
    }
    return g.kept ().size ();
  };
  const std::string props =
      std::string ("pre-roll=0 min-motion=0 mask=\"") + path + "\"";
  /* motion in the left half is masked, in the right half it is not */
  fail_unless_equals_int (run (props, 2), 0);
  fail_unless (run (props, 40) >= 20);
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}
GST_END_TEST;

GST_START_TEST (test_variable_frame_rate)
{
  /* framerate 0/1, no durations, frames 0.5 s apart */
  Gate g ("pre-roll=0 min-motion=300000000", "I420");
  gst_harness_set_src_caps_str (
      g.h, "video/x-raw,format=I420,width=64,height=48,framerate=0/1");
  for (int i = 0; i < 20; i++) {
    Scene s;
    s.square = i >= 10 && i < 14;
    s.sx = (i - 10) * 8;
    s.sy = 10;
    GstBuffer *buf = make_frame (&g.info, s, i, i * 500 * GST_MSECOND);
    GST_BUFFER_DURATION (buf) = GST_CLOCK_TIME_NONE;
    fail_unless_equals_int (gst_harness_push (g.h, buf), GST_FLOW_OK);
  }
  /* one motion frame lasts until the next (0.5 s >= min-motion) */
  const auto kept = g.kept ();
  fail_unless (!kept.empty ());
  fail_unless_equals_int (kept.front (), 50); /* 5.0 s, in 100 ms units */
}
GST_END_TEST;

GST_START_TEST (test_bad_mask_fails_start)
{
  GstElement *e = gst_element_factory_make ("staticgate", nullptr);
  g_object_set (e, "mask", "1,2,3", nullptr);
  check_start_refused (e, "exactly 4 values");
  /* a missing image too */
  g_object_set (e, "mask", "/nonexistent/mask.png", nullptr);
  check_start_refused (e, "/nonexistent/mask.png");
  gst_object_unref (e);
}
GST_END_TEST;

GST_START_TEST (test_ticking_clock_is_masked_automatically)
{
  /* a digit that changes once a second; min-motion 0 so that, unmasked,
   * every tick would open the gate */
  auto run = [] (const char *props) {
    Gate g (props);
    for (int i = 0; i < 300; i++) {
      Scene s;
      s.tick = i / 10;
      fail_unless_equals_int (g.push (s, i), GST_FLOW_OK);
    }
    guint masked = 0;
    GstStructure *st = g.stats ();
    gst_structure_get_uint (st, "auto-masked-blocks", &masked);
    gst_structure_free (st);
    /* kept frames in the last 20 s */
    int late = 0;
    for (int k : g.kept ())
      late += k >= 100;
    return std::make_pair (masked, late);
  };
  auto [masked, late] = run ("pre-roll=0 post-roll=0 min-motion=0");
  fail_unless (masked >= 1, "clock not masked");
  fail_unless_equals_int (late, 0);
  auto [masked_off, late_off] =
      run ("pre-roll=0 post-roll=0 min-motion=0 auto-mask=false");
  fail_unless_equals_int (masked_off, 0);
  fail_unless (late_off >= 19, "ticks did not open the gate: %d", late_off);
}
GST_END_TEST;

GST_START_TEST (test_keep_alive_frames)
{
  Gate g ("keep-alive=2000000000");
  run_scene (g, 100, 1000, 1000);
  /* one frame every 2 s of static: 2.0, 4.1, 6.2, 8.3 */
  const auto kept = g.kept ();
  fail_unless_equals_int (kept.size (), 4);
  fail_unless_equals_int (g.count (Item::SegStart), 4);
  fail_unless_equals_int (g.count (Item::SegEnd), 4);
}
GST_END_TEST;

GST_START_TEST (test_post_scores)
{
  Gate g ("post-scores=true");
  run_scene (g, 20, 10, 20);
  auto msgs = g.messages (prune::names::kScore);
  /* the first frame is only a reference */
  fail_unless_equals_int (msgs.size (), 20);
  int motion = 0;
  for (GstMessage *m : msgs) {
    auto sc = prune::from_message<prune::Score> (m);
    fail_unless (bool (sc), "%s", sc.error ().c_str ());
    motion += sc->motion;
  }
  fail_unless (motion >= 8 && motion <= 11, "motion in %d frames", motion);
  free_messages (msgs);
}
GST_END_TEST;

GST_START_TEST (test_live_threshold_change)
{
  Gate g ("pre-roll=0 min-motion=0");
  run_scene (g, 20, 10, 20); /* motion at 1.0-2.0 s opens the gate */
  fail_unless (!g.kept ().empty ());
  /* a huge threshold from the next frame on: the motion at 5.0-6.0 s is
   * ignored; the gate closes 2 s after the first motion (frame 40) */
  g_object_set (g.h->element, "threshold", 250.0, nullptr);
  run_scene (g, 60, 30, 40, 20);
  for (int k : g.kept ())
    fail_unless (k < 40, "frame %d kept", k);
  fail_unless_equals_int (g.kept ().back (), 39);
}
GST_END_TEST;

GST_START_TEST (test_live_analysis_width_and_mode_change)
{
  Gate g ("pre-roll=0 min-motion=0");
  run_scene (g, 20, 10, 20);
  g_object_set (g.h->element, "analysis-width", 16, "mode", 1 /* mark */,
                nullptr);
  run_scene (g, 20, 100, 100, 20); /* static, in mark mode: all pass */
  g_object_set (g.h->element, "analysis-width", 1920, "mode", 0, nullptr);
  run_scene (g, 40, 20, 30, 40);
  /* the motion at 6.0-7.0 s after the changes is found */
  const auto kept = g.kept ();
  fail_unless (std::find (kept.begin (), kept.end (), 60) != kept.end ());
  fail_unless (std::find (kept.begin (), kept.end (), 35) != kept.end ());
}
GST_END_TEST;

static Suite *
staticgate_suite (void)
{
  Suite *s = suite_create ("staticgate");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_drop_keeps_motion_with_pre_and_post_roll);
  tcase_add_test (tc, test_no_gaps);
  tcase_add_test (tc, test_keyframe_asked);
  tcase_add_test (tc, test_mark_passes_everything);
  tcase_add_test (tc, test_static_scene_never_opens);
  tcase_add_test (tc, test_eos_while_open_ends_segment);
  tcase_add_test (tc, test_flush_resets);
  tcase_add_test (tc, test_same_segment_again_keeps_going);
  tcase_add_test (tc, test_no_pts_is_an_error_in_drop_mode);
  tcase_add_test (tc, test_no_pts_passes_in_mark_mode);
  tcase_add_test (tc, test_frame_back_in_time_dropped);
  tcase_add_test (tc, test_new_segment_may_start_over);
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_allocation_query_adds_held_frames);
  tcase_add_test (tc, test_capped_upstream_pool_never_stalls);
  tcase_add_test (tc, test_preroll_bounded_by_bytes);
  tcase_add_test (tc, test_formats_and_sizes);
  tcase_add_test (tc, test_caps_change_keeps_going);
  tcase_add_test (tc, test_mask_hides_motion);
  tcase_add_test (tc, test_mask_image);
  tcase_add_test (tc, test_variable_frame_rate);
  tcase_add_test (tc, test_bad_mask_fails_start);
  tcase_add_test (tc, test_ticking_clock_is_masked_automatically);
  tcase_add_test (tc, test_keep_alive_frames);
  tcase_add_test (tc, test_post_scores);
  tcase_add_test (tc, test_live_threshold_change);
  tcase_add_test (tc, test_live_analysis_width_and_mode_change);
  return s;
}

GST_CHECK_MAIN (staticgate);

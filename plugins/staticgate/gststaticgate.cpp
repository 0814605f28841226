/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-staticgate
 * @title: staticgate
 *
 * Drops the long stretches of a video stream where nothing moves and keeps
 * the motion, with pre-roll and post-roll. Put it after a decoder and
 * before an encoder:
 *
 * |[
 * gst-launch-1.0 -e filesrc location=cam.mp4 ! decodebin ! videoconvert ! \
 *     staticgate send-gaps=false ! x264enc ! mp4mux ! \
 *     filesink location=kept.mp4
 * ]|
 *
 * Each frame's luma is averaged down to `analysis-width` and compared,
 * block by block, with the previous frame and the one 200 ms earlier (slow
 * motion at high frame rates) after a global gain/offset correction; a
 * block changes when its difference exceeds `threshold`
 * plus three times its learned noise floor, and a frame shows motion when
 * the changed fraction of unmasked blocks reaches `min-area`. Motion must
 * last `min-motion` to open the gate; static must last `post-roll` to close
 * it. A ticking burnt-in clock is found and masked automatically
 * (`auto-mask`); other regions can be masked with `mask`. See
 * docs/elements/staticgate.md.
 *
 * In `drop` mode (default) frames that are not kept are not pushed; GAP
 * events cover them. Frames from `pre-roll` before the motion started are
 * held (bounded by `max-preroll-bytes`) and pushed, in order, with their
 * own timestamps, when the gate opens. The LATENCY query adds what the
 * gate can hold back. In `mark` mode every frame is pushed at once and
 * only the events and messages mark the kept segments.
 *
 * At the start of each kept segment the gate sends a downstream
 * force-key-unit event, then the serialized custom event
 * `prune-segment-start`; after its last frame `prune-segment-end` (also
 * before EOS when the stream ends while open), and the same structure out
 * of band right after it (a video encoder keeps the serialized one until
 * its next frame, which comes with the next segment; segmentsink closes
 * the segment's file with it). Fields of both are listed in
 * docs/names.md (running-time, timestamp, stream-time, index, reason; end
 * adds duration). In `mark` mode the start event's times point at the
 * segment's start including pre-roll, which lies in the past.
 *
 * ## Messages
 *
 * `prune-gate` element message on every open and close:
 * state (string "open"/"closed"), timestamp, stream-time, running-time
 * (guint64: first kept frame, or end of the last one), score (gdouble,
 * changed-area fraction of the deciding frame), index (guint, segment
 * number), reason (string "motion", "keep-alive", "static", "eos").
 *
 * `prune-score` element message for every frame when `post-scores` is
 * TRUE: timestamp, stream-time, running-time (guint64), score (gdouble),
 * motion (gboolean), changed-blocks, active-blocks (guint), noise-floor
 * (gdouble, luma levels), open (gboolean).
 *
 * ## Timestamps
 *
 * In drop mode every frame needs a PTS: a frame without one is an element
 * error. In mark mode such frames pass and are analysed as following the
 * previous frame by one frame duration. A FLUSH resets the gate (closed,
 * no events). A new SEGMENT ends an open kept segment (reason "eos") and
 * resets the analysis. A caps change re-initialises the analysis (the
 * first frame after it is a new reference, never motion) and keeps the
 * gate's state; frames held for pre-roll in the old format are dropped.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gststaticgate.h"

#include <gst/prune/gate.h>
#include <gst/prune/kernels.h>
#include <gst/prune/mask.h>
#include <gst/prune/motion.h>
#include <gst/prune/names.h>
#include "../prune-element.h"
#include <gst/video/video.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gst_static_gate_debug);
#define GST_CAT_DEFAULT gst_static_gate_debug

#define VIDEO_FORMATS                                                          \
  "{ I420, YV12, NV12, NV21, Y42B, Y444, GRAY8, YUY2, UYVY, RGB, BGR, "        \
  "RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

enum {
  PROP_0,
  PROP_MODE,
  PROP_THRESHOLD,
  PROP_MIN_AREA,
  PROP_MIN_MOTION,
  PROP_PRE_ROLL,
  PROP_POST_ROLL,
  PROP_MAX_PREROLL_BYTES,
  PROP_MASK,
  PROP_AUTO_MASK,
  PROP_KEEP_ALIVE,
  PROP_ANALYSIS_WIDTH,
  PROP_POST_SCORES,
  PROP_SEND_GAPS,
  PROP_STATS,
};

#define DEFAULT_MODE GST_STATIC_GATE_MODE_DROP
#define DEFAULT_THRESHOLD 5.0
#define DEFAULT_MIN_AREA 0.0025
#define DEFAULT_MIN_MOTION (300 * GST_MSECOND)
#define DEFAULT_PRE_ROLL (GST_SECOND)
#define DEFAULT_POST_ROLL (2 * GST_SECOND)
#define DEFAULT_MAX_PREROLL_BYTES (256 * 1024 * 1024)
#define DEFAULT_AUTO_MASK TRUE
#define DEFAULT_KEEP_ALIVE 0
#define DEFAULT_ANALYSIS_WIDTH 320
#define DEFAULT_POST_SCORES FALSE
#define DEFAULT_SEND_GAPS TRUE

/* Held frames never exceed this many, whatever max-preroll-bytes allows. */
#define MAX_HELD_FRAMES 2048

namespace {

/* A decoded grayscale mask image. */
struct MaskImage {
  std::vector<uint8_t> pixels;
  int width = 0, height = 0;
};

/* Properties, under the object lock. */
struct Settings {
  GstStaticGateMode mode = DEFAULT_MODE;
  prune::MotionSettings motion;
  prune::GateLogic::Settings gate;
  guint64 max_preroll_bytes = DEFAULT_MAX_PREROLL_BYTES;
  std::string mask;
  std::string mask_error; /* why `mask` was refused, empty if in use */
  prune::MaskSpec mask_spec;
  MaskImage mask_image;
  guint analysis_width = DEFAULT_ANALYSIS_WIDTH;
  gboolean post_scores = DEFAULT_POST_SCORES;
  gboolean send_gaps = DEFAULT_SEND_GAPS;
  /* bumped on every change; the streaming thread applies a new serial */
  guint64 serial = 1;
  guint64 mask_serial = 1;
};

/* Counters for the read-only stats property, under the object lock. */
struct Stats {
  guint64 frames_in = 0, passed = 0, dropped = 0;
  guint segments = 0;
  double score = 0.0, noise_floor = 0.0;
  guint auto_masked = 0;
  gboolean open = FALSE;
  guint held = 0;
  guint64 held_bytes = 0;
};

struct Held {
  GstBuffer *buffer = nullptr;
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  gsize size = 0;
};

/* Output of one input frame, in order: events and buffers. */
using Output = std::variant<GstEvent *, GstBuffer *>;

/* Streaming-thread state. */
struct State {
  prune::MotionDetector detector;
  prune::GateLogic gate;
  Settings applied; /* copy of the settings in use */
  bool configured = false;
  GstVideoInfo info;
  std::deque<Held> held;
  guint64 held_bytes = 0;
  std::deque<Output> out;
  bool warned_overflow = false;
  /* a buffer was pushed since the element started */
  bool pushed = false;
  guint segment_index = 0;
  GstClockTime segment_start_rt = GST_CLOCK_TIME_NONE;
  GstClockTime last_rt = GST_CLOCK_TIME_NONE;
  GstClockTime last_end_pts = GST_CLOCK_TIME_NONE;
  /* upstream pool whose buffers we hold, and its maximum */
  GstBufferPool *upstream_pool = nullptr;
  guint upstream_max = 0;
  GstBufferPool *copy_pool = nullptr;
};

} // namespace

struct _GstStaticGate {
  GstVideoFilter parent;
  /* C++ state lives here: GObject zero-fills instances and runs no
   * constructors. settings and stats are under the object lock; state is
   * touched by the streaming thread only (and by state changes while it
   * is stopped). */
  Settings *settings;
  Stats *stats;
  State *state;
};

G_DEFINE_TYPE (GstStaticGate, gst_static_gate, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (
    staticgate, "staticgate", GST_RANK_NONE, GST_TYPE_STATIC_GATE,
    GST_DEBUG_CATEGORY_INIT (gst_static_gate_debug, "staticgate", 0,
                             "frame-difference static gate"));

GType
gst_static_gate_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_STATIC_GATE_MODE_DROP, "Static frames are not pushed", "drop"},
      {GST_STATIC_GATE_MODE_MARK,
       "Every frame is pushed; events and messages mark kept segments", "mark"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstStaticGateMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

/* Decodes any image GStreamer can read into 8-bit gray. */
static bool
load_mask_image (const std::string &path, MaskImage &out, std::string &error)
{
  if (!g_file_test (path.c_str (), G_FILE_TEST_IS_REGULAR)) {
    error = "mask image '" + path + "' does not exist or is not a file";
    return false;
  }
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch (
      "filesrc name=src ! decodebin ! videoconvert ! "
      "video/x-raw,format=GRAY8 ! fakesink name=sink enable-last-sample=true",
      &err);
  if (pipeline == nullptr) {
    error = std::string ("cannot build the image decoder: ") +
            (err ? err->message : "unknown error");
    g_clear_error (&err);
    return false;
  }
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "location", path.c_str (), nullptr);
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  GstStateChangeReturn ret =
      gst_element_get_state (pipeline, nullptr, nullptr, 10 * GST_SECOND);
  bool ok = false;
  if (ret == GST_STATE_CHANGE_SUCCESS || ret == GST_STATE_CHANGE_NO_PREROLL) {
    GstSample *sample = nullptr;
    g_object_get (sink, "last-sample", &sample, nullptr);
    GstVideoInfo info;
    GstVideoFrame frame;
    if (sample != nullptr &&
        gst_video_info_from_caps (&info, gst_sample_get_caps (sample)) &&
        gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
                             GST_MAP_READ)) {
      out.width = GST_VIDEO_FRAME_WIDTH (&frame);
      out.height = GST_VIDEO_FRAME_HEIGHT (&frame);
      out.pixels.resize (static_cast<std::size_t> (out.width) * out.height);
      const auto *p =
          static_cast<const uint8_t *> (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0));
      const int stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
      for (int y = 0; y < out.height; y++)
        std::copy_n (p + static_cast<std::size_t> (y) * stride, out.width,
                     out.pixels.begin () +
                         static_cast<std::size_t> (y) * out.width);
      gst_video_frame_unmap (&frame);
      ok = true;
    }
    if (sample != nullptr)
      gst_sample_unref (sample);
  }
  if (!ok) {
    error = "mask image '" + path + "' could not be decoded";
    GstBus *bus = gst_element_get_bus (pipeline);
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg != nullptr) {
      GError *e = nullptr;
      gst_message_parse_error (msg, &e, nullptr);
      error += std::string (": ") + e->message;
      g_clear_error (&e);
      gst_message_unref (msg);
    }
    gst_object_unref (bus);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return ok;
}

/* Parses @text and loads its image; on success fills @spec and @image. */
static bool
parse_mask_setting (const std::string &text, prune::MaskSpec &spec,
                    MaskImage &image, std::string &error)
{
  auto parsed = prune::parse_mask (text);
  if (!parsed) {
    error = parsed.error ();
    return false;
  }
  if (parsed->images.size () > 1) {
    error = "mask: give at most one image (got " +
            std::to_string (parsed->images.size ()) + ")";
    return false;
  }
  MaskImage img;
  if (!parsed->images.empty () &&
      !load_mask_image (parsed->images[0], img, error))
    return false;
  spec = *parsed;
  image = std::move (img);
  return true;
}

static bool
luma_layout (GstVideoFormat format, prune::kernels::LumaLayout &l)
{
  switch (format) {
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_YV12:
    case GST_VIDEO_FORMAT_NV12:
    case GST_VIDEO_FORMAT_NV21:
    case GST_VIDEO_FORMAT_Y42B:
    case GST_VIDEO_FORMAT_Y444:
    case GST_VIDEO_FORMAT_GRAY8:
      l = {1, {1, 0, 0, 0}, 1};
      return true;
    case GST_VIDEO_FORMAT_YUY2:
      l = {2, {1, 0, 0, 0}, 1};
      return true;
    case GST_VIDEO_FORMAT_UYVY:
      l = {2, {0, 1, 0, 0}, 1};
      return true;
    case GST_VIDEO_FORMAT_RGB:
    case GST_VIDEO_FORMAT_BGR:
      l = {3, {1, 2, 1, 0}, 4};
      return true;
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_RGBA:
    case GST_VIDEO_FORMAT_BGRA:
      l = {4, {1, 2, 1, 0}, 4};
      return true;
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_xBGR:
    case GST_VIDEO_FORMAT_ARGB:
    case GST_VIDEO_FORMAT_ABGR:
      l = {4, {0, 1, 2, 1}, 4};
      return true;
    default:
      return false;
  }
}

/* ---------------------------------------------------------------------- */
/* Streaming                                                               */

static void
update_stats (GstStaticGate *self, const prune::MotionResult *r, guint64 passed,
              guint64 dropped)
{
  State &st = *self->state;
  prune::ObjectLocker lock (self);
  Stats &s = *self->stats;
  if (r != nullptr) {
    s.frames_in++;
    s.score = r->score;
    s.noise_floor = r->noise_floor;
    s.auto_masked = r->auto_masked_blocks;
  }
  s.passed += passed;
  s.dropped += dropped;
  s.segments = st.segment_index;
  s.open = st.gate.is_open ();
  s.held = static_cast<guint> (st.held.size ());
  s.held_bytes = st.held_bytes;
}

static GstClockTime
stream_time_of (GstStaticGate *self, GstClockTime pts)
{
  return prune::to_stream_time (GST_BASE_TRANSFORM (self)->segment, pts);
}

/* Drops the oldest held frame, announcing it with a GAP event (unless
 * send-gaps is off) and out of band (prune-gap: an encoder keeps the GAP
 * until its next frame, and a sink behind it would wait for the video
 * for as long as the gate stays closed). */
static void
drop_oldest (GstStaticGate *self)
{
  State &st = *self->state;
  Held h = st.held.front ();
  st.held.pop_front ();
  st.held_bytes -= h.size;
  gst_buffer_unref (h.buffer);
  if (GST_CLOCK_TIME_IS_VALID (h.pts) && st.applied.send_gaps)
    st.out.emplace_back (gst_event_new_gap (h.pts, h.duration));
  if (GST_CLOCK_TIME_IS_VALID (h.rt)) {
    prune::Gap gap;
    gap.running_time = h.rt;
    gap.duration = h.duration;
    st.out.emplace_back (prune::to_oob_event (gap));
  }
  update_stats (self, nullptr, 0, 1);
}

static void
drop_all_held (GstStaticGate *self)
{
  while (!self->state->held.empty ())
    drop_oldest (self);
}

/* Copies @buf into the element's own bounded pool, so that the upstream
 * buffer goes back to its pool at once. */
static GstBuffer *
copy_to_own_pool (GstStaticGate *self, GstBuffer *buf)
{
  State &st = *self->state;
  if (st.copy_pool == nullptr) {
    st.copy_pool = gst_video_buffer_pool_new ();
    GstStructure *config = gst_buffer_pool_get_config (st.copy_pool);
    GstCaps *caps = gst_video_info_to_caps (&st.info);
    const guint max = static_cast<guint> (std::min<guint64> (
        MAX_HELD_FRAMES,
        st.applied.max_preroll_bytes / std::max<gsize> (1, st.info.size) + 2));
    gst_buffer_pool_config_set_params (
        config, caps, static_cast<guint> (st.info.size), 0, max);
    gst_caps_unref (caps);
    if (!gst_buffer_pool_set_config (st.copy_pool, config) ||
        !gst_buffer_pool_set_active (st.copy_pool, TRUE)) {
      gst_clear_object (&st.copy_pool);
      return nullptr;
    }
  }
  GstBuffer *copy = nullptr;
  GstBufferPoolAcquireParams params = {};
  params.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT;
  if (gst_buffer_pool_acquire_buffer (st.copy_pool, &copy, &params) !=
      GST_FLOW_OK)
    return nullptr;
  GstVideoFrame src, dst;
  bool ok = false;
  if (gst_video_frame_map (&src, &st.info, buf, GST_MAP_READ)) {
    if (gst_video_frame_map (&dst, &st.info, copy, GST_MAP_WRITE)) {
      ok = gst_video_frame_copy (&dst, &src);
      gst_video_frame_unmap (&dst);
    }
    gst_video_frame_unmap (&src);
  }
  if (!ok) {
    gst_buffer_unref (copy);
    return nullptr;
  }
  gst_buffer_copy_into (copy, buf,
                        static_cast<GstBufferCopyFlags> (
                            GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS),
                        0, static_cast<gsize> (-1));
  return copy;
}

/* How many buffers of a capped upstream pool we may hold: all but two,
 * so that upstream can always produce the next frame. */
static guint
upstream_allowance (GstStaticGate *self, GstBuffer *buf)
{
  State &st = *self->state;
  if (buf->pool != st.upstream_pool) {
    gst_clear_object (&st.upstream_pool);
    st.upstream_max = 0;
    if (buf->pool != nullptr) {
      st.upstream_pool = GST_BUFFER_POOL (gst_object_ref (buf->pool));
      GstStructure *config = gst_buffer_pool_get_config (buf->pool);
      guint size, min, max;
      if (gst_buffer_pool_config_get_params (config, nullptr, &size, &min,
                                             &max))
        st.upstream_max = max;
      gst_structure_free (config);
    }
  }
  if (st.upstream_max == 0)
    return G_MAXUINT;
  return st.upstream_max > 2 ? st.upstream_max - 2 : 0;
}

static void
hold (GstStaticGate *self, GstBuffer *buf, GstClockTime rt)
{
  State &st = *self->state;
  /* never starve a capped upstream pool: swap the oldest originals from it
   * for copies */
  const guint allowance = upstream_allowance (self, buf);
  if (allowance != G_MAXUINT) {
    guint from_pool = 1;
    for (const Held &h : st.held)
      if (h.buffer->pool == buf->pool)
        from_pool++;
    for (Held &h : st.held) {
      if (from_pool <= allowance)
        break;
      if (h.buffer->pool != buf->pool)
        continue;
      GstBuffer *copy = copy_to_own_pool (self, h.buffer);
      if (copy == nullptr)
        break;
      gst_buffer_unref (h.buffer);
      h.buffer = copy;
      from_pool--;
    }
    if (from_pool > allowance) {
      GstBuffer *copy = copy_to_own_pool (self, buf);
      if (copy != nullptr) {
        gst_buffer_unref (buf);
        buf = copy;
      }
    }
  }
  Held h;
  h.buffer = buf;
  h.rt = rt;
  h.pts = GST_BUFFER_PTS (buf);
  h.duration = GST_BUFFER_DURATION (buf);
  h.size = gst_buffer_get_size (buf);
  st.held.push_back (h);
  st.held_bytes += h.size;
  bool overflow = false;
  while (st.held.size () > 1 && (st.held_bytes > st.applied.max_preroll_bytes ||
                                 st.held.size () > MAX_HELD_FRAMES)) {
    drop_oldest (self);
    overflow = true;
  }
  if (overflow && !st.warned_overflow) {
    st.warned_overflow = true;
    GST_ELEMENT_WARNING (
        self, RESOURCE, NO_SPACE_LEFT,
        ("Pre-roll shortened: the frames it needs exceed max-preroll-bytes "
         "(%" G_GUINT64_FORMAT " bytes)",
         st.applied.max_preroll_bytes),
        ("held %u frames, oldest dropped first; raise max-preroll-bytes or "
         "lower pre-roll",
         static_cast<guint> (st.held.size ())));
  }
}

static void
post_gate_message (GstStaticGate *self, prune::GateState state,
                   GstClockTime pts, GstClockTime rt, double score,
                   prune::GateReason reason)
{
  prune::Gate g;
  g.state = state;
  g.timestamp = pts;
  g.stream_time = stream_time_of (self, pts);
  g.running_time = rt;
  g.score = std::clamp (score, 0.0, 1.0);
  g.index = self->state->segment_index;
  g.reason = reason;
  gst_element_post_message (GST_ELEMENT (self),
                            prune::to_message (g, GST_OBJECT (self)));
}

/* Queues the events that start a kept segment at the frame @pts/@rt. */
static void
start_segment (GstStaticGate *self, GstClockTime pts, GstClockTime rt,
               double score, prune::GateReason reason)
{
  State &st = *self->state;
  const GstClockTime stream_time = stream_time_of (self, pts);
  /* running-time NONE: "the next frame". GstVideoEncoder (1.22) compares
   * a given running time with the one of the last forced key unit, which
   * x264enc's PTS offset skews, and then ignores the request.
   * None before the first frame, which every encoder makes a keyframe:
   * forced there, GstVideoEncoder takes the first frame's running time
   * with that offset (about 1000 h) as its last forced key unit, and
   * ignores every timed request after it until an untimed one (a
   * segmentsink cut asked for at a beat's time came a frame late). */
  if (st.pushed)
    st.out.emplace_back (gst_video_event_new_downstream_force_key_unit (
        pts, stream_time, GST_CLOCK_TIME_NONE, TRUE, st.segment_index));
  prune::SegmentStart ev;
  ev.running_time = rt;
  ev.timestamp = pts;
  ev.stream_time = stream_time;
  ev.index = st.segment_index;
  ev.reason = reason;
  st.out.emplace_back (prune::to_event (ev));
  st.segment_start_rt = rt;
  GST_INFO_OBJECT (self, "segment %u starts at %" GST_TIME_FORMAT " (%s)",
                   st.segment_index, GST_TIME_ARGS (rt),
                   prune::to_string (reason));
  post_gate_message (self, prune::GateState::Open, pts, rt, score, reason);
}

/* Queues the events that end the kept segment at running time @end_rt. */
static void
end_segment (GstStaticGate *self, GstClockTime end_rt, GstClockTime end_pts,
             double score, prune::GateReason reason)
{
  State &st = *self->state;
  prune::SegmentEnd ev;
  ev.running_time = end_rt;
  ev.timestamp = end_pts;
  ev.stream_time = stream_time_of (self, end_pts);
  ev.index = st.segment_index;
  ev.duration = end_rt >= st.segment_start_rt &&
                        GST_CLOCK_TIME_IS_VALID (st.segment_start_rt)
                    ? end_rt - st.segment_start_rt
                    : 0;
  ev.reason = reason;
  st.out.emplace_back (prune::to_event (ev));
  /* and out of band: a video encoder keeps the one in stream order until
   * its next frame, which comes with the next stretch; a sink behind it
   * would keep the stretch open (and its audio waiting) until then */
  st.out.emplace_back (prune::to_oob_event (ev));
  GST_INFO_OBJECT (self, "segment %u ends at %" GST_TIME_FORMAT " (%s)",
                   st.segment_index, GST_TIME_ARGS (end_rt),
                   prune::to_string (reason));
  post_gate_message (self, prune::GateState::Closed, end_pts, end_rt, score,
                     reason);
  st.segment_index++;
}

/* Copies changed properties into the streaming state. */
static void
apply_settings (GstStaticGate *self)
{
  State &st = *self->state;
  bool mask_changed = false, geometry_changed = false;
  {
    prune::ObjectLocker lock (self);
    const Settings &s = *self->settings;
    if (s.serial == st.applied.serial)
      return;
    mask_changed = s.mask_serial != st.applied.mask_serial;
    geometry_changed = s.analysis_width != st.applied.analysis_width;
    st.applied = s;
  }
  st.detector.set_settings (st.applied.motion);
  st.gate.set_settings (st.applied.gate);
  if (!st.configured)
    return;
  if (mask_changed) {
    const MaskImage &img = st.applied.mask_image;
    st.detector.set_mask (
        prune::resolve_mask (st.applied.mask_spec,
                             GST_VIDEO_INFO_WIDTH (&st.info),
                             GST_VIDEO_INFO_HEIGHT (&st.info)),
        img.pixels.empty () ? nullptr : img.pixels.data (), img.width,
        img.height, img.width);
  }
  if (geometry_changed) {
    prune::kernels::LumaLayout layout;
    luma_layout (GST_VIDEO_INFO_FORMAT (&st.info), layout);
    st.detector.configure (GST_VIDEO_INFO_WIDTH (&st.info),
                           GST_VIDEO_INFO_HEIGHT (&st.info), layout,
                           static_cast<int> (st.applied.analysis_width));
  }
}

static GstFlowReturn
gst_static_gate_submit_input_buffer (GstBaseTransform *trans,
                                     gboolean is_discont, GstBuffer *buf)
{
  (void)is_discont;
  GstStaticGate *self = GST_STATIC_GATE (trans);
  State &st = *self->state;

  if (!st.configured) {
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
                       ("No caps before the first frame"),
                       ("staticgate received a buffer before a CAPS event"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  apply_settings (self);
  const bool drop_mode = st.applied.mode == GST_STATIC_GATE_MODE_DROP;

  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstClockTime duration = GST_BUFFER_DURATION (buf);
  if (!GST_CLOCK_TIME_IS_VALID (duration) &&
      GST_VIDEO_INFO_FPS_N (&st.info) > 0)
    duration =
        gst_util_uint64_scale_int (GST_SECOND, GST_VIDEO_INFO_FPS_D (&st.info),
                                   GST_VIDEO_INFO_FPS_N (&st.info));
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (pts)) {
    rt = prune::to_running_time (trans->segment, pts);
    if (!GST_CLOCK_TIME_IS_VALID (rt)) {
      GST_LOG_OBJECT (self, "frame outside the segment, dropped");
      gst_buffer_unref (buf);
      return GST_FLOW_OK;
    }
    /* an encoder cannot take a frame that does not come after the one
     * before it: x264enc gives a repeated PTS out without any, and the
     * muxer behind it fails. A decoder's timestamps can step back when a
     * live stream is joined (again). */
    if (GST_CLOCK_TIME_IS_VALID (st.last_rt) && rt <= st.last_rt) {
      GST_WARNING_OBJECT (self,
                          "frame at %" GST_TIME_FORMAT
                          " does not come after the one at %" GST_TIME_FORMAT
                          ": dropped",
                          GST_TIME_ARGS (rt), GST_TIME_ARGS (st.last_rt));
      gst_buffer_unref (buf);
      return GST_FLOW_OK;
    }
  } else if (drop_mode) {
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (
        self, STREAM, FORMAT,
        ("staticgate needs timestamped frames in drop mode"),
        ("a frame without PTS arrived; timestamp the stream upstream (a "
         "parser, videorate, or do-timestamp=true on the source) or use "
         "mode=mark"));
    return GST_FLOW_ERROR;
  } else {
    rt = GST_CLOCK_TIME_IS_VALID (st.last_rt)
             ? st.last_rt + (GST_CLOCK_TIME_IS_VALID (duration) ? duration : 0)
             : 0;
  }
  st.last_rt = rt;

  /* analyse */
  GstVideoFrame frame;
  if (!gst_video_frame_map (&frame, &st.info, buf, GST_MAP_READ)) {
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not map a video frame"),
                       ("buffer of %" G_GSIZE_FORMAT
                        " bytes does not match the caps",
                        gst_buffer_get_size (buf)));
    return GST_FLOW_ERROR;
  }
  const prune::MotionResult r = st.detector.analyze (
      static_cast<const uint8_t *> (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0)),
      GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), rt, duration);
  gst_video_frame_unmap (&frame);

  const prune::GateLogic::Step step =
      st.gate.push (rt, duration, r.motion, r.strength);
  const GstClockTime end_pts =
      GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (duration)
          ? pts + duration
          : pts;

  if (step.closed) {
    end_segment (self, step.end_time, st.last_end_pts, r.score,
                 prune::GateReason::Static);
  }

  guint64 passed = 0;
  if (drop_mode) {
    if (step.opened) {
      /* held frames before the pre-roll go; the rest are released */
      while (!st.held.empty () && st.held.front ().rt < step.release_from)
        drop_oldest (self);
      const Held *first = st.held.empty () ? nullptr : &st.held.front ();
      start_segment (self, first ? first->pts : pts, first ? first->rt : rt,
                     r.score, prune::GateReason::Motion);
      while (!st.held.empty ()) {
        Held h = st.held.front ();
        st.held.pop_front ();
        st.held_bytes -= h.size;
        st.out.emplace_back (h.buffer);
        passed++;
      }
      st.out.emplace_back (buf);
      passed++;
    } else if (step.keep_alive) {
      drop_all_held (self);
      start_segment (self, pts, rt, r.score, prune::GateReason::KeepAlive);
      st.out.emplace_back (buf);
      passed++;
      end_segment (self,
                   rt + (GST_CLOCK_TIME_IS_VALID (duration) ? duration : 0),
                   end_pts, r.score, prune::GateReason::Static);
    } else if (step.keep) {
      st.out.emplace_back (buf);
      passed++;
    } else {
      hold (self, buf, rt);
      while (!st.held.empty () && st.held.front ().rt < st.gate.hold_from ())
        drop_oldest (self);
    }
  } else {
    if (step.opened) {
      /* the segment reaches back to frames already pushed */
      const GstClockTime from = step.release_from;
      const GstClockTime from_pts =
          GST_CLOCK_TIME_IS_VALID (pts) && rt >= from && pts >= rt - from
              ? pts - (rt - from)
              : pts;
      start_segment (self, from_pts, from, r.score, prune::GateReason::Motion);
    }
    if (step.keep_alive)
      start_segment (self, pts, rt, r.score, prune::GateReason::KeepAlive);
    st.out.emplace_back (buf);
    passed++;
    if (step.keep_alive)
      end_segment (self,
                   rt + (GST_CLOCK_TIME_IS_VALID (duration) ? duration : 0),
                   end_pts, r.score, prune::GateReason::Static);
  }
  if (step.keep)
    st.last_end_pts = end_pts;

  update_stats (self, &r, passed, 0);
  if (st.applied.post_scores) {
    prune::Score sc;
    sc.timestamp = pts;
    sc.stream_time = stream_time_of (self, pts);
    sc.running_time = rt;
    sc.score = r.score;
    sc.motion = r.motion;
    sc.changed_blocks = r.changed_blocks;
    sc.active_blocks = r.active_blocks;
    sc.noise_floor = r.noise_floor;
    sc.open = st.gate.is_open ();
    gst_element_post_message (GST_ELEMENT (self),
                              prune::to_message (sc, GST_OBJECT (self)));
  }
  return GST_FLOW_OK;
}

/* Hands out what submit_input_buffer queued: events are pushed here, in
 * order, and each buffer goes through the base class as usual. */
static GstFlowReturn
gst_static_gate_generate_output (GstBaseTransform *trans, GstBuffer **outbuf)
{
  GstStaticGate *self = GST_STATIC_GATE (trans);
  State &st = *self->state;
  *outbuf = nullptr;
  while (!st.out.empty ()) {
    Output o = st.out.front ();
    st.out.pop_front ();
    if (std::holds_alternative<GstEvent *> (o)) {
      gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (trans),
                          std::get<GstEvent *> (o));
      continue;
    }
    trans->queued_buf = std::get<GstBuffer *> (o);
    st.pushed = true;
    return GST_BASE_TRANSFORM_CLASS (gst_static_gate_parent_class)
        ->generate_output (trans, outbuf);
  }
  return GST_FLOW_OK;
}

static void
clear_output (State &st)
{
  for (Output &o : st.out) {
    if (std::holds_alternative<GstEvent *> (o))
      gst_event_unref (std::get<GstEvent *> (o));
    else
      gst_buffer_unref (std::get<GstBuffer *> (o));
  }
  st.out.clear ();
}

/* Flushes the queued output now (from an event handler). */
static void
push_output_now (GstStaticGate *self)
{
  GstBuffer *buf = nullptr;
  while (!self->state->out.empty ()) {
    gst_static_gate_generate_output (GST_BASE_TRANSFORM (self), &buf);
    if (buf != nullptr) {
      gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), buf);
      buf = nullptr;
    }
  }
}

static void
reset_stream (GstStaticGate *self)
{
  State &st = *self->state;
  clear_output (st);
  for (Held &h : st.held)
    gst_buffer_unref (h.buffer);
  st.held.clear ();
  st.held_bytes = 0;
  st.gate.reset ();
  st.detector.reset ();
  st.last_rt = GST_CLOCK_TIME_NONE;
  st.last_end_pts = GST_CLOCK_TIME_NONE;
  update_stats (self, nullptr, 0, 0);
}

/* The stream (or segment) ends: close an open kept segment. */
static void
finish_stream (GstStaticGate *self)
{
  State &st = *self->state;
  const bool open = st.gate.is_open ();
  const prune::GateLogic::Step step = st.gate.finish ();
  if (open && step.closed)
    end_segment (self, step.end_time, st.last_end_pts, 0.0,
                 prune::GateReason::Eos);
  drop_all_held (self);
  push_output_now (self);
  st.detector.reset ();
  st.last_rt = GST_CLOCK_TIME_NONE; /* a new segment may start over */
  update_stats (self, nullptr, 0, 0);
}

static gboolean
gst_static_gate_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstStaticGate *self = GST_STATIC_GATE (trans);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      reset_stream (self);
      break;
    case GST_EVENT_EOS:
      finish_stream (self);
      break;
    case GST_EVENT_SEGMENT: {
      /* a new segment ends the kept one; a repeat of the same does not */
      const GstSegment *seg = nullptr;
      gst_event_parse_segment (event, &seg);
      if (self->state->configured &&
          !prune::same_segment (*seg, trans->segment))
        finish_stream (self);
      break;
    }
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_static_gate_parent_class)
      ->sink_event (trans, event);
}

static gboolean
gst_static_gate_set_info (GstVideoFilter *filter, GstCaps *incaps,
                          GstVideoInfo *in_info, GstCaps *outcaps,
                          GstVideoInfo *out_info)
{
  (void)incaps;
  (void)outcaps;
  (void)out_info;
  GstStaticGate *self = GST_STATIC_GATE (filter);
  State &st = *self->state;
  prune::kernels::LumaLayout layout;
  if (!luma_layout (GST_VIDEO_INFO_FORMAT (in_info), layout)) {
    GST_ERROR_OBJECT (self, "unsupported format %s",
                      GST_VIDEO_INFO_NAME (in_info));
    return FALSE;
  }
  /* frames held in the old format cannot follow the new caps */
  drop_all_held (self);
  push_output_now (self);
  st.info = *in_info;
  apply_settings (self);
  st.detector.set_settings (st.applied.motion);
  st.detector.configure (GST_VIDEO_INFO_WIDTH (in_info),
                         GST_VIDEO_INFO_HEIGHT (in_info), layout,
                         static_cast<int> (st.applied.analysis_width));
  const MaskImage &img = st.applied.mask_image;
  st.detector.set_mask (prune::resolve_mask (st.applied.mask_spec,
                                             GST_VIDEO_INFO_WIDTH (in_info),
                                             GST_VIDEO_INFO_HEIGHT (in_info)),
                        img.pixels.empty () ? nullptr : img.pixels.data (),
                        img.width, img.height, img.width);
  if (st.copy_pool != nullptr) {
    gst_buffer_pool_set_active (st.copy_pool, FALSE);
    gst_clear_object (&st.copy_pool);
  }
  st.configured = true;
  GST_DEBUG_OBJECT (
      self, "analysing %dx%d %s at %dx%d (%dx%d blocks)",
      GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info),
      GST_VIDEO_INFO_NAME (in_info), st.detector.analysis_width (),
      st.detector.analysis_height (), st.detector.blocks_x (),
      st.detector.blocks_y ());
  return TRUE;
}

/* What the gate can hold back in drop mode. */
static GstClockTime
hold_latency (GstStaticGate *self)
{
  prune::ObjectLocker lock (self);
  const Settings &s = *self->settings;
  if (s.mode != GST_STATIC_GATE_MODE_DROP)
    return 0;
  prune::GateLogic g;
  g.set_settings (s.gate);
  return g.max_hold ();
}

/* Frames the gate may hold at once: pre-roll and min-motion at the
 * negotiated frame rate (30 fps when unknown), bounded. */
static guint
held_frames_bound (GstStaticGate *self)
{
  const GstClockTime hold = hold_latency (self);
  if (hold == 0)
    return 0;
  const GstVideoInfo &info = self->state->info;
  const int n =
      GST_VIDEO_INFO_FPS_N (&info) > 0 ? GST_VIDEO_INFO_FPS_N (&info) : 30;
  const int d =
      GST_VIDEO_INFO_FPS_N (&info) > 0 ? GST_VIDEO_INFO_FPS_D (&info) : 1;
  const guint64 frames =
      gst_util_uint64_scale_ceil (hold, n, d * GST_SECOND) + 1;
  return static_cast<guint> (std::min<guint64> (frames, MAX_HELD_FRAMES));
}

static gboolean
gst_static_gate_propose_allocation (GstBaseTransform *trans,
                                    GstQuery *decide_query, GstQuery *query)
{
  GstStaticGate *self = GST_STATIC_GATE (trans);
  if (!GST_BASE_TRANSFORM_CLASS (gst_static_gate_parent_class)
           ->propose_allocation (trans, decide_query, query))
    return FALSE;
  /* Upstream must be able to allocate the frames we hold on top of what
   * downstream needs. */
  const guint extra = held_frames_bound (self);
  if (extra == 0)
    return TRUE;
  const guint n = gst_query_get_n_allocation_pools (query);
  for (guint i = 0; i < n; i++) {
    GstBufferPool *pool = nullptr;
    guint size, min, max;
    gst_query_parse_nth_allocation_pool (query, i, &pool, &size, &min, &max);
    min += extra;
    if (max != 0 && max < min)
      max = min;
    gst_query_set_nth_allocation_pool (query, i, pool, size, min, max);
    if (pool != nullptr)
      gst_object_unref (pool);
  }
  if (n == 0) {
    GstCaps *caps = nullptr;
    gst_query_parse_allocation (query, &caps, nullptr);
    GstVideoInfo info;
    if (caps != nullptr && gst_video_info_from_caps (&info, caps))
      gst_query_add_allocation_pool (query, nullptr,
                                     static_cast<guint> (info.size), extra, 0);
  }
  GST_DEBUG_OBJECT (self, "asked upstream for %u more buffers", extra);
  return TRUE;
}

static gboolean
gst_static_gate_query (GstBaseTransform *trans, GstPadDirection direction,
                       GstQuery *query)
{
  GstStaticGate *self = GST_STATIC_GATE (trans);
  gboolean ret = GST_BASE_TRANSFORM_CLASS (gst_static_gate_parent_class)
                     ->query (trans, direction, query);
  if (ret && direction == GST_PAD_SRC &&
      GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    const GstClockTime extra = hold_latency (self);
    prune::add_latency (query, extra, true);
    GST_DEBUG_OBJECT (self, "latency +%" GST_TIME_FORMAT,
                      GST_TIME_ARGS (extra));
  }
  return ret;
}

static gboolean
gst_static_gate_start (GstBaseTransform *trans)
{
  GstStaticGate *self = GST_STATIC_GATE (trans);
  std::string error;
  {
    prune::ObjectLocker lock (self);
    error = self->settings->mask_error;
  }
  /* a mask that did not parse or load stops the element here */
  if (!error.empty ()) {
    GST_ELEMENT_ERROR (
        self, RESOURCE, SETTINGS, ("Invalid mask: %s", error.c_str ()),
        ("fix the 'mask' property: x,y,w,h rectangles (pixels or %%) and/or "
         "one image path, separated by ';'"));
    return FALSE;
  }
  State &st = *self->state;
  st.applied = Settings ();
  st.applied.serial = 0; /* force apply */
  st.configured = false;
  st.pushed = false;
  st.segment_index = 0;
  st.warned_overflow = false;
  {
    prune::ObjectLocker lock (self);
    *self->stats = Stats ();
  }
  return TRUE;
}

static gboolean
gst_static_gate_stop (GstBaseTransform *trans)
{
  GstStaticGate *self = GST_STATIC_GATE (trans);
  State &st = *self->state;
  reset_stream (self);
  st.configured = false;
  gst_clear_object (&st.upstream_pool);
  st.upstream_max = 0;
  if (st.copy_pool != nullptr) {
    gst_buffer_pool_set_active (st.copy_pool, FALSE);
    gst_clear_object (&st.copy_pool);
  }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Properties                                                              */

static void
gst_static_gate_set_property (GObject *object, guint prop_id,
                              const GValue *value, GParamSpec *pspec)
{
  GstStaticGate *self = GST_STATIC_GATE (object);
  bool latency_changed = false;
  if (prop_id == PROP_MASK) {
    /* Parsed and loaded outside the lock. A bad mask is refused: the
     * previous one stays in use (with a warning) and, until a good one is
     * set, the element cannot start. */
    const char *text = g_value_get_string (value);
    prune::MaskSpec spec;
    MaskImage image;
    std::string error;
    const bool ok = parse_mask_setting (text ? text : "", spec, image, error);
    if (!ok)
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
                           ("Invalid mask: %s", error.c_str ()),
                           ("the previous mask stays in use"));
    prune::ObjectLocker lock (self);
    Settings &s = *self->settings;
    s.mask = text ? text : "";
    s.mask_error = error;
    if (ok) {
      s.mask_spec = spec;
      s.mask_image = std::move (image);
      s.mask_serial++;
      s.serial++;
    }
    return;
  }
  {
    prune::ObjectLocker lock (self);
    Settings &s = *self->settings;
    switch (prop_id) {
      case PROP_MODE:
        s.mode = static_cast<GstStaticGateMode> (g_value_get_enum (value));
        latency_changed = true;
        break;
      case PROP_THRESHOLD:
        s.motion.threshold = g_value_get_double (value);
        break;
      case PROP_MIN_AREA:
        s.motion.min_area = g_value_get_double (value);
        break;
      case PROP_MIN_MOTION:
        s.gate.min_motion = g_value_get_uint64 (value);
        latency_changed = true;
        break;
      case PROP_PRE_ROLL:
        s.gate.pre_roll = g_value_get_uint64 (value);
        latency_changed = true;
        break;
      case PROP_POST_ROLL:
        s.gate.post_roll = g_value_get_uint64 (value);
        break;
      case PROP_MAX_PREROLL_BYTES:
        s.max_preroll_bytes = g_value_get_uint64 (value);
        break;
      case PROP_AUTO_MASK:
        s.motion.auto_mask = g_value_get_boolean (value);
        break;
      case PROP_KEEP_ALIVE:
        s.gate.keep_alive = g_value_get_uint64 (value);
        break;
      case PROP_ANALYSIS_WIDTH:
        s.analysis_width = g_value_get_uint (value);
        break;
      case PROP_POST_SCORES:
        s.post_scores = g_value_get_boolean (value);
        break;
      case PROP_SEND_GAPS:
        s.send_gaps = g_value_get_boolean (value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        return;
    }
    s.serial++;
  }
  if (latency_changed)
    gst_element_post_message (GST_ELEMENT (self),
                              gst_message_new_latency (GST_OBJECT (self)));
}

static void
gst_static_gate_get_property (GObject *object, guint prop_id, GValue *value,
                              GParamSpec *pspec)
{
  GstStaticGate *self = GST_STATIC_GATE (object);
  prune::ObjectLocker lock (self);
  const Settings &s = *self->settings;
  switch (prop_id) {
    case PROP_MODE:
      g_value_set_enum (value, s.mode);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, s.motion.threshold);
      break;
    case PROP_MIN_AREA:
      g_value_set_double (value, s.motion.min_area);
      break;
    case PROP_MIN_MOTION:
      g_value_set_uint64 (value, s.gate.min_motion);
      break;
    case PROP_PRE_ROLL:
      g_value_set_uint64 (value, s.gate.pre_roll);
      break;
    case PROP_POST_ROLL:
      g_value_set_uint64 (value, s.gate.post_roll);
      break;
    case PROP_MAX_PREROLL_BYTES:
      g_value_set_uint64 (value, s.max_preroll_bytes);
      break;
    case PROP_MASK:
      g_value_set_string (value, s.mask.c_str ());
      break;
    case PROP_AUTO_MASK:
      g_value_set_boolean (value, s.motion.auto_mask);
      break;
    case PROP_KEEP_ALIVE:
      g_value_set_uint64 (value, s.gate.keep_alive);
      break;
    case PROP_ANALYSIS_WIDTH:
      g_value_set_uint (value, s.analysis_width);
      break;
    case PROP_POST_SCORES:
      g_value_set_boolean (value, s.post_scores);
      break;
    case PROP_SEND_GAPS:
      g_value_set_boolean (value, s.send_gaps);
      break;
    case PROP_STATS: {
      const Stats &t = *self->stats;
      g_value_take_boxed (
          value,
          gst_structure_new (
              "staticgate-stats", "frames-in", G_TYPE_UINT64, t.frames_in,
              "frames-passed", G_TYPE_UINT64, t.passed, "frames-dropped",
              G_TYPE_UINT64, t.dropped, "segments", G_TYPE_UINT, t.segments,
              "score", G_TYPE_DOUBLE, t.score, "noise-floor", G_TYPE_DOUBLE,
              t.noise_floor, "auto-masked-blocks", G_TYPE_UINT, t.auto_masked,
              "open", G_TYPE_BOOLEAN, t.open, "held-frames", G_TYPE_UINT,
              t.held, "held-bytes", G_TYPE_UINT64, t.held_bytes, nullptr));
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
gst_static_gate_finalize (GObject *object)
{
  GstStaticGate *self = GST_STATIC_GATE (object);
  reset_stream (self);
  gst_clear_object (&self->state->upstream_pool);
  if (self->state->copy_pool != nullptr) {
    gst_buffer_pool_set_active (self->state->copy_pool, FALSE);
    gst_clear_object (&self->state->copy_pool);
  }
  delete self->state;
  delete self->stats;
  delete self->settings;
  G_OBJECT_CLASS (gst_static_gate_parent_class)->finalize (object);
}

static void
gst_static_gate_init (GstStaticGate *self)
{
  self->settings = new Settings ();
  self->stats = new Stats ();
  self->state = new State ();
  gst_video_info_init (&self->state->info);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_static_gate_class_init (GstStaticGateClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const auto flags = static_cast<GParamFlags> (
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  gobject_class->set_property = gst_static_gate_set_property;
  gobject_class->get_property = gst_static_gate_get_property;
  gobject_class->finalize = gst_static_gate_finalize;

  g_object_class_install_property (
      gobject_class, PROP_MODE,
      g_param_spec_enum (
          "mode", "Mode",
          "drop: static frames are not pushed (GAP events cover them); mark: "
          "every frame is pushed and events mark the kept segments",
          GST_TYPE_STATIC_GATE_MODE, DEFAULT_MODE, flags));
  g_object_class_install_property (
      gobject_class, PROP_THRESHOLD,
      g_param_spec_double (
          "threshold", "Threshold",
          "Mean absolute luma difference (levels) a block must exceed, on top "
          "of three times its learned noise floor, to count as changed",
          0.5, 255.0, DEFAULT_THRESHOLD, flags));
  g_object_class_install_property (
      gobject_class, PROP_MIN_AREA,
      g_param_spec_double (
          "min-area", "Minimum area",
          "Fraction of the unmasked picture (0-1) that must change for a frame "
          "to show motion; raise it to ignore swaying leaves and small "
          "flicker",
          0.0, 1.0, DEFAULT_MIN_AREA, flags));
  g_object_class_install_property (
      gobject_class, PROP_MIN_MOTION,
      g_param_spec_uint64 (
          "min-motion", "Minimum motion",
          "How long motion must last (ns) to open the gate or keep it open; "
          "shorter changes (clock ticks, glitches) are ignored",
          0, 60 * GST_SECOND, DEFAULT_MIN_MOTION, flags));
  g_object_class_install_property (
      gobject_class, PROP_PRE_ROLL,
      g_param_spec_uint64 (
          "pre-roll", "Pre-roll",
          "Time (ns) before the start of motion that is kept too (held in "
          "drop mode, bounded by max-preroll-bytes)",
          0, 600 * GST_SECOND, DEFAULT_PRE_ROLL, flags));
  g_object_class_install_property (
      gobject_class, PROP_POST_ROLL,
      g_param_spec_uint64 (
          "post-roll", "Post-roll",
          "How long (ns) the scene must stay static after motion before the "
          "gate closes",
          0, 3600 * GST_SECOND, DEFAULT_POST_ROLL, flags));
  g_object_class_install_property (
      gobject_class, PROP_MAX_PREROLL_BYTES,
      g_param_spec_uint64 (
          "max-preroll-bytes", "Maximum pre-roll bytes",
          "Upper bound on the bytes of frames held for pre-roll; beyond it the "
          "oldest are dropped (one warning)",
          0, G_MAXUINT64, DEFAULT_MAX_PREROLL_BYTES, flags));
  g_object_class_install_property (
      gobject_class, PROP_MASK,
      g_param_spec_string (
          "mask", "Mask",
          "Regions to ignore, separated by ';': rectangles x,y,w,h in pixels "
          "or % of the frame, and/or the path of a grayscale image whose "
          "non-black pixels are ignored",
          "", flags));
  g_object_class_install_property (
      gobject_class, PROP_AUTO_MASK,
      g_param_spec_boolean (
          "auto-mask", "Automatic clock mask",
          "Find regions that change in short steps at a steady period (a "
          "burnt-in clock or counter) and ignore them",
          DEFAULT_AUTO_MASK, flags));
  g_object_class_install_property (
      gobject_class, PROP_KEEP_ALIVE,
      g_param_spec_uint64 (
          "keep-alive", "Keep-alive",
          "Pass one frame after every this long (ns) of static picture; 0 = "
          "off",
          0, G_MAXUINT64, DEFAULT_KEEP_ALIVE, flags));
  g_object_class_install_property (
      gobject_class, PROP_ANALYSIS_WIDTH,
      g_param_spec_uint (
          "analysis-width", "Analysis width",
          "Width (pixels) the luma is averaged down to before comparing; "
          "smaller is faster and less sensitive to noise and small objects",
          16, 1920, DEFAULT_ANALYSIS_WIDTH, flags));
  g_object_class_install_property (
      gobject_class, PROP_POST_SCORES,
      g_param_spec_boolean (
          "post-scores", "Post scores",
          "Post a prune-score element message for every frame",
          DEFAULT_POST_SCORES, flags));
  g_object_class_install_property (
      gobject_class, PROP_SEND_GAPS,
      g_param_spec_boolean (
          "send-gaps", "Send GAP events",
          "drop mode: send a GAP event for every frame not pushed. A video "
          "encoder after the gate keeps every GAP until its next frame "
          "(GStreamer 1.22, about 0.5 KB each): set false there, or memory "
          "grows for as long as the scene stays static",
          DEFAULT_SEND_GAPS, flags));
  g_object_class_install_property (
      gobject_class, PROP_STATS,
      g_param_spec_boxed (
          "stats", "Statistics",
          "frames-in, frames-passed, frames-dropped (guint64), segments "
          "(guint), score, noise-floor (gdouble), auto-masked-blocks, "
          "held-frames (guint), held-bytes (guint64), open (gboolean)",
          GST_TYPE_STRUCTURE,
          static_cast<GParamFlags> (G_PARAM_READABLE |
                                    G_PARAM_STATIC_STRINGS)));

  gst_element_class_set_static_metadata (
      element_class, "Static gate", "Filter/Analyzer/Video",
      "Drops the stretches of video where nothing moves, keeps the motion "
      "with pre-roll and post-roll",
      "gst-prune developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_static_gate_submit_input_buffer);
  trans_class->generate_output =
      GST_DEBUG_FUNCPTR (gst_static_gate_generate_output);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_static_gate_sink_event);
  trans_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_static_gate_propose_allocation);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_static_gate_query);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_static_gate_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_static_gate_stop);
  trans_class->transform_ip_on_passthrough = FALSE;
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_static_gate_set_info);

  gst_type_mark_as_plugin_api (GST_TYPE_STATIC_GATE_MODE,
                               static_cast<GstPluginAPIFlags> (0));
}

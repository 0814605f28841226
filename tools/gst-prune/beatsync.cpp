/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include "beatsync.h"

#include "gst/prune/names.h"
#include "util.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace gstprune {

namespace {

/* A frame waits for the audio to be analysed this far past it: a beat in
 * silence is announced up to 50 ms after its time (beatdetect waits for
 * its onset), and the frame nearest to a beat may start half a frame
 * before it. */
constexpr GstClockTime kMargin = 100 * GST_MSECOND;
/* An audio stream that has not moved for this long (wall clock) while a
 * frame waits is taken for stalled (a network stream lost its audio, or
 * its queues are full): frames go on without waiting until it moves. */
constexpr auto kStall = std::chrono::seconds (2);

using Clock = std::chrono::steady_clock;

GstClockTime
running_time_of (GstPad *pad, GstClockTime ts)
{
  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return GST_CLOCK_TIME_NONE;
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  if (ev == nullptr)
    return GST_CLOCK_TIME_NONE;
  const GstSegment *seg;
  gst_event_parse_segment (ev, &seg);
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  if (seg->format == GST_FORMAT_TIME)
    rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME, ts);
  gst_event_unref (ev);
  return rt;
}

} // namespace

struct BeatSync::State {
  std::mutex lock;
  std::condition_variable cond;
  bool audio = false;     /* watch_audio() was called */
  bool audio_end = false; /* EOS (or flushing) on the audio */
  bool stopped = false;
  bool stalled = false;
  GstClockTime audio_rt = GST_CLOCK_TIME_NONE; /* analysed up to */
  Clock::time_point moved;                     /* when audio_rt moved */
  Ref<GstPad> sink_pad;

  /* the audio analysed up to @rt */
  void advance (GstClockTime rt)
  {
    std::lock_guard<std::mutex> lk (lock);
    if (GST_CLOCK_TIME_IS_VALID (audio_rt) && rt <= audio_rt)
      return;
    audio_rt = rt;
    moved = Clock::now ();
    stalled = false;
    cond.notify_all ();
  }

  void end (bool ended)
  {
    std::lock_guard<std::mutex> lk (lock);
    audio_end = ended;
    if (!ended) {
      audio_rt = GST_CLOCK_TIME_NONE;
      moved = Clock::now ();
    }
    cond.notify_all ();
  }

  /* a frame at running time @rt: waits until the audio has passed it */
  void wait_for (GstClockTime rt)
  {
    std::unique_lock<std::mutex> lk (lock);
    const auto start = Clock::now ();
    while (audio && !audio_end && !stopped && !stalled &&
           (!GST_CLOCK_TIME_IS_VALID (audio_rt) || audio_rt < rt + kMargin)) {
      const auto since = std::max (start, moved);
      if (cond.wait_until (lk, since + kStall) == std::cv_status::timeout &&
          Clock::now () >= std::max (start, moved) + kStall) {
        stalled = true;
        GST_INFO ("the audio has not moved for %lld s: the video goes on "
                  "without waiting for its beats",
                  (long long)kStall.count ());
      }
    }
  }
};

namespace {

using StatePtr = std::shared_ptr<BeatSync::State>;

void
free_state (gpointer data)
{
  delete static_cast<StatePtr *> (data);
}

/* @s sent to segmentsink's video pad out of band, when the audio is
 * watched (beatdetect sends its beats so itself) */
void
send_ahead (BeatSync::State &st, const GstStructure *s)
{
  Ref<GstPad> to;
  {
    std::lock_guard<std::mutex> lk (st.lock);
    if (st.sink_pad)
      to.reset (GST_PAD (gst_object_ref (st.sink_pad.get ())));
  }
  if (to)
    gst_pad_send_event (to.get (),
                        gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_OOB,
                                              gst_structure_copy (s)));
}

GstPadProbeReturn
on_video (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  BeatSync::State &st = **static_cast<StatePtr *> (data);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    /* the gate's start of a stretch, before its pre-roll enters the
     * encoder at once: segmentsink counts the stretch's beats from it and
     * asks for its first cut's keyframe in time */
    const GstStructure *s =
        gst_event_get_structure (GST_PAD_PROBE_INFO_EVENT (info));
    if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) ==
            GST_EVENT_CUSTOM_DOWNSTREAM &&
        prune::has_name<prune::SegmentStart> (s))
      send_ahead (st, s);
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  const GstClockTime rt = running_time_of (pad, GST_BUFFER_PTS (buf));
  if (GST_CLOCK_TIME_IS_VALID (rt))
    st.wait_for (rt);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn
on_audio (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  BeatSync::State &st = **static_cast<StatePtr *> (data);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime end = GST_BUFFER_PTS (buf);
    if (GST_CLOCK_TIME_IS_VALID (end) && GST_BUFFER_DURATION_IS_VALID (buf))
      end += GST_BUFFER_DURATION (buf);
    const GstClockTime rt = running_time_of (pad, end);
    if (GST_CLOCK_TIME_IS_VALID (rt))
      st.advance (rt);
    return GST_PAD_PROBE_OK;
  }
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  switch (GST_EVENT_TYPE (ev)) {
    case GST_EVENT_EOS:
      st.end (true);
      break;
    case GST_EVENT_FLUSH_STOP:
      st.end (false);
      break;
    default:
      break;
  }
  return GST_PAD_PROBE_OK;
}

} // namespace

BeatSync::BeatSync () : state_ (std::make_shared<State> ()) {}

BeatSync::~BeatSync ()
{
  stop ();
}

void
BeatSync::watch_video (GstPad *encoder_sink)
{
  gst_pad_add_probe (encoder_sink,
                     GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER |
                                      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                     on_video, new StatePtr (state_), free_state);
}

void
BeatSync::watch_audio (GstPad *beatdetect_src, GstPad *sink_pad)
{
  {
    std::lock_guard<std::mutex> lk (state_->lock);
    state_->sink_pad.reset (GST_PAD (gst_object_ref (sink_pad)));
    state_->audio = true;
    state_->moved = Clock::now ();
  }
  gst_pad_add_probe (beatdetect_src,
                     GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER |
                                      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                                      GST_PAD_PROBE_TYPE_EVENT_FLUSH),
                     on_audio, new StatePtr (state_), free_state);
}

void
BeatSync::stop ()
{
  std::lock_guard<std::mutex> lk (state_->lock);
  state_->stopped = true;
  state_->cond.notify_all ();
}

} // namespace gstprune

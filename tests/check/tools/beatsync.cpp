/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * gst-prune's BeatSync (tools/gst-prune/beatsync.h) on stand-ins: an
 * identity's sink pad for the video encoder's, another identity's src pad
 * for beatdetect's, and a bare pad for segmentsink's video pad. A frame
 * waits until the audio has passed it; it goes on when the audio ends
 * (EOS), stalls for 2 s or the sync is stopped; a flushed audio stream is
 * waited for again; the gate's stretch starts reach the sink's pad out
 * of band, beats do not (beatdetect sends its own copies out of band).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "beatsync.h"

#include <gst/prune/names.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

namespace {

using namespace std::chrono_literals;

struct Rig {
  GstHarness *video;
  GstHarness *audio;
  GstPad *sink; /* segmentsink's video pad */
  std::mutex lock;
  std::vector<std::string> oob; /* names of the structures sent there */
  gstprune::BeatSync sync;

  Rig ()
  {
    video = gst_harness_new ("identity");
    gst_harness_set_src_caps_str (video, "video/x-raw,format=I420,width=64,"
                                         "height=48,framerate=10/1");
    audio = gst_harness_new ("identity");
    gst_harness_set_src_caps_str (audio, "audio/x-raw,format=F32LE,"
                                         "rate=8000,channels=1,"
                                         "layout=interleaved");
    sink = gst_pad_new ("video", GST_PAD_SINK);
    gst_pad_set_element_private (sink, this);
    gst_pad_set_event_function (sink, on_event);
    gst_pad_set_active (sink, TRUE);
    GstPad *vsink = gst_element_get_static_pad (video->element, "sink");
    GstPad *asrc = gst_element_get_static_pad (audio->element, "src");
    sync.watch_video (vsink);
    sync.watch_audio (asrc, sink);
    gst_object_unref (vsink);
    gst_object_unref (asrc);
  }
  ~Rig ()
  {
    sync.stop ();
    gst_harness_teardown (video);
    gst_harness_teardown (audio);
    gst_pad_set_active (sink, FALSE);
    gst_object_unref (sink);
  }
  static gboolean on_event (GstPad *pad, GstObject *, GstEvent *ev)
  {
    auto *self = static_cast<Rig *> (gst_pad_get_element_private (pad));
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM_OOB) {
      std::lock_guard<std::mutex> lk (self->lock);
      self->oob.push_back (
          gst_structure_get_name (gst_event_get_structure (ev)));
    }
    gst_event_unref (ev);
    return TRUE;
  }
  std::vector<std::string> sent ()
  {
    std::lock_guard<std::mutex> lk (lock);
    return oob;
  }
  /* audio from @from to @to seconds */
  void audio_until (double from, double to)
  {
    GstBuffer *b = gst_buffer_new_allocate (nullptr, 4, nullptr);
    GST_BUFFER_PTS (b) = GstClockTime (from * GST_SECOND);
    GST_BUFFER_DURATION (b) = GstClockTime ((to - from) * GST_SECOND);
    fail_unless_equals_int (gst_harness_push (audio, b), GST_FLOW_OK);
  }
  /* a frame at @t seconds, pushed from another thread */
  std::future<GstFlowReturn> frame_at (double t)
  {
    return std::async (std::launch::async, [this, t] () {
      GstBuffer *b = gst_buffer_new_allocate (nullptr, 4, nullptr);
      GST_BUFFER_PTS (b) = GstClockTime (t * GST_SECOND);
      GST_BUFFER_DURATION (b) = GST_SECOND / 10;
      return gst_harness_push (video, b);
    });
  }
};

} // namespace

/* not done after @wait (it waits), done within 10 s of @release */
template<typename F>
void
check_waits (std::future<GstFlowReturn> &f, F release,
             std::chrono::milliseconds wait = 300ms)
{
  fail_unless (f.wait_for (wait) == std::future_status::timeout,
               "the frame did not wait");
  release ();
  fail_unless (f.wait_for (10s) == std::future_status::ready,
               "the frame was not released");
  fail_unless_equals_int (f.get (), GST_FLOW_OK);
}

GST_START_TEST (test_frame_waits_for_audio)
{
  Rig r;
  r.audio_until (0.0, 0.5);
  /* analysed 0.1 s past the frame: passes at once */
  auto early = r.frame_at (0.3);
  fail_unless (early.wait_for (10s) == std::future_status::ready);
  fail_unless_equals_int (early.get (), GST_FLOW_OK);
  auto f = r.frame_at (1.0);
  fail_unless (f.wait_for (300ms) == std::future_status::timeout);
  /* 1.05 s is not 0.1 s past the frame yet */
  r.audio_until (0.5, 1.05);
  check_waits (f, [&r] () { r.audio_until (1.05, 1.2); });
}
GST_END_TEST;

GST_START_TEST (test_audio_eos_releases)
{
  Rig r;
  r.audio_until (0.0, 0.5);
  auto f = r.frame_at (3.0);
  check_waits (f, [&r] () {
    fail_unless (gst_harness_push_event (r.audio, gst_event_new_eos ()));
  });
  /* and nothing waits after it */
  auto g = r.frame_at (9.0);
  fail_unless (g.wait_for (10s) == std::future_status::ready);
}
GST_END_TEST;

GST_START_TEST (test_stop_releases)
{
  Rig r;
  r.audio_until (0.0, 0.5);
  auto f = r.frame_at (3.0);
  check_waits (f, [&r] () { r.sync.stop (); });
}
GST_END_TEST;

/* audio that stops without EOS (a network stream lost it): the frame goes
 * on after 2 s, and the next ones do not wait until the audio moves */
GST_START_TEST (test_stalled_audio_releases)
{
  Rig r;
  const auto t0 = std::chrono::steady_clock::now ();
  r.audio_until (0.0, 0.5);
  auto f = r.frame_at (3.0);
  check_waits (
      f, [] () {}, 500ms);
  fail_unless (std::chrono::steady_clock::now () - t0 >= 2s);
  auto g = r.frame_at (3.1);
  fail_unless (g.wait_for (10s) == std::future_status::ready);
  /* once the audio moves, frames wait for it again */
  r.audio_until (0.5, 0.6);
  auto h = r.frame_at (3.2);
  check_waits (h, [&r] () { r.audio_until (0.6, 3.4); });
}
GST_END_TEST;

/* a flush on the audio forgets how far it was analysed */
GST_START_TEST (test_audio_flush_waits_again)
{
  Rig r;
  r.audio_until (0.0, 2.0);
  fail_unless (gst_harness_push_event (r.audio, gst_event_new_flush_start ()));
  fail_unless (
      gst_harness_push_event (r.audio, gst_event_new_flush_stop (TRUE)));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (r.audio, gst_event_new_segment (&seg)));
  auto f = r.frame_at (1.0);
  check_waits (f, [&r] () { r.audio_until (0.0, 1.2); });
}
GST_END_TEST;

GST_START_TEST (test_starts_sent_ahead)
{
  Rig r;
  prune::Beat beat;
  beat.running_time = beat.timestamp = GST_SECOND;
  beat.bpm = 120;
  beat.confidence = 1.0;
  fail_unless (gst_harness_push_event (r.audio, prune::to_event (beat)));
  r.audio_until (0.0, 5.0);
  prune::SegmentStart start;
  start.running_time = start.timestamp = 2 * GST_SECOND;
  fail_unless (gst_harness_push_event (r.video, prune::to_event (start)));
  prune::SegmentEnd end;
  end.running_time = 3 * GST_SECOND;
  end.reason = prune::GateReason::Static;
  fail_unless (gst_harness_push_event (r.video, prune::to_event (end)));
  const auto sent = r.sent ();
  fail_unless_equals_int (sent.size (), 1);
  fail_unless_equals_string (sent[0].c_str (), prune::names::kSegmentStart);
}
GST_END_TEST;

namespace gstprune {
void init_debug_category (); /* util.h, whose GST_CAT_DEFAULT is not ours */
}

static Suite *
beatsync_suite (void)
{
  gstprune::init_debug_category ();
  Suite *s = suite_create ("beatsync");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_frame_waits_for_audio);
  tcase_add_test (tc, test_audio_eos_releases);
  tcase_add_test (tc, test_stop_releases);
  tcase_add_test (tc, test_stalled_audio_releases);
  tcase_add_test (tc, test_audio_flush_waits_again);
  tcase_add_test (tc, test_starts_sent_ahead);
  return s;
}

GST_CHECK_MAIN (beatsync);

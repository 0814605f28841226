/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Beat cuts on their beat (--beats): beatdetect's beats reach segmentsink
 * in the audio stream, behind the encoded audio that segmentsink holds
 * until the video's decisions catch up, so each came after the encoder
 * had passed its frame, and a cut landed one keyframe request later
 * (0.2-0.3 s after the beat). beatdetect also sends every beat out of
 * band (send-oob-events), which passes the audio encoder and queues at
 * once (segmentsink counts a beat once). BeatSync
 *   - holds each video frame before the encoder until beatdetect has
 *     analysed the audio up to the frame's running time (plus a margin),
 *   - sends the gate's prune-segment-start to segmentsink out of band
 *     before the stretch's frames enter the encoder (the gate sends its
 *     pre-roll at once, and the file only opens in segmentsink when the
 *     first of them has passed the encoder and its queue),
 * so that segmentsink asks the encoder for the cut's keyframe before the
 * encoder sees the beat's frame. It never waits for an audio stream that
 * has ended or stalls.
 */
#pragma once

#include <gst/gst.h>

#include <memory>

namespace gstprune {

class BeatSync {
public:
  BeatSync ();
  ~BeatSync ();
  BeatSync (const BeatSync &) = delete;
  BeatSync &operator= (const BeatSync &) = delete;

  /* Holds the buffers that reach @encoder_sink (the video encoder's sink
   * pad) while the audio is analysed up to them, and passes the gate's
   * stretch starts on ahead. Until watch_audio() is called, nothing waits
   * and nothing is passed on. */
  void watch_video (GstPad *encoder_sink);
  /* The audio: @beatdetect_src, whose analysis the frames wait for;
   * @sink_pad (segmentsink's video pad) gets the stretch starts. Any
   * thread. */
  void watch_audio (GstPad *beatdetect_src, GstPad *sink_pad);
  /* Nothing waits from now on (teardown). Any thread. */
  void stop ();

  struct State;

private:
  std::shared_ptr<State> state_;
};

} // namespace gstprune

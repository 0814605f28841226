/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-beatdetect
 * @title: beatdetect
 *
 * Finds beats and tempo while audio plays, in fixed memory, and passes the
 * audio through unchanged (in place, bit-identical).
 *
 * |[
 * gst-launch-1.0 -m filesrc location=song.ogg ! decodebin ! audioconvert ! \
 *     beatdetect beats-location=beats.txt ! fakesink
 * ]|
 *
 * The tracking core (gst/prune/beat.h) computes onset strength from a
 * short-time spectrum (gstfft), the tempo from the recent onset history
 * within `min-bpm`..`max-bpm` around `tempo-prior`, and the beat phase
 * causally; `lookahead` delays the reports to revise them.
 *
 * ## Messages and events
 *
 * `prune-beat` element message (`post-messages`), serialized custom
 * downstream event (`send-events`) and, just before it, the same as an
 * out-of-band custom downstream event (`send-oob-events`: it passes
 * encoders and queues at once, so segmentsink hears of a beat before the
 * video reaches it) per beat: timestamp, stream-time,
 * running-time (guint64), bpm, confidence (gdouble), index (guint64),
 * downbeat (gboolean, not estimated yet: FALSE), lock-state (string
 * "searching", "locked", "lost"), predicted (gboolean). `prune-tempo`
 * element message when the tempo estimate changes by more than 1 % or the
 * lock state changes, and every 5 s: timestamp, stream-time, running-time, bpm,
 * confidence, lock-state. Field types: docs/names.md.
 *
 * The analysis restarts on FLUSH, a new SEGMENT and a caps change (not on
 * the same segment or caps sent again); before a new segment or caps the
 * beats the lookahead holds are reported. Audio missing from the stream (a
 * later timestamp, a GAP event) is taken as lost for up to 30 s: the analysis
 * holds still, the grid runs on (its beats reported, predicted, for the
 * first second), so the beats after it keep the music's grid; a longer
 * gap, or timestamps that go back by more than 1 s, restart it. Reverse
 * playback (a segment rate below 0) passes through unanalysed. A segment
 * in bytes (raw audio from a file) gets a warning; its beats are timed
 * from the first sample.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstbeatdetect.h"

#include <gst/prune/beat.h>
#include <gst/prune/names.h>
#include "../prune-element.h"

#include <gst/audio/audio.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gst_beat_detect_debug);
#define GST_CAT_DEFAULT gst_beat_detect_debug

#define CAPS                                                                   \
  "audio/x-raw, format = (string) { F32LE, F64LE, S16LE, S32LE }, "            \
  "rate = (int) [ 8000, 192000 ], channels = (int) [ 1, 8 ], "                 \
  "layout = (string) interleaved"

enum {
  PROP_0,
  PROP_MIN_BPM,
  PROP_MAX_BPM,
  PROP_TEMPO_PRIOR,
  PROP_LOOKAHEAD,
  PROP_START_IS_BEAT,
  PROP_SEND_EVENTS,
  PROP_SEND_OOB_EVENTS,
  PROP_POST_MESSAGES,
  PROP_BEATS_LOCATION,
  PROP_BPM,
  PROP_CONFIDENCE,
  PROP_STATE,
};

/* "state" is notified when it changes (notify::state, gst-launch -v) */
static GParamSpec *state_pspec = nullptr;

/* Samples converted to float per call of the tracker. */
#define CHUNK_FRAMES 4096
#define TEMPO_INTERVAL (5 * GST_SECOND)
/* A stream whose first buffer lies further into the piece (stream time)
 * than this was joined mid-piece (a seek): its first onset is no beat. */
#define JOINED_AFTER (GST_SECOND / 2)
/* A gap in the timestamps (a buffer later than the audio so far reaches,
 * by more than 1 ms when it is marked DISCONT or after a GAP event, by
 * more than ALIGN_THRESHOLD otherwise, as in audio sinks: an element that
 * dropped buffers) is audio that was lost, not skipped: the music went on
 * meanwhile. Up to BRIDGE_MAX the gap goes to the tracker as lost audio,
 * so the beat grid carries on through it (BeatTracker::process_lost()). A
 * longer gap, or timestamps that go back by more than REWIND_MAX, restart the
 * analysis; a smaller step back moves the time base. */
#define BRIDGE_MAX (30 * GST_SECOND)
#define REWIND_MAX GST_SECOND
#define ALIGN_THRESHOLD (40 * GST_MSECOND)

namespace {

/* What each beat and tempo estimate is announced with. */
struct Outputs {
  gboolean send_events = TRUE;
  gboolean send_oob_events = TRUE;
  gboolean post_messages = TRUE;
};

struct Settings {
  prune::BeatSettings beat;
  Outputs out;
  std::string beats_location;
};

struct Status {
  double bpm = 0.0, confidence = 0.0;
  prune::LockState state = prune::LockState::Searching;
};

struct State {
  prune::BeatTracker tracker;
  std::vector<float> chunk;
  std::vector<prune::BeatInfo> beats;
  bool started = false; /* the time base is known */
  /* PTS of the tracker's time 0; below 0 after timestamps stepped back */
  GstClockTimeDiff base_pts = 0;
  guint64 samples = 0; /* frames analysed since the base */
  FILE *beats_file = nullptr;
  std::string beats_path; /* for its error messages */
  int write_errno = 0;    /* a write to the beats file failed */
  int rate = 0;           /* format the tracker is configured for */
  int channels = 0;
  guint64 index = 0; /* beats reported since the last restart */
  GstClockTime last_beat = GST_CLOCK_TIME_NONE; /* its timestamp */
  GstClockTime last_period = 0;                 /* and the beat's period */
  /* after a restart at new caps (the same stream goes on): beats before
   * this were reported by the analysis before it */
  GstClockTime not_before = GST_CLOCK_TIME_NONE;
  double last_tempo_bpm = 0.0;
  prune::LockState last_tempo_state = prune::LockState::Searching;
  GstClockTime last_tempo_pts = GST_CLOCK_TIME_NONE;
  /* the start of a frame that a buffer split (a stream in bytes, not
   * time, cuts buffers anywhere): completed by the next buffer */
  std::array<guint8, 8 * sizeof (double)> part{};
  std::size_t part_len = 0;
};

} // namespace

struct _GstBeatDetect {
  GstAudioFilter parent;
  Settings *settings; /* object lock */
  Status *status;     /* object lock */
  State *state;       /* streaming thread */
};

G_DEFINE_TYPE (GstBeatDetect, gst_beat_detect, GST_TYPE_AUDIO_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (
    beatdetect, "beatdetect", GST_RANK_NONE, GST_TYPE_BEAT_DETECT,
    GST_DEBUG_CATEGORY_INIT (gst_beat_detect_debug, "beatdetect", 0,
                             "streaming beat and tempo tracker"));

/* The read-only properties' values; notifies "state" when it changed
 * (after the lock is released). */
static void
set_status (GstBeatDetect *self, const Status &now)
{
  prune::LockState was;
  {
    prune::ObjectLocker lock (self);
    was = self->status->state;
    *self->status = now;
  }
  if (now.state != was)
    g_object_notify_by_pspec (G_OBJECT (self), state_pspec);
}

/* Forgets the analysis (flush, segment, caps) and the reported tempo,
 * confidence and state; the next buffer starts a new time base. */
static void
restart (GstBeatDetect *self)
{
  State &st = *self->state;
  prune::BeatSettings bs;
  {
    prune::ObjectLocker lock (self);
    bs = self->settings->beat;
  }
  set_status (self, Status ());
  st.tracker.set_settings (bs);
  st.tracker.reset ();
  st.started = false;
  st.samples = 0;
  st.part_len = 0;
  st.index = 0;
  st.not_before = GST_CLOCK_TIME_NONE;
  st.last_tempo_bpm = 0.0;
  st.last_tempo_state = prune::LockState::Searching;
  st.last_tempo_pts = GST_CLOCK_TIME_NONE;
}

static Outputs outputs (GstBeatDetect *self);
static void drain_held (GstBeatDetect *self, const Outputs &s);

static gboolean
gst_beat_detect_setup (GstAudioFilter *filter, const GstAudioInfo *info)
{
  GstBeatDetect *self = GST_BEAT_DETECT (filter);
  State &st = *self->state;
  const int rate = GST_AUDIO_INFO_RATE (info);
  const int channels = GST_AUDIO_INFO_CHANNELS (info);
  if (rate == st.rate && channels == st.channels) {
    /* another sample format, a channel mask: the same audio to the
     * tracker, whose analysis goes on (a frame split in the old format
     * is dropped) */
    GST_DEBUG_OBJECT (self, "same rate and channels: the analysis goes on");
    st.part_len = 0;
    return TRUE;
  }
  /* a caps change mid-stream: the beats the lookahead holds belong to the
   * audio before it (reported before configure() forgets them) */
  const bool went_on = st.started;
  if (st.started)
    drain_held (self, outputs (self));
  prune::BeatSettings bs;
  {
    prune::ObjectLocker lock (self);
    bs = self->settings->beat;
  }
  st.tracker.set_settings (bs);
  st.rate = st.channels = 0;
  if (!st.tracker.configure (rate, channels)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
                       ("Unsupported audio format for beat tracking"),
                       ("rate %d, channels %d", rate, channels));
    return FALSE;
  }
  st.chunk.assign (static_cast<std::size_t> (CHUNK_FRAMES) *
                       GST_AUDIO_INFO_CHANNELS (info),
                   0.0f);
  st.beats.clear ();
  st.beats.reserve (st.tracker.max_beats (CHUNK_FRAMES));
  st.rate = rate;
  st.channels = channels;
  restart (self);
  /* the new analysis may find again, a little earlier, the last beat the
   * old one reported (its lookahead refines it back) */
  if (went_on && GST_CLOCK_TIME_IS_VALID (st.last_beat))
    st.not_before = st.last_beat + st.last_period / 2;
  return TRUE;
}

/* out[i] = in[i] * scale: in blocks of 8 of fixed length and without
 * aliasing, which the compiler vectorizes at -O2 */
template<typename T>
static void
scaled (float *__restrict out, const T *__restrict in, std::size_t n,
        float scale)
{
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (std::size_t k = 0; k < 8; k++)
      out[i + k] = static_cast<float> (in[i + k]) * scale;
  for (; i < n; i++)
    out[i] = static_cast<float> (in[i]) * scale;
}

/* @samples samples of @data in @format as float into st.chunk. */
static void
to_float (State &st, const guint8 *data, GstAudioFormat format,
          std::size_t samples)
{
  float *out = st.chunk.data ();
  switch (format) {
    case GST_AUDIO_FORMAT_F32LE: /* only when not aligned for float */
      std::memcpy (out, data, samples * sizeof (float));
      break;
    case GST_AUDIO_FORMAT_F64LE:
      scaled (out, reinterpret_cast<const double *> (data), samples, 1.0f);
      break;
    case GST_AUDIO_FORMAT_S16LE:
      scaled (out, reinterpret_cast<const gint16 *> (data), samples,
              1.0f / 32768.0f);
      break;
    case GST_AUDIO_FORMAT_S32LE:
      /* int to float rounds to 24 bits; the power of two scales exactly */
      scaled (out, reinterpret_cast<const gint32 *> (data), samples,
              1.0f / 2147483648.0f);
      break;
    default:
      std::fill_n (out, samples, 0.0f);
      break;
  }
}

static void
report_beat (GstBeatDetect *self, const prune::BeatInfo &b, const Outputs &s)
{
  State &st = *self->state;
  prune::Beat beat;
  /* a beat refined to before the first sample has no place in the stream */
  const double at = static_cast<double> (st.base_pts) + b.time * GST_SECOND;
  if (!(at >= 0.0))
    return;
  beat.timestamp = static_cast<GstClockTime> (at + 0.5);
  const GstSegment &segment = GST_BASE_TRANSFORM (self)->segment;
  beat.stream_time = prune::to_stream_time (segment, beat.timestamp);
  beat.running_time = prune::to_running_time (segment, beat.timestamp);
  if (!GST_CLOCK_TIME_IS_VALID (beat.running_time))
    return; /* outside the segment */
  if (GST_CLOCK_TIME_IS_VALID (st.not_before) && beat.timestamp < st.not_before)
    return;
  beat.bpm = b.bpm > 0 ? b.bpm : 1.0;
  beat.confidence = std::clamp (b.confidence, 0.0, 1.0);
  /* counted here: the beats dropped above take no index */
  beat.index = st.index++;
  st.last_beat = beat.timestamp;
  st.last_period =
      static_cast<GstClockTime> (60.0 * GST_SECOND / std::max (b.bpm, 1.0));
  beat.downbeat = b.downbeat;
  beat.lock_state = b.state;
  beat.predicted = b.predicted;
  /* the copy out of band first: it passes encoders (which keep serialized
   * events until their next frame), parsers and queues at once, so a sink
   * behind them hears of the beat before the other streams reach it */
  if (s.send_oob_events)
    gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self),
                        prune::to_oob_event (beat));
  if (s.send_events)
    gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self),
                        prune::to_event (beat));
  if (s.post_messages)
    gst_element_post_message (GST_ELEMENT (self),
                              prune::to_message (beat, GST_OBJECT (self)));
  /* flushed line by line: a reader following the file sees each beat
   * at once (two writes a second) */
  if (st.beats_file != nullptr && st.write_errno == 0 &&
      GST_CLOCK_TIME_IS_VALID (beat.stream_time) &&
      (std::fprintf (st.beats_file, "%.6f\n",
                     static_cast<double> (beat.stream_time) / GST_SECOND) < 0 ||
       std::fflush (st.beats_file) != 0))
    st.write_errno = errno != 0 ? errno : EIO;
}

/* Posts the error of a failed write to the beats file; FALSE then. */
static bool
beats_file_ok (GstBeatDetect *self)
{
  State &st = *self->state;
  if (st.write_errno == 0)
    return true;
  GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
                     ("Could not write beats to '%s': %s",
                      st.beats_path.c_str (), g_strerror (st.write_errno)),
                     ("free space on its file system, or choose another "
                      "beats-location"));
  return false;
}

static void
report_tempo (GstBeatDetect *self, GstClockTime pts, const Outputs &s)
{
  State &st = *self->state;
  const prune::BeatStatus status = st.tracker.status ();
  set_status (self, Status{status.bpm, status.confidence, status.state});
  /* a new tempo, or a new lock state (an application waiting for the
   * lock hears of it at once) */
  const bool changed = std::fabs (status.bpm - st.last_tempo_bpm) >
                           0.01 * std::max (st.last_tempo_bpm, 1.0) ||
                       status.state != st.last_tempo_state;
  const bool due = !GST_CLOCK_TIME_IS_VALID (st.last_tempo_pts) ||
                   pts >= st.last_tempo_pts + TEMPO_INTERVAL;
  if (!s.post_messages || !(changed || due))
    return;
  prune::Tempo t;
  t.timestamp = pts;
  const GstSegment &segment = GST_BASE_TRANSFORM (self)->segment;
  t.stream_time = prune::to_stream_time (segment, pts);
  t.running_time = prune::to_running_time (segment, pts);
  t.bpm = std::max (0.0, status.bpm);
  t.confidence = std::clamp (status.confidence, 0.0, 1.0);
  t.lock_state = status.state;
  st.last_tempo_bpm = status.bpm;
  st.last_tempo_state = status.state;
  st.last_tempo_pts = pts;
  gst_element_post_message (GST_ELEMENT (self),
                            prune::to_message (t, GST_OBJECT (self)));
}

/* PTS where the analysed audio ends (below 0 after a step back). */
static GstClockTimeDiff
analysed_end (const State &st, int rate)
{
  return st.base_pts +
         static_cast<GstClockTimeDiff> (
             gst_util_uint64_scale_int (st.samples, GST_SECOND, rate));
}

/* Outputs of the current settings. */
static Outputs
outputs (GstBeatDetect *self)
{
  prune::ObjectLocker lock (self);
  return self->settings->out;
}

/* Analyses @n frames (@samples as float, or lost audio when nullptr) and
 * reports the beats they complete. */
static void
analyse (GstBeatDetect *self, const float *samples, std::size_t n,
         const Outputs &s)
{
  State &st = *self->state;
  st.beats.clear ();
  if (samples != nullptr)
    st.tracker.process (samples, n, st.beats);
  else
    st.tracker.process_lost (n, st.beats);
  st.samples += n;
  for (const prune::BeatInfo &b : st.beats)
    report_beat (self, b, s);
}

/* Reports the beats the lookahead still holds (the end of the audio, of
 * a segment, of a stretch before a jump in the timestamps). */
static void
drain_held (GstBeatDetect *self, const Outputs &s)
{
  State &st = *self->state;
  st.beats.clear ();
  st.tracker.drain (st.beats);
  for (const prune::BeatInfo &b : st.beats)
    report_beat (self, b, s);
  st.beats.clear ();
}

/* The tracker's time 0 is @pts. */
static void
begin (GstBeatDetect *self, GstClockTime pts)
{
  State &st = *self->state;
  st.base_pts = static_cast<GstClockTimeDiff> (pts);
  st.started = true;
  const GstClockTime at =
      prune::to_stream_time (GST_BASE_TRANSFORM (self)->segment, pts);
  prune::BeatSettings bs = st.tracker.settings ();
  if (bs.start_is_beat && GST_CLOCK_TIME_IS_VALID (at) && at > JOINED_AFTER) {
    GST_DEBUG_OBJECT (self,
                      "starting at stream time %" GST_TIME_FORMAT
                      ": the first onset is not taken as a beat",
                      GST_TIME_ARGS (at));
    bs.start_is_beat = false;
    /* settings take effect at a reset; nothing was analysed yet */
    st.tracker.set_settings (bs);
    st.tracker.reset ();
  }
}

/* Lines the analysis up with @pts, the time of the audio that comes next,
 * when it is more than @tolerance away from where the analysed audio
 * ends (see BRIDGE_MAX). */
static void
follow_timestamp (GstBeatDetect *self, GstClockTime pts, int rate,
                  GstClockTimeDiff tolerance, const Outputs &s)
{
  State &st = *self->state;
  /* > 0: audio missing; < 0: timestamps went back */
  const GstClockTimeDiff jump =
      static_cast<GstClockTimeDiff> (pts) - analysed_end (st, rate);
  if (jump >= -tolerance && jump <= tolerance)
    return;
  if (jump > 0 && jump <= static_cast<GstClockTimeDiff> (BRIDGE_MAX)) {
    guint64 frames = gst_util_uint64_scale_int_round (
        static_cast<guint64> (jump), rate, GST_SECOND);
    GST_DEBUG_OBJECT (self, "%" GST_STIME_FORMAT " of audio lost",
                      GST_STIME_ARGS (jump));
    while (frames > 0) {
      const std::size_t n = std::min<guint64> (frames, CHUNK_FRAMES);
      analyse (self, nullptr, n, s);
      frames -= n;
    }
  } else if (jump < 0 && jump >= -static_cast<GstClockTimeDiff> (REWIND_MAX)) {
    GST_DEBUG_OBJECT (self, "timestamps back by %" GST_STIME_FORMAT,
                      GST_STIME_ARGS (-jump));
    st.base_pts += jump;
  } else {
    GST_INFO_OBJECT (
        self, "timestamps jump by %" GST_STIME_FORMAT ": the analysis restarts",
        GST_STIME_ARGS (jump));
    drain_held (self, s);
    restart (self);
    begin (self, pts);
  }
}

static GstFlowReturn
gst_beat_detect_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstBeatDetect *self = GST_BEAT_DETECT (trans);
  State &st = *self->state;
  const GstAudioInfo *info = &GST_AUDIO_FILTER (self)->info;
  const int rate = GST_AUDIO_INFO_RATE (info);
  const int channels = GST_AUDIO_INFO_CHANNELS (info);
  const std::size_t bpf = GST_AUDIO_INFO_BPF (info);
  /* reverse playback: the buffers come last first, and beats of audio
   * played backwards would fall at times that do not exist */
  if (trans->segment.rate < 0.0)
    return GST_FLOW_OK;
  /* not the whole Settings: no string copy per buffer */
  const Outputs s = outputs (self);

  if (!st.started) {
    /* without a PTS: the segment's start (0 in a segment in bytes) */
    GstClockTime pts = GST_BUFFER_PTS (buf);
    if (!GST_CLOCK_TIME_IS_VALID (pts))
      pts = trans->segment.format == GST_FORMAT_TIME ? trans->segment.start : 0;
    begin (self, pts);
  } else if (GST_BUFFER_PTS_IS_VALID (buf))
    follow_timestamp (
        self, GST_BUFFER_PTS (buf), rate,
        GST_BUFFER_IS_DISCONT (buf) ? GST_MSECOND : ALIGN_THRESHOLD, s);

  GstMapInfo map;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not map an audio buffer"),
                       (nullptr));
    return GST_FLOW_ERROR;
  }
  const GstAudioFormat format = GST_AUDIO_INFO_FORMAT (info);
  const guint8 *data = map.data;
  std::size_t size = map.size;
  if (GST_BUFFER_IS_DISCONT (buf))
    st.part_len = 0; /* the data does not go on from the split frame */
  if (st.part_len > 0) {
    /* the rest of the frame the last buffer began */
    const std::size_t take = std::min (size, bpf - st.part_len);
    std::memcpy (st.part.data () + st.part_len, data, take);
    st.part_len += take;
    data += take;
    size -= take;
    if (st.part_len == bpf) {
      to_float (st, st.part.data (), format, channels);
      analyse (self, st.chunk.data (), 1, s);
      st.part_len = 0;
    }
  }
  const std::size_t frames = size / bpf;
  /* F32LE is what the tracker takes: read it in place */
  const bool direct =
      format == GST_AUDIO_FORMAT_F32LE &&
      reinterpret_cast<std::uintptr_t> (data) % alignof (float) == 0;
  for (std::size_t done = 0; done < frames;) {
    const std::size_t n = std::min<std::size_t> (CHUNK_FRAMES, frames - done);
    const float *samples = st.chunk.data ();
    if (direct)
      samples = reinterpret_cast<const float *> (data + done * bpf);
    else
      to_float (st, data + done * bpf, format, n * channels);
    analyse (self, samples, n, s);
    done += n;
  }
  if (size > frames * bpf && st.part_len == 0) {
    st.part_len = size - frames * bpf;
    std::memcpy (st.part.data (), data + frames * bpf, st.part_len);
  }
  gst_buffer_unmap (buf, &map);
  if (!beats_file_ok (self))
    return GST_FLOW_ERROR;
  report_tempo (self,
                static_cast<GstClockTime> (
                    std::max<GstClockTimeDiff> (analysed_end (st, rate), 0)),
                s);
  return GST_FLOW_OK;
}

static gboolean
gst_beat_detect_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstBeatDetect *self = GST_BEAT_DETECT (trans);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      restart (self);
      break;
    case GST_EVENT_SEGMENT: {
      /* the same segment again (re-sent after a reconfiguration) is
       * nothing new: the analysis goes on */
      const GstSegment *seg = nullptr;
      gst_event_parse_segment (event, &seg);
      if (seg->rate < 0.0)
        GST_INFO_OBJECT (self, "reverse playback: no beats are tracked");
      if (seg->format != GST_FORMAT_TIME)
        GST_ELEMENT_WARNING (
            self, STREAM, FORMAT,
            ("The audio comes in a %s segment, not in time: beat times are "
             "counted from its first sample",
             gst_format_get_name (seg->format)),
            ("put rawaudioparse (or a parser or decoder) before beatdetect "
             "for the stream's own times"));
      if (!prune::same_segment (*seg, trans->segment)) {
        /* the held beats belong to the old segment (still trans->segment) */
        if (self->state->started)
          drain_held (self, outputs (self));
        restart (self);
      }
      break;
    }
    case GST_EVENT_GAP: {
      /* no audio for a while: lost audio (see BRIDGE_MAX), and
       * the buffer after it needs no DISCONT flag */
      State &st = *self->state;
      const int rate = GST_AUDIO_INFO_RATE (&GST_AUDIO_FILTER (self)->info);
      GstClockTime ts, duration;
      gst_event_parse_gap (event, &ts, &duration);
      if (rate > 0 && GST_CLOCK_TIME_IS_VALID (ts) &&
          trans->segment.rate > 0.0) {
        if (!st.started)
          begin (self, ts);
        follow_timestamp (
            self, ts + (GST_CLOCK_TIME_IS_VALID (duration) ? duration : 0),
            rate, GST_MSECOND, outputs (self));
      }
      break;
    }
    case GST_EVENT_EOS: {
      /* the beats the lookahead still holds go out before the EOS */
      State &st = *self->state;
      drain_held (self, outputs (self));
      if (st.beats_file != nullptr && st.write_errno == 0 &&
          std::fflush (st.beats_file) != 0)
        st.write_errno = errno != 0 ? errno : EIO;
      if (!beats_file_ok (self)) {
        gst_event_unref (event);
        return FALSE;
      }
      break;
    }
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_beat_detect_parent_class)
      ->sink_event (trans, event);
}

static gboolean
gst_beat_detect_query (GstBaseTransform *trans, GstPadDirection direction,
                       GstQuery *query)
{
  GstBeatDetect *self = GST_BEAT_DETECT (trans);
  gboolean ret = GST_BASE_TRANSFORM_CLASS (gst_beat_detect_parent_class)
                     ->query (trans, direction, query);
  if (ret && direction == GST_PAD_SRC &&
      GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    double lookahead;
    {
      prune::ObjectLocker lock (self);
      lookahead = self->settings->beat.lookahead;
    }
    /* the beats come late by the lookahead; the audio is not held */
    prune::add_latency (
        query, static_cast<GstClockTime> (lookahead * GST_SECOND), false);
  }
  return ret;
}

static gboolean
gst_beat_detect_start (GstBaseTransform *trans)
{
  GstBeatDetect *self = GST_BEAT_DETECT (trans);
  std::string location;
  double min_bpm, max_bpm;
  {
    prune::ObjectLocker lock (self);
    location = self->settings->beats_location;
    min_bpm = self->settings->beat.min_bpm;
    max_bpm = self->settings->beat.max_bpm;
  }
  /* (the tolerance lets 100 and 110 through: 100 * 1.1 > 110 in binary) */
  if (max_bpm * (1.0 + 1e-9) < min_bpm * prune::BeatTracker::kMinTempoSpan) {
    GST_ELEMENT_ERROR (
        self, LIBRARY, SETTINGS,
        ("No tempo range: min-bpm is %g and max-bpm %g", min_bpm, max_bpm),
        ("set max-bpm to at least %g times min-bpm",
         prune::BeatTracker::kMinTempoSpan));
    return FALSE;
  }
  if (!location.empty ()) {
    self->state->beats_path = location;
    self->state->write_errno = 0;
    self->state->beats_file = std::fopen (location.c_str (), "w");
    if (self->state->beats_file == nullptr) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
                         ("Cannot write beats to '%s': %s", location.c_str (),
                          g_strerror (errno)),
                         ("choose a writable beats-location"));
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
gst_beat_detect_stop (GstBaseTransform *trans)
{
  GstBeatDetect *self = GST_BEAT_DETECT (trans);
  State &st = *self->state;
  if (st.beats_file != nullptr) {
    if (std::fclose (st.beats_file) != 0 && st.write_errno == 0)
      GST_ELEMENT_WARNING (self, RESOURCE, CLOSE,
                           ("Could not close the beats file '%s': %s",
                            st.beats_path.c_str (), g_strerror (errno)),
                           (nullptr));
    st.beats_file = nullptr;
  }
  restart (self);
  st.rate = st.channels = 0;
  st.last_beat = GST_CLOCK_TIME_NONE;
  return TRUE;
}

static void
gst_beat_detect_set_property (GObject *object, guint prop_id,
                              const GValue *value, GParamSpec *pspec)
{
  GstBeatDetect *self = GST_BEAT_DETECT (object);
  if ((pspec->flags & GST_PARAM_MUTABLE_READY) != 0) {
    GstState state;
    {
      prune::ObjectLocker lock (self);
      state = GST_STATE (self);
    }
    /* the analysis, its latency and the file are set up at the start */
    if (state > GST_STATE_READY) {
      GST_ELEMENT_WARNING (
          self, LIBRARY, SETTINGS,
          ("'%s' was not changed: it can only be set while the element "
           "is stopped",
           pspec->name),
          ("set it in the NULL or READY state"));
      return;
    }
  }
  prune::ObjectLocker lock (self);
  Settings &s = *self->settings;
  switch (prop_id) {
    case PROP_MIN_BPM:
      s.beat.min_bpm = g_value_get_double (value);
      break;
    case PROP_MAX_BPM:
      s.beat.max_bpm = g_value_get_double (value);
      break;
    case PROP_TEMPO_PRIOR:
      s.beat.preferred_bpm = g_value_get_double (value);
      break;
    case PROP_LOOKAHEAD:
      s.beat.lookahead =
          static_cast<double> (g_value_get_uint64 (value)) / GST_SECOND;
      break;
    case PROP_START_IS_BEAT:
      s.beat.start_is_beat = g_value_get_boolean (value);
      break;
    case PROP_SEND_EVENTS:
      s.out.send_events = g_value_get_boolean (value);
      break;
    case PROP_SEND_OOB_EVENTS:
      s.out.send_oob_events = g_value_get_boolean (value);
      break;
    case PROP_POST_MESSAGES:
      s.out.post_messages = g_value_get_boolean (value);
      break;
    case PROP_BEATS_LOCATION: {
      const char *v = g_value_get_string (value);
      s.beats_location = v ? v : "";
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_beat_detect_get_property (GObject *object, guint prop_id, GValue *value,
                              GParamSpec *pspec)
{
  GstBeatDetect *self = GST_BEAT_DETECT (object);
  prune::ObjectLocker lock (self);
  const Settings &s = *self->settings;
  switch (prop_id) {
    case PROP_MIN_BPM:
      g_value_set_double (value, s.beat.min_bpm);
      break;
    case PROP_MAX_BPM:
      g_value_set_double (value, s.beat.max_bpm);
      break;
    case PROP_TEMPO_PRIOR:
      g_value_set_double (value, s.beat.preferred_bpm);
      break;
    case PROP_LOOKAHEAD:
      g_value_set_uint64 (
          value, static_cast<guint64> (s.beat.lookahead * GST_SECOND + 0.5));
      break;
    case PROP_START_IS_BEAT:
      g_value_set_boolean (value, s.beat.start_is_beat);
      break;
    case PROP_SEND_EVENTS:
      g_value_set_boolean (value, s.out.send_events);
      break;
    case PROP_SEND_OOB_EVENTS:
      g_value_set_boolean (value, s.out.send_oob_events);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, s.out.post_messages);
      break;
    case PROP_BEATS_LOCATION:
      g_value_set_string (value, s.beats_location.c_str ());
      break;
    case PROP_BPM:
      g_value_set_double (value, self->status->bpm);
      break;
    case PROP_CONFIDENCE:
      g_value_set_double (value, self->status->confidence);
      break;
    case PROP_STATE:
      g_value_set_string (value, prune::to_string (self->status->state));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_beat_detect_finalize (GObject *object)
{
  GstBeatDetect *self = GST_BEAT_DETECT (object);
  if (self->state->beats_file != nullptr)
    std::fclose (self->state->beats_file);
  delete self->state;
  delete self->status;
  delete self->settings;
  G_OBJECT_CLASS (gst_beat_detect_parent_class)->finalize (object);
}

static void
gst_beat_detect_init (GstBeatDetect *self)
{
  self->settings = new Settings ();
  self->status = new Status ();
  self->state = new State ();
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_beat_detect_class_init (GstBeatDetectClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstAudioFilterClass *filter_class = GST_AUDIO_FILTER_CLASS (klass);
  const auto ready = static_cast<GParamFlags> (
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto live = static_cast<GParamFlags> (
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const auto ro =
      static_cast<GParamFlags> (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  gobject_class->set_property = gst_beat_detect_set_property;
  gobject_class->get_property = gst_beat_detect_get_property;
  gobject_class->finalize = gst_beat_detect_finalize;

  g_object_class_install_property (
      gobject_class, PROP_MIN_BPM,
      g_param_spec_double ("min-bpm", "Minimum BPM",
                           "Slowest tempo reported (beats per minute)", 20.0,
                           400.0, 40.0, ready));
  g_object_class_install_property (
      gobject_class, PROP_MAX_BPM,
      g_param_spec_double (
          "max-bpm", "Maximum BPM",
          "Fastest tempo reported (beats per minute), at least 1.1 times "
          "min-bpm",
          20.0, 400.0, 240.0, ready));
  g_object_class_install_property (
      gobject_class, PROP_TEMPO_PRIOR,
      g_param_spec_double (
          "tempo-prior", "Tempo prior",
          "Preferred tempo (BPM): the centre of the prior that chooses "
          "between half, double and other related tempi",
          20.0, 400.0, 120.0, ready));
  g_object_class_install_property (
      gobject_class, PROP_LOOKAHEAD,
      g_param_spec_uint64 (
          "lookahead", "Lookahead",
          "Delay (ns) that lets the tracker revise beats before reporting "
          "them, for file jobs (2 to 4 s; more is not better); 0 = causal. "
          "Added to the LATENCY",
          0, 10 * GST_SECOND, 0, ready));
  g_object_class_install_property (
      gobject_class, PROP_START_IS_BEAT,
      g_param_spec_boolean (
          "start-is-beat", "Start is beat",
          "Take the first onset as a beat while the phase settles, when the "
          "stream starts at the start of the piece (stream time at most "
          "0.5 s: not after a seek). Music mostly starts on a beat; off "
          "leaves the phase to the audio alone (a stream joined mid-piece)",
          TRUE, ready));
  g_object_class_install_property (
      gobject_class, PROP_SEND_EVENTS,
      g_param_spec_boolean (
          "send-events", "Send events",
          "Send a serialized prune-beat event downstream for every beat", TRUE,
          live));
  g_object_class_install_property (
      gobject_class, PROP_SEND_OOB_EVENTS,
      g_param_spec_boolean (
          "send-oob-events", "Send out-of-band events",
          "Also send every prune-beat event out of band, ahead of the "
          "stream: it passes encoders and queues at once, so a sink that "
          "cuts on beats (segmentsink split-on-beats) learns of a beat "
          "before the video reaches it",
          TRUE, live));
  g_object_class_install_property (
      gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
                            "Post prune-beat and prune-tempo element messages",
                            TRUE, live));
  g_object_class_install_property (
      gobject_class, PROP_BEATS_LOCATION,
      g_param_spec_string (
          "beats-location", "Beats location",
          "Write one beat time (seconds, stream time) per line to this file "
          "as beats are reported; flushed on EOS",
          "", ready));
  g_object_class_install_property (
      gobject_class, PROP_BPM,
      g_param_spec_double ("bpm", "BPM", "Current tempo estimate, 0 while none",
                           0.0, 1000.0, 0.0, ro));
  g_object_class_install_property (
      gobject_class, PROP_CONFIDENCE,
      g_param_spec_double ("confidence", "Confidence",
                           "Confidence of the current tempo and phase, 0 to 1",
                           0.0, 1.0, 0.0, ro));
  state_pspec = g_param_spec_string (
      "state", "State",
      "Lock state: searching, locked or lost (notified when it changes)",
      "searching", ro);
  g_object_class_install_property (gobject_class, PROP_STATE, state_pspec);

  gst_element_class_set_static_metadata (
      element_class, "Beat detector", "Filter/Analyzer/Audio",
      "Tracks beats and tempo while the audio passes unchanged",
      "gst-prune developers");
  GstCaps *caps = gst_caps_from_string (CAPS);
  gst_audio_filter_class_add_pad_templates (filter_class, caps);
  gst_caps_unref (caps);

  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_beat_detect_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_beat_detect_sink_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_beat_detect_query);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_beat_detect_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_beat_detect_stop);
  filter_class->setup = GST_DEBUG_FUNCPTR (gst_beat_detect_setup);
}

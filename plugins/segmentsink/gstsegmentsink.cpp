/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-segmentsink
 * @title: segmentsink
 *
 * Writes encoded streams into rolling segment files and keeps an ffmpeg
 * concat list (ffconcat) of the finished ones that is valid at every
 * instant, even after `kill -9`.
 *
 * |[
 * gst-launch-1.0 -e v4l2src ! videoconvert ! staticgate send-gaps=false ! \
 *     x264enc ! h264parse ! segmentsink location=out/seg%05d.mp4 \
 *     playlist-location=out/list.ffconcat
 * ffmpeg -f concat -safe 0 -i out/list.ffconcat -c copy kept.mp4
 * ]|
 *
 * Request pads: `video` (one) and `audio_%u`; encoded input that the
 * chosen muxer accepts. Each file is written by its own muxer
 * (`muxer-factory`, default `mp4mux` with `fragment-duration=500`: a file
 * cut short by a crash stays readable up to its last fragment) into a
 * `filesink`.
 *
 * A new file starts on a video keyframe when a split is due: after
 * `max-size-time` or `max-size-bytes`, at each `prune-segment-start` event
 * (`split-on-gate`, which also closes the file at `prune-segment-end` and
 * writes nothing until the next start; the end sent out of band, as
 * staticgate does, closes it once the video reaches that end, before the
 * serialized one gets past an encoder), every `split-on-beats` prune-beat
 * events, or on the `split-now` action signal. When a split is due the sink
 * asks upstream for a keyframe (force-key-unit). Data before the first
 * keyframe is dropped (one warning). Audio is cut at the running time of
 * the video cut: an audio buffer that starts before it goes to the old
 * file, one that starts at or after it to the new file.
 *
 * The list (`playlist-location`) lists only finished files, each with its
 * `duration`; every change replaces it atomically and durably (temp file,
 * fsync, rename, fsync of the directory). `index-location` adds a JSON
 * index. Retention (`max-files`, `max-total-bytes`, `max-age`) removes the
 * oldest entry from the list before deleting its file; names are never
 * reused, and a restart into the same list continues its numbering.
 *
 * ## Messages
 *
 * Element messages, fields in docs/names.md: `prune-segment-opened`
 * (location, index, running-time), `prune-segment-closed` (location, index,
 * running-time, duration, bytes, reason), `prune-segment-deleted`
 * (location, index, bytes, reason), `prune-playlist-updated` (location,
 * entries, duration). On EOS the open file is finished and listed, its
 * closed message posted, and only then the sink posts EOS.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstsegmentsink.h"

#include <gst/prune/names.h>
#include "../prune-element.h"
#include <gst/prune/playlist.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (gst_segment_sink_debug);
#define GST_CAT_DEFAULT gst_segment_sink_debug

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE (
    "audio_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS_ANY);

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_PLAYLIST_LOCATION,
  PROP_INDEX_LOCATION,
  PROP_MUXER_FACTORY,
  PROP_MUXER_PROPERTIES,
  PROP_START_INDEX,
  PROP_MAX_SIZE_TIME,
  PROP_MAX_SIZE_BYTES,
  PROP_SPLIT_ON_GATE,
  PROP_SPLIT_ON_BEATS,
  PROP_PRE_ROLL,
  PROP_MAX_PREROLL_BYTES,
  PROP_MAX_FILES,
  PROP_MAX_TOTAL_BYTES,
  PROP_MAX_AGE,
  PROP_ASYNC,
};

enum {
  SIGNAL_FORMAT_LOCATION,
  SIGNAL_SPLIT_NOW,
  LAST_SIGNAL,
};
static guint signals[LAST_SIGNAL];

#define DEFAULT_LOCATION "segment%05d.mp4"
#define DEFAULT_PLAYLIST_LOCATION "playlist.ffconcat"
#define DEFAULT_MUXER_FACTORY "mp4mux"
#define DEFAULT_MP4_FRAGMENT_MS 500

/* How far one stream may run ahead of another inside a file's queues. */
static const guint64 kQueueTime = 10 * GST_SECOND;

namespace {

struct Settings {
  std::string location = DEFAULT_LOCATION;
  std::string playlist_location = DEFAULT_PLAYLIST_LOCATION;
  std::string index_location;
  std::string muxer_factory = DEFAULT_MUXER_FACTORY;
  GstStructure *muxer_properties = nullptr;
  guint start_index = 0;
  guint64 max_size_time = 0;
  guint64 max_size_bytes = 0;
  gboolean split_on_gate = FALSE;
  guint split_on_beats = 0;
  guint64 pre_roll = 0;
  guint64 max_preroll_bytes = 64 * 1024 * 1024;
  guint max_files = 0;
  guint64 max_total_bytes = 0;
  guint64 max_age = 0;
  gboolean async = TRUE;
};

/* One file being written. */
struct File {
  guint index = 0;
  std::string location;
  GstElement *muxer = nullptr;
  GstElement *sink = nullptr;
  GstClockTime start_rt = GST_CLOCK_TIME_NONE;
  GstClockTime end_rt = GST_CLOCK_TIME_NONE; /* known once cut */
  gint64 start_wallclock = 0;
  prune::SplitReason reason = prune::SplitReason::Eos;
  guint64 bytes = 0;              /* buffer bytes pushed (for max-size-bytes) */
  std::vector<GstPad *> mux_pads; /* per stream, same order as streams */
  std::vector<GstPad *> proxies;  /* our src pads, one per stream */
  /* a queue between each proxy and its muxer pad: the streams feed the
   * muxer on their own threads, so the audio may wait for the video's
   * decisions without starving the muxer (bounded by kQueueTime) */
  std::vector<GstElement *> queues;
  /* per stream: its EOS went in (written by that stream's thread only:
   * one byte each, not the bits of a vector<bool>) */
  std::vector<std::uint8_t> eos_sent;
  bool failed = false;  /* a write error: never listed (p.lock) */
  bool written = false; /* its muxer wrote everything */

  File () = default;
  File (const File &) = delete;
  File &operator= (const File &) = delete;
  /* the proxies live as long as the last stream that may push into them
   * (a muxer that failed sends EOS and its file is torn down while the
   * streams still hold it: their pushes then return FLUSHING) */
  ~File ()
  {
    for (GstPad *pad : proxies)
      gst_object_unref (pad);
  }
};
using FilePtr = std::shared_ptr<File>;

struct Held {
  GstBuffer *buf;
  GstClockTime rt;
};

/* One sink pad and what it writes to. */
struct Stream {
  GstPad *sinkpad = nullptr;
  bool video = false;
  GstSegment segment;
  GstCaps *caps = nullptr;
  GstEvent *stream_start = nullptr;
  FilePtr file; /* the file it writes to now, null between files */
  bool eos = false;
  guint id = 0; /* position in the stream list */
  /* video only, on its streaming thread: the first buffers of a file whose
   * DTS lie before the file's first PTS, held until the first DTS at or
   * after it shows how many there are (see release_held) */
  std::vector<GstBuffer *> held;
  FilePtr held_file;
  GstClockTime held_pts = GST_CLOCK_TIME_NONE;
  /* audio only, on its streaming thread: its pre-roll, the buffers no file
   * covers (the gate is closed) as far back as the video's pre-roll */
  std::deque<Held> ring;
  guint64 ring_bytes = 0;
};

} // namespace

struct _GstSegmentSink {
  GstBin parent;
  /* C++ state: settings under the object lock; the rest under priv->lock */
  struct Private *priv;
};

struct Private {
  Settings settings; /* object lock */

  /* preroll (async): the change to PAUSED completes at the first data (a
   * buffer, a GAP, a gap announced out of band, EOS), as a sink's does.
   * preroll_committer: the thread posting the ASYNC_DONE (none: not
   * being posted); the change to PLAYING waits for it, see
   * commit_preroll() */
  std::atomic<bool> preroll_pending{false};
  std::mutex preroll_lock;
  std::condition_variable preroll_cond;
  std::thread::id preroll_committer; /* preroll_lock */

  std::mutex lock;
  std::condition_variable cond;
  /* the worker's own: the streams notify cond at every video buffer, which
   * must not wake the worker (a context switch per buffer) */
  std::condition_variable worker_cond;
  std::vector<Stream *> streams;
  Stream *video = nullptr;
  std::deque<FilePtr> files; /* open files, oldest first */
  FilePtr current;           /* the file the video writes to */
  /* how far the primary stream has decided, in decode order: the largest
   * running time of a DTS (PTS without DTS) seen. A later cut is at a
   * keyframe whose PTS is at least its DTS, so other streams may write
   * everything before this without waiting for it. */
  GstClockTime video_pos = GST_CLOCK_TIME_NONE;
  GstClockTime video_end = GST_CLOCK_TIME_NONE; /* latest primary end */
  bool video_eos = false;
  bool flushing = true;
  bool recording = true; /* false between prune-segment-end and -start */
  bool split_pending = false;
  prune::SplitReason split_reason = prune::SplitReason::MaxSizeTime;
  bool fku_requested = false;
  /* split-on-beats: the running times of the beats announced that the
   * video has not reached yet (the audio that carries them runs ahead of
   * the video or behind it), oldest first, at most kMaxBeatsAhead; and the
   * beats the current file has passed. A beat is counted when the video
   * (or a GAP) reaches its time, so a cut lands on the frame of its beat
   * when its event comes first. */
  std::deque<GstClockTime> beats_ahead;
  /* the latest beat taken: the same beat from another pad (or both in
   * stream order and out of band) counts once */
  GstClockTime last_beat = GST_CLOCK_TIME_NONE;
  /* the latest beat the encoder was asked for a keyframe at */
  GstClockTime beat_keyframe = GST_CLOCK_TIME_NONE;
  /* drop mode: where the gate's next kept stretch starts, when it was
   * announced out of band (a prune-segment-start sent ahead of its frames,
   * as gst-prune does) and its file is not open yet. Its beats then
   * count from there: a gate sends a stretch's pre-roll at once, and the
   * encoder (with a queue after it) could pass the first cut's beat
   * before the file opens here. */
  GstClockTime next_start = GST_CLOCK_TIME_NONE;
  /* the ends of kept stretches the gate announced out of band, oldest
   * first, at most kMaxEndsAhead: its prune-segment-end in stream order
   * stays in a video encoder until the encoder's next frame, which comes
   * with the next stretch, and until then the other streams would wait
   * for the video (a static hour after a stretch: an hour of audio held
   * upstream). The open stretch closes once its video reaches its end. */
  std::deque<GstClockTime> ends_ahead;
  /* where the open stretch (or the last one) started */
  GstClockTime stretch_start = GST_CLOCK_TIME_NONE;
  /* video_end after the latest primary buffer when that one was in
   * presentation order (DTS = PTS); NONE after a reordered one (B-frames:
   * frames that end earlier may still come) */
  GstClockTime settled_end = GST_CLOCK_TIME_NONE;
  /* half the primary stream's last buffer duration: the frame nearest to
   * a beat is its */
  GstClockTime half_frame = 0;
  guint beats = 0;
  guint next_index = 0;
  bool warned_no_keyframe = false;
  bool posted_eos = false;
  std::deque<Held> preroll; /* encoded video held while not recording */
  guint64 preroll_bytes = 0;
  /* while the pre-roll is being replayed into a new file (the ring is empty
   * but the file is not in files yet): where the replay starts, so the
   * other streams keep their own rings back to it */
  GstClockTime replay_from = GST_CLOCK_TIME_NONE;
  /* how far before the newest video a prune-segment-start may lie (a gate
   * in mark mode decides after min-motion, and marks its own pre-roll
   * before that): the largest seen, at least kLookback */
  GstClockTime lookback = 0;
  std::unique_ptr<prune::Playlist> playlist;

  /* worker: finishes files off the streaming threads, in order */
  std::thread worker;
  std::deque<std::function<void ()>> jobs;
  bool job_running = false;
  bool worker_stop = false;
};

G_DEFINE_TYPE (GstSegmentSink, gst_segment_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (
    segmentsink, "segmentsink", GST_RANK_NONE, GST_TYPE_SEGMENT_SINK,
    GST_DEBUG_CATEGORY_INIT (gst_segment_sink_debug, "segmentsink", 0,
                             "rolling segment files with an ffconcat list"));

namespace {

Settings
settings_copy (GstSegmentSink *self)
{
  prune::ObjectLocker lock (self);
  Settings s = self->priv->settings;
  if (s.muxer_properties != nullptr)
    s.muxer_properties = gst_structure_copy (s.muxer_properties);
  return s;
}

void
settings_free (Settings &s)
{
  if (s.muxer_properties != nullptr)
    gst_structure_free (s.muxer_properties);
  s.muxer_properties = nullptr;
}

/* The one integer conversion of a location pattern: %[flags][width]d. */
struct Pattern {
  std::string prefix, suffix;
  bool zero = false, left = false;
  int width = 0;
  char conv = 'd';
};

/* Parses a printf-style pattern with exactly one integer conversion (%d,
 * %i, %u, %x, %X with flags 0 and -, and a width) and %% otherwise. */
bool
parse_pattern (const std::string &p, Pattern &out, std::string &why)
{
  int conversions = 0;
  std::string lit;
  for (std::size_t i = 0; i < p.size (); i++) {
    if (p[i] != '%') {
      lit += p[i];
      continue;
    }
    if (i + 1 < p.size () && p[i + 1] == '%') {
      lit += '%';
      i++;
      continue;
    }
    Pattern pat;
    std::size_t j = i + 1;
    for (; j < p.size () && (p[j] == '0' || p[j] == '-'); j++)
      (p[j] == '0' ? pat.zero : pat.left) = true;
    for (; j < p.size () && g_ascii_isdigit (p[j]); j++)
      pat.width = std::min (pat.width * 10 + (p[j] - '0'), 64);
    if (j >= p.size () || !std::strchr ("diuxX", p[j])) {
      why = "only one integer conversion such as %05d is allowed";
      return false;
    }
    pat.conv = p[j];
    out.zero = pat.zero;
    out.left = pat.left;
    out.width = pat.width;
    out.conv = pat.conv;
    out.prefix = lit;
    lit.clear ();
    conversions++;
    i = j;
  }
  out.suffix = lit;
  if (conversions != 1) {
    why = conversions == 0 ? "it has no %d-style conversion for the index"
                           : "it has more than one conversion";
    return false;
  }
  return true;
}

std::string
format_index (const Pattern &pat, guint index)
{
  char digits[32];
  if (pat.conv == 'x' || pat.conv == 'X') {
    g_snprintf (digits, sizeof digits, pat.conv == 'x' ? "%x" : "%X", index);
  } else {
    g_snprintf (digits, sizeof digits, "%u", index);
  }
  std::string num = digits;
  if (static_cast<int> (num.size ()) < pat.width) {
    const std::string pad (pat.width - num.size (),
                           pat.zero && !pat.left ? '0' : ' ');
    num =
        pat.left ? num + std::string (pat.width - num.size (), ' ') : pad + num;
  }
  return pat.prefix + num + pat.suffix;
}

std::string
dirname_of (const std::string &path)
{
  gchar *d = g_path_get_dirname (path.c_str ());
  std::string out = d;
  g_free (d);
  return out;
}

/* Posts @msg (an element message built from a names.h structure). */
template<typename T>
void
post (GstSegmentSink *self, const T &v)
{
  gst_element_post_message (GST_ELEMENT (self),
                            prune::to_message (v, GST_OBJECT (self)));
}

} // namespace

/* ---------------------------------------------------------------------- */
/* Worker thread                                                           */

static void
worker_run (GstSegmentSink *self)
{
  Private &p = *self->priv;
  std::unique_lock<std::mutex> lk (p.lock);
  for (;;) {
    p.worker_cond.wait (lk, [&p] { return p.worker_stop || !p.jobs.empty (); });
    if (p.jobs.empty () && p.worker_stop)
      return;
    auto job = std::move (p.jobs.front ());
    p.jobs.pop_front ();
    p.job_running = true;
    lk.unlock ();
    job ();
    lk.lock ();
    p.job_running = false;
    p.cond.notify_all ();
  }
}

/* Queues @job for the worker (called with p.lock held). */
static void
queue_job (Private &p, std::function<void ()> job)
{
  p.jobs.push_back (std::move (job));
  p.worker_cond.notify_one ();
}

/* ---------------------------------------------------------------------- */
/* Files                                                                   */

static std::string
location_for (GstSegmentSink *self, const Settings &s, guint index)
{
  gchar *name = nullptr;
  g_signal_emit (self, signals[SIGNAL_FORMAT_LOCATION], 0, index, &name);
  if (name != nullptr) {
    std::string out = name;
    g_free (name);
    return out;
  }
  Pattern pat;
  std::string why;
  parse_pattern (s.location, pat, why); /* checked when starting */
  return format_index (pat, index);
}

/* Retention after a file was listed (worker thread). */
static void
apply_retention (GstSegmentSink *self, const Settings &s)
{
  Private &p = *self->priv;
  const gint64 now = g_get_real_time ();
  for (;;) {
    const auto &entries = p.playlist->entries ();
    if (entries.empty ())
      return;
    const prune::PlaylistEntry &oldest = entries.front ();
    prune::DeleteReason why;
    if (s.max_files > 0 && entries.size () > s.max_files)
      why = prune::DeleteReason::MaxFiles;
    else if (s.max_total_bytes > 0 &&
             p.playlist->total_bytes () > s.max_total_bytes &&
             entries.size () > 1)
      why = prune::DeleteReason::MaxTotalBytes;
    else if (s.max_age > 0 && oldest.start_wallclock_us > 0 &&
             static_cast<guint64> (now - oldest.start_wallclock_us) * 1000 >
                 s.max_age)
      why = prune::DeleteReason::MaxAge;
    else
      return;
    const prune::PlaylistEntry gone = oldest;
    std::string error;
    if (!p.playlist->remove_front (error)) {
      GST_ELEMENT_WARNING (
          self, RESOURCE, WRITE,
          ("Could not update the list to remove %s", gone.location.c_str ()),
          ("%s", error.c_str ()));
      return;
    }
    /* the list no longer names it: now the file may go */
    if (g_unlink (gone.location.c_str ()) != 0 && errno != ENOENT)
      GST_WARNING_OBJECT (self, "could not delete %s: %s",
                          gone.location.c_str (), g_strerror (errno));
    prune::SegmentDeleted del;
    del.location = gone.location;
    del.index = gone.index;
    del.bytes = gone.bytes;
    del.reason = why;
    post (self, del);
    prune::PlaylistUpdated up;
    up.location =
        s.playlist_location.empty () ? s.index_location : s.playlist_location;
    up.entries = static_cast<guint> (p.playlist->entries ().size ());
    up.duration = p.playlist->total_duration ();
    if (!up.location.empty ())
      post (self, up);
  }
}

/* Takes the elements of @f down and out of the bin. */
static void
teardown_file (GstSegmentSink *self, File &f)
{
  /* no new pushes start: the proxies turn inactive (pushes return
   * FLUSHING; the pads are released with the File) */
  for (GstPad *pad : f.proxies)
    gst_pad_set_active (pad, FALSE);
  /* downstream first: a muxer blocked in a push is released by its sink's
   * flushing, a queue by its muxer's */
  std::vector<GstElement *> elements = {f.sink, f.muxer};
  elements.insert (elements.end (), f.queues.begin (), f.queues.end ());
  for (GstElement *e : elements) {
    gst_element_set_locked_state (e, TRUE);
    gst_element_set_state (e, GST_STATE_NULL);
  }
  for (GstPad *pad : f.mux_pads) {
    gst_element_release_request_pad (f.muxer, pad);
    gst_object_unref (pad);
  }
  f.mux_pads.clear ();
  for (GstElement *e : elements)
    gst_bin_remove (GST_BIN (self), e);
  /* GstBin drops the sink flag with its last sink child; the bin is a sink
   * for its whole life (the pipeline waits for its EOS) */
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
  f.queues.clear ();
  f.muxer = f.sink = nullptr;
}

/* The file's muxer wrote everything (worker thread): shut its elements
 * down, list it, apply retention. */
static void
finish_file (GstSegmentSink *self, FilePtr f)
{
  Private &p = *self->priv;
  teardown_file (self, *f);
  bool failed;
  {
    std::lock_guard<std::mutex> lk (p.lock);
    failed = f->failed;
  }
  if (failed) {
    /* the error said which file; a truncated file is kept but not listed */
    GST_WARNING_OBJECT (self, "%s failed while being written, not listed",
                        f->location.c_str ());
    return;
  }

  /* the file is on disk before the list names it */
  guint64 bytes = 0;
  const int fd = open (f->location.c_str (), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st;
    if (fsync (fd) == 0 && fstat (fd, &st) == 0)
      bytes = static_cast<guint64> (st.st_size);
    close (fd);
  }
  const GstClockTime duration =
      GST_CLOCK_TIME_IS_VALID (f->end_rt) && f->end_rt > f->start_rt
          ? f->end_rt - f->start_rt
          : 0;
  Settings s = settings_copy (self);
  prune::PlaylistEntry e;
  e.index = f->index;
  e.location = f->location;
  e.start_running_time = f->start_rt;
  e.start_wallclock_us = f->start_wallclock;
  e.duration = duration;
  e.bytes = bytes;
  e.reason = f->reason;
  std::string error;
  if (!p.playlist->add (e, error)) {
    GST_ELEMENT_ERROR (
        self, RESOURCE, WRITE,
        ("Could not update the segment list: %s", error.c_str ()),
        ("%s is complete but not listed; earlier files and the list are intact",
         f->location.c_str ()));
    settings_free (s);
    return;
  }
  GST_INFO_OBJECT (
      self, "closed %s (%" GST_TIME_FORMAT ", %" G_GUINT64_FORMAT " bytes, %s)",
      f->location.c_str (), GST_TIME_ARGS (duration), bytes,
      prune::to_string (f->reason));
  prune::SegmentClosed closed;
  closed.location = f->location;
  closed.index = f->index;
  closed.running_time = f->start_rt;
  closed.duration = duration;
  closed.bytes = bytes;
  closed.reason = f->reason;
  post (self, closed);
  prune::PlaylistUpdated up;
  up.location =
      s.playlist_location.empty () ? s.index_location : s.playlist_location;
  up.entries = static_cast<guint> (p.playlist->entries ().size ());
  up.duration = p.playlist->total_duration ();
  if (!up.location.empty ())
    post (self, up);
  apply_retention (self, s);
  settings_free (s);
}

static void maybe_post_eos (GstSegmentSink *self);

static GstPadProbeReturn
file_eos_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void)pad;
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (ev) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  auto *ctx = static_cast<std::pair<GstSegmentSink *, File *> *> (data);
  GstSegmentSink *self = ctx->first;
  Private &p = *self->priv;
  std::lock_guard<std::mutex> lk (p.lock);
  for (const FilePtr &f : p.files)
    if (f.get () == ctx->second)
      f->written = true;
  /* muxers finish in any order; files are listed in order */
  while (!p.files.empty () && p.files.front ()->written) {
    FilePtr f = p.files.front ();
    p.files.pop_front ();
    queue_job (p, [self, f] { finish_file (self, f); });
  }
  maybe_post_eos (self);
  /* the internal sink's EOS is not the bin's: drop the event here */
  return GST_PAD_PROBE_DROP;
}

/* A media type of a stream kind: video (MJPEG's image/jpeg too) or audio. */
static bool
of_kind (const GstStructure *st, bool video)
{
  const char *n = gst_structure_get_name (st);
  return video
             ? g_str_has_prefix (n, "video/") || g_str_has_prefix (n, "image/")
             : g_str_has_prefix (n, "audio/");
}

/* How well a muxer's request sink template @name with @tcaps suits a stream
 * of this kind before its caps are known: 2 when the name says the kind
 * (video_%u, audio_%u), 1 when its caps are ANY or hold a media type of the
 * kind (one sink_%d for all, as mpegtsmux), 0 not at all. */
static int
kind_rank (const char *name, GstCaps *tcaps, bool video)
{
  if (g_str_has_prefix (name, video ? "video" : "audio"))
    return 2;
  if (gst_caps_is_any (tcaps))
    return 1;
  for (guint i = 0; i < gst_caps_get_size (tcaps); i++)
    if (of_kind (gst_caps_get_structure (tcaps, i), video))
      return 1;
  return 0;
}

/* A new sink pad of @muxer from the first request template that accepts
 * @caps. (gst_element_get_compatible_pad() requests new pads by the caps of
 * the pad to be linked, ANY for an unlinked proxy: the first template.) */
static GstPad *
request_muxer_pad (GstElement *muxer, GstCaps *caps, bool video)
{
  const GList *templates =
      gst_element_class_get_pad_template_list (GST_ELEMENT_GET_CLASS (muxer));
  auto requestable = [] (GstPadTemplate *t) {
    return GST_PAD_TEMPLATE_DIRECTION (t) == GST_PAD_SINK &&
           GST_PAD_TEMPLATE_PRESENCE (t) == GST_PAD_REQUEST;
  };
  if (caps != nullptr) {
    for (const GList *l = templates; l != nullptr; l = l->next) {
      auto *templ = static_cast<GstPadTemplate *> (l->data);
      if (!requestable (templ))
        continue;
      GstCaps *tc = gst_pad_template_get_caps (templ);
      const bool fits = gst_caps_can_intersect (tc, caps);
      gst_caps_unref (tc);
      if (fits)
        return gst_element_request_pad (muxer, templ, nullptr, caps);
    }
    return nullptr;
  }
  /* no caps yet (an encoder still starting): the stream's kind decides */
  GstPadTemplate *best = nullptr;
  int best_rank = 0;
  for (const GList *l = templates; l != nullptr; l = l->next) {
    auto *templ = static_cast<GstPadTemplate *> (l->data);
    if (!requestable (templ))
      continue;
    GstCaps *tc = gst_pad_template_get_caps (templ);
    const int rank =
        kind_rank (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), tc, video);
    gst_caps_unref (tc);
    if (rank > best_rank) {
      best = templ;
      best_rank = rank;
    }
  }
  return best ? gst_element_request_pad (muxer, best, nullptr, nullptr)
              : nullptr;
}

/* Creates and starts the muxer and filesink of file @index for @streams
 * (streaming thread, without p.lock: it emits format-location and may post
 * errors). Returns nullptr after posting an error. */
static FilePtr
open_file (GstSegmentSink *self, guint index, GstClockTime start_rt,
           const std::vector<Stream *> &streams)
{
  Settings s = settings_copy (self);
  auto f = std::make_shared<File> ();
  f->index = index;
  f->location = location_for (self, s, f->index);
  f->start_rt = start_rt;
  f->start_wallclock = g_get_real_time ();
  auto check = prune::Playlist::check_location (f->location);
  if (!check) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
                       ("Bad segment file name: %s", check.error ().c_str ()),
                       (nullptr));
    settings_free (s);
    return nullptr;
  }
  f->muxer = gst_element_factory_make (s.muxer_factory.c_str (), nullptr);
  f->sink = gst_element_factory_make ("filesink", nullptr);
  if (f->muxer == nullptr || f->sink == nullptr) {
    GST_ELEMENT_ERROR (
        self, CORE, MISSING_PLUGIN,
        ("Muxer '%s' not available", s.muxer_factory.c_str ()),
        ("install the plugin that provides it or set muxer-factory"));
    if (f->muxer)
      gst_object_unref (f->muxer);
    if (f->sink)
      gst_object_unref (f->sink);
    settings_free (s);
    return nullptr;
  }
  if (s.muxer_properties != nullptr) {
    gst_structure_foreach (
        s.muxer_properties,
        [] (GQuark field, const GValue *value, gpointer m) -> gboolean {
          g_object_set_property (G_OBJECT (m), g_quark_to_string (field),
                                 value);
          return TRUE;
        },
        f->muxer);
  } else if (s.muxer_factory == "mp4mux" || s.muxer_factory == "qtmux") {
    /* first-moov-then-finalise: fragments while the file is open (readable
     * after a crash), and on EOS a full index with edit lists, which keep
     * the audio's offset from the video cut (dash-or-mss fragments start
     * every track at 0) */
    g_object_set (f->muxer, "fragment-duration", DEFAULT_MP4_FRAGMENT_MS,
                  nullptr);
    gst_util_set_object_arg (G_OBJECT (f->muxer), "fragment-mode",
                             "first-moov-then-finalise");
  }
  g_object_set (f->sink, "location", f->location.c_str (), "async", FALSE,
                "sync", FALSE, nullptr);
  settings_free (s);

  gst_bin_add_many (GST_BIN (self), f->muxer, f->sink, nullptr);
  if (!gst_element_link (f->muxer, f->sink)) {
    GST_ELEMENT_ERROR (
        self, CORE, NEGOTIATION,
        ("Could not link %s to filesink", GST_ELEMENT_NAME (f->muxer)),
        (nullptr));
    return nullptr;
  }
  GstPad *sinkpad = gst_element_get_static_pad (f->sink, "sink");
  auto *ctx = new std::pair<GstSegmentSink *, File *> (self, f.get ());
  gst_pad_add_probe (
      sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, file_eos_probe, ctx,
      [] (gpointer d) {
        delete static_cast<std::pair<GstSegmentSink *, File *> *> (d);
      });
  gst_object_unref (sinkpad);

  /* a muxer pad and a proxy src pad for every stream, up front */
  for (Stream *st : streams) {
    gchar *name =
        g_strdup_printf ("%s_%u", GST_PAD_NAME (st->sinkpad), f->index);
    GstPad *proxy = gst_pad_new (name, GST_PAD_SRC);
    g_free (name);
    gst_object_ref_sink (proxy);
    gst_pad_set_active (proxy, TRUE);
    f->proxies.push_back (proxy);
    /* the stream's caps are set from its own thread */
    GstCaps *caps;
    {
      std::lock_guard<std::mutex> lk (self->priv->lock);
      caps = st->caps ? gst_caps_ref (st->caps) : nullptr;
    }
    GstPad *mp = request_muxer_pad (f->muxer, caps, st->video);
    if (mp == nullptr)
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
                         ("%s does not accept the %s stream",
                          GST_ELEMENT_NAME (f->muxer),
                          GST_PAD_NAME (st->sinkpad)),
                         ("caps %" GST_PTR_FORMAT, caps));
    gst_clear_caps (&caps);
    if (mp == nullptr)
      return nullptr;
    f->mux_pads.push_back (mp);
    if (streams.size () == 1) {
      /* one stream waits for no other: no queue, no thread hand-over */
      gst_pad_link (proxy, mp);
      continue;
    }
    GstElement *q = gst_element_factory_make ("queue", nullptr);
    g_object_set (q, "max-size-buffers", 0, "max-size-bytes", 0,
                  "max-size-time", kQueueTime, "silent", TRUE, nullptr);
    gst_bin_add (GST_BIN (self), q);
    f->queues.push_back (q);
    GstPad *qsink = gst_element_get_static_pad (q, "sink");
    GstPad *qsrc = gst_element_get_static_pad (q, "src");
    gst_pad_link (qsrc, mp);
    gst_pad_link (proxy, qsink);
    gst_object_unref (qsink);
    gst_object_unref (qsrc);
  }
  f->eos_sent.assign (streams.size (), false);
  /* a file's elements run on their own, PLAYING from start to finish: they
   * must finish the file when the pipeline pauses or stops (a filesink
   * taken to PAUSED with the pipeline would block its muxer in preroll, and
   * stop() could never finish the file) */
  auto run = [] (GstElement *e) {
    gst_element_set_locked_state (e, TRUE);
    return gst_element_set_state (e, GST_STATE_PLAYING) !=
           GST_STATE_CHANGE_FAILURE;
  };
  bool ok = run (f->sink) && run (f->muxer);
  for (GstElement *q : f->queues)
    ok = ok && run (q);
  if (!ok) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
                       ("Could not open segment file %s", f->location.c_str ()),
                       (nullptr));
    return nullptr;
  }
  GST_INFO_OBJECT (self, "opened %s at %" GST_TIME_FORMAT, f->location.c_str (),
                   GST_TIME_ARGS (start_rt));
  return f;
}

/* Ends @st's part of @f (EOS on its muxer pad), once. The EOS may finish
 * the file and the worker tear it down while the push is under way: the
 * pad is held. */
static void
end_stream_in (Stream *st, File &f)
{
  if (f.eos_sent[st->id])
    return;
  f.eos_sent[st->id] = true;
  GstPad *pad = GST_PAD (gst_object_ref (f.proxies[st->id]));
  gst_pad_push_event (pad, gst_event_new_eos ());
  gst_object_unref (pad);
}

/* The stream's sticky events, to begin its part of a file. */
static std::vector<GstEvent *>
sticky_events (const Stream *st)
{
  std::vector<GstEvent *> evs;
  evs.push_back (st->stream_start
                     ? gst_event_ref (st->stream_start)
                     : gst_event_new_stream_start (GST_PAD_NAME (st->sinkpad)));
  if (st->caps)
    evs.push_back (gst_event_new_caps (st->caps));
  evs.push_back (gst_event_new_segment (&st->segment));
  return evs;
}

/* Begins @st's part of @f with the stream's sticky events. */
static void
start_stream_in (Stream *st, File &f)
{
  for (GstEvent *ev : sticky_events (st))
    gst_pad_push_event (f.proxies[st->id], ev);
}

/* The events that make @st's part of @f an empty one, for a stream that
 * ended (EOS) before @f opened: its sticky events and EOS, so that no
 * muxer waits for it. Taken by another stream's thread, p.lock held (the
 * part is marked ended here); push them with push_part(). */
static std::vector<GstEvent *>
empty_part (Stream *st, File &f)
{
  f.eos_sent[st->id] = true;
  std::vector<GstEvent *> evs = sticky_events (st);
  evs.push_back (gst_event_new_eos ());
  return evs;
}

/* Points @st at @f (null: no file) for data at running time @rt (NONE: the
 * stream ends). Every open file this stream will not write to any more -
 * its current one, ones it skipped, ones that ended before @rt - gets its
 * EOS, so that no muxer waits for a stream that went on. Called from
 * @st's streaming thread without p.lock. */
static void
switch_stream (GstSegmentSink *self, Stream *st, const FilePtr &f,
               GstClockTime rt)
{
  Private &p = *self->priv;
  std::vector<FilePtr> done;
  {
    std::lock_guard<std::mutex> lk (p.lock);
    for (const FilePtr &x : p.files) {
      if (x == f)
        break;
      const bool ended =
          !GST_CLOCK_TIME_IS_VALID (rt) ||
          (GST_CLOCK_TIME_IS_VALID (x->end_rt) && x->end_rt <= rt);
      if (f || ended)
        done.push_back (x);
    }
  }
  if (st->file && st->file != f)
    end_stream_in (st, *st->file);
  for (const FilePtr &x : done) {
    if (x->eos_sent[st->id] || x == st->file)
      continue;
    /* never written by this stream: an empty, well-formed part */
    start_stream_in (st, *x);
    end_stream_in (st, *x);
  }
  if (st->file == f)
    return;
  st->file = f;
  if (!f)
    return;
  start_stream_in (st, *f);
}

/* ---------------------------------------------------------------------- */
/* Streaming                                                               */

static Stream *
stream_of (GstPad *pad)
{
  return static_cast<Stream *> (gst_pad_get_element_private (pad));
}

/* The stream that decides where files start: the video, or without video
 * the first audio stream (then every buffer may start a file). Called
 * with p.lock held. */
static bool
is_primary (const Private &p, const Stream *st)
{
  return st->video || (p.video == nullptr && !p.streams.empty () &&
                       p.streams.front () == st);
}

static GstClockTime
running_time_of (const Stream *st, GstBuffer *buf)
{
  GstClockTime ts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf)
                                                  : GST_BUFFER_DTS (buf);
  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (&st->segment, GST_FORMAT_TIME, ts);
}

/* Asks upstream for a keyframe: at once (@at NONE), or at the frame of
 * running time @at (an encoder keeps the request until then, so a cut by
 * max-size-time lands on time instead of one encoder latency later). */
static void
request_keyframe (GstSegmentSink *self, GstPad *video_sinkpad,
                  GstClockTime at = GST_CLOCK_TIME_NONE)
{
  GST_DEBUG_OBJECT (self, "asking upstream for a keyframe at %" GST_TIME_FORMAT,
                    GST_TIME_ARGS (at));
  gst_pad_push_event (
      video_sinkpad, gst_video_event_new_upstream_force_key_unit (at, TRUE, 0));
}

/* Drops held pre-roll GOPs older than @keep_from and beyond @max_bytes,
 * keeping the ring starting on a keyframe (p.lock held). */
static void
trim_preroll (GstSegmentSink *self, GstClockTime keep_from, guint64 max_bytes)
{
  Private &p = *self->priv;
  auto second_key = [&p] () -> std::size_t {
    for (std::size_t i = 1; i < p.preroll.size (); i++)
      if (!GST_BUFFER_FLAG_IS_SET (p.preroll[i].buf,
                                   GST_BUFFER_FLAG_DELTA_UNIT))
        return i;
    return 0;
  };
  for (;;) {
    const std::size_t k = second_key ();
    if (k == 0)
      return;
    const bool old = p.preroll[k].rt <= keep_from;
    const bool big = p.preroll_bytes > max_bytes;
    if (!old && !big)
      return;
    if (big && !old)
      GST_DEBUG_OBJECT (self,
                        "pre-roll over max-preroll-bytes, oldest GOP dropped");
    for (std::size_t i = 0; i < k; i++) {
      p.preroll_bytes -= gst_buffer_get_size (p.preroll.front ().buf);
      gst_buffer_unref (p.preroll.front ().buf);
      p.preroll.pop_front ();
    }
  }
}

static void
clear_preroll (Private &p)
{
  for (Held &h : p.preroll)
    gst_buffer_unref (h.buf);
  p.preroll.clear ();
  p.preroll_bytes = 0;
  p.replay_from = GST_CLOCK_TIME_NONE;
}

/* Files cut but not yet listed (muxer still writing, or waiting for the
 * worker's fsync) before the primary stream waits for them: backpressure,
 * so that a source faster than the disk does not pile up open files. */
static const std::size_t kMaxBacklog = 4;
/* ...unless none of them finished for this long (a stream that stopped
 * without EOS keeps its muxer waiting): then the stream goes on. */
static const auto kBacklogPatience = std::chrono::seconds (10);

static std::size_t
backlog (const Private &p)
{
  std::size_t n = p.jobs.size () + (p.job_running ? 1 : 0);
  for (const FilePtr &f : p.files)
    if (f != p.current)
      n++;
  return n;
}

/* Called by the primary stream after it started a new file. */
static void
wait_for_backlog (GstSegmentSink *self)
{
  Private &p = *self->priv;
  std::unique_lock<std::mutex> lk (p.lock);
  std::size_t before = backlog (p);
  while (!p.flushing && before > kMaxBacklog) {
    GST_DEBUG_OBJECT (self, "%zu files still being finished: waiting", before);
    if (!p.cond.wait_for (lk, kBacklogPatience, [&p, before] {
          return p.flushing || backlog (p) < before;
        })) {
      GST_WARNING_OBJECT (
          self, "no file finished in %lld s, %zu waiting: going on",
          static_cast<long long> (kBacklogPatience.count ()), before);
      return;
    }
    before = backlog (p);
  }
}

/* The pre-roll ring holds this much more than pre-roll until the segment
 * starts show how far back they reach. */
static const GstClockTime kLookback = 2 * GST_SECOND;
/* Beats announced before the video reaches them: 30 s at 300 BPM (the
 * audio may lead by its whole queue, pre-roll and gate lookahead). */
static const std::size_t kMaxBeatsAhead = 150;

/* Stretch ends announced before the video reaches them. */
static const std::size_t kMaxEndsAhead = 16;

/* At most this many buffers are held at a file start for their DTS. */
static const std::size_t kMaxHeld = 32;

static void
drop_held (Stream *st)
{
  for (GstBuffer *b : st->held)
    gst_buffer_unref (b);
  st->held.clear ();
  st->held_file = nullptr;
}

static void
clear_ring (Stream *st)
{
  for (Held &h : st->ring)
    gst_buffer_unref (h.buf);
  st->ring.clear ();
  st->ring_bytes = 0;
}

/* The time between two frames of @st's video, for new DTS. */
static GstClockTime
frame_step (const Stream *st, const std::vector<GstBuffer *> &held,
            GstClockTime next)
{
  const GstClockTime first = GST_BUFFER_DTS (held.front ());
  GstClockTime step = GST_CLOCK_TIME_NONE;
  for (GstBuffer *b : held)
    if (GST_BUFFER_DURATION_IS_VALID (b) && GST_BUFFER_DURATION (b) > 0)
      step = std::min (step, GST_BUFFER_DURATION (b));
  gint n = 0, d = 0;
  if (!GST_CLOCK_TIME_IS_VALID (step) && st->caps != nullptr &&
      gst_structure_get_fraction (gst_caps_get_structure (st->caps, 0),
                                  "framerate", &n, &d) &&
      n > 0 && d > 0)
    step = gst_util_uint64_scale_int (GST_SECOND, d, n);
  if (!GST_CLOCK_TIME_IS_VALID (step) && next > first)
    step = (next - first) / (held.size () + 1);
  return GST_CLOCK_TIME_IS_VALID (step) && step > 0 ? step : GST_MSECOND;
}

/* Writes the buffers held at a file start. With @next_dts (the first DTS
 * at or after the file's first PTS) they get the DTS they would have had
 * without a gap before the file: one frame apart, ending before @next_dts,
 * never after their own PTS. An encoder that reorders frames (x264enc with
 * B-frames) gives the first frames after a gap (the gate dropped frames)
 * DTS from before it: in the file the first frame would last the gap, and
 * the concat of the list would go back in time. For frames without a gap
 * the DTS come out unchanged. */
static GstFlowReturn
release_held (GstSegmentSink *self, Stream *st, GstClockTime next_dts)
{
  if (st->held.empty ())
    return GST_FLOW_OK;
  std::vector<GstBuffer *> held;
  held.swap (st->held);
  FilePtr f = std::move (st->held_file);
  st->held_file = nullptr;
  if (GST_CLOCK_TIME_IS_VALID (next_dts)) {
    const GstClockTime step = frame_step (st, held, next_dts);
    GstClockTime d = next_dts;
    for (std::size_t j = held.size (); j-- > 0;) {
      GstBuffer *&b = held[j];
      d = d > step ? d - step : 0;
      if (GST_BUFFER_PTS_IS_VALID (b) && d > GST_BUFFER_PTS (b))
        d = GST_BUFFER_PTS (b);
      if (GST_BUFFER_DTS (b) != d) {
        GST_LOG_OBJECT (self, "DTS %" GST_TIME_FORMAT " -> %" GST_TIME_FORMAT,
                        GST_TIME_ARGS (GST_BUFFER_DTS (b)), GST_TIME_ARGS (d));
        b = gst_buffer_make_writable (b);
        GST_BUFFER_DTS (b) = d;
      }
    }
  }
  GstFlowReturn ret = GST_FLOW_OK;
  for (GstBuffer *b : held) {
    if (ret != GST_FLOW_OK && ret != GST_FLOW_EOS) {
      gst_buffer_unref (b);
      continue;
    }
    ret = gst_pad_push (f->proxies[st->id], b);
  }
  return ret == GST_FLOW_EOS ? GST_FLOW_OK : ret;
}

/* A prune structure's fields, or nothing (with a warning that says what
 * is wrong). */
template<typename T>
static std::optional<T>
parse_or_warn (GstSegmentSink *self, const GstStructure *s)
{
  auto v = T::from_structure (s);
  if (!v) {
    GST_WARNING_OBJECT (self, "%s", v.error ().c_str ());
    return std::nullopt;
  }
  return *v;
}

/* Counts a beat of the current file (if one is being written) and
 * schedules the cut at the N-th (p.lock held). */
static void
count_beat (Private &p, guint split_on_beats)
{
  if (p.recording && p.current && ++p.beats >= split_on_beats &&
      !p.split_pending) {
    p.beats = 0;
    p.split_pending = true;
    p.split_reason = prune::SplitReason::Beats;
  }
}

/* The primary stream reached @upto (+ @half: the frame nearest to a beat
 * is its): counts the beats passed that lie in the current file, and
 * schedules the cut at the N-th (p.lock held). */
static void
pass_beats (Private &p, GstClockTime upto, GstClockTime half,
            guint split_on_beats)
{
  while (!p.beats_ahead.empty () && p.beats_ahead.front () <= upto + half) {
    const GstClockTime beat = p.beats_ahead.front ();
    p.beats_ahead.pop_front ();
    /* a beat before the file's first frame is not one of its beats */
    if (split_on_beats > 0 && p.current && beat + half >= p.current->start_rt)
      count_beat (p, split_on_beats);
  }
}

/* The primary stream has decided up to @end without a buffer (a GAP, or
 * the gate's prune-gap): the other streams may go on to there, and the
 * beats up to it are passed (p.lock held). */
static void
video_decided (Private &p, GstClockTime end, guint split_on_beats)
{
  if (!GST_CLOCK_TIME_IS_VALID (p.video_pos) || end > p.video_pos)
    p.video_pos = end;
  pass_beats (p, end, 0, split_on_beats);
  p.cond.notify_all ();
}

/* How many of the beats announced lie at or after @from (within half a
 * frame: the frame nearest to a beat is its; p.lock held). */
static std::size_t
beats_from (const Private &p, GstClockTime from)
{
  std::size_t n = 0;
  for (auto it = p.beats_ahead.rbegin ();
       it != p.beats_ahead.rend () && *it + p.half_frame >= from; ++it)
    n++;
  return n;
}

/* The running time of the beat that will cut the first file of the
 * stretch announced to start at p.next_start, when it is already
 * announced; NONE otherwise (p.lock held). */
static GstClockTime
cut_beat_of_next (const Private &p, guint split_on_beats)
{
  if (split_on_beats == 0 || !GST_CLOCK_TIME_IS_VALID (p.next_start))
    return GST_CLOCK_TIME_NONE;
  const std::size_t n = beats_from (p, p.next_start);
  return n >= split_on_beats
             ? p.beats_ahead[p.beats_ahead.size () - n + split_on_beats - 1]
             : GST_CLOCK_TIME_NONE;
}

/* Whether a video buffer has reached the sink since it started, that is,
 * whether the encoder upstream has made its first frame (p.lock held).
 * Not before: GstVideoEncoder (1.22) gives its first frame the running
 * time of x264enc's offset PTS (about 1000 h), so every timed keyframe
 * request pending then is spent on that frame (a stretch's first cut
 * asked for before it came 1-2 frames late). The cuts known by then are
 * asked for when the first file opens. */
static bool
encoder_started (const Private &p)
{
  return GST_CLOCK_TIME_IS_VALID (p.video_end);
}

/* Whether to ask the encoder for a keyframe for the beat @rt (not yet
 * asked for one; p.lock held), and from when: an encoder makes the first
 * frame from that running time on a keyframe, so half a frame before
 * the beat gives the frame nearest to it. */
static bool
take_beat_keyframe (Private &p, GstClockTime rt, GstClockTime *from)
{
  if (!GST_CLOCK_TIME_IS_VALID (rt) ||
      (GST_CLOCK_TIME_IS_VALID (p.beat_keyframe) && rt <= p.beat_keyframe))
    return false;
  p.beat_keyframe = rt;
  *from = rt > p.half_frame ? rt - p.half_frame : 0;
  return true;
}

/* A beat announced (any stream's thread, or out of band): queued until
 * the video reaches it. A beat without a running time counts at once.
 * When it will be the file's cut, the encoder is asked for a keyframe
 * at the frame nearest to it (take_beat_keyframe()). */
static void
handle_beat (GstSegmentSink *self, GstClockTime rt, guint split_on_beats)
{
  Private &p = *self->priv;
  GstPad *ask = nullptr;
  GstClockTime from = GST_CLOCK_TIME_NONE;
  {
    std::lock_guard<std::mutex> lk (p.lock);
    if (!GST_CLOCK_TIME_IS_VALID (rt)) {
      count_beat (p, split_on_beats);
      return;
    }
    if (GST_CLOCK_TIME_IS_VALID (p.last_beat) && rt <= p.last_beat)
      return; /* not after the last: the same beat again */
    p.last_beat = rt;
    if (p.beats_ahead.size () >= kMaxBeatsAhead) {
      /* no video for a long while (a closed gate without GAP events):
       * the oldest beats are the stale ones */
      GST_DEBUG_OBJECT (
          self,
          "%zu beats wait for the video: the one at %" GST_TIME_FORMAT
          " dropped",
          p.beats_ahead.size (), GST_TIME_ARGS (p.beats_ahead.front ()));
      p.beats_ahead.pop_front ();
    }
    p.beats_ahead.push_back (rt);
    /* the cut it will be if the file goes on until then; when the gate's
     * next stretch was announced, counted from its start */
    bool cut;
    if (GST_CLOCK_TIME_IS_VALID (p.next_start)) {
      const std::size_t nth = beats_from (p, p.next_start);
      cut = encoder_started (p) && nth > 0 && nth % split_on_beats == 0;
    } else {
      const guint64 nth = p.beats + p.beats_ahead.size ();
      cut = p.recording && p.current && nth % split_on_beats == 0;
    }
    if (cut && p.video != nullptr &&
        (!GST_CLOCK_TIME_IS_VALID (p.video_pos) || rt > p.video_pos) &&
        take_beat_keyframe (p, rt, &from))
      ask = GST_PAD (gst_object_ref (p.video->sinkpad));
  }
  if (ask != nullptr) {
    request_keyframe (self, ask, from);
    gst_object_unref (ask);
  }
}

/* A prune-beat event's structure, in stream order or out of band. */
static void
handle_beat_event (GstSegmentSink *self, const GstStructure *s,
                   guint split_on_beats)
{
  if (auto beat = parse_or_warn<prune::Beat> (self, s))
    handle_beat (self, beat->running_time, split_on_beats);
}

/* A gate's prune-segment-start sent ahead of its frames (drop mode: the
 * file will start at its running time): the beats of that file count
 * from there, and the encoder is asked for the first cut's keyframe as
 * soon as its beat is known (here or in handle_beat()) and the encoder
 * has started (encoder_started(); before, the file's opening asks). The
 * start in stream order still opens the file. */
static void
announce_start (GstSegmentSink *self, const GstStructure *s,
                guint split_on_beats)
{
  auto start = parse_or_warn<prune::SegmentStart> (self, s);
  if (!start)
    return;
  Private &p = *self->priv;
  GstPad *ask = nullptr;
  GstClockTime from = GST_CLOCK_TIME_NONE;
  {
    std::lock_guard<std::mutex> lk (p.lock);
    /* not one whose file is open already */
    if (p.current && p.current->start_rt + p.half_frame >= start->running_time)
      return;
    p.next_start = start->running_time;
    if (p.video != nullptr && encoder_started (p) &&
        take_beat_keyframe (p, cut_beat_of_next (p, split_on_beats), &from))
      ask = GST_PAD (gst_object_ref (p.video->sinkpad));
  }
  GST_DEBUG_OBJECT (self, "a stretch from %" GST_TIME_FORMAT " announced%s",
                    GST_TIME_ARGS (start->running_time),
                    ask != nullptr ? ": its first cut's keyframe asked" : "");
  if (ask != nullptr) {
    request_keyframe (self, ask, from);
    gst_object_unref (ask);
  }
}

/* A frame the gate dropped, announced out of band (prune-gap; its GAP
 * event stays in an encoder until the next frame): with no stretch open,
 * nothing up to its end will be kept, and the other streams need not
 * wait for the video there. While a file is open the sink may still be
 * behind the gate's prune-segment-end (announce_end() closes it), and the
 * time is left to the stream. */
static void
skip_gap (GstSegmentSink *self, const GstStructure *s, guint split_on_beats)
{
  auto gap = parse_or_warn<prune::Gap> (self, s);
  if (!gap)
    return;
  Private &p = *self->priv;
  std::lock_guard<std::mutex> lk (p.lock);
  if (!p.recording && !p.current)
    video_decided (p,
                   gap->running_time + (GST_CLOCK_TIME_IS_VALID (gap->duration)
                                            ? gap->duration
                                            : 0),
                   split_on_beats);
}

/* The open stretch of the gate ends at @end_rt (video streaming thread, or
 * its stream lock held): the file is finished once every stream left it,
 * and nothing is recorded until the next stretch starts. None open (the
 * end in stream order after its announcement closed it): nothing to do. */
static void
close_stretch (GstSegmentSink *self, Stream *st, GstClockTime end_rt)
{
  Private &p = *self->priv;
  {
    std::lock_guard<std::mutex> lk (p.lock);
    if (!p.recording)
      return;
    p.recording = false;
    while (!p.ends_ahead.empty () && p.ends_ahead.front () <= end_rt)
      p.ends_ahead.pop_front ();
    if (p.current) {
      p.current->end_rt = std::max (end_rt, p.current->start_rt);
      p.current->reason = prune::SplitReason::Gate;
      p.current = nullptr;
    }
    p.cond.notify_all ();
  }
  release_held (self, st, GST_CLOCK_TIME_NONE);
  switch_stream (self, st, nullptr, end_rt);
}

/* The announced end of the open stretch, once the video has reached it
 * (@upto, within half a frame); NONE otherwise (p.lock held). */
static GstClockTime
end_reached (Private &p, GstClockTime upto)
{
  /* ends of stretches before the open one (closed in stream order) */
  while (!p.ends_ahead.empty () && GST_CLOCK_TIME_IS_VALID (p.stretch_start) &&
         p.ends_ahead.front () <= p.stretch_start)
    p.ends_ahead.pop_front ();
  if (!p.recording || p.flushing || p.ends_ahead.empty () ||
      !GST_CLOCK_TIME_IS_VALID (upto) ||
      upto + p.half_frame < p.ends_ahead.front ())
    return GST_CLOCK_TIME_NONE;
  return p.ends_ahead.front ();
}

/* Closes the open stretch at its announced end @end (NONE: not reached;
 * the video's streaming thread, or its stream lock held). */
static void
close_at_announced_end (GstSegmentSink *self, Stream *st, GstClockTime end)
{
  if (!GST_CLOCK_TIME_IS_VALID (end))
    return;
  GST_DEBUG_OBJECT (self,
                    "the stretch ends at %" GST_TIME_FORMAT
                    " (announced): closed before its end event comes",
                    GST_TIME_ARGS (end));
  close_stretch (self, st, end);
}

/* A gate's prune-segment-end sent out of band, on the video pad (it
 * passes an encoder that keeps the one in stream order): the open stretch
 * closes once the video reaches its end, now if it has. */
static void
announce_end (GstSegmentSink *self, Stream *st, const GstStructure *s)
{
  auto end = parse_or_warn<prune::SegmentEnd> (self, s);
  if (!end)
    return;
  Private &p = *self->priv;
  {
    std::lock_guard<std::mutex> lk (p.lock);
    if (p.ends_ahead.size () >= kMaxEndsAhead)
      p.ends_ahead.pop_front ();
    p.ends_ahead.push_back (end->running_time);
    if (!GST_CLOCK_TIME_IS_VALID (end_reached (p, p.settled_end)))
      return; /* the video's thread closes it when it gets there */
  }
  /* the last frame is in: the video's thread may have nothing more to
   * do for as long as the gate stays closed */
  GST_PAD_STREAM_LOCK (st->sinkpad);
  GstClockTime reached;
  {
    std::lock_guard<std::mutex> lk (p.lock);
    reached = end_reached (p, p.settled_end);
  }
  close_at_announced_end (self, st, reached);
  GST_PAD_STREAM_UNLOCK (st->sinkpad);
}

/* One buffer of the primary stream: decides splits. @reached_end (if
 * given): the open stretch's announced end when this buffer, written,
 * reaches it (unless frames are reordered: one that ends earlier may
 * follow), else NONE; the caller closes the stretch there. */
static GstFlowReturn
handle_primary (GstSegmentSink *self, Stream *st, GstBuffer *buf,
                GstClockTime *reached_end = nullptr)
{
  Private &p = *self->priv;
  guint64 max_time, max_bytes, pre_roll, max_preroll;
  guint split_on_beats;
  {
    prune::ObjectLocker lock (self);
    max_time = p.settings.max_size_time;
    max_bytes = p.settings.max_size_bytes;
    pre_roll = p.settings.pre_roll;
    max_preroll = p.settings.max_preroll_bytes;
    split_on_beats = p.settings.split_on_beats;
  }
  const GstClockTime rt = running_time_of (st, buf);
  const bool key =
      !st->video || !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  const gsize size = gst_buffer_get_size (buf);
  bool ask_keyframe = false, warn = false;
  std::vector<GstClockTime> beat_keyframes;
  std::vector<std::pair<GstPad *, GstEvent *>> ended_parts;
  FilePtr opened, target;

  std::unique_lock<std::mutex> lk (p.lock);
  if (p.flushing) {
    gst_buffer_unref (buf);
    return GST_FLOW_FLUSHING;
  }
  /* tells the other streams how far this one has decided; only once the
   * file this buffer goes to (if any) is in p.files, or they would miss it */
  auto publish = [&p, st, buf, rt] () {
    GstClockTime decided = rt;
    if (GST_BUFFER_DTS_IS_VALID (buf)) {
      guint64 d;
      const int sign = gst_segment_to_running_time_full (
          &st->segment, GST_FORMAT_TIME, GST_BUFFER_DTS (buf), &d);
      decided = sign > 0 ? d : 0;
    }
    if (!GST_CLOCK_TIME_IS_VALID (p.video_pos) || decided > p.video_pos)
      p.video_pos = decided;
    const GstClockTime end =
        rt +
        (GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf) : 0);
    if (!GST_CLOCK_TIME_IS_VALID (p.video_end) || end > p.video_end)
      p.video_end = end;
    const bool in_order = !GST_BUFFER_DTS_IS_VALID (buf) ||
                          GST_BUFFER_DTS (buf) == GST_BUFFER_PTS (buf);
    p.settled_end = in_order ? p.video_end : GST_CLOCK_TIME_NONE;
    p.cond.notify_all ();
  };
  if (!GST_CLOCK_TIME_IS_VALID (rt)) {
    lk.unlock ();
    GST_WARNING_OBJECT (self, "buffer without timestamp dropped");
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    p.half_frame = GST_BUFFER_DURATION (buf) / 2;
  /* a frame after the open stretch's announced end: the stretch closed
   * before it (as its end event in stream order would have said) */
  if (const GstClockTime end = end_reached (p, rt);
      GST_CLOCK_TIME_IS_VALID (end)) {
    lk.unlock ();
    close_stretch (self, st, end);
    lk.lock ();
  }
  pass_beats (p, rt, p.half_frame, split_on_beats);
  if (!p.recording) {
    publish ();
    if (pre_roll > 0 && st->video) {
      if (!key && p.preroll.empty ()) {
        gst_buffer_unref (buf);
      } else {
        p.preroll.push_back ({buf, rt});
        p.preroll_bytes += size;
        const GstClockTime back = pre_roll + p.lookback;
        trim_preroll (self, rt > back ? rt - back : 0, max_preroll);
      }
    } else {
      gst_buffer_unref (buf);
    }
    return GST_FLOW_OK;
  }

  FilePtr cur = p.current;
  if (cur && !p.split_pending) {
    if (max_time > 0 && rt >= cur->start_rt + max_time) {
      p.split_pending = true;
      p.split_reason = prune::SplitReason::MaxSizeTime;
    } else if (max_bytes > 0 && cur->bytes + size > max_bytes) {
      p.split_pending = true;
      p.split_reason = prune::SplitReason::MaxSizeBytes;
    }
  }
  if (!cur || (p.split_pending && key)) {
    if (!key) {
      publish ();
      warn = !p.warned_no_keyframe;
      p.warned_no_keyframe = true;
      ask_keyframe = !p.fku_requested && st->video;
      p.fku_requested = true;
      lk.unlock ();
      if (warn)
        GST_ELEMENT_WARNING (self, STREAM, DECODE,
                             ("Data before the first keyframe dropped"),
                             ("a segment file must start on a keyframe; asked "
                              "upstream for one"));
      if (ask_keyframe)
        request_keyframe (self, st->sinkpad);
      gst_buffer_unref (buf);
      return GST_FLOW_OK;
    }
    /* split-on-beats counts the beats of each file: a file that a beat
     * did not start (the first, a gate's, a time or size cut) counts from
     * 0; after a beat cut the beats since it already count */
    if (!cur || p.split_reason != prune::SplitReason::Beats)
      p.beats = 0;
    if (cur) {
      cur->end_rt = rt;
      cur->reason = p.split_reason;
      p.current = nullptr;
    }
    /* other streams wait at rt: video_pos is published below */
    const guint index = p.next_index++;
    const std::vector<Stream *> streams = p.streams;
    lk.unlock ();
    opened = open_file (self, index, rt, streams);
    lk.lock ();
    if (!opened) {
      gst_buffer_unref (buf);
      return GST_FLOW_ERROR;
    }
    p.files.push_back (opened);
    p.current = opened;
    /* streams that ended before it: empty parts, ended at once (their
     * threads are done; a muxer would wait for them) */
    for (Stream *o : streams)
      if (o != st && o->eos) {
        GstPad *proxy = opened->proxies[o->id];
        for (GstEvent *ev : empty_part (o, *opened))
          ended_parts.emplace_back (GST_PAD (gst_object_ref (proxy)), ev);
      }
    p.replay_from = GST_CLOCK_TIME_NONE;
    p.split_pending = false;
    p.fku_requested = false;
    /* the stretch announced ahead has its file */
    if (GST_CLOCK_TIME_IS_VALID (p.next_start) &&
        rt + p.half_frame >= p.next_start)
      p.next_start = GST_CLOCK_TIME_NONE;
    /* the beats that will cut this file and the next ones may be known
     * already (announced while no file was open, or ahead of the video;
     * none was asked for before the encoder's first frame:
     * encoder_started()): their keyframes */
    if (st->video && split_on_beats > 0 && p.beats < split_on_beats) {
      for (std::size_t k = split_on_beats - p.beats; k <= p.beats_ahead.size ();
           k += split_on_beats) {
        GstClockTime from;
        if (take_beat_keyframe (p, p.beats_ahead[k - 1], &from))
          beat_keyframes.push_back (from);
      }
    }
    p.cond.notify_all ();
  } else if (p.split_pending && !p.fku_requested && st->video) {
    p.fku_requested = true;
    ask_keyframe = true;
  }
  p.current->bytes += size;
  target = p.current;
  publish ();
  if (reached_end != nullptr)
    *reached_end = end_reached (p, p.settled_end);
  lk.unlock ();

  for (auto &[pad, ev] : ended_parts) {
    gst_pad_push_event (pad, ev);
    gst_object_unref (pad);
  }
  if (ask_keyframe)
    request_keyframe (self, st->sinkpad);
  if (opened && max_time > 0 && st->video)
    request_keyframe (self, st->sinkpad, opened->start_rt + max_time);
  for (GstClockTime at : beat_keyframes)
    request_keyframe (self, st->sinkpad, at);
  GstFlowReturn ret = GST_FLOW_OK;
  if (!st->held.empty () && (opened || target != st->held_file))
    ret = release_held (self, st, GST_CLOCK_TIME_NONE);
  if (st->file != target)
    switch_stream (self, st, target, rt);
  if (opened) {
    prune::SegmentOpened msg;
    msg.location = opened->location;
    msg.index = opened->index;
    msg.running_time = opened->start_rt;
    post (self, msg);
  }
  if (ret != GST_FLOW_OK) {
    gst_buffer_unref (buf);
    return ret;
  }
  if (opened)
    wait_for_backlog (self);
  const bool timed = st->video && GST_BUFFER_DTS_IS_VALID (buf) &&
                     GST_BUFFER_PTS_IS_VALID (buf);
  if (timed && opened && GST_BUFFER_DTS (buf) < GST_BUFFER_PTS (buf)) {
    st->held_pts = GST_BUFFER_PTS (buf);
    st->held_file = target;
    st->held.push_back (buf);
    return GST_FLOW_OK;
  }
  if (!st->held.empty ()) {
    if (timed && GST_BUFFER_DTS (buf) < st->held_pts &&
        st->held.size () < kMaxHeld) {
      st->held.push_back (buf);
      return GST_FLOW_OK;
    }
    ret = release_held (self, st,
                        timed && GST_BUFFER_DTS (buf) >= st->held_pts
                            ? GST_BUFFER_DTS (buf)
                            : GST_CLOCK_TIME_NONE);
    if (ret != GST_FLOW_OK) {
      gst_buffer_unref (buf);
      return ret;
    }
  }
  ret = gst_pad_push (target->proxies[st->id], buf);
  return ret == GST_FLOW_EOS ? GST_FLOW_OK : ret;
}

/* The open file that covers running time @rt (p.lock held). */
static FilePtr
file_for (const Private &p, GstClockTime rt)
{
  for (const FilePtr &f : p.files)
    if (f->start_rt <= rt &&
        (!GST_CLOCK_TIME_IS_VALID (f->end_rt) || rt < f->end_rt))
      return f;
  return nullptr;
}

/* One buffer of another stream (audio): goes to the file that covers its
 * start, once the primary stream has decided that far. */
static GstFlowReturn
handle_secondary (GstSegmentSink *self, Stream *st, GstBuffer *buf)
{
  Private &p = *self->priv;
  const GstClockTime rt = running_time_of (st, buf);
  std::unique_lock<std::mutex> lk (p.lock);
  if (!GST_CLOCK_TIME_IS_VALID (rt)) {
    lk.unlock ();
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  /* never run ahead of the primary stream's decisions; but a file the
   * primary stream cut before @rt gets nothing more from this stream: its
   * end goes in at once (the primary stream may be waiting for that file
   * to finish) */
  for (;;) {
    p.cond.wait (lk, [&p, st, rt] {
      return p.flushing || p.video_eos ||
             (GST_CLOCK_TIME_IS_VALID (p.video_pos) && rt <= p.video_pos) ||
             (st->file && !st->file->eos_sent[st->id] &&
              GST_CLOCK_TIME_IS_VALID (st->file->end_rt) &&
              st->file->end_rt <= rt);
    });
    if (p.flushing || p.video_eos ||
        (GST_CLOCK_TIME_IS_VALID (p.video_pos) && rt <= p.video_pos))
      break;
    FilePtr ended = st->file;
    lk.unlock ();
    end_stream_in (st, *ended);
    lk.lock ();
  }
  if (p.flushing) {
    gst_buffer_unref (buf);
    return GST_FLOW_FLUSHING;
  }
  FilePtr target = file_for (p, rt);
  const GstClockTime ring_start =
      p.preroll.empty () ? p.replay_from : p.preroll.front ().rt;
  lk.unlock ();

  if (target != st->file)
    switch_stream (self, st, target, rt);
  if (!target) {
    /* no file here: with a pre-roll, kept as far back as the video's ring
     * reaches (its oldest keyframe), or pre-roll without one */
    guint64 pre_roll, max_preroll;
    {
      prune::ObjectLocker lock (self);
      pre_roll = p.settings.pre_roll;
      max_preroll = p.settings.max_preroll_bytes;
    }
    GstClockTime keep_from = rt > pre_roll ? rt - pre_roll : 0;
    if (GST_CLOCK_TIME_IS_VALID (ring_start))
      keep_from = std::min (keep_from, ring_start);
    if (pre_roll == 0) {
      gst_buffer_unref (buf);
      return GST_FLOW_OK;
    }
    st->ring_bytes += gst_buffer_get_size (buf);
    st->ring.push_back ({buf, rt});
    while (!st->ring.empty () &&
           (st->ring.front ().rt < keep_from || st->ring_bytes > max_preroll)) {
      st->ring_bytes -= gst_buffer_get_size (st->ring.front ().buf);
      gst_buffer_unref (st->ring.front ().buf);
      st->ring.pop_front ();
    }
    return GST_FLOW_OK;
  }
  GstFlowReturn ret = GST_FLOW_OK;
  /* a file that started before this buffer (a pre-rolled one) gets the
   * held buffers it covers first */
  for (Held &h : st->ring) {
    if (ret == GST_FLOW_OK && h.rt >= target->start_rt) {
      ret = gst_pad_push (target->proxies[st->id], h.buf);
      ret = ret == GST_FLOW_EOS ? GST_FLOW_OK : ret;
    } else {
      gst_buffer_unref (h.buf);
    }
  }
  st->ring.clear ();
  st->ring_bytes = 0;
  if (ret != GST_FLOW_OK) {
    gst_buffer_unref (buf);
    return ret;
  }
  ret = gst_pad_push (target->proxies[st->id], buf);
  return ret == GST_FLOW_EOS ? GST_FLOW_OK : ret;
}

/* The change to PAUSED goes on asynchronously until the first data. The
 * messages go through GstBin's own handling, as a child's would: it keeps
 * the bin's state and tells the parent. */
static void
begin_preroll (GstSegmentSink *self)
{
  GST_DEBUG_OBJECT (self, "prerolling");
  self->priv->preroll_pending = true;
  GST_BIN_CLASS (gst_segment_sink_parent_class)
      ->handle_message (GST_BIN (self),
                        gst_message_new_async_start (GST_OBJECT (self)));
}

/* The first data came (a streaming thread): the change to PAUSED
 * completes. Posting the ASYNC_DONE completes the pipeline's change too
 * when the sink was the last to preroll, and the pipeline posts its
 * state-changed message in this thread. An application that sets
 * PLAYING as soon as it reads that message (gst-launch-1.0 does) races
 * GstBin 1.22, which records after posting that the pipeline is not
 * PLAYING: when the record comes last, the pipeline never forwards the
 * EOS of its sinks, and the application waits for ever (3 runs in 10 of
 * a decodebin pipeline into a non-prerolling segmentsink; splitmuxsink
 * 2 in 10). The change to PLAYING therefore waits in
 * gst_segment_sink_change_state() until this has returned. */
static void
commit_preroll (GstSegmentSink *self)
{
  Private &p = *self->priv;
  {
    std::lock_guard<std::mutex> lk (p.preroll_lock);
    if (!p.preroll_pending.exchange (false))
      return;
    p.preroll_committer = std::this_thread::get_id ();
  }
  GST_DEBUG_OBJECT (self, "prerolled");
  GST_BIN_CLASS (gst_segment_sink_parent_class)
      ->handle_message (
          GST_BIN (self),
          gst_message_new_async_done (GST_OBJECT (self), GST_CLOCK_TIME_NONE));
  std::lock_guard<std::mutex> lk (p.preroll_lock);
  p.preroll_committer = std::thread::id ();
  p.preroll_cond.notify_all ();
}

static GstFlowReturn
gst_segment_sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstSegmentSink *self = GST_SEGMENT_SINK (parent);
  Stream *st = stream_of (pad);
  GST_LOG_OBJECT (pad, "buffer %" GST_PTR_FORMAT, buf);
  if (G_UNLIKELY (self->priv->preroll_pending))
    commit_preroll (self);
  bool primary;
  {
    std::lock_guard<std::mutex> lk (self->priv->lock);
    primary = is_primary (*self->priv, st);
  }
  /* the frame that reaches the open stretch's announced end is its last */
  GstClockTime reached_end = GST_CLOCK_TIME_NONE;
  GstFlowReturn ret = primary ? handle_primary (self, st, buf, &reached_end)
                              : handle_secondary (self, st, buf);
  if (ret == GST_FLOW_OK)
    close_at_announced_end (self, st, reached_end);
  GST_LOG_OBJECT (pad, "-> %s", gst_flow_get_name (ret));
  return ret;
}

/* Replays the held pre-roll into the primary path once recording starts:
 * from the newest keyframe at or before @start. */
static void
replay_preroll (GstSegmentSink *self, Stream *st, GstClockTime start)
{
  Private &p = *self->priv;
  std::deque<Held> held;
  {
    std::lock_guard<std::mutex> lk (p.lock);
    std::size_t from = p.preroll.size ();
    for (std::size_t i = 0; i < p.preroll.size (); i++) {
      const bool key = !GST_BUFFER_FLAG_IS_SET (p.preroll[i].buf,
                                                GST_BUFFER_FLAG_DELTA_UNIT);
      if (key && (p.preroll[i].rt <= start || from == p.preroll.size ()))
        from = i;
    }
    for (std::size_t i = 0; i < p.preroll.size (); i++) {
      if (i >= from)
        held.push_back (p.preroll[i]);
      else
        gst_buffer_unref (p.preroll[i].buf);
    }
    if (!held.empty ())
      p.replay_from = held.front ().rt;
    p.preroll.clear ();
    p.preroll_bytes = 0;
  }
  for (Held &h : held)
    handle_primary (self, st, h.buf);
}

/* Every stream reached EOS and every file is listed: post EOS (p.lock
 * held). */
static void
maybe_post_eos (GstSegmentSink *self)
{
  Private &p = *self->priv;
  if (p.posted_eos || p.streams.empty () || !p.files.empty ())
    return;
  for (Stream *st : p.streams)
    if (!st->eos)
      return;
  p.posted_eos = true;
  queue_job (p, [self] {
    GST_INFO_OBJECT (self, "all files finished, posting EOS");
    gst_element_post_message (GST_ELEMENT (self),
                              gst_message_new_eos (GST_OBJECT (self)));
  });
}

static gboolean
gst_segment_sink_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstSegmentSink *self = GST_SEGMENT_SINK (parent);
  Private &p = *self->priv;
  Stream *st = stream_of (pad);
  GST_LOG_OBJECT (pad, "event %" GST_PTR_FORMAT, event);
  gboolean split_on_gate;
  guint split_on_beats;
  guint64 pre_roll;
  {
    prune::ObjectLocker lock (self);
    split_on_gate = p.settings.split_on_gate;
    split_on_beats = p.settings.split_on_beats;
    pre_roll = p.settings.pre_roll;
  }
  /* what prerolls a sink, and the gate's word that it dropped a frame */
  if (G_UNLIKELY (p.preroll_pending) &&
      (GST_EVENT_TYPE (event) == GST_EVENT_GAP ||
       GST_EVENT_TYPE (event) == GST_EVENT_EOS ||
       (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM_OOB &&
        prune::has_name<prune::Gap> (gst_event_get_structure (event)))))
    commit_preroll (self);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START: {
      std::lock_guard<std::mutex> lk (p.lock);
      gst_event_replace (&st->stream_start, event);
      break;
    }
    case GST_EVENT_CAPS: {
      GstCaps *caps;
      gst_event_parse_caps (event, &caps);
      bool changed;
      {
        std::lock_guard<std::mutex> lk (p.lock);
        changed = st->caps != nullptr && !gst_caps_is_equal (st->caps, caps);
        gst_caps_replace (&st->caps, caps);
        /* files with different formats do not concatenate: new file */
        if (changed && is_primary (p, st) && p.current) {
          p.split_pending = true;
          p.split_reason = prune::SplitReason::SplitNow;
        }
      }
      if (changed && st->file)
        gst_pad_push_event (st->file->proxies[st->id], gst_event_ref (event));
      break;
    }
    case GST_EVENT_SEGMENT: {
      {
        std::lock_guard<std::mutex> lk (p.lock);
        gst_event_copy_segment (event, &st->segment);
      }
      if (st->file)
        gst_pad_push_event (st->file->proxies[st->id], gst_event_ref (event));
      break;
    }
    case GST_EVENT_GAP: {
      GstClockTime ts, dur;
      gst_event_parse_gap (event, &ts, &dur);
      std::lock_guard<std::mutex> lk (p.lock);
      if (is_primary (p, st)) {
        GstClockTime rt =
            gst_segment_to_running_time (&st->segment, GST_FORMAT_TIME, ts);
        if (GST_CLOCK_TIME_IS_VALID (rt))
          video_decided (p, rt + (GST_CLOCK_TIME_IS_VALID (dur) ? dur : 0),
                         split_on_beats);
      }
      break;
    }
    case GST_EVENT_FLUSH_START: {
      std::lock_guard<std::mutex> lk (p.lock);
      p.flushing = true;
      p.cond.notify_all ();
      break;
    }
    case GST_EVENT_FLUSH_STOP: {
      FilePtr done;
      {
        std::lock_guard<std::mutex> lk (p.lock);
        p.flushing = false;
        st->eos = false;
        p.beats_ahead.clear ();
        p.last_beat = p.beat_keyframe = p.next_start = GST_CLOCK_TIME_NONE;
        p.ends_ahead.clear ();
        p.stretch_start = p.settled_end = GST_CLOCK_TIME_NONE;
        if (is_primary (p, st) && p.current) {
          p.current->end_rt = p.video_end;
          p.current->reason = prune::SplitReason::Stop;
          p.current = nullptr;
          p.video_eos = false;
        }
      }
      drop_held (st);
      clear_ring (st);
      switch_stream (self, st, nullptr, GST_CLOCK_TIME_NONE);
      break;
    }
    case GST_EVENT_EOS: {
      {
        std::lock_guard<std::mutex> lk (p.lock);
        st->eos = true;
        if (is_primary (p, st)) {
          p.video_eos = true;
          if (p.current) {
            if (!GST_CLOCK_TIME_IS_VALID (p.current->end_rt))
              p.current->end_rt = p.video_end;
            p.current->reason = prune::SplitReason::Eos;
            p.current = nullptr;
          }
          clear_preroll (p);
        }
        p.cond.notify_all ();
      }
      release_held (self, st, GST_CLOCK_TIME_NONE);
      clear_ring (st);
      switch_stream (self, st, nullptr, GST_CLOCK_TIME_NONE);
      {
        std::lock_guard<std::mutex> lk (p.lock);
        maybe_post_eos (self);
      }
      break;
    }
    case GST_EVENT_CUSTOM_DOWNSTREAM: {
      const GstStructure *s = gst_event_get_structure (event);
      if (split_on_gate && prune::has_name<prune::SegmentStart> (s)) {
        auto start = parse_or_warn<prune::SegmentStart> (self, s);
        if (!start)
          break;
        {
          std::lock_guard<std::mutex> lk (p.lock);
          if (st->video && GST_CLOCK_TIME_IS_VALID (p.video_end) &&
              GST_CLOCK_TIME_IS_VALID (start->running_time) &&
              p.video_end > start->running_time)
            p.lookback =
                std::max (p.lookback, p.video_end - start->running_time);
          p.recording = true;
          p.stretch_start = start->running_time;
          if (p.current) {
            p.split_pending = true;
            p.split_reason = prune::SplitReason::Gate;
          }
        }
        if (pre_roll > 0 && st->video) {
          const GstClockTime from = start->running_time > pre_roll
                                        ? start->running_time - pre_roll
                                        : 0;
          replay_preroll (self, st, from);
        }
      } else if (split_on_gate && prune::has_name<prune::SegmentEnd> (s)) {
        auto end = parse_or_warn<prune::SegmentEnd> (self, s);
        if (!end)
          break;
        close_stretch (self, st, end->running_time);
      } else if (split_on_beats > 0 && prune::has_name<prune::Beat> (s)) {
        handle_beat_event (self, s, split_on_beats);
      }
      break;
    }
    case GST_EVENT_CUSTOM_DOWNSTREAM_OOB: {
      /* sent ahead of the stream: a beat (gst-prune sends beatdetect's
       * so: the video has not reached it yet, and the encoder can still
       * be asked for a keyframe at its time), or the gate's word, which
       * passes an encoder that keeps the same in stream order until its
       * next frame */
      const GstStructure *s = gst_event_get_structure (event);
      if (split_on_beats > 0 && prune::has_name<prune::Beat> (s))
        handle_beat_event (self, s, split_on_beats);
      else if (split_on_beats > 0 && split_on_gate && pre_roll == 0 &&
               st->video && prune::has_name<prune::SegmentStart> (s))
        announce_start (self, s, split_on_beats);
      else if (split_on_gate && st->video && prune::has_name<prune::Gap> (s))
        skip_gap (self, s, split_on_beats);
      else if (split_on_gate && st->video &&
               prune::has_name<prune::SegmentEnd> (s))
        announce_end (self, st, s);
      break;
    }
    default:
      break;
  }
  /* nothing goes downstream of a sink: events end here */
  gst_event_unref (event);
  return TRUE;
}

/* What the muxer accepts for a stream of this kind: the caps of the muxer
 * factory's best-ranked request sink templates (kind_rank(), as
 * request_muxer_pad() picks them), of a shared template only the media
 * types of the kind. ANY when the factory is not found (the error comes
 * when a file opens). */
static GstCaps *
muxer_caps_for (const std::string &factory_name, bool video)
{
  GstElementFactory *factory = gst_element_factory_find (factory_name.c_str ());
  if (factory == nullptr)
    return gst_caps_new_any ();
  GstCaps *out = gst_caps_new_empty ();
  int best_rank = 0;
  for (const GList *l = gst_element_factory_get_static_pad_templates (factory);
       l != nullptr; l = l->next) {
    auto *t = static_cast<GstStaticPadTemplate *> (l->data);
    if (t->direction != GST_PAD_SINK || t->presence != GST_PAD_REQUEST)
      continue;
    GstCaps *c = gst_static_caps_get (&t->static_caps);
    const int rank = kind_rank (t->name_template, c, video);
    if (rank > best_rank) {
      gst_caps_unref (out);
      out = gst_caps_new_empty ();
      best_rank = rank;
    }
    if (rank > 0 && rank == best_rank) {
      if (rank == 2 || gst_caps_is_any (c)) {
        out = gst_caps_merge (out, gst_caps_ref (c));
      } else {
        for (guint k = 0; k < gst_caps_get_size (c); k++)
          if (of_kind (gst_caps_get_structure (c, k), video))
            out = gst_caps_merge_structure (
                out, gst_structure_copy (gst_caps_get_structure (c, k)));
      }
    }
    gst_caps_unref (c);
  }
  gst_object_unref (factory);
  if (gst_caps_is_empty (out)) {
    gst_caps_unref (out);
    return gst_caps_new_any ();
  }
  return out;
}

/* CAPS and ACCEPT_CAPS answer with the muxer's caps for the stream, so
 * upstream parsers pick a format it takes (h265parse: hvc1 for mp4mux). */
static gboolean
gst_segment_sink_sink_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  GstSegmentSink *self = GST_SEGMENT_SINK (parent);
  const bool caps_query = GST_QUERY_TYPE (query) == GST_QUERY_CAPS;
  const bool accept_query = GST_QUERY_TYPE (query) == GST_QUERY_ACCEPT_CAPS;
  if (!caps_query && !accept_query)
    return gst_pad_query_default (pad, parent, query);
  std::string factory;
  {
    prune::ObjectLocker lock (self);
    factory = self->priv->settings.muxer_factory;
  }
  GstCaps *accepted = muxer_caps_for (factory, stream_of (pad)->video);
  if (caps_query) {
    GstCaps *filter = nullptr;
    gst_query_parse_caps (query, &filter);
    if (filter != nullptr) {
      GstCaps *both =
          gst_caps_intersect_full (filter, accepted, GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref (accepted);
      accepted = both;
    }
    gst_query_set_caps_result (query, accepted);
  } else {
    GstCaps *caps = nullptr;
    gst_query_parse_accept_caps (query, &caps);
    gst_query_set_accept_caps_result (query,
                                      gst_caps_can_intersect (caps, accepted));
  }
  gst_caps_unref (accepted);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Pads and states                                                         */

static GstPad *
gst_segment_sink_request_new_pad (GstElement *element, GstPadTemplate *templ,
                                  const gchar *name, const GstCaps *caps)
{
  (void)caps;
  GstSegmentSink *self = GST_SEGMENT_SINK (element);
  Private &p = *self->priv;
  const bool video = templ == gst_element_class_get_pad_template (
                                  GST_ELEMENT_GET_CLASS (element), "video");
  std::unique_lock<std::mutex> lk (p.lock);
  if (video && p.video != nullptr) {
    lk.unlock ();
    GST_WARNING_OBJECT (self, "only one video pad");
    return nullptr;
  }
  if (!p.files.empty ()) {
    lk.unlock ();
    GST_WARNING_OBJECT (self, "pads can only be added before the first file");
    return nullptr;
  }
  gchar *pad_name =
      video ? g_strdup ("video")
      : name != nullptr
          ? g_strdup (name)
          : g_strdup_printf ("audio_%u",
                             static_cast<guint> (p.streams.size ()));
  GstPad *pad = gst_pad_new_from_template (templ, pad_name);
  g_free (pad_name);
  auto *st = new Stream ();
  st->sinkpad = pad;
  st->video = video;
  gst_segment_init (&st->segment, GST_FORMAT_TIME);
  gst_pad_set_element_private (pad, st);
  gst_pad_set_chain_function (pad, GST_DEBUG_FUNCPTR (gst_segment_sink_chain));
  gst_pad_set_event_function (pad,
                              GST_DEBUG_FUNCPTR (gst_segment_sink_sink_event));
  gst_pad_set_query_function (pad,
                              GST_DEBUG_FUNCPTR (gst_segment_sink_sink_query));
  if (video) {
    p.video = st;
    p.streams.insert (p.streams.begin (), st);
  } else {
    p.streams.push_back (st);
  }
  for (guint i = 0; i < p.streams.size (); i++)
    p.streams[i]->id = i;
  lk.unlock ();
  gst_pad_set_active (pad, TRUE);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
free_stream (Stream *st)
{
  drop_held (st);
  clear_ring (st);
  gst_clear_caps (&st->caps);
  if (st->stream_start)
    gst_event_unref (st->stream_start);
  delete st;
}

static void
gst_segment_sink_release_pad (GstElement *element, GstPad *pad)
{
  GstSegmentSink *self = GST_SEGMENT_SINK (element);
  Private &p = *self->priv;
  Stream *st = stream_of (pad);
  {
    std::lock_guard<std::mutex> lk (p.lock);
    p.streams.erase (std::remove (p.streams.begin (), p.streams.end (), st),
                     p.streams.end ());
    if (p.video == st)
      p.video = nullptr;
    for (guint i = 0; i < p.streams.size (); i++)
      p.streams[i]->id = i;
  }
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
  free_stream (st);
}

/* Checks that @dir exists and is writable; posts an error saying what to
 * do otherwise. */
static bool
check_dir (GstSegmentSink *self, const char *what, const std::string &path)
{
  const std::string dir = dirname_of (path);
  if (!g_file_test (dir.c_str (), G_FILE_TEST_IS_DIR)) {
    GST_ELEMENT_ERROR (
        self, RESOURCE, NOT_FOUND,
        ("Cannot write %s into '%s': the directory does not exist", what,
         dir.c_str ()),
        ("create it or change the location (%s)", path.c_str ()));
    return false;
  }
  /* permission bits say little to root: try to create a file */
  const std::string probe = dir + G_DIR_SEPARATOR_S ".segmentsink-XXXXXX";
  std::vector<char> tmpl (probe.begin (), probe.end ());
  tmpl.push_back ('\0');
  const int fd = g_mkstemp (tmpl.data ());
  if (fd < 0) {
    const int err = errno;
    GST_ELEMENT_ERROR (
        self, RESOURCE, OPEN_WRITE,
        ("Cannot write %s into '%s': %s", what, dir.c_str (), g_strerror (err)),
        ("choose a writable directory (%s)", path.c_str ()));
    return false;
  }
  close (fd);
  g_unlink (tmpl.data ());
  return true;
}

static bool
start (GstSegmentSink *self)
{
  Private &p = *self->priv;
  Settings s = settings_copy (self);
  std::string why;
  Pattern pat;
  bool ok = true;
  if (!parse_pattern (s.location, pat, why)) {
    GST_ELEMENT_ERROR (
        self, RESOURCE, SETTINGS,
        ("Bad location pattern '%s': %s", s.location.c_str (), why.c_str ()),
        ("use a printf pattern with one integer conversion, e.g. "
         "seg%%05d.mp4"));
    ok = false;
  }
  if (ok)
    ok = check_dir (self, "segment files", format_index (pat, s.start_index));
  if (ok && !s.playlist_location.empty ())
    ok = check_dir (self, "the segment list", s.playlist_location);
  if (ok && !s.index_location.empty ())
    ok = check_dir (self, "the segment index", s.index_location);
  if (ok && gst_element_factory_find (s.muxer_factory.c_str ()) == nullptr) {
    GST_ELEMENT_ERROR (
        self, CORE, MISSING_PLUGIN,
        ("Muxer '%s' not available", s.muxer_factory.c_str ()),
        ("install the plugin that provides it or set muxer-factory"));
    ok = false;
  } else if (ok) {
    gst_object_unref (gst_element_factory_find (s.muxer_factory.c_str ()));
  }
  if (ok) {
    auto list = std::make_unique<prune::Playlist> (s.playlist_location,
                                                   s.index_location);
    std::string error;
    if (!list->load (error)) {
      GST_ELEMENT_ERROR (
          self, RESOURCE, READ,
          ("Cannot continue the existing segment list: %s", error.c_str ()),
          ("move the old list away or choose another playlist-location"));
      ok = false;
    } else {
      std::lock_guard<std::mutex> lk (p.lock);
      p.next_index = std::max (s.start_index, list->next_index ());
      p.playlist = std::move (list);
    }
  }
  settings_free (s);
  if (!ok)
    return false;
  std::lock_guard<std::mutex> lk (p.lock);
  p.flushing = false;
  p.recording = !self->priv->settings.split_on_gate;
  p.video_pos = GST_CLOCK_TIME_NONE;
  p.video_end = GST_CLOCK_TIME_NONE;
  p.replay_from = GST_CLOCK_TIME_NONE;
  p.video_eos = false;
  p.split_pending = false;
  p.fku_requested = false;
  p.warned_no_keyframe = false;
  p.posted_eos = false;
  p.beats = 0;
  p.beats_ahead.clear ();
  p.last_beat = p.beat_keyframe = p.next_start = GST_CLOCK_TIME_NONE;
  p.ends_ahead.clear ();
  p.stretch_start = p.settled_end = GST_CLOCK_TIME_NONE;
  p.half_frame = 0;
  p.lookback = kLookback;
  p.worker_stop = false;
  p.worker = std::thread (worker_run, self);
  GST_DEBUG_OBJECT (self, "started");
  return true;
}

/* Finishes whatever is open and stops the worker (PAUSED -> READY). */
static void
stop (GstSegmentSink *self)
{
  Private &p = *self->priv;
  std::vector<Stream *> streams;
  {
    std::lock_guard<std::mutex> lk (p.lock);
    p.flushing = true;
    p.cond.notify_all ();
    streams = p.streams;
  }
  /* streaming threads leave our pads first */
  for (Stream *st : streams)
    gst_pad_set_active (st->sinkpad, FALSE);
  {
    std::lock_guard<std::mutex> lk (p.lock);
    if (p.current) {
      if (!GST_CLOCK_TIME_IS_VALID (p.current->end_rt))
        p.current->end_rt = p.video_end;
      p.current->reason = prune::SplitReason::Stop;
      p.current = nullptr;
    }
    clear_preroll (p);
  }
  for (Stream *st : streams) {
    /* buffers held at a file start go in as they are */
    release_held (self, st, GST_CLOCK_TIME_NONE);
    clear_ring (st);
    switch_stream (self, st, nullptr, GST_CLOCK_TIME_NONE);
  }
  {
    /* let the muxers finish their files (bounded wait) */
    std::unique_lock<std::mutex> lk (p.lock);
    p.cond.wait_for (lk, std::chrono::seconds (10),
                     [&p] { return p.files.empty () && p.jobs.empty (); });
    if (!p.files.empty ())
      GST_WARNING_OBJECT (self, "%zu file(s) did not finish in time",
                          p.files.size ());
    p.worker_stop = true;
    p.worker_cond.notify_one ();
  }
  if (p.worker.joinable ())
    p.worker.join ();
  GST_DEBUG_OBJECT (self, "worker stopped");
  std::lock_guard<std::mutex> lk (p.lock);
  for (const FilePtr &f : p.files) {
    /* never finished: take the elements down unlisted */
    teardown_file (self, *f);
  }
  p.files.clear ();
  for (Stream *st : streams)
    st->file = nullptr;
  p.playlist.reset ();
  for (Stream *st : streams)
    gst_pad_set_active (st->sinkpad, TRUE);
}

static GstStateChangeReturn
gst_segment_sink_change_state (GstElement *element, GstStateChange transition)
{
  GstSegmentSink *self = GST_SEGMENT_SINK (element);
  Private &p = *self->priv;
  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED: {
      if (!start (self))
        return GST_STATE_CHANGE_FAILURE;
      gboolean async;
      {
        prune::ObjectLocker lock (self);
        async = p.settings.async;
      }
      if (async)
        begin_preroll (self);
      break;
    }
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING: {
      /* bounded: a commit is a few posted messages; not when this is the
       * committing thread (an application's sync bus handler that sets
       * PLAYING at once) */
      const std::thread::id me = std::this_thread::get_id ();
      std::unique_lock<std::mutex> lk (p.preroll_lock);
      p.preroll_cond.wait_for (lk, std::chrono::seconds (5), [&p, me] {
        return p.preroll_committer == std::thread::id () ||
               p.preroll_committer == me;
      });
      break;
    }
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      p.preroll_pending = false;
      stop (self);
      break;
    default:
      break;
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (gst_segment_sink_parent_class)
                                 ->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    if (ret == GST_STATE_CHANGE_FAILURE)
      p.preroll_pending = false;
    else if (ret == GST_STATE_CHANGE_SUCCESS && p.preroll_pending)
      ret = GST_STATE_CHANGE_ASYNC;
  }
  return ret;
}

/* Errors of the internal elements become ours, with the file named. */
static void
gst_segment_sink_handle_message (GstBin *bin, GstMessage *msg)
{
  GstSegmentSink *self = GST_SEGMENT_SINK (bin);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR &&
      GST_MESSAGE_SRC (msg) != GST_OBJECT (self)) {
    /* the file whose element failed must never be listed */
    {
      Private &p = *self->priv;
      std::lock_guard<std::mutex> lk (p.lock);
      for (const FilePtr &f : p.files) {
        bool mine = GST_MESSAGE_SRC (msg) == GST_OBJECT (f->sink) ||
                    GST_MESSAGE_SRC (msg) == GST_OBJECT (f->muxer);
        for (GstElement *q : f->queues)
          mine = mine || GST_MESSAGE_SRC (msg) == GST_OBJECT (q);
        if (mine)
          f->failed = true;
      }
    }
    GError *err = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error (msg, &err, &debug);
    gchar *location = nullptr;
    if (GST_IS_ELEMENT (GST_MESSAGE_SRC (msg)) &&
        g_object_class_find_property (
            G_OBJECT_GET_CLASS (GST_MESSAGE_SRC (msg)), "location"))
      g_object_get (GST_MESSAGE_SRC (msg), "location", &location, nullptr);
    gst_element_message_full (
        GST_ELEMENT (self), GST_MESSAGE_ERROR, err->domain, err->code,
        g_strdup_printf ("Writing segment %s failed: %s",
                         location ? location
                                  : GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
                         err->message),
        g_strdup_printf ("finished files and the list are intact; %s",
                         debug ? debug : ""),
        __FILE__, GST_FUNCTION, __LINE__);
    g_free (location);
    g_free (debug);
    g_error_free (err);
    gst_message_unref (msg);
    return;
  }
  GST_BIN_CLASS (gst_segment_sink_parent_class)->handle_message (bin, msg);
}

static void
gst_segment_sink_split_now (GstSegmentSink *self)
{
  Private &p = *self->priv;
  std::lock_guard<std::mutex> lk (p.lock);
  if (p.current) {
    p.split_pending = true;
    p.split_reason = prune::SplitReason::SplitNow;
  }
}

/* ---------------------------------------------------------------------- */
/* Properties                                                              */

static void
gst_segment_sink_set_property (GObject *object, guint prop_id,
                               const GValue *value, GParamSpec *pspec)
{
  GstSegmentSink *self = GST_SEGMENT_SINK (object);
  prune::ObjectLocker lock (self);
  Settings &s = self->priv->settings;
  auto str = [value] {
    const char *v = g_value_get_string (value);
    return std::string (v ? v : "");
  };
  switch (prop_id) {
    case PROP_LOCATION:
      s.location = str ();
      break;
    case PROP_PLAYLIST_LOCATION:
      s.playlist_location = str ();
      break;
    case PROP_INDEX_LOCATION:
      s.index_location = str ();
      break;
    case PROP_MUXER_FACTORY:
      s.muxer_factory = str ();
      break;
    case PROP_MUXER_PROPERTIES:
      if (s.muxer_properties)
        gst_structure_free (s.muxer_properties);
      s.muxer_properties =
          static_cast<GstStructure *> (g_value_dup_boxed (value));
      break;
    case PROP_START_INDEX:
      s.start_index = g_value_get_uint (value);
      break;
    case PROP_MAX_SIZE_TIME:
      s.max_size_time = g_value_get_uint64 (value);
      break;
    case PROP_MAX_SIZE_BYTES:
      s.max_size_bytes = g_value_get_uint64 (value);
      break;
    case PROP_SPLIT_ON_GATE:
      s.split_on_gate = g_value_get_boolean (value);
      break;
    case PROP_SPLIT_ON_BEATS:
      s.split_on_beats = g_value_get_uint (value);
      break;
    case PROP_PRE_ROLL:
      s.pre_roll = g_value_get_uint64 (value);
      break;
    case PROP_MAX_PREROLL_BYTES:
      s.max_preroll_bytes = g_value_get_uint64 (value);
      break;
    case PROP_MAX_FILES:
      s.max_files = g_value_get_uint (value);
      break;
    case PROP_MAX_TOTAL_BYTES:
      s.max_total_bytes = g_value_get_uint64 (value);
      break;
    case PROP_MAX_AGE:
      s.max_age = g_value_get_uint64 (value);
      break;
    case PROP_ASYNC:
      s.async = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_segment_sink_get_property (GObject *object, guint prop_id, GValue *value,
                               GParamSpec *pspec)
{
  GstSegmentSink *self = GST_SEGMENT_SINK (object);
  prune::ObjectLocker lock (self);
  const Settings &s = self->priv->settings;
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, s.location.c_str ());
      break;
    case PROP_PLAYLIST_LOCATION:
      g_value_set_string (value, s.playlist_location.c_str ());
      break;
    case PROP_INDEX_LOCATION:
      g_value_set_string (value, s.index_location.c_str ());
      break;
    case PROP_MUXER_FACTORY:
      g_value_set_string (value, s.muxer_factory.c_str ());
      break;
    case PROP_MUXER_PROPERTIES:
      g_value_set_boxed (value, s.muxer_properties);
      break;
    case PROP_START_INDEX:
      g_value_set_uint (value, s.start_index);
      break;
    case PROP_MAX_SIZE_TIME:
      g_value_set_uint64 (value, s.max_size_time);
      break;
    case PROP_MAX_SIZE_BYTES:
      g_value_set_uint64 (value, s.max_size_bytes);
      break;
    case PROP_SPLIT_ON_GATE:
      g_value_set_boolean (value, s.split_on_gate);
      break;
    case PROP_SPLIT_ON_BEATS:
      g_value_set_uint (value, s.split_on_beats);
      break;
    case PROP_PRE_ROLL:
      g_value_set_uint64 (value, s.pre_roll);
      break;
    case PROP_MAX_PREROLL_BYTES:
      g_value_set_uint64 (value, s.max_preroll_bytes);
      break;
    case PROP_MAX_FILES:
      g_value_set_uint (value, s.max_files);
      break;
    case PROP_MAX_TOTAL_BYTES:
      g_value_set_uint64 (value, s.max_total_bytes);
      break;
    case PROP_MAX_AGE:
      g_value_set_uint64 (value, s.max_age);
      break;
    case PROP_ASYNC:
      g_value_set_boolean (value, s.async);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_segment_sink_finalize (GObject *object)
{
  GstSegmentSink *self = GST_SEGMENT_SINK (object);
  Private *p = self->priv;
  for (Stream *st : p->streams)
    free_stream (st);
  clear_preroll (*p);
  settings_free (p->settings);
  delete p;
  G_OBJECT_CLASS (gst_segment_sink_parent_class)->finalize (object);
}

static void
gst_segment_sink_init (GstSegmentSink *self)
{
  self->priv = new Private ();
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

static void
gst_segment_sink_class_init (GstSegmentSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);
  const auto flags = static_cast<GParamFlags> (
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto live = static_cast<GParamFlags> (
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  gobject_class->set_property = gst_segment_sink_set_property;
  gobject_class->get_property = gst_segment_sink_get_property;
  gobject_class->finalize = gst_segment_sink_finalize;

  g_object_class_install_property (
      gobject_class, PROP_LOCATION,
      g_param_spec_string (
          "location", "Location",
          "printf pattern of the segment file names, with one integer "
          "conversion for the index (e.g. out/seg%05d.mp4)",
          DEFAULT_LOCATION, flags));
  g_object_class_install_property (
      gobject_class, PROP_PLAYLIST_LOCATION,
      g_param_spec_string (
          "playlist-location", "Playlist location",
          "ffmpeg concat list (ffconcat) of the finished files, replaced "
          "atomically and durably on every change; empty = none",
          DEFAULT_PLAYLIST_LOCATION, flags));
  g_object_class_install_property (
      gobject_class, PROP_INDEX_LOCATION,
      g_param_spec_string (
          "index-location", "Index location",
          "JSON index of the finished files (index, location, start "
          "running-time and wall-clock time, duration, bytes, split "
          "reason); empty = none",
          "", flags));
  g_object_class_install_property (
      gobject_class, PROP_MUXER_FACTORY,
      g_param_spec_string (
          "muxer-factory", "Muxer factory",
          "Muxer element for each file (default mp4mux with "
          "fragment-duration=500, readable up to its last fragment after a "
          "crash; mpegtsmux and matroskamux also work)",
          DEFAULT_MUXER_FACTORY, flags));
  g_object_class_install_property (
      gobject_class, PROP_MUXER_PROPERTIES,
      g_param_spec_boxed (
          "muxer-properties", "Muxer properties",
          "Properties set on every muxer, as a structure "
          "(\"properties,fragment-duration=1000\"); replaces the default "
          "fragment-duration of mp4mux",
          GST_TYPE_STRUCTURE, flags));
  g_object_class_install_property (
      gobject_class, PROP_START_INDEX,
      g_param_spec_uint (
          "start-index", "Start index",
          "Index of the first file (an existing list continues after its "
          "highest index)",
          0, G_MAXUINT, 0, flags));
  g_object_class_install_property (
      gobject_class, PROP_MAX_SIZE_TIME,
      g_param_spec_uint64 (
          "max-size-time", "Maximum size time",
          "Start a new file after this much running time (ns), at the next "
          "keyframe; 0 = no limit",
          0, G_MAXUINT64, 0, live));
  g_object_class_install_property (
      gobject_class, PROP_MAX_SIZE_BYTES,
      g_param_spec_uint64 (
          "max-size-bytes", "Maximum size bytes",
          "Start a new file before it would exceed this many bytes, at the "
          "next keyframe; 0 = no limit",
          0, G_MAXUINT64, 0, live));
  g_object_class_install_property (
      gobject_class, PROP_SPLIT_ON_GATE,
      g_param_spec_boolean (
          "split-on-gate", "Split on gate",
          "Follow a staticgate upstream: a new file at each "
          "prune-segment-start, the file closed at prune-segment-end, "
          "nothing written in between",
          FALSE, flags));
  g_object_class_install_property (
      gobject_class, PROP_SPLIT_ON_BEATS,
      g_param_spec_uint (
          "split-on-beats", "Split on beats",
          "Start a new file every N prune-beat events, at the first "
          "keyframe at or after the beat; 0 = off",
          0, G_MAXUINT, 0, live));
  g_object_class_install_property (
      gobject_class, PROP_PRE_ROLL,
      g_param_spec_uint64 (
          "pre-roll", "Pre-roll",
          "With split-on-gate and a gate in mark mode: keep encoded video "
          "GOPs while not recording so that a file can start up to this long "
          "(ns) before the segment start, at a keyframe",
          0, 600 * GST_SECOND, 0, flags));
  g_object_class_install_property (
      gobject_class, PROP_MAX_PREROLL_BYTES,
      g_param_spec_uint64 (
          "max-preroll-bytes", "Maximum pre-roll bytes",
          "Bound on the encoded data held for pre-roll (oldest GOP dropped "
          "first)",
          0, G_MAXUINT64, 64 * 1024 * 1024, flags));
  g_object_class_install_property (
      gobject_class, PROP_MAX_FILES,
      g_param_spec_uint (
          "max-files", "Maximum files",
          "Keep at most this many finished files (the oldest leaves the list, "
          "then is deleted); 0 = no limit",
          0, G_MAXUINT, 0, live));
  g_object_class_install_property (
      gobject_class, PROP_MAX_TOTAL_BYTES,
      g_param_spec_uint64 (
          "max-total-bytes", "Maximum total bytes",
          "Keep the finished files under this many bytes in all; 0 = no "
          "limit",
          0, G_MAXUINT64, 0, live));
  g_object_class_install_property (
      gobject_class, PROP_MAX_AGE,
      g_param_spec_uint64 (
          "max-age", "Maximum age",
          "Delete finished files whose recording started longer ago than "
          "this (ns, wall clock); 0 = no limit",
          0, G_MAXUINT64, 0, live));
  g_object_class_install_property (
      gobject_class, PROP_ASYNC,
      g_param_spec_boolean (
          "async", "Async",
          "Go to PAUSED asynchronously, as a sink does: the change completes "
          "at the first buffer, GAP, gap announced by the gate or EOS (off: "
          "at once, e.g. for a sink added to a running pipeline)",
          TRUE, flags));

  /**
   * GstSegmentSink::format-location:
   * @sink: the segmentsink
   * @index: the index of the new file
   *
   * Returns: (transfer full) (nullable): the location of the new file, or
   * %NULL to use the location pattern.
   */
  signals[SIGNAL_FORMAT_LOCATION] = g_signal_new (
      "format-location", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
      nullptr, nullptr, nullptr, G_TYPE_STRING, 1, G_TYPE_UINT);
  /**
   * GstSegmentSink::split-now:
   * @sink: the segmentsink
   *
   * Starts a new file at the next keyframe (asks upstream for one).
   */
  signals[SIGNAL_SPLIT_NOW] = g_signal_new_class_handler (
      "split-now", G_TYPE_FROM_CLASS (klass),
      static_cast<GSignalFlags> (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK (gst_segment_sink_split_now), nullptr, nullptr, nullptr,
      G_TYPE_NONE, 0);

  gst_element_class_set_static_metadata (
      element_class, "Segment sink", "Sink/Muxer",
      "Rolls encoded streams into segment files and keeps an ffmpeg concat "
      "list valid at every instant",
      "gst-prune developers");
  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_segment_sink_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_segment_sink_release_pad);
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_segment_sink_change_state);
  bin_class->handle_message =
      GST_DEBUG_FUNCPTR (gst_segment_sink_handle_message);
}

/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#pragma once

/**
 * SECTION:prune-names
 * @title: Shared event and message names
 *
 * This header owns every custom event and message name of the gst-prune
 * plugin set, and a typed C++ struct for each that builds and parses the
 * #GstStructure carried by the #GstEvent or #GstMessage.
 *
 * Events are serialized custom downstream events
 * (%GST_EVENT_CUSTOM_DOWNSTREAM); messages are element messages
 * (%GST_MESSAGE_ELEMENT). Code in other languages reads the same
 * structures by name: every field, its GType and its meaning is listed
 * below and in docs/names.md.
 *
 * Conventions shared by all structures:
 *
 * - times are #guint64 nanoseconds (#GstClockTime); a time that is not
 *   known is %GST_CLOCK_TIME_NONE;
 * - `timestamp` is the buffer PTS, `stream-time` and `running-time` are
 *   that PTS converted with the element's #GstSegment;
 * - enumerations travel as strings (lower case, dash separated) so that
 *   `gst-launch-1.0 -m` output and Python code read naturally;
 * - parsing ignores fields it does not know (newer producers may add
 *   some) and rejects a structure that misses a field, has a field of the
 *   wrong type or an out-of-range value, with a message saying which.
 */

#include <gst/gst.h>
#include <gst/prune/prune-prelude.h>

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace prune {

/* The names. Nothing else in the project spells these strings. */
namespace names {
/* events (serialized, downstream) */
inline constexpr char kSegmentStart[] = "prune-segment-start";
inline constexpr char kSegmentEnd[] = "prune-segment-end";
/* event (out of band, downstream) */
inline constexpr char kGap[] = "prune-gap";
/* event and message */
inline constexpr char kBeat[] = "prune-beat";
/* messages (element messages on the bus) */
inline constexpr char kGate[] = "prune-gate";
inline constexpr char kScore[] = "prune-score";
inline constexpr char kTempo[] = "prune-tempo";
inline constexpr char kSegmentOpened[] = "prune-segment-opened";
inline constexpr char kSegmentClosed[] = "prune-segment-closed";
inline constexpr char kSegmentDeleted[] = "prune-segment-deleted";
inline constexpr char kPlaylistUpdated[] = "prune-playlist-updated";
} // namespace names

/* ---------------------------------------------------------------------- */
/* Enumerations carried as strings                                         */

/* Why a kept segment of the gate started or ended.
 * "motion": motion lasted min-motion; "keep-alive": the keep-alive frame of
 * a long static stretch; "static": the scene stayed static for post-roll;
 * "eos": the stream ended while the gate was open. */
enum class GateReason { Motion, KeepAlive, Static, Eos };

/* State of the gate: "open" (frames are kept) or "closed". */
enum class GateState { Closed, Open };

/* Beat tracker lock: "searching" (no tempo yet), "locked", "lost" (had a
 * lock, the evidence faded; phase is kept while searching again). */
enum class LockState { Searching, Locked, Lost };

/* Why segmentsink closed a file: "max-size-time", "max-size-bytes",
 * "gate" (prune-segment-end or -start), "beats", "split-now" (action
 * signal), "eos", "stop" (the element left PAUSED while the file was
 * open). */
enum class SplitReason {
  MaxSizeTime,
  MaxSizeBytes,
  Gate,
  Beats,
  SplitNow,
  Eos,
  Stop
};

/* Why segmentsink deleted a finished file: "max-files", "max-total-bytes",
 * "max-age". */
enum class DeleteReason { MaxFiles, MaxTotalBytes, MaxAge };

/* String form of an enumeration value, e.g. "keep-alive". */
GST_PRUNE_API const char *to_string (GateReason v);
GST_PRUNE_API const char *to_string (GateState v);
GST_PRUNE_API const char *to_string (LockState v);
GST_PRUNE_API const char *to_string (SplitReason v);
GST_PRUNE_API const char *to_string (DeleteReason v);

/* ---------------------------------------------------------------------- */
/* Parse results                                                           */

struct ParseError {
  std::string message;
};

/* A parsed value or the reason it could not be parsed. */
template<typename T>
class Parsed {
public:
  Parsed (T value) : v_ (std::move (value)) {}
  Parsed (ParseError error) : v_ (std::move (error)) {}

  explicit operator bool () const { return v_.index () == 0; }
  const T &value () const { return std::get<0> (v_); }
  const T &operator* () const { return value (); }
  const T *operator->() const { return &value (); }
  /* Empty when parsing succeeded. */
  const std::string &error () const
  {
    static const std::string none;
    return v_.index () == 1 ? std::get<1> (v_).message : none;
  }

private:
  std::variant<T, ParseError> v_;
};

/* ---------------------------------------------------------------------- */
/* The structures. Each one lists its fields, with GType, in order.        */

/**
 * prune-segment-start (event, from staticgate):
 * @running-time: #guint64 running time of the first kept frame (valid)
 * @timestamp: #guint64 its PTS
 * @stream-time: #guint64 its stream time
 * @index: #guint number of this kept segment, from 0 since READY
 * @reason: #gchararray "motion" or "keep-alive"
 *
 * Sent just before the first frame of a kept segment, after a
 * force-key-unit event, so an encoder downstream starts on a keyframe.
 */
struct SegmentStart {
  static constexpr const char *kName = names::kSegmentStart;
  static constexpr bool kIsEvent = true;
  static constexpr bool kIsMessage = false;

  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  GstClockTime timestamp = GST_CLOCK_TIME_NONE;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  guint index = 0;
  GateReason reason = GateReason::Motion;

  bool operator== (const SegmentStart &) const = default;
  GST_PRUNE_API GstStructure *to_structure () const;
  GST_PRUNE_API static Parsed<SegmentStart>
  from_structure (const GstStructure *s);
};

/**
 * prune-segment-end (event, from staticgate):
 * @running-time: #guint64 running time where the segment ends: the end of
 *   its last kept frame (valid)
 * @timestamp: #guint64 PTS at that point
 * @stream-time: #guint64 stream time at that point
 * @index: #guint the segment's number, as in its prune-segment-start
 * @duration: #guint64 running time from the segment's start to its end
 * @reason: #gchararray "static" or "eos"
 *
 * Sent after the last frame of a kept segment (in drop mode, before the
 * GAP events that cover what follows; before EOS when the stream ends
 * while open).
 */
struct SegmentEnd {
  static constexpr const char *kName = names::kSegmentEnd;
  static constexpr bool kIsEvent = true;
  static constexpr bool kIsMessage = false;

  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  GstClockTime timestamp = GST_CLOCK_TIME_NONE;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  guint index = 0;
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  GateReason reason = GateReason::Static;

  bool operator== (const SegmentEnd &) const = default;
  GST_PRUNE_API GstStructure *to_structure () const;
  GST_PRUNE_API static Parsed<SegmentEnd>
  from_structure (const GstStructure *s);
};

/**
 * prune-beat (event and message, from beatdetect):
 * @timestamp: #guint64 PTS of the beat
 * @stream-time: #guint64 stream time of the beat
 * @running-time: #guint64 running time of the beat (valid)
 * @bpm: #gdouble tempo at this beat, > 0
 * @confidence: #gdouble 0 (none) to 1 (certain)
 * @index: #guint64 beat number since the last reset, from 0
 * @downbeat: #gboolean TRUE on the first beat of a bar, when known
 * @lock-state: #gchararray "searching", "locked" or "lost"
 * @predicted: #gboolean TRUE when announced ahead of the audio that
 *   confirms it (causal prediction), FALSE when confirmed
 */
struct Beat {
  static constexpr const char *kName = names::kBeat;
  static constexpr bool kIsEvent = true;
  static constexpr bool kIsMessage = true;

  GstClockTime timestamp = GST_CLOCK_TIME_NONE;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  double bpm = 0.0;
  double confidence = 0.0;
  guint64 index = 0;
  bool downbeat = false;
  LockState lock_state = LockState::Searching;
  bool predicted = false;

  bool operator== (const Beat &) const = default;
  GST_PRUNE_API GstStructure *to_structure () const;
  GST_PRUNE_API static Parsed<Beat> from_structure (const GstStructure *s);
};

/**
 * prune-gate (message, from staticgate) on every open and close:
 * @state: #gchararray "open" or "closed"
 * @timestamp: #guint64 PTS of the frame that opened the gate (its first
 *   kept frame, pre-roll included) or of the end of the last kept frame
 * @stream-time: #guint64 stream time of that point
 * @running-time: #guint64 running time of that point
 * @score: #gdouble motion score of the deciding frame: the changed-area
 *   fraction, 0 to 1
 * @index: #guint number of the kept segment that opens or closes
 * @reason: #gchararray "motion", "keep-alive", "static" or "eos"
 */
struct Gate {
  static constexpr const char *kName = names::kGate;
  static constexpr bool kIsEvent = false;
  static constexpr bool kIsMessage = true;

  GateState state = GateState::Closed;
  GstClockTime timestamp = GST_CLOCK_TIME_NONE;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  double score = 0.0;
  guint index = 0;
  GateReason reason = GateReason::Motion;

  bool operator== (const Gate &) const = default;
  GST_PRUNE_API GstStructure *to_structure () const;
  GST_PRUNE_API static Parsed<Gate> from_structure (const GstStructure *s);
};

/**
 * prune-score (message, from staticgate with post-scores=TRUE) for every
 * analysed frame:
 * @timestamp: #guint64 PTS of the frame
 * @stream-time: #guint64 its stream time
 * @running-time: #guint64 its running time
 * @score: #gdouble changed-area fraction of the unmasked blocks, 0 to 1
 * @motion: #gboolean the score reached min-area
 * @changed-blocks: #guint blocks that changed
 * @active-blocks: #guint blocks not masked (by the mask or the clock finder)
 * @noise-floor: #gdouble median learned noise floor, luma levels, >= 0
 * @open: #gboolean the gate is open after this frame
 */
struct Score {
  static constexpr const char *kName = names::kScore;
  static constexpr bool kIsEvent = false;
  static constexpr bool kIsMessage = true;

  GstClockTime timestamp = GST_CLOCK_TIME_NONE;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  double score = 0.0;
  bool motion = false;
  guint changed_blocks = 0;
  guint active_blocks = 0;
  double noise_floor = 0.0;
  bool open = false;

  bool operator== (const Score &) const = default;
  GST_PRUNE_API GstStructure *to_structure () const;
  GST_PRUNE_API static Parsed<Score> from_structure (const GstStructure *s);
};

/**
 * prune-tempo (message, from beatdetect) when the tempo estimate changes
 * and every few seconds:
 * @timestamp: #guint64 PTS the estimate refers to
 * @stream-time: #guint64 its stream time
 * @running-time: #guint64 its running time
 * @bpm: #gdouble tempo estimate, > 0, or 0 while none
 * @confidence: #gdouble 0 to 1
 * @lock-state: #gchararray "searching", "locked" or "lost"
 */
struct Tempo {
  static constexpr const char *kName = names::kTempo;
  static constexpr bool kIsEvent = false;
  static constexpr bool kIsMessage = true;

  GstClockTime timestamp = GST_CLOCK_TIME_NONE;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  double bpm = 0.0;
  double confidence = 0.0;
  LockState lock_state = LockState::Searching;

  bool operator== (const Tempo &) const = default;
  GST_PRUNE_API GstStructure *to_structure () const;
  GST_PRUNE_API static Parsed<Tempo> from_structure (const GstStructure *s);
};

/**
 * prune-segment-opened (message, from segmentsink) when a file is created:
 * @location: #gchararray path of the file (non-empty)
 * @index: #guint its index in the location pattern
 * @running-time: #guint64 running time of its first buffer
 */
struct SegmentOpened {
  static constexpr const char *kName = names::kSegmentOpened;
  static constexpr bool kIsEvent = false;
  static constexpr bool kIsMessage = true;

  std::string location;
  guint index = 0;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;

  bool operator== (const SegmentOpened &) const = default;
  GST_PRUNE_API GstStructure *to_structure () const;
  GST_PRUNE_API static Parsed<SegmentOpened>
  from_structure (const GstStructure *s);
};

/**
 * prune-segment-closed (message, from segmentsink) when a file is complete
 * and listed:
 * @location: #gchararray path of the file (non-empty)
 * @index: #guint its index in the location pattern
 * @running-time: #guint64 running time of its first buffer
 * @duration: #guint64 its duration (as written to the playlist)
 * @bytes: #guint64 its size on disk
 * @reason: #gchararray why it was closed, see #SplitReason
 */
struct SegmentClosed {
  static constexpr const char *kName = names::kSegmentClosed;
  static constexpr bool kIsEvent = false;
  static constexpr bool kIsMessage = true;

  std::string location;
  guint index = 0;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  guint64 bytes = 0;
  SplitReason reason = SplitReason::Eos;

  bool operator== (const SegmentClosed &) const = default;
  GST_PRUNE_API GstStructure *to_structure () const;
  GST_PRUNE_API static Parsed<SegmentClosed>
  from_structure (const GstStructure *s);
};

/**
 * prune-segment-deleted (message, from segmentsink) after retention removed
 * a file (its list entry was removed first):
 * @location: #gchararray path of the deleted file (non-empty)
 * @index: #guint its index
 * @bytes: #guint64 the space freed
 * @reason: #gchararray "max-files", "max-total-bytes" or "max-age"
 */
struct SegmentDeleted {
  static constexpr const char *kName = names::kSegmentDeleted;
  static constexpr bool kIsEvent = false;
  static constexpr bool kIsMessage = true;

  std::string location;
  guint index = 0;
  guint64 bytes = 0;
  DeleteReason reason = DeleteReason::MaxFiles;

  bool operator== (const SegmentDeleted &) const = default;
  GST_PRUNE_API GstStructure *to_structure () const;
  GST_PRUNE_API static Parsed<SegmentDeleted>
  from_structure (const GstStructure *s);
};

/**
 * prune-playlist-updated (message, from segmentsink) after the concat list
 * was replaced on disk:
 * @location: #gchararray path of the list (non-empty)
 * @entries: #guint number of files it lists
 * @duration: #guint64 sum of the listed durations
 */
struct PlaylistUpdated {
  static constexpr const char *kName = names::kPlaylistUpdated;
  static constexpr bool kIsEvent = false;
  static constexpr bool kIsMessage = true;

  std::string location;
  guint entries = 0;
  GstClockTime duration = 0;

  bool operator== (const PlaylistUpdated &) const = default;
  GST_PRUNE_API GstStructure *to_structure () const;
  GST_PRUNE_API static Parsed<PlaylistUpdated>
  from_structure (const GstStructure *s);
};

/**
 * prune-gap (out-of-band event, from staticgate in drop mode):
 * @running-time: #guint64 running time of a frame that is not pushed
 *   (valid)
 * @duration: #guint64 its duration (NONE if unknown)
 *
 * Sent as a GST_EVENT_CUSTOM_DOWNSTREAM_OOB event for every frame dropped
 * for good. A GAP event says the same in stream order, but a video
 * encoder keeps serialized events until its next frame; an out-of-band
 * event passes encoders, parsers and queues at once, so a sink behind
 * them learns while the gate is closed that nothing before that time
 * will be kept (segmentsink then lets its other streams go on).
 */
struct Gap {
  static constexpr const char *kName = names::kGap;
  static constexpr bool kIsEvent = true;
  static constexpr bool kIsMessage = false;

  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  GstClockTime duration = GST_CLOCK_TIME_NONE;

  bool operator== (const Gap &) const = default;
  GST_PRUNE_API GstStructure *to_structure () const;
  GST_PRUNE_API static Parsed<Gap> from_structure (const GstStructure *s);
};

/* ---------------------------------------------------------------------- */
/* Events and messages                                                     */

/* A new serialized custom downstream event carrying @v. */
template<typename T>
GstEvent *
to_event (const T &v)
{
  static_assert (T::kIsEvent,
                 "this structure travels as a message, not an event");
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, v.to_structure ());
}

/* A new out-of-band custom downstream event carrying @v. */
template<typename T>
GstEvent *
to_oob_event (const T &v)
{
  static_assert (T::kIsEvent,
                 "this structure travels as a message, not an event");
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_OOB,
                               v.to_structure ());
}

/* A new element message from @src carrying @v. */
template<typename T>
GstMessage *
to_message (const T &v, GstObject *src)
{
  static_assert (T::kIsMessage,
                 "this structure travels as an event, not a message");
  return gst_message_new_element (src, v.to_structure ());
}

/* TRUE if @s is named like @T (cheap; no field checks). */
template<typename T>
bool
has_name (const GstStructure *s)
{
  return s != nullptr && gst_structure_has_name (s, T::kName);
}

namespace detail {
/* @event parsed as @T when it is a custom event of @type, else @what */
template<typename T>
Parsed<T>
custom_event (GstEvent *event, GstEventType type, const char *what)
{
  static_assert (T::kIsEvent,
                 "this structure travels as a message, not an event");
  if (event == nullptr || GST_EVENT_TYPE (event) != type)
    return ParseError{std::string (T::kName) + ": not " + what};
  return T::from_structure (gst_event_get_structure (event));
}
} // namespace detail

/* Parse @event as @T: it must be a serialized custom downstream event (as
 * to_event() makes) named T::kName. An out-of-band copy is not taken, so
 * that an element that sends both (beatdetect) is counted once. */
template<typename T>
Parsed<T>
from_event (GstEvent *event)
{
  return detail::custom_event<T> (event, GST_EVENT_CUSTOM_DOWNSTREAM,
                                  "a custom downstream event");
}

/* Parse @event as @T: it must be an out-of-band custom downstream event (as
 * to_oob_event() makes) named T::kName: prune-gap, and the copies that
 * run ahead of the stream (beatdetect's beats, the gate's segment end). */
template<typename T>
Parsed<T>
from_oob_event (GstEvent *event)
{
  return detail::custom_event<T> (event, GST_EVENT_CUSTOM_DOWNSTREAM_OOB,
                                  "an out-of-band custom downstream event");
}

/* Parse @msg as @T: it must be an element message named T::kName. */
template<typename T>
Parsed<T>
from_message (GstMessage *msg)
{
  static_assert (T::kIsMessage,
                 "this structure travels as an event, not a message");
  if (msg == nullptr || GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT)
    return ParseError{std::string (T::kName) + ": not an element message"};
  return T::from_structure (gst_message_get_structure (msg));
}

} // namespace prune

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

#include "names.h"

#include <cmath>
#include <iterator>
#include <string_view>
#include <type_traits>

namespace prune {
namespace {

/* String tables of the enumerations, in declaration order. */
template<typename E>
struct EnumNames;
template<>
struct EnumNames<GateReason> {
  static constexpr const char *kValues[] = {"motion", "keep-alive", "static",
                                            "eos"};
};
template<>
struct EnumNames<GateState> {
  static constexpr const char *kValues[] = {"closed", "open"};
};
template<>
struct EnumNames<LockState> {
  static constexpr const char *kValues[] = {"searching", "locked", "lost"};
};
template<>
struct EnumNames<SplitReason> {
  static constexpr const char *kValues[] = {
      "max-size-time", "max-size-bytes", "gate", "beats", "split-now", "eos",
      "stop"};
};
template<>
struct EnumNames<DeleteReason> {
  static constexpr const char *kValues[] = {"max-files", "max-total-bytes",
                                            "max-age"};
};

template<typename E>
const char *
enum_to_string (E v)
{
  const auto i = static_cast<std::size_t> (v);
  return i < std::size (EnumNames<E>::kValues) ? EnumNames<E>::kValues[i]
                                               : "invalid";
}

template<typename E>
std::string
enum_choices ()
{
  std::string out;
  for (const char *name : EnumNames<E>::kValues) {
    if (!out.empty ())
      out += ", ";
    out += name;
  }
  return out;
}

/* Writes each visited field into a structure. */
class Writer {
public:
  explicit Writer (GstStructure *s) : s_ (s) {}

  void operator() (const char *field, const guint64 &v)
  {
    set (field, G_TYPE_UINT64, v);
  }
  void operator() (const char *field, const guint &v)
  {
    set (field, G_TYPE_UINT, v);
  }
  void operator() (const char *field, const double &v)
  {
    set (field, G_TYPE_DOUBLE, v);
  }
  void operator() (const char *field, const bool &v)
  {
    set (field, G_TYPE_BOOLEAN, gboolean (v));
  }
  void operator() (const char *field, const std::string &v)
  {
    set (field, G_TYPE_STRING, v.c_str ());
  }
  template<typename E>
  requires std::is_enum_v<E>
  void operator() (const char *field, const E &v)
  {
    set (field, G_TYPE_STRING, enum_to_string (v));
  }

private:
  template<typename V>
  void set (const char *field, GType type, V v)
  {
    gst_structure_set (s_, field, type, v, nullptr);
  }
  GstStructure *s_;
};

/* Reads each visited field from a structure; the first problem wins. */
class Reader {
public:
  Reader (const GstStructure *s, const char *name) : s_ (s), name_ (name) {}

  void operator() (const char *field, guint64 &v)
  {
    read (field, G_TYPE_UINT64, &v);
  }
  void operator() (const char *field, guint &v)
  {
    read (field, G_TYPE_UINT, &v);
  }
  void operator() (const char *field, double &v)
  {
    read (field, G_TYPE_DOUBLE, &v);
  }
  void operator() (const char *field, bool &v)
  {
    gboolean b = FALSE;
    if (read (field, G_TYPE_BOOLEAN, &b))
      v = b != FALSE;
  }
  void operator() (const char *field, std::string &v)
  {
    if (!check (field, G_TYPE_STRING))
      return;
    const char *str = gst_structure_get_string (s_, field);
    if (str == nullptr)
      fail (field, "is NULL, expected a string");
    else
      v = str;
  }
  template<typename E>
  requires std::is_enum_v<E>
  void operator() (const char *field, E &v)
  {
    if (!check (field, G_TYPE_STRING))
      return;
    const char *str = gst_structure_get_string (s_, field);
    const std::string_view sv = str != nullptr ? str : "";
    for (std::size_t i = 0; i < std::size (EnumNames<E>::kValues); i++) {
      if (sv == EnumNames<E>::kValues[i]) {
        v = static_cast<E> (i);
        return;
      }
    }
    fail (field, "is '" + std::string (sv) +
                     "', expected one of: " + enum_choices<E> ());
  }

  bool ok () const { return error_.empty (); }
  const std::string &error () const { return error_; }

private:
  bool check (const char *field, GType want)
  {
    if (!ok ())
      return false;
    const GValue *value = gst_structure_get_value (s_, field);
    if (value == nullptr) {
      fail (field, "is missing");
      return false;
    }
    if (G_VALUE_TYPE (value) != want) {
      fail (field, std::string ("has type ") +
                       g_type_name (G_VALUE_TYPE (value)) + ", expected " +
                       g_type_name (want));
      return false;
    }
    return true;
  }
  template<typename V>
  bool read (const char *field, GType type, V *out)
  {
    if (!check (field, type))
      return false;
    gst_structure_get (s_, field, type, out, nullptr);
    return true;
  }
  void fail (const char *field, const std::string &what)
  {
    error_ = std::string (name_) + ": field '" + field + "' " + what;
  }

  const GstStructure *s_;
  const char *name_;
  std::string error_;
};

/* Field lists and value checks, one specialisation per structure. The
 * order of fields is the order in the structure. check() returns an empty
 * string when the values are acceptable. */
template<typename T>
struct Fields;

std::string
valid_time (const char *field, GstClockTime t)
{
  return GST_CLOCK_TIME_IS_VALID (t)
             ? std::string ()
             : std::string ("'") + field + "' must be a valid time";
}

std::string
in_unit_range (const char *field, double v)
{
  return (std::isfinite (v) && v >= 0.0 && v <= 1.0)
             ? std::string ()
             : std::string ("'") + field + "' is " + std::to_string (v) +
                   ", must be within [0, 1]";
}

std::string
non_empty (const char *field, const std::string &v)
{
  return v.empty () ? std::string ("'") + field + "' must not be empty"
                    : std::string ();
}

std::string
first_error (std::initializer_list<std::string> errors)
{
  for (const auto &e : errors)
    if (!e.empty ())
      return e;
  return {};
}

bool
is_start_reason (GateReason r)
{
  return r == GateReason::Motion || r == GateReason::KeepAlive;
}

template<>
struct Fields<SegmentStart> {
  template<typename S, typename V>
  static void each (S &x, V &v)
  {
    v ("running-time", x.running_time);
    v ("timestamp", x.timestamp);
    v ("stream-time", x.stream_time);
    v ("index", x.index);
    v ("reason", x.reason);
  }
  static std::string check (const SegmentStart &x)
  {
    return first_error (
        {valid_time ("running-time", x.running_time),
         is_start_reason (x.reason)
             ? std::string ()
             : "'reason' of a segment start must be motion or keep-alive"});
  }
};

template<>
struct Fields<SegmentEnd> {
  template<typename S, typename V>
  static void each (S &x, V &v)
  {
    v ("running-time", x.running_time);
    v ("timestamp", x.timestamp);
    v ("stream-time", x.stream_time);
    v ("index", x.index);
    v ("duration", x.duration);
    v ("reason", x.reason);
  }
  static std::string check (const SegmentEnd &x)
  {
    return first_error (
        {valid_time ("running-time", x.running_time),
         !is_start_reason (x.reason)
             ? std::string ()
             : "'reason' of a segment end must be static or eos"});
  }
};

template<>
struct Fields<Gap> {
  template<typename S, typename V>
  static void each (S &x, V &v)
  {
    v ("running-time", x.running_time);
    v ("duration", x.duration);
  }
  static std::string check (const Gap &x)
  {
    return valid_time ("running-time", x.running_time);
  }
};

template<>
struct Fields<Beat> {
  template<typename S, typename V>
  static void each (S &x, V &v)
  {
    v ("timestamp", x.timestamp);
    v ("stream-time", x.stream_time);
    v ("running-time", x.running_time);
    v ("bpm", x.bpm);
    v ("confidence", x.confidence);
    v ("index", x.index);
    v ("downbeat", x.downbeat);
    v ("lock-state", x.lock_state);
    v ("predicted", x.predicted);
  }
  static std::string check (const Beat &x)
  {
    return first_error (
        {valid_time ("running-time", x.running_time),
         (std::isfinite (x.bpm) && x.bpm > 0.0)
             ? std::string ()
             : "'bpm' is " + std::to_string (x.bpm) + ", must be > 0",
         in_unit_range ("confidence", x.confidence)});
  }
};

template<>
struct Fields<Gate> {
  template<typename S, typename V>
  static void each (S &x, V &v)
  {
    v ("state", x.state);
    v ("timestamp", x.timestamp);
    v ("stream-time", x.stream_time);
    v ("running-time", x.running_time);
    v ("score", x.score);
    v ("index", x.index);
    v ("reason", x.reason);
  }
  static std::string check (const Gate &x)
  {
    const bool opening = x.state == GateState::Open;
    return first_error (
        {in_unit_range ("score", x.score),
         opening == is_start_reason (x.reason)
             ? std::string ()
             : std::string ("'reason' ") + to_string (x.reason) +
                   " does not go with state " + to_string (x.state)});
  }
};

template<>
struct Fields<Score> {
  template<typename S, typename V>
  static void each (S &x, V &v)
  {
    v ("timestamp", x.timestamp);
    v ("stream-time", x.stream_time);
    v ("running-time", x.running_time);
    v ("score", x.score);
    v ("motion", x.motion);
    v ("changed-blocks", x.changed_blocks);
    v ("active-blocks", x.active_blocks);
    v ("noise-floor", x.noise_floor);
    v ("open", x.open);
  }
  static std::string check (const Score &x)
  {
    return first_error ({in_unit_range ("score", x.score),
                         (std::isfinite (x.noise_floor) && x.noise_floor >= 0.0)
                             ? std::string ()
                             : "'noise-floor' must be >= 0",
                         x.changed_blocks <= x.active_blocks
                             ? std::string ()
                             : "'changed-blocks' exceeds 'active-blocks'"});
  }
};

template<>
struct Fields<Tempo> {
  template<typename S, typename V>
  static void each (S &x, V &v)
  {
    v ("timestamp", x.timestamp);
    v ("stream-time", x.stream_time);
    v ("running-time", x.running_time);
    v ("bpm", x.bpm);
    v ("confidence", x.confidence);
    v ("lock-state", x.lock_state);
  }
  static std::string check (const Tempo &x)
  {
    return first_error (
        {(std::isfinite (x.bpm) && x.bpm >= 0.0)
             ? std::string ()
             : "'bpm' is " + std::to_string (x.bpm) + ", must be >= 0",
         in_unit_range ("confidence", x.confidence)});
  }
};

template<>
struct Fields<SegmentOpened> {
  template<typename S, typename V>
  static void each (S &x, V &v)
  {
    v ("location", x.location);
    v ("index", x.index);
    v ("running-time", x.running_time);
  }
  static std::string check (const SegmentOpened &x)
  {
    return non_empty ("location", x.location);
  }
};

template<>
struct Fields<SegmentClosed> {
  template<typename S, typename V>
  static void each (S &x, V &v)
  {
    v ("location", x.location);
    v ("index", x.index);
    v ("running-time", x.running_time);
    v ("duration", x.duration);
    v ("bytes", x.bytes);
    v ("reason", x.reason);
  }
  static std::string check (const SegmentClosed &x)
  {
    return first_error ({non_empty ("location", x.location),
                         valid_time ("duration", x.duration)});
  }
};

template<>
struct Fields<SegmentDeleted> {
  template<typename S, typename V>
  static void each (S &x, V &v)
  {
    v ("location", x.location);
    v ("index", x.index);
    v ("bytes", x.bytes);
    v ("reason", x.reason);
  }
  static std::string check (const SegmentDeleted &x)
  {
    return non_empty ("location", x.location);
  }
};

template<>
struct Fields<PlaylistUpdated> {
  template<typename S, typename V>
  static void each (S &x, V &v)
  {
    v ("location", x.location);
    v ("entries", x.entries);
    v ("duration", x.duration);
  }
  static std::string check (const PlaylistUpdated &x)
  {
    return first_error ({non_empty ("location", x.location),
                         valid_time ("duration", x.duration)});
  }
};

template<typename T>
GstStructure *
build (const T &x)
{
  GstStructure *s = gst_structure_new_empty (T::kName);
  Writer w (s);
  Fields<T>::each (x, w);
  return s;
}

template<typename T>
Parsed<T>
parse (const GstStructure *s)
{
  if (s == nullptr)
    return ParseError{std::string (T::kName) + ": no structure"};
  if (!gst_structure_has_name (s, T::kName))
    return ParseError{std::string (T::kName) + ": structure is named '" +
                      gst_structure_get_name (s) + "'"};
  T x;
  Reader r (s, T::kName);
  Fields<T>::each (x, r);
  if (!r.ok ())
    return ParseError{r.error ()};
  if (std::string why = Fields<T>::check (x); !why.empty ())
    return ParseError{std::string (T::kName) + ": " + why};
  return x;
}

} // namespace

const char *
to_string (GateReason v)
{
  return enum_to_string (v);
}
const char *
to_string (GateState v)
{
  return enum_to_string (v);
}
const char *
to_string (LockState v)
{
  return enum_to_string (v);
}
const char *
to_string (SplitReason v)
{
  return enum_to_string (v);
}
const char *
to_string (DeleteReason v)
{
  return enum_to_string (v);
}

#define PRUNE_DEFINE_STRUCTURE(T)                                              \
  GstStructure *T::to_structure () const                                       \
  {                                                                            \
    return build (*this);                                                      \
  }                                                                            \
  Parsed<T> T::from_structure (const GstStructure *s)                          \
  {                                                                            \
    return parse<T> (s);                                                       \
  }

PRUNE_DEFINE_STRUCTURE (SegmentStart)
PRUNE_DEFINE_STRUCTURE (SegmentEnd)
PRUNE_DEFINE_STRUCTURE (Gap)
PRUNE_DEFINE_STRUCTURE (Beat)
PRUNE_DEFINE_STRUCTURE (Gate)
PRUNE_DEFINE_STRUCTURE (Score)
PRUNE_DEFINE_STRUCTURE (Tempo)
PRUNE_DEFINE_STRUCTURE (SegmentOpened)
PRUNE_DEFINE_STRUCTURE (SegmentClosed)
PRUNE_DEFINE_STRUCTURE (SegmentDeleted)
PRUNE_DEFINE_STRUCTURE (PlaylistUpdated)

} // namespace prune

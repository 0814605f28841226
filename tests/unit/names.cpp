/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Unit tests of gst/prune/names.h: every structure round-trips through a
 * GstStructure, a GstEvent or a GstMessage, and malformed structures are
 * rejected with a message naming the structure and the field.
 */
#include <gst/check/gstcheck.h>
#include <gst/prune/names.h>

#include <cmath>
#include <set>
#include <string>
#include <tuple>

using namespace prune;

namespace {

/* One filled-in example of each structure, with no field at its default. */
SegmentStart
sample (std::type_identity<SegmentStart>)
{
  return {10 * GST_SECOND, 3600 * GST_SECOND, 12 * GST_SECOND, 4,
          GateReason::KeepAlive};
}
SegmentEnd
sample (std::type_identity<SegmentEnd>)
{
  return {20 * GST_SECOND, 3610 * GST_SECOND, 22 * GST_SECOND, 4,
          10 * GST_SECOND, GateReason::Eos};
}
Gap
sample (std::type_identity<Gap>)
{
  return {30 * GST_SECOND, 40 * GST_MSECOND};
}
Beat
sample (std::type_identity<Beat>)
{
  return {GST_SECOND / 2,
          GST_SECOND / 2,
          3 * GST_SECOND / 2,
          123.25,
          0.75,
          42,
          true,
          LockState::Locked,
          true};
}
Gate
sample (std::type_identity<Gate>)
{
  return {GateState::Open,   7 * GST_SECOND, 8 * GST_SECOND,
          9 * GST_SECOND,    0.125,          2,
          GateReason::Motion};
}
Score
sample (std::type_identity<Score>)
{
  return {GST_SECOND, 2 * GST_SECOND, 3 * GST_SECOND, 0.25, true, 30, 120, 1.5,
          true};
}
Tempo
sample (std::type_identity<Tempo>)
{
  return {GST_SECOND, GST_SECOND, 2 * GST_SECOND, 97.5, 0.5, LockState::Lost};
}
SegmentOpened
sample (std::type_identity<SegmentOpened>)
{
  return {"out/seg 00007 \u00e9'\".mp4", 7, 70 * GST_SECOND};
}
SegmentClosed
sample (std::type_identity<SegmentClosed>)
{
  return {"out/seg00007.mp4", 7,
          70 * GST_SECOND,    5 * GST_SECOND,
          123456789012ULL,    SplitReason::SplitNow};
}
SegmentDeleted
sample (std::type_identity<SegmentDeleted>)
{
  return {"out/seg00001.mp4", 1, 999, DeleteReason::MaxTotalBytes};
}
PlaylistUpdated
sample (std::type_identity<PlaylistUpdated>)
{
  return {"out/list.ffconcat", 12, 60 * GST_SECOND};
}

template<typename T>
T
sample ()
{
  return sample (std::type_identity<T>{});
}

using AllTypes =
    std::tuple<SegmentStart, SegmentEnd, Gap, Beat, Gate, Score, Tempo,
               SegmentOpened, SegmentClosed, SegmentDeleted, PlaylistUpdated>;

template<typename F>
void
for_each_type (F &&f)
{
  std::apply ([&] (auto... t) { (f (t), ...); }, AllTypes{});
}

bool
contains (const std::string &haystack, const std::string &needle)
{
  return haystack.find (needle) != std::string::npos;
}

/* Parses @s (takes ownership) as T and returns the error, "" on success. */
template<typename T>
std::string
parse_error (GstStructure *s)
{
  auto parsed = T::from_structure (s);
  gst_structure_free (s);
  return parsed ? std::string () : parsed.error ();
}

} // namespace

GST_START_TEST (test_round_trip_structure)
{
  for_each_type ([] (auto t) {
    using T = decltype (t);
    const T in = sample<T> ();
    GstStructure *s = in.to_structure ();
    fail_unless (gst_structure_has_name (s, T::kName));
    auto out = T::from_structure (s);
    fail_unless (bool (out), "%s: %s", T::kName, out.error ().c_str ());
    fail_unless (*out == in, "%s did not round-trip", T::kName);
    fail_unless (out.error ().empty ());
    gst_structure_free (s);
  });
}
GST_END_TEST;

GST_START_TEST (test_round_trip_event_and_message)
{
  GstObject *src = GST_OBJECT (gst_bin_new ("src"));
  for_each_type ([src] (auto t) {
    using T = decltype (t);
    const T in = sample<T> ();
    if constexpr (T::kIsEvent) {
      GstEvent *ev = to_event (in);
      fail_unless_equals_int (GST_EVENT_TYPE (ev), GST_EVENT_CUSTOM_DOWNSTREAM);
      fail_unless (GST_EVENT_IS_SERIALIZED (ev));
      fail_unless (GST_EVENT_IS_DOWNSTREAM (ev));
      fail_unless (has_name<T> (gst_event_get_structure (ev)));
      auto out = from_event<T> (ev);
      fail_unless (bool (out), "%s: %s", T::kName, out.error ().c_str ());
      fail_unless (*out == in);
      fail_if (bool (from_oob_event<T> (ev)));
      gst_event_unref (ev);

      GstEvent *oob = to_oob_event (in);
      fail_unless_equals_int (GST_EVENT_TYPE (oob),
                              GST_EVENT_CUSTOM_DOWNSTREAM_OOB);
      fail_if (GST_EVENT_IS_SERIALIZED (oob));
      auto oob_out = from_oob_event<T> (oob);
      fail_unless (bool (oob_out), "%s: %s", T::kName,
                   oob_out.error ().c_str ());
      fail_unless (*oob_out == in);
      /* the serialized parser leaves the copy alone (counted once) */
      fail_if (bool (from_event<T> (oob)));
      gst_event_unref (oob);
    }
    if constexpr (T::kIsMessage) {
      GstMessage *msg = to_message (in, src);
      fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ELEMENT);
      fail_unless (GST_MESSAGE_SRC (msg) == src);
      auto out = from_message<T> (msg);
      fail_unless (bool (out), "%s: %s", T::kName, out.error ().c_str ());
      fail_unless (*out == in);
      gst_message_unref (msg);
    }
  });
  gst_object_unref (src);
}
GST_END_TEST;

/* The field types are part of the interface (Python and C users read them
 * by GType): pin them. */
GST_START_TEST (test_field_types)
{
  GstStructure *s = sample<Beat> ().to_structure ();
  fail_unless_equals_int (gst_structure_get_field_type (s, "running-time"),
                          G_TYPE_UINT64);
  fail_unless_equals_int (gst_structure_get_field_type (s, "bpm"),
                          G_TYPE_DOUBLE);
  fail_unless_equals_int (gst_structure_get_field_type (s, "index"),
                          G_TYPE_UINT64);
  fail_unless_equals_int (gst_structure_get_field_type (s, "downbeat"),
                          G_TYPE_BOOLEAN);
  fail_unless_equals_string (gst_structure_get_string (s, "lock-state"),
                             "locked");
  gst_structure_free (s);

  s = sample<Gate> ().to_structure ();
  fail_unless_equals_string (gst_structure_get_string (s, "state"), "open");
  fail_unless_equals_string (gst_structure_get_string (s, "reason"), "motion");
  fail_unless_equals_int (gst_structure_get_field_type (s, "index"),
                          G_TYPE_UINT);
  gst_structure_free (s);

  s = sample<SegmentClosed> ().to_structure ();
  fail_unless_equals_string (gst_structure_get_string (s, "location"),
                             "out/seg00007.mp4");
  fail_unless_equals_string (gst_structure_get_string (s, "reason"),
                             "split-now");
  fail_unless_equals_int (gst_structure_get_field_type (s, "bytes"),
                          G_TYPE_UINT64);
  gst_structure_free (s);
}
GST_END_TEST;

GST_START_TEST (test_names_are_distinct)
{
  std::set<std::string> seen;
  for_each_type ([&seen] (auto t) {
    using T = decltype (t);
    fail_unless (g_str_has_prefix (T::kName, "prune-"), "%s", T::kName);
    fail_unless (seen.insert (T::kName).second, "%s used twice", T::kName);
  });
  fail_unless_equals_int (seen.size (), 11);
  fail_unless_equals_string (names::kSegmentStart, "prune-segment-start");
  fail_unless_equals_string (names::kPlaylistUpdated, "prune-playlist-updated");
}
GST_END_TEST;

GST_START_TEST (test_reject_missing_field)
{
  for_each_type ([] (auto t) {
    using T = decltype (t);
    GstStructure *full = sample<T> ().to_structure ();
    const int n = gst_structure_n_fields (full);
    fail_unless (n > 0);
    for (int i = 0; i < n; i++) {
      const std::string field = gst_structure_nth_field_name (full, i);
      GstStructure *s = gst_structure_copy (full);
      gst_structure_remove_field (s, field.c_str ());
      const std::string err = parse_error<T> (s);
      fail_unless (contains (err, std::string (T::kName) + ": field '" + field +
                                      "' is missing"),
                   "%s without %s gave '%s'", T::kName, field.c_str (),
                   err.c_str ());
    }
    gst_structure_free (full);
  });
}
GST_END_TEST;

GST_START_TEST (test_reject_wrong_type)
{
  for_each_type ([] (auto t) {
    using T = decltype (t);
    GstStructure *full = sample<T> ().to_structure ();
    for (int i = 0; i < gst_structure_n_fields (full); i++) {
      const std::string field = gst_structure_nth_field_name (full, i);
      GstStructure *s = gst_structure_copy (full);
      /* A float is the wrong type for every field. */
      gst_structure_set (s, field.c_str (), G_TYPE_FLOAT, 1.0f, nullptr);
      const std::string err = parse_error<T> (s);
      fail_unless (contains (err, "'" + field + "' has type gfloat, expected"),
                   "%s: '%s'", T::kName, err.c_str ());
    }
    gst_structure_free (full);
  });
}
GST_END_TEST;

GST_START_TEST (test_reject_bad_values)
{
  struct Case {
    std::string (*run) ();
    const char *expect;
  };
  /* Each case edits one field of a good structure. */
  const Case cases[] = {
      {[] {
         GstStructure *s = sample<Gate> ().to_structure ();
         gst_structure_set (s, "state", G_TYPE_STRING, "ajar", nullptr);
         return parse_error<Gate> (s);
       },
       "prune-gate: field 'state' is 'ajar', expected one of: closed, open"},
      {[] {
         GstStructure *s = sample<Gate> ().to_structure ();
         gst_structure_set (s, "reason", G_TYPE_STRING, "static", nullptr);
         return parse_error<Gate> (s);
       },
       "does not go with state open"},
      {[] {
         GstStructure *s = sample<Gate> ().to_structure ();
         gst_structure_set (s, "score", G_TYPE_DOUBLE, 1.5, nullptr);
         return parse_error<Gate> (s);
       },
       "'score' is 1.500000, must be within [0, 1]"},
      {[] {
         GstStructure *s = sample<Beat> ().to_structure ();
         gst_structure_set (s, "bpm", G_TYPE_DOUBLE, 0.0, nullptr);
         return parse_error<Beat> (s);
       },
       "prune-beat: 'bpm' is 0.000000, must be > 0"},
      {[] {
         GstStructure *s = sample<Beat> ().to_structure ();
         gst_structure_set (s, "confidence", G_TYPE_DOUBLE, std::nan (""),
                            nullptr);
         return parse_error<Beat> (s);
       },
       "'confidence' is"},
      {[] {
         GstStructure *s = sample<Beat> ().to_structure ();
         gst_structure_set (s, "lock-state", G_TYPE_STRING, nullptr, nullptr);
         return parse_error<Beat> (s);
       },
       "field 'lock-state' is '', expected one of: searching, locked, lost"},
      {[] {
         GstStructure *s = sample<Tempo> ().to_structure ();
         gst_structure_set (s, "bpm", G_TYPE_DOUBLE, -1.0, nullptr);
         return parse_error<Tempo> (s);
       },
       "prune-tempo: 'bpm' is -1.000000, must be >= 0"},
      {[] {
         GstStructure *s = sample<SegmentStart> ().to_structure ();
         gst_structure_set (s, "running-time", G_TYPE_UINT64,
                            GST_CLOCK_TIME_NONE, nullptr);
         return parse_error<SegmentStart> (s);
       },
       "prune-segment-start: 'running-time' must be a valid time"},
      {[] {
         GstStructure *s = sample<SegmentStart> ().to_structure ();
         gst_structure_set (s, "reason", G_TYPE_STRING, "eos", nullptr);
         return parse_error<SegmentStart> (s);
       },
       "'reason' of a segment start must be motion or keep-alive"},
      {[] {
         GstStructure *s = sample<SegmentEnd> ().to_structure ();
         gst_structure_set (s, "reason", G_TYPE_STRING, "motion", nullptr);
         return parse_error<SegmentEnd> (s);
       },
       "'reason' of a segment end must be static or eos"},
      {[] {
         GstStructure *s = sample<SegmentClosed> ().to_structure ();
         gst_structure_set (s, "location", G_TYPE_STRING, "", nullptr);
         return parse_error<SegmentClosed> (s);
       },
       "prune-segment-closed: 'location' must not be empty"},
      {[] {
         GstStructure *s = sample<SegmentClosed> ().to_structure ();
         gst_structure_set (s, "reason", G_TYPE_STRING, "bored", nullptr);
         return parse_error<SegmentClosed> (s);
       },
       "expected one of: max-size-time, max-size-bytes, gate, beats, "
       "split-now, eos, stop"},
      {[] {
         GstStructure *s = sample<SegmentDeleted> ().to_structure ();
         gst_structure_set (s, "reason", G_TYPE_STRING, "MAX-FILES", nullptr);
         return parse_error<SegmentDeleted> (s);
       },
       "expected one of: max-files, max-total-bytes, max-age"},
      {[] {
         GstStructure *s = sample<PlaylistUpdated> ().to_structure ();
         gst_structure_set (s, "duration", G_TYPE_UINT64, GST_CLOCK_TIME_NONE,
                            nullptr);
         return parse_error<PlaylistUpdated> (s);
       },
       "prune-playlist-updated: 'duration' must be a valid time"},
      {[] {
         GstStructure *s = sample<Gate> ().to_structure ();
         gst_structure_set_name (s, "prune-gates");
         return parse_error<Gate> (s);
       },
       "prune-gate: structure is named 'prune-gates'"},
      {[] { return std::string (Gate::from_structure (nullptr).error ()); },
       "prune-gate: no structure"},
  };
  for (const Case &c : cases) {
    const std::string err = c.run ();
    fail_unless (contains (err, c.expect), "expected '%s' in '%s'", c.expect,
                 err.c_str ());
  }
}
GST_END_TEST;

GST_START_TEST (test_extra_fields_ignored)
{
  GstStructure *s = sample<Tempo> ().to_structure ();
  gst_structure_set (s, "from-the-future", G_TYPE_INT, 1, nullptr);
  auto out = Tempo::from_structure (s);
  fail_unless (bool (out), "%s", out.error ().c_str ());
  fail_unless (*out == sample<Tempo> ());
  gst_structure_free (s);
}
GST_END_TEST;

GST_START_TEST (test_wrong_carrier)
{
  /* An upstream event with the right structure is not a prune event. */
  GstEvent *up = gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                                       sample<Beat> ().to_structure ());
  auto beat = from_event<Beat> (up);
  fail_if (bool (beat));
  fail_unless_equals_string (beat.error ().c_str (),
                             "prune-beat: not a custom downstream event");
  auto up_oob = from_oob_event<Beat> (up);
  fail_if (bool (up_oob));
  fail_unless_equals_string (
      up_oob.error ().c_str (),
      "prune-beat: not an out-of-band custom downstream event");
  gst_event_unref (up);
  fail_if (bool (from_event<Beat> (nullptr)));
  fail_if (bool (from_oob_event<Gap> (nullptr)));

  /* A downstream event with another prune structure. */
  GstEvent *start = to_event (sample<SegmentStart> ());
  auto end = from_event<SegmentEnd> (start);
  fail_if (bool (end));
  fail_unless (
      contains (end.error (), "structure is named 'prune-segment-start'"));
  gst_event_unref (start);

  /* A message that is not an element message. */
  GstMessage *info =
      gst_message_new_application (nullptr, sample<Gate> ().to_structure ());
  auto gate = from_message<Gate> (info);
  fail_if (bool (gate));
  fail_unless_equals_string (gate.error ().c_str (),
                             "prune-gate: not an element message");
  gst_message_unref (info);
}
GST_END_TEST;

GST_START_TEST (test_enum_strings)
{
  fail_unless_equals_string (to_string (GateReason::KeepAlive), "keep-alive");
  fail_unless_equals_string (to_string (GateState::Closed), "closed");
  fail_unless_equals_string (to_string (LockState::Searching), "searching");
  fail_unless_equals_string (to_string (SplitReason::MaxSizeBytes),
                             "max-size-bytes");
  fail_unless_equals_string (to_string (DeleteReason::MaxAge), "max-age");
  fail_unless_equals_string (to_string (static_cast<GateState> (99)),
                             "invalid");
}
GST_END_TEST;

static Suite *
names_suite (void)
{
  Suite *s = suite_create ("names");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip_structure);
  tcase_add_test (tc, test_round_trip_event_and_message);
  tcase_add_test (tc, test_field_types);
  tcase_add_test (tc, test_names_are_distinct);
  tcase_add_test (tc, test_reject_missing_field);
  tcase_add_test (tc, test_reject_wrong_type);
  tcase_add_test (tc, test_reject_bad_values);
  tcase_add_test (tc, test_extra_fields_ignored);
  tcase_add_test (tc, test_wrong_carrier);
  tcase_add_test (tc, test_enum_strings);
  return s;
}

GST_CHECK_MAIN (names);

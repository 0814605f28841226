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

#include "playlist.h"

#include <glib/gstdio.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace prune {
namespace {

constexpr char kListMagic[] = "ffconcat version 1.0";
constexpr char kGenerator[] = "gst-prune";
constexpr char kListComment[] = "# written by gst-prune; next-index ";
constexpr int kIndexVersion = 2;

/* GLib strings, freed on scope exit. */
struct GFreeDeleter {
  void operator() (gchar *p) const { g_free (p); }
};
using GStr = std::unique_ptr<gchar, GFreeDeleter>;

std::string
quoted (const std::string &s)
{
  return "'" + s + "'";
}

std::string
u64 (guint64 v)
{
  return std::to_string (v);
}

/* ---------------------------------------------------------------------- */
/* Paths                                                                   */

bool
is_absolute (const std::string &p)
{
  return !p.empty () && p[0] == '/';
}

/* @p made absolute (against the current directory) with ".", ".." and
 * repeated slashes removed lexically. */
std::string
lexical_absolute (const std::string &p)
{
  std::string full = p;
  if (!is_absolute (p)) {
    GStr cwd (g_get_current_dir ());
    full = std::string (cwd.get ()) + "/" + p;
  }
  std::vector<std::string_view> parts;
  std::string_view rest (full);
  while (!rest.empty ()) {
    const std::size_t slash = rest.find ('/');
    const std::string_view part = rest.substr (0, slash);
    rest = slash == std::string_view::npos ? std::string_view ()
                                           : rest.substr (slash + 1);
    if (part.empty () || part == ".")
      continue;
    if (part == "..") {
      if (!parts.empty ())
        parts.pop_back ();
      continue;
    }
    parts.push_back (part);
  }
  std::string out;
  for (std::string_view part : parts) {
    out += '/';
    out += part;
  }
  return out.empty () ? "/" : out;
}

/* A directory's absolute canonical path: realpath () when it exists, else
 * the lexical form. */
std::string
resolve_dir (const std::string &dir)
{
  char *real = realpath (dir.c_str (), nullptr);
  if (real != nullptr) {
    std::string out (real);
    free (real);
    return out;
  }
  return lexical_absolute (dir);
}

std::string
dirname_of (const std::string &p)
{
  GStr d (g_path_get_dirname (p.c_str ()));
  return d.get ();
}

std::string
basename_of (const std::string &p)
{
  GStr b (g_path_get_basename (p.c_str ()));
  return b.get ();
}

/* ---------------------------------------------------------------------- */
/* Number and time text                                                    */

/* Seconds with 6 decimals, rounded to the microsecond. */
std::string
format_seconds (GstClockTime ns)
{
  const guint64 us = ns / 1000 + (ns % 1000 >= 500 ? 1 : 0);
  char buf[64];
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT ".%06" G_GUINT64_FORMAT,
              us / 1000000, us % 1000000);
  return buf;
}

/* Decimal digits only, no overflow. */
bool
parse_u64 (std::string_view s, guint64 &out)
{
  if (s.empty ())
    return false;
  guint64 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    const guint64 d = static_cast<guint64> (c - '0');
    if (v > (G_MAXUINT64 - d) / 10)
      return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

/* "S" or "S.FFF" (up to 9 decimals used, more are cut) into nanoseconds. */
bool
parse_seconds (std::string_view s, GstClockTime &out)
{
  const std::size_t dot = s.find ('.');
  guint64 secs = 0;
  if (!parse_u64 (s.substr (0, dot), secs))
    return false;
  guint64 frac = 0;
  if (dot != std::string_view::npos) {
    std::string_view f = s.substr (dot + 1);
    if (f.empty ())
      return false;
    for (char c : f)
      if (c < '0' || c > '9')
        return false;
    std::string digits (f.substr (0, 9));
    digits.resize (9, '0');
    parse_u64 (digits, frac);
  }
  if (secs > (G_MAXUINT64 - 1 - frac) / GST_SECOND)
    return false;
  out = secs * GST_SECOND + frac;
  return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant's algorithms). */
gint64
days_from_civil (gint64 y, unsigned m, unsigned d)
{
  y -= m <= 2;
  const gint64 era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned> (y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<gint64> (doe) - 719468;
}

void
civil_from_days (gint64 z, gint64 &y, unsigned &m, unsigned &d)
{
  z += 719468;
  const gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned> (z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<gint64> (yoe) + era * 400 + (m <= 2);
}

gint64
floor_div (gint64 a, gint64 b)
{
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* "2026-03-01T12:00:00.000000Z" */
std::string
format_wallclock (gint64 us)
{
  const gint64 secs = floor_div (us, G_USEC_PER_SEC);
  const gint64 usec = us - secs * G_USEC_PER_SEC;
  const gint64 days = floor_div (secs, 86400);
  const gint64 sod = secs - days * 86400;
  gint64 y;
  unsigned m, d;
  civil_from_days (days, y, m, d);
  char buf[80];
  g_snprintf (buf, sizeof buf,
              "%04" G_GINT64_FORMAT "-%02u-%02uT%02d:%02d:%02d.%06dZ", y, m, d,
              static_cast<int> (sod / 3600), static_cast<int> (sod / 60 % 60),
              static_cast<int> (sod % 60), static_cast<int> (usec));
  return buf;
}

/* Parses the form format_wallclock () writes; the fraction may have 0 to 9
 * digits and the zone may be "Z" or "+00:00". */
bool
parse_wallclock (std::string_view s, gint64 &out)
{
  auto num = [&s] (std::size_t pos, std::size_t len, unsigned &v) {
    if (pos + len > s.size ())
      return false;
    guint64 x;
    if (!parse_u64 (s.substr (pos, len), x))
      return false;
    v = static_cast<unsigned> (x);
    return true;
  };
  unsigned year, mon, day, hour, min, sec;
  if (!num (0, 4, year) || s.size () < 19 || s[4] != '-' || !num (5, 2, mon) ||
      s[7] != '-' || !num (8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !num (11, 2, hour) || s[13] != ':' || !num (14, 2, min) || s[16] != ':' ||
      !num (17, 2, sec))
    return false;
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (mon < 1 || mon > 12 || day < 1 ||
      day > kDays[mon - 1] + (mon == 2 && leap ? 1 : 0) || hour > 23 ||
      min > 59 || sec > 60)
    return false;
  std::size_t pos = 19;
  gint64 usec = 0;
  if (pos < s.size () && s[pos] == '.') {
    pos++;
    const std::size_t start = pos;
    while (pos < s.size () && s[pos] >= '0' && s[pos] <= '9')
      pos++;
    if (pos == start || pos - start > 9)
      return false;
    std::string digits (
        s.substr (start, std::min<std::size_t> (6, pos - start)));
    digits.resize (6, '0');
    guint64 x = 0;
    parse_u64 (digits, x);
    usec = static_cast<gint64> (x);
  }
  const std::string_view zone = s.substr (pos);
  if (zone != "Z" && zone != "z" && zone != "+00:00")
    return false;
  const gint64 days = days_from_civil (year, mon, day);
  out = ((days * 86400 + hour * 3600 + min * 60 + sec) * G_USEC_PER_SEC) + usec;
  return true;
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */

void
json_escape (std::string &out, const std::string &s)
{
  out += '"';
  std::size_t i = 0;
  while (i < s.size ()) {
    const auto c = static_cast<unsigned char> (s[i]);
    char buf[8];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char> (c);
      i++;
    } else if (c < 0x20 || c == 0x7f) {
      g_snprintf (buf, sizeof buf, "\\u%04x", c);
      out += buf;
      i++;
    } else if (c < 0x80) {
      out += static_cast<char> (c);
      i++;
    } else {
      /* A whole valid UTF-8 sequence is copied; a byte that does not start
       * one is written as a lone low surrogate (surrogateescape). */
      const std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
      if (len > 1 && i + len <= s.size () &&
          g_utf8_validate_len (s.data () + i, len, nullptr)) {
        out.append (s, i, len);
        i += len;
      } else {
        g_snprintf (buf, sizeof buf, "\\udc%02x", c);
        out += buf;
        i++;
      }
    }
  }
  out += '"';
}

struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  /* the number's text or the string's bytes */
  std::string text;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json *get (std::string_view key) const
  {
    for (const auto &[k, v] : members)
      if (k == key)
        return &v;
    return nullptr;
  }
};

/* A strict reader of RFC 8259 JSON, for files of a few megabytes at most. */
class JsonReader {
public:
  explicit JsonReader (std::string_view s) : s_ (s) {}

  bool parse (Json &out, std::string &error)
  {
    skip_ws ();
    if (!value (out, 0)) {
      error = error_;
      return false;
    }
    skip_ws ();
    if (pos_ != s_.size ()) {
      fail ("unexpected data after the end of the JSON value");
      error = error_;
      return false;
    }
    return true;
  }

private:
  static constexpr int kMaxDepth = 32;

  bool fail (const std::string &what)
  {
    if (!error_.empty ())
      return false;
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < pos_ && i < s_.size (); i++) {
      if (s_[i] == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    error_ = "line " + std::to_string (line) + ", column " +
             std::to_string (col) + ": " + what;
    return false;
  }

  bool at_end () const { return pos_ >= s_.size (); }

  void skip_ws ()
  {
    while (!at_end () && (s_[pos_] == ' ' || s_[pos_] == '\t' ||
                          s_[pos_] == '\n' || s_[pos_] == '\r'))
      pos_++;
  }

  bool expect (char c)
  {
    skip_ws ();
    if (at_end ())
      return fail (std::string ("unexpected end of input, expected '") + c +
                   "' (truncated file?)");
    if (s_[pos_] != c)
      return fail (std::string ("expected '") + c + "'");
    pos_++;
    return true;
  }

  bool literal (std::string_view word)
  {
    if (s_.substr (pos_, word.size ()) != word)
      return fail ("invalid value");
    pos_ += word.size ();
    return true;
  }

  bool value (Json &out, int depth)
  {
    if (depth > kMaxDepth)
      return fail ("nested too deeply");
    skip_ws ();
    if (at_end ())
      return fail ("unexpected end of input, expected a value (truncated "
                   "file?)");
    const char c = s_[pos_];
    switch (c) {
      case '{':
        return object (out, depth);
      case '[':
        return array (out, depth);
      case '"':
        out.kind = Json::Kind::String;
        return string (out.text);
      case 't':
        out.kind = Json::Kind::Bool;
        out.boolean = true;
        return literal ("true");
      case 'f':
        out.kind = Json::Kind::Bool;
        out.boolean = false;
        return literal ("false");
      case 'n':
        out.kind = Json::Kind::Null;
        return literal ("null");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          out.kind = Json::Kind::Number;
          return number (out.text);
        }
        return fail ("invalid value");
    }
  }

  bool object (Json &out, int depth)
  {
    out.kind = Json::Kind::Object;
    pos_++; /* '{' */
    skip_ws ();
    if (!at_end () && s_[pos_] == '}') {
      pos_++;
      return true;
    }
    while (true) {
      skip_ws ();
      if (at_end ())
        return fail ("unexpected end of input in an object (truncated file?)");
      if (s_[pos_] != '"')
        return fail ("expected a string as object key");
      std::string key;
      if (!string (key) || !expect (':'))
        return false;
      Json v;
      if (!value (v, depth + 1))
        return false;
      out.members.emplace_back (std::move (key), std::move (v));
      skip_ws ();
      if (at_end ())
        return fail ("unexpected end of input in an object (truncated file?)");
      if (s_[pos_] == '}') {
        pos_++;
        return true;
      }
      if (s_[pos_] != ',')
        return fail ("expected ',' or '}'");
      pos_++;
    }
  }

  bool array (Json &out, int depth)
  {
    out.kind = Json::Kind::Array;
    pos_++; /* '[' */
    skip_ws ();
    if (!at_end () && s_[pos_] == ']') {
      pos_++;
      return true;
    }
    while (true) {
      Json v;
      if (!value (v, depth + 1))
        return false;
      out.items.push_back (std::move (v));
      skip_ws ();
      if (at_end ())
        return fail ("unexpected end of input in an array (truncated file?)");
      if (s_[pos_] == ']') {
        pos_++;
        return true;
      }
      if (s_[pos_] != ',')
        return fail ("expected ',' or ']'");
      pos_++;
    }
  }

  bool number (std::string &out)
  {
    const std::size_t start = pos_;
    auto digits = [this] () {
      const std::size_t from = pos_;
      while (!at_end () && s_[pos_] >= '0' && s_[pos_] <= '9')
        pos_++;
      return pos_ - from;
    };
    if (s_[pos_] == '-')
      pos_++;
    if (!at_end () && s_[pos_] == '0')
      pos_++;
    else if (digits () == 0)
      return fail ("invalid number");
    if (!at_end () && s_[pos_] == '.') {
      pos_++;
      if (digits () == 0)
        return fail ("invalid number");
    }
    if (!at_end () && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      pos_++;
      if (!at_end () && (s_[pos_] == '+' || s_[pos_] == '-'))
        pos_++;
      if (digits () == 0)
        return fail ("invalid number");
    }
    out.assign (s_.substr (start, pos_ - start));
    return true;
  }

  bool hex4 (guint32 &out)
  {
    if (pos_ + 4 > s_.size ())
      return fail ("unexpected end of input in a \\u escape");
    guint32 v = 0;
    for (int i = 0; i < 4; i++) {
      const int d = g_ascii_xdigit_value (s_[pos_ + i]);
      if (d < 0)
        return fail ("invalid \\u escape");
      v = v * 16 + static_cast<guint32> (d);
    }
    pos_ += 4;
    out = v;
    return true;
  }

  static void append_utf8 (std::string &out, gunichar c)
  {
    char buf[8];
    const int n = g_unichar_to_utf8 (c, buf);
    out.append (buf, n);
  }

  bool string (std::string &out)
  {
    pos_++; /* '"' */
    out.clear ();
    while (true) {
      if (at_end ())
        return fail ("unexpected end of input in a string (truncated file?)");
      const auto c = static_cast<unsigned char> (s_[pos_]);
      if (c == '"') {
        pos_++;
        return true;
      }
      if (c < 0x20)
        return fail ("control character in a string");
      if (c != '\\') {
        out += static_cast<char> (c);
        pos_++;
        continue;
      }
      pos_++;
      if (at_end ())
        return fail ("unexpected end of input in a string (truncated file?)");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          guint32 u = 0;
          if (!hex4 (u))
            return false;
          if (u >= 0xd800 && u <= 0xdbff) {
            guint32 lo = 0;
            if (s_.substr (pos_, 2) != "\\u")
              return fail ("unpaired surrogate in a \\u escape");
            pos_ += 2;
            if (!hex4 (lo))
              return false;
            if (lo < 0xdc00 || lo > 0xdfff)
              return fail ("unpaired surrogate in a \\u escape");
            append_utf8 (out, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
          } else if (u >= 0xdc80 && u <= 0xdcff) {
            /* surrogateescape: a byte that is not UTF-8 */
            out += static_cast<char> (u - 0xdc00);
          } else if (u >= 0xdc00 && u <= 0xdfff) {
            return fail ("unpaired surrogate in a \\u escape");
          } else if (u == 0) {
            return fail ("\\u0000 in a string");
          } else {
            append_utf8 (out, u);
          }
          break;
        }
        default:
          pos_--;
          return fail ("invalid escape in a string");
      }
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string error_;
};

/* Reads one field of segment @n into the matching type, or explains. */
class SegmentFields {
public:
  SegmentFields (const Json &seg, std::size_t n) : seg_ (seg), n_ (n) {}

  const std::string &error () const { return error_; }

  /* A non-negative integer up to @max; null gives @null_value when
   * @nullable. */
  bool uint (const char *field, guint64 max, bool nullable, guint64 null_value,
             guint64 &out)
  {
    const Json *v = find (field);
    if (v == nullptr)
      return false;
    if (nullable && v->kind == Json::Kind::Null) {
      out = null_value;
      return true;
    }
    guint64 x;
    if (v->kind != Json::Kind::Number || !parse_u64 (v->text, x) || x > max)
      return fail (field, std::string ("must be ") +
                              (nullable ? "null or " : "") +
                              "an integer from 0 to " + u64 (max));
    out = x;
    return true;
  }

  bool string (const char *field, bool nullable, const std::string **out)
  {
    const Json *v = find (field);
    if (v == nullptr)
      return false;
    if (nullable && v->kind == Json::Kind::Null) {
      *out = nullptr;
      return true;
    }
    if (v->kind != Json::Kind::String)
      return fail (field,
                   nullable ? "must be a string or null" : "must be a string");
    *out = &v->text;
    return true;
  }

  bool fail (const char *field, const std::string &what)
  {
    error_ =
        "segment " + std::to_string (n_) + ": field '" + field + "' " + what;
    return false;
  }

private:
  const Json *find (const char *field)
  {
    const Json *v = seg_.get (field);
    if (v == nullptr)
      fail (field, "is missing");
    return v;
  }

  const Json &seg_;
  std::size_t n_;
  std::string error_;
};

bool
parse_reason (const std::string &s, SplitReason &out)
{
  for (int i = 0; i <= static_cast<int> (SplitReason::Stop); i++) {
    const auto r = static_cast<SplitReason> (i);
    if (s == to_string (r)) {
      out = r;
      return true;
    }
  }
  return false;
}

std::string
reason_choices ()
{
  std::string out;
  for (int i = 0; i <= static_cast<int> (SplitReason::Stop); i++) {
    if (!out.empty ())
      out += ", ";
    out += to_string (static_cast<SplitReason> (i));
  }
  return out;
}

/* ---------------------------------------------------------------------- */
/* ffconcat reading                                                        */

bool
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

/* One token like FFmpeg's av_get_token (): '...' is literal, a backslash
 * outside quotes escapes the next byte, blanks end the token. */
bool
list_token (std::string_view line, std::size_t &pos, std::string &out,
            std::string &error)
{
  out.clear ();
  while (pos < line.size () && !is_blank (line[pos])) {
    const char c = line[pos++];
    if (c == '\'') {
      const std::size_t end = line.find ('\'', pos);
      if (end == std::string_view::npos) {
        error = "unterminated quote";
        return false;
      }
      out.append (line.substr (pos, end - pos));
      pos = end + 1;
    } else if (c == '\\') {
      if (pos >= line.size ()) {
        error = "backslash at the end of the line";
        return false;
      }
      out += line[pos++];
    } else {
      out += c;
    }
  }
  return true;
}

void
skip_blanks (std::string_view line, std::size_t &pos)
{
  while (pos < line.size () && is_blank (line[pos]))
    pos++;
}

} // namespace

/* ---------------------------------------------------------------------- */
/* File replacement                                                        */

FileOps
FileOps::posix ()
{
  FileOps ops;
  ops.open = [] (const char *path, int flags, int mode) {
    return ::open (path, flags, static_cast<mode_t> (mode));
  };
  ops.write = [] (int fd, const void *buf, gsize count) {
    return static_cast<gssize> (::write (fd, buf, count));
  };
  ops.fsync = [] (int fd) {
    return ::fsync (fd);
  };
  ops.close = [] (int fd) {
    return ::close (fd);
  };
  ops.rename = [] (const char *from, const char *to) {
    return ::rename (from, to);
  };
  ops.unlink = [] (const char *path) {
    return ::unlink (path);
  };
  return ops;
}

bool
replace_file (const FileOps &ops, const std::string &path,
              const std::string &contents, const char *what, std::string &error)
{
  const std::string dir = dirname_of (path);
  const std::string tmp_name =
      "." + basename_of (path) + ".tmp-" + std::to_string (getpid ());
  const std::string tmp = dir == "." ? tmp_name : dir + "/" + tmp_name;
  const std::string head =
      std::string ("could not write ") + what + " " + quoted (path) + ": ";
  const std::string unchanged =
      std::string ("; the previous ") + what + " is unchanged";

  const int fd =
      ops.open (tmp.c_str (), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = head + "cannot create temporary file " + quoted (tmp) + ": " +
            g_strerror (errno) + unchanged;
    return false;
  }

  /* Before the rename: undo and explain. */
  auto abandon = [&] (const char *step, int err, bool close_fd) {
    if (close_fd)
      ops.close (fd);
    ops.unlink (tmp.c_str ());
    error = head + step + " " + quoted (tmp) + " failed: " + g_strerror (err) +
            unchanged;
    return false;
  };

  std::size_t done = 0;
  while (done < contents.size ()) {
    const gssize n =
        ops.write (fd, contents.data () + done, contents.size () - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return abandon ("write to temporary file", n < 0 ? errno : ENOSPC, true);
    done += static_cast<std::size_t> (n);
  }
  if (ops.fsync (fd) != 0)
    return abandon ("fsync of temporary file", errno, true);
  if (ops.close (fd) != 0)
    return abandon ("close of temporary file", errno, false);
  if (ops.rename (tmp.c_str (), path.c_str ()) != 0)
    return abandon ("rename over it of temporary file", errno, false);

  /* The new file is in place; make the rename itself durable. */
  const int dfd =
      ops.open (dir.c_str (), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd < 0) {
    error = head + "it was replaced, but its directory " + quoted (dir) +
            " could not be opened to sync it: " + g_strerror (errno);
    return false;
  }
  /* Some file systems cannot sync a directory (EINVAL); nothing to do. */
  if (ops.fsync (dfd) != 0 && errno != EINVAL && errno != ENOTSUP) {
    const int err = errno;
    ops.close (dfd);
    error = head + "it was replaced, but fsync of its directory " +
            quoted (dir) + " failed: " + g_strerror (err);
    return false;
  }
  ops.close (dfd);
  return true;
}

/* ---------------------------------------------------------------------- */
/* Playlist                                                                */

Playlist::Playlist (std::string playlist_path, std::string index_path,
                    FileOps ops)
    : playlist_path_ (std::move (playlist_path)),
      index_path_ (std::move (index_path)), ops_ (std::move (ops))
{}

Parsed<std::string>
Playlist::check_location (const std::string &location)
{
  if (location.empty ())
    return ParseError{"the file name is empty"};
  const char *bad = nullptr;
  if (location.find ('\n') != std::string::npos)
    bad = "a newline";
  else if (location.find ('\r') != std::string::npos)
    bad = "a carriage return";
  else if (location.find ('\0') != std::string::npos)
    bad = "a NUL byte";
  if (bad != nullptr) {
    GStr printable (g_strescape (location.c_str (), nullptr));
    return ParseError{std::string ("the file name '") + printable.get () +
                      "' contains " + bad +
                      ", which an ffconcat list cannot carry"};
  }
  if (location.back () == '/')
    return ParseError{"the file name '" + location +
                      "' ends with '/' (a directory)"};
  const std::string base = basename_of (location);
  if (base == "." || base == "..")
    return ParseError{"the file name '" + location + "' names no file"};
  return location;
}

std::string
Playlist::list_path_for (const std::string &location,
                         const std::string &list_dir)
{
  const std::string dir = resolve_dir (list_dir);
  std::string loc_dir = resolve_dir (dirname_of (location));
  const std::string abs =
      (loc_dir == "/" ? "" : loc_dir) + "/" + basename_of (location);
  if (dir == "/")
    return abs.substr (1);
  if (abs.size () > dir.size () + 1 && abs.compare (0, dir.size (), dir) == 0 &&
      abs[dir.size ()] == '/')
    return abs.substr (dir.size () + 1);
  return abs;
}

std::string
Playlist::list_dir () const
{
  return dirname_of (playlist_path_);
}

std::string
Playlist::index_dir () const
{
  return dirname_of (index_path_);
}

Playlist::Written
Playlist::written_for (const std::string &location) const
{
  Written w;
  if (!playlist_path_.empty ())
    w.list = list_path_for (location, list_dir ());
  if (!index_path_.empty ())
    w.index = list_path_for (location, index_dir ());
  return w;
}

guint64
Playlist::total_bytes () const
{
  guint64 sum = 0;
  for (const PlaylistEntry &e : entries_)
    sum += e.bytes;
  return sum;
}

GstClockTime
Playlist::total_duration () const
{
  GstClockTime sum = 0;
  for (const PlaylistEntry &e : entries_)
    if (GST_CLOCK_TIME_IS_VALID (e.duration))
      sum += e.duration;
  return sum;
}

std::string
Playlist::ffconcat_text () const
{
  std::string out;
  out += kListMagic;
  out += '\n';
  out += kListComment + u64 (next_index_) + "\n";
  for (std::size_t i = 0; i < entries_.size (); i++) {
    out += "file '";
    for (char c : written_[i].list) {
      if (c == '\'')
        out += "'\\''";
      else
        out += c;
    }
    out += "'\n";
    if (GST_CLOCK_TIME_IS_VALID (entries_[i].duration))
      out += "duration " + format_seconds (entries_[i].duration) + "\n";
  }
  return out;
}

std::string
Playlist::index_text () const
{
  std::string out;
  out += "{\n  \"version\": " + std::to_string (kIndexVersion) + ",\n";
  out += std::string ("  \"generator\": \"") + kGenerator + "\",\n";
  out += "  \"next-index\": " + u64 (next_index_) + ",\n";
  out += "  \"segments\": [";
  for (std::size_t i = 0; i < entries_.size (); i++) {
    const PlaylistEntry &e = entries_[i];
    auto time = [] (GstClockTime t) {
      return GST_CLOCK_TIME_IS_VALID (t) ? u64 (t) : std::string ("null");
    };
    out += i == 0 ? "\n" : ",\n";
    out += "    {\"index\": " + u64 (e.index) + ", \"location\": ";
    json_escape (out, written_[i].index);
    out += ", \"start-running-time\": " + time (e.start_running_time);
    out += ", \"start-wallclock\": ";
    if (e.start_wallclock_us != 0)
      out += "\"" + format_wallclock (e.start_wallclock_us) + "\"";
    else
      out += "null";
    out += ", \"duration\": " + time (e.duration);
    out += ", \"bytes\": " + u64 (e.bytes);
    out += std::string (", \"reason\": \"") + to_string (e.reason) + "\"}";
  }
  out += entries_.empty () ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

bool
Playlist::write_list (std::string &error)
{
  if (playlist_path_.empty ())
    return true;
  return replace_file (ops_, playlist_path_, ffconcat_text (), "playlist",
                       error);
}

bool
Playlist::write_index (std::string &error)
{
  if (index_path_.empty ())
    return true;
  return replace_file (ops_, index_path_, index_text (), "index", error);
}

bool
Playlist::save (std::string &error)
{
  return write_index (error) && write_list (error);
}

bool
Playlist::add (const PlaylistEntry &e, std::string &error)
{
  auto checked = check_location (e.location);
  if (!checked) {
    error = "cannot list file " + std::to_string (e.index) + ": " +
            checked.error ();
    return false;
  }
  if (e.index < next_index_) {
    error = "cannot list " + quoted (e.location) + ": its index " +
            std::to_string (e.index) + " is below the next free index " +
            u64 (next_index_) + " (file names must not be reused)";
    return false;
  }
  entries_.push_back (e);
  written_.push_back (written_for (e.location));
  /* Advanced even if the writes fail: the file exists, its name is used. */
  next_index_ = static_cast<guint64> (e.index) + 1;
  /* Index first: the index always lists a superset of the list. */
  if (!write_index (error) || !write_list (error)) {
    entries_.pop_back ();
    written_.pop_back ();
    return false;
  }
  return true;
}

bool
Playlist::remove_front (std::size_t count, std::string &error)
{
  if (count > entries_.size ()) {
    error = "cannot remove " + std::to_string (count) +
            " entries from the playlist: only " +
            std::to_string (entries_.size ()) + " listed";
    return false;
  }
  if (count == 0)
    return true;
  std::vector<PlaylistEntry> old_entries = entries_;
  std::vector<Written> old_written = written_;
  entries_.erase (entries_.begin (), entries_.begin () + count);
  written_.erase (written_.begin (), written_.begin () + count);
  /* List first: the index always lists a superset of the list. */
  if (!write_list (error) || !write_index (error)) {
    entries_ = std::move (old_entries);
    written_ = std::move (old_written);
    return false;
  }
  return true;
}

bool
Playlist::remove (guint index, std::string &error)
{
  for (std::size_t i = 0; i < entries_.size (); i++) {
    if (entries_[i].index != index)
      continue;
    PlaylistEntry old_entry = entries_[i];
    Written old_written = written_[i];
    entries_.erase (entries_.begin () + i);
    written_.erase (written_.begin () + i);
    if (!write_list (error) || !write_index (error)) {
      entries_.insert (entries_.begin () + i, std::move (old_entry));
      written_.insert (written_.begin () + i, std::move (old_written));
      return false;
    }
    return true;
  }
  error = "cannot remove file " + std::to_string (index) +
          " from the playlist: it is not listed";
  return false;
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */

namespace {

/* Removes the temporary files `.BASENAME.tmp-PID` that replace_file ()
 * left beside @path when a process was killed while writing. */
void
remove_stale_temporaries (const FileOps &ops, const std::string &path)
{
  const std::string dir = dirname_of (path);
  const std::string prefix = "." + basename_of (path) + ".tmp-";
  GDir *d = g_dir_open (dir.c_str (), 0, nullptr);
  if (d == nullptr)
    return;
  while (const gchar *name = g_dir_read_name (d)) {
    guint64 pid;
    if (g_str_has_prefix (name, prefix.c_str ()) &&
        parse_u64 (name + prefix.size (), pid))
      ops.unlink ((dir + "/" + name).c_str ());
  }
  g_dir_close (d);
}

/* Reads @path; false with @missing set when it does not exist. */
bool
read_file (const std::string &path, const char *what, std::string &out,
           bool &missing, std::string &error)
{
  gchar *data = nullptr;
  gsize len = 0;
  GError *err = nullptr;
  missing = false;
  if (!g_file_get_contents (path.c_str (), &data, &len, &err)) {
    missing = g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    error = std::string ("cannot read ") + what + " " + quoted (path) + ": " +
            err->message;
    g_error_free (err);
    return false;
  }
  out.assign (data, len);
  g_free (data);
  return true;
}

} // namespace

bool
Playlist::load (std::string &error)
{
  std::string text;
  bool missing = false;
  for (const std::string *path : {&index_path_, &playlist_path_})
    if (!path->empty ())
      remove_stale_temporaries (ops_, *path);
  if (!index_path_.empty ()) {
    if (read_file (index_path_, "index", text, missing, error)) {
      if (!load_index (text, error)) {
        error = "index " + quoted (index_path_) + ": " + error;
        return false;
      }
      return true;
    }
    if (!missing)
      return false;
  }
  if (!playlist_path_.empty ()) {
    if (read_file (playlist_path_, "playlist", text, missing, error)) {
      if (!load_list (text, error)) {
        error = "playlist " + quoted (playlist_path_) + ": " + error;
        return false;
      }
      return true;
    }
    if (!missing)
      return false;
  }
  /* Nothing on disk: a new playlist. */
  error.clear ();
  entries_.clear ();
  written_.clear ();
  next_index_ = 0;
  return true;
}

bool
Playlist::load_index (const std::string &text, std::string &error)
{
  Json root;
  if (!JsonReader (text).parse (root, error))
    return false;

  const Json *segments = nullptr;
  guint64 next = 0;
  /* Version 1 (and a bare array) stored locations as given to the
   * element; version 2 relative to the index's directory. */
  bool relative_to_index = false;
  if (root.kind == Json::Kind::Array) {
    segments = &root;
  } else if (root.kind == Json::Kind::Object) {
    if (const Json *v = root.get ("version")) {
      if (v->kind != Json::Kind::Number || (v->text != "1" && v->text != "2")) {
        error = "unsupported 'version' " +
                (v->kind == Json::Kind::Number ? v->text : "(not a number)") +
                " (this reader knows versions 1 and 2)";
        return false;
      }
      relative_to_index = v->text == "2";
    }
    if (const Json *v = root.get ("next-index")) {
      if (v->kind != Json::Kind::Number || !parse_u64 (v->text, next) ||
          next > static_cast<guint64> (G_MAXUINT) + 1) {
        error = "'next-index' must be an integer from 0 to " +
                u64 (static_cast<guint64> (G_MAXUINT) + 1);
        return false;
      }
    }
    segments = root.get ("segments");
    if (segments == nullptr) {
      error = "no 'segments' array: not a gst-prune index";
      return false;
    }
    if (segments->kind != Json::Kind::Array) {
      error = "'segments' must be an array";
      return false;
    }
  } else {
    error = "expected a JSON object with a 'segments' array: not a gst-prune "
            "index";
    return false;
  }

  const std::string dir = index_dir ();
  std::vector<PlaylistEntry> entries;
  std::vector<Written> written;
  entries.reserve (segments->items.size ());
  written.reserve (segments->items.size ());
  for (std::size_t n = 0; n < segments->items.size (); n++) {
    const Json &seg = segments->items[n];
    if (seg.kind != Json::Kind::Object) {
      error = "segment " + std::to_string (n) + ": not an object";
      return false;
    }
    SegmentFields f (seg, n);
    PlaylistEntry e;
    guint64 index, running, duration, bytes;
    const std::string *location, *wallclock, *reason;
    if (!f.uint ("index", G_MAXUINT, false, 0, index) ||
        !f.string ("location", false, &location) ||
        !f.uint ("start-running-time", G_MAXUINT64, true, GST_CLOCK_TIME_NONE,
                 running) ||
        !f.string ("start-wallclock", true, &wallclock) ||
        !f.uint ("duration", G_MAXUINT64, true, GST_CLOCK_TIME_NONE,
                 duration) ||
        !f.uint ("bytes", G_MAXUINT64, false, 0, bytes) ||
        !f.string ("reason", false, &reason)) {
      error = f.error ();
      return false;
    }
    auto checked = check_location (*location);
    if (!checked) {
      f.fail ("location", "is invalid: " + checked.error ());
      error = f.error ();
      return false;
    }
    if (wallclock != nullptr &&
        !parse_wallclock (*wallclock, e.start_wallclock_us)) {
      f.fail ("start-wallclock",
              "is '" + *wallclock +
                  "', expected ISO 8601 UTC like 2026-03-01T12:00:00.000000Z");
      error = f.error ();
      return false;
    }
    if (!parse_reason (*reason, e.reason)) {
      f.fail ("reason",
              "is '" + *reason + "', expected one of: " + reason_choices ());
      error = f.error ();
      return false;
    }
    e.index = static_cast<guint> (index);
    e.location = !relative_to_index || is_absolute (*location) || dir == "."
                     ? *location
                     : dir + "/" + *location;
    e.start_running_time = running;
    e.duration = duration;
    e.bytes = bytes;
    next = std::max (next, index + 1);
    Written w = written_for (e.location);
    if (relative_to_index)
      w.index = *location;
    written.push_back (std::move (w));
    entries.push_back (std::move (e));
  }

  entries_ = std::move (entries);
  written_ = std::move (written);
  next_index_ = next;
  return true;
}

bool
Playlist::load_list (const std::string &text, std::string &error)
{
  std::vector<PlaylistEntry> entries;
  std::vector<Written> written;
  guint64 next = 0;
  const std::string dir = list_dir ();
  std::string_view rest (text);
  std::size_t line_no = 0;
  auto fail = [&line_no, &error] (const std::string &what) {
    error = "line " + std::to_string (line_no) + ": " + what;
    return false;
  };

  while (!rest.empty ()) {
    const std::size_t nl = rest.find ('\n');
    std::string_view line = rest.substr (0, nl);
    rest = nl == std::string_view::npos ? std::string_view ()
                                        : rest.substr (nl + 1);
    line_no++;
    if (!line.empty () && line.back () == '\r')
      line.remove_suffix (1);
    if (line.find ('\0') != std::string_view::npos)
      return fail ("NUL byte: not an ffconcat list");
    if (line_no == 1) {
      std::string_view magic = line;
      while (!magic.empty () && is_blank (magic.back ()))
        magic.remove_suffix (1);
      if (magic != kListMagic)
        return fail ("not an ffconcat list (the first line must be '" +
                     std::string (kListMagic) + "')");
      continue;
    }
    std::size_t pos = 0;
    skip_blanks (line, pos);
    if (pos == line.size ())
      continue;
    if (line[pos] == '#') {
      const std::string_view comment = line.substr (pos);
      const std::size_t plen = std::strlen (kListComment);
      guint64 v;
      if (comment.substr (0, plen) == kListComment &&
          parse_u64 (comment.substr (plen), v))
        next = std::max (next, v);
      continue;
    }
    std::string keyword, arg, token_error;
    if (!list_token (line, pos, keyword, token_error))
      return fail (token_error);
    skip_blanks (line, pos);
    if (keyword == "file") {
      if (!list_token (line, pos, arg, token_error))
        return fail (token_error);
      if (arg.empty ())
        return fail ("'file' without a path");
      PlaylistEntry e;
      e.location = is_absolute (arg) || dir == "." ? arg : dir + "/" + arg;
      auto checked = check_location (e.location);
      if (!checked)
        return fail (checked.error ());
      e.reason = SplitReason::Stop;
      GStatBuf st;
      if (g_stat (e.location.c_str (), &st) == 0)
        e.bytes = static_cast<guint64> (st.st_size);
      Written w;
      w.list = arg;
      if (!index_path_.empty ())
        w.index = list_path_for (e.location, index_dir ());
      entries.push_back (std::move (e));
      written.push_back (std::move (w));
    } else if (keyword == "duration") {
      if (entries.empty ())
        return fail ("'duration' before any 'file'");
      if (!list_token (line, pos, arg, token_error))
        return fail (token_error);
      if (!parse_seconds (arg, entries.back ().duration))
        return fail ("duration '" + arg +
                     "' is not a number of seconds like 2.000000");
    } else {
      return fail ("unsupported directive '" + keyword +
                   "' (this reader knows file, duration and comments)");
    }
    skip_blanks (line, pos);
    if (pos != line.size ())
      return fail ("unexpected text after '" + keyword + "'");
  }
  if (line_no == 0) {
    error = "empty file: not an ffconcat list";
    return false;
  }

  /* Indexes count up to the recorded next index. */
  next = std::max<guint64> (next, entries.size ());
  for (std::size_t i = 0; i < entries.size (); i++) {
    const guint64 index = next - entries.size () + i;
    if (index > G_MAXUINT) {
      error = "next-index " + u64 (next) + " is out of range";
      return false;
    }
    entries[i].index = static_cast<guint> (index);
  }
  entries_ = std::move (entries);
  written_ = std::move (written);
  next_index_ = next;
  return true;
}

} // namespace prune

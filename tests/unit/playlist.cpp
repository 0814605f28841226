/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Unit tests of gst/prune/playlist.h: the exact ffconcat and JSON texts,
 * quoting, relative and absolute paths, rejected names, retention,
 * injected I/O failures (the old files stay byte-identical, no temporary
 * file is left), resume with load (), garbage input, and the real ffmpeg
 * reading the lists (skipped when ffmpeg or ffprobe is not installed).
 */
#include <gst/check/gstcheck.h>
#include <gst/prune/playlist.h>

#include <glib/gstdio.h>

#include <cerrno>
#include <set>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

using namespace prune;

namespace {

bool
contains (const std::string &haystack, const std::string &needle)
{
  return haystack.find (needle) != std::string::npos;
}

std::string
read_text (const std::string &path)
{
  gchar *data = nullptr;
  gsize len = 0;
  fail_unless (g_file_get_contents (path.c_str (), &data, &len, nullptr),
               "cannot read %s", path.c_str ());
  std::string out (data, len);
  g_free (data);
  return out;
}

void
write_text (const std::string &path, const std::string &text)
{
  fail_unless (g_file_set_contents (path.c_str (), text.data (),
                                    static_cast<gssize> (text.size ()),
                                    nullptr),
               "cannot write %s", path.c_str ());
}

bool
exists (const std::string &path)
{
  return g_file_test (path.c_str (), G_FILE_TEST_EXISTS);
}

void
remove_tree (const std::string &path)
{
  if (g_file_test (path.c_str (), G_FILE_TEST_IS_DIR) &&
      !g_file_test (path.c_str (), G_FILE_TEST_IS_SYMLINK)) {
    GDir *dir = g_dir_open (path.c_str (), 0, nullptr);
    if (dir != nullptr) {
      while (const gchar *name = g_dir_read_name (dir))
        remove_tree (path + "/" + name);
      g_dir_close (dir);
    }
  }
  g_remove (path.c_str ());
}

/* Names in a directory (hidden ones included). */
std::set<std::string>
listing (const std::string &path)
{
  std::set<std::string> out;
  GDir *dir = g_dir_open (path.c_str (), 0, nullptr);
  fail_unless (dir != nullptr);
  while (const gchar *name = g_dir_read_name (dir))
    out.insert (name);
  g_dir_close (dir);
  return out;
}

/* A fresh directory under $TMPDIR, removed with everything in it. */
class TmpDir {
public:
  TmpDir ()
  {
    gchar *p = g_dir_make_tmp ("prune-playlist-XXXXXX", nullptr);
    fail_unless (p != nullptr);
    /* realpath: $TMPDIR may be a symbolic link */
    char *real = realpath (p, nullptr);
    path_ = real;
    free (real);
    g_free (p);
  }
  ~TmpDir () { remove_tree (path_); }
  TmpDir (const TmpDir &) = delete;
  TmpDir &operator= (const TmpDir &) = delete;

  const std::string &path () const { return path_; }
  std::string operator/ (const std::string &name) const
  {
    return path_ + "/" + name;
  }

private:
  std::string path_;
};

PlaylistEntry
entry (guint index, const std::string &location,
       GstClockTime duration = 2 * GST_SECOND, guint64 bytes = 1000)
{
  PlaylistEntry e;
  e.index = index;
  e.location = location;
  e.start_running_time = index * 2 * GST_SECOND;
  e.start_wallclock_us = 1772366400123456 + index * G_USEC_PER_SEC;
  e.duration = duration;
  e.bytes = bytes;
  e.reason = SplitReason::MaxSizeTime;
  return e;
}

void
add_ok (Playlist &p, const PlaylistEntry &e)
{
  std::string error;
  fail_unless (p.add (e, error), "add %s: %s", e.location.c_str (),
               error.c_str ());
  fail_unless (error.empty ());
}

/* Like fail_unless_equals_string, for std::string (and temporaries). */
#define fail_unless_equals_str(a, b)                                           \
  G_STMT_START                                                                 \
  {                                                                            \
    const std::string first_ = (a);                                            \
    const std::string second_ = (b);                                           \
    fail_unless (first_ == second_, "'%s' is\n%s\nexpected\n%s", #a,           \
                 first_.c_str (), second_.c_str ());                           \
  }                                                                            \
  G_STMT_END

constexpr char kHeader[] = "ffconcat version 1.0\n"
                           "# written by gst-prune; next-index ";

/* ---------------------------------------------------------------------- */
/* Injected failures                                                       */

enum class Op { Open, Write, Fsync, Close, Rename, OpenDir, FsyncDir };

/* Real system calls, except that the @nth (from 1) call of @op fails with
 * @err; counts every call. */
struct Injector {
  Op op = Op::Write;
  int nth = 0; /* 0: never fail */
  int err = 0;
  int calls[7] = {};
  std::set<int> dir_fds;
  gsize max_write = G_MAXSIZE; /* short writes */
  int eintr = 0;               /* writes that fail with EINTR first */

  bool hit (Op o)
  {
    const int n = ++calls[static_cast<int> (o)];
    if (o == op && n == nth) {
      errno = err;
      return true;
    }
    return false;
  }

  FileOps ops ()
  {
    FileOps real = FileOps::posix ();
    FileOps f = real;
    f.open = [this, real] (const char *path, int flags, int mode) {
      const bool is_dir = (flags & O_DIRECTORY) != 0;
      if (hit (is_dir ? Op::OpenDir : Op::Open))
        return -1;
      const int fd = real.open (path, flags, mode);
      if (is_dir && fd >= 0)
        dir_fds.insert (fd);
      return fd;
    };
    f.write = [this, real] (int fd, const void *buf, gsize count) -> gssize {
      if (eintr > 0) {
        eintr--;
        errno = EINTR;
        return -1;
      }
      if (hit (Op::Write))
        return -1;
      return real.write (fd, buf, MIN (count, max_write));
    };
    f.fsync = [this, real] (int fd) {
      if (hit (dir_fds.count (fd) ? Op::FsyncDir : Op::Fsync))
        return -1;
      return real.fsync (fd);
    };
    f.close = [this, real] (int fd) {
      const bool is_dir = dir_fds.erase (fd) > 0;
      const int r = real.close (fd);
      if (!is_dir && hit (Op::Close))
        return -1;
      return r;
    };
    f.rename = [this, real] (const char *from, const char *to) {
      if (hit (Op::Rename))
        return -1;
      return real.rename (from, to);
    };
    return f;
  }
};

bool
has_temp_file (const std::string &dir)
{
  for (const std::string &name : listing (dir))
    if (contains (name, ".tmp-"))
      return true;
  return false;
}

} // namespace

/* ---------------------------------------------------------------------- */

GST_START_TEST (test_round_trip)
{
  TmpDir d;
  const std::string list = d / "list.ffconcat";
  const std::string index = d / "index.json";
  const std::vector<std::string> names = {
      "a b.mp4",
      "it's 'quoted'.mp4",
      "double \"q\" \xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.mp4",
      "#hash # .mp4",
      "tab\there back\\slash.mp4",
      "seg00006.mp4",
  };
  std::vector<PlaylistEntry> in;
  Playlist p (list, index);
  for (std::size_t i = 0; i < names.size (); i++) {
    write_text (d / names[i], std::string (100 + i, 'x'));
    PlaylistEntry e = entry (i + 1, d / names[i], 2 * GST_SECOND, 100 + i);
    e.reason = static_cast<SplitReason> (i % 7);
    if (i == 2)
      e.duration = 1500 * GST_MSECOND;
    if (i == 3) {
      e.start_wallclock_us = 0;
      e.start_running_time = GST_CLOCK_TIME_NONE;
    }
    if (i == 5)
      e.duration = GST_CLOCK_TIME_NONE;
    in.push_back (e);
    add_ok (p, e);
  }
  const std::string expected = std::string (kHeader) +
                               "7\n"
                               "file 'a b.mp4'\n"
                               "duration 2.000000\n"
                               "file 'it'\\''s '\\''quoted'\\''.mp4'\n"
                               "duration 2.000000\n"
                               "file 'double \"q\" \xc3\xa9 "
                               "\xe6\x97\xa5\xe6\x9c\xac.mp4'\n"
                               "duration 1.500000\n"
                               "file '#hash # .mp4'\n"
                               "duration 2.000000\n"
                               "file 'tab\there back\\slash.mp4'\n"
                               "duration 2.000000\n"
                               "file 'seg00006.mp4'\n";
  fail_unless_equals_str (read_text (list).c_str (), expected.c_str ());
  fail_unless_equals_str (p.ffconcat_text ().c_str (), expected.c_str ());
  fail_unless_equals_str (read_text (index).c_str (), p.index_text ().c_str ());
  fail_unless (p.entries () == in);

  /* Resume from the index: every field comes back. */
  Playlist q (list, index);
  std::string error;
  fail_unless (q.load (error), "%s", error.c_str ());
  fail_unless_equals_int (q.entries ().size (), in.size ());
  for (std::size_t i = 0; i < in.size (); i++)
    fail_unless (q.entries ()[i] == in[i], "entry %u differs after load",
                 (guint)i);
  fail_unless_equals_int (q.next_index (), 7);
  fail_unless_equals_str (q.ffconcat_text ().c_str (), expected.c_str ());

  /* Resume from the list alone: locations, durations, sizes, indexes. */
  Playlist r (list, "");
  fail_unless (r.load (error), "%s", error.c_str ());
  fail_unless_equals_int (r.entries ().size (), in.size ());
  for (std::size_t i = 0; i < in.size (); i++) {
    const PlaylistEntry &e = r.entries ()[i];
    fail_unless_equals_str (e.location.c_str (), in[i].location.c_str ());
    fail_unless_equals_uint64 (e.duration, in[i].duration);
    fail_unless_equals_uint64 (e.bytes, 100 + i);
    fail_unless_equals_int (e.index, in[i].index);
    fail_unless_equals_uint64 (e.start_running_time, GST_CLOCK_TIME_NONE);
    fail_unless_equals_int (e.start_wallclock_us, 0);
  }
  fail_unless_equals_int (r.next_index (), 7);
  fail_unless_equals_str (r.ffconcat_text ().c_str (), expected.c_str ());

  /* Resume and continue: new entries are appended. */
  add_ok (q, entry (7, d / "seg00007.mp4"));
  fail_unless (contains (read_text (list), "file 'tab\there back\\slash.mp4'\n"
                                           "duration 2.000000\n"
                                           "file 'seg00006.mp4'\n"
                                           "file 'seg00007.mp4'\n"
                                           "duration 2.000000\n"));
  fail_unless (contains (read_text (list), "next-index 8\n"));
}
GST_END_TEST;

GST_START_TEST (test_index_text)
{
  TmpDir d;
  Playlist p ("", d / "index.json");
  PlaylistEntry a =
      entry (3, d / "out/a \"b\"\\c\td\x01\x7f\xc3\xa9\xe6\x97\xa5");
  a.start_wallclock_us = 1772366400123456;
  a.start_running_time = 0;
  a.duration = 2 * GST_SECOND;
  a.bytes = 123456789012ULL;
  a.reason = SplitReason::SplitNow;
  PlaylistEntry b = entry (4, "/abs/\xff\xfe bad utf8 \xe6\x97.mp4");
  b.start_wallclock_us = 0;
  b.start_running_time = GST_CLOCK_TIME_NONE;
  b.duration = GST_CLOCK_TIME_NONE;
  b.bytes = 0;
  b.reason = SplitReason::Eos;
  PlaylistEntry c = entry (9, d / "c.mp4");
  c.start_wallclock_us = 951782400000001; /* leap day */
  add_ok (p, a);
  add_ok (p, b);
  add_ok (p, c);
  const char *expected =
      "{\n"
      "  \"version\": 2,\n"
      "  \"generator\": \"gst-prune\",\n"
      "  \"next-index\": 10,\n"
      "  \"segments\": [\n"
      "    {\"index\": 3, \"location\": \"out/a \\\"b\\\"\\\\c\\u0009d\\u0001"
      "\\u007f\xc3\xa9\xe6\x97\xa5\", \"start-running-time\": 0, "
      "\"start-wallclock\": \"2026-03-01T12:00:00.123456Z\", \"duration\": "
      "2000000000, \"bytes\": 123456789012, \"reason\": \"split-now\"},\n"
      "    {\"index\": 4, \"location\": \"/abs/\\udcff\\udcfe bad utf8 "
      "\\udce6\\udc97.mp4\", \"start-running-time\": null, "
      "\"start-wallclock\": null, \"duration\": null, \"bytes\": 0, "
      "\"reason\": \"eos\"},\n"
      "    {\"index\": 9, \"location\": \"c.mp4\", \"start-running-time\": "
      "18000000000, \"start-wallclock\": \"2000-02-29T00:00:00.000001Z\", "
      "\"duration\": 2000000000, \"bytes\": 1000, \"reason\": "
      "\"max-size-time\"}\n"
      "  ]\n"
      "}\n";
  fail_unless_equals_str (read_text (d / "index.json").c_str (), expected);
  fail_if (exists (d / "list.ffconcat"));

  Playlist q ("", d / "index.json");
  std::string error;
  fail_unless (q.load (error), "%s", error.c_str ());
  fail_unless (q.entries () == p.entries ());
  fail_unless_equals_int (q.next_index (), 10);

  /* Escapes written by other tools: surrogate pairs, \/, \n-style. */
  write_text (d / "index.json",
              "[{\"index\": 1, \"location\": \"\\ud83d\\ude00\\/\\u00e9\\t\","
              " \"start-running-time\": 5, \"start-wallclock\": "
              "\"2026-03-01T12:00:00+00:00\", \"duration\": 7, \"bytes\": 8, "
              "\"reason\": \"gate\", \"future-field\": [1, {\"x\": null}]}]");
  fail_unless (q.load (error), "%s", error.c_str ());
  fail_unless_equals_int (q.entries ().size (), 1);
  const PlaylistEntry &e = q.entries ()[0];
  fail_unless_equals_str (e.location.c_str (), "\xf0\x9f\x98\x80/\xc3\xa9\t");
  fail_unless_equals_int64 (e.start_wallclock_us, 1772366400000000);
  fail_unless_equals_uint64 (e.start_running_time, 5);
  fail_unless_equals_uint64 (e.duration, 7);
  fail_unless_equals_uint64 (e.bytes, 8);
  fail_unless (e.reason == SplitReason::Gate);
  fail_unless_equals_int (q.next_index (), 2);
}
GST_END_TEST;

GST_START_TEST (test_relative_and_absolute)
{
  TmpDir d, elsewhere;
  fail_unless (g_mkdir ((d / "sub").c_str (), 0755) == 0);
  fail_unless (g_mkdir ((d / "sub/deeper").c_str (), 0755) == 0);
  fail_unless (symlink ((d / "sub").c_str (), (d / "link").c_str ()) == 0);

  Playlist p (d / "list.ffconcat", "");
  add_ok (p, entry (1, d / "a.mp4"));
  add_ok (p, entry (2, d / "sub/b.mp4"));
  add_ok (p, entry (3, d / "sub/deeper/c.mp4"));
  add_ok (p, entry (4, elsewhere / "d.mp4"));
  add_ok (p, entry (5, d / "sub/../e.mp4"));
  add_ok (p, entry (6, d / "link/f.mp4"));
  add_ok (p, entry (7, d.path () + "//./g.mp4"));
  const std::string text = read_text (d / "list.ffconcat");
  const std::string expected = std::string (kHeader) + "8\n" +
                               "file 'a.mp4'\nduration 2.000000\n"
                               "file 'sub/b.mp4'\nduration 2.000000\n"
                               "file 'sub/deeper/c.mp4'\nduration 2.000000\n"
                               "file '" +
                               (elsewhere / "d.mp4") +
                               "'\nduration 2.000000\n"
                               "file 'e.mp4'\nduration 2.000000\n"
                               "file 'sub/f.mp4'\nduration 2.000000\n"
                               "file 'g.mp4'\nduration 2.000000\n";
  fail_unless_equals_str (text.c_str (), expected.c_str ());

  /* A list in a subdirectory: files beside it are relative, files in the
   * parent absolute; the list path through a symbolic link. */
  fail_unless_equals_str (
      Playlist::list_path_for (d / "sub/x.mp4", d / "link").c_str (), "x.mp4");
  fail_unless_equals_str (
      Playlist::list_path_for (d / "x.mp4", d / "sub").c_str (),
      (d / "x.mp4").c_str ());
  fail_unless_equals_str (
      Playlist::list_path_for (d / "subx.mp4", d / "sub").c_str (),
      (d / "subx.mp4").c_str ());
  fail_unless_equals_str (Playlist::list_path_for (d / "x.mp4", "/").c_str (),
                          (d / "x.mp4").c_str () + 1);
  /* A directory that does not exist yet: lexical. */
  fail_unless_equals_str (
      Playlist::list_path_for (d / "new/y.mp4", d / "new/../new").c_str (),
      "y.mp4");

  /* Paths relative to the current directory. */
  gchar *cwd = g_get_current_dir ();
  fail_unless (g_chdir (d.path ().c_str ()) == 0);
  {
    Playlist rel ("sub/list.ffconcat", "");
    add_ok (rel, entry (1, "sub/h.mp4"));
    add_ok (rel, entry (2, "i.mp4"));
    add_ok (rel, entry (3, "sub/deeper/../j.mp4"));
    fail_unless_equals_str (read_text (d / "sub/list.ffconcat").c_str (),
                            (std::string (kHeader) + "4\n" +
                             "file 'h.mp4'\nduration 2.000000\n" + "file '" +
                             (d / "i.mp4") + "'\nduration 2.000000\n" +
                             "file 'j.mp4'\nduration 2.000000\n")
                                .c_str ());
    /* Loading the list gives paths usable from the current directory. */
    Playlist back ("sub/list.ffconcat", "");
    std::string error;
    fail_unless (back.load (error), "%s", error.c_str ());
    fail_unless_equals_str (back.entries ()[0].location.c_str (), "sub/h.mp4");
    fail_unless_equals_str (back.entries ()[1].location.c_str (),
                            (d / "i.mp4").c_str ());
  }
  fail_unless (g_chdir (cwd) == 0);
  g_free (cwd);
}
GST_END_TEST;

/* The index names files relative to its own directory, so a directory
 * resumed from another working directory, or moved, still finds its
 * files; version 1 indexes (paths as given) are still read. */
GST_START_TEST (test_index_moves_with_directory)
{
  TmpDir d, elsewhere;
  fail_unless (g_mkdir ((d / "out").c_str (), 0755) == 0);
  gchar *cwd = g_get_current_dir ();
  fail_unless (g_chdir (d.path ().c_str ()) == 0);
  std::string error;
  {
    Playlist p ("out/list.ffconcat", "out/index.json");
    add_ok (p, entry (0, "out/seg00000.mp4"));
    add_ok (p, entry (1, elsewhere / "seg00001.mp4"));
    const std::string text = read_text (d / "out/index.json");
    fail_unless (contains (text, "\"location\": \"seg00000.mp4\""), "%s",
                 text.c_str ());
    fail_unless (contains (text, "\"location\": \"" +
                                     (elsewhere / "seg00001.mp4") + "\""),
                 "%s", text.c_str ());
  }
  /* Resumed from inside the directory. */
  fail_unless (g_chdir ((d / "out").c_str ()) == 0);
  {
    Playlist p ("list.ffconcat", "index.json");
    fail_unless (p.load (error), "%s", error.c_str ());
    fail_unless_equals_int (p.entries ().size (), 2);
    fail_unless_equals_str (p.entries ()[0].location.c_str (), "seg00000.mp4");
    fail_unless_equals_str (p.entries ()[1].location.c_str (),
                            (elsewhere / "seg00001.mp4").c_str ());
    add_ok (p, entry (2, "seg00002.mp4"));
    fail_unless (contains (read_text ("list.ffconcat"),
                           "file 'seg00000.mp4'\nduration 2.000000\nfile '" +
                               (elsewhere / "seg00001.mp4") +
                               "'\nduration 2.000000\n"
                               "file 'seg00002.mp4'\n"));
  }
  /* The directory moved: resumed under its new name. */
  fail_unless (g_chdir (d.path ().c_str ()) == 0);
  fail_unless (g_rename ("out", "moved") == 0);
  {
    Playlist p ("", "moved/index.json");
    fail_unless (p.load (error), "%s", error.c_str ());
    fail_unless_equals_int (p.entries ().size (), 3);
    fail_unless_equals_str (p.entries ()[0].location.c_str (),
                            "moved/seg00000.mp4");
    fail_unless_equals_str (p.entries ()[2].location.c_str (),
                            "moved/seg00002.mp4");
    /* Loaded from the list, the index it writes is relative too. */
    Playlist q ("moved/list.ffconcat", "moved/index2.json");
    fail_unless (q.load (error), "%s", error.c_str ());
    fail_unless (q.save (error), "%s", error.c_str ());
    fail_unless (contains (read_text ("moved/index2.json"),
                           "\"location\": \"seg00002.mp4\""));
  }
  /* Version 1: the location as given to the element. */
  write_text (d / "moved/index.json",
              "{\"version\": 1, \"segments\": [{\"index\": 4, \"location\": "
              "\"moved/seg00004.mp4\", \"start-running-time\": null, "
              "\"start-wallclock\": null, \"duration\": null, \"bytes\": 1, "
              "\"reason\": \"eos\"}]}");
  {
    Playlist p ("", "moved/index.json");
    fail_unless (p.load (error), "%s", error.c_str ());
    fail_unless_equals_str (p.entries ()[0].location.c_str (),
                            "moved/seg00004.mp4");
    fail_unless (p.save (error), "%s", error.c_str ());
    fail_unless (
        contains (read_text ("moved/index.json"), "\"version\": 2,\n"));
    fail_unless (contains (read_text ("moved/index.json"),
                           "\"location\": \"seg00004.mp4\""));
  }
  fail_unless (g_chdir (cwd) == 0);
  g_free (cwd);
}
GST_END_TEST;

GST_START_TEST (test_reject_bad_names)
{
  struct Case {
    std::string name;
    const char *expect;
  };
  const Case cases[] = {
      {"a\nb.mp4", "contains a newline"},
      {"a\rb.mp4", "contains a carriage return"},
      {std::string ("a\0b.mp4", 7), "contains a NUL byte"},
      {"", "the file name is empty"},
      {"dir/", "ends with '/'"},
      {"dir/..", "names no file"},
  };
  TmpDir d;
  Playlist p (d / "list.ffconcat", d / "index.json");
  add_ok (p, entry (1, d / "good.mp4"));
  const std::string list_before = read_text (d / "list.ffconcat");
  const std::string index_before = read_text (d / "index.json");
  for (const Case &c : cases) {
    auto checked = Playlist::check_location (c.name);
    fail_if (bool (checked));
    fail_unless (contains (checked.error (), c.expect), "'%s' in '%s'",
                 c.expect, checked.error ().c_str ());
    std::string error;
    fail_if (p.add (entry (2, c.name), error));
    fail_unless (contains (error, c.expect), "'%s' in '%s'", c.expect,
                 error.c_str ());
    fail_unless_equals_int (p.entries ().size (), 1);
  }
  fail_unless (
      contains (Playlist::check_location ("a\nb").error (), "'a\\nb'"));
  fail_unless_equals_str (read_text (d / "list.ffconcat").c_str (),
                          list_before.c_str ());
  fail_unless_equals_str (read_text (d / "index.json").c_str (),
                          index_before.c_str ());
  fail_unless_equals_int (p.next_index (), 2);

  /* Everything else is allowed. */
  const std::string odd = "odd ' \" \\ # $ * ? \t \xc3\xa9 \x01 \xff.mp4";
  auto checked = Playlist::check_location (odd);
  fail_unless (bool (checked), "%s", checked.error ().c_str ());
  fail_unless (*checked == odd);

  /* Reused indexes are refused: names must never be reused. */
  std::string error;
  fail_if (p.add (entry (1, d / "again.mp4"), error));
  fail_unless (contains (error, "must not be reused"), "%s", error.c_str ());
  fail_unless_equals_str (read_text (d / "list.ffconcat").c_str (),
                          list_before.c_str ());
  add_ok (p, entry (5, d / "gap.mp4"));
  fail_unless_equals_int (p.next_index (), 6);
}
GST_END_TEST;

GST_START_TEST (test_remove)
{
  TmpDir d;
  Playlist p (d / "list.ffconcat", d / "index.json");
  for (guint i = 1; i <= 5; i++)
    add_ok (p, entry (i, d / ("seg0000" + std::to_string (i) + ".mp4"),
                      i * GST_SECOND, i * 100));
  fail_unless_equals_uint64 (p.total_bytes (), 1500);
  fail_unless_equals_uint64 (p.total_duration (), 15 * GST_SECOND);

  std::string error;
  fail_unless (p.remove_front (error), "%s", error.c_str ());
  fail_unless (p.remove (3, error), "%s", error.c_str ());
  const std::string expected = std::string (kHeader) + "6\n" +
                               "file 'seg00002.mp4'\nduration 2.000000\n"
                               "file 'seg00004.mp4'\nduration 4.000000\n"
                               "file 'seg00005.mp4'\nduration 5.000000\n";
  fail_unless_equals_str (read_text (d / "list.ffconcat").c_str (),
                          expected.c_str ());
  fail_unless_equals_uint64 (p.total_bytes (), 1100);
  fail_unless_equals_uint64 (p.total_duration (), 11 * GST_SECOND);
  {
    Playlist q (d / "list.ffconcat", d / "index.json");
    fail_unless (q.load (error), "%s", error.c_str ());
    fail_unless (q.entries () == p.entries ());
  }

  fail_if (p.remove (3, error));
  fail_unless (contains (error, "file 3") && contains (error, "not listed"),
               "%s", error.c_str ());
  fail_if (p.remove_front (4, error));
  fail_unless (contains (error, "only 3 listed"), "%s", error.c_str ());
  fail_unless_equals_str (read_text (d / "list.ffconcat").c_str (),
                          expected.c_str ());

  fail_unless (p.remove_front (3, error), "%s", error.c_str ());
  fail_unless (p.entries ().empty ());
  fail_unless_equals_str (read_text (d / "list.ffconcat").c_str (),
                          (std::string (kHeader) + "6\n").c_str ());
  fail_if (p.remove_front (error));
  fail_unless_equals_uint64 (p.total_bytes (), 0);
  fail_unless_equals_uint64 (p.total_duration (), 0);

  /* The next index survives an empty list, from the index and from the
   * list alone. */
  Playlist q (d / "list.ffconcat", d / "index.json");
  fail_unless (q.load (error), "%s", error.c_str ());
  fail_unless_equals_int (q.next_index (), 6);
  Playlist r (d / "list.ffconcat", "");
  fail_unless (r.load (error), "%s", error.c_str ());
  fail_unless_equals_int (r.next_index (), 6);
  fail_unless (r.entries ().empty ());
  fail_unless_equals_int (listing (d.path ()).size (), 2);
}
GST_END_TEST;

GST_START_TEST (test_injected_failures)
{
  struct Case {
    Op op;
    int nth;
    int err;
    const char *step;
  };
  const Case cases[] = {
      {Op::Open, 1, EACCES, "cannot create temporary file"},
      {Op::Write, 1, ENOSPC, "write to temporary file"},
      {Op::Write, 1, EIO, "write to temporary file"},
      {Op::Fsync, 1, EIO, "fsync of temporary file"},
      {Op::Fsync, 1, ENOSPC, "fsync of temporary file"},
      {Op::Close, 1, EIO, "close of temporary file"},
      {Op::Rename, 1, EIO, "rename over it"},
      {Op::Rename, 1, EXDEV, "rename over it"},
  };
  for (const bool use_index : {false, true}) {
    for (const Case &c : cases) {
      TmpDir d;
      Injector inj;
      const std::string list = d / "list.ffconcat";
      const std::string index = use_index ? d / "index.json" : "";
      Playlist p (list, index, inj.ops ());
      add_ok (p, entry (1, d / "seg00001.mp4"));
      add_ok (p, entry (2, d / "seg00002.mp4"));
      const std::string list_before = read_text (list);
      const std::string index_before = use_index ? read_text (index) : "";
      const auto before = p.entries ();
      const std::set<std::string> files_before = listing (d.path ());
      for (int op = 0; op < 2; op++) {
        /* add writes the index first, remove the list first */
        const std::string target = use_index && op == 0 ? index : list;
        inj = Injector ();
        inj.op = c.op;
        inj.nth = c.nth;
        inj.err = c.err;
        std::string error;
        const bool ok = op == 0 ? p.add (entry (3, d / "seg00003.mp4"), error)
                                : p.remove_front (error);
        fail_if (ok, "failure at step '%s' not reported", c.step);
        fail_unless (contains (error, "'" + target + "'"),
                     "path missing in '%s'", error.c_str ());
        fail_unless (contains (error, g_strerror (c.err)),
                     "errno text missing in '%s'", error.c_str ());
        fail_unless (contains (error, c.step), "'%s' in '%s'", c.step,
                     error.c_str ());
        fail_unless (contains (error, "is unchanged"), "%s", error.c_str ());
        fail_unless_equals_str (read_text (list).c_str (),
                                list_before.c_str ());
        if (use_index)
          fail_unless_equals_str (read_text (index).c_str (),
                                  index_before.c_str ());
        fail_unless (p.entries () == before);
        fail_if (has_temp_file (d.path ()), "temporary file left");
        fail_unless (listing (d.path ()) == files_before);
      }
      /* Afterwards everything works again. */
      inj = Injector ();
      add_ok (p, entry (4, d / "seg00004.mp4"));
      fail_unless (contains (read_text (list), "seg00004.mp4"));
      fail_unless_equals_int (p.entries ().size (), 3);
    }
  }

  /* The index is written first on add, the list first on remove: a
   * failure on the second file leaves the index a superset of the list. */
  {
    TmpDir d;
    Injector inj;
    Playlist p (d / "list.ffconcat", d / "index.json", inj.ops ());
    add_ok (p, entry (1, d / "seg00001.mp4"));
    const std::string list_before = read_text (d / "list.ffconcat");
    inj = Injector ();
    inj.op = Op::Rename;
    inj.nth = 2; /* the list's */
    inj.err = EIO;
    std::string error;
    fail_if (p.add (entry (2, d / "seg00002.mp4"), error));
    fail_unless (contains (error, "'" + (d / "list.ffconcat") + "'"), "%s",
                 error.c_str ());
    fail_unless_equals_str (read_text (d / "list.ffconcat").c_str (),
                            list_before.c_str ());
    fail_unless (contains (read_text (d / "index.json"), "seg00002.mp4"));
    fail_unless_equals_int (p.entries ().size (), 1);
    /* its name stays used */
    fail_unless_equals_int (p.next_index (), 3);

    inj = Injector ();
    inj.op = Op::Rename;
    inj.nth = 2; /* the index's */
    inj.err = EIO;
    fail_if (p.remove_front (error));
    fail_unless (contains (error, "'" + (d / "index.json") + "'"), "%s",
                 error.c_str ());
    fail_unless (!contains (read_text (d / "list.ffconcat"), "seg00001.mp4"));
    fail_unless (contains (read_text (d / "index.json"), "seg00001.mp4"));
    fail_unless_equals_int (p.entries ().size (), 1);
    fail_if (has_temp_file (d.path ()));
  }

  /* The directory fsync fails after the rename: reported, the new list is
   * in place. EINVAL (file systems that cannot sync directories) is not a
   * failure. */
  {
    TmpDir d;
    Injector inj;
    Playlist p (d / "list.ffconcat", "", inj.ops ());
    inj.op = Op::FsyncDir;
    inj.nth = 1;
    inj.err = EIO;
    std::string error;
    fail_if (p.add (entry (1, d / "seg00001.mp4"), error));
    fail_unless (contains (error, "fsync of its directory '" + d.path () + "'"),
                 "%s", error.c_str ());
    fail_unless (contains (error, g_strerror (EIO)));
    fail_unless_equals_int (inj.calls[static_cast<int> (Op::FsyncDir)], 1);
    fail_unless (contains (read_text (d / "list.ffconcat"), "seg00001.mp4"));
    fail_if (has_temp_file (d.path ()));

    inj = Injector ();
    inj.op = Op::FsyncDir;
    inj.nth = 1;
    inj.err = EINVAL;
    add_ok (p, entry (2, d / "seg00002.mp4"));

    inj = Injector ();
    inj.op = Op::OpenDir;
    inj.nth = 1;
    inj.err = EMFILE;
    fail_if (p.add (entry (3, d / "seg00003.mp4"), error));
    fail_unless (contains (error, g_strerror (EMFILE)), "%s", error.c_str ());
  }

  /* Short writes and EINTR are retried; every step is done once per file,
   * the directory is synced. */
  {
    TmpDir d;
    Injector inj;
    inj.max_write = 7;
    inj.eintr = 3;
    Playlist p (d / "list.ffconcat", d / "index.json", inj.ops ());
    for (guint i = 1; i <= 4; i++)
      add_ok (p, entry (i, d / ("seg0000" + std::to_string (i) + ".mp4")));
    fail_unless_equals_str (read_text (d / "list.ffconcat").c_str (),
                            p.ffconcat_text ().c_str ());
    fail_unless_equals_str (read_text (d / "index.json").c_str (),
                            p.index_text ().c_str ());
    fail_unless_equals_int (inj.calls[static_cast<int> (Op::Fsync)], 8);
    fail_unless_equals_int (inj.calls[static_cast<int> (Op::FsyncDir)], 8);
    fail_unless_equals_int (inj.calls[static_cast<int> (Op::Rename)], 8);
    fail_if (has_temp_file (d.path ()));
  }
}
GST_END_TEST;

GST_START_TEST (test_durations)
{
  struct Case {
    GstClockTime ns;
    const char *text;
  };
  const Case cases[] = {
      {0, "0.000000"},
      {1, "0.000000"},
      {499, "0.000000"},
      {500, "0.000001"},
      {333333333, "0.333333"},
      {666666667, "0.666667"},
      {999999499, "0.999999"},
      {999999500, "1.000000"},
      {1500 * GST_MSECOND, "1.500000"},
      {3600 * GST_SECOND + 1000, "3600.000001"},
      {G_GUINT64_CONSTANT (18446744073709551614), "18446744073.709552"},
  };
  /* The last case is too long to add to the others. */
  const guint n = G_N_ELEMENTS (cases) - 1;
  TmpDir d;
  Playlist p (d / "list.ffconcat", "");
  GstClockTime sum = 0;
  guint i;
  for (i = 0; i < n; i++) {
    const Case &c = cases[i];
    sum += c.ns;
    add_ok (p, entry (i, d / "f.mp4", c.ns, i));
    const std::string text = read_text (d / "list.ffconcat");
    fail_unless (contains (text, std::string ("duration ") + c.text + "\n"),
                 "%" G_GUINT64_FORMAT " ns: expected %s in\n%s", c.ns, c.text,
                 text.c_str ());
  }
  fail_unless_equals_uint64 (p.total_duration (), sum);
  fail_unless_equals_uint64 (p.total_bytes (), i * (i - 1) / 2);
  add_ok (p, entry (i, d / "none.mp4", GST_CLOCK_TIME_NONE, 5));
  fail_unless_equals_uint64 (p.total_duration (), sum);

  Playlist big ("", "");
  add_ok (big, entry (0, "x", cases[n].ns));
  fail_unless (contains (big.ffconcat_text (),
                         std::string ("duration ") + cases[n].text + "\n"));

  /* From the list alone durations come back at microsecond precision. */
  Playlist r (d / "list.ffconcat", "");
  std::string error;
  fail_unless (r.load (error), "%s", error.c_str ());
  fail_unless_equals_int (r.entries ().size (), i + 1);
  fail_unless_equals_uint64 (r.entries ()[3].duration, 1000);
  fail_unless_equals_uint64 (r.entries ()[4].duration, 333333000);
  fail_unless_equals_uint64 (r.entries ()[9].duration,
                             3600 * GST_SECOND + 1000);
  fail_unless_equals_uint64 (r.entries ()[i].duration, GST_CLOCK_TIME_NONE);
}
GST_END_TEST;

GST_START_TEST (test_load_garbage)
{
  TmpDir d;
  const std::string index = d / "index.json";
  const std::string list = d / "list.ffconcat";
  /* A valid index to cut and to edit. */
  std::string good;
  {
    Playlist p ("", index);
    add_ok (p, entry (4, "a b.mp4"));
    add_ok (p, entry (5, "c \xc3\xa9.mp4"));
    good = read_text (index);
  }
  const std::string seg =
      "{\"index\": 1, \"location\": \"a\", \"start-running-time\": 0, "
      "\"start-wallclock\": null, \"duration\": 1, \"bytes\": 2, \"reason\": "
      "\"eos\"}";
  auto with = [&seg] (const std::string &from, const std::string &to) {
    std::string s = seg;
    s.replace (s.find (from), from.size (), to);
    return "{\"segments\": [" + s + "]}";
  };
  struct Case {
    std::string text;
    const char *expect;
  };
  const std::vector<Case> cases = {
      {"", "line 1, column 1: unexpected end of input"},
      {"{", "truncated"},
      {"{\"segments\": [", "truncated"},
      {good.substr (0, good.size () / 2), "truncated"},
      {"hello", "line 1, column 1: invalid value"},
      {"\x89PNG\r\n\x1a\n", "invalid value"},
      {"42", "not a gst-prune index"},
      {"{\"a\": 1}", "no 'segments' array"},
      {"{\"segments\": {}}", "'segments' must be an array"},
      {"[1]", "segment 0: not an object"},
      {"{\"version\": 3, \"segments\": []}", "unsupported 'version' 3"},
      {"{\"segments\": []} x", "unexpected data after the end"},
      {"{\"segments\": [],}", "expected a string as object key"},
      {"{\"segments\" []}", "expected ':'"},
      {"[\n\n  {\"index\" : 01}]", "line 3, column 15: expected ',' or '}'"},
      {"[\"\\ud800\"]", "unpaired surrogate"},
      {"[\"\\q\"]", "invalid escape"},
      {"[\"a\nb\"]", "control character in a string"},
      {std::string (100000, '['), "nested too deeply"},
      {with ("\"index\": 1", "\"index\": -1"), "segment 0: field 'index' must"},
      {with ("\"index\": 1", "\"index\": 4294967296"), "field 'index' must"},
      {with ("\"index\": 1", "\"index\": 1.5"), "field 'index' must"},
      {with ("\"index\": 1, ", ""), "segment 0: field 'index' is missing"},
      {with (", \"bytes\": 2", ""), "field 'bytes' is missing"},
      {with ("\"bytes\": 2", "\"bytes\": null"), "field 'bytes' must be"},
      {with ("\"bytes\": 2", "\"bytes\": 18446744073709551616"),
       "field 'bytes' must be"},
      {with ("\"location\": \"a\"", "\"location\": 3"),
       "field 'location' must be a string"},
      {with ("\"location\": \"a\"", "\"location\": \"a\\nb\""),
       "contains a newline"},
      {with ("\"location\": \"a\"", "\"location\": \"\""),
       "the file name is empty"},
      {with ("\"eos\"", "\"bored\""),
       "'reason' is 'bored', expected one of: max-size-time"},
      {with ("\"start-wallclock\": null", "\"start-wallclock\": \"today\""),
       "field 'start-wallclock' is 'today'"},
      {with ("\"start-wallclock\": null",
             "\"start-wallclock\": \"2026-02-30T00:00:00Z\""),
       "field 'start-wallclock'"},
      {with ("\"start-wallclock\": null", "\"start-wallclock\": 5"),
       "field 'start-wallclock' must be a string or null"},
      {with ("\"duration\": 1", "\"duration\": \"1\""),
       "field 'duration' must be null or an integer"},
  };
  for (const Case &c : cases) {
    Playlist p (list, index);
    add_ok (p, entry (0, "keep.mp4")); /* kept when load fails */
    write_text (index, c.text);
    std::string error;
    fail_if (p.load (error), "loaded '%.80s'", c.text.c_str ());
    fail_unless (contains (error, "index '" + index + "'"), "%s",
                 error.c_str ());
    fail_unless (contains (error, c.expect), "expected '%s' in '%s'", c.expect,
                 error.c_str ());
    fail_unless_equals_int (p.entries ().size (), 1);
    fail_unless_equals_int (p.next_index (), 1);
  }

  /* Every cut of a valid index fails cleanly; random bytes too. */
  for (std::size_t n = 0; n < good.size () - 2; n++) {
    write_text (index, good.substr (0, n));
    Playlist p ("", index);
    std::string error;
    fail_if (p.load (error), "a cut at %u loaded", (guint)n);
    fail_if (error.empty ());
  }
  GRand *rand = g_rand_new_with_seed (7);
  for (int k = 0; k < 300; k++) {
    std::string s = good;
    for (int j = 0; j < 3; j++)
      s[g_rand_int_range (rand, 0, s.size ())] =
          static_cast<char> (g_rand_int_range (rand, 0, 256));
    write_text (index, s);
    Playlist p ("", index);
    std::string error;
    if (!p.load (error))
      fail_if (error.empty ());
  }
  g_rand_free (rand);

  /* The index is preferred; a good one gives next-index. */
  write_text (index, good);
  {
    Playlist p (list, index);
    std::string error;
    fail_unless (p.load (error), "%s", error.c_str ());
    fail_unless_equals_int (p.entries ().size (), 2);
    fail_unless_equals_int (p.next_index (), 6);
    fail_if (p.add (entry (5, "x.mp4"), error));
    add_ok (p, entry (6, "x.mp4"));
  }
  write_text (index, "[" + seg + "]");
  {
    Playlist p ("", index);
    std::string error;
    fail_unless (p.load (error), "%s", error.c_str ());
    fail_unless_equals_int (p.next_index (), 2);
  }
  write_text (index, "{\"next-index\": 40, \"segments\": [" + seg + "]}");
  {
    Playlist p ("", index);
    std::string error;
    fail_unless (p.load (error), "%s", error.c_str ());
    fail_unless_equals_int (p.next_index (), 40);
  }

  /* Nothing on disk: a new, empty playlist. Temporary files of a killed
   * process are removed, nothing else. */
  g_remove (index.c_str ());
  g_remove (list.c_str ());
  write_text (d / ".list.ffconcat.tmp-12345", "ffconcat version 1.0\nfi");
  write_text (d / ".index.json.tmp-777", "{\"segm");
  write_text (d / ".list.ffconcat.tmp-12345x", "keep");
  write_text (d / ".other.tmp-1", "keep");
  {
    Playlist p (list, index);
    std::string error;
    fail_unless (p.load (error), "%s", error.c_str ());
    fail_unless (p.entries ().empty ());
    fail_unless_equals_int (p.next_index (), 0);
    const std::set<std::string> left = {".list.ffconcat.tmp-12345x",
                                        ".other.tmp-1"};
    fail_unless (listing (d.path ()) == left);
  }
  /* The index path is a directory: an error, not "missing". */
  {
    Playlist p (list, d.path ());
    std::string error;
    fail_if (p.load (error));
    fail_unless (contains (error, "cannot read index '" + d.path () + "'"),
                 "%s", error.c_str ());
  }

  /* Lists (no index). */
  const std::vector<Case> lists = {
      {"", "empty file"},
      {"hello\n", "line 1: not an ffconcat list"},
      {"ffconcat version 2.0\n", "not an ffconcat list"},
      {"ffconcat version 1.0\ninpoint 1\n", "line 2: unsupported directive "
                                            "'inpoint'"},
      {"ffconcat version 1.0\n\nduration 1\n", "line 3: 'duration' before"},
      {"ffconcat version 1.0\nfile 'abc\n", "unterminated quote"},
      {"ffconcat version 1.0\nfile\n", "'file' without a path"},
      {"ffconcat version 1.0\nfile a\\", "backslash at the end"},
      {"ffconcat version 1.0\nfile a b\n", "unexpected text after 'file'"},
      {"ffconcat version 1.0\nfile a\nduration 1:00\n",
       "duration '1:00' is not a number"},
      {"ffconcat version 1.0\nfile a\nduration -1\n", "is not a number"},
      {std::string ("ffconcat version 1.0\nfile a\0b\n", 30), "NUL byte"},
  };
  for (const Case &c : lists) {
    write_text (list, c.text);
    Playlist p (list, "");
    std::string error;
    fail_if (p.load (error), "loaded '%s'", c.text.c_str ());
    fail_unless (contains (error, "playlist '" + list + "'"), "%s",
                 error.c_str ());
    fail_unless (contains (error, c.expect), "expected '%s' in '%s'", c.expect,
                 error.c_str ());
  }
  /* What other writers may do: comments, blanks, CRLF, unquoted and
   * escaped names; no next-index comment: indexes from 0. */
  write_text (list, "ffconcat version 1.0\r\n# hi\r\n\r\n  file a\\ b.mp4\r\n"
                    "duration 2.5\r\nfile   '/abs/c.mp4'  \r\n");
  {
    Playlist p (list, "");
    std::string error;
    fail_unless (p.load (error), "%s", error.c_str ());
    fail_unless_equals_int (p.entries ().size (), 2);
    fail_unless_equals_str (p.entries ()[0].location.c_str (),
                            (d / "a b.mp4").c_str ());
    fail_unless_equals_uint64 (p.entries ()[0].duration, 2500 * GST_MSECOND);
    fail_unless_equals_str (p.entries ()[1].location.c_str (), "/abs/c.mp4");
    fail_unless_equals_uint64 (p.entries ()[1].duration, GST_CLOCK_TIME_NONE);
    fail_unless_equals_int (p.entries ()[0].index, 0);
    fail_unless_equals_int (p.entries ()[1].index, 1);
    fail_unless (p.entries ()[1].reason == SplitReason::Stop);
    fail_unless_equals_int (p.next_index (), 2);
  }
  write_text (list, std::string (kHeader) + "12\nfile 'a'\nfile 'b'\n");
  {
    Playlist p (list, "");
    std::string error;
    fail_unless (p.load (error), "%s", error.c_str ());
    fail_unless_equals_int (p.entries ()[0].index, 10);
    fail_unless_equals_int (p.entries ()[1].index, 11);
    fail_unless_equals_int (p.next_index (), 12);
  }
}
GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* The real ffmpeg                                                         */

namespace {

/* Runs @argv; returns its exit status (-1 if it could not run) and its
 * standard output. */
int
run (const std::vector<std::string> &argv, std::string &out)
{
  std::vector<gchar *> args;
  for (const std::string &a : argv)
    args.push_back (const_cast<gchar *> (a.c_str ()));
  args.push_back (nullptr);
  gchar *sout = nullptr, *serr = nullptr;
  gint status = 0;
  GError *err = nullptr;
  if (!g_spawn_sync (nullptr, args.data (), nullptr, G_SPAWN_SEARCH_PATH,
                     nullptr, nullptr, &sout, &serr, &status, &err)) {
    GST_ERROR ("%s: %s", argv[0].c_str (), err->message);
    g_error_free (err);
    return -1;
  }
  out = sout != nullptr ? sout : "";
  if (serr != nullptr && serr[0] != '\0')
    GST_INFO ("%s stderr: %s", argv[0].c_str (), serr);
  g_free (sout);
  g_free (serr);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* Packets ffprobe reads through the concat demuxer, -1 on failure. */
int
concat_packets (const std::string &list, bool unsafe)
{
  std::vector<std::string> argv = {"ffprobe", "-v", "error", "-f", "concat"};
  if (unsafe) {
    argv.push_back ("-safe");
    argv.push_back ("0");
  }
  for (const char *a : {"-count_packets", "-show_entries",
                        "stream=nb_read_packets", "-of", "csv=p=0", "-i"})
    argv.push_back (a);
  argv.push_back (list);
  std::string out;
  if (run (argv, out) != 0)
    return -1;
  return atoi (g_strstrip (out.data ()));
}

} // namespace

GST_START_TEST (test_ffmpeg_reads_lists)
{
  gchar *ffmpeg = g_find_program_in_path ("ffmpeg");
  gchar *ffprobe = g_find_program_in_path ("ffprobe");
  const bool have = ffmpeg != nullptr && ffprobe != nullptr;
  g_free (ffmpeg);
  g_free (ffprobe);
  if (!have) {
    g_print ("SKIP test_ffmpeg_reads_lists: ffmpeg/ffprobe not installed\n");
    return;
  }
  TmpDir d, elsewhere;
  const std::string base = d / "base.mp4";
  std::string out;
  fail_unless_equals_int (
      run ({"ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
            "testsrc=d=1:s=64x48:r=10", "-c:v", "libx264", "-f", "mp4", base},
           out),
      0);
  const std::string data = read_text (base);
  fail_unless_equals_int (g_mkdir ((d / "sub").c_str (), 0755), 0);
  const std::vector<std::string> odd = {
      d / "a b'c \xc3\xa9 #1.mp4",
      d / "sub/\xe6\x97\xa5\xe6\x9c\xac \"q\" \\ '.mp4",
      elsewhere / "abs 'x'.mp4",
  };
  const std::vector<std::string> plain = {d / "seg00001.mp4",
                                          d / "sub/seg00002.mp4"};
  for (const std::string &f : odd)
    write_text (f, data);
  for (const std::string &f : plain)
    write_text (f, data);

  /* 10 frames per file. */
  Playlist p (d / "odd.ffconcat", "");
  for (guint i = 0; i < odd.size (); i++)
    add_ok (p, entry (i, odd[i], GST_SECOND, data.size ()));
  fail_unless_equals_int (concat_packets (d / "odd.ffconcat", true), 30);
  fail_unless_equals_int (
      run ({"ffmpeg", "-nostdin", "-v", "error", "-f", "concat", "-safe", "0",
            "-i", d / "odd.ffconcat", "-c", "copy", "-f", "null", "-"},
           out),
      0);

  /* Plain relative names pass ffmpeg's default -safe 1. */
  Playlist q (d / "plain.ffconcat", "");
  for (guint i = 0; i < plain.size (); i++)
    add_ok (q, entry (i, plain[i], GST_SECOND, data.size ()));
  fail_unless_equals_int (concat_packets (d / "plain.ffconcat", false), 20);

  /* The check can fail: a missing file and an unsafe name are refused. */
  write_text (d / "bad.ffconcat", "ffconcat version 1.0\nfile 'nope.mp4'\n");
  fail_unless_equals_int (concat_packets (d / "bad.ffconcat", true), -1);
  fail_unless_equals_int (concat_packets (d / "odd.ffconcat", false), -1);
}
GST_END_TEST;

static Suite *
playlist_suite (void)
{
  Suite *s = suite_create ("playlist");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_index_text);
  tcase_add_test (tc, test_relative_and_absolute);
  tcase_add_test (tc, test_index_moves_with_directory);
  tcase_add_test (tc, test_reject_bad_names);
  tcase_add_test (tc, test_remove);
  tcase_add_test (tc, test_injected_failures);
  tcase_add_test (tc, test_durations);
  tcase_add_test (tc, test_load_garbage);
  tcase_add_test (tc, test_ffmpeg_reads_lists);
  return s;
}

GST_CHECK_MAIN (playlist);

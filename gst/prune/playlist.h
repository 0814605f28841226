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
 * SECTION:prune-playlist
 * @title: Segment playlist (ffconcat list and JSON index)
 *
 * The list of finished files of segmentsink, kept on disk as an FFmpeg
 * concat list (ffconcat) and, optionally, a JSON index next to it. Both
 * files are replaced atomically and durably on every change (temporary
 * file in the same directory, fsync, rename, fsync of the directory), so
 * what is on disk is always a complete list, also after `kill -9` or a
 * power cut: the old one or the new one, never a mix.
 *
 * The ffconcat list:
 *
 * |[
 * ffconcat version 1.0
 * # written by gst-prune; next-index 3
 * file 'seg00001.mp4'
 * duration 2.000000
 * file 'sub/it'\''s.mp4'
 * duration 1.500000
 * ]|
 *
 * - a path is relative to the list's directory when the file lies in it or
 *   below it, else absolute; it is always single-quoted, a `'` in it is
 *   written `'\''`; every other byte is literal (ffmpeg reads the list
 *   with `-safe 0`, and with the default `-safe 1` when the names are
 *   plain relative names of `[A-Za-z0-9._-/]`);
 * - `duration` is in seconds with 6 decimals, rounded to the microsecond;
 *   it is left out when the duration is not known;
 * - the comment line records the next free file index (ffmpeg ignores it).
 *
 * The JSON index (UTF-8; the file has one segment per line):
 *
 * |[
 * {
 *   "version": 2,
 *   "generator": "gst-prune",
 *   "next-index": 3,
 *   "segments": [
 *     {"index": 1, "location": "seg00001.mp4",
 *      "start-running-time": 0,
 *      "start-wallclock": "2026-03-01T12:00:00.000000Z",
 *      "duration": 2000000000, "bytes": 81234, "reason": "max-size-time"}
 *   ]
 * }
 * ]|
 *
 * Times are integer nanoseconds, or null when not known; the wall clock
 * is ISO 8601 UTC with microseconds, or null; `location` is the path
 * relative to the index's directory when the file lies in or below it,
 * else absolute (as in the list), so that the directory can be resumed
 * from any working directory or after it was moved. (Version 1 stored the
 * path as given to the element; it is still read that way.) Bytes of a
 * location that are not valid UTF-8 are
 * written as the lone surrogates `\udc80`..`\udcff` (Python's
 * "surrogateescape": `os.fsencode()` gives the bytes back).
 *
 * Invariant between the two files: the index lists a superset of the
 * list. add() writes the index first, remove*() the list first, so a
 * process killed between the two writes leaves a file listed in the index
 * (and on disk) rather than a listed file missing from the index.
 *
 * Not thread-safe: the element serializes calls.
 */

#include <gst/gst.h>
#include <gst/prune/prune-prelude.h>
#include <gst/prune/names.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace prune {

/* One finished file. */
struct PlaylistEntry {
  /* Index of the file in the element's location pattern. */
  guint index = 0;
  /* Path of the file as given to the element (relative to the current
   * directory, or absolute). */
  std::string location;
  /* Running time of its first buffer, or GST_CLOCK_TIME_NONE. */
  GstClockTime start_running_time = GST_CLOCK_TIME_NONE;
  /* g_get_real_time () when the file was opened, 0 if unknown. */
  gint64 start_wallclock_us = 0;
  /* Its duration, or GST_CLOCK_TIME_NONE (no `duration` line then). */
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  /* Its size on disk. */
  guint64 bytes = 0;
  /* Why the file was closed. */
  SplitReason reason = SplitReason::Eos;

  bool operator== (const PlaylistEntry &) const = default;
};

/* The system calls used to replace a file; tests swap them to simulate
 * failures. Each returns -1 and sets errno on failure, like POSIX. */
struct GST_PRUNE_API FileOps {
  std::function<int (const char *path, int flags, int mode)> open;
  std::function<gssize (int fd, const void *buf, gsize count)> write;
  std::function<int (int fd)> fsync;
  std::function<int (int fd)> close;
  std::function<int (const char *from, const char *to)> rename;
  std::function<int (const char *path)> unlink;

  /* The real calls (open(2), write(2), ...). */
  static FileOps posix ();
};

/* Writes @contents to @path atomically and durably: a temporary file
 * `.BASENAME.tmp-PID` in the same directory, written in full, fsync'ed and
 * closed, renamed over @path, then the directory is fsync'ed. On failure
 * the temporary file is removed, @path is untouched (unless only the
 * directory fsync failed: then it is already replaced) and @error says
 * what failed, naming @what (e.g. "playlist"), the path and strerror. */
GST_PRUNE_API bool replace_file (const FileOps &ops, const std::string &path,
                                 const std::string &contents, const char *what,
                                 std::string &error);

class GST_PRUNE_API Playlist {
public:
  /* @playlist_path: the ffconcat list, "" for none; @index_path: the JSON
   * index, "" for none. Nothing is read or written before the first
   * load (), save (), add () or remove. */
  Playlist (std::string playlist_path, std::string index_path,
            FileOps ops = FileOps::posix ());

  /* Checks a location: not empty, no newline, carriage return or NUL (an
   * ffconcat line cannot carry them), not ending in '/', not naming "." or
   * "..". Returns the location unchanged or a message saying what is
   * wrong. */
  static Parsed<std::string> check_location (const std::string &location);

  /* The path of @location as written to a list in @list_dir: relative when
   * it lies in or below @list_dir, else absolute (symbolic links and ".."
   * resolved in the directories that exist). */
  static std::string list_path_for (const std::string &location,
                                    const std::string &list_dir);

  /* Appends a finished file and rewrites the index and the list. Fails
   * when the location is rejected by check_location (), when e.index <
   * next_index () (a name must never be reused) or when a write fails; the
   * entries in memory stay as they were then, but after a failed write
   * next_index () has moved past e.index (the file exists, its name is
   * used). */
  bool add (const PlaylistEntry &e, std::string &error);

  /* Drops the first @count entries (retention) and rewrites the list and
   * the index. The element deletes the files only after this returned
   * true. Fails when fewer entries are listed. On failure the entries in
   * memory stay as they were. */
  bool remove_front (std::size_t count, std::string &error);
  bool remove_front (std::string &error) { return remove_front (1, error); }

  /* Drops the entry with file index @index. */
  bool remove (guint index, std::string &error);

  /* Writes the list and the index as they are now (e.g. an empty list at
   * start, or after load ()). */
  bool save (std::string &error);

  /* Reads the JSON index if there is one on disk, else the ffconcat list,
   * replacing the entries in memory (then add () appends to them), after
   * removing temporary files a killed process left beside them. Neither
   * file existing is not an error: the playlist starts empty. A file that
   * exists but cannot be read or parsed is an error, naming the file and
   * where it is broken; the entries are left unchanged then.
   *
   * From a list alone some fields are not known: start-running-time is
   * GST_CLOCK_TIME_NONE, the wall clock 0, the reason "stop", bytes the
   * file's size if it exists, and the indexes count up to the recorded
   * next index (exact as long as files were only removed from the front).
   */
  bool load (std::string &error);

  const std::vector<PlaylistEntry> &entries () const { return entries_; }
  /* Sum of the bytes of the entries. */
  guint64 total_bytes () const;
  /* Sum of the known durations of the entries. */
  GstClockTime total_duration () const;
  /* Lowest file index never listed: one above the highest index ever
   * added or loaded (also of entries removed since); G_MAXUINT once all
   * are used. */
  guint next_index () const
  {
    return next_index_ > G_MAXUINT ? G_MAXUINT : guint (next_index_);
  }

  const std::string &playlist_path () const { return playlist_path_; }
  const std::string &index_path () const { return index_path_; }

  /* The texts as they would be written now. */
  std::string ffconcat_text () const;
  std::string index_text () const;

private:
  bool write_list (std::string &error);
  bool write_index (std::string &error);
  std::string list_dir () const;
  std::string index_dir () const;
  bool load_index (const std::string &text, std::string &error);
  bool load_list (const std::string &text, std::string &error);

  std::string playlist_path_;
  std::string index_path_;
  FileOps ops_;
  std::vector<PlaylistEntry> entries_;
  /* entries_[i].location as written to the list and to the index
   * (computed once: resolving a path costs system calls). */
  struct Written {
    std::string list;
    std::string index;
  };
  Written written_for (const std::string &location) const;
  std::vector<Written> written_;
  guint64 next_index_ = 0;
};

} // namespace prune

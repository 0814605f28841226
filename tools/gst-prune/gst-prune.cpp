/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * gst-prune: the command-line tool. Keeps what moves in a video (a file,
 * a URI, a camera or the built-in demo scene) and writes it as segment
 * files with an ffmpeg concat list; see --help and docs/gst-prune.md.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "options.h"
#include "runner.h"
#include "util.h"

#include <gst/gst.h>
#include <glib/gstdio.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <unistd.h>

using namespace gstprune;

namespace {

/* OUTDIR exists (created if needed) and takes new files. */
void
prepare_outdir (const std::string &dir)
{
  if (g_mkdir_with_parents (dir.c_str (), 0755) != 0)
    throw UsageError ("cannot create the output folder '" + dir + "': " +
                      g_strerror (errno) + " (choose another -o OUTDIR)");
  if (!g_file_test (dir.c_str (), G_FILE_TEST_IS_DIR))
    throw UsageError ("'" + dir +
                      "' exists and is not a folder (choose another -o "
                      "OUTDIR)");
  std::string probe = dir + "/.gst-prune-write-test-XXXXXX";
  const int fd = g_mkstemp (probe.data ());
  if (fd < 0)
    throw UsageError ("cannot write into the output folder '" + dir +
                      "': " + g_strerror (errno) +
                      " (fix its permissions or choose another -o OUTDIR)");
  close (fd);
  g_unlink (probe.c_str ());
}

/* Prints a usage error the way every command-line tool does. */
int
usage_error (const UsageError &e)
{
  std::fprintf (stderr,
                "gst-prune: %s\nTry 'gst-prune --help' for more "
                "information.\n",
                e.what ());
  return kExitUsage;
}

int
run (Options &o, const char *argv0)
{
  try {
    if (!o.merge_only)
      prepare_outdir (o.outdir);
    const std::string plugin = find_prune_plugin (argv0);
    if (!plugin.empty () && !o.merge_only) {
      std::fprintf (stderr, "gst-prune: error: %s\n", plugin.c_str ());
      return kExitRuntime;
    }
    const std::string missing = check_with_gstreamer (o);
    if (!missing.empty ()) {
      std::fprintf (stderr, "gst-prune: error: %s\n", missing.c_str ());
      return kExitRuntime;
    }
  } catch (const UsageError &e) {
    return usage_error (e);
  }
  if (o.merge_only)
    return run_merge_only (o);
  return run_job (o);
}

} // namespace

int
main (int argc, char **argv)
{
  Options o;
  bool exit_now = false;
  try {
    o = parse_options (argc, argv, exit_now);
  } catch (const UsageError &e) {
    return usage_error (e);
  }
  if (exit_now)
    return kExitOk;
  gst_init (nullptr, nullptr);
  init_debug_category ();
  const int status = run (o, argv[0]);
  gst_deinit ();
  return status;
}

/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * One run of gst-prune: builds the pipeline (input -> staticgate ->
 * encoder -> segmentsink, audio beside it), follows it on the bus, shows
 * progress, reconnects live inputs, stops on EOS or Ctrl-C, and writes the
 * report, the timeline and the merged file. Elements are used only through
 * GStreamer: factories, properties and messages.
 */
#pragma once

#include "options.h"

#include <string>

namespace gstprune {

/* Runs the job; returns the exit status. Prints its own messages. */
int run_job (const Options &o);

/* Only --merge (no INPUT): joins OUTDIR's list. Returns the exit status. */
int run_merge_only (const Options &o);

/* Checks what needs GStreamer: the URI's scheme, the encoder, the muxer.
 * Throws UsageError for what the user can fix on the command line; returns
 * a non-empty message for a missing plugin (exit 1). */
std::string check_with_gstreamer (Options &o);

/* Makes the prune plugin findable when it is not on the plugin path: the
 * build tree's when this program runs from it, else the install folder.
 * Returns an empty string or what to do. */
std::string find_prune_plugin (const char *argv0);

} // namespace gstprune

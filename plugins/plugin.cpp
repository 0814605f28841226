/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * plugin-prune:
 *
 * Live stream pruning: staticgate drops static video, beatdetect tracks
 * beats, segmentsink rolls segment files with an always-valid ffmpeg
 * concat list. Elements appear here as they are built (see meson
 * options `staticgate`, `beatdetect`, `segmentsink`).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#ifdef HAVE_STATICGATE
#include "staticgate/gststaticgate.h"
#endif
#ifdef HAVE_BEATDETECT
#include "beatdetect/gstbeatdetect.h"
#endif
#ifdef HAVE_SEGMENTSINK
#include "segmentsink/gstsegmentsink.h"
#endif

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ok = TRUE;
  (void)plugin; /* unused while no element is built */
#ifdef HAVE_STATICGATE
  ok &= GST_ELEMENT_REGISTER (staticgate, plugin);
#endif
#ifdef HAVE_BEATDETECT
  ok &= GST_ELEMENT_REGISTER (beatdetect, plugin);
#endif
#ifdef HAVE_SEGMENTSINK
  ok &= GST_ELEMENT_REGISTER (segmentsink, plugin);
#endif
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, prune,
                   "Live stream pruning for camera and media streams",
                   plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME,
                   GST_PACKAGE_ORIGIN)

/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#pragma once

#include <gst/audio/gstaudiofilter.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_BEAT_DETECT (gst_beat_detect_get_type ())
G_DECLARE_FINAL_TYPE (GstBeatDetect, gst_beat_detect, GST, BEAT_DETECT,
                      GstAudioFilter)

GST_ELEMENT_REGISTER_DECLARE (beatdetect);

G_END_DECLS

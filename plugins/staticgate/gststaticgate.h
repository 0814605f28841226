/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#pragma once

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_STATIC_GATE (gst_static_gate_get_type ())
G_DECLARE_FINAL_TYPE (GstStaticGate, gst_static_gate, GST, STATIC_GATE,
                      GstVideoFilter)

/**
 * GstStaticGateMode:
 * @GST_STATIC_GATE_MODE_DROP: static frames are not pushed (GAP events
 *   announce them)
 * @GST_STATIC_GATE_MODE_MARK: every frame is pushed; events and messages
 *   mark the kept segments for a cutter downstream
 */
typedef enum {
  GST_STATIC_GATE_MODE_DROP,
  GST_STATIC_GATE_MODE_MARK,
} GstStaticGateMode;

#define GST_TYPE_STATIC_GATE_MODE (gst_static_gate_mode_get_type ())
GType gst_static_gate_mode_get_type (void);

GST_ELEMENT_REGISTER_DECLARE (staticgate);

G_END_DECLS

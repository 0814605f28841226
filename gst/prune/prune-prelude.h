/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#pragma once

/* GST_PRUNE_API marks the symbols of libgstprune-1.0 that other code may
 * use; everything else is hidden (-fvisibility=hidden). */
#if defined(BUILDING_GST_PRUNE)
#define GST_PRUNE_API __attribute__ ((visibility ("default")))
#else
#define GST_PRUNE_API
#endif

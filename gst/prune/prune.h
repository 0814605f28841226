/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#pragma once

/* Everything libgstprune-1.0 offers; include this or the single headers. */
#include <gst/prune/prune-prelude.h>
#include <gst/prune/names.h>

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
 * SECTION:prune-mask
 * @title: Mask specifications
 *
 * The text form of the regions a gate ignores, as given to the
 * `staticgate` `mask` property: items separated by `;`. An item is either
 * a rectangle `x,y,w,h` — each number in pixels of the video frame, or a
 * percentage of the frame's width (x, w) or height (y, h) when it ends in
 * `%` — or the path of a grayscale image whose non-black pixels mark the
 * ignored area (scaled over the frame). Blank items are ignored.
 *
 *   "0,0,220,40"                 the top-left 220x40 pixels (a clock)
 *   "0,0,30%,10%; 90%,90%,10%,10%"
 *   "/etc/cam1/mask.png"         an image mask
 *   "0,0,220,40;/etc/cam1/mask.png"
 */

#include <gst/prune/names.h>
#include <gst/prune/prune-prelude.h>

#include <string>
#include <vector>

namespace prune {

/* A rectangle as written; a coordinate with its pct flag set is a
 * percentage of the frame size. */
struct MaskRect {
  double v[4] = {0, 0, 0, 0}; /* x, y, w, h */
  bool pct[4] = {false, false, false, false};
  bool operator== (const MaskRect &) const = default;
};

struct MaskSpec {
  std::vector<MaskRect> rects;
  std::vector<std::string> images;
  bool empty () const { return rects.empty () && images.empty (); }
  bool operator== (const MaskSpec &) const = default;
};

/* A rectangle in pixels, clipped to the frame (w, h may be 0). */
struct PixelRect {
  int x = 0, y = 0, w = 0, h = 0;
  bool operator== (const PixelRect &) const = default;
};

/* Parses the text form; the error says which item is wrong and how. */
GST_PRUNE_API Parsed<MaskSpec> parse_mask (const std::string &text);

/* The rectangles of @spec in pixels of a @width x @height frame. */
GST_PRUNE_API std::vector<PixelRect> resolve_mask (const MaskSpec &spec,
                                                   int width, int height);

} // namespace prune

/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "mask.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace prune {

namespace {

std::string
trim (const std::string &s)
{
  std::size_t b = 0, e = s.size ();
  while (b < e && std::isspace (static_cast<unsigned char> (s[b])))
    b++;
  while (e > b && std::isspace (static_cast<unsigned char> (s[e - 1])))
    e--;
  return s.substr (b, e - b);
}

/* True when @item looks like a rectangle (digits, dots, commas, %, signs
 * and blanks only, with a comma). */
bool
looks_like_rect (const std::string &item)
{
  if (item.find (',') == std::string::npos)
    return false;
  return std::all_of (item.begin (), item.end (), [] (char c) {
    return std::isdigit (static_cast<unsigned char> (c)) || c == '.' ||
           c == ',' || c == '%' || c == '-' || c == '+' ||
           std::isspace (static_cast<unsigned char> (c));
  });
}

bool
parse_number (const std::string &text, double &value, bool &pct)
{
  std::string t = trim (text);
  pct = !t.empty () && t.back () == '%';
  if (pct)
    t = trim (t.substr (0, t.size () - 1));
  if (t.empty ())
    return false;
  char *end = nullptr;
  value = std::strtod (t.c_str (), &end);
  return end != nullptr && *end == '\0' && std::isfinite (value);
}

} // namespace

Parsed<MaskSpec>
parse_mask (const std::string &text)
{
  MaskSpec spec;
  std::size_t start = 0;
  int n = 0;
  while (start <= text.size ()) {
    std::size_t stop = text.find (';', start);
    if (stop == std::string::npos)
      stop = text.size ();
    const std::string item = trim (text.substr (start, stop - start));
    start = stop + 1;
    if (item.empty ())
      continue;
    n++;
    if (!looks_like_rect (item)) {
      spec.images.push_back (item);
      continue;
    }
    MaskRect r;
    std::size_t pos = 0;
    int k = 0;
    for (; k < 4 && pos <= item.size (); k++) {
      std::size_t comma = item.find (',', pos);
      if (comma == std::string::npos)
        comma = item.size ();
      if (!parse_number (item.substr (pos, comma - pos), r.v[k], r.pct[k]))
        return ParseError{
            "mask item " + std::to_string (n) + " '" + item + "': value " +
            std::to_string (k + 1) +
            " is not a number (write x,y,w,h in pixels or with %)"};
      pos = comma + 1;
    }
    if (k != 4 || pos <= item.size ())
      return ParseError{"mask item " + std::to_string (n) + " '" + item +
                        "': a rectangle has exactly 4 values x,y,w,h"};
    for (int i = 0; i < 4; i++) {
      if (r.v[i] < 0)
        return ParseError{"mask item " + std::to_string (n) + " '" + item +
                          "': values must not be negative"};
      if (r.pct[i] && r.v[i] > 100)
        return ParseError{"mask item " + std::to_string (n) + " '" + item +
                          "': a percentage must be at most 100%"};
    }
    if (r.v[2] <= 0 || r.v[3] <= 0)
      return ParseError{"mask item " + std::to_string (n) + " '" + item +
                        "': width and height must be greater than 0"};
    spec.rects.push_back (r);
  }
  return spec;
}

std::vector<PixelRect>
resolve_mask (const MaskSpec &spec, int width, int height)
{
  std::vector<PixelRect> out;
  for (const MaskRect &r : spec.rects) {
    double px[4];
    for (int i = 0; i < 4; i++) {
      const int full = (i % 2 == 0) ? width : height;
      px[i] = r.pct[i] ? r.v[i] * full / 100.0 : r.v[i];
    }
    /* Cover every pixel the rectangle touches. */
    const int x0 = std::clamp (static_cast<int> (std::floor (px[0])), 0, width);
    const int y0 =
        std::clamp (static_cast<int> (std::floor (px[1])), 0, height);
    const int x1 =
        std::clamp (static_cast<int> (std::ceil (px[0] + px[2])), 0, width);
    const int y1 =
        std::clamp (static_cast<int> (std::ceil (px[1] + px[3])), 0, height);
    out.push_back ({x0, y0, std::max (0, x1 - x0), std::max (0, y1 - y0)});
  }
  return out;
}

} // namespace prune

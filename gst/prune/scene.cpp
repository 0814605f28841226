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

#include "scene.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace prune::scene {
namespace {

constexpr int kMaxSize = 16384;
constexpr double kPi = 3.14159265358979323846;

/* Noise: a table of 4096 Gaussian samples (12 bits of a 64-bit draw pick
 * one, so one draw serves 5 pixels), in 1/256 luma levels. */
constexpr int kNoiseBits = 12;
constexpr int kNoiseSize = 1 << kNoiseBits;
constexpr int kNoisePerDraw = 64 / kNoiseBits;

/* SplitMix64: a counter-based generator of good quality, cheap enough for
 * per-pixel noise. */
inline uint64_t
mix64 (uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline uint64_t
splitmix64 (uint64_t &state)
{
  state += 0x9E3779B97F4A7C15ull;
  return mix64 (state);
}

/* Deterministic numbers for building the background and the sprites. */
class Rng {
public:
  explicit Rng (uint64_t seed) : s_ (mix64 (seed ^ 0x6A09E667F3BCC909ull)) {}
  double uniform () { return double (splitmix64 (s_) >> 11) * 0x1.0p-53; }
  double range (double a, double b) { return a + (b - a) * uniform (); }
  bool chance (double p) { return uniform () < p; }

private:
  uint64_t s_;
};

/* A hash of integer coordinates in [0, 1). */
inline double
hash_unit (int64_t x, int64_t y, uint64_t seed)
{
  const uint64_t h = mix64 (
      seed ^ mix64 (uint64_t (x) * 0x9E3779B97F4A7C15ull + uint64_t (y)));
  return double (h >> 11) * 0x1.0p-53;
}

/* Smooth value noise in [-1, 1): hashed lattice values every @cell pixels,
 * smoothly interpolated. */
double
value_noise (double x, double y, double cell, uint64_t seed)
{
  const double fx = x / cell, fy = y / cell;
  const double ix = std::floor (fx), iy = std::floor (fy);
  double tx = fx - ix, ty = fy - iy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  const auto xi = int64_t (ix), yi = int64_t (iy);
  const double a = hash_unit (xi, yi, seed), b = hash_unit (xi + 1, yi, seed);
  const double c = hash_unit (xi, yi + 1, seed);
  const double d = hash_unit (xi + 1, yi + 1, seed);
  const double top = a + (b - a) * tx, bottom = c + (d - c) * tx;
  return 2 * (top + (bottom - top) * ty) - 1;
}

inline uint8_t
to_u8 (double v, double lo = 0, double hi = 255)
{
  return uint8_t (std::lround (std::clamp (v, lo, hi)));
}

/* A value in 1/256 levels plus rounding, clamped to 0..255. */
inline uint8_t
from_q8 (int32_t v)
{
  v += 128;
  v = v < 0 ? 0 : (v > 65535 ? 65535 : v);
  return uint8_t (v >> 8);
}

/* Float planes at full resolution, for building images. */
struct Canvas {
  int w = 0, h = 0;
  std::vector<float> y, u, v;

  Canvas (int width, int height)
      : w (width), h (height), y (std::size_t (width) * height), u (y.size ()),
        v (y.size ())
  {}
  std::size_t at (int px, int py) const { return std::size_t (py) * w + px; }
  void fill (float Y, float U, float V)
  {
    std::fill (y.begin (), y.end (), Y);
    std::fill (u.begin (), u.end (), U);
    std::fill (v.begin (), v.end (), V);
  }
  /* Blends a rectangle [x0, x1) x [y0, y1) (pixels, fractional) with edges
   * softened over @soft pixels, at opacity @alpha. */
  void soft_rect (double x0, double y0, double x1, double y1, double soft,
                  float Y, float U, float V, double alpha = 1.0)
  {
    const int px0 = std::max (0, int (std::floor (x0 - soft)));
    const int py0 = std::max (0, int (std::floor (y0 - soft)));
    const int px1 = std::min (w, int (std::ceil (x1 + soft)) + 1);
    const int py1 = std::min (h, int (std::ceil (y1 + soft)) + 1);
    for (int py = py0; py < py1; py++) {
      const double cy = py + 0.5;
      const double ay = std::clamp ((cy - y0) / soft + 0.5, 0.0, 1.0) *
                        std::clamp ((y1 - cy) / soft + 0.5, 0.0, 1.0);
      if (ay <= 0)
        continue;
      for (int px = px0; px < px1; px++) {
        const double cx = px + 0.5;
        const double a = alpha * ay *
                         std::clamp ((cx - x0) / soft + 0.5, 0.0, 1.0) *
                         std::clamp ((x1 - cx) / soft + 0.5, 0.0, 1.0);
        if (a <= 0)
          continue;
        const std::size_t k = at (px, py);
        y[k] += float (a * (Y - y[k]));
        u[k] += float (a * (U - u[k]));
        v[k] += float (a * (V - v[k]));
      }
    }
  }
};

/* An object's look: opaque where mask is set, full-resolution chroma. */
struct Sprite {
  int w = 0, h = 0;
  std::vector<uint8_t> y, u, v, mask;
  /* summed-area table of mask, (w + 1) x (h + 1) */
  std::vector<int32_t> sat;

  /* Number of opaque pixels in [x0, x1) x [y0, y1) (sprite coordinates,
   * already clipped to the sprite). */
  int32_t count (int x0, int y0, int x1, int y1) const
  {
    const int s = w + 1;
    return sat[std::size_t (y1) * s + x1] - sat[std::size_t (y0) * s + x1] -
           sat[std::size_t (y1) * s + x0] + sat[std::size_t (y0) * s + x0];
  }
};

Sprite
make_sprite (const Object &o, uint32_t scene_seed)
{
  Sprite s;
  s.w = o.w;
  s.h = o.h;
  const std::size_t n = std::size_t (o.w) * o.h;
  s.y.resize (n);
  s.u.resize (n);
  s.v.resize (n);
  s.mask.resize (n);

  const uint64_t seed = mix64 ((uint64_t (scene_seed) << 32) | o.seed);
  Rng rng (seed);
  const double shirt_y = rng.range (45, 170);
  const double shirt_u = 128 + rng.range (-35, 35);
  const double shirt_v = 128 + rng.range (-35, 35);
  const double pants_y = rng.range (30, 90);
  const double pants_u = 128 + rng.range (-15, 15);
  const double pants_v = 128 + rng.range (-12, 12);
  const double skin_y = rng.range (105, 160);
  const double skin_u = rng.range (106, 118);
  const double skin_v = rng.range (138, 152);
  const double hair_y = rng.range (25, 70);
  const bool stripes = rng.chance (0.5);
  const double stripe_period = rng.range (0.04, 0.08);

  for (int py = 0; py < o.h; py++) {
    const double fy = (py + 0.5) / o.h;
    for (int px = 0; px < o.w; px++) {
      const double fx = (px + 0.5) / o.w;
      const std::size_t k = std::size_t (py) * o.w + px;
      double Y = 0, U = 128, V = 128;
      bool in = false;
      const double hx = (fx - 0.5) / 0.22, hy = (fy - 0.11) / 0.11;
      if (hx * hx + hy * hy <= 1.0) {
        /* head, hair on top */
        in = true;
        if (fy < 0.07) {
          Y = hair_y;
          U = 126;
          V = 130;
        } else {
          Y = skin_y;
          U = skin_u;
          V = skin_v;
        }
      } else if (fy >= 0.2 && fy < 0.62) {
        /* torso and arms, rounded shoulders */
        const double half = std::min (0.5, 0.35 + 0.15 * (fy - 0.2) / 0.06);
        if (std::fabs (fx - 0.5) <= half) {
          in = true;
          Y = shirt_y;
          U = shirt_u;
          V = shirt_v;
          if (stripes && std::fmod (fy, stripe_period) < stripe_period / 2)
            Y += shirt_y > 110 ? -22 : 22;
        }
      } else if (fy >= 0.62) {
        /* legs */
        if ((fx >= 0.1 && fx < 0.45) || (fx >= 0.55 && fx < 0.9)) {
          in = true;
          Y = pants_y;
          U = pants_u;
          V = pants_v;
        }
      }
      if (!in) {
        s.y[k] = 0;
        s.u[k] = s.v[k] = 128;
        s.mask[k] = 0;
        continue;
      }
      /* round shading and a static fine texture */
      Y *= 0.8 + 0.2 * std::sin (kPi * fx);
      Y += 4 * value_noise (px, py, 3, seed) +
           2 * (hash_unit (px, py, seed) - 0.5);
      s.y[k] = to_u8 (Y, 16, 235);
      s.u[k] = to_u8 (U, 16, 240);
      s.v[k] = to_u8 (V, 16, 240);
      s.mask[k] = 1;
    }
  }

  s.sat.assign (std::size_t (o.w + 1) * (o.h + 1), 0);
  for (int py = 0; py < o.h; py++) {
    int32_t row = 0;
    for (int px = 0; px < o.w; px++) {
      row += s.mask[std::size_t (py) * o.w + px];
      s.sat[std::size_t (py + 1) * (o.w + 1) + px + 1] =
          s.sat[std::size_t (py) * (o.w + 1) + px + 1] + row;
    }
  }
  return s;
}

/* The still room: wall, floor with tiles, door, window, picture,
 * furniture, vignetting and fine texture. Layout in fractions of the frame
 * so that every size looks alike. */
Canvas
make_background (int W, int H, uint32_t seed)
{
  Canvas c (W, H);
  Rng rng (uint64_t (seed) * 0x2545F4914F6CDD1Dull + 17);
  const double soft = std::max (0.75, 1.5 * H / 360.0);

  /* wall, slightly warm */
  const double wall_y = rng.range (120, 145);
  const double wall_u = 128 + rng.range (-7, 0);
  const double wall_v = 128 + rng.range (0, 8);
  const double horizon = rng.range (0.56, 0.62) * H;
  for (int py = 0; py < H; py++)
    for (int px = 0; px < W; px++) {
      const std::size_t k = c.at (px, py);
      c.y[k] = float (wall_y - 12.0 * py / H);
      c.u[k] = float (wall_u);
      c.v[k] = float (wall_v);
    }

  /* window on one side, door on the other */
  const bool door_left = rng.chance (0.5);
  const double door_x =
      (door_left ? rng.range (0.06, 0.2) : rng.range (0.72, 0.84)) * W;
  const double door_w = 0.09 * W, door_h = 0.42 * H;
  const double win_x =
      (door_left ? rng.range (0.5, 0.68) : rng.range (0.12, 0.3)) * W;
  const double win_w = 0.2 * W;
  const double win_y0 = 0.12 * H, win_y1 = 0.38 * H;

  /* window: frame, glass (bright, bluish), cross bars */
  c.soft_rect (win_x - 0.012 * W, win_y0 - 0.02 * H, win_x + win_w + 0.012 * W,
               win_y1 + 0.02 * H, soft, 165, 127, 129);
  c.soft_rect (win_x, win_y0, win_x + win_w, win_y1, soft, 176, 136, 121);
  c.soft_rect (win_x + win_w / 2 - 0.005 * W, win_y0,
               win_x + win_w / 2 + 0.005 * W, win_y1, soft, 150, 128, 128);
  c.soft_rect (win_x, (win_y0 + win_y1) / 2 - 0.008 * H, win_x + win_w,
               (win_y0 + win_y1) / 2 + 0.008 * H, soft, 150, 128, 128);

  /* door: frame, leaf (wood), handle */
  const double door_y0 = horizon - door_h;
  c.soft_rect (door_x - 0.008 * W, door_y0 - 0.012 * H,
               door_x + door_w + 0.008 * W, horizon, soft, 112, 124, 134);
  c.soft_rect (door_x, door_y0, door_x + door_w, horizon, soft,
               float (rng.range (65, 90)), 117, 142);
  const double handle_x =
      door_left ? door_x + door_w * 0.82 : door_x + door_w * 0.1;
  c.soft_rect (handle_x, door_y0 + door_h * 0.5, handle_x + 0.008 * W,
               door_y0 + door_h * 0.53, soft, 170, 124, 134);

  /* a picture on the wall */
  const double pic_x =
      (door_left ? rng.range (0.3, 0.4) : rng.range (0.45, 0.6)) * W;
  c.soft_rect (pic_x, 0.2 * H, pic_x + 0.08 * W, 0.33 * H, soft, 60, 128, 128);
  c.soft_rect (pic_x + 0.006 * W, 0.2 * H + 0.01 * H, pic_x + 0.074 * W,
               0.33 * H - 0.01 * H, soft, float (rng.range (70, 160)),
               float (128 + rng.range (-30, 30)),
               float (128 + rng.range (-30, 30)));

  /* floor: darker, brighter towards the camera, tiled in perspective */
  const double floor_y = rng.range (70, 95);
  const double floor_u = 128 + rng.range (-6, 6);
  const double floor_v = 128 + rng.range (-4, 10);
  const int hz = std::clamp (int (std::ceil (horizon)), 0, H);
  auto tile_u = [&] (double px, double py) {
    const double d = (py + 0.5 - horizon) / (H - horizon);
    return (px + 0.5 - 0.5 * W) / W / (d + 0.15) * 6.0;
  };
  auto tile_v = [&] (double py) {
    const double d = (py + 0.5 - horizon) / (H - horizon);
    return 1.2 / (d + 0.15);
  };
  for (int py = hz; py < H; py++) {
    const double d = (py + 0.5 - horizon) / (H - horizon);
    const bool row_line =
        py + 1 < H && std::floor (tile_v (py)) != std::floor (tile_v (py + 1));
    for (int px = 0; px < W; px++) {
      const std::size_t k = c.at (px, py);
      double Y = floor_y + 35 * d;
      const bool col_line =
          std::floor (tile_u (px, py)) != std::floor (tile_u (px + 1, py));
      if (row_line || col_line)
        Y -= 14;
      c.y[k] = float (Y);
      c.u[k] = float (floor_u);
      c.v[k] = float (floor_v);
    }
  }
  /* skirting board */
  c.soft_rect (0, horizon - 0.02 * H, W, horizon + 0.002 * H, soft, 95, 128,
               128);

  /* furniture: a cabinet against the wall, a table with its shadow */
  const double cab_x =
      (door_left ? rng.range (0.78, 0.84) : rng.range (0.03, 0.08)) * W;
  const double cab_w = 0.14 * W;
  c.soft_rect (cab_x + 0.01 * W, horizon, cab_x + cab_w + 0.02 * W,
               horizon + 0.06 * H, soft * 4, 0, 128, 128, 0.35);
  c.soft_rect (cab_x, horizon - 0.27 * H, cab_x + cab_w, horizon + 0.04 * H,
               soft, float (rng.range (50, 70)), 120, 138);
  c.soft_rect (cab_x + 0.01 * W, horizon - 0.25 * H, cab_x + cab_w - 0.01 * W,
               horizon - 0.13 * H, soft, float (rng.range (62, 80)), 121, 137);
  c.soft_rect (cab_x + 0.01 * W, horizon - 0.11 * H, cab_x + cab_w - 0.01 * W,
               horizon + 0.02 * H, soft, float (rng.range (62, 80)), 121, 137);

  const double tab_x = rng.range (0.36, 0.5) * W, tab_w = 0.22 * W;
  const double tab_top = horizon + 0.1 * H, tab_bottom = horizon + 0.3 * H;
  c.soft_rect (tab_x + 0.01 * W, tab_bottom - 0.02 * H,
               tab_x + tab_w + 0.03 * W, tab_bottom + 0.03 * H, soft * 5, 0,
               128, 128, 0.4);
  const float tab_y = float (rng.range (100, 150));
  c.soft_rect (tab_x, tab_top, tab_x + tab_w, tab_top + 0.035 * H, soft, tab_y,
               124, 134);
  for (double lx : {tab_x + 0.01 * W, tab_x + tab_w - 0.025 * W})
    c.soft_rect (lx, tab_top + 0.035 * H, lx + 0.015 * W, tab_bottom, soft,
                 tab_y * 0.7f, 124, 134);

  /* vignetting and texture */
  const uint64_t tex = mix64 (seed + 0x51ED27ull);
  const double cell = std::max (2.0, 16.0 * H / 360.0);
  for (int py = 0; py < H; py++) {
    const double dy = (py + 0.5) / H - 0.5;
    for (int px = 0; px < W; px++) {
      const double dx = (px + 0.5) / W - 0.5;
      const std::size_t k = c.at (px, py);
      double Y = c.y[k] * (1.0 - 0.36 * (dx * dx + dy * dy));
      Y += 5 * value_noise (px, py, cell, tex) +
           3 * value_noise (px, py, cell / 4, tex + 1) +
           2.5 * (hash_unit (px, py, tex + 2) - 0.5);
      c.y[k] = float (Y);
      c.u[k] += float (2 * value_noise (px, py, cell * 2, tex + 3));
      c.v[k] += float (2 * value_noise (px, py, cell * 2, tex + 4));
    }
  }
  return c;
}

/* One 7-segment glyph: segments a..g as bits 0..6. */
constexpr std::array<uint8_t, 10> kDigitSegments = {
    0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F};

void
check_config (const Config &c)
{
  auto fail = [] (const std::string &what) {
    throw std::invalid_argument ("prune::scene: " + what);
  };
  if (c.width < 1 || c.height < 1 || c.width > kMaxSize || c.height > kMaxSize)
    fail ("width and height must be within 1.." + std::to_string (kMaxSize));
  if (c.fps_n < 1 || c.fps_d < 1)
    fail ("the frame rate must be a positive fraction");
  if (!(c.seconds >= 0) || c.seconds > 1e7)
    fail ("seconds must be within 0..1e7");
  if (!(c.noise >= 0) || c.noise > 64)
    fail ("noise must be within 0..64");
  if (c.clock_start < 0)
    fail ("clock_start must not be negative");
  if (!(c.ramp_amplitude >= 0 && c.ramp_amplitude < 1) || !(c.ramp_period > 0))
    fail ("ramp_amplitude must be within [0, 1), ramp_period > 0");
  for (const auto &[t, g] : c.exposure_steps)
    if (!std::isfinite (t) || !(g > 0 && g < 16))
      fail ("an exposure step needs a finite time and a gain within (0, 16)");
  for (const auto &o : c.objects)
    if (o.w < 1 || o.h < 1 || o.w > kMaxSize || o.h > kMaxSize ||
        !std::isfinite (o.start) || !std::isfinite (o.end) || o.end < o.start ||
        !std::isfinite (o.x0) || !std::isfinite (o.y0) ||
        !std::isfinite (o.x1) || !std::isfinite (o.y1))
      fail ("an object needs a size within 1.." + std::to_string (kMaxSize) +
            ", finite times with start <= end and a finite path");
}

/* The 4096 quantiles (k + 0.5) / 4096 of N(0, 1), rescaled to a standard
 * deviation of exactly 1; computed once. */
const std::vector<double> &
unit_quantiles ()
{
  static const std::vector<double> z = [] {
    std::vector<double> q (kNoiseSize);
    for (int k = 0; k < kNoiseSize; k++) {
      const double p = (k + 0.5) / kNoiseSize;
      double lo = -10, hi = 10;
      for (int it = 0; it < 60; it++) {
        const double mid = (lo + hi) / 2;
        if (0.5 * std::erfc (-mid / std::sqrt (2.0)) < p)
          lo = mid;
        else
          hi = mid;
      }
      q[k] = (lo + hi) / 2;
    }
    double var = 0;
    for (double x : q)
      var += x * x;
    const double scale = 1.0 / std::sqrt (var / kNoiseSize);
    for (double &x : q)
      x *= scale;
    return q;
  }();
  return z;
}

/* A Gaussian table of standard deviation @sigma, in 1/256 levels. */
std::vector<int32_t>
gaussian_table (double sigma)
{
  const std::vector<double> &z = unit_quantiles ();
  std::vector<int32_t> t (kNoiseSize);
  for (int k = 0; k < kNoiseSize; k++)
    t[k] = int32_t (std::lround (z[k] * sigma * 256));
  return t;
}

} // namespace

/* ---------------------------------------------------------------------- */

struct Scene::Impl {
  Config cfg;
  int cw = 0, ch = 0; /* chroma size */
  std::vector<uint8_t> bg_y, bg_u, bg_v;
  std::vector<Sprite> sprites;
  std::vector<int32_t> noise_y, noise_c;        /* empty when noise == 0 */
  std::vector<std::pair<double, double>> steps; /* sorted */

  /* clock geometry */
  int digit_h = 0, digit_w = 0, seg = 0, outline = 0, spacing = 0;
  int clock_x = 0, clock_y = 0;
  Rect clock_area;

  explicit Impl (const Config &c);

  int64_t clock_seconds (int64_t i) const
  {
    return (int64_t (cfg.clock_start) + i * cfg.fps_d / cfg.fps_n) % 86400;
  }
  double time (int64_t i) const { return double (i) * cfg.fps_d / cfg.fps_n; }
  double gain (int64_t i) const;
  std::optional<Rect> object_rect (std::size_t k, int64_t i) const;
  /* calls fn (x, y, w, h) for every filled rectangle of the clock text */
  template<typename F>
  void clock_rects (const char *text, F &&fn) const;
  void draw_clock (int64_t i, uint8_t *y, int ys, uint8_t *u, int us,
                   uint8_t *v, int vs) const;
};

Scene::Impl::Impl (const Config &c) : cfg (c)
{
  check_config (cfg);
  const int W = cfg.width, H = cfg.height;
  cw = (W + 1) / 2;
  ch = (H + 1) / 2;

  /* background, chroma averaged over 2x2 blocks */
  const Canvas bg = make_background (W, H, cfg.seed);
  bg_y.resize (std::size_t (W) * H);
  for (std::size_t k = 0; k < bg_y.size (); k++)
    bg_y[k] = to_u8 (bg.y[k], 24, 180);
  bg_u.resize (std::size_t (cw) * ch);
  bg_v.resize (bg_u.size ());
  for (int cy = 0; cy < ch; cy++)
    for (int cx = 0; cx < cw; cx++) {
      double su = 0, sv = 0;
      int n = 0;
      for (int dy = 0; dy < 2; dy++)
        for (int dx = 0; dx < 2; dx++) {
          const int px = 2 * cx + dx, py = 2 * cy + dy;
          if (px < W && py < H) {
            su += bg.u[bg.at (px, py)];
            sv += bg.v[bg.at (px, py)];
            n++;
          }
        }
      bg_u[std::size_t (cy) * cw + cx] = to_u8 (su / n, 16, 240);
      bg_v[std::size_t (cy) * cw + cx] = to_u8 (sv / n, 16, 240);
    }

  for (const auto &o : cfg.objects)
    sprites.push_back (make_sprite (o, cfg.seed));

  if (cfg.noise > 0) {
    noise_y = gaussian_table (cfg.noise);
    noise_c = gaussian_table (cfg.noise / 2);
  }
  steps = cfg.exposure_steps;
  std::stable_sort (
      steps.begin (), steps.end (),
      [] (const auto &a, const auto &b) { return a.first < b.first; });

  /* clock: digit height 1/18 of the frame height, at least 7 pixels */
  digit_h = std::max (7, int (std::lround (H / 18.0)));
  seg = std::max (1, (digit_h + 3) / 6);
  digit_w = std::max (5, (digit_h * 11 + 10) / 20);
  outline = std::max (1, (seg + 1) / 3);
  spacing = std::max (2, seg) + 2 * outline;
  clock_x = clock_y = std::max (2, digit_h / 2);
  if (cfg.clock) {
    int x0 = kMaxSize * 4, y0 = x0, x1 = -x0, y1 = -x0;
    clock_rects ("88:88:88", [&] (int x, int y, int w, int h) {
      x0 = std::min (x0, x - outline);
      y0 = std::min (y0, y - outline);
      x1 = std::max (x1, x + w + outline);
      y1 = std::max (y1, y + h + outline);
    });
    x0 = std::max (x0, 0);
    y0 = std::max (y0, 0);
    x1 = std::min (x1, W);
    y1 = std::min (y1, H);
    if (x1 > x0 && y1 > y0)
      clock_area = {x0, y0, x1 - x0, y1 - y0};
  }
}

double
Scene::Impl::gain (int64_t i) const
{
  const double t = time (i);
  double g = 1.0;
  if (cfg.light_ramp)
    g *= 1.0 + cfg.ramp_amplitude * std::sin (2 * kPi * t / cfg.ramp_period);
  double step = 1.0;
  for (const auto &[st, sg] : steps) {
    if (t < st)
      break;
    step = sg;
  }
  return g * step;
}

std::optional<Rect>
Scene::Impl::object_rect (std::size_t k, int64_t i) const
{
  if (k >= cfg.objects.size () || i < 0)
    return std::nullopt;
  const Object &o = cfg.objects[k];
  const double t = time (i);
  if (!(t >= o.start && t < o.end))
    return std::nullopt;
  const double p = (t - o.start) / (o.end - o.start);
  const double fx = std::clamp (o.x0 + (o.x1 - o.x0) * p, -1e8, 1e8);
  const double fy = std::clamp (o.y0 + (o.y1 - o.y0) * p, -1e8, 1e8);
  const Rect r{int (std::floor (fx + 0.5)), int (std::floor (fy + 0.5)), o.w,
               o.h};
  /* visible iff an opaque pixel lies inside the frame */
  const int sx0 = std::clamp (-r.x, 0, o.w);
  const int sy0 = std::clamp (-r.y, 0, o.h);
  const int sx1 =
      int (std::clamp (int64_t (cfg.width) - r.x, int64_t (0), int64_t (o.w)));
  const int sy1 =
      int (std::clamp (int64_t (cfg.height) - r.y, int64_t (0), int64_t (o.h)));
  if (sx1 <= sx0 || sy1 <= sy0 || sprites[k].count (sx0, sy0, sx1, sy1) == 0)
    return std::nullopt;
  return r;
}

template<typename F>
void
Scene::Impl::clock_rects (const char *text, F &&fn) const
{
  const int mid = (digit_h - seg) / 2;
  int x = clock_x;
  const int y = clock_y;
  for (const char *p = text; *p; p++) {
    if (*p == ':') {
      fn (x, y + digit_h * 3 / 10 - seg / 2, seg, seg);
      fn (x, y + digit_h * 7 / 10 - seg / 2, seg, seg);
      x += seg + spacing;
      continue;
    }
    const unsigned d = unsigned (*p - '0');
    const uint8_t bits = d < 10 ? kDigitSegments[d] : 0;
    const int w = digit_w, h = digit_h;
    if (bits & 0x01) /* a */
      fn (x, y, w, seg);
    if (bits & 0x02) /* b */
      fn (x + w - seg, y, seg, mid + seg);
    if (bits & 0x04) /* c */
      fn (x + w - seg, y + mid, seg, h - mid);
    if (bits & 0x08) /* d */
      fn (x, y + h - seg, w, seg);
    if (bits & 0x10) /* e */
      fn (x, y + mid, seg, h - mid);
    if (bits & 0x20) /* f */
      fn (x, y, seg, mid + seg);
    if (bits & 0x40) /* g */
      fn (x, y + mid, w, seg);
    x += w + spacing;
  }
}

void
Scene::Impl::draw_clock (int64_t i, uint8_t *y, int ys, uint8_t *u, int us,
                         uint8_t *v, int vs) const
{
  const int64_t s = clock_seconds (i);
  char text[16];
  std::snprintf (text, sizeof text, "%02d:%02d:%02d", int (s / 3600),
                 int (s / 60 % 60), int (s % 60));
  const int W = cfg.width, H = cfg.height;
  auto fill = [&] (int x, int yy, int w, int h, uint8_t value, bool chroma) {
    const int x0 = std::max (x, 0), y0 = std::max (yy, 0);
    const int x1 = std::min (x + w, W), y1 = std::min (yy + h, H);
    if (x1 <= x0 || y1 <= y0)
      return;
    for (int py = y0; py < y1; py++)
      std::memset (y + std::size_t (py) * ys + x0, value,
                   std::size_t (x1 - x0));
    if (!chroma)
      return;
    const int cx0 = x0 / 2, cx1 = (x1 - 1) / 2 + 1;
    const int cy0 = y0 / 2, cy1 = (y1 - 1) / 2 + 1;
    for (int py = cy0; py < cy1; py++) {
      std::memset (u + std::size_t (py) * us + cx0, 128,
                   std::size_t (cx1 - cx0));
      std::memset (v + std::size_t (py) * vs + cx0, 128,
                   std::size_t (cx1 - cx0));
    }
  };
  const int o = outline;
  clock_rects (text, [&] (int x, int yy, int w, int h) {
    fill (x - o, yy - o, w + 2 * o, h + 2 * o, 16, true);
  });
  clock_rects (text, [&] (int x, int yy, int w, int h) {
    fill (x, yy, w, h, 235, false);
  });
}

namespace {

/* Applies a gain table (1/256 levels) and, when @noise is set, one table
 * sample per pixel, to a plane in place. */
void
light_and_noise (uint8_t *p, int stride, int w, int h, const int32_t *lut,
                 const int32_t *noise, uint64_t state)
{
  for (int row = 0; row < h; row++) {
    uint8_t *r = p + std::size_t (row) * stride;
    if (noise == nullptr) {
      for (int x = 0; x < w; x++)
        r[x] = from_q8 (lut[r[x]]);
      continue;
    }
    int x = 0;
    for (; x + kNoisePerDraw <= w; x += kNoisePerDraw) {
      uint64_t bits = splitmix64 (state);
      for (int j = 0; j < kNoisePerDraw; j++) {
        r[x + j] = from_q8 (lut[r[x + j]] + noise[bits & (kNoiseSize - 1)]);
        bits >>= kNoiseBits;
      }
    }
    if (x < w) {
      uint64_t bits = splitmix64 (state);
      for (; x < w; x++) {
        r[x] = from_q8 (lut[r[x]] + noise[bits & (kNoiseSize - 1)]);
        bits >>= kNoiseBits;
      }
    }
  }
}

} // namespace

/* ---------------------------------------------------------------------- */
/* Config                                                                  */

Config
Config::preset (const std::string &name)
{
  Config c;
  c.width = 640;
  c.height = 360;
  c.fps_n = 10;
  c.fps_d = 1;
  c.clock = true;
  c.light_ramp = true;
  if (name == kPresetTest) {
    c.seconds = 60;
    c.seed = 1;
    c.noise = 2.0;
    c.exposure_steps = {{33.0, 1.2}};
    c.objects = {
        {8, 14, 48, 120, -44, 200, 640, 196, 101},
        {25, 27, 40, 64, 636, 180, -40, 180, 102},
        {40, 52, 64, 160, -60, 150, 640, 200, 103},
    };
  } else if (name == kPresetDemo) {
    c.seconds = 180;
    c.seed = 7;
    c.noise = 2.5;
    c.exposure_steps = {{45.0, 1.2}, {90.0, 1.0}, {135.0, 0.85}};
    c.objects = {
        {12, 20, 48, 120, -44, 195, 640, 200, 201},
        {35, 38, 40, 64, 636, 175, -40, 178, 202},
        {60, 75, 64, 160, -60, 140, 640, 200, 203},
        {110, 118, 96, 230, 636, 130, -96, 125, 204},
        {150, 162, 30, 72, -26, 175, 640, 172, 205},
    };
  } else {
    throw std::invalid_argument ("prune::scene: unknown preset \"" + name +
                                 "\" (known: test, demo)");
  }
  return c;
}

void
Config::resize (int w, int h)
{
  if (w < 1 || h < 1 || w > kMaxSize || h > kMaxSize)
    throw std::invalid_argument ("prune::scene: width and height must be "
                                 "within 1.." +
                                 std::to_string (kMaxSize));
  const double sx = double (w) / width, sy = double (h) / height;
  for (auto &o : objects) {
    o.w = std::clamp (int (std::lround (o.w * sx)), 1, kMaxSize);
    o.h = std::clamp (int (std::lround (o.h * sy)), 1, kMaxSize);
    o.x0 *= sx;
    o.x1 *= sx;
    o.y0 *= sy;
    o.y1 *= sy;
  }
  width = w;
  height = h;
}

I420Layout
i420_layout (int width, int height)
{
  auto up2 = [] (int v) {
    return (v + 1) & ~1;
  };
  auto up4 = [] (int v) {
    return (v + 3) & ~3;
  };
  I420Layout l;
  l.stride[0] = up4 (width);
  l.stride[1] = l.stride[2] = up4 (up2 (width) / 2);
  const std::size_t ch = std::size_t (up2 (height) / 2);
  l.offset[0] = 0;
  l.offset[1] = std::size_t (l.stride[0]) * up2 (height);
  l.offset[2] = l.offset[1] + std::size_t (l.stride[1]) * ch;
  l.size = l.offset[2] + std::size_t (l.stride[2]) * ch;
  return l;
}

/* ---------------------------------------------------------------------- */
/* Scene                                                                   */

Scene::Scene (const Config &c) : impl_ (new Impl (c)) {}

Scene::~Scene ()
{
  delete impl_;
}

Scene::Scene (const Scene &other)
    : impl_ (other.impl_ != nullptr ? new Impl (*other.impl_) : nullptr)
{}

Scene &
Scene::operator= (const Scene &other)
{
  if (this != &other) {
    Impl *copy = other.impl_ != nullptr ? new Impl (*other.impl_) : nullptr;
    delete impl_;
    impl_ = copy;
  }
  return *this;
}

Scene::Scene (Scene &&other) noexcept : impl_ (other.impl_)
{
  other.impl_ = nullptr;
}

Scene &
Scene::operator= (Scene &&other) noexcept
{
  if (this != &other) {
    delete impl_;
    impl_ = other.impl_;
    other.impl_ = nullptr;
  }
  return *this;
}

const Config &
Scene::config () const
{
  return impl_->cfg;
}

int64_t
Scene::n_frames () const
{
  const Config &c = impl_->cfg;
  const double f = c.seconds * c.fps_n / c.fps_d;
  return std::max<int64_t> (0, int64_t (std::ceil (f - 1e-9)));
}

double
Scene::frame_time (int64_t i) const
{
  return impl_->time (i);
}

uint64_t
Scene::frame_pts (int64_t i) const
{
  const Config &c = impl_->cfg;
  const unsigned __int128 ns = (unsigned __int128)(uint64_t)i *
                               uint64_t (c.fps_d) * 1000000000u /
                               uint64_t (c.fps_n);
  return uint64_t (ns);
}

void
Scene::render_i420 (int64_t i, uint8_t *y, int y_stride, uint8_t *u,
                    int u_stride, uint8_t *v, int v_stride) const
{
  const Impl &m = *impl_;
  const int W = m.cfg.width, H = m.cfg.height, CW = m.cw, CH = m.ch;
  if (i < 0)
    i = 0;

  /* 1. background */
  for (int row = 0; row < H; row++)
    std::memcpy (y + std::size_t (row) * y_stride,
                 m.bg_y.data () + std::size_t (row) * W, std::size_t (W));
  for (int row = 0; row < CH; row++) {
    std::memcpy (u + std::size_t (row) * u_stride,
                 m.bg_u.data () + std::size_t (row) * CW, std::size_t (CW));
    std::memcpy (v + std::size_t (row) * v_stride,
                 m.bg_v.data () + std::size_t (row) * CW, std::size_t (CW));
  }

  /* 2. objects, clipped */
  for (std::size_t k = 0; k < m.sprites.size (); k++) {
    const auto r = m.object_rect (k, i);
    if (!r)
      continue;
    const Sprite &s = m.sprites[k];
    const int x0 = std::max (r->x, 0), x1 = std::min (r->x + r->w, W);
    const int y0 = std::max (r->y, 0), y1 = std::min (r->y + r->h, H);
    for (int py = y0; py < y1; py++) {
      const std::size_t srow = std::size_t (py - r->y) * s.w;
      uint8_t *dst = y + std::size_t (py) * y_stride;
      for (int px = x0; px < x1; px++) {
        const std::size_t k2 = srow + std::size_t (px - r->x);
        if (s.mask[k2])
          dst[px] = s.y[k2];
      }
    }
    /* chroma sample (cx, cy) sits on luma pixel (2 cx, 2 cy) */
    for (int cy = (y0 + 1) / 2; 2 * cy < y1; cy++) {
      const std::size_t srow = std::size_t (2 * cy - r->y) * s.w;
      uint8_t *du = u + std::size_t (cy) * u_stride;
      uint8_t *dv = v + std::size_t (cy) * v_stride;
      for (int cx = (x0 + 1) / 2; 2 * cx < x1; cx++) {
        const std::size_t k2 = srow + std::size_t (2 * cx - r->x);
        if (s.mask[k2]) {
          du[cx] = s.u[k2];
          dv[cx] = s.v[k2];
        }
      }
    }
  }

  /* 3. light and sensor noise */
  const double g = m.gain (i);
  const bool noisy = !m.noise_y.empty ();
  if (g != 1.0 || noisy) {
    int32_t lut_y[256], lut_c[256];
    for (int k = 0; k < 256; k++) {
      lut_y[k] = int32_t (std::lround (k * g * 256));
      lut_c[k] = int32_t (std::lround ((128 + (k - 128) * g) * 256));
    }
    const uint64_t base =
        mix64 ((uint64_t (m.cfg.seed) << 32) ^ 0x5CE4E5CE4Eull) ^
        mix64 (uint64_t (i) * 0x9E3779B97F4A7C15ull);
    light_and_noise (y, y_stride, W, H, lut_y,
                     noisy ? m.noise_y.data () : nullptr, mix64 (base + 1));
    light_and_noise (u, u_stride, CW, CH, lut_c,
                     noisy ? m.noise_c.data () : nullptr, mix64 (base + 2));
    light_and_noise (v, v_stride, CW, CH, lut_c,
                     noisy ? m.noise_c.data () : nullptr, mix64 (base + 3));
  }

  /* 4. the clock, on top */
  if (m.cfg.clock)
    m.draw_clock (i, y, y_stride, u, u_stride, v, v_stride);
}

void
Scene::render_i420 (int64_t i, uint8_t *frame) const
{
  const Config &c = impl_->cfg;
  const I420Layout l = i420_layout (c.width, c.height);
  if (l.stride[0] != c.width || l.stride[1] != impl_->cw || c.height % 2)
    std::memset (frame, 0, l.size);
  render_i420 (i, frame + l.offset[0], l.stride[0], frame + l.offset[1],
               l.stride[1], frame + l.offset[2], l.stride[2]);
}

bool
Scene::motion (int64_t i) const
{
  const Impl &m = *impl_;
  for (std::size_t k = 0; k < m.cfg.objects.size (); k++) {
    const auto r = m.object_rect (k, i);
    if (!r)
      continue;
    if (i <= 0)
      return true;
    const auto prev = m.object_rect (k, i - 1);
    if (!prev || prev->x != r->x || prev->y != r->y)
      return true;
  }
  return false;
}

std::vector<std::pair<double, double>>
Scene::motion_intervals () const
{
  std::vector<std::pair<double, double>> out;
  const int64_t n = n_frames ();
  int64_t first = -1;
  for (int64_t i = 0; i <= n; i++) {
    const bool m = i < n && motion (i);
    if (m && first < 0)
      first = i;
    else if (!m && first >= 0) {
      out.emplace_back (frame_time (first), frame_time (i));
      first = -1;
    }
  }
  return out;
}

bool
Scene::clock_changes (int64_t i) const
{
  const Impl &m = *impl_;
  return m.cfg.clock && i > 0 && m.clock_seconds (i) != m.clock_seconds (i - 1);
}

Rect
Scene::clock_rect () const
{
  return impl_->clock_area;
}

std::string
Scene::clock_text (int64_t i) const
{
  const int64_t s = impl_->clock_seconds (std::max<int64_t> (i, 0));
  char text[16];
  std::snprintf (text, sizeof text, "%02d:%02d:%02d", int (s / 3600),
                 int (s / 60 % 60), int (s % 60));
  return text;
}

double
Scene::light_gain (int64_t i) const
{
  return impl_->gain (i);
}

std::optional<Rect>
Scene::object_rect (std::size_t k, int64_t i) const
{
  return impl_->object_rect (k, i);
}

} // namespace prune::scene

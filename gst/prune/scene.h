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
 * SECTION:prune-scene
 * @title: Synthetic camera scene with exact ground truth
 *
 * A deterministic, pure C++ generator of a fixed security camera's view:
 * a still textured room, temporal sensor noise, a burnt-in clock, slow
 * light changes, sudden exposure steps and people walking through. Tests,
 * benchmarks, the demo and the RTSP test server render it; because every
 * moving object is placed by the program, the ground truth ("is there
 * motion in frame i?") is exact.
 *
 * Determinism: every frame is a pure function of (#Config, frame index).
 * Rendering frame i twice, or frames in any order, gives identical bytes;
 * the sensor noise is seeded from (seed, frame index), never from a
 * running generator state.
 *
 * How a frame is made, in order:
 *
 * 1. the background (built once from `seed`: wall, floor with tiles, a
 *    door, a window, furniture as soft-edged rectangles, camera
 *    vignetting and a fine static texture; luma within about 24..180 so
 *    that gain and noise rarely clip);
 * 2. the objects active at the frame's time, pasted opaquely in list
 *    order (later ones in front), clipped at the frame edges;
 * 3. the luma gain light_gain() (light ramp times exposure step) applied
 *    to luma and to the chroma difference from 128, then temporal noise
 *    (Gaussian, sigma `noise` luma levels on Y, sigma noise / 2 on U and
 *    V, independent per pixel and frame);
 * 4. the clock (an on-screen display: not lit, not noisy) on top.
 *
 * Ground truth. An object is *visible* in frame i when the frame's time t
 * is in [start, end) and at least one of its opaque pixels falls inside
 * the frame. motion(i) is TRUE iff some object is visible in frame i and
 * its integer position differs from frame i - 1, or it was not visible in
 * frame i - 1 (it appeared; for frame 0 the previous frame counts as
 * empty). An object that leaves the frame (or whose interval ends) makes
 * the pixels change once more, on the first frame without it; that frame
 * is *not* motion. The clock, the light ramp, exposure steps and noise are
 * never motion.
 *
 * The presets (Config::preset()) are built so that every object is
 * visible from its first frame to its last and moves at least one pixel
 * per frame: their motion_intervals() are exactly their objects'
 * [start, end) intervals (at the preset's own size and frame rate).
 */

#include <gst/prune/prune-prelude.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace prune::scene {

/* A rectangle in luma pixels; empty when w or h is 0. */
struct Rect {
  int x = 0, y = 0, w = 0, h = 0;

  bool empty () const { return w <= 0 || h <= 0; }
  bool contains (int px, int py) const
  {
    return px >= x && py >= y && px < x + w && py < y + h;
  }
  bool operator== (const Rect &) const = default;
};

/* A moving object ("person"): a w x h sprite (head, torso, legs with its
 * own colours and texture, derived from @seed and the scene's seed) whose
 * top-left corner moves in a straight line from (x0, y0) at time @start to
 * (x1, y1) at time @end, in luma pixels (position rounded to the nearest
 * integer). It is in the scene only while start <= t < end. */
struct Object {
  double start = 0, end = 0;
  int w = 0, h = 0;
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  uint32_t seed = 0;

  bool operator== (const Object &) const = default;
};

/* Everything that defines a scene. */
struct Config {
  int width = 640, height = 360;
  int fps_n = 10, fps_d = 1;
  double seconds = 60;
  uint32_t seed = 1;
  /* temporal noise, sigma in luma levels (0: none; ~2 day, 6..8 night) */
  double noise = 2.0;
  /* burnt-in "HH:MM:SS" clock in the top-left corner, showing
   * clock_start (seconds since midnight, default 12:00:00) + frame time */
  bool clock = true;
  int clock_start = 12 * 3600;
  /* slow light ramp: gain 1 + ramp_amplitude * sin (2 pi t / ramp_period) */
  bool light_ramp = false;
  double ramp_amplitude = 0.15;
  double ramp_period = 60.0;
  /* (time_s, gain): from time_s on, the exposure gain is gain (1.0 before
   * the first step); any order (the scene sorts them) */
  std::vector<std::pair<double, double>> exposure_steps;
  std::vector<Object> objects;

  /* A named preset: "test" or "demo" (see below). Throws
   * std::invalid_argument for any other name. */
  GST_PRUNE_API static Config preset (const std::string &name);

  /* Changes the frame size to @w x @h and scales the objects' sizes and
   * paths with it (so a preset keeps its look at another size). At sizes
   * far below the preset's, an object may be invisible on its first or
   * last frame; motion() stays exact, motion_intervals() then differs from
   * the objects' intervals by those frames. */
  GST_PRUNE_API void resize (int w, int h);

  bool operator== (const Config &) const = default;
};

/* The "test" preset: 60 s of 640x360 at 10/1 fps, seed 1, noise 2.0,
 * clock on, light ramp on (+-15 % over 60 s), one exposure step to x1.2 at
 * 33 s (in a static stretch, it stays). Objects and motion intervals:
 *   [ 8, 14)  person 48x120 walking left to right
 *   [25, 27)  small fast object 40x64 (a cyclist) right to left
 *   [40, 52)  person 64x160 walking left to right and towards the camera
 * Static stretches: [0, 8), [14, 25), [27, 40), [52, 60). */
inline constexpr char kPresetTest[] = "test";

/* The "demo" preset: 180 s of 640x360 at 10/1 fps, seed 7, noise 2.5,
 * clock on, light ramp on, exposure steps x1.2 at 45 s, x1.0 at 90 s and
 * x0.85 at 135 s (all in static stretches). Objects and motion intervals:
 *   [ 12,  20)  person 48x120 left to right
 *   [ 35,  38)  cyclist 40x64 right to left
 *   [ 60,  75)  person 64x160 left to right, towards the camera
 *   [110, 118)  person close to the camera 96x230, right to left
 *   [150, 162)  person far away 30x72, left to right
 * Static stretches: [0, 12), [20, 35), [38, 60), [75, 110), [118, 150),
 * [162, 180). */
inline constexpr char kPresetDemo[] = "demo";

/* Plane layout of one I420 frame as GStreamer lays it out by default
 * (gst_video_info_set_format(): strides rounded up to 4, chroma planes of
 * ((height + 1) / 2) rows), so a packed frame is what rawvideoparse and
 * default-sized GstVideoInfo buffers expect. */
struct I420Layout {
  int stride[3] = {0, 0, 0};
  std::size_t offset[3] = {0, 0, 0};
  std::size_t size = 0;
};

/* The default GStreamer I420 layout of a @width x @height frame. */
GST_PRUNE_API I420Layout i420_layout (int width, int height);

/* A rendered scene. Immutable once built: every method may be called from
 * several threads at once. Copies are deep (background and sprites); a
 * moved-from Scene may only be assigned to or destroyed.
 *
 * (The header includes no <memory>: gstcheck.h's fail() macro breaks it,
 * and tests include this header after gstcheck.h.) */
class GST_PRUNE_API Scene {
public:
  /* Builds the background and the object sprites. Throws
   * std::invalid_argument when the configuration is invalid (size outside
   * 1..16384, fps_n or fps_d < 1, negative seconds or noise, an object
   * with w or h < 1 or end < start, a gain <= 0). */
  explicit Scene (const Config &c);
  ~Scene ();
  Scene (const Scene &other);
  Scene &operator= (const Scene &other);
  Scene (Scene &&other) noexcept;
  Scene &operator= (Scene &&other) noexcept;

  const Config &config () const;

  /* Number of frames: ceil (seconds * fps_n / fps_d). */
  int64_t n_frames () const;
  /* Time of frame i in seconds: i * fps_d / fps_n. */
  double frame_time (int64_t i) const;
  /* Time of frame i in nanoseconds, rounded down (as GStreamer would use
   * for a PTS: gst_util_uint64_scale (i, fps_d * GST_SECOND, fps_n)). */
  uint64_t frame_pts (int64_t i) const;

  /* Renders frame i (any i >= 0, also past n_frames()) into I420 planes:
   * y stride >= width, u and v strides >= (width + 1) / 2, (height + 1) / 2
   * chroma rows. Only the width x height (chroma: half, rounded up) area
   * is written; padding is left alone. */
  void render_i420 (int64_t i, uint8_t *y, int y_stride, uint8_t *u,
                    int u_stride, uint8_t *v, int v_stride) const;
  /* Renders frame i into one buffer of i420_layout (width, height).size
   * bytes in that layout; padding bytes are set to 0. */
  void render_i420 (int64_t i, uint8_t *frame) const;

  /* Exact ground truth of frame i (see the section documentation). */
  bool motion (int64_t i) const;
  /* The runs of motion frames over [0, n_frames ()), each as
   * [frame_time (first), frame_time (last + 1)) in seconds. */
  std::vector<std::pair<double, double>> motion_intervals () const;

  /* TRUE iff the clock is on and what it shows in frame i differs from
   * frame i - 1 (FALSE for frame 0). */
  bool clock_changes (int64_t i) const;
  /* The whole clock area, outline included, clipped to the frame; empty
   * when the clock is off. Only luma pixels inside it, and the chroma
   * samples whose 2x2 luma block meets it, are touched by the clock. */
  Rect clock_rect () const;
  /* The clock text of frame i, "HH:MM:SS". */
  std::string clock_text (int64_t i) const;

  /* The luma gain of frame i: light ramp times exposure step (1.0 with
   * neither). */
  double light_gain (int64_t i) const;

  /* Where object @k (index into config ().objects) is in frame i: its
   * unclipped rectangle, or nothing when it is not visible there. */
  std::optional<Rect> object_rect (std::size_t k, int64_t i) const;

private:
  struct Impl;
  Impl *impl_ = nullptr;
};

} // namespace prune::scene

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
 * SECTION:prune-motion
 * @title: Frame-difference motion detector
 *
 * Decides, frame by frame, whether a picture shows motion. Pure analysis:
 * no element, no buffer handling (see gate.h for the open/close logic).
 *
 * 1. Luma is averaged down to an analysis picture `analysis_width` wide
 *    (aspect kept), reading one row of every cell (kernels::
 *    downscale_luma): a third of a 1080p luma plane's memory traffic at
 *    most. Averaging alone divides sensor noise by the cell width.
 * 2. The analysis picture is compared, in blocks of 8x8 analysis pixels,
 *    with the previous one and with the one 200 ms earlier (the newest
 *    kept picture at least 180 ms older, when the previous one is not: at
 *    25-30 fps a slow walker changes a block too little from one frame to
 *    the next). Before comparing, a global gain and offset is fitted from
 *    the block means (trimmed least squares), and the reference is
 *    corrected by it inside the SAD kernel: light ramps and auto-exposure
 *    steps of the whole frame cancel out.
 * 3. A block has changed when its mean absolute difference in either
 *    comparison exceeds `threshold` + `noise_factor` x its noise floor in
 *    that comparison. Over the 200 ms span the block must also change in
 *    structure: its difference after a gain (0.8-1.25) and offset fitted to
 *    the block alone must exceed the threshold too, so a shadow or a
 *    reflection drifting over it is not motion. The floors are learned per
 *    block while the block is static (time constant 2 s) and creep up
 *    slowly while it is not (30 s), so a noisier night picture is absorbed.
 * 4. A frame-wide pulse — the median block difference jumps while staying
 *    below the threshold, as at every keyframe of an encode/decode pass —
 *    raises every block's threshold by the jump for that frame (for each
 *    comparison on its own).
 * 5. Masked blocks (user rectangles or image, and the automatic clock mask)
 *    are left out. The score is the changed fraction of the other blocks;
 *    the frame shows motion when the score reaches `min_area`.
 *
 * Automatic clock masking (`auto_mask`): a burnt-in clock or counter
 * changes a few blocks in short steps at a steady period. For each block
 * the onsets of its short change bursts (at most 3 frames and 300 ms, in
 * frames without a frame-wide pulse) are recorded; when 5 successive
 * onsets are evenly spaced (every interval within max(0.6 frame, 3 %) of
 * their median, period at least 2 frames), the block is masked. A block
 * whose last 3 onsets all fell on frames where a masked block ticked is
 * masked too: the slower digits of the same clock (tens of seconds,
 * minutes). A masked block is unmasked when it stays quiet for 3.5
 * periods, or after 3 onsets off its period. Motion is rarely periodic to
 * a few per cent over five repetitions; a person crossing the clock is
 * still seen in the neighbouring blocks.
 *
 * configure() allocates everything; analyze() allocates nothing.
 */

#include <gst/gst.h>
#include <gst/prune/kernels.h>
#include <gst/prune/mask.h>
#include <gst/prune/prune-prelude.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace prune {

struct MotionSettings {
  double threshold = 5.0;    /* luma levels above the noise allowance */
  double noise_factor = 3.0; /* noise floors a block must exceed */
  double min_area = 0.0025;  /* changed fraction of unmasked blocks */
  bool auto_mask = true;
};

struct MotionResult {
  bool valid = false;    /* false for the first frame after configure/reset */
  bool motion = false;   /* score >= min_area */
  double score = 0.0;    /* changed fraction of unmasked blocks, 0..1 */
  double strength = 0.0; /* mean excess over the threshold (levels) of the
                            changed blocks, over all unmasked blocks */
  unsigned changed_blocks = 0;
  unsigned active_blocks = 0;      /* not masked */
  unsigned auto_masked_blocks = 0; /* masked by the clock finder */
  double noise_floor = 0.0;        /* median block noise floor, levels */
  double gain = 1.0, offset = 0.0; /* photometric fit against the previous
                                      frame */
  bool pulse = false;              /* frame-wide pulse compensated */
};

class GST_PRUNE_API MotionDetector {
public:
  static constexpr int kBlock = 8;

  MotionDetector ();
  ~MotionDetector ();
  MotionDetector (const MotionDetector &) = delete;
  MotionDetector &operator= (const MotionDetector &) = delete;

  /* Geometry of the frames to come: @width x @height pixels whose luma is
   * read with @layout; analysis at most @analysis_width wide. Forgets all
   * learned state and keeps the settings and mask. */
  void configure (int width, int height, const kernels::LumaLayout &layout,
                  int analysis_width);
  /* Takes effect from the next analyze(). */
  void set_settings (const MotionSettings &settings);
  const MotionSettings &settings () const;
  /* Regions to ignore: rectangles in frame pixels and an optional 8-bit
   * image (non-zero = ignore) stretched over the frame. Replaces the
   * previous mask; survives configure(). */
  void set_mask (const std::vector<PixelRect> &rects, const uint8_t *image,
                 int image_width, int image_height, int image_stride);
  /* Forgets references, noise floors and the clock mask (flush). */
  void reset ();
  /* Analyses one frame: @data is its first luma row (for planar formats
   * the Y plane; for packed ones the first byte of the picture), @stride
   * the bytes between rows. @t and @duration in ns (@duration may be
   * GST_CLOCK_TIME_NONE). */
  MotionResult analyze (const uint8_t *data, int stride, GstClockTime t,
                        GstClockTime duration);

  int analysis_width () const;
  int analysis_height () const;
  int blocks_x () const;
  int blocks_y () const;
  bool block_masked (int bx, int by) const;      /* by the user mask */
  bool block_auto_masked (int bx, int by) const; /* by the clock finder */

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace prune

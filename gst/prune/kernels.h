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
 * SECTION:prune-kernels
 * @title: Pixel kernels of the static-gate analysis
 *
 * The two loops that touch every analysed pixel: averaging luma down to a
 * small analysis picture, and comparing two analysis pictures block by
 * block. Each kernel has a scalar, an SSE2 and an AVX2 implementation that
 * give bit-identical results, so a recording analysed on one machine
 * decides the same way on another; the choice only changes the speed.
 *
 * All arithmetic is integer and exact: results are specified by the
 * formulas below, not by the implementation.
 *
 * The kernels are reentrant. downscale_luma() keeps a per-thread scratch
 * area (a row of column sums and the cell geometry of the last call); it
 * allocates only when a thread first sees a larger picture or another
 * geometry. block_sad() allocates nothing.
 */

#include <gst/prune/prune-prelude.h>

#include <cstdint>

namespace prune::kernels {

/* Instruction sets. Sse2 is the x86-64 baseline; Avx2 needs the CPU (and
 * the OS) to support it. */
enum class Isa { Scalar, Sse2, Avx2 };

/* The fastest instruction set this CPU runs: Avx2 if supported, else Sse2 on
 * x86, else Scalar. */
GST_PRUNE_API Isa best_isa ();

/* TRUE if this build and this CPU can run @isa (Scalar always can). A
 * kernel asked for an unsupported instruction set uses best_isa(). */
GST_PRUNE_API bool isa_supported (Isa isa);

/* "scalar", "sse2" or "avx2". */
GST_PRUNE_API const char *to_string (Isa isa);

/* How luma is read from one row of a picture. A pixel is @bytes_per_pixel
 * (1 to 4) bytes; its luma is sum (weight[i] * byte[i]) / @weight_sum
 * (weight_sum >= 1; weights past bytes_per_pixel are ignored). Examples:
 *
 *   planar Y (I420, NV12, GRAY8...)  {1, {1, 0, 0, 0}, 1}
 *   YUY2                             {2, {1, 0, 0, 0}, 1}
 *   UYVY                             {2, {0, 1, 0, 0}, 1}
 *   RGBx, RGBA, BGRx, BGRA           {4, {1, 2, 1, 0}, 4}
 *   xRGB, ARGB, xBGR, ABGR           {4, {0, 1, 2, 1}, 4}
 *   RGB, BGR                         {3, {1, 2, 1, 0}, 4}
 */
struct LumaLayout {
  int bytes_per_pixel;
  uint8_t weight[4];
  int weight_sum;
};

/**
 * downscale_luma:
 * @src: first byte of the picture's first row
 * @stride: bytes from one row to the next (>= w * bytes_per_pixel; may be
 *   odd)
 * @w: @h: picture size in pixels
 * @layout: where luma is in a pixel
 * @out_w: @out_h: size of the averaged picture, 1 <= out_w <= w,
 *   1 <= out_h <= h
 * @rows_per_cell: at most this many rows of each cell are read (>= 1)
 * @dst: first byte of the averaged picture, @dst_stride bytes per row
 * @isa: implementation to use
 *
 * Averages luma down to an @out_w x @out_h grid of cells. Cell (cx, cy)
 * covers source columns [cx * w / out_w, (cx + 1) * w / out_w) and rows
 * [cy * h / out_h, (cy + 1) * h / out_h) (integer division). When the cell
 * has n rows and n > rows_per_cell, only rows row0 + (k * n) / rows_per_cell
 * for k = 0 .. rows_per_cell - 1 are read, otherwise all n rows; every
 * column of a read row is used. Then
 *
 *   dst[cy * dst_stride + cx] =
 *       min (255, (sum + d / 2) / d),  d = count * weight_sum
 *
 * where sum is the weighted byte sum over the read pixels and count their
 * number (round half up; the min only matters when weight_sum is smaller
 * than the sum of the weights). Bit-exact for every @isa.
 */
GST_PRUNE_API void downscale_luma (const uint8_t *src, int stride, int w, int h,
                                   const LumaLayout &layout, int out_w,
                                   int out_h, int rows_per_cell, uint8_t *dst,
                                   int dst_stride, Isa isa);

/**
 * block_sad:
 * @cur: @ref: two w x h 8-bit planes, @cur_stride and @ref_stride (>= w)
 *   bytes per row
 * @block: block size in pixels: 4, 8 or 16
 * @gain_q7: gain applied to @ref, in 1/128 (0 to 255; 128 is 1.0)
 * @offset_q7: offset added to @ref, in 1/128 (-32768 to 32767)
 * @out: bw * bh sums of absolute differences, bw = ceil (w / block),
 *   bh = ceil (h / block), row by row; right and bottom blocks may be
 *   partial
 * @sums_cur: @sums_ref: if not %NULL, bw * bh plain pixel sums of @cur and
 *   of @ref (before adjustment), same layout
 * @isa: implementation to use
 *
 * Compares @cur with a photometrically adjusted @ref:
 *
 *   adj (r) = clamp ((r * gain_q7 + offset_q7 + 64) >> 7, 0, 255)
 *   out[by * bw + bx] = sum over the block of |cur - adj (ref)|
 *
 * (>> is an arithmetic shift). gain 128 with offset 0 is a plain SAD and
 * takes a faster path. Bit-exact for every @isa.
 */
GST_PRUNE_API void block_sad (const uint8_t *cur, int cur_stride,
                              const uint8_t *ref, int ref_stride, int w, int h,
                              int block, int gain_q7, int offset_q7,
                              uint32_t *out, uint32_t *sums_cur,
                              uint32_t *sums_ref, Isa isa);

} // namespace prune::kernels

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

#include "kernels.h"

#include <glib.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstring>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#define PRUNE_KERNELS_X86 1
#include <immintrin.h>
/* Functions using one instruction set beyond the compiler's baseline carry
 * it as a target attribute: no special compiler flags are needed, and the
 * dispatch below only calls them on CPUs that have it. */
#define PRUNE_SSE2 __attribute__ ((target ("sse2")))
#define PRUNE_AVX2 __attribute__ ((target ("avx2")))
#define PRUNE_INLINE inline __attribute__ ((always_inline))
#else
#define PRUNE_KERNELS_X86 0
#endif

namespace prune::kernels {
namespace {

/* ====================================================================== */
/* downscale_luma                                                          */
/* ====================================================================== */

/* The SIMD implementations work one cell row at a time:
 *
 * 1. Columns: the read rows are added column by column into a row of
 *    16-bit lanes. Either one lane per byte (byte mode), or, with AVX2 when
 *    every cell starts on an even byte and the weights are small, one lane
 *    per two bytes with the weights already applied (pair mode,
 *    _mm256_maddubs_epi16): half the lanes and no widening shuffles.
 *    Lanes stay below 2^15, as they are multiplied as signed numbers next.
 * 2. Cells: the lanes of each cell are multiplied by their weights (in pair
 *    mode by 1) and added into 32-bit lanes (_mm_madd_epi16), then the
 *    lanes of eight cells are reduced together. Narrow cells share vectors:
 *    two cells of up to 8 lanes, or four of up to 4 lanes (gathered by a
 *    byte shuffle), per 256-bit vector.
 * 3. Division, exact in floating point (see divide_exact_note).
 *
 * Rows with more read rows than 16-bit lanes hold, and pictures whose cell
 * sums could overflow 31 bits, take the scalar row code. One read row of
 * planar luma in cells of up to 8 bytes (the motion detector's case) has a
 * shorter AVX2 path of its own, avx2_row1. */
constexpr int kMaxSimdRows = 128; /* 128 * 255 < 2^15 */
constexpr int kColumnPad = 32;    /* lanes read past the end of a row */

/* How cells map onto a row of column-sum lanes. */
struct CellLayout {
  enum Kind { kNarrow4, kNarrow8, kWide };
  Kind kind = kWide;
  int period = 1;              /* lane weights repeat every period lanes */
  std::vector<int32_t> j0, kb; /* npad: first lane and lane count per cell */
  std::vector<int16_t> wtab;   /* [phase][lanes 0..16][16]: masked weights */
  std::vector<int16_t> masks8; /* kNarrow8: per batch of 8 cells, 4 x 16 */
  std::vector<uint8_t> ctl4;   /* kNarrow4: per batch of 8 cells, 2 x 32 */
  int16_t slotw[16] = {};      /* kNarrow4: weight of each shuffled lane */

  const int16_t *weights (int phase, int lanes) const
  {
    return wtab.data () + (phase * 17 + lanes) * 16;
  }
};

/* Fills @l for cells whose boundaries are the pixel columns @x0; a lane is
 * @unit bytes, lane i of a row has weight lanew[i % period]. */
void
build_layout (CellLayout &l, const std::vector<int32_t> &x0, int out_w,
              int npad, int bpp, int unit, const int16_t *lanew, int period)
{
  l.period = period;
  l.j0.assign (npad, 0);
  l.kb.assign (npad, 0);
  int maxkb = 0;
  for (int c = 0; c < out_w; c++) {
    l.j0[c] = x0[c] * bpp / unit;
    l.kb[c] = (x0[c + 1] - x0[c]) * bpp / unit;
    maxkb = std::max (maxkb, l.kb[c]);
  }
  l.wtab.assign (static_cast<size_t> (period) * 17 * 16, 0);
  for (int ph = 0; ph < period; ph++)
    for (int lanes = 0; lanes <= 16; lanes++)
      for (int i = 0; i < lanes; i++)
        l.wtab[(ph * 17 + lanes) * 16 + i] = lanew[(ph + i) % period];
  for (int s = 0; s < 16; s++)
    l.slotw[s] = lanew[(s % 4) % period];

  l.kind = maxkb <= 4   ? CellLayout::kNarrow4
           : maxkb <= 8 ? CellLayout::kNarrow8
                        : CellLayout::kWide;
  l.masks8.clear ();
  l.ctl4.clear ();
  if (l.kind == CellLayout::kNarrow8) {
    /* cell b + i in the low half, cell b + i + 4 in the high half */
    l.masks8.assign (static_cast<size_t> (npad) * 8, 0);
    for (int b = 0; b < npad; b += 8)
      for (int i = 0; i < 4; i++) {
        int16_t *m = l.masks8.data () + (b + i * 2) * 8;
        std::memcpy (m, l.weights (0, l.kb[b + i]), 8 * sizeof (int16_t));
        std::memcpy (m + 8, l.weights (0, l.kb[b + i + 4]),
                     8 * sizeof (int16_t));
      }
  } else if (l.kind == CellLayout::kNarrow4) {
    /* Vector v (0, 1) of a batch holds cells b + 2v, b + 2v + 1 in its low
     * half and b + 2v + 4, b + 2v + 5 in its high half; each half is loaded
     * from the first lane of its first cell, and each cell is shuffled into
     * its own 64-bit quarter, unused lanes zero. */
    l.ctl4.assign (static_cast<size_t> (npad) * 8, 0x80);
    for (int b = 0; b < npad; b += 8)
      for (int v = 0; v < 2; v++)
        for (int half = 0; half < 2; half++) {
          const int first = b + 2 * v + 4 * half;
          uint8_t *ctl = l.ctl4.data () + b * 8 + v * 32 + half * 16;
          int off = 0;
          for (int k = 0; k < 2; k++) {
            for (int s = 0; s < l.kb[first + k]; s++) {
              ctl[k * 8 + 2 * s] = static_cast<uint8_t> (2 * (off + s));
              ctl[k * 8 + 2 * s + 1] = static_cast<uint8_t> (2 * (off + s) + 1);
            }
            off += l.kb[first + k];
          }
        }
  }
}

/* Everything about a call that does not depend on the pixels, kept per
 * thread and rebuilt when the geometry changes. */
struct Plan {
  bool valid = false;
  /* key */
  int w = 0, bpp = 0, out_w = 0, weight_sum = 0;
  uint8_t weight[4] = {0, 0, 0, 0};

  int rowbytes = 0;
  int npad = 0;            /* out_w rounded up to 8; padding cells are empty */
  int wsum = 0;            /* sum of the used weights */
  int simd_rows = 0;       /* most read rows per cell the SIMD code takes */
  std::vector<int32_t> x0; /* out_w + 1 cell boundaries, in pixels */
  std::vector<int64_t> dcol; /* npad: columns * weight_sum (1 for padding) */

  CellLayout bytes;     /* byte mode */
  bool pair_ok = false; /* pair mode possible (AVX2) */
  int pair_rows = 0;    /* most read rows in pair mode */
  CellLayout pairs;
  int8_t pairw[128] = {}; /* byte weights from a row start, period 96 */

  /* Per-cell 1/d and d/2 + 1/2 for the last two read-row counts, in
   * single precision when that is exact (see divide_exact_note). */
  struct Div {
    int rows = 0;
    bool single = false;
    std::vector<double> rcp, bias;
    std::vector<float> rcpf, biasf;
  } div[2];
  int div_next = 0;

  /* One-row cells (see avx2_row1): planar luma of weight 1 in cells of
   * cell1 bytes each (1 to 8; 0: not this case), the byte shuffle that
   * puts two cells in the two 64-bit halves of a 128-bit lane, and
   * ceil (2^16 / cell1) (division by multiplication, exact for sums below
   * 2^12). */
  int cell1 = 0;
  uint8_t shuf1[32] = {};
  int32_t magic1 = 0;

  /* work rows */
  std::vector<uint16_t> col16;
  std::vector<uint32_t> col32;
  std::vector<const uint8_t *> rows;

  const Div &div_for (int nrows)
  {
    for (const Div &d : div)
      if (d.rows == nrows)
        return d;
    Div &d = div[div_next];
    div_next ^= 1;
    d.rows = nrows;
    d.rcp.resize (npad);
    d.bias.resize (npad);
    d.rcpf.resize (npad);
    d.biasf.resize (npad);
    double max_n = 0;
    for (int c = 0; c < npad; c++) {
      const int64_t dd = dcol[c] * nrows;
      d.rcp[c] = 1.0 / static_cast<double> (dd);
      d.bias[c] = static_cast<double> (dd / 2) + 0.5;
      d.rcpf[c] = 1.0f / static_cast<float> (dd);
      d.biasf[c] = static_cast<float> (d.bias[c]);
      const int pix = c < out_w ? x0[c + 1] - x0[c] : 0;
      const double max_sum = static_cast<double> (pix) * wsum * 255 * nrows;
      max_n = std::max (max_n, max_sum + d.bias[c]);
    }
    d.single = max_n < static_cast<double> (1 << 22);
    return d;
  }
};

thread_local Plan tls_plan;

Plan &
prepare_plan (int w, const LumaLayout &layout, int out_w)
{
  Plan &p = tls_plan;
  const int bpp = layout.bytes_per_pixel;
  uint8_t weight[4] = {0, 0, 0, 0};
  for (int i = 0; i < bpp; i++)
    weight[i] = layout.weight[i];
  if (p.valid && p.w == w && p.bpp == bpp && p.out_w == out_w &&
      p.weight_sum == layout.weight_sum &&
      std::memcmp (p.weight, weight, sizeof weight) == 0)
    return p;

  p.valid = true;
  p.w = w;
  p.bpp = bpp;
  p.out_w = out_w;
  p.weight_sum = layout.weight_sum;
  std::memcpy (p.weight, weight, sizeof weight);

  p.rowbytes = w * bpp;
  p.npad = (out_w + 7) & ~7;
  p.wsum = 0;
  for (int i = 0; i < bpp; i++)
    p.wsum += weight[i];

  p.x0.resize (out_w + 1);
  for (int c = 0; c <= out_w; c++)
    p.x0[c] = static_cast<int32_t> (static_cast<int64_t> (c) * w / out_w);
  p.dcol.assign (p.npad, 1);
  int maxpix = 0;
  bool even = true;
  for (int c = 0; c < out_w; c++) {
    const int n = p.x0[c + 1] - p.x0[c];
    p.dcol[c] = static_cast<int64_t> (n) * layout.weight_sum;
    maxpix = std::max (maxpix, n);
    even = even && (p.x0[c] * bpp) % 2 == 0;
  }
  even = even && p.rowbytes % 2 == 0;

  /* A cell sum of one read row is at most maxpix * wsum * 255. */
  const int64_t per_row = static_cast<int64_t> (maxpix) * p.wsum * 255;
  p.simd_rows = static_cast<int> (std::min<int64_t> (
      kMaxSimdRows, INT32_MAX / std::max<int64_t> (per_row, 1)));
  /* Divisors below 2^39 keep the double-precision division exact. */
  if (static_cast<int64_t> (maxpix) * layout.weight_sum > (int64_t{1} << 32))
    p.simd_rows = 0;

  int16_t lanew[4] = {0, 0, 0, 0};
  for (int i = 0; i < bpp; i++)
    lanew[i] = weight[i];
  build_layout (p.bytes, p.x0, out_w, p.npad, bpp, 1, lanew, bpp);

  /* Pair mode: _mm256_maddubs_epi16 takes the weights as signed bytes and
   * saturates each pair sum to 16 bits, so weights up to 127 and pair sums
   * up to 128 * 255. */
  int maxpair = 0;
  bool small = true;
  for (int i = 0; i < bpp; i++)
    small = small && weight[i] <= 127;
  for (int j = 0; j < 2 * bpp; j += 2)
    maxpair = std::max (maxpair, weight[j % bpp] + weight[(j + 1) % bpp]);
  p.pair_ok = even && small && maxpair <= 128;
  p.pair_rows = 0;
  if (p.pair_ok) {
    p.pair_rows = std::min (
        p.simd_rows, maxpair == 0 ? kMaxSimdRows : 32767 / (255 * maxpair));
    const int16_t one = 1;
    build_layout (p.pairs, p.x0, out_w, p.npad, bpp, 2, &one, 1);
    for (int j = 0; j < 128; j++)
      p.pairw[j] = static_cast<int8_t> (weight[j % bpp]);
  }

  p.cell1 = bpp == 1 && weight[0] == 1 && layout.weight_sum == 1 &&
                    w % out_w == 0 && w / out_w <= 8
                ? w / out_w
                : 0;
  if (p.cell1 > 0) {
    const int k = p.cell1;
    for (int lane = 0; lane < 2; lane++)
      for (int i = 0; i < 16; i++) {
        const int half = i / 8, b = i % 8;
        p.shuf1[lane * 16 + i] =
            b < k ? static_cast<uint8_t> (half * k + b) : uint8_t{0x80};
      }
    p.magic1 = ((1 << 16) + k - 1) / k;
  }

  p.div[0].rows = p.div[1].rows = 0;
  p.div_next = 0;
  p.col16.assign (p.rowbytes + kColumnPad, 0);
  p.col32.assign (p.rowbytes, 0);
  return p;
}

/* The rows read for cell row @cy; returns their number. */
int
read_rows (const uint8_t *src, ptrdiff_t stride, int h, int out_h, int rpc,
           int cy, const uint8_t **rows)
{
  const int64_t y0 = static_cast<int64_t> (cy) * h / out_h;
  const int64_t y1 = static_cast<int64_t> (cy + 1) * h / out_h;
  const int64_t n = y1 - y0;
  if (n <= rpc) {
    for (int64_t k = 0; k < n; k++)
      rows[k] = src + (y0 + k) * stride;
    return static_cast<int> (n);
  }
  for (int64_t k = 0; k < rpc; k++)
    rows[k] = src + (y0 + k * n / rpc) * stride;
  return rpc;
}

/* min (255, (sum + d/2) / d), in 32 bits when it fits (faster). */
inline uint8_t
scalar_divide (uint64_t sum, uint64_t d)
{
  const uint64_t n = sum + d / 2;
  const uint64_t q = n <= UINT32_MAX && d <= UINT32_MAX
                         ? static_cast<uint32_t> (n) / static_cast<uint32_t> (d)
                         : n / d;
  return static_cast<uint8_t> (std::min<uint64_t> (q, 255));
}

/* (restrict: lets the compiler vectorize) */
void
scalar_first_row (uint32_t *__restrict col, const uint8_t *__restrict row,
                  int n)
{
  for (int j = 0; j < n; j++)
    col[j] = row[j];
}

void
scalar_add_row (uint32_t *__restrict col, const uint8_t *__restrict row, int n)
{
  for (int j = 0; j < n; j++)
    col[j] += row[j];
}

template<int kBpp>
void
scalar_cells (const Plan &p, const uint32_t *col, int nrows, uint8_t *drow)
{
  uint64_t wt[kBpp];
  for (int i = 0; i < kBpp; i++)
    wt[i] = p.weight[i];
  const int32_t *x0 = p.x0.data ();
  const int64_t *dcol = p.dcol.data ();
  const int out_w = p.out_w;
  for (int c = 0; c < out_w; c++) {
    uint64_t sum = 0;
    const uint32_t *px = col + x0[c] * kBpp;
    const uint32_t *end = col + x0[c + 1] * kBpp;
    for (; px < end; px += kBpp)
      for (int i = 0; i < kBpp; i++)
        sum += wt[i] * px[i];
    drow[c] = scalar_divide (sum, static_cast<uint64_t> (dcol[c]) * nrows);
  }
}

/* One row of cells, plain C++ (the Scalar implementation, and the fallback
 * of the others). Exact in 64 bits for any input the API allows. */
void
scalar_row (Plan &p, const uint8_t *const *rows, int nrows, uint8_t *drow)
{
  uint32_t *col = p.col32.data ();
  const int rb = p.rowbytes;
  scalar_first_row (col, rows[0], rb);
  for (int r = 1; r < nrows; r++)
    scalar_add_row (col, rows[r], rb);
  switch (p.bpp) {
    case 1:
      scalar_cells<1> (p, col, nrows, drow);
      break;
    case 2:
      scalar_cells<2> (p, col, nrows, drow);
      break;
    case 3:
      scalar_cells<3> (p, col, nrows, drow);
      break;
    default:
      scalar_cells<4> (p, col, nrows, drow);
      break;
  }
}

/* divide_exact_note: the SIMD paths compute min (255, (sum + d/2) / d) as
 * trunc (N * fl (1/d)), N = sum + d/2 + 0.5 (exact). N / d is at least 0.5/d
 * away from an integer, and the two roundings (of 1/d and of the product)
 * move it by at most 2^(1-p) * N / d, p the precision: 53 bits for double,
 * 24 for float. That is less than 0.5/d when N < 2^(p-2): always in double
 * (sums are below 2^31, divisors below 2^39), and in float when N < 2^22
 * (Div::single), which covers the usual sizes. So the truncation is the
 * exact quotient; the saturating packs to bytes give the min. */

#if PRUNE_KERNELS_X86

void
store_tail (uint8_t *drow, int b, int out_w, const uint8_t *q8)
{
  std::memcpy (drow + b, q8, std::min (8, out_w - b));
}

/* The parts of a layout the cell loops read, copied to locals: the loops
 * store bytes, which may alias anything, and would reload everything after
 * every store otherwise. */
struct CellCtx {
  const uint16_t *col;
  const int32_t *j0, *kb;
  const int16_t *wtab, *masks8, *slotw;
  const uint8_t *ctl4;
  int period, npad, out_w;
  const float *rcpf, *biasf;
  const double *rcp, *bias;
};

CellCtx
cell_ctx (const Plan &p, const CellLayout &l, const Plan::Div &d)
{
  return {p.col16.data (),  l.j0.data (),  l.kb.data (),   l.wtab.data (),
          l.masks8.data (), l.slotw,       l.ctl4.data (), l.period,
          p.npad,           p.out_w,       d.rcpf.data (), d.biasf.data (),
          d.rcp.data (),    d.bias.data ()};
}

inline const int16_t *
cell_weights (const CellCtx &x, int phase, int lanes)
{
  return x.wtab + (phase * 17 + lanes) * 16;
}

/* ---------------------------------------------------------------------- */
/* SSE2 downscale                                                          */

PRUNE_SSE2 void
sse2_columns (const uint8_t *const *rows, int nrows, int rb, uint16_t *col)
{
  const __m128i zero = _mm_setzero_si128 ();
  int j = 0;
  for (; j + 16 <= rb; j += 16) {
    __m128i a0 = zero, a1 = zero;
    for (int r = 0; r < nrows; r++) {
      const __m128i v =
          _mm_loadu_si128 (reinterpret_cast<const __m128i *> (rows[r] + j));
      a0 = _mm_add_epi16 (a0, _mm_unpacklo_epi8 (v, zero));
      a1 = _mm_add_epi16 (a1, _mm_unpackhi_epi8 (v, zero));
    }
    _mm_storeu_si128 (reinterpret_cast<__m128i *> (col + j), a0);
    _mm_storeu_si128 (reinterpret_cast<__m128i *> (col + j + 8), a1);
  }
  for (; j < rb; j++) {
    unsigned s = 0;
    for (int r = 0; r < nrows; r++)
      s += rows[r][j];
    col[j] = static_cast<uint16_t> (s);
  }
}

/* Weighted sum of one cell's lanes, in 4 partial 32-bit lanes. */
PRUNE_SSE2 PRUNE_INLINE __m128i
sse2_cell (const CellCtx &x, int c)
{
  const uint16_t *s = x.col + x.j0[c];
  int k = x.kb[c];
  const int step = 8 % x.period;
  int ph = 0;
  __m128i acc = _mm_setzero_si128 ();
  for (; k >= 8; k -= 8, s += 8) {
    const __m128i v = _mm_loadu_si128 (reinterpret_cast<const __m128i *> (s));
    const __m128i wv = _mm_loadu_si128 (
        reinterpret_cast<const __m128i *> (cell_weights (x, ph, 8)));
    acc = _mm_add_epi32 (acc, _mm_madd_epi16 (v, wv));
    ph += step;
    if (ph >= x.period)
      ph -= x.period;
  }
  if (k > 0) {
    const __m128i v = _mm_loadu_si128 (reinterpret_cast<const __m128i *> (s));
    const __m128i wv = _mm_loadu_si128 (
        reinterpret_cast<const __m128i *> (cell_weights (x, ph, k)));
    acc = _mm_add_epi32 (acc, _mm_madd_epi16 (v, wv));
  }
  return acc;
}

/* Horizontal sums of four vectors: lane i = sum of the lanes of a_i. */
PRUNE_SSE2 PRUNE_INLINE __m128i
sse2_reduce4 (__m128i a0, __m128i a1, __m128i a2, __m128i a3)
{
  const __m128i s01 =
      _mm_add_epi32 (_mm_unpacklo_epi32 (a0, a1), _mm_unpackhi_epi32 (a0, a1));
  const __m128i s23 =
      _mm_add_epi32 (_mm_unpacklo_epi32 (a2, a3), _mm_unpackhi_epi32 (a2, a3));
  return _mm_add_epi32 (_mm_unpacklo_epi64 (s01, s23),
                        _mm_unpackhi_epi64 (s01, s23));
}

/* Quotients of four cells from c. */
template<bool kSingle>
PRUNE_SSE2 PRUNE_INLINE __m128i
sse2_divide4 (const CellCtx &x, __m128i sums, int c)
{
  if constexpr (kSingle) {
    const __m128 v = _mm_mul_ps (
        _mm_add_ps (_mm_cvtepi32_ps (sums), _mm_loadu_ps (x.biasf + c)),
        _mm_loadu_ps (x.rcpf + c));
    return _mm_cvttps_epi32 (v);
  } else {
    __m128d lo = _mm_cvtepi32_pd (sums);
    __m128d hi = _mm_cvtepi32_pd (_mm_srli_si128 (sums, 8));
    lo = _mm_mul_pd (_mm_add_pd (lo, _mm_loadu_pd (x.bias + c)),
                     _mm_loadu_pd (x.rcp + c));
    hi = _mm_mul_pd (_mm_add_pd (hi, _mm_loadu_pd (x.bias + c + 2)),
                     _mm_loadu_pd (x.rcp + c + 2));
    return _mm_unpacklo_epi64 (_mm_cvttpd_epi32 (lo), _mm_cvttpd_epi32 (hi));
  }
}

template<bool kSingle>
PRUNE_SSE2 void
sse2_cells_divide (const CellCtx x, uint8_t *drow)
{
  for (int b = 0; b < x.npad; b += 8) {
    const __m128i s0 =
        sse2_reduce4 (sse2_cell (x, b), sse2_cell (x, b + 1),
                      sse2_cell (x, b + 2), sse2_cell (x, b + 3));
    const __m128i s1 =
        sse2_reduce4 (sse2_cell (x, b + 4), sse2_cell (x, b + 5),
                      sse2_cell (x, b + 6), sse2_cell (x, b + 7));
    const __m128i q16 = _mm_packs_epi32 (sse2_divide4<kSingle> (x, s0, b),
                                         sse2_divide4<kSingle> (x, s1, b + 4));
    const __m128i q8 = _mm_packus_epi16 (q16, q16);
    if (b + 8 <= x.out_w) {
      _mm_storel_epi64 (reinterpret_cast<__m128i *> (drow + b), q8);
    } else {
      alignas (16) uint8_t tmp[16];
      _mm_store_si128 (reinterpret_cast<__m128i *> (tmp), q8);
      store_tail (drow, b, x.out_w, tmp);
    }
  }
}

PRUNE_SSE2 void
sse2_row (Plan &p, const uint8_t *const *rows, int nrows, uint8_t *drow)
{
  sse2_columns (rows, nrows, p.rowbytes, p.col16.data ());
  const Plan::Div &d = p.div_for (nrows);
  const CellCtx x = cell_ctx (p, p.bytes, d);
  if (d.single)
    sse2_cells_divide<true> (x, drow);
  else
    sse2_cells_divide<false> (x, drow);
}

/* ---------------------------------------------------------------------- */
/* AVX2 downscale                                                          */

/* Byte mode columns: one 16-bit lane per byte. */
template<int N>
PRUNE_AVX2 PRUNE_INLINE void
avx2_byte_columns_n (const uint8_t *const *rows, int nrows, int rb,
                     uint16_t *col)
{
  const int n = N > 0 ? N : nrows;
  int j = 0;
  for (; j + 32 <= rb; j += 32) {
    __m256i a0 = _mm256_setzero_si256 (), a1 = a0;
    for (int r = 0; r < n; r++) {
      const uint8_t *s = rows[r] + j;
      a0 = _mm256_add_epi16 (a0, _mm256_cvtepu8_epi16 (_mm_loadu_si128 (
                                     reinterpret_cast<const __m128i *> (s))));
      a1 = _mm256_add_epi16 (a1,
                             _mm256_cvtepu8_epi16 (_mm_loadu_si128 (
                                 reinterpret_cast<const __m128i *> (s + 16))));
    }
    _mm256_storeu_si256 (reinterpret_cast<__m256i *> (col + j), a0);
    _mm256_storeu_si256 (reinterpret_cast<__m256i *> (col + j + 16), a1);
  }
  if (j + 16 <= rb) {
    __m256i a0 = _mm256_setzero_si256 ();
    for (int r = 0; r < n; r++)
      a0 = _mm256_add_epi16 (
          a0, _mm256_cvtepu8_epi16 (_mm_loadu_si128 (
                  reinterpret_cast<const __m128i *> (rows[r] + j))));
    _mm256_storeu_si256 (reinterpret_cast<__m256i *> (col + j), a0);
    j += 16;
  }
  for (; j < rb; j++) {
    unsigned s = 0;
    for (int r = 0; r < n; r++)
      s += rows[r][j];
    col[j] = static_cast<uint16_t> (s);
  }
}

PRUNE_AVX2 void
avx2_byte_columns (const uint8_t *const *rows, int nrows, int rb, uint16_t *col)
{
  switch (nrows) {
    case 1:
      avx2_byte_columns_n<1> (rows, nrows, rb, col);
      break;
    case 2:
      avx2_byte_columns_n<2> (rows, nrows, rb, col);
      break;
    default:
      avx2_byte_columns_n<0> (rows, nrows, rb, col);
      break;
  }
}

/* Pair mode columns: one 16-bit lane per two bytes, weights applied. @pw:
 * the byte weights from the row start (period 96 bytes, 128 given). */
template<int N>
PRUNE_AVX2 PRUNE_INLINE void
avx2_pair_columns_n (const uint8_t *const *rows, int nrows, int rb,
                     const int8_t *pw, uint16_t *col)
{
  const int n = N > 0 ? N : nrows;
  int j = 0, ph = 0;
  for (; j + 32 <= rb; j += 32) {
    const __m256i wv =
        _mm256_loadu_si256 (reinterpret_cast<const __m256i *> (pw + ph));
    __m256i a = _mm256_setzero_si256 ();
    for (int r = 0; r < n; r++)
      a = _mm256_add_epi16 (
          a, _mm256_maddubs_epi16 (
                 _mm256_loadu_si256 (
                     reinterpret_cast<const __m256i *> (rows[r] + j)),
                 wv));
    _mm256_storeu_si256 (reinterpret_cast<__m256i *> (col + j / 2), a);
    ph += 32;
    if (ph >= 96)
      ph -= 96;
  }
  if (j + 16 <= rb) {
    const __m128i wv =
        _mm_loadu_si128 (reinterpret_cast<const __m128i *> (pw + ph));
    __m128i a = _mm_setzero_si128 ();
    for (int r = 0; r < n; r++)
      a = _mm_add_epi16 (
          a,
          _mm_maddubs_epi16 (
              _mm_loadu_si128 (reinterpret_cast<const __m128i *> (rows[r] + j)),
              wv));
    _mm_storeu_si128 (reinterpret_cast<__m128i *> (col + j / 2), a);
    j += 16;
  }
  for (; j < rb; j += 2) {
    const int w0 = pw[j % 96], w1 = pw[(j + 1) % 96];
    int s = 0;
    for (int r = 0; r < n; r++)
      s += w0 * rows[r][j] + w1 * rows[r][j + 1];
    col[j / 2] = static_cast<uint16_t> (s);
  }
}

PRUNE_AVX2 void
avx2_pair_columns (const uint8_t *const *rows, int nrows, int rb,
                   const int8_t *pw, uint16_t *col)
{
  switch (nrows) {
    case 1:
      avx2_pair_columns_n<1> (rows, nrows, rb, pw, col);
      break;
    case 2:
      avx2_pair_columns_n<2> (rows, nrows, rb, pw, col);
      break;
    default:
      avx2_pair_columns_n<0> (rows, nrows, rb, pw, col);
      break;
  }
}

/* kNarrow4: vector v of the batch at b, as 8 partial sums in cell order
 * b + 2v, b + 2v + 1 | b + 2v + 4, b + 2v + 5 (two lanes each). */
PRUNE_AVX2 PRUNE_INLINE __m256i
avx2_quad (const CellCtx &x, int b, int v, __m256i slotw)
{
  const __m128i lo = _mm_loadu_si128 (
      reinterpret_cast<const __m128i *> (x.col + x.j0[b + 2 * v]));
  const __m128i hi = _mm_loadu_si128 (
      reinterpret_cast<const __m128i *> (x.col + x.j0[b + 2 * v + 4]));
  __m256i t = _mm256_inserti128_si256 (_mm256_castsi128_si256 (lo), hi, 1);
  t = _mm256_shuffle_epi8 (
      t, _mm256_loadu_si256 (
             reinterpret_cast<const __m256i *> (x.ctl4 + b * 8 + v * 32)));
  return _mm256_madd_epi16 (t, slotw);
}

/* kNarrow8: cells b + i (low half) and b + i + 4 (high half), 4 partial
 * sums each. */
PRUNE_AVX2 PRUNE_INLINE __m256i
avx2_pair (const CellCtx &x, int b, int i)
{
  const __m128i lo =
      _mm_loadu_si128 (reinterpret_cast<const __m128i *> (x.col + x.j0[b + i]));
  const __m128i hi = _mm_loadu_si128 (
      reinterpret_cast<const __m128i *> (x.col + x.j0[b + i + 4]));
  const __m256i v =
      _mm256_inserti128_si256 (_mm256_castsi128_si256 (lo), hi, 1);
  return _mm256_madd_epi16 (
      v, _mm256_loadu_si256 (
             reinterpret_cast<const __m256i *> (x.masks8 + b * 8 + 16 * i)));
}

/* kWide: one cell of any width, 8 partial sums. */
PRUNE_AVX2 PRUNE_INLINE __m256i
avx2_cell (const CellCtx &x, int c)
{
  const uint16_t *s = x.col + x.j0[c];
  int k = x.kb[c];
  const int step = 16 % x.period;
  int ph = 0;
  __m256i acc = _mm256_setzero_si256 ();
  for (; k >= 16; k -= 16, s += 16) {
    const __m256i v =
        _mm256_loadu_si256 (reinterpret_cast<const __m256i *> (s));
    const __m256i wv = _mm256_loadu_si256 (
        reinterpret_cast<const __m256i *> (cell_weights (x, ph, 16)));
    acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (v, wv));
    ph += step;
    if (ph >= x.period)
      ph -= x.period;
  }
  if (k > 0) {
    const __m256i v =
        _mm256_loadu_si256 (reinterpret_cast<const __m256i *> (s));
    const __m256i wv = _mm256_loadu_si256 (
        reinterpret_cast<const __m256i *> (cell_weights (x, ph, k)));
    acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (v, wv));
  }
  return acc;
}

/* Sums of the eight cells from b, in cell order. */
template<CellLayout::Kind K>
PRUNE_AVX2 PRUNE_INLINE __m256i
avx2_cells (const CellCtx &x, int b, __m256i slotw)
{
  if constexpr (K == CellLayout::kNarrow4) {
    /* [b, b+1, b+4, b+5 pairs] + [b+2, b+3, b+6, b+7 pairs] */
    return _mm256_hadd_epi32 (avx2_quad (x, b, 0, slotw),
                              avx2_quad (x, b, 1, slotw));
  } else if constexpr (K == CellLayout::kNarrow8) {
    const __m256i h0 =
        _mm256_hadd_epi32 (avx2_pair (x, b, 0), avx2_pair (x, b, 1));
    const __m256i h1 =
        _mm256_hadd_epi32 (avx2_pair (x, b, 2), avx2_pair (x, b, 3));
    return _mm256_hadd_epi32 (h0, h1);
  } else {
    const __m256i h01 =
        _mm256_hadd_epi32 (avx2_cell (x, b), avx2_cell (x, b + 1));
    const __m256i h23 =
        _mm256_hadd_epi32 (avx2_cell (x, b + 2), avx2_cell (x, b + 3));
    const __m256i h45 =
        _mm256_hadd_epi32 (avx2_cell (x, b + 4), avx2_cell (x, b + 5));
    const __m256i h67 =
        _mm256_hadd_epi32 (avx2_cell (x, b + 6), avx2_cell (x, b + 7));
    /* q0 = [cells 0-3 low-half sums | cells 0-3 high-half sums], q1
     * likewise for cells 4-7 */
    const __m256i q0 = _mm256_hadd_epi32 (h01, h23);
    const __m256i q1 = _mm256_hadd_epi32 (h45, h67);
    return _mm256_add_epi32 (_mm256_permute2x128_si256 (q0, q1, 0x20),
                             _mm256_permute2x128_si256 (q0, q1, 0x31));
  }
}

/* Quotients of the eight cells from c, as 16-bit lanes. */
template<bool kSingle>
PRUNE_AVX2 PRUNE_INLINE __m128i
avx2_divide8 (const CellCtx &x, __m256i s, int c)
{
  if constexpr (kSingle) {
    const __m256 v = _mm256_mul_ps (
        _mm256_add_ps (_mm256_cvtepi32_ps (s), _mm256_loadu_ps (x.biasf + c)),
        _mm256_loadu_ps (x.rcpf + c));
    const __m256i q = _mm256_cvttps_epi32 (v);
    return _mm_packs_epi32 (_mm256_castsi256_si128 (q),
                            _mm256_extracti128_si256 (q, 1));
  } else {
    __m256d lo = _mm256_cvtepi32_pd (_mm256_castsi256_si128 (s));
    __m256d hi = _mm256_cvtepi32_pd (_mm256_extracti128_si256 (s, 1));
    lo = _mm256_mul_pd (_mm256_add_pd (lo, _mm256_loadu_pd (x.bias + c)),
                        _mm256_loadu_pd (x.rcp + c));
    hi = _mm256_mul_pd (_mm256_add_pd (hi, _mm256_loadu_pd (x.bias + c + 4)),
                        _mm256_loadu_pd (x.rcp + c + 4));
    return _mm_packs_epi32 (_mm256_cvttpd_epi32 (lo), _mm256_cvttpd_epi32 (hi));
  }
}

template<CellLayout::Kind K, bool kSingle>
PRUNE_AVX2 void
avx2_cells_divide (const CellCtx x, uint8_t *drow)
{
  const __m256i slotw =
      _mm256_loadu_si256 (reinterpret_cast<const __m256i *> (x.slotw));
  int b = 0;
  /* two batches per store */
  for (; b + 16 <= x.out_w; b += 16) {
    const __m256i s0 = avx2_cells<K> (x, b, slotw);
    const __m256i s1 = avx2_cells<K> (x, b + 8, slotw);
    const __m128i q8 = _mm_packus_epi16 (avx2_divide8<kSingle> (x, s0, b),
                                         avx2_divide8<kSingle> (x, s1, b + 8));
    _mm_storeu_si128 (reinterpret_cast<__m128i *> (drow + b), q8);
  }
  for (; b < x.npad; b += 8) {
    const __m256i s = avx2_cells<K> (x, b, slotw);
    const __m128i q16 = avx2_divide8<kSingle> (x, s, b);
    const __m128i q8 = _mm_packus_epi16 (q16, q16);
    if (b + 8 <= x.out_w) {
      _mm_storel_epi64 (reinterpret_cast<__m128i *> (drow + b), q8);
    } else {
      alignas (16) uint8_t tmp[16];
      _mm_store_si128 (reinterpret_cast<__m128i *> (tmp), q8);
      store_tail (drow, b, x.out_w, tmp);
    }
  }
}

template<CellLayout::Kind K>
PRUNE_AVX2 void
avx2_cells_divide_k (const CellCtx &x, bool single, uint8_t *drow)
{
  if (single)
    avx2_cells_divide<K, true> (x, drow);
  else
    avx2_cells_divide<K, false> (x, drow);
}

PRUNE_AVX2 void
avx2_row (Plan &p, const uint8_t *const *rows, int nrows, uint8_t *drow)
{
  const CellLayout *l;
  if (p.pair_ok && nrows <= p.pair_rows) {
    avx2_pair_columns (rows, nrows, p.rowbytes, p.pairw, p.col16.data ());
    l = &p.pairs;
  } else {
    avx2_byte_columns (rows, nrows, p.rowbytes, p.col16.data ());
    l = &p.bytes;
  }
  const Plan::Div &d = p.div_for (nrows);
  const CellCtx x = cell_ctx (p, *l, d);
  switch (l->kind) {
    case CellLayout::kNarrow4:
      avx2_cells_divide_k<CellLayout::kNarrow4> (x, d.single, drow);
      break;
    case CellLayout::kNarrow8:
      avx2_cells_divide_k<CellLayout::kNarrow8> (x, d.single, drow);
      break;
    case CellLayout::kWide:
      avx2_cells_divide_k<CellLayout::kWide> (x, d.single, drow);
      break;
  }
}

/* Sums of cells @c_lo and @c_lo + 1 (low lane) and @c_hi and @c_hi + 1
 * (high lane) of @k bytes each, in the four 64-bit lanes. */
PRUNE_AVX2 PRUNE_INLINE __m256i
avx2_two_cells (const uint8_t *row, int k, int c_lo, int c_hi, __m256i ctl)
{
  const __m128i lo =
      _mm_loadu_si128 (reinterpret_cast<const __m128i *> (row + c_lo * k));
  const __m128i hi =
      _mm_loadu_si128 (reinterpret_cast<const __m128i *> (row + c_hi * k));
  const __m256i v =
      _mm256_inserti128_si256 (_mm256_castsi128_si256 (lo), hi, 1);
  return _mm256_sad_epu8 (_mm256_shuffle_epi8 (v, ctl),
                          _mm256_setzero_si256 ());
}

/* One read row of planar luma (weight 1) in cells of k <= 8 bytes: the
 * case of the motion detector (1080p to 320 wide: 6 bytes, 720p: 4). The
 * generic path first adds rows into 16-bit column lanes and then builds
 * cells from the lanes: at 1080p about 45 us where reading the rows takes
 * about 14. Here each 64-bit half of a vector gathers one cell's bytes
 * (byte shuffle, zeros after them) and _mm256_sad_epu8 adds them, four
 * cells a vector. The quotient of x = sum + k/2 by k is
 * (x * m) >> 16 with m = ceil (2^16 / k): x * m / 2^16 exceeds x / k by
 * less than x / 2^16 < 1/16 (x < 2^12), while x / k is an integer or
 * lies at least 1/k >= 1/8 below the next one: the floor is the same. */
PRUNE_AVX2 void
avx2_row1 (const Plan &p, const uint8_t *row, uint8_t *drow)
{
  const int k = p.cell1, n = p.out_w;
  const __m256i ctl =
      _mm256_loadu_si256 (reinterpret_cast<const __m256i *> (p.shuf1));
  const __m256i half = _mm256_set1_epi32 (k / 2);
  const __m256i magic = _mm256_set1_epi32 (p.magic1);
  /* bytes 0, 8, 4 and 12 of each lane: the quotients of cells in order */
  const __m256i pick = _mm256_setr_epi8 (
      0, 8, 4, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 8, 4, 12,
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i gather = _mm256_setr_epi32 (0, 4, 1, 1, 1, 1, 1, 1);
  int c = 0;
  /* the last 16-byte load of 8 cells starts at cell c + 6 */
  for (; (c + 6) * k + 16 <= p.rowbytes && c + 8 <= n; c += 8) {
    /* 32-bit sums: cells c, c+2, c+1, c+3 | c+4, c+6, c+5, c+7 */
    const __m256i s = _mm256_or_si256 (
        avx2_two_cells (row, k, c, c + 4, ctl),
        _mm256_slli_epi64 (avx2_two_cells (row, k, c + 2, c + 6, ctl), 32));
    const __m256i q = _mm256_srli_epi32 (
        _mm256_mullo_epi32 (_mm256_add_epi32 (s, half), magic), 16);
    const __m256i b =
        _mm256_permutevar8x32_epi32 (_mm256_shuffle_epi8 (q, pick), gather);
    _mm_storel_epi64 (reinterpret_cast<__m128i *> (drow + c),
                      _mm256_castsi256_si128 (b));
  }
  for (; c < n; c++) {
    uint64_t sum = 0;
    for (int i = 0; i < k; i++)
      sum += row[c * k + i];
    drow[c] = scalar_divide (sum, static_cast<uint64_t> (k));
  }
}

#endif /* PRUNE_KERNELS_X86 */

/* ====================================================================== */
/* block_sad                                                               */
/* ====================================================================== */

struct SadArgs {
  const uint8_t *cur;
  ptrdiff_t cur_stride;
  const uint8_t *ref;
  ptrdiff_t ref_stride;
  int w, h, block, gain, offset;
  uint32_t *out, *sums_cur, *sums_ref;
  int bw, bh;
};

inline uint8_t
adjust_scalar (int r, int gain, int offset)
{
  const int v = (r * gain + offset + 64) >> 7;
  return static_cast<uint8_t> (std::clamp (v, 0, 255));
}

void
sad_scalar (const SadArgs &a)
{
  uint8_t lut[256];
  for (int r = 0; r < 256; r++)
    lut[r] = adjust_scalar (r, a.gain, a.offset);
  const int bs = a.block;
  for (int by = 0; by < a.bh; by++) {
    const int y1 = std::min (a.h, by * bs + bs);
    for (int bx = 0; bx < a.bw; bx++) {
      const int x0 = bx * bs, x1 = std::min (a.w, x0 + bs);
      uint32_t sad = 0, sc = 0, sr = 0;
      for (int y = by * bs; y < y1; y++) {
        const uint8_t *c = a.cur + y * a.cur_stride;
        const uint8_t *r = a.ref + y * a.ref_stride;
        for (int x = x0; x < x1; x++) {
          const int d = static_cast<int> (c[x]) - lut[r[x]];
          sad += static_cast<uint32_t> (d < 0 ? -d : d);
          sc += c[x];
          sr += r[x];
        }
      }
      const int i = by * a.bw + bx;
      a.out[i] = sad;
      if (a.sums_cur != nullptr)
        a.sums_cur[i] = sc;
      if (a.sums_ref != nullptr)
        a.sums_ref[i] = sr;
    }
  }
}

/* Lane sums (64-bit lanes, L of them, covering 8 bytes each) of one chunk
 * of a block row, written out as block values. For block 4 the even and odd
 * halves of each lane are summed apart (@even, @odd). */
template<int B, int L>
void
store_blocks (const uint64_t *even, const uint64_t *odd, int x, int by, int bw,
              uint32_t *dst)
{
  uint32_t *row = dst + static_cast<ptrdiff_t> (by) * bw;
  if constexpr (B == 4) {
    for (int i = 0; i < L; i++) {
      const int bx = x / 4 + 2 * i;
      if (bx < bw)
        row[bx] = static_cast<uint32_t> (even[i]);
      if (bx + 1 < bw)
        row[bx + 1] = static_cast<uint32_t> (odd[i]);
    }
  } else if constexpr (B == 8) {
    for (int i = 0; i < L; i++)
      if (x / 8 + i < bw)
        row[x / 8 + i] = static_cast<uint32_t> (even[i]);
  } else {
    for (int i = 0; i < L / 2; i++)
      if (x / 16 + i < bw)
        row[x / 16 + i] = static_cast<uint32_t> (even[2 * i] + even[2 * i + 1]);
  }
}

#if PRUNE_KERNELS_X86

/* 0xff for the first 32 bytes, then 0: a mask of the first n bytes starts
 * at kRamp + 32 - n. */
alignas (32) constexpr uint8_t kRamp[64] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255};

/* ---------------------------------------------------------------------- */
/* SSE2 block_sad                                                          */

struct Sse2Adjust {
  __m128i gain, add, sub;
};

PRUNE_SSE2 PRUNE_INLINE __m128i
sse2_adjust (const Sse2Adjust &k, __m128i r)
{
  /* r * gain <= 65025 fits; saturating add/subtract of offset + 64 then
   * >> 7 and unsigned saturation give exactly the clamp of the formula. */
  const __m128i zero = _mm_setzero_si128 ();
  __m128i lo = _mm_mullo_epi16 (_mm_unpacklo_epi8 (r, zero), k.gain);
  __m128i hi = _mm_mullo_epi16 (_mm_unpackhi_epi8 (r, zero), k.gain);
  lo = _mm_srli_epi16 (_mm_subs_epu16 (_mm_adds_epu16 (lo, k.add), k.sub), 7);
  hi = _mm_srli_epi16 (_mm_subs_epu16 (_mm_adds_epu16 (hi, k.add), k.sub), 7);
  return _mm_packus_epi16 (lo, hi);
}

template<int B, bool kIdentity, bool kSums>
PRUNE_SSE2 void
sad_sse2 (const SadArgs &a)
{
  Sse2Adjust k;
  const int c = a.offset + 64;
  k.gain = _mm_set1_epi16 (static_cast<short> (a.gain));
  k.add = _mm_set1_epi16 (static_cast<short> (c > 0 ? c : 0));
  k.sub = _mm_set1_epi16 (static_cast<short> (c < 0 ? -c : 0));
  const __m128i zero = _mm_setzero_si128 ();
  const __m128i lo4 = _mm_set1_epi64x (0x00000000ffffffffLL);
  const __m128i hi4 =
      _mm_set1_epi64x (static_cast<long long> (0xffffffff00000000ULL));

  for (int by = 0; by < a.bh; by++) {
    const int y0 = by * B, y1 = std::min (a.h, y0 + B);
    for (int x = 0; x < a.w; x += 16) {
      const int valid = std::min (16, a.w - x);
      const bool tail = valid < 16;
      const __m128i vmask = _mm_loadu_si128 (
          reinterpret_cast<const __m128i *> (kRamp + 32 - valid));
      __m128i s0 = zero, s1 = zero, c0 = zero, c1 = zero, r0 = zero, r1 = zero;
      alignas (16) uint8_t tc[16] = {0}, tr[16] = {0};
      for (int y = y0; y < y1; y++) {
        const uint8_t *pc = a.cur + y * a.cur_stride + x;
        const uint8_t *pr = a.ref + y * a.ref_stride + x;
        if (tail) {
          std::memcpy (tc, pc, valid);
          std::memcpy (tr, pr, valid);
          pc = tc;
          pr = tr;
        }
        const __m128i vc =
            _mm_loadu_si128 (reinterpret_cast<const __m128i *> (pc));
        const __m128i vr =
            _mm_loadu_si128 (reinterpret_cast<const __m128i *> (pr));
        const __m128i va = kIdentity ? vr : sse2_adjust (k, vr);
        if (B == 4 || tail) {
          __m128i d =
              _mm_or_si128 (_mm_subs_epu8 (vc, va), _mm_subs_epu8 (va, vc));
          d = _mm_and_si128 (d, vmask);
          if (B == 4) {
            s0 =
                _mm_add_epi64 (s0, _mm_sad_epu8 (_mm_and_si128 (d, lo4), zero));
            s1 =
                _mm_add_epi64 (s1, _mm_sad_epu8 (_mm_and_si128 (d, hi4), zero));
          } else {
            s0 = _mm_add_epi64 (s0, _mm_sad_epu8 (d, zero));
          }
        } else {
          s0 = _mm_add_epi64 (s0, _mm_sad_epu8 (vc, va));
        }
        if (kSums) {
          if (B == 4) {
            c0 = _mm_add_epi64 (c0,
                                _mm_sad_epu8 (_mm_and_si128 (vc, lo4), zero));
            c1 = _mm_add_epi64 (c1,
                                _mm_sad_epu8 (_mm_and_si128 (vc, hi4), zero));
            r0 = _mm_add_epi64 (r0,
                                _mm_sad_epu8 (_mm_and_si128 (vr, lo4), zero));
            r1 = _mm_add_epi64 (r1,
                                _mm_sad_epu8 (_mm_and_si128 (vr, hi4), zero));
          } else {
            c0 = _mm_add_epi64 (c0, _mm_sad_epu8 (vc, zero));
            r0 = _mm_add_epi64 (r0, _mm_sad_epu8 (vr, zero));
          }
        }
      }
      alignas (16) uint64_t e[2], o[2];
      _mm_store_si128 (reinterpret_cast<__m128i *> (e), s0);
      _mm_store_si128 (reinterpret_cast<__m128i *> (o), s1);
      store_blocks<B, 2> (e, o, x, by, a.bw, a.out);
      if (kSums) {
        if (a.sums_cur != nullptr) {
          _mm_store_si128 (reinterpret_cast<__m128i *> (e), c0);
          _mm_store_si128 (reinterpret_cast<__m128i *> (o), c1);
          store_blocks<B, 2> (e, o, x, by, a.bw, a.sums_cur);
        }
        if (a.sums_ref != nullptr) {
          _mm_store_si128 (reinterpret_cast<__m128i *> (e), r0);
          _mm_store_si128 (reinterpret_cast<__m128i *> (o), r1);
          store_blocks<B, 2> (e, o, x, by, a.bw, a.sums_ref);
        }
      }
    }
  }
}

/* ---------------------------------------------------------------------- */
/* AVX2 block_sad                                                          */

struct Avx2Adjust {
  __m256i gain, add, sub;
};

PRUNE_AVX2 PRUNE_INLINE __m256i
avx2_adjust (const Avx2Adjust &k, __m256i r)
{
  /* unpack and pack both work within 128-bit lanes, so the byte order
   * comes back unchanged */
  const __m256i zero = _mm256_setzero_si256 ();
  __m256i lo = _mm256_mullo_epi16 (_mm256_unpacklo_epi8 (r, zero), k.gain);
  __m256i hi = _mm256_mullo_epi16 (_mm256_unpackhi_epi8 (r, zero), k.gain);
  lo = _mm256_srli_epi16 (
      _mm256_subs_epu16 (_mm256_adds_epu16 (lo, k.add), k.sub), 7);
  hi = _mm256_srli_epi16 (
      _mm256_subs_epu16 (_mm256_adds_epu16 (hi, k.add), k.sub), 7);
  return _mm256_packus_epi16 (lo, hi);
}

template<int B, bool kIdentity, bool kSums>
PRUNE_AVX2 void
sad_avx2 (const SadArgs &a)
{
  Avx2Adjust k;
  const int c = a.offset + 64;
  k.gain = _mm256_set1_epi16 (static_cast<short> (a.gain));
  k.add = _mm256_set1_epi16 (static_cast<short> (c > 0 ? c : 0));
  k.sub = _mm256_set1_epi16 (static_cast<short> (c < 0 ? -c : 0));
  const __m256i zero = _mm256_setzero_si256 ();
  const __m256i lo4 = _mm256_set1_epi64x (0x00000000ffffffffLL);
  const __m256i hi4 =
      _mm256_set1_epi64x (static_cast<long long> (0xffffffff00000000ULL));

  for (int by = 0; by < a.bh; by++) {
    const int y0 = by * B, y1 = std::min (a.h, y0 + B);
    for (int x = 0; x < a.w; x += 32) {
      const int valid = std::min (32, a.w - x);
      const bool tail = valid < 32;
      const __m256i vmask = _mm256_loadu_si256 (
          reinterpret_cast<const __m256i *> (kRamp + 32 - valid));
      __m256i s0 = zero, s1 = zero, c0 = zero, c1 = zero, r0 = zero, r1 = zero;
      alignas (32) uint8_t tc[32] = {0}, tr[32] = {0};
      for (int y = y0; y < y1; y++) {
        const uint8_t *pc = a.cur + y * a.cur_stride + x;
        const uint8_t *pr = a.ref + y * a.ref_stride + x;
        if (tail) {
          std::memcpy (tc, pc, valid);
          std::memcpy (tr, pr, valid);
          pc = tc;
          pr = tr;
        }
        const __m256i vc =
            _mm256_loadu_si256 (reinterpret_cast<const __m256i *> (pc));
        const __m256i vr =
            _mm256_loadu_si256 (reinterpret_cast<const __m256i *> (pr));
        const __m256i va = kIdentity ? vr : avx2_adjust (k, vr);
        if (B == 4 || tail) {
          __m256i d = _mm256_or_si256 (_mm256_subs_epu8 (vc, va),
                                       _mm256_subs_epu8 (va, vc));
          d = _mm256_and_si256 (d, vmask);
          if (B == 4) {
            s0 = _mm256_add_epi64 (
                s0, _mm256_sad_epu8 (_mm256_and_si256 (d, lo4), zero));
            s1 = _mm256_add_epi64 (
                s1, _mm256_sad_epu8 (_mm256_and_si256 (d, hi4), zero));
          } else {
            s0 = _mm256_add_epi64 (s0, _mm256_sad_epu8 (d, zero));
          }
        } else {
          s0 = _mm256_add_epi64 (s0, _mm256_sad_epu8 (vc, va));
        }
        if (kSums) {
          if (B == 4) {
            c0 = _mm256_add_epi64 (
                c0, _mm256_sad_epu8 (_mm256_and_si256 (vc, lo4), zero));
            c1 = _mm256_add_epi64 (
                c1, _mm256_sad_epu8 (_mm256_and_si256 (vc, hi4), zero));
            r0 = _mm256_add_epi64 (
                r0, _mm256_sad_epu8 (_mm256_and_si256 (vr, lo4), zero));
            r1 = _mm256_add_epi64 (
                r1, _mm256_sad_epu8 (_mm256_and_si256 (vr, hi4), zero));
          } else {
            c0 = _mm256_add_epi64 (c0, _mm256_sad_epu8 (vc, zero));
            r0 = _mm256_add_epi64 (r0, _mm256_sad_epu8 (vr, zero));
          }
        }
      }
      alignas (32) uint64_t e[4], o[4];
      _mm256_store_si256 (reinterpret_cast<__m256i *> (e), s0);
      _mm256_store_si256 (reinterpret_cast<__m256i *> (o), s1);
      store_blocks<B, 4> (e, o, x, by, a.bw, a.out);
      if (kSums) {
        if (a.sums_cur != nullptr) {
          _mm256_store_si256 (reinterpret_cast<__m256i *> (e), c0);
          _mm256_store_si256 (reinterpret_cast<__m256i *> (o), c1);
          store_blocks<B, 4> (e, o, x, by, a.bw, a.sums_cur);
        }
        if (a.sums_ref != nullptr) {
          _mm256_store_si256 (reinterpret_cast<__m256i *> (e), r0);
          _mm256_store_si256 (reinterpret_cast<__m256i *> (o), r1);
          store_blocks<B, 4> (e, o, x, by, a.bw, a.sums_ref);
        }
      }
    }
  }
}

/* Picks the instantiation for the block size and the two flags. */
template<template<int, bool, bool> class F>
void
sad_dispatch (const SadArgs &a)
{
  const bool ident = a.gain == 128 && a.offset == 0;
  const bool sums = a.sums_cur != nullptr || a.sums_ref != nullptr;
  auto pick = [&]<int B> () {
    if (ident && sums)
      F<B, true, true>::run (a);
    else if (ident)
      F<B, true, false>::run (a);
    else if (sums)
      F<B, false, true>::run (a);
    else
      F<B, false, false>::run (a);
  };
  switch (a.block) {
    case 4:
      pick.template operator()<4> ();
      break;
    case 8:
      pick.template operator()<8> ();
      break;
    default:
      pick.template operator()<16> ();
      break;
  }
}

template<int B, bool kIdentity, bool kSums>
struct Sse2Sad {
  static void run (const SadArgs &a) { sad_sse2<B, kIdentity, kSums> (a); }
};
template<int B, bool kIdentity, bool kSums>
struct Avx2Sad {
  static void run (const SadArgs &a) { sad_avx2<B, kIdentity, kSums> (a); }
};

#endif /* PRUNE_KERNELS_X86 */

Isa
resolve (Isa isa)
{
  return isa_supported (isa) ? isa : best_isa ();
}

} // namespace

/* ====================================================================== */
/* Public functions                                                        */
/* ====================================================================== */

bool
isa_supported (Isa isa)
{
  switch (isa) {
    case Isa::Scalar:
      return true;
#if PRUNE_KERNELS_X86
    case Isa::Sse2: {
      static const bool has = __builtin_cpu_supports ("sse2");
      return has;
    }
    case Isa::Avx2: {
      static const bool has = __builtin_cpu_supports ("avx2");
      return has;
    }
#else
    case Isa::Sse2:
    case Isa::Avx2:
      return false;
#endif
  }
  return false;
}

Isa
best_isa ()
{
  if (isa_supported (Isa::Avx2))
    return Isa::Avx2;
  if (isa_supported (Isa::Sse2))
    return Isa::Sse2;
  return Isa::Scalar;
}

const char *
to_string (Isa isa)
{
  switch (isa) {
    case Isa::Scalar:
      return "scalar";
    case Isa::Sse2:
      return "sse2";
    case Isa::Avx2:
      return "avx2";
  }
  return "unknown";
}

void
downscale_luma (const uint8_t *src, int stride, int w, int h,
                const LumaLayout &layout, int out_w, int out_h,
                int rows_per_cell, uint8_t *dst, int dst_stride, Isa isa)
{
  g_return_if_fail (src != nullptr && dst != nullptr);
  g_return_if_fail (layout.bytes_per_pixel >= 1 && layout.bytes_per_pixel <= 4);
  g_return_if_fail (layout.weight_sum >= 1);
  g_return_if_fail (w >= 1 && h >= 1);
  g_return_if_fail (out_w >= 1 && out_w <= w && out_h >= 1 && out_h <= h);
  g_return_if_fail (rows_per_cell >= 1);
  g_return_if_fail (h == 1 || stride >= w * layout.bytes_per_pixel);
  g_return_if_fail (out_h == 1 || dst_stride >= out_w);

  isa = resolve (isa);
  Plan &p = prepare_plan (w, layout, out_w);
  const int max_rows = std::min (rows_per_cell, (h + out_h - 1) / out_h);
  if (static_cast<int> (p.rows.size ()) < max_rows)
    p.rows.resize (max_rows);
  const uint8_t **rows = p.rows.data ();

  for (int cy = 0; cy < out_h; cy++) {
    const int nrows =
        read_rows (src, stride, h, out_h, rows_per_cell, cy, rows);
    uint8_t *drow = dst + static_cast<ptrdiff_t> (cy) * dst_stride;
    if (isa == Isa::Scalar || nrows > p.simd_rows) {
      scalar_row (p, rows, nrows, drow);
      continue;
    }
#if PRUNE_KERNELS_X86
    if (isa == Isa::Avx2 && nrows == 1 && p.cell1 > 0)
      avx2_row1 (p, rows[0], drow);
    else if (isa == Isa::Avx2)
      avx2_row (p, rows, nrows, drow);
    else
      sse2_row (p, rows, nrows, drow);
#endif
  }
}

void
block_sad (const uint8_t *cur, int cur_stride, const uint8_t *ref,
           int ref_stride, int w, int h, int block, int gain_q7, int offset_q7,
           uint32_t *out, uint32_t *sums_cur, uint32_t *sums_ref, Isa isa)
{
  g_return_if_fail (cur != nullptr && ref != nullptr && out != nullptr);
  g_return_if_fail (w >= 1 && h >= 1);
  g_return_if_fail (block == 4 || block == 8 || block == 16);
  g_return_if_fail (gain_q7 >= 0 && gain_q7 <= 255);
  g_return_if_fail (offset_q7 >= -32768 && offset_q7 <= 32767);
  g_return_if_fail (h == 1 || (cur_stride >= w && ref_stride >= w));

  SadArgs a{cur,
            cur_stride,
            ref,
            ref_stride,
            w,
            h,
            block,
            gain_q7,
            offset_q7,
            out,
            sums_cur,
            sums_ref,
            (w + block - 1) / block,
            (h + block - 1) / block};
  switch (resolve (isa)) {
#if PRUNE_KERNELS_X86
    case Isa::Avx2:
      sad_dispatch<Avx2Sad> (a);
      return;
    case Isa::Sse2:
      sad_dispatch<Sse2Sad> (a);
      return;
#endif
    default:
      sad_scalar (a);
      return;
  }
}

} // namespace prune::kernels

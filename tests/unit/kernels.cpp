/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Unit tests of gst/prune/kernels.h: small cases computed by hand, the
 * scalar implementation against a naive one written here from the
 * documented formulas, and every SIMD implementation the CPU runs against
 * the scalar one, bit for bit, on random pictures of awkward sizes and
 * strides. Pictures are allocated to their exact size, so a kernel reading
 * past the last byte is caught by the sanitizer and valgrind runs.
 */
#include <gst/check/gstcheck.h>
#include <gst/prune/kernels.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace prune::kernels;

namespace {

constexpr Isa kAllIsas[] = {Isa::Scalar, Isa::Sse2, Isa::Avx2};
constexpr Isa kSimdIsas[] = {Isa::Sse2, Isa::Avx2};

struct NamedLayout {
  const char *name;
  LumaLayout layout;
};

const NamedLayout kLayouts[] = {
    {"planar", {1, {1, 0, 0, 0}, 1}},
    {"YUY2", {2, {1, 0, 0, 0}, 1}},
    {"UYVY", {2, {0, 1, 0, 0}, 1}},
    {"RGBx", {4, {1, 2, 1, 0}, 4}},
    {"xRGB", {4, {0, 1, 2, 1}, 4}},
    {"RGB", {3, {1, 2, 1, 0}, 4}},
    /* not a real format: every byte weighted, largest weights */
    {"heavy4", {4, {255, 255, 255, 255}, 1020}},
    {"odd3", {3, {3, 0, 7, 0}, 10}},
    {"odd2", {2, {5, 3, 0, 0}, 8}},
    /* weight_sum below the weights (clamped to 255), far above them */
    {"clamp2", {2, {100, 27, 0, 0}, 1}},
    {"huge-sum", {1, {200, 0, 0, 0}, 1 << 30}},
};

/* A picture allocated to its exact size: rows @stride apart, the last row
 * ends at the last byte. */
struct Picture {
  int w = 0, h = 0, bpp = 1, stride = 0;
  std::vector<uint8_t> bytes;

  Picture (int w_, int h_, int bpp_, int stride_)
      : w (w_), h (h_), bpp (bpp_), stride (stride_),
        bytes (static_cast<size_t> (stride_) * (h_ - 1) + w_ * bpp_)
  {}
  uint8_t *row (int y)
  {
    return bytes.data () + static_cast<size_t> (y) * stride;
  }
  const uint8_t *data () const { return bytes.data (); }
};

Picture
random_picture (std::mt19937 &rng, int w, int h, int bpp, int extra)
{
  Picture p (w, h, bpp, w * bpp + extra);
  std::uniform_int_distribution<int> byte (0, 255);
  /* Mostly noise, sometimes flat or two-level areas, which make exact
   * halves (rounding) and saturation more likely. */
  const int mode = std::uniform_int_distribution<int> (0, 3) (rng);
  for (uint8_t &b : p.bytes) {
    switch (mode) {
      case 0:
      case 1:
        b = static_cast<uint8_t> (byte (rng));
        break;
      case 2:
        b = (byte (rng) & 1) ? 255 : 0;
        break;
      default:
        b = static_cast<uint8_t> (128 + (byte (rng) & 3));
        break;
    }
  }
  return p;
}

/* ---------------------------------------------------------------------- */
/* Naive implementations, straight from the formulas in kernels.h          */

std::vector<uint8_t>
naive_downscale (const Picture &pic, const LumaLayout &l, int out_w, int out_h,
                 int rpc)
{
  std::vector<uint8_t> out (static_cast<size_t> (out_w) * out_h);
  for (int cy = 0; cy < out_h; cy++) {
    const int64_t row0 = static_cast<int64_t> (cy) * pic.h / out_h;
    const int64_t n = static_cast<int64_t> (cy + 1) * pic.h / out_h - row0;
    std::vector<int64_t> rows;
    if (n > rpc) {
      for (int64_t k = 0; k < rpc; k++)
        rows.push_back (row0 + (k * n) / rpc);
    } else {
      for (int64_t k = 0; k < n; k++)
        rows.push_back (row0 + k);
    }
    for (int cx = 0; cx < out_w; cx++) {
      const int64_t x0 = static_cast<int64_t> (cx) * pic.w / out_w;
      const int64_t x1 = static_cast<int64_t> (cx + 1) * pic.w / out_w;
      uint64_t sum = 0, count = 0;
      for (int64_t y : rows) {
        for (int64_t x = x0; x < x1; x++) {
          const uint8_t *px =
              pic.data () + y * pic.stride + x * l.bytes_per_pixel;
          for (int i = 0; i < l.bytes_per_pixel; i++)
            sum += static_cast<uint64_t> (l.weight[i]) * px[i];
          count++;
        }
      }
      const uint64_t d = count * l.weight_sum;
      out[cy * out_w + cx] =
          static_cast<uint8_t> (std::min<uint64_t> (255, (sum + d / 2) / d));
    }
  }
  return out;
}

int
naive_adjust (int r, int gain, int offset)
{
  return std::clamp ((r * gain + offset + 64) >> 7, 0, 255);
}

struct SadResult {
  std::vector<uint32_t> sad, sc, sr;
  bool operator== (const SadResult &) const = default;
};

SadResult
naive_sad (const Picture &cur, const Picture &ref, int block, int gain,
           int offset)
{
  const int bw = (cur.w + block - 1) / block, bh = (cur.h + block - 1) / block;
  SadResult r;
  r.sad.assign (bw * bh, 0);
  r.sc.assign (bw * bh, 0);
  r.sr.assign (bw * bh, 0);
  for (int y = 0; y < cur.h; y++) {
    for (int x = 0; x < cur.w; x++) {
      const int c = cur.data ()[y * cur.stride + x];
      const int f = ref.data ()[y * ref.stride + x];
      const int i = (y / block) * bw + x / block;
      r.sad[i] += std::abs (c - naive_adjust (f, gain, offset));
      r.sc[i] += c;
      r.sr[i] += f;
    }
  }
  return r;
}

/* ---------------------------------------------------------------------- */
/* Calls of the kernels                                                     */

std::vector<uint8_t>
run_downscale (const Picture &pic, const LumaLayout &l, int out_w, int out_h,
               int rpc, Isa isa)
{
  /* dst rows padded; the padding must stay untouched */
  const int dst_stride = out_w + 3;
  std::vector<uint8_t> dst (static_cast<size_t> (dst_stride) * out_h, 0xA5);
  downscale_luma (pic.data (), pic.stride, pic.w, pic.h, l, out_w, out_h, rpc,
                  dst.data (), dst_stride, isa);
  std::vector<uint8_t> out (static_cast<size_t> (out_w) * out_h);
  bool padding_kept = true;
  for (int y = 0; y < out_h; y++) {
    for (int x = 0; x < out_w; x++)
      out[y * out_w + x] = dst[y * dst_stride + x];
    for (int x = out_w; x < dst_stride; x++)
      padding_kept = padding_kept && dst[y * dst_stride + x] == 0xA5;
  }
  /* (one check per call: every check costs a message to the parent) */
  fail_unless (padding_kept, "%s wrote past the row end", to_string (isa));
  return out;
}

SadResult
run_sad (const Picture &cur, const Picture &ref, int block, int gain,
         int offset, Isa isa, bool sums)
{
  const int bw = (cur.w + block - 1) / block, bh = (cur.h + block - 1) / block;
  /* exact sizes: writing one block too many is caught by the sanitizers */
  SadResult r;
  r.sad.assign (bw * bh, 0xdeadbeef);
  r.sc.assign (bw * bh, 0xdeadbeef);
  r.sr.assign (bw * bh, 0xdeadbeef);
  block_sad (cur.data (), cur.stride, ref.data (), ref.stride, cur.w, cur.h,
             block, gain, offset, r.sad.data (), sums ? r.sc.data () : nullptr,
             sums ? r.sr.data () : nullptr, isa);
  if (!sums) {
    r.sc.clear ();
    r.sr.clear ();
  }
  return r;
}

std::string
first_difference (const std::vector<uint8_t> &a, const std::vector<uint8_t> &b,
                  int out_w)
{
  for (size_t i = 0; i < a.size (); i++)
    if (a[i] != b[i])
      return "cell (" + std::to_string (i % out_w) + ", " +
             std::to_string (i / out_w) + "): " + std::to_string (a[i]) +
             " vs " + std::to_string (b[i]);
  return "none";
}

/* One downscale case: scalar against the naive code, every supported SIMD
 * implementation against scalar. */
void
check_downscale (std::mt19937 &rng, const NamedLayout &nl, int w, int h,
                 int extra, int out_w, int out_h, int rpc)
{
  const Picture pic =
      random_picture (rng, w, h, nl.layout.bytes_per_pixel, extra);
  const std::vector<uint8_t> ref =
      naive_downscale (pic, nl.layout, out_w, out_h, rpc);
  for (Isa isa : kAllIsas) {
    if (!isa_supported (isa))
      continue;
    const std::vector<uint8_t> got =
        run_downscale (pic, nl.layout, out_w, out_h, rpc, isa);
    fail_unless (got == ref,
                 "%s %s %dx%d stride %d -> %dx%d rows_per_cell %d: %s",
                 to_string (isa), nl.name, w, h, pic.stride, out_w, out_h, rpc,
                 first_difference (got, ref, out_w).c_str ());
  }
}

void
check_sad (std::mt19937 &rng, int w, int h, int block, int gain, int offset)
{
  std::uniform_int_distribution<int> pad (0, 37);
  const Picture cur = random_picture (rng, w, h, 1, pad (rng));
  Picture ref = random_picture (rng, w, h, 1, pad (rng));
  /* Half the time the reference is the current picture slightly changed,
   * as in real use (small differences, sums close to each other). */
  if (rng () & 1) {
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        ref.row (y)[x] = static_cast<uint8_t> (std::clamp (
            cur.data ()[y * cur.stride + x] + static_cast<int> (rng () % 7) - 3,
            0, 255));
  }
  const SadResult want = naive_sad (cur, ref, block, gain, offset);
  for (Isa isa : kAllIsas) {
    if (!isa_supported (isa))
      continue;
    for (int sums = 0; sums < 2; sums++) {
      SadResult got = run_sad (cur, ref, block, gain, offset, isa, sums);
      fail_unless (got.sad == want.sad,
                   "%s sad %dx%d block %d gain %d offset %d sums %d",
                   to_string (isa), w, h, block, gain, offset, sums);
      if (sums) {
        fail_unless (got.sc == want.sc && got.sr == want.sr,
                     "%s sums %dx%d block %d", to_string (isa), w, h, block);
      }
    }
  }
}

} // namespace

/* ---------------------------------------------------------------------- */

GST_START_TEST (test_isa)
{
  fail_unless (isa_supported (Isa::Scalar));
  fail_unless (isa_supported (best_isa ()));
  fail_unless_equals_string (to_string (Isa::Scalar), "scalar");
  fail_unless_equals_string (to_string (Isa::Sse2), "sse2");
  fail_unless_equals_string (to_string (Isa::Avx2), "avx2");
#if defined(__x86_64__)
  fail_unless (isa_supported (Isa::Sse2));
  fail_unless (best_isa () != Isa::Scalar);
#endif
  if (isa_supported (Isa::Avx2))
    fail_unless (best_isa () == Isa::Avx2);
  for (Isa isa : kSimdIsas)
    GST_INFO ("%s: %s", to_string (isa),
              isa_supported (isa) ? "supported" : "not supported, skipped");
}
GST_END_TEST;

/* The SIMD code adjusts the reference with unsigned saturating 16-bit
 * arithmetic; check that it equals the documented clamp for every pixel
 * value, every gain and a dense set of offsets (every offset for some
 * gains). */
GST_START_TEST (test_adjust_saturation_equivalence)
{
  auto saturated = [] (int r, int gain, int offset) {
    int v = r * gain; /* <= 255 * 255 = 65025: fits 16 bits */
    const int c = offset + 64;
    if (c >= 0)
      v = std::min (65535, v + c); /* adds_epu16 */
    else
      v = std::max (0, v - (-c)); /* subs_epu16 */
    v >>= 7;                      /* srli_epi16 */
    return std::min (v, 255);     /* packus_epi16 (v >= 0) */
  };
  std::vector<int> offsets;
  for (int o = -32768; o <= 32767; o += 251)
    offsets.push_back (o);
  for (int o : {-32768, -32767, -32705, -32704, -32703, -65, -64, -63, -1, 0, 1,
                63, 64, 32702, 32703, 32767})
    offsets.push_back (o);
  for (int gain = 0; gain <= 255; gain++)
    for (int o : offsets)
      for (int r = 0; r <= 255; r++)
        if (saturated (r, gain, o) != naive_adjust (r, gain, o))
          ck_abort_msg ("r %d gain %d offset %d: %d vs %d", r, gain, o,
                        saturated (r, gain, o), naive_adjust (r, gain, o));
  for (int gain : {0, 1, 255})
    for (int o = -32768; o <= 32767; o++)
      for (int r = 0; r <= 255; r++)
        if (saturated (r, gain, o) != naive_adjust (r, gain, o))
          ck_abort_msg ("r %d gain %d offset %d: %d vs %d", r, gain, o,
                        saturated (r, gain, o), naive_adjust (r, gain, o));
}
GST_END_TEST;

GST_START_TEST (test_downscale_known)
{
  for (Isa isa : kAllIsas) {
    if (!isa_supported (isa))
      continue;
    /* 4x2 planar to 2x1: (10+20+50+60)/4 = 35, (30+40+70+80)/4 = 55 */
    {
      Picture p (4, 2, 1, 5);
      const uint8_t r0[] = {10, 20, 30, 40}, r1[] = {50, 60, 70, 80};
      std::copy (r0, r0 + 4, p.row (0));
      std::copy (r1, r1 + 4, p.row (1));
      const auto out = run_downscale (p, {1, {1, 0, 0, 0}, 1}, 2, 1, 2, isa);
      fail_unless (out == (std::vector<uint8_t>{35, 55}), "%s",
                   to_string (isa));
      /* rows_per_cell 1: only row 0 is read: 15, 35 */
      const auto one = run_downscale (p, {1, {1, 0, 0, 0}, 1}, 2, 1, 1, isa);
      fail_unless (one == (std::vector<uint8_t>{15, 35}), "%s",
                   to_string (isa));
    }
    /* round half up: (1 + 2) / 2 = 1.5 -> 2; (0 + 1 + 1) / 3 -> 1;
     * (0 + 0 + 1 + 1) / 4 = 0.5 -> 1; (0 + 0 + 0 + 1) / 4 -> 0 */
    {
      Picture p (2, 1, 1, 2);
      p.row (0)[0] = 1;
      p.row (0)[1] = 2;
      fail_unless (run_downscale (p, {1, {1, 0, 0, 0}, 1}, 1, 1, 1, isa) ==
                   (std::vector<uint8_t>{2}));
      Picture q (3, 1, 1, 3);
      q.row (0)[0] = 0;
      q.row (0)[1] = 1;
      q.row (0)[2] = 1;
      fail_unless (run_downscale (q, {1, {1, 0, 0, 0}, 1}, 1, 1, 1, isa) ==
                   (std::vector<uint8_t>{1}));
      Picture r (2, 2, 1, 2);
      std::fill (r.bytes.begin (), r.bytes.end (), 0);
      r.row (1)[0] = r.row (1)[1] = 1;
      fail_unless (run_downscale (r, {1, {1, 0, 0, 0}, 1}, 1, 1, 2, isa) ==
                   (std::vector<uint8_t>{1}));
      r.row (1)[0] = 0;
      fail_unless (run_downscale (r, {1, {1, 0, 0, 0}, 1}, 1, 1, 2, isa) ==
                   (std::vector<uint8_t>{0}));
    }
    /* RGBx (10, 20, 30, 99): (10 + 2*20 + 30) / 4 = 20.
     * xRGB (99, 10, 20, 33): (10 + 40 + 33) / 4 = 20.75 -> 21 */
    {
      Picture p (1, 1, 4, 4);
      const uint8_t px[] = {10, 20, 30, 99};
      std::copy (px, px + 4, p.row (0));
      fail_unless (run_downscale (p, {4, {1, 2, 1, 0}, 4}, 1, 1, 1, isa) ==
                   (std::vector<uint8_t>{20}));
      const uint8_t px2[] = {99, 10, 20, 33};
      std::copy (px2, px2 + 4, p.row (0));
      fail_unless (run_downscale (p, {4, {0, 1, 2, 1}, 4}, 1, 1, 1, isa) ==
                   (std::vector<uint8_t>{21}));
    }
    /* YUY2 Y0 U Y1 V = 100 7 50 9, 2 pixels -> (100 + 50) / 2 = 75;
     * the same bytes as UYVY: (7 + 9) / 2 = 8 */
    {
      Picture p (2, 1, 2, 4);
      const uint8_t px[] = {100, 7, 50, 9};
      std::copy (px, px + 4, p.row (0));
      fail_unless (run_downscale (p, {2, {1, 0, 0, 0}, 1}, 1, 1, 1, isa) ==
                   (std::vector<uint8_t>{75}));
      fail_unless (run_downscale (p, {2, {0, 1, 0, 0}, 1}, 1, 1, 1, isa) ==
                   (std::vector<uint8_t>{8}));
    }
    /* RGB 3 bytes, 2 pixels (10,20,30) (40,50,60) -> 1 cell:
     * (10+40+30 + 40+100+60) / 8 = 35 */
    {
      Picture p (2, 1, 3, 7);
      const uint8_t px[] = {10, 20, 30, 40, 50, 60};
      std::copy (px, px + 6, p.row (0));
      fail_unless (run_downscale (p, {3, {1, 2, 1, 0}, 4}, 1, 1, 1, isa) ==
                   (std::vector<uint8_t>{35}));
    }
    /* Row subsampling: 1 column, 5 rows, rows_per_cell 2 reads rows 0 and
     * 0 + 5/2 = 2: (10 + 30) / 2 = 20. 3 rows per cell reads rows 0, 1, 3. */
    {
      Picture p (1, 5, 1, 1);
      const uint8_t col[] = {10, 200, 30, 99, 99};
      std::copy (col, col + 5, p.bytes.begin ());
      fail_unless (run_downscale (p, {1, {1, 0, 0, 0}, 1}, 1, 1, 2, isa) ==
                   (std::vector<uint8_t>{20}));
      /* (10 + 200 + 99) / 3 = 103 */
      fail_unless (run_downscale (p, {1, {1, 0, 0, 0}, 1}, 1, 1, 3, isa) ==
                   (std::vector<uint8_t>{103}));
    }
    /* Uneven cells: 5 columns into 2 cells: [0, 2) and [2, 5). */
    {
      Picture p (5, 1, 1, 5);
      const uint8_t px[] = {0, 2, 9, 9, 10};
      std::copy (px, px + 5, p.row (0));
      fail_unless (run_downscale (p, {1, {1, 0, 0, 0}, 1}, 2, 1, 1, isa) ==
                   (std::vector<uint8_t>{1, 9}));
    }
    /* weight_sum below the weights: clamped to 255 */
    {
      Picture p (2, 1, 1, 2);
      p.row (0)[0] = 100;
      p.row (0)[1] = 10;
      fail_unless (run_downscale (p, {1, {4, 0, 0, 0}, 1}, 2, 1, 1, isa) ==
                   (std::vector<uint8_t>{255, 40}));
    }
  }
}
GST_END_TEST;

GST_START_TEST (test_downscale_random)
{
  std::mt19937 rng (20260101);
  const int widths[] = {1,  2,  3,  5,  7,  8,  9,   15,  16, 17,
                        31, 32, 33, 47, 64, 65, 100, 129, 641};
  const int heights[] = {1, 2, 3, 4, 7, 9, 33};
  std::uniform_int_distribution<int> pad (0, 37);
  int cases = 0;
  for (const NamedLayout &nl : kLayouts) {
    for (int w : widths) {
      for (int h : heights) {
        /* a few output sizes per picture: extremes and random */
        for (int k = 0; k < 4; k++) {
          int out_w, out_h;
          switch (k) {
            case 0:
              out_w = w;
              out_h = h;
              break;
            case 1:
              out_w = 1;
              out_h = 1;
              break;
            default:
              out_w = std::uniform_int_distribution<int> (1, w) (rng);
              out_h = std::uniform_int_distribution<int> (1, h) (rng);
              break;
          }
          const int rpcs[] = {
              1, 2, 3, std::uniform_int_distribution<int> (1, h + 2) (rng)};
          for (int rpc : rpcs) {
            check_downscale (rng, nl, w, h, pad (rng), out_w, out_h, rpc);
            cases++;
          }
        }
      }
    }
  }
  GST_INFO ("%d random downscale cases", cases);
}
GST_END_TEST;

/* Sizes of real use, and cells or row counts beyond what the SIMD row code
 * takes (it hands those rows to the scalar code). */
GST_START_TEST (test_downscale_large)
{
  std::mt19937 rng (7);
  const NamedLayout &planar = kLayouts[0];
  /* 1080p to the analysis size, both row counts around */
  check_downscale (rng, planar, 1920, 1080, 0, 320, 180, 1);
  check_downscale (rng, planar, 1280, 720, 0, 320, 180, 1);
  check_downscale (rng, planar, 1920, 1080, 0, 320, 180, 2);
  check_downscale (rng, planar, 1920, 1080, 13, 320, 180, 6);
  check_downscale (rng, kLayouts[1], 1280, 720, 0, 320, 180, 2);
  check_downscale (rng, kLayouts[3], 1280, 720, 4, 320, 180, 2);
  check_downscale (rng, kLayouts[5], 641, 361, 1, 160, 90, 3);
  /* 128 read rows (the most the SIMD code adds in 16 bits), 129 and more */
  check_downscale (rng, planar, 37, 300, 3, 5, 1, 128);
  check_downscale (rng, planar, 37, 300, 3, 5, 1, 129);
  check_downscale (rng, planar, 37, 300, 3, 5, 2, 1000);
  check_downscale (rng, kLayouts[6], 33, 257, 0, 3, 1, 257);
  /* one wide cell of the heaviest layout: only a few rows fit 32 bits */
  check_downscale (rng, kLayouts[6], 3000, 9, 1, 1, 1, 9);
  check_downscale (rng, kLayouts[6], 3000, 9, 1, 2, 2, 9);
  /* tall thin and wide flat */
  check_downscale (rng, kLayouts[4], 3, 700, 2, 2, 350, 2);
  check_downscale (rng, kLayouts[2], 2000, 2, 5, 999, 1, 2);
}
GST_END_TEST;

/* Every cell geometry the SIMD code tells apart: cells of 1 to 12 pixels
 * (the AVX2 code packs cells of up to 4 or 8 16-bit lanes together, and a
 * lane is one byte, or two in its pair mode that needs cells on even
 * bytes), all equal or mixed, and read-row counts around the limits of the
 * 16-bit column sums (42 and 64 rows in pair mode, 128 otherwise). */
GST_START_TEST (test_downscale_paths)
{
  std::mt19937 rng (99);
  for (const NamedLayout &nl : kLayouts) {
    for (int k = 1; k <= 12; k++) {
      for (int out_w : {5, 16, 17}) {
        check_downscale (rng, nl, k * out_w, 6, 1, out_w, 3, 2);
        check_downscale (rng, nl, k * out_w + out_w / 2, 7, 0, out_w, 2, 3);
      }
    }
  }
  for (int rpc : {41, 42, 43, 63, 64, 65, 127, 128, 129}) {
    check_downscale (rng, kLayouts[0], 40, 300, 1, 5, 2, rpc);
    check_downscale (rng, kLayouts[0], 41, 300, 2, 5, 2, rpc);
    check_downscale (rng, kLayouts[3], 40, 300, 0, 5, 2, rpc);
    check_downscale (rng, kLayouts[1], 40, 300, 3, 20, 2, rpc);
  }
}
GST_END_TEST;

/* One read row per cell of planar luma in cells of 1 to 8 bytes: the
 * motion detector's case, which the AVX2 code sums with byte shuffles and
 * _mm256_sad_epu8 and divides by multiplication. Row lengths around its
 * 8-cell batches and its last full 16-byte load (the pictures end right
 * after their last row, so a read past it shows under the address
 * sanitizer), and every cell sum from 0 to 255 k, for its division. */
GST_START_TEST (test_downscale_one_row_cells)
{
  std::mt19937 rng (2611);
  const NamedLayout &planar = kLayouts[0];
  for (int k = 1; k <= 8; k++) {
    for (int out_w : {1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 40, 41}) {
      for (int extra : {0, 5}) {
        check_downscale (rng, planar, k * out_w, 1, extra, out_w, 1, 1);
        check_downscale (rng, planar, k * out_w, 6, extra, out_w, 3, 1);
      }
    }
    const int cells = 255 * k + 1;
    Picture p (k * cells, 1, 1, k * cells);
    for (int c = 0; c < cells; c++)
      for (int i = 0; i < k; i++) /* sum c: the bytes differ by 1 at most */
        p.row (0)[c * k + i] = static_cast<uint8_t> (c / k + (i < c % k));
    const std::vector<uint8_t> want =
        naive_downscale (p, planar.layout, cells, 1, 1);
    for (Isa isa : kAllIsas) {
      if (!isa_supported (isa))
        continue;
      const auto got = run_downscale (p, planar.layout, cells, 1, 1, isa);
      fail_unless (got == want, "%s cells of %d: %s", to_string (isa), k,
                   first_difference (got, want, cells).c_str ());
    }
  }
}
GST_END_TEST;

/* Averages a hair below and at a rounding step, with divisors that are not
 * powers of two and sums too large for single-precision division: the
 * floating-point division in the SIMD code must still be exact. */
GST_START_TEST (test_downscale_rounding_steps)
{
  /* (the last two stay below 2^22 and take the single-precision path) */
  const int sizes[][2] = {{255, 128}, {255, 127}, {251, 128}, {251, 127},
                          {199, 128}, {127, 129}, {125, 131}};
  for (const auto &wh : sizes) {
    const int w = wh[0], h = wh[1];
    const int64_t d = static_cast<int64_t> (w) * h;
    for (int k = 150; k <= 255; k++) {
      for (int delta : {-1, 0}) {
        /* (sum + d/2) / d == k exactly when sum == k d - d/2 */
        const int64_t sum = k * d - d / 2 + delta;
        Picture p (w, h, 1, w + 1);
        const int64_t base = sum / d, extra = sum % d;
        int64_t i = 0;
        for (int y = 0; y < h; y++)
          for (int x = 0; x < w; x++, i++)
            p.row (y)[x] = static_cast<uint8_t> (base + (i < extra ? 1 : 0));
        const uint8_t want = static_cast<uint8_t> (delta < 0 ? k - 1 : k);
        for (Isa isa : kAllIsas) {
          if (!isa_supported (isa))
            continue;
          const auto got =
              run_downscale (p, {1, {1, 0, 0, 0}, 1}, 1, 1, h, isa);
          if (got[0] != want)
            ck_abort_msg ("%s %dx%d k %d delta %d: %d", to_string (isa), w, h,
                          k, delta, got[0]);
        }
      }
    }
  }
}
GST_END_TEST;

GST_START_TEST (test_sad_known)
{
  for (Isa isa : kAllIsas) {
    if (!isa_supported (isa))
      continue;
    /* 5x5 with block 4: 2x2 blocks, three of them partial */
    Picture cur (5, 5, 1, 7), ref (5, 5, 1, 5);
    for (int y = 0; y < 5; y++)
      for (int x = 0; x < 5; x++) {
        cur.row (y)[x] = static_cast<uint8_t> (10 * y + x);
        ref.row (y)[x] = static_cast<uint8_t> (10 * y);
      }
    /* |cur - ref| = x: block (0,0): 4 rows x (0+1+2+3) = 24, (1,0): 4 x 4 =
     * 16, (0,1): 6, (1,1): 4. Sums of cur: block (0,0) = 4*6 + 4*(0+10+20+30)
     * = 264. */
    SadResult r = run_sad (cur, ref, 4, 128, 0, isa, true);
    fail_unless (r.sad == (std::vector<uint32_t>{24, 16, 6, 4}), "%s",
                 to_string (isa));
    fail_unless_equals_int (r.sc[0], 264);
    fail_unless_equals_int (r.sr[0], 4 * (0 + 10 + 20 + 30));
    fail_unless_equals_int (r.sc[3], 44);
    fail_unless_equals_int (r.sr[3], 40);
    /* gain 0, offset 128 * 50: adj(r) = 50 for every r */
    r = run_sad (cur, ref, 8, 0, 128 * 50, isa, false);
    uint32_t want = 0;
    for (int y = 0; y < 5; y++)
      for (int x = 0; x < 5; x++)
        want += std::abs (10 * y + x - 50);
    fail_unless (r.sad == (std::vector<uint32_t>{want}), "%s", to_string (isa));
    /* gain 255 saturates: adj = min(255, (r * 255 + 64) >> 7); ref 40 -> 80 */
    Picture c1 (1, 1, 1, 1), r1 (1, 1, 1, 1);
    c1.bytes[0] = 0;
    r1.bytes[0] = 40;
    fail_unless_equals_int (run_sad (c1, r1, 16, 255, 0, isa, false).sad[0],
                            80);
    r1.bytes[0] = 200;
    fail_unless_equals_int (run_sad (c1, r1, 16, 255, 0, isa, false).sad[0],
                            255);
    /* offset -32768 clamps to 0, offset 32767 to 255 */
    c1.bytes[0] = 7;
    fail_unless_equals_int (run_sad (c1, r1, 4, 0, -32768, isa, false).sad[0],
                            7);
    fail_unless_equals_int (run_sad (c1, r1, 4, 0, 32767, isa, false).sad[0],
                            248);
    /* negative before the shift: (1 * 1 - 200 + 64) >> 7 = -135 >> 7 = -2 ->
     * 0 */
    r1.bytes[0] = 1;
    fail_unless_equals_int (run_sad (c1, r1, 4, 1, -200, isa, false).sad[0], 7);
  }
}
GST_END_TEST;

GST_START_TEST (test_sad_random)
{
  std::mt19937 rng (424242);
  const int sizes[][2] = {{1, 1},     {2, 3},   {3, 2},   {7, 5},   {16, 16},
                          {17, 9},    {31, 33}, {32, 8},  {33, 17}, {40, 23},
                          {63, 4},    {64, 64}, {65, 31}, {100, 7}, {129, 19},
                          {320, 180}, {641, 11}};
  const int gains[][2] = {{128, 0},     {0, 0},     {255, 0},      {0, -32768},
                          {255, 32767}, {0, 32767}, {255, -32768}, {127, -64},
                          {129, 64},    {128, 1},   {128, -1}};
  int cases = 0;
  for (const auto &s : sizes) {
    for (int block : {4, 8, 16}) {
      for (const auto &g : gains) {
        check_sad (rng, s[0], s[1], block, g[0], g[1]);
        cases++;
      }
      for (int k = 0; k < 4; k++) {
        check_sad (rng, s[0], s[1], block,
                   std::uniform_int_distribution<int> (0, 255) (rng),
                   std::uniform_int_distribution<int> (-32768, 32767) (rng));
        check_sad (rng, s[0], s[1], block,
                   std::uniform_int_distribution<int> (100, 156) (rng),
                   std::uniform_int_distribution<int> (-3000, 3000) (rng));
        cases += 2;
      }
    }
  }
  GST_INFO ("%d random block_sad cases", cases);
}
GST_END_TEST;

static Suite *
kernels_suite (void)
{
  Suite *s = suite_create ("kernels");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_isa);
  tcase_add_test (tc, test_adjust_saturation_equivalence);
  tcase_add_test (tc, test_downscale_known);
  tcase_add_test (tc, test_downscale_random);
  tcase_add_test (tc, test_downscale_large);
  tcase_add_test (tc, test_downscale_paths);
  tcase_add_test (tc, test_downscale_one_row_cells);
  tcase_add_test (tc, test_downscale_rounding_steps);
  tcase_add_test (tc, test_sad_known);
  tcase_add_test (tc, test_sad_random);
  return s;
}

GST_CHECK_MAIN (kernels);

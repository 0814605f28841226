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

#include "motion.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace prune {

namespace {

constexpr int kHistory = 16;       /* analysis pictures kept */
constexpr int kRowsPerCell = 1;    /* rows read per downscale cell */
constexpr int kOnsets = 5;         /* onsets that prove a period */
constexpr int kCoincide = 3;       /* onsets on ticks that join a clock */
constexpr int kMaxBurstFrames = 3; /* a tick is at most this long */
constexpr GstClockTime kMaxBurst = 300 * GST_MSECOND;
constexpr double kFloorRiseSeconds = 30.0;
constexpr double kFloorFallSeconds = 2.0;
constexpr double kMaxShift = 1.0; /* analysis pixels per comparison */
/* the span of the second comparison: at high frame rates a slow walker
 * moves too little from one frame to the next */
constexpr GstClockTime kSpan = 200 * GST_MSECOND;
constexpr float kMinGradient = 4.0f; /* levels per pixel: a textured block */

/* Per-block memory of the clock finder. */
struct BlockClock {
  std::array<GstClockTime, kOnsets> onsets{};
  int n_onsets = 0;
  int burst = 0; /* frames in the current change burst */
  GstClockTime burst_start = 0;
  bool masked = false;
  GstClockTime period = 0;
  GstClockTime last_tick = 0;
  int off_period = 0;
  int coincide = 0;

  void forget_onsets ()
  {
    n_onsets = 0;
    coincide = 0;
  }
  void push_onset (GstClockTime t)
  {
    if (n_onsets == kOnsets) {
      std::rotate (onsets.begin (), onsets.begin () + 1, onsets.end ());
      n_onsets--;
    }
    onsets[n_onsets++] = t;
  }
};

struct Fit {
  double gain = 1.0, offset = 0.0;
  bool identity () const
  {
    return std::fabs (gain - 1.0) < 0.02 && std::fabs (offset) < 0.75;
  }
};

/* One comparison of the newest picture with an older one (the previous
 * picture, or the one kSpan earlier). Each learns its own noise floors and
 * usual median: a difference over a longer span carries more of the slow
 * changes. */
struct Diff {
  std::vector<uint32_t> sad;
  std::vector<float> mad, floor;
  bool floors_valid = false;
  double usual_median = -1.0;
  /* the frame-wide median is taken over every median_stride-th block (the
   * span's comparison: a pulse or a shift changes every block alike) */
  int median_stride = 1;
  bool pulse = false; /* this frame: a frame-wide pulse compensated */
  double raise = 0.0; /* this frame: every threshold raised by so much */

  void assign (int nb)
  {
    sad.assign (nb, 0);
    mad.assign (nb, 0.0f);
    floor.assign (nb, 0.0f);
    forget ();
  }
  void forget ()
  {
    floors_valid = false;
    usual_median = -1.0;
    std::fill (floor.begin (), floor.end (), 0.0f);
  }
};

} // namespace

struct MotionDetector::Impl {
  MotionSettings settings;

  /* geometry */
  int width = 0, height = 0;
  kernels::LumaLayout layout{1, {1, 0, 0, 0}, 1};
  int aw = 0, ah = 0, bw = 0, bh = 0, nb = 0;
  kernels::Isa isa = kernels::best_isa ();

  /* analysis pictures, newest at slot head */
  std::vector<uint8_t> pictures;
  std::array<GstClockTime, kHistory> times{};
  int head = -1, count = 0;

  /* per block */
  std::vector<uint16_t> npix;
  Diff d1, d2; /* against the previous picture, and kSpan earlier */
  std::vector<uint32_t> sum_cur, sum_ref;
  std::vector<float> gx, gy; /* mean |horizontal|, |vertical| gradient */
  std::vector<uint32_t> gtmp;
  std::vector<uint8_t> changed1, was_changed, user_mask;
  /* user_mask or masked by the clock finder: left out of everything */
  std::vector<uint8_t> ignore;
  std::vector<BlockClock> clock;
  std::vector<float> scratch;

  GstClockTime last_duration = 40 * GST_MSECOND;

  /* user mask source, re-applied on configure */
  std::vector<PixelRect> mask_rects;
  std::vector<uint8_t> mask_image;
  int mask_w = 0, mask_h = 0;

  uint8_t *picture (int slot) { return pictures.data () + slot * aw * ah; }

  void apply_mask ();
  void forget ();
  Fit fit (const uint32_t *sc, const uint32_t *sr);
  void compare (const uint8_t *cur, const uint8_t *ref, uint32_t *out,
                Fit *fit_out);
  double median_active (const float *values, int stride = 1);
  void gradients (const uint8_t *cur);
  void remove_shift (float *mad);
  void measure (Diff &d, const uint8_t *cur, const uint8_t *ref, double fall,
                bool *have_gradients, Fit *fit_out);
  int span_slot (GstClockTime t) const;
  double structural_mad (const uint8_t *cur, const uint8_t *ref, int b,
                         const Fit &f) const;
  void clock_finder (GstClockTime t, GstClockTime dur, bool pulse);
};

void
MotionDetector::Impl::apply_mask ()
{
  std::fill (user_mask.begin (), user_mask.end (), 0);
  if (nb == 0)
    return;
  /* A block is masked when any frame pixel it covers is masked. Block
   * (bx, by) covers frame columns [bx*8*width/aw, (bx+1)*8*width/aw). */
  auto mark = [this] (int x0, int y0, int x1, int y1) {
    if (x1 <= x0 || y1 <= y0)
      return;
    const int bx0 = (x0 * aw / width) / kBlock;
    const int by0 = (y0 * ah / height) / kBlock;
    const int bx1 = ((x1 - 1) * aw / width) / kBlock;
    const int by1 = ((y1 - 1) * ah / height) / kBlock;
    for (int by = by0; by <= std::min (by1, bh - 1); by++)
      for (int bx = bx0; bx <= std::min (bx1, bw - 1); bx++)
        user_mask[by * bw + bx] = 1;
  };
  for (const PixelRect &r : mask_rects)
    mark (r.x, r.y, std::min (width, r.x + r.w), std::min (height, r.y + r.h));
  if (!mask_image.empty ()) {
    for (int y = 0; y < height; y++) {
      const int iy =
          static_cast<int> (static_cast<int64_t> (y) * mask_h / height);
      for (int x = 0; x < width; x++) {
        const int ix =
            static_cast<int> (static_cast<int64_t> (x) * mask_w / width);
        if (mask_image[static_cast<std::size_t> (iy) * mask_w + ix] != 0)
          mark (x, y, x + 1, y + 1);
      }
    }
  }
  for (int b = 0; b < nb; b++)
    ignore[b] = user_mask[b] || clock[b].masked;
}

void
MotionDetector::Impl::forget ()
{
  head = -1;
  count = 0;
  d1.forget ();
  d2.forget ();
  std::fill (clock.begin (), clock.end (), BlockClock ());
  std::fill (was_changed.begin (), was_changed.end (), 0);
  ignore = user_mask;
}

/* Fits cur = gain * ref + offset over the unmasked block means, twice,
 * the second time without the blocks that fit worst (moving objects). */
Fit
MotionDetector::Impl::fit (const uint32_t *sc, const uint32_t *sr)
{
  Fit f;
  std::vector<float> &res = scratch;
  double limit = 1e9;
  for (int pass = 0; pass < 2; pass++) {
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int b = 0; b < nb; b++) {
      if (ignore[b])
        continue;
      const double x = static_cast<double> (sr[b]) / npix[b];
      const double y = static_cast<double> (sc[b]) / npix[b];
      if (std::fabs (y - (f.gain * x + f.offset)) > limit)
        continue;
      n++;
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    if (n < 4)
      return Fit ();
    const double mx = sx / n, my = sy / n;
    const double vx = sxx / n - mx * mx;
    if (vx > 25.0) {
      f.gain = std::clamp ((sxy / n - mx * my) / vx, 0.5, 1.95);
      f.offset = my - f.gain * mx;
    } else {
      f.gain = 1.0;
      f.offset = my - mx;
    }
    f.offset = std::clamp (f.offset, -100.0, 100.0);
    /* residuals for the trimmed pass */
    int m = 0;
    for (int b = 0; b < nb; b++) {
      if (ignore[b])
        continue;
      const double x = static_cast<double> (sr[b]) / npix[b];
      const double y = static_cast<double> (sc[b]) / npix[b];
      res[m++] = static_cast<float> (std::fabs (y - (f.gain * x + f.offset)));
    }
    std::nth_element (res.begin (), res.begin () + m / 2, res.begin () + m);
    limit = std::max (1.5, 2.5 * res[m / 2]);
  }
  return f;
}

void
MotionDetector::Impl::compare (const uint8_t *cur, const uint8_t *ref,
                               uint32_t *out, Fit *fit_out)
{
  kernels::block_sad (cur, aw, ref, aw, aw, ah, kBlock, 128, 0, out,
                      sum_cur.data (), sum_ref.data (), isa);
  /* no photometric change when the means agree (most frames) */
  uint64_t tc = 0, tr = 0, tn = 0;
  for (int b = 0; b < nb; b++) {
    tc += sum_cur[b];
    tr += sum_ref[b];
    tn += npix[b];
  }
  const double mean_shift =
      (static_cast<double> (tc) - static_cast<double> (tr)) / tn;
  Fit f = std::fabs (mean_shift) < 0.5 ? Fit ()
                                       : fit (sum_cur.data (), sum_ref.data ());
  if (!f.identity ()) {
    const int g =
        std::clamp (static_cast<int> (std::lround (f.gain * 128)), 0, 255);
    const int o = std::clamp (static_cast<int> (std::lround (f.offset * 128)),
                              -32768, 32767);
    kernels::block_sad (cur, aw, ref, aw, aw, ah, kBlock, g, o, out, nullptr,
                        nullptr, isa);
  }
  if (fit_out != nullptr)
    *fit_out = f;
}

/* Mean absolute horizontal and vertical gradients of each block of @cur,
 * from the SAD kernel run on the picture against itself shifted by one
 * pixel (one row). */
void
MotionDetector::Impl::gradients (const uint8_t *cur)
{
  std::fill (gx.begin (), gx.end (), 0.0f);
  std::fill (gy.begin (), gy.end (), 0.0f);
  if (aw > 1) {
    const int bwg = (aw - 1 + kBlock - 1) / kBlock;
    kernels::block_sad (cur, aw, cur + 1, aw, aw - 1, ah, kBlock, 128, 0,
                        gtmp.data (), nullptr, nullptr, isa);
    for (int by = 0; by < bh; by++)
      for (int bx = 0; bx < std::min (bw, bwg); bx++)
        gx[by * bw + bx] =
            static_cast<float> (gtmp[by * bwg + bx]) / npix[by * bw + bx];
  }
  if (ah > 1) {
    const int bhg = (ah - 1 + kBlock - 1) / kBlock;
    kernels::block_sad (cur, aw, cur + aw, aw, aw, ah - 1, kBlock, 128, 0,
                        gtmp.data (), nullptr, nullptr, isa);
    for (int by = 0; by < std::min (bh, bhg); by++)
      for (int bx = 0; bx < bw; bx++)
        gy[by * bw + bx] =
            static_cast<float> (gtmp[by * bw + bx]) / npix[by * bw + bx];
  }
}

/* A small global shift of the picture (camera drift, shake, focus
 * hunting) changes every block by about the shift times its mean gradient.
 * The shift is estimated robustly as the median, over textured unmasked
 * blocks, of (difference - noise) / gradient, where the noise is the lower
 * quartile of the block differences; moving objects and ticking digits are
 * outliers to a median. That part is then taken out of every block's
 * difference. */
void
MotionDetector::Impl::remove_shift (float *mad)
{
  int m = 0;
  for (int b = 0; b < nb; b++)
    if (!ignore[b])
      scratch[m++] = mad[b];
  if (m < 8)
    return;
  std::nth_element (scratch.begin (), scratch.begin () + m / 4,
                    scratch.begin () + m);
  const float noise = scratch[m / 4];
  int k = 0;
  for (int b = 0; b < nb; b++) {
    const float g = gx[b] + gy[b];
    if (ignore[b] || g < kMinGradient)
      continue;
    scratch[k++] = (mad[b] - noise) / g;
  }
  if (k < 8)
    return;
  std::nth_element (scratch.begin (), scratch.begin () + k / 2,
                    scratch.begin () + k);
  const float shift =
      std::clamp (scratch[k / 2], 0.0f, static_cast<float> (kMaxShift));
  if (shift <= 0.0f)
    return;
  for (int b = 0; b < nb; b++)
    mad[b] = std::max (0.0f, mad[b] - shift * (gx[b] + gy[b]));
}

double
MotionDetector::Impl::median_active (const float *values, int stride)
{
  int m = 0;
  for (int b = 0; b < nb; b += stride)
    if (!ignore[b])
      scratch[m++] = values[b];
  if (m == 0)
    return 0.0;
  std::nth_element (scratch.begin (), scratch.begin () + m / 2,
                    scratch.begin () + m);
  return scratch[m / 2];
}

/* Compares @cur with @ref into @d: block differences with a global
 * shift taken out when the frame-wide difference rises, and this frame's
 * pulse allowance; the usual median follows at the floors' @fall rate. */
void
MotionDetector::Impl::measure (Diff &d, const uint8_t *cur, const uint8_t *ref,
                               double fall, bool *have_gradients, Fit *fit_out)
{
  compare (cur, ref, d.sad.data (), fit_out);
  for (int b = 0; b < nb; b++)
    d.mad[b] = static_cast<float> (d.sad[b]) / npix[b];
  double median = median_active (d.mad.data (), d.median_stride);
  if (d.usual_median < 0)
    d.usual_median = median;
  /* a frame-wide rise may be a small shift of the whole picture */
  if (median > d.usual_median + 0.2) {
    if (!*have_gradients)
      gradients (cur);
    *have_gradients = true;
    remove_shift (d.mad.data ());
    median = median_active (d.mad.data (), d.median_stride);
  }
  if (!d.floors_valid) {
    for (int b = 0; b < nb; b++)
      d.floor[b] = std::min (d.mad[b], static_cast<float> (settings.threshold));
    d.floors_valid = true;
  }
  /* frame-wide pulse: the median block difference jumps, but stays below
   * the threshold (larger jumps are real change and are left alone) */
  d.pulse = median > d.usual_median + 0.3 && median < settings.threshold;
  d.raise = d.pulse ? 1.5 * (median - d.usual_median) : 0.0;
  if (!d.pulse)
    d.usual_median += fall * (median - d.usual_median);
}

/* Mean absolute difference of block @b of @cur against @ref (corrected by
 * the global fit @f) after a gain and offset fitted to this block alone
 * (gain within [0.8, 1.25]): what a local light change cannot explain. */
double
MotionDetector::Impl::structural_mad (const uint8_t *cur, const uint8_t *ref,
                                      int b, const Fit &f) const
{
  const int x0 = (b % bw) * kBlock, y0 = (b / bw) * kBlock;
  const int x1 = std::min (aw, x0 + kBlock), y1 = std::min (ah, y0 + kBlock);
  /* the block's reference and current pixels, the reference corrected */
  double rv[kBlock * kBlock], cv[kBlock * kBlock];
  int m = 0;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++, m++) {
      const double r = f.gain * ref[y * aw + x] + f.offset;
      const double c = cur[y * aw + x];
      rv[m] = r;
      cv[m] = c;
      sx += r;
      sy += c;
      sxx += r * r;
      sxy += r * c;
    }
  const double n = npix[b];
  const double mx = sx / n, my = sy / n, vx = sxx / n - mx * mx;
  const double g =
      vx > 4.0 ? std::clamp ((sxy / n - mx * my) / vx, 0.8, 1.25) : 1.0;
  const double o = my - g * mx;
  double sad = 0.0;
  for (int i = 0; i < m; i++)
    sad += std::fabs (cv[i] - (g * rv[i] + o));
  return sad / n;
}

/* The slot of the newest picture at least 0.9 kSpan older than the one
 * at @t, two or more pictures back (the oldest kept if none is that old);
 * -1 when the previous picture is that old already (low frame rates). */
int
MotionDetector::Impl::span_slot (GstClockTime t) const
{
  const GstClockTime want = kSpan / 10 * 9;
  auto age = [&] (int slot) {
    return t > times[slot] ? t - times[slot] : GstClockTime (0);
  };
  if (count < 3 || age ((head + kHistory - 1) % kHistory) >= want)
    return -1;
  int slot = -1;
  for (int k = 2; k < count; k++) {
    slot = (head + kHistory - k) % kHistory;
    if (age (slot) >= want)
      break;
  }
  return slot;
}

void
MotionDetector::Impl::clock_finder (GstClockTime t, GstClockTime dur,
                                    bool pulse)
{
  const GstClockTime frame_tol = dur * 6 / 10;
  /* Did a masked clock block tick in this frame? Masked blocks first. */
  bool tick = false;
  for (int b = 0; b < nb; b++) {
    if (!ignore[b] || user_mask[b])
      continue;
    BlockClock &c = clock[b];
    const bool onset = changed1[b] && !was_changed[b];
    if (onset && !pulse) {
      const GstClockTime gap = t - c.last_tick;
      const GstClockTime k = (gap + c.period / 2) / c.period;
      const GstClockTime tol = std::max (frame_tol, c.period * 3 / 100);
      const GstClockTime want = k * c.period;
      if (k >= 1 && (gap > want ? gap - want : want - gap) <= tol) {
        c.last_tick = t;
        c.off_period = 0;
        tick = true;
      } else if (++c.off_period >= 3) {
        c = BlockClock ();
        ignore[b] = 0;
      }
    } else if (t > c.last_tick + c.period * 7 / 2) {
      c = BlockClock (); /* the clock went away */
      ignore[b] = 0;
    }
  }

  for (int b = 0; b < nb; b++) {
    if (ignore[b] || (!changed1[b] && !was_changed[b]))
      continue; /* quiet blocks: nothing to record */
    BlockClock &c = clock[b];
    const bool onset = changed1[b] && !was_changed[b];
    if (changed1[b]) {
      if (onset) {
        c.burst = 0;
        c.burst_start = t;
      }
      c.burst++;
      if (c.burst > kMaxBurstFrames || t - c.burst_start > kMaxBurst)
        c.forget_onsets (); /* a long change: motion, not a tick */
    }
    if (!onset || pulse)
      continue;
    c.coincide = tick ? c.coincide + 1 : 0;
    c.push_onset (t);
    if (c.coincide >= kCoincide && c.n_onsets >= 2) {
      c.masked = true;
      ignore[b] = 1;
      c.period = c.onsets[c.n_onsets - 1] - c.onsets[c.n_onsets - 2];
      c.last_tick = t;
      continue;
    }
    if (c.n_onsets < kOnsets)
      continue;
    std::array<GstClockTime, kOnsets - 1> gaps;
    for (int i = 0; i + 1 < kOnsets; i++)
      gaps[i] = c.onsets[i + 1] - c.onsets[i];
    std::array<GstClockTime, kOnsets - 1> sorted = gaps;
    std::sort (sorted.begin (), sorted.end ());
    const GstClockTime period = sorted[sorted.size () / 2];
    if (period < dur + dur / 2 || period > 600 * GST_SECOND)
      continue;
    const GstClockTime tol = std::max (frame_tol, period * 3 / 100);
    const bool even = std::all_of (gaps.begin (), gaps.end (), [&] (auto g) {
      return (g > period ? g - period : period - g) <= tol;
    });
    if (even) {
      c.masked = true;
      ignore[b] = 1;
      c.period = period;
      c.last_tick = t;
    }
  }
  std::copy (changed1.begin (), changed1.end (), was_changed.begin ());
}

MotionDetector::MotionDetector () : impl_ (std::make_unique<Impl> ()) {}
MotionDetector::~MotionDetector () = default;

void
MotionDetector::configure (int width, int height,
                           const kernels::LumaLayout &layout,
                           int analysis_width)
{
  Impl &s = *impl_;
  s.width = std::max (1, width);
  s.height = std::max (1, height);
  s.layout = layout;
  const int want = std::clamp (analysis_width, 1, s.width);
  s.aw = want;
  s.ah = std::max (1, static_cast<int> (std::lround (
                          static_cast<double> (s.height) * want / s.width)));
  s.ah = std::min (s.ah, s.height);
  s.bw = (s.aw + kBlock - 1) / kBlock;
  s.bh = (s.ah + kBlock - 1) / kBlock;
  s.nb = s.bw * s.bh;
  s.pictures.assign (static_cast<std::size_t> (s.aw) * s.ah * kHistory, 0);
  s.npix.assign (s.nb, 0);
  for (int by = 0; by < s.bh; by++)
    for (int bx = 0; bx < s.bw; bx++)
      s.npix[by * s.bw + bx] =
          static_cast<uint16_t> (std::min (kBlock, s.aw - bx * kBlock) *
                                 std::min (kBlock, s.ah - by * kBlock));
  s.d1.assign (s.nb);
  s.d2.assign (s.nb);
  s.d2.median_stride = 4;
  s.sum_cur.assign (s.nb, 0);
  s.sum_ref.assign (s.nb, 0);
  s.gx.assign (s.nb, 0.0f);
  s.gy.assign (s.nb, 0.0f);
  s.gtmp.assign (static_cast<std::size_t> (s.bw + 1) * (s.bh + 1), 0);
  s.changed1.assign (s.nb, 0);
  s.was_changed.assign (s.nb, 0);
  s.ignore.assign (s.nb, 0);
  s.user_mask.assign (s.nb, 0);
  s.clock.assign (s.nb, BlockClock ());
  s.scratch.assign (s.nb, 0.0f);
  s.apply_mask ();
  s.forget ();
}

void
MotionDetector::set_settings (const MotionSettings &settings)
{
  impl_->settings = settings;
}

const MotionSettings &
MotionDetector::settings () const
{
  return impl_->settings;
}

void
MotionDetector::set_mask (const std::vector<PixelRect> &rects,
                          const uint8_t *image, int image_width,
                          int image_height, int image_stride)
{
  Impl &s = *impl_;
  s.mask_rects = rects;
  s.mask_image.clear ();
  s.mask_w = s.mask_h = 0;
  if (image != nullptr && image_width > 0 && image_height > 0) {
    s.mask_w = image_width;
    s.mask_h = image_height;
    s.mask_image.resize (static_cast<std::size_t> (image_width) * image_height);
    for (int y = 0; y < image_height; y++)
      std::copy_n (
          image + static_cast<std::size_t> (y) * image_stride, image_width,
          s.mask_image.begin () + static_cast<std::size_t> (y) * image_width);
  }
  if (s.nb > 0)
    s.apply_mask ();
}

void
MotionDetector::reset ()
{
  impl_->forget ();
}

MotionResult
MotionDetector::analyze (const uint8_t *data, int stride, GstClockTime t,
                         GstClockTime duration)
{
  Impl &s = *impl_;
  MotionResult r;
  if (s.nb == 0 || data == nullptr)
    return r;
  if (GST_CLOCK_TIME_IS_VALID (duration) && duration > 0)
    s.last_duration = duration;
  const GstClockTime dur = s.last_duration;
  if (!GST_CLOCK_TIME_IS_VALID (t))
    t = s.count > 0 ? s.times[s.head] + dur : 0;

  s.head = (s.head + 1) % kHistory;
  uint8_t *cur = s.picture (s.head);
  kernels::downscale_luma (data, stride, s.width, s.height, s.layout, s.aw,
                           s.ah, kRowsPerCell, cur, s.aw, s.isa);
  s.times[s.head] = t;
  s.count = std::min (s.count + 1, kHistory);
  if (s.count < 2) {
    r.active_blocks = 0;
    return r;
  }

  const int prev = (s.head + kHistory - 1) % kHistory;
  const int far = s.span_slot (t);
  const double secs = static_cast<double> (dur) / GST_SECOND;
  const double fall_rate = std::min (0.5, secs / kFloorFallSeconds);
  Fit f, f2;
  bool have_gradients = false;
  s.measure (s.d1, cur, s.picture (prev), fall_rate, &have_gradients, &f);
  if (far >= 0)
    s.measure (s.d2, cur, s.picture (far), fall_rate, &have_gradients, &f2);

  /* a block has changed against the previous picture or against the one
   * kSpan earlier; each learns its floor while it has not changed */
  const MotionSettings &cfg = s.settings;
  const float fall = static_cast<float> (fall_rate);
  const float rise =
      static_cast<float> (std::min (0.5, secs / kFloorRiseSeconds));
  auto test = [&] (Diff &d, int b, const uint8_t *span_ref) {
    const double thr = cfg.threshold + cfg.noise_factor * d.floor[b] + d.raise;
    double over = d.mad[b] - thr;
    /* over the span, a block must change in structure: a shadow or a
     * reflection drifting over it changes its brightness only */
    if (span_ref != nullptr && over > 0.0)
      over = std::min (over, s.structural_mad (cur, span_ref, b, f2) - thr);
    if (!d.pulse) {
      d.floor[b] += (over > 0.0 ? rise : fall) * (d.mad[b] - d.floor[b]);
      d.floor[b] = std::min (d.floor[b], 64.0f);
    }
    return over;
  };
  uint8_t *changed1 = s.changed1.data ();
  unsigned changed = 0, active = 0, auto_masked = 0;
  double floor_sum = 0.0, excess = 0.0;
  for (int b = 0; b < s.nb; b++) {
    double over = test (s.d1, b, nullptr);
    changed1[b] = over > 0.0;
    if (far >= 0)
      over = std::max (over, test (s.d2, b, s.picture (far)));
    if (s.ignore[b]) {
      auto_masked += !s.user_mask[b];
      continue;
    }
    active++;
    floor_sum += s.d1.floor[b];
    if (over > 0.0) {
      changed++;
      excess += over;
    }
  }
  r.noise_floor = active > 0 ? floor_sum / active : 0.0;
  r.pulse = s.d1.pulse || (far >= 0 && s.d2.pulse);
  if (cfg.auto_mask)
    s.clock_finder (t, dur, s.d1.pulse);

  r.valid = true;
  r.changed_blocks = changed;
  r.active_blocks = active;
  r.auto_masked_blocks = auto_masked;
  r.score = active > 0 ? static_cast<double> (changed) / active : 0.0;
  r.strength = active > 0 ? excess / active : 0.0;
  r.motion = changed > 0 && r.score >= cfg.min_area;
  r.gain = f.gain;
  r.offset = f.offset;
  return r;
}

int
MotionDetector::analysis_width () const
{
  return impl_->aw;
}
int
MotionDetector::analysis_height () const
{
  return impl_->ah;
}
int
MotionDetector::blocks_x () const
{
  return impl_->bw;
}
int
MotionDetector::blocks_y () const
{
  return impl_->bh;
}
bool
MotionDetector::block_masked (int bx, int by) const
{
  const Impl &s = *impl_;
  return bx >= 0 && by >= 0 && bx < s.bw && by < s.bh &&
         s.user_mask[by * s.bw + bx] != 0;
}
bool
MotionDetector::block_auto_masked (int bx, int by) const
{
  const Impl &s = *impl_;
  return bx >= 0 && by >= 0 && bx < s.bw && by < s.bh &&
         s.clock[by * s.bw + bx].masked;
}

} // namespace prune

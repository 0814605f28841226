/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Benchmark of gst/prune/kernels.h: nanoseconds per call of each kernel
 * with each instruction set the CPU runs, at 720p, 1080p and 2160p.
 *
 *   downscale: planar Y (and YUY2, RGBx) of the frame to the analysis
 *     picture, 320 pixels wide, 2 rows read per cell (as the motion
 *     detector does);
 *   block_sad: two analysis pictures, 8x8 blocks, plain and with a
 *     gain/offset, with and without block sums.
 *
 * Usage: bench-kernels [milliseconds per run, default 200]
 * For each kernel and instruction set: the mean time per call, best of 5
 * runs of that duration, and the fastest single call (closest to the cost
 * on an idle machine). The same frame is used over and over, so it stays in
 * the last-level cache, as it mostly does right after a decoder or
 * converter wrote it.
 */
#include <gst/prune/kernels.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <random>
#include <vector>

using namespace prune::kernels;

namespace {

using Clock = std::chrono::steady_clock;

struct Timing {
  double mean = -1; /* ns per call: best of 5 runs of about @ms each */
  double min = -1;  /* ns: fastest single call */
};

Timing
measure (const std::function<void ()> &fn, int ms)
{
  /* warm-up (the first call also builds the downscale plan) */
  for (int i = 0; i < 3; i++)
    fn ();
  Timing t{1e30, 1e30};
  for (int run = 0; run < 5; run++) {
    long calls = 0;
    const auto t0 = Clock::now ();
    const auto end = t0 + std::chrono::milliseconds (ms);
    Clock::time_point now = t0;
    do {
      const auto c0 = now;
      fn ();
      now = Clock::now ();
      calls++;
      t.min = std::min (
          t.min, std::chrono::duration<double, std::nano> (now - c0).count ());
    } while (now < end);
    t.mean = std::min (
        t.mean,
        std::chrono::duration<double, std::nano> (now - t0).count () / calls);
  }
  return t;
}

std::vector<uint8_t>
noise (size_t n, unsigned seed)
{
  std::mt19937 rng (seed);
  std::vector<uint8_t> v (n);
  for (uint8_t &b : v)
    b = static_cast<uint8_t> (rng ());
  return v;
}

const Isa kIsas[] = {Isa::Scalar, Isa::Sse2, Isa::Avx2};

/* measure() of @call for every ISA, a blank Timing where unsupported */
std::vector<Timing>
per_isa (const std::function<void (Isa)> &call, int ms)
{
  std::vector<Timing> ns;
  for (Isa isa : kIsas)
    ns.push_back (isa_supported (isa) ? measure ([&] { call (isa); }, ms)
                                      : Timing{});
  return ns;
}

void
print_row (const char *what, const std::vector<Timing> &ts)
{
  std::printf ("%-44s", what);
  for (const Timing &t : ts) {
    if (t.mean < 0)
      std::printf (" %10s %10s", "-", "-");
    else
      std::printf (" %10.0f %10.0f", t.mean, t.min);
  }
  std::printf ("\n");
}

} // namespace

int
main (int argc, char **argv)
{
  const int ms = argc > 1 ? std::max (1, std::atoi (argv[1])) : 200;
  struct Res {
    const char *name;
    int w, h;
  };
  const Res sizes[] = {
      {"720p", 1280, 720}, {"1080p", 1920, 1080}, {"2160p", 3840, 2160}};
  struct Fmt {
    const char *name;
    LumaLayout layout;
  };
  const Fmt formats[] = {{"I420", {1, {1, 0, 0, 0}, 1}},
                         {"YUY2", {2, {1, 0, 0, 0}, 1}},
                         {"RGBx", {4, {1, 2, 1, 0}, 4}}};

  std::printf ("ns per call: mean (best of 5 runs of %d ms) and fastest "
               "call; best ISA here: %s\n",
               ms, to_string (best_isa ()));
  std::printf ("%-44s", "");
  for (Isa isa : kIsas)
    std::printf (" %21s", to_string (isa));
  std::printf ("\n%-44s", "");
  for (size_t i = 0; i < std::size (kIsas); i++)
    std::printf (" %10s %10s", "mean", "min");
  std::printf ("\n");

  for (const Res &r : sizes) {
    const int aw = 320, ah = r.h * 320 / r.w;
    for (const Fmt &f : formats) {
      const int stride = r.w * f.layout.bytes_per_pixel;
      const std::vector<uint8_t> frame =
          noise (static_cast<size_t> (stride) * r.h, 1);
      std::vector<uint8_t> out (static_cast<size_t> (aw) * ah);
      /* 1 read row per cell is what the motion detector uses */
      for (int rpc : {1, 2}) {
        const std::vector<Timing> ns = per_isa (
            [&] (Isa isa) {
              downscale_luma (frame.data (), stride, r.w, r.h, f.layout, aw, ah,
                              rpc, out.data (), aw, isa);
            },
            ms);
        char what[96];
        std::snprintf (what, sizeof what, "downscale %s %dx%d -> %dx%d, %d row",
                       f.name, r.w, r.h, aw, ah, rpc);
        print_row (what, ns);
      }
    }
  }

  /* The analysis picture is 320 wide at every frame size: 320x180 for
   * 16:9. */
  const int aw = 320, ah = 180;
  const std::vector<uint8_t> a = noise (static_cast<size_t> (aw) * ah, 2);
  std::vector<uint8_t> b = a;
  for (size_t i = 0; i < b.size (); i += 7)
    b[i] = static_cast<uint8_t> (b[i] + 3);
  std::vector<uint32_t> sad (aw * ah), sc (aw * ah), sr (aw * ah);
  struct SadCase {
    const char *name;
    int block, gain, offset;
    bool sums;
  };
  const SadCase cases[] = {{"plain", 8, 128, 0, false},
                           {"plain + sums", 8, 128, 0, true},
                           {"gain/offset", 8, 140, -300, false},
                           {"plain", 4, 128, 0, false},
                           {"gain/offset + sums", 4, 140, -300, true},
                           {"plain", 16, 128, 0, false}};
  for (const SadCase &c : cases) {
    const std::vector<Timing> ns = per_isa (
        [&] (Isa isa) {
          block_sad (a.data (), aw, b.data (), aw, aw, ah, c.block, c.gain,
                     c.offset, sad.data (), c.sums ? sc.data () : nullptr,
                     c.sums ? sr.data () : nullptr, isa);
        },
        ms);
    char what[96];
    std::snprintf (what, sizeof what, "block_sad %dx%d block %d %s", aw, ah,
                   c.block, c.name);
    print_row (what, ns);
  }
  return 0;
}

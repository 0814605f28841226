/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * beat-core-eval: runs gst/prune/beat.h on a WAV file (16-bit PCM or
 * 32-bit float, any channel count) and prints one beat time per line
 * (seconds). Options: --lookahead S, --min-bpm B, --max-bpm B,
 * --preferred-bpm B, --no-start-is-beat (a stream joined mid-piece),
 * --block FRAMES (frames per process() call, default
 * 1024), --lose P (each block is lost with probability P: given to
 * process_lost() instead, as the element does with the audio a stream
 * lost; --seed N, default 1, makes the choice), --verbose (time, bpm,
 * confidence, state, predicted per line),
 * --time (print the real-time factor to stderr, by wall-clock time and by
 * the process's CPU time, which a loaded machine disturbs less).
 */
#include <gst/prune/beat.h>

#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

bool
read_wav (const char *path, std::vector<float> &samples, int &rate,
          int &channels)
{
  FILE *f = std::fopen (path, "rb");
  if (!f)
    return false;
  std::vector<unsigned char> d;
  unsigned char buf[65536];
  size_t r;
  while ((r = std::fread (buf, 1, sizeof buf, f)) > 0)
    d.insert (d.end (), buf, buf + r);
  std::fclose (f);
  auto u32 = [&] (size_t o) {
    return (uint32_t)d[o] | (uint32_t)d[o + 1] << 8 | (uint32_t)d[o + 2] << 16 |
           (uint32_t)d[o + 3] << 24;
  };
  auto u16 = [&] (size_t o) {
    return (uint16_t)(d[o] | d[o + 1] << 8);
  };
  if (d.size () < 12 || std::memcmp (d.data (), "RIFF", 4) ||
      std::memcmp (d.data () + 8, "WAVE", 4))
    return false;
  int fmt = 0, bits = 0;
  size_t o = 12;
  while (o + 8 <= d.size ()) {
    const uint32_t len = u32 (o + 4);
    const size_t body = o + 8;
    if (!std::memcmp (d.data () + o, "fmt ", 4)) {
      fmt = u16 (body);
      channels = u16 (body + 2);
      rate = (int)u32 (body + 4);
      bits = u16 (body + 14);
      if (fmt == 0xFFFE && len >= 26)
        fmt = u16 (body + 24);
    } else if (!std::memcmp (d.data () + o, "data", 4)) {
      const size_t n = std::min<size_t> (len, d.size () - body);
      if (fmt == 1 && bits == 16) {
        samples.resize (n / 2);
        for (size_t i = 0; i < samples.size (); i++)
          samples[i] = (int16_t)u16 (body + 2 * i) / 32768.0f;
      } else if (fmt == 3 && bits == 32) {
        samples.resize (n / 4);
        std::memcpy (samples.data (), d.data () + body, samples.size () * 4);
      } else {
        return false;
      }
      return channels > 0;
    }
    o = body + len + (len & 1);
  }
  return false;
}

} // namespace

int
main (int argc, char **argv)
{
  prune::BeatSettings s;
  const char *path = nullptr;
  size_t block = 1024;
  double lose = 0.0;
  uint64_t seed = 1;
  bool verbose = false, timing = false;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    auto next = [&] () {
      if (i + 1 >= argc) {
        std::fprintf (stderr, "%s needs a value\n", a.c_str ());
        std::exit (2);
      }
      return std::atof (argv[++i]);
    };
    if (a == "--lookahead")
      s.lookahead = next ();
    else if (a == "--min-bpm")
      s.min_bpm = next ();
    else if (a == "--max-bpm")
      s.max_bpm = next ();
    else if (a == "--preferred-bpm")
      s.preferred_bpm = next ();
    else if (a == "--no-start-is-beat")
      s.start_is_beat = false;
    else if (a == "--block")
      block = std::max<size_t> (1, (size_t)next ());
    else if (a == "--lose")
      lose = next ();
    else if (a == "--seed")
      seed = (uint64_t)next ();
    else if (a == "--verbose")
      verbose = true;
    else if (a == "--time")
      timing = true;
    else if (!path)
      path = argv[i];
    else {
      std::fprintf (stderr, "unexpected argument %s\n", argv[i]);
      return 2;
    }
  }
  if (!path) {
    std::fprintf (stderr,
                  "usage: beat-core-eval [--lookahead S] [--min-bpm B] "
                  "[--max-bpm B] [--preferred-bpm B] [--no-start-is-beat] "
                  "[--block N] [--lose P [--seed N]] "
                  "[--verbose] [--time] FILE.wav\n");
    return 2;
  }
  std::vector<float> x;
  int rate = 0, channels = 0;
  if (!read_wav (path, x, rate, channels)) {
    std::fprintf (stderr, "%s: not a 16-bit PCM or float WAV file\n", path);
    return 1;
  }
  prune::BeatTracker t;
  t.set_settings (s);
  if (!t.configure (rate, channels)) {
    std::fprintf (stderr, "%s: unsupported format %d Hz %d ch\n", path, rate,
                  channels);
    return 1;
  }
  std::vector<prune::BeatInfo> beats, all;
  beats.reserve (t.max_beats (block));
  const size_t frames = x.size () / channels;
  const auto t0 = std::chrono::steady_clock::now ();
  const std::clock_t c0 = std::clock ();
  /* splitmix64: the blocks lost are the same on every run and machine */
  auto uniform = [state = seed] () mutable {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
  };
  for (size_t i = 0; i < frames; i += block) {
    beats.clear ();
    const size_t n = std::min (block, frames - i);
    if (lose > 0.0 && uniform () < lose)
      t.process_lost (n, beats);
    else
      t.process (x.data () + i * channels, n, beats);
    all.insert (all.end (), beats.begin (), beats.end ());
  }
  const double el =
      std::chrono::duration<double> (std::chrono::steady_clock::now () - t0)
          .count ();
  const double cpu = (double)(std::clock () - c0) / CLOCKS_PER_SEC;
  for (const auto &b : all) {
    if (verbose)
      std::printf ("%.4f %.3f %.3f %s %d\n", b.time, b.bpm, b.confidence,
                   prune::to_string (b.state), b.predicted ? 1 : 0);
    else
      std::printf ("%.4f\n", b.time);
  }
  if (timing) {
    const double audio = (double)frames / rate;
    std::fprintf (stderr,
                  "%.1f s of audio in %.3f s: %.0fx real time (CPU %.3f s: "
                  "%.0fx)\n",
                  audio, el, audio / el, cpu, cpu > 0.0 ? audio / cpu : 0.0);
  }
  return 0;
}

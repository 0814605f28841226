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

#include "beat.h"

#include <gst/fft/gstfftf32.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace prune {

namespace {

constexpr double kFa = BeatTracker::kAnalysisRate;
constexpr int kN = BeatTracker::kFftSize;
constexpr int kHopN = BeatTracker::kHop;
constexpr double kFps = kFa / kHopN;
constexpr double kLoHz = 30.0, kHiHz = 2700.0;
/* bins of the log spectrum computed per frame (k_lo - 1 .. k_hi + 1,
 * rounded up to a multiple of 8) */
constexpr int kLogBins =
    ((int)(kHiHz * kN / kFa) + 1 - (int)(kLoHz * kN / kFa) + 1 + 7) & ~7;
constexpr double kLogGain = 30.0;
constexpr double kSilence = 1e-4;         /* -80 dBFS */
constexpr double kOnsetMeanSeconds = 0.5; /* running mean of the flux */
constexpr double kAcfSeconds = 2.5;       /* tempo memory */
constexpr double kAcfFastSeconds = 1.0;   /* short memory: tempo steps */
constexpr double kFastMargin = 1.5;
/* A tempo step also needs a clear periodicity in the short memory
 * (its winner's confidence): a step between two steady click patterns
 * gives 0.7 or more.
 * Of 24 fast switches logged on 31 pieces at a bound of 0.3, 23 left a
 * right tempo or went to a wrong one, 22 of them below 0.6 (fills and
 * breaks); the one right step (0.38) the long memory also takes. */
constexpr double kFastConf = 0.6;
/* a step's tempo must win so */
constexpr double kFastSwitchSeconds = 0.25;
constexpr int kTempoEvery = 4; /* frames between tempo updates */
constexpr int kMultiples = 4;  /* comb of the tempo score */
/* A new tempo must win so long (with kSwitchMargin); locked, a switch to
 * a metrical relative must also win over kLevelSeconds. 0.35 s held the
 * first tempo (often twice or 2/3 of the beat, taken from the first
 * 1.5 s) a few tenths of a second longer and kept no passage's tempo
 * off: with 0.1 s and the phase taken afresh after a switch before the
 * lock (below), median lock 2.76 -> 2.51 s dev, 3.07 -> 2.79 s
 * held out, F within 0.002 (docs/benchmarks.md). */
constexpr double kSwitchSeconds = 0.1;
constexpr double kDrift = 0.04;
/* The metrical level belongs to the piece more than to a passage: while
 * locked, a switch to a relative of the tempo followed (2, 1/2, 3/2, ...
 * of it, within kRelTol) must also win in the tempo scores averaged over
 * kLevelSeconds (each update's scores over its best, so loud passages
 * weigh no more than quiet ones). A run of eighth notes then no longer
 * doubles the tempo for as long as it lasts. */
constexpr double kLevelSeconds = 20.0;
constexpr double kRelTol = 0.1;
constexpr double kSwitchMargin = 1.1; /* a new tempo must score this much */
constexpr double kMinLagData = 0.5;   /* s of products before a lag counts */
constexpr double kUnbias = 1.0;
/* The comb's mean over multiples supports every metrical level of a
 * steady pulse train alike; weighing it by (beats per second)^kRateExp
 * counts the evidence per unit time, so that a level whose every beat
 * carries an onset beats the level twice as slow unless the slow level's
 * beats are clearly stronger (accents), while a faster level that only
 * fills in weak subdivisions still loses through the prior. At 0.5 more
 * pieces were followed at twice their tempo; below about 0.34 a click
 * track at 200 BPM, which supports 100 BPM as well, goes to 100 by the
 * prior (docs/benchmarks.md). */
constexpr double kRateExp = 0.4;
/* The bar decides between two levels 4:3 apart (the beat and the dotted
 * eighth of 3+3+2 rhythms, whose period often autocorrelates more
 * strongly than the beat's): four periods of the beat make a 4/4 bar,
 * which the music repeats, where four dotted eighths make three beats.
 * A level loses its score in the ratio of its four periods'
 * autocorrelation to that of the level 4/3 slower, when that ratio is
 * below 1/kBarWin. */
constexpr double kBarWin = 1.5;
constexpr double kOwnPeak = 0.3;      /* own lag against the comb mean */
constexpr double kCombSeconds = 12.0; /* phase comb span */
constexpr double kCombDecay = 6.0;    /* seconds, recency of the comb */
constexpr double kFollow = 0.2;       /* of a period: phase followed smoothly */
constexpr double kFollowGain = 0.15;  /* per frame */
constexpr double kJumpWin = 1.15;     /* a far phase must win by this much */
/* The other side of the beat (a jump of half a period, within kHalfBand of
 * a period) must win by kSideWin while locked, once the tempo has been
 * followed for kSettleSeconds (after a switch of tempo the phase carried
 * over from the old grid may sit on either side). In many pieces the
 * off-beat carries more onsets than the beat for a passage or for the
 * whole piece (comping chords, a walking bass, whistles on the "and"):
 * wood_whistles has 954 notes on the half beat against 706 on the beat,
 * and its off-beat comb stands at about twice the beat's. At kJumpWin the
 * tracker went over to the off-beat in such passages and back after them
 * (76 runs of four or more beats on one side or the other on 31 pieces;
 * 44 with kSideWin; 6 scored the same on the 21 held-out pieces, 2.5
 * and 3 lower, and without any bound a tracker that locked on the
 * off-beat never came back). A true shift by half a beat leaves the old side
 * without onsets and still passes. */
constexpr double kHalfBand = 0.15;
constexpr double kSideWin = 4.0;
constexpr double kSettleSeconds = 2.0;
/* Once settled so, any other jump beyond kFollow (a quarter of a beat, a
 * triplet) must win by kFarWin. The swing rule (swing_phase()) may name
 * a phase other than the strongest the beat; once settled, it moves the
 * phase at once only when the phase followed is the strongest one (its
 * reading of that phase), and otherwise its phase must win as any other.
 * In ttsong_iii (held out) the half beat, then the sixteenth before the
 * beat carry more onsets than the beat for passages: with the strongest
 * on the half beat kept off by kSideWin, the swing rule took the
 * sixteenth (its comb 1.2 times the beat's) and held it to the end (F
 * 0.162; 0.874 with kFarWin, and the same with 2 or 3). */
constexpr double kFarWin = 2.5;
/* Start on a beat (BeatSettings::start_is_beat): music mostly starts on
 * a beat (29 of the 31 OpenMSX pieces have their first note on one, 25 of
 * them on the first). The strongest onset within kAnchorWindow of the
 * entrance anchors the phase for kAnchorSeconds:
 * the comb at its phase gets kAnchorWeight times the best value, so that
 * it wins, where the comb supports it there (at least kAnchorSupport of
 * the best value, both above the mean; a stream joined mid-piece, whose
 * first sound may fall anywhere, is not held on a phase without onsets).
 * kSideWin then keeps the side so taken; a tempo switch within those
 * seconds (from a faster relative taken first) keeps the anchor until the
 * new tempo has settled, up to kSettleSeconds longer: in between, no rule
 * would hold the side (no_work_song with reverb switched from 220 to 110
 * BPM at 5.5 s and went over to its louder off-beat at 6 s, F 0.004;
 * 0.981 so). */
constexpr double kAnchorWindow = 0.1;
constexpr double kAnchorSeconds = 6.0;
constexpr double kAnchorWeight = 1.5;
constexpr double kAnchorSupport = 0.25;
/* The entrance: the first sound after configure()/reset(), or, until the
 * first lock and while the sound so far is no music (not peaky(): hiss,
 * room noise), a frame kEntrance times the mean energy of the last second
 * (20 dB): music that comes in after noise. With 2.37 s of white noise at
 * -55 dBFS before each of the 31 pieces, held-out F 0.747 with the first
 * sound, 0.797 with the entrance (0.836 without the noise). Between the
 * clicks of a click track the mean energy is low too, hence not peaky(). */
constexpr double kEntrance = 100.0;
const double kEnergyGain = 1.0 - std::exp (-1.0 / kFps);
/* samples are clipped here: 24 dB over full scale, beyond any real audio
 * (a broken decoder's 1e30 would make the energy infinite) */
constexpr double kMaxSample = 16.0;
constexpr double kLockSeconds = 0.2, kUnlockSeconds = 2.0;
/* Quiet: the music has stopped, but what remains is no digital silence
 * (room tone, hiss, a mixer's noise floor). In the log spectrum such a
 * floor gives almost no flux, and the tempo confidence and the phase
 * contrast are ratios that the 12 s comb keeps for as long as it
 * remembers the music: 20 s of clicks followed by white noise 50 dB
 * down went on with a beat every period, confidence 1, for 13 s. So the
 * onset strength over the last kQuietFast seconds is measured against
 * its level over kQuietSlow seconds (a level that holds still while
 * quiet): below kQuiet of it no beat is reported, and it counts against
 * the lock as a low contrast does. On the 31 rendered pieces the ends
 * (reverb and release tails) no longer get beats: F 0.875 -> 0.887
 * (dev), 0.900 -> 0.903 (held out). Loud noise after the music is no
 * quiet: see kRecentLo. */
constexpr double kQuietFast = 0.5, kQuietSlow = 10.0, kQuiet = 0.05;
/* Loud noise after the music is no quiet, and the tempo confidence and
 * the phase contrast, ratios of memories of 2.5 s and 12 s that the
 * weaker noise onsets hardly fill, kept the lock for about 13 s (the ten
 * dev pieces cut at 30 s, then white noise of the music's RMS: the last
 * beat 12 to 14 s after the end). The first kRecentSeconds of the phase
 * comb show the pulse of the last seconds alone: below kRecentLo (best
 * phase against the mean) it counts against the lock and keeps one from
 * being taken. Noise gives 2.3 to 2.8 over 4 s; music falls below 3.0 in
 * under 1 % of its locked frames but in relax_song (5 %), boogi_marabi
 * (6 %) and harp_harmony (4 %), never for the 2 s that unlock (of the 31
 * pieces, their degraded copies and 49 others, only relax_song scores
 * otherwise: F 0.949 -> 0.953, its ending gets fewer beats). The last beat then
 * comes 1.5 to 6.5 s after the music (test_music_stops_in_loud_noise). */
constexpr double kRecentSeconds = 4.0, kRecentLo = 3.0;
constexpr double kTempoConfHi = 0.3, kTempoConfLo = 0.1;
constexpr double kContrastHi = 4.0, kContrastLo = 2.0;
constexpr double kContrastSharp = 10.0;
/* Onsets that stand out of the flux (music) rather than ripple on it
 * (stationary noise): the RMS of the onset strength over the mean flux,
 * both over ~2 s. White, pink and brown noise stay below 1.1; each of 31
 * rendered pieces passes 1.3 within its first 1.2 s. Such onsets may lock
 * on a weaker periodicity. */
constexpr double kPeakySeconds = 2.0;
constexpr double kPeaky = 1.3;
constexpr double kContrastPeaky = 3.0;
/* The phase contrast averaged over kContrastAvgSeconds (while a tempo is
 * followed; gaps left out). Impulsive sounds without a beat (applause,
 * speech) pass the thresholds above now and then, when claps or
 * syllables fall into line for a few periods, but their average contrast
 * stays near 2.5, where its median is above 4 on each of 31 rendered
 * pieces.
 * The lock needs the average at kContrastAvgLock, or at
 * kContrastAvgPeaky on the weak (peaky) path, and an average below
 * kContrastAvgLock counts against the lock as a low contrast does. */
constexpr double kContrastAvgSeconds = 2.0;
constexpr double kContrastAvgLock = 3.0;
constexpr double kContrastAvgPeaky = 4.0;
/* Swing: of two phases of the comb, the beat is the one followed by the
 * long interval (long-short: a swung or dotted eighth lies 2/3 or 3/4 of
 * the way to the next beat, and is often louder than the beat). The
 * second peak must be at least kSwingPeer of the first (above the mean),
 * at least kSwingApart of a period from it, clearly off the half period,
 * and the mirror position empty (straight sixteenths fill both sides).
 * kSwingPeer is low because a boogie-woogie's pushed eighth stands at 4-5
 * times the mean comb value where its beat stands at 1.5-2; the mirror
 * and kSwingEvery tests, not the peer bound, keep straight patterns out
 * (a twentieth or no bound scored the same on 31 pieces). */
constexpr double kSwingPeer = 0.1;
constexpr double kSwingApart = 0.2;
constexpr double kSwingOffHalf = 0.1;
constexpr double kSwingMirror = 0.5;
/* ... and the beat so chosen must carry an onset (above the mean onset
 * strength) in at least this share of the comb's periods: a beat comes
 * back period after period, a chance cluster of busy onsets does not */
constexpr double kSwingEvery = 0.5;
constexpr double kMinHistory = 1.0;   /* seconds of active audio to lock */
constexpr double kTimeOffset = 0.010; /* onset-time calibration, s */
constexpr int kPending = 64;
constexpr double kWait = 0.05; /* for the onset of a beat in silence */
/* Lost audio (process_lost(): packets lost, a GAP) is no silence: the
 * music went on. The analysis holds still through it (no onset, no tempo,
 * phase or lock update) and until its window is clear of it again, so
 * that the jump back from the zeros is no onset. Beats keep coming,
 * predicted, for the first kLostPredict seconds of a loss; a longer one
 * is left without beats, like a gap. */
constexpr double kLostPredict = 1.0;
constexpr double kConfirm = 0.05;
/* onset detector delay */             /* beats held for the lookahead */
constexpr double kRefineSeconds = 1.5; /* comb decay around held beats */

/* 4 floats (GCC/Clang vector extension: SSE, NEON or scalar code) */
typedef float v4sf __attribute__ ((vector_size (16)));
typedef int32_t v4si __attribute__ ((vector_size (16)));

inline v4sf
load (const float *p)
{
  v4sf v;
  std::memcpy (&v, p, sizeof v);
  return v;
}

inline void
store (float *p, v4sf v)
{
  std::memcpy (p, &v, sizeof v);
}

inline v4sf
splat (float x)
{
  return v4sf{x, x, x, x};
}

/* ln(x) of 4 values x >= 1 (about 1e-4 absolute error): exponent from
 * the bits, mantissa by a polynomial (libm's log1pf dominated the
 * profile) */
inline v4sf
fast_ln4 (v4sf x)
{
  v4si b = (v4si)x;
  const v4sf e = __builtin_convertvector(((b >> 23) & 0xff) - 127, v4sf);
  b = (b & 0x007fffff) | 0x3f800000;
  const v4sf t = (v4sf)b - 1.0f;
  const v4sf l2 =
      t * (1.4425449f +
           t * (-0.7181452f +
                t * (0.4575485f +
                     t * (-0.2779042f + t * (0.1217970f + t * -0.0258411f)))));
  return (e + l2) * 0.69314718f;
}

size_t
next_pow2 (size_t v)
{
  size_t p = 1;
  while (p < v)
    p <<= 1;
  return p;
}

} // namespace

struct BeatTracker::Impl {
  BeatSettings settings; /* in use since the last allocate() */
  BeatSettings next;     /* set_settings(), for the next allocate() */
  int rate = 0, channels = 0;
  bool configured = false;

  /* resampler: box-car over dec input samples, then linear interpolation */
  int dec = 1;
  double acc = 0.0;
  int acc_n = 0;
  uint64_t dec_index = 0; /* decimated samples produced */
  double prev_y = 0.0;
  uint64_t out_index = 0;  /* analysis samples produced */
  double in_per_out = 1.0; /* input samples per analysis sample */

  /* analysis window (ring of kN samples) */
  std::vector<float> ring;
  int ring_pos = 0;
  int since_frame = 0;
  double silent_run = 0.0;     /* seconds of consecutive silent samples */
  double silent_run_max = 0.0; /* longest recent silent run (decays) */
  bool feeding_lost = false;   /* push_lost() at work */
  double lost_run = 0.0;       /* seconds of the current loss */
  int lost_taint = 0; /* analysis samples until frames are clear of it */
  std::vector<float> window, frame;
  std::vector<GstFFTF32Complex> spectrum;
  GstFFTF32 *fft = nullptr;
  int k_lo = 0, k_hi = 0;
  std::vector<float> logmag, prev_logmag;
  double flux_mean = 0.0;
  double flux_mean_gain = 1.0 - std::exp (-1.0 / (kOnsetMeanSeconds * kFps));
  /* peakiness: running means of onset^2, flux and of 1 (for the start) */
  double pk_o2 = 0.0, pk_flux = 0.0, pk_w = 0.0;
  double pk_gain = 1.0 - std::exp (-1.0 / (kPeakySeconds * kFps));
  /* onset strength, short and long means (quiet()) */
  double o_short = 0.0, o_long = 0.0;
  const double quiet_fast_gain = 1.0 - std::exp (-1.0 / (kQuietFast * kFps));
  const double quiet_slow_gain = 1.0 - std::exp (-1.0 / (kQuietSlow * kFps));
  double silent_forget = std::exp (-1.0 / (60.0 * kFps));

  /* onset strength history */
  size_t hist = 0; /* power of two */
  std::vector<float> onset;
  int64_t n = -1; /* newest frame */
  double active_seconds = 0.0;

  /* tempo */
  int l_min = 0, l_max = 0, acf_max = 0;
  int l_prior = 0;            /* lag of the prior's centre */
  std::vector<float> acf;     /* running autocorrelation */
  std::vector<double> acn;    /* unbiased */
  std::vector<double> tscore; /* tempo score per lag */
  int64_t acf_updates = 0;
  double acf_decay = 1.0;
  std::vector<double> prior;
  std::vector<double> rate_w; /* evidence per second: (tempo)^kRateExp */
  double tau = 0.0;           /* frames, 0: none */
  double tempo_conf = 0.0;
  bool tempo_agree = false;
  std::vector<float> acf_fast; /* short memory, for tempo steps */
  std::vector<double> tscore_fast;
  double acf_fast_decay = 1.0;
  double fast_tau = 0.0;
  int fast_count = 0;
  unsigned fast_tick = 0; /* the short memory is scored every other time */
  double cand_tau = 0.0;
  int64_t tau_since = 0; /* frame of the last tempo switch */
  int cand_count = 0;
  int tempo_tick = 0;
  std::vector<double> tscore_level; /* tempo scores over kLevelSeconds */
  double level_decay = 1.0;

  /* phase */
  std::vector<float> comb;
  double b_next = 0.0; /* predicted next beat, frames */
  bool have_phase = false;
  double contrast = 0.0;
  double recent_contrast = -1.0; /* of the last kRecentSeconds; -1: none */
  int jump_count = 0;
  double last_beat = -1e9; /* last beat (emitted or held), frames */

  /* start anchor (settings.start_is_beat) */
  int64_t first_sound = -1; /* frame of the entrance, -1: none yet */
  int64_t anchor = -1;      /* frame of the strongest onset after it */
  float anchor_onset = 0.0f;
  double energy_mean = 0.0; /* of the frames, over ~1 s */
  bool ever_locked = false;

  /* lock */
  LockState state = LockState::Searching;
  int32_t good_frames = 0, bad_frames = 0;
  double contrast_sum = 0.0, contrast_w = 0.0; /* leaky mean of contrast */

  /* lookahead */
  std::vector<uint8_t> gapf; /* per frame: in a gap, or quiet: no beat */
  double last_reported = -1e9;

  /* counters */
  uint64_t beats = 0, nonfinite = 0;

  ~Impl ()
  {
    if (fft)
      gst_fft_f32_free (fft);
  }

  void clamp_settings ();
  void allocate ();
  void clear ();
  void push_frames (const float *x, size_t m, std::vector<BeatInfo> &out);
  void push_lost (size_t m, std::vector<BeatInfo> &out);
  void decimated (std::vector<BeatInfo> &out);
  void analysis_sample (double y, std::vector<BeatInfo> &out);
  void analyse_frame (std::vector<BeatInfo> &out);
  float onset_at (double f) const;
  /* history, newest first: at(i)[l] is the onset of frame i - l, for
   * l < hist (every value is stored twice) */
  const float *at (int64_t i) const
  {
    return onset.data () + (hist - 1 - (size_t)(i & (int64_t)(hist - 1)));
  }
  struct Estimate {
    bool valid = false;  /* enough data to score */
    int best_l = 0;      /* winning lag, 0: none */
    int l_hi = 0;        /* longest lag scored */
    double best = 0.0;   /* its score */
    double period = 0.0; /* refined, frames */
    double conf = 0.0;
  };
  Estimate estimate (const std::vector<float> &ac, double decay,
                     std::vector<double> &ts);
  double score_near (const std::vector<double> &ts, int l_hi,
                     double period) const;
  bool fast_switch ();
  void update_tempo ();
  void update_phase ();
  void update_lock (bool silent);
  void emit (std::vector<BeatInfo> &out);
  void emit_held (double due, bool draining, std::vector<BeatInfo> &out);
  void report (double b, bool predicted, std::vector<BeatInfo> &out);
  double refine (double b) const;
  int swing_phase (int best_p, int np, double mean, double level) const;
  double periods_with_onset (int p, double level) const;
  /* periods in the phase comb */
  int comb_periods () const
  {
    return std::max (2, (int)std::ceil (kCombSeconds * kFps / tau));
  }
  /* @a is 2, 1/2, 3/2, 2/3, 3, 1/3, 4/3 or 3/4 times @b, within @tol */
  static bool metrical_relative (double a, double b, double tol)
  {
    static constexpr double kRel[] = {2.0, 0.5,       1.5,       2.0 / 3.0,
                                      3.0, 1.0 / 3.0, 4.0 / 3.0, 0.75};
    for (double r : kRel)
      if (std::fabs (a / (b * r) - 1.0) <= tol)
        return true;
    return false;
  }
  bool peaky () const
  {
    return pk_flux > 1e-12 && std::sqrt (pk_o2 * pk_w) >= kPeaky * pk_flux;
  }
  bool in_gap () const { return silent_run > silent_run_max + 0.03; }
  /* the onsets have faded far below the music's (kQuiet) */
  bool quiet () const { return o_long > 1e-12 && o_short < kQuiet * o_long; }
  /* within kSettleSeconds of the last tempo switch */
  bool settling () const { return n - tau_since < kSettleSeconds * kFps; }
  double confidence () const
  {
    const double pc = std::clamp ((contrast - 1.0) / 2.0, 0.0, 1.0);
    return std::clamp (0.5 * std::min (1.0, tempo_conf * 2.0) + 0.5 * pc, 0.0,
                       1.0);
  }
  /* time in seconds of frame position @f (onset time) */
  static double frame_time (double f)
  {
    return ((f + 1.0) * kHopN - kN / 2.0) / kFa + kTimeOffset;
  }
  double audio_end () const { return (n + 1) * (double)kHopN / kFa; }
};

void
BeatTracker::Impl::clamp_settings ()
{
  BeatSettings &s = next;
  s.min_bpm =
      std::clamp (std::isfinite (s.min_bpm) ? s.min_bpm : 40.0, 20.0, 390.0);
  s.max_bpm = std::clamp (std::isfinite (s.max_bpm) ? s.max_bpm : 240.0,
                          s.min_bpm * BeatTracker::kMinTempoSpan, 400.0);
  s.preferred_bpm =
      std::clamp (std::isfinite (s.preferred_bpm) ? s.preferred_bpm : 120.0,
                  s.min_bpm, s.max_bpm);
  s.prior_octaves = std::clamp (
      std::isfinite (s.prior_octaves) ? s.prior_octaves : 1.0, 0.05, 10.0);
  s.lookahead =
      std::clamp (std::isfinite (s.lookahead) ? s.lookahead : 0.0, 0.0, 10.0);
}

void
BeatTracker::Impl::allocate ()
{
  settings = next;
  dec = std::max (1, (int)std::floor (rate / kFa));
  in_per_out = rate / kFa;
  ring.assign (2 * kN, 0.0f); /* every sample twice: windows are contiguous */
  window.resize (kN);
  for (int i = 0; i < kN; i++)
    window[i] = (float)(0.5 - 0.5 * std::cos (2.0 * M_PI * (i + 0.5) / kN));
  frame.assign (kN, 0.0f);
  k_lo = (int)std::ceil (kLoHz * kN / kFa);
  k_hi = (int)std::floor (kHiHz * kN / kFa);
  g_assert (k_hi + 1 <= k_lo - 1 + kLogBins);
  spectrum.assign (std::max (kN / 2 + 1, k_lo - 1 + kLogBins),
                   GstFFTF32Complex{0.0f, 0.0f});
  if (!fft)
    fft = gst_fft_f32_new (kN, FALSE);
  logmag.assign (k_lo - 1 + kLogBins, 0.0f);
  prev_logmag.assign (k_lo - 1 + kLogBins, 0.0f);

  l_min = std::max (2, (int)std::floor (60.0 / settings.max_bpm * kFps));
  l_max = (int)std::ceil (60.0 / settings.min_bpm * kFps);
  l_prior =
      std::min (l_max, (int)std::ceil (60.0 * kFps / settings.preferred_bpm));
  acf_max = kMultiples * l_max + kMultiples;
  acf.assign ((acf_max + 4) & ~3, 0.0f);
  acf_fast.assign (acf.size (), 0.0f);
  tscore_fast.assign (l_max + 1, 0.0);
  acf_fast_decay = std::exp (-1.0 / (kAcfFastSeconds * kFps));
  acn.assign (acf_max + 1, 0.0);
  tscore.assign (l_max + 1, 0.0);
  acf_decay = std::exp (-1.0 / (kAcfSeconds * kFps));
  prior.assign (l_max + 1, 0.0);
  rate_w.assign (l_max + 1, 0.0);
  tscore_level.assign (l_max + 1, 0.0);
  level_decay = std::exp (-kTempoEvery / (kLevelSeconds * kFps));
  for (int l = l_min; l <= l_max; l++) {
    const double bpm = 60.0 * kFps / l;
    const double o =
        std::log2 (bpm / settings.preferred_bpm) / settings.prior_octaves;
    prior[l] = std::exp (-0.5 * o * o);
    rate_w[l] = std::pow (bpm / settings.preferred_bpm, kRateExp);
  }
  comb.assign ((l_max + 8) & ~3, 0.0f);

  const size_t need =
      (size_t)acf_max + 2 +
      (size_t)((kCombSeconds + 2.0 * settings.lookahead + kRefineSeconds * 2) *
                   kFps +
               l_max) +
      16;
  hist = next_pow2 (need);
  onset.assign (2 * hist + 8, 0.0f); /* every value twice: contiguous */
  gapf.assign (hist, 0);
  clear ();
}

void
BeatTracker::Impl::clear ()
{
  acc = 0.0;
  acc_n = 0;
  dec_index = 0;
  prev_y = 0.0;
  out_index = 0;
  std::fill (ring.begin (), ring.end (), 0.0f);
  ring_pos = 0;
  since_frame = 0;
  silent_run = 1e9; /* the stream starts "after" silence */
  silent_run_max = 0.0;
  feeding_lost = false;
  lost_run = 0.0;
  lost_taint = 0;
  std::fill (logmag.begin (), logmag.end (), 0.0f);
  std::fill (prev_logmag.begin (), prev_logmag.end (), 0.0f);
  flux_mean = 0.0;
  pk_o2 = pk_flux = pk_w = 0.0;
  o_short = o_long = 0.0;
  std::fill (onset.begin (), onset.end (), 0.0f);
  std::fill (gapf.begin (), gapf.end (), 0);
  n = -1;
  active_seconds = 0.0;
  std::fill (acf.begin (), acf.end (), 0.0f);
  std::fill (acf_fast.begin (), acf_fast.end (), 0.0f);
  fast_tau = 0.0;
  fast_count = 0;
  fast_tick = 0;
  acf_updates = 0;
  tau = 0.0;
  tempo_conf = 0.0;
  tempo_agree = false;
  cand_tau = 0.0;
  tau_since = 0;
  cand_count = 0;
  tempo_tick = 0;
  std::fill (tscore_level.begin (), tscore_level.end (), 0.0);
  b_next = 0.0;
  have_phase = false;
  contrast = 0.0;
  recent_contrast = -1.0;
  jump_count = 0;
  last_beat = -1e9;
  first_sound = anchor = -1;
  anchor_onset = 0.0f;
  energy_mean = 0.0;
  ever_locked = false;
  state = LockState::Searching;
  good_frames = bad_frames = 0;
  contrast_sum = contrast_w = 0.0;
  last_reported = -1e9;
  beats = 0;
  nonfinite = 0;
}

inline void
BeatTracker::Impl::push_frames (const float *x, size_t m,
                                std::vector<BeatInfo> &out)
{
  /* box-car over every channel at once: the mix to mono and the
   * decimation are one sum of the dec frames (dec * channels values,
   * contiguous) of each group; NaN and infinities (exponent all ones)
   * count and add 0; finite values beyond kMaxSample are clipped */
  const v4si expo = {0x7f800000, 0x7f800000, 0x7f800000, 0x7f800000};
  const v4sf hi = splat ((float)kMaxSample), lo = splat ((float)-kMaxSample);
  v4si bad4 = {0, 0, 0, 0};
  size_t i = 0;
  while (i < m) {
    const size_t take = std::min<size_t> (m - i, (size_t)(dec - acc_n));
    const float *v = x + i * channels;
    const size_t nv = take * channels;
    size_t k = 0;
    v4sf s4 = splat (0.0f);
    for (; k + 4 <= nv; k += 4) {
      const v4si b = (v4si)load (v + k);
      const v4si nf = (b & expo) == expo; /* -1 where not finite */
      bad4 -= nf;
      const v4sf f = (v4sf)(b & ~nf);
      s4 += f > hi ? hi : f < lo ? lo : f;
    }
    float sum = (s4[0] + s4[1]) + (s4[2] + s4[3]);
    for (; k < nv; k++) {
      const bool nf = !std::isfinite (v[k]);
      bad4[0] += nf;
      sum += nf ? 0.0f : std::clamp (v[k], lo[0], hi[0]);
    }
    acc += sum;
    acc_n += (int)take;
    i += take;
    if (acc_n == dec)
      decimated (out);
  }
  nonfinite += (uint64_t)bad4[0] + bad4[1] + bad4[2] + bad4[3];
}

void
BeatTracker::Impl::push_lost (size_t m, std::vector<BeatInfo> &out)
{
  /* push_frames() with every sum 0, marked lost */
  feeding_lost = true;
  while (m > 0) {
    const size_t take = std::min<size_t> (m, (size_t)(dec - acc_n));
    acc_n += (int)take;
    m -= take;
    if (acc_n == dec)
      decimated (out);
  }
  feeding_lost = false;
}

void
BeatTracker::Impl::decimated (std::vector<BeatInfo> &out)
{
  const double y = acc / ((double)dec * channels);
  acc = 0.0;
  acc_n = 0;
  /* decimated sample j sits at input position j*dec + (dec-1)/2 */
  const double pos_j = dec_index * (double)dec + (dec - 1) * 0.5;
  if (dec_index == 0)
    prev_y = y;
  const double pos_p = pos_j - dec;
  for (;;) {
    const double p = out_index * in_per_out;
    if (p >= pos_j)
      break;
    const double fr = dec_index == 0 ? 1.0 : (p - pos_p) / dec;
    analysis_sample (prev_y + (y - prev_y) * fr, out);
    out_index++;
  }
  prev_y = y;
  dec_index++;
}

inline void
BeatTracker::Impl::analysis_sample (double y, std::vector<BeatInfo> &out)
{
  ring[ring_pos] = ring[ring_pos + kN] = (float)y;
  ring_pos = (ring_pos + 1) & (kN - 1);
  if (feeding_lost) {
    /* neither silence nor sound; a frame sees lost samples in its window
     * or in its flux reference (the frame before) */
    lost_run += 1.0 / kFa;
    lost_taint = kN + kHopN;
  } else {
    if (lost_taint > 0) {
      lost_run = 0.0;
      lost_taint--;
    }
    if (std::fabs (y) < kSilence) {
      silent_run += 1.0 / kFa;
    } else {
      /* a silence between onsets lasts less than a beat: a longer one
       * (a pause, which was a gap) must not make the next pauses,
       * shorter, look like the silence between clicks */
      const double beat = tau > 0.0 ? tau / kFps : 60.0 / settings.min_bpm;
      if (silent_run > 0.0 && silent_run < 1e8)
        silent_run_max = std::max (silent_run_max, std::min (silent_run, beat));
      silent_run = 0.0;
    }
  }
  if (++since_frame == kHopN) {
    since_frame = 0;
    analyse_frame (out);
  }
}

float
BeatTracker::Impl::onset_at (double f) const
{
  if (f < 0.0 || f > (double)n || f < (double)n - (double)hist + 2)
    return 0.0f;
  const int64_t i = (int64_t)std::floor (f);
  const double fr = f - i;
  const float a = at (i)[0];
  const float b = i + 1 <= n ? at (i + 1)[0] : 0.0f;
  return (float)(a + (b - a) * fr);
}

void
BeatTracker::Impl::analyse_frame (std::vector<BeatInfo> &out)
{
  n++;
  /* window the last kN samples (oldest first) */
  double energy = 0.0;
  const float *src = ring.data () + ring_pos;
  v4sf e4 = splat (0.0f);
  for (int i = 0; i < kN; i += 4) {
    const v4sf x = load (src + i);
    e4 += x * x;
    store (frame.data () + i, x * load (window.data () + i));
  }
  energy = (double)e4[0] + e4[1] + e4[2] + e4[3];
  const bool silent = std::sqrt (energy / kN) < kSilence;
  gst_fft_f32_fft (fft, frame.data (), spectrum.data ());
  std::swap (logmag, prev_logmag);
  const float scale = (float)(2.0 / kN * 2.0); /* full-scale sine ~ 1 */
  {
    /* a fixed count of bins from k_lo - 1, a multiple of 8 */
    const GstFFTF32Complex *sp = spectrum.data () + k_lo - 1;
    float *lm = logmag.data () + k_lo - 1;
    const float g = (float)kLogGain * scale;
    for (int k = 0; k < kLogBins; k += 4) {
      float m[4];
      for (int j = 0; j < 4; j++) {
        const float re = sp[k + j].r, im = sp[k + j].i;
        m[j] = re * re + im * im;
      }
      v4sf mag;
#if defined(__SSE__)
      mag = __builtin_ia32_sqrtps (load (m));
#else
      for (int j = 0; j < 4; j++)
        mag[j] = std::sqrt (m[j]);
#endif
      store (lm + k, fast_ln4 (1.0f + g * mag));
    }
  }
  /* mean positive flux over the bins, each bin weighing alike: the many
   * bins of chords and hi-hats count more than the few bass bins (bass,
   * middle and treble bands weighed alike scored lower on every test set:
   * docs/benchmarks.md) */
  float flux_sum = 0.0f;
  for (int k = k_lo; k <= k_hi; k++) {
    const float ref =
        std::max ({prev_logmag[k - 1], prev_logmag[k], prev_logmag[k + 1]});
    const float d = logmag[k] - ref;
    flux_sum += d > 0.0f ? d : 0.0f;
  }
  const double flux = flux_sum / (k_hi - k_lo + 1);
  /* lost audio in the window: no onset, and the mean flux waits */
  const bool lost = lost_taint > 0;
  const double a = flux_mean_gain;
  const double o = lost ? 0.0 : std::max (0.0, flux - flux_mean);
  if (!lost)
    flux_mean += a * (flux - flux_mean);
  {
    const size_t w = hist - 1 - (size_t)(n & (int64_t)(hist - 1));
    onset[w] = onset[w + hist] = (float)o;
  }
  if (lost) {
    /* nothing learned: the beats keep coming from the grid (a gap for
     * the lookahead's held beats after kLostPredict) */
    gapf[(size_t)(n & (int64_t)(hist - 1))] = lost_run > kLostPredict;
    emit (out);
    return;
  }
  /* the entrance is looked for until the first lock only */
  if (!ever_locked) {
    if (!silent &&
        (first_sound < 0 || (energy > kEntrance * energy_mean && !peaky ()))) {
      first_sound = n;
      anchor_onset = 0.0f;
    }
    energy_mean += kEnergyGain * (energy - energy_mean);
    ever_locked = state == LockState::Locked;
  }
  if (first_sound >= 0 && n - first_sound < kAnchorWindow * kFps &&
      o > anchor_onset) {
    anchor_onset = (float)o;
    anchor = n;
  }
  /* the longest silent run between onsets is forgotten over ~60 s */
  silent_run_max *= silent_forget;

  /* a gap: silence longer than any silent stretch between recent onsets
   * (a click track is silent between its clicks) */
  const bool gap = silent && in_gap ();
  gapf[(size_t)(n & (int64_t)(hist - 1))] = gap || quiet ();
  if (!gap) {
    pk_o2 += pk_gain * (o * o - pk_o2);
    pk_flux += pk_gain * (flux - pk_flux);
    pk_w += pk_gain * (1.0 - pk_w);
    o_short += quiet_fast_gain * (o - o_short);
    if (!quiet ())
      o_long += quiet_slow_gain * (o - o_long);
    active_seconds += 1.0 / kFps;
    /* autocorrelation with exponential forgetting */
    /* frames before the first are zeros in the history: one loop over
     * every lag, in blocks of 8 (vectorizes) */
    const float *cur = at (n);
    const v4sf d = splat ((float)acf_decay), of = splat ((float)o);
    const v4sf df = splat ((float)acf_fast_decay);
    float *ac = acf.data (), *af = acf_fast.data ();
    const int len = (int)acf.size ();
    for (int l = 0; l < len; l += 4) {
      const v4sf p = of * load (cur + l);
      store (ac + l, load (ac + l) * d + p);
      store (af + l, load (af + l) * df + p);
    }
    acf_updates++;
    if (++tempo_tick >= kTempoEvery) {
      tempo_tick = 0;
      update_tempo ();
    }
  }
  update_phase ();
  update_lock (gap);
  emit (out);
}

BeatTracker::Impl::Estimate
BeatTracker::Impl::estimate (const std::vector<float> &ac, double decay,
                             std::vector<double> &ts)
{
  Estimate est;
  /* Unbias the running autocorrelation: lag l has summed
   * 1 - decay^(updates - l) of the weight of a full memory, so early on
   * long lags (slow tempi) would be underestimated. Lags with less than
   * kMinLagData of products are not used yet. */
  const int64_t jmax64 =
      std::min<int64_t> (acf_max, acf_updates - (int64_t)(kMinLagData * kFps));
  if (jmax64 < 2 * l_min + 1)
    return est;
  const int jmax = (int)jmax64;
  {
    /* decay^(updates - l), from l = jmax down by one factor per lag;
     * once below 1e-7 at every lag (after about 16 memories) there is
     * nothing left to unbias */
    double dp = std::pow (decay, (double)(acf_updates - jmax));
    if (dp < 1e-7) {
      for (int l = jmax; l >= 0; l--)
        acn[l] = ac[l];
    } else {
      for (int l = jmax; l >= 0; l--, dp *= decay)
        acn[l] = ac[l] / (1.0 - kUnbias * dp);
    }
  }
  double base = 0.0;
  for (int l = l_min; l <= jmax; l++)
    base += acn[l];
  base /= (jmax - l_min + 1);
  const double zero = acn[0] - base;
  if (zero <= 1e-12)
    return est;
  double best = 0.0;
  int best_l = 0;
  const int l_hi = std::min (l_max, (jmax - 1) / 2);
  /* no tempo before the centre of the prior can be scored: the faster
   * tempi, scorable first, would win the first second by default (a
   * tempo chosen is not left before another wins clearly) */
  if (l_hi < l_prior)
    return est;
  /* the autocorrelation's highest value above the baseline within @h
   * lags of @c */
  auto peak_near = [&] (int c, int h) {
    double v = 0.0;
    for (int j = c - h; j <= c + h; j++)
      v = std::max (v, acn[j] - base);
    return v;
  };
  std::fill (ts.begin (), ts.end (), 0.0);
  for (int l = l_min; l <= l_hi; l++) {
    double s = 0.0;
    int cnt = 0;
    for (int m = 1; m <= kMultiples; m++) {
      const int h = m / 2;
      if (m * l + h > jmax)
        break;
      s += peak_near (m * l, h);
      cnt++;
    }
    s /= cnt;
    /* the beat itself must carry a pulse: a level whose own lag is weak
     * against its multiples (a subdivision between clicks) does not get
     * the credit of the slower level's peaks */
    s *= std::min (1.0, peak_near (l, 1) / (kOwnPeak * s + 1e-30));
    ts[l] = s * prior[l] * rate_w[l];
  }
  for (int l = l_min; l <= l_hi; l++) {
    /* four periods of this level against four of the level 4/3 slower */
    const int bar43 = (int)std::lround (16.0 * l / 3.0);
    if (ts[l] > 0.0 && bar43 + 3 <= jmax) {
      const double slower_bar = peak_near (bar43, 3);
      if (slower_bar > 0.0)
        ts[l] *= std::min (1.0, kBarWin * peak_near (4 * l, 2) / slower_bar);
    }
    if (ts[l] > best) {
      best = ts[l];
      best_l = l;
    }
  }
  if (best_l == 0) {
    est.valid = true; /* nothing periodic: confidence 0 */
    return est;
  }
  /* refine from the peak at the highest multiple in reach */
  int m = kMultiples;
  while (m > 1 && m * best_l + m >= jmax)
    m--;
  int pk = m * best_l;
  for (int j = m * best_l - m; j <= m * best_l + m; j++)
    if (j > 0 && j < jmax && acn[j] > acn[pk])
      pk = j;
  double frac = pk;
  if (pk > 0 && pk < jmax) {
    const double y0 = acn[pk - 1], y1 = acn[pk], y2 = acn[pk + 1];
    const double den = y0 - 2.0 * y1 + y2;
    if (den < 0.0)
      frac = pk + std::clamp (0.5 * (y0 - y2) / den, -0.5, 0.5);
  }
  double c = frac / m;
  if (std::fabs (c / best_l - 1.0) > 0.1)
    c = best_l;
  const double peak1 = peak_near (best_l, 1);
  est.valid = true;
  est.best_l = best_l;
  est.l_hi = l_hi;
  est.best = best;
  est.period = c;
  est.conf = std::clamp (peak1 / zero, 0.0, 1.0);
  return est;
}

double
BeatTracker::Impl::score_near (const std::vector<double> &ts, int l_hi,
                               double period) const
{
  double cur = 0.0;
  for (int l = std::max (l_min, (int)std::floor (period));
       l <= std::min (l_hi, (int)std::ceil (period)); l++)
    cur = std::max (cur, ts[l]);
  return cur;
}

void
BeatTracker::Impl::update_tempo ()
{
  const Estimate e = estimate (acf, acf_decay, tscore);
  if (!e.valid)
    return;
  if (e.best_l == 0) {
    tempo_conf = 0.0;
    return;
  }
  tempo_conf = e.conf;
  const double c = e.period, best = e.best;
  const int l_hi = e.l_hi;
  for (int l = l_min; l <= l_max; l++)
    tscore_level[l] +=
        (1.0 - level_decay) * (tscore[l] / best - tscore_level[l]);
  if (tau > 0.0 && state == LockState::Locked && (++fast_tick & 1) == 0 &&
      fast_switch ())
    return;

  /* the winner must agree with the tempo followed for the lock (in noise
   * the winner jumps about) */
  tempo_agree = false;
  if (tau <= 0.0) {
    tau = c;
    tau_since = n;
    cand_count = 0;
    return;
  }
  if (std::fabs (c / tau - 1.0) <= kDrift) {
    tau += 0.5 * (c - tau);
    cand_count = 0;
    tempo_agree = true;
    return;
  }
  /* another tempo must clearly beat the current one (its best score
   * near tau) for kSwitchSeconds running */
  const double cur = score_near (tscore, l_hi, tau);
  if (best < kSwitchMargin * cur) {
    cand_count = 0;
    return;
  }
  if (cand_count > 0 && std::fabs (c / cand_tau - 1.0) <= kDrift) {
    /* saturated: a passage's level may win for as long as it lasts */
    cand_count = std::min (cand_count + 1, INT32_MAX - 1);
    cand_tau = c;
  } else {
    cand_tau = c;
    cand_count = 1;
  }
  if (cand_count * kTempoEvery >= kSwitchSeconds * kFps) {
    if (state == LockState::Locked &&
        metrical_relative (cand_tau, tau, kRelTol) &&
        score_near (tscore_level, l_max, cand_tau) <
            score_near (tscore_level, l_max, tau))
      return; /* a passage's level, not the piece's: keep counting */
    tau = cand_tau;
    tau_since = n;
    cand_count = 0;
    /* before the lock the phase carried over from the old grid stands
     * for nothing: the new tempo's best phase is taken as a first one (a
     * beat sooner than a jump). Locked, the phase followed is kept and a
     * jump must win: Planet Blupi's music006 went over to its louder
     * off-beat after a passage at twice the tempo without it. */
    if (state != LockState::Locked)
      have_phase = false;
  }
}

bool
BeatTracker::Impl::fast_switch ()
{
  /* A tempo step: the short-memory autocorrelation has a clear winner far
   * from the tempo followed, which it rates well above that tempo, for
   * kFastSwitchSeconds running. The long memory is then replaced by the
   * short one, so that it does not pull back. */
  const Estimate f = estimate (acf_fast, acf_fast_decay, tscore_fast);
  /* metrical relatives of the tempo followed (half, double, 2/3, ...)
   * are left to the long memory: in music they come and go with the
   * rhythm of a passage */
  const bool relative = f.valid && f.best_l > 0 &&
                        (std::fabs (f.period / tau - 1.0) <= kDrift ||
                         metrical_relative (f.period, tau, kDrift));
  if (!f.valid || f.best_l == 0 || f.conf < kFastConf || relative ||
      f.best < kFastMargin * score_near (tscore_fast, f.l_hi, tau)) {
    fast_count = 0;
    return false;
  }
  if (fast_count > 0 && std::fabs (f.period / fast_tau - 1.0) <= kDrift)
    fast_count++;
  else
    fast_count = 1;
  fast_tau = f.period;
  if (fast_count * 2 * kTempoEvery < kFastSwitchSeconds * kFps)
    return false;
  tau = fast_tau;
  tau_since = n;
  tempo_conf = f.conf;
  std::copy (acf_fast.begin (), acf_fast.end (), acf.begin ());
  fast_count = 0;
  cand_count = 0;
  return true;
}

void
BeatTracker::Impl::update_phase ()
{
  if (tau <= 0.0)
    return;
  const int np = std::max (1, (int)std::floor (tau));
  const int K = comb_periods ();
  const double wk = std::exp (-tau / kFps / kCombDecay);
  std::fill (comb.begin (), comb.begin () + ((np + 3) & ~3), 0.0f);
  const int64_t oldest = std::max<int64_t> (0, n - (int64_t)hist + 2);
  double w = 1.0, wsum = 0.0;
  const int k_recent =
      std::max (2, (int)std::ceil (kRecentSeconds * kFps / tau));
  recent_contrast = -1.0;
  for (int k = 0; k < K; k++, w *= wk) {
    if (k == k_recent) {
      /* the comb summed so far: the last k_recent periods */
      double rs = 0.0, rb = 0.0;
      for (int q = 0; q < np; q++) {
        rs += comb[q];
        rb = std::max (rb, (double)comb[q]);
      }
      recent_contrast = rs > 1e-12 ? rb * np / rs : 0.0;
    }
    /* positions n - p - k tau, p = 0..np-1: a fixed fraction */
    const double pos0 = (double)n - k * tau;
    const int64_t i0 = (int64_t)std::floor (pos0);
    const float fr = (float)(pos0 - i0), wf = (float)w;
    if (i0 < oldest)
      break;
    wsum += w;
    /* p = 0 may interpolate towards the frame after n (not there yet) */
    int p = 0;
    if (i0 >= n) {
      comb[0] += wf * at (n)[0] * (1.0f - fr);
      p = 1;
    }
    const int pe = (int)std::min<int64_t> (np, i0 - oldest + 1);
    /* c[p] = onset of frame i0 - p, c[p - 1] of i0 - p + 1 */
    const float *c = at (i0);
    float *cb = comb.data ();
    if (p == 0 && pe == np) {
      const v4sf w4 = splat (wf), f4 = splat (fr);
      const float *c1 = at (i0 + 1);
      for (; p < pe; p += 4) {
        const v4sf a = load (c + p), b = load (c1 + p);
        store (cb + p, load (cb + p) + w4 * (a + (b - a) * f4));
      }
    } else {
      for (; p < pe; p++)
        cb[p] += wf * (c[p] + (c[p - 1] - c[p]) * fr);
    }
  }
  double sum = 0.0, best = -1.0;
  int best_p = 0;
  for (int p = 0; p < np; p++) {
    sum += comb[p];
    if (comb[p] > best) {
      best = comb[p];
      best_p = p;
    }
  }
  const double mean = sum / np;
  if (mean <= 1e-9) {
    contrast = 0.0;
    return; /* nothing to go by: keep the phase */
  }
  contrast = best / mean;
  if (settings.start_is_beat && anchor >= 0 &&
      n - first_sound >= kAnchorWindow * kFps &&
      (n - anchor < kAnchorSeconds * kFps ||
       (settling () &&
        n - anchor < (kAnchorSeconds + kSettleSeconds) * kFps))) {
    /* the anchor frame lies at comb phase (n - anchor) mod tau */
    const double pa = std::fmod ((double)(n - anchor), tau);
    const int a0 = (int)pa % np, a1 = (a0 + 1) % np;
    const float fr = (float)(pa - std::floor (pa));
    if (std::max (comb[a0], comb[a1]) - mean >=
        kAnchorSupport * (best - mean)) {
      const float wa = (float)(kAnchorWeight * best);
      comb[a0] += wa * (1.0f - fr);
      comb[a1] += wa * fr;
      for (int p : {a0, a1})
        if (comb[p] > best) {
          best = comb[p];
          best_p = p;
        }
    }
  }
  /* the comb's mean over the weights summed: the mean onset strength */
  const int beat_p = swing_phase (best_p, np, mean, mean / wsum);
  double pf = beat_p;
  {
    const double y0 = comb[(beat_p + np - 1) % np], y1 = comb[beat_p],
                 y2 = comb[(beat_p + 1) % np];
    const double den = y0 - 2.0 * y1 + y2;
    if (den < 0.0)
      pf = beat_p + std::clamp (0.5 * (y0 - y2) / den, -0.5, 0.5);
  }
  double cand = (double)n - pf + tau;
  if (!have_phase) {
    b_next = cand;
    have_phase = true;
    jump_count = 0;
    return;
  }
  double e = std::remainder (cand - b_next, tau);
  if (std::fabs (e) <= kFollow * tau) {
    b_next += kFollowGain * e;
    jump_count = 0;
    return;
  }
  /* the comb value at the current prediction */
  double ph = std::fmod ((double)n + tau - b_next, tau);
  if (ph < 0.0)
    ph += tau;
  const int pi = std::clamp ((int)std::lround (ph), 0, np - 1);
  const bool settled = state == LockState::Locked && !settling ();
  const double win = !settled ? kJumpWin
                     : std::fabs (std::fabs (e) / tau - 0.5) < kHalfBand
                         ? kSideWin
                         : kFarWin;
  bool go;
  if (beat_p != best_p) {
    /* a swing decision is no contest with the strongest phase; once
     * settled, it must win against the phase followed unless that is
     * the strongest one */
    const bool reading = std::fabs (std::remainder ((double)(pi - best_p),
                                                    tau)) <= kFollow * tau;
    go = !settled || reading || comb[beat_p] > win * comb[pi];
  } else {
    go = best > win * comb[pi];
  }
  if (go) {
    if (++jump_count >= tau) {
      b_next += e;
      jump_count = 0;
    }
  } else {
    jump_count = 0;
  }
}

int
BeatTracker::Impl::swing_phase (int best_p, int np, double mean,
                                double level) const
{
  /* comb[p] sums the onsets p frames before the newest one (and whole
   * periods before that): phase p lies at time n - p */
  int p2 = -1;
  double v2 = -1.0;
  for (int p = 0; p < np; p++) {
    const int d = std::min ((p - best_p + np) % np, (best_p - p + np) % np);
    if (d < kSwingApart * np)
      continue;
    const double v = comb[p];
    if (v >= comb[(p + np - 1) % np] && v >= comb[(p + 1) % np] && v > v2) {
      v2 = v;
      p2 = p;
    }
  }
  if (p2 < 0 || v2 - mean < kSwingPeer * (comb[best_p] - mean))
    return best_p;
  /* time from the strongest phase to the second, in periods */
  const int ahead = (best_p - p2 + np) % np;
  const double d = (double)ahead / np;
  if (d > 0.5 - kSwingOffHalf)
    return best_p; /* a long interval follows the strongest: the beat */
  /* the same interval before the strongest phase */
  const int mirror = (best_p + ahead) % np;
  double mv = 0.0;
  for (int j = -1; j <= 1; j++)
    mv = std::max (mv, (double)comb[(mirror + j + np) % np]);
  if (mv - mean >= kSwingMirror * (v2 - mean))
    return best_p;
  return periods_with_onset (p2, level) >= kSwingEvery ? p2 : best_p;
}

double
BeatTracker::Impl::periods_with_onset (int p, double level) const
{
  /* share of the comb's periods with an onset above @level at phase @p
   * (within a frame) */
  const int K = comb_periods ();
  const double oldest = (double)n - (double)hist + 3.0;
  int seen = 0, hits = 0;
  for (int k = 0; k < K; k++) {
    const double f = (double)n - p - k * tau;
    if (f - 1.0 < std::max (0.0, oldest))
      break;
    const float v =
        std::max ({onset_at (f - 1.0), onset_at (f), onset_at (f + 1.0)});
    seen++;
    hits += v > level;
  }
  return seen > 0 ? (double)hits / seen : 0.0;
}

void
BeatTracker::Impl::update_lock (bool gap)
{
  if (gap)
    return; /* silence neither locks nor unlocks */
  if (tau > 0.0 && have_phase) {
    constexpr double g = 1.0 / (kContrastAvgSeconds * kFps);
    contrast_sum += g * (contrast - contrast_sum);
    contrast_w += g * (1.0 - contrast_w);
  }
  const double avg = contrast_w > 0.0 ? contrast_sum / contrast_w : 0.0;
  /* a clear periodicity with a clear phase, or a weaker periodicity with
   * a very clear phase (varied drums: kick and snare alternate, so the
   * beat lag is only a part of the zero lag) */
  const bool clear =
      (tempo_conf >= kTempoConfHi && contrast >= kContrastHi) ||
      (tempo_conf >= kTempoConfLo && contrast >= kContrastSharp) ||
      (peaky () && tempo_conf >= kTempoConfLo && contrast >= kContrastPeaky &&
       avg >= kContrastAvgPeaky);
  const bool no_pulse = recent_contrast >= 0.0 && recent_contrast < kRecentLo;
  const bool good = tau > 0.0 && tempo_agree && clear && !no_pulse &&
                    avg >= kContrastAvgLock &&
                    active_seconds >= std::max (kMinHistory, 2.5 * tau / kFps);
  const bool bad = tau <= 0.0 || tempo_conf < kTempoConfLo ||
                   contrast < kContrastLo || avg < kContrastAvgLock ||
                   quiet () || no_pulse;
  /* saturated: a stream may run for years */
  good_frames = good ? std::min (good_frames + 1, INT32_MAX - 1) : 0;
  bad_frames = bad ? std::min (bad_frames + 1, INT32_MAX - 1) : 0;
  if (state != LockState::Locked) {
    if (good_frames >= kLockSeconds * kFps)
      state = LockState::Locked;
  } else if (bad_frames >= kUnlockSeconds * kFps) {
    state = LockState::Lost;
  }
}

double
BeatTracker::Impl::refine (double b) const
{
  /* best offset of a comb centred on b, past and future beats */
  const int K = std::max (2, (int)std::ceil (kRefineSeconds * 2 * kFps / tau));
  const double wk = std::exp (-tau / kFps / kRefineSeconds);
  double best = -1.0, best_d = 0.0;
  for (double d = -0.2 * tau; d <= 0.2 * tau; d += 0.25) {
    double s = 0.0, w = 1.0;
    for (int k = 0; k <= K; k++) {
      const double pos = b + d + k * tau, neg = b + d - k * tau;
      if (pos <= n)
        s += w * onset_at (pos);
      if (k > 0)
        s += w * onset_at (neg);
      w *= wk;
    }
    s *= 1.0 - 0.5 * (d / tau) * (d / tau);
    if (s > best) {
      best = s;
      best_d = d;
    }
  }
  return b + best_d;
}

void
BeatTracker::Impl::report (double b, bool predicted, std::vector<BeatInfo> &out)
{
  BeatInfo bi;
  /* an onset on the first sample is timed up to 25 ms before it (the
   * first frame's centre): it is the first sample's */
  bi.time = std::max (0.0, frame_time (b));
  bi.bpm = 60.0 * kFps / tau;
  bi.confidence = confidence ();
  bi.index = beats++;
  bi.downbeat = false;
  bi.state = state;
  bi.predicted = predicted;
  out.push_back (bi);
}

void
BeatTracker::Impl::emit (std::vector<BeatInfo> &out)
{
  const double end = audio_end ();
  if (have_phase && tau > 0.0) {
    while (b_next <= last_beat + 0.5 * tau)
      b_next += tau;
    for (;;) {
      const double bt = frame_time (b_next);
      if (bt > end)
        break;
      /* a beat predicted into silence waits a little for its onset: in
       * a gap it is dropped (lost audio has none to wait for) */
      if (silent_run > 0.002 && lost_run == 0.0 && end < bt + kWait)
        break;
      const double b = b_next;
      b_next += tau;
      if (state != LockState::Locked || in_gap () || quiet () ||
          lost_run > kLostPredict)
        continue;
      last_beat = b;
      if (settings.lookahead <= 0.0)
        report (b, end - bt < kConfirm, out);
    }
  }
  if (settings.lookahead <= 0.0 || !have_phase || tau <= 0.0 ||
      state != LockState::Locked)
    return;
  emit_held (end - settings.lookahead, false, out);
}

void
BeatTracker::Impl::emit_held (double due, bool draining,
                              std::vector<BeatInfo> &out)
{
  /* Lookahead: the beats that fall due now are laid out backwards from the
   * newest phase and tempo (which have seen the lookahead's audio past
   * them), then each is moved to the best fit of a comb of past and
   * future onsets. At the first lock this also fills in the beats of the
   * lookahead span before it (up to kPending). A beat is dropped as the
   * causal one is: when the frame kWait after it lies in a gap or in
   * quiet; until that frame is analysed, it is held (a lookahead below
   * kWait waits that long), unless the input ends (@draining). */
  const double end = audio_end ();
  const int64_t wait = (int64_t)std::ceil (kWait * kFps);
  const double la = settings.lookahead * kFps;
  /* (a beat held for its kWait is still in range at the next call) */
  double from = std::max (last_reported + 0.5 * tau,
                          (double)n - 2.0 * la - (double)wait - tau);
  /* the first grid beat after from */
  double g = b_next - std::floor ((b_next - from) / tau) * tau;
  if (g <= from)
    g += tau;
  for (int count = 0; count < kPending; count++) {
    if (frame_time (g) > due)
      break;
    const double r = refine (g);
    const int64_t fi = (int64_t)std::lround (r);
    if (fi + wait > n && !draining)
      break;
    const int64_t fw = std::min (fi + wait, n);
    const bool in_silence = fw >= 0 && fw > n - (int64_t)hist + 1 &&
                            gapf[(size_t)(fw & (int64_t)(hist - 1))];
    if (r > last_reported + 0.5 * tau && r >= 0.0 && !in_silence &&
        frame_time (r) <= end) {
      /* the onset is confirmed once the analysis passed it */
      report (r, end - frame_time (r) < kConfirm, out);
      last_reported = r;
    }
    g += tau;
  }
}

BeatTracker::BeatTracker () : impl_ (std::make_unique<Impl> ()) {}

BeatTracker::~BeatTracker () = default;

void
BeatTracker::set_settings (const BeatSettings &settings)
{
  impl_->next = settings;
  impl_->clamp_settings ();
}

const BeatSettings &
BeatTracker::settings () const
{
  return impl_->next;
}

bool
BeatTracker::configure (int rate, int channels)
{
  if (rate < 8000 || rate > 192000 || channels < 1 || channels > 64)
    return false;
  impl_->rate = rate;
  impl_->channels = channels;
  impl_->allocate ();
  impl_->configured = true;
  return true;
}

void
BeatTracker::reset ()
{
  if (impl_->configured)
    impl_->allocate ();
}

void
BeatTracker::process (const float *interleaved, size_t frames,
                      std::vector<BeatInfo> &out)
{
  Impl &p = *impl_;
  if (!p.configured || !interleaved)
    return;
  p.push_frames (interleaved, frames, out);
}

void
BeatTracker::process_lost (size_t frames, std::vector<BeatInfo> &out)
{
  Impl &p = *impl_;
  if (p.configured)
    p.push_lost (frames, out);
}

void
BeatTracker::drain (std::vector<BeatInfo> &out)
{
  Impl &p = *impl_;
  if (!p.configured || p.settings.lookahead <= 0.0 || !p.have_phase ||
      p.tau <= 0.0 || p.state != LockState::Locked)
    return;
  p.emit_held (p.audio_end (), true, out);
}

size_t
BeatTracker::max_beats (size_t frames) const
{
  const Impl &p = *impl_;
  if (!p.configured)
    return 0;
  /* the block's own beats (with room for phase jumps), plus those of a
   * lookahead's fill-in at a lock: up to 2 lookaheads before it */
  const double fill = 2.0 * p.settings.lookahead * p.settings.max_bpm / 60.0;
  return (size_t)std::ceil (
             (double)frames / p.rate * p.settings.max_bpm * 1.5 / 60.0 + fill) +
         kPending + 2;
}

BeatStatus
BeatTracker::status () const
{
  const Impl &p = *impl_;
  BeatStatus s;
  s.bpm = p.tau > 0.0 ? 60.0 * kFps / p.tau : 0.0;
  s.confidence = p.tau > 0.0 ? p.confidence () : 0.0;
  s.state = p.state;
  s.time = p.n >= 0 ? p.audio_end () : 0.0;
  s.next_beat = p.have_phase && p.state == LockState::Locked
                    ? Impl::frame_time (p.b_next)
                    : -1.0;
  s.beats = p.beats;
  s.nonfinite = p.nonfinite;
  return s;
}

double
BeatTracker::latency () const
{
  return impl_->settings.lookahead;
}

} // namespace prune

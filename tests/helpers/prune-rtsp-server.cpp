/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * prune-rtsp-server: a test camera. Serves the synthetic scene of
 * gst/prune/scene.h (preset "test", resized) as live H.264 over RTSP at
 * rtsp://127.0.0.1:PORT/cam, for the gst-prune integration tests.
 *
 * The scene runs on the wall clock: frame k is shown at EPOCH + k / fps
 * (EPOCH is --epoch, default the start time), so a server killed and
 * started again with the same --epoch goes on with the same scene, and
 * the motion intervals (--truth, in seconds after EPOCH) are known in wall
 * time. With --audio the stream also carries a metronome (a tick a
 * second, L16 mono at 44.1 kHz, from when the media is first played). Prints
 * "ready rtsp://127.0.0.1:PORT/cam" on stdout once it
 * listens. SIGINT/SIGTERM stop it cleanly.
 *
 * Exit status: 0 stopped, 1 cannot serve (port taken), 2 usage error.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/prune/scene.h>

#include <gst/app/app.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <glib-unix.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace {

struct Server {
  prune::scene::Scene *scene = nullptr;
  double epoch = 0; /* unix seconds of scene time 0 */
  std::mutex lock;
  GstElement *src = nullptr; /* the current media's appsrc (a ref) */
  std::atomic<bool> stop{false};
};

void
on_unprepared (GstRTSPMedia *, gpointer data)
{
  auto *srv = static_cast<Server *> (data);
  std::lock_guard<std::mutex> lk (srv->lock);
  if (srv->src != nullptr) {
    gst_object_unref (srv->src);
    srv->src = nullptr;
  }
}

void
on_media_configure (GstRTSPMediaFactory *, GstRTSPMedia *media, gpointer data)
{
  auto *srv = static_cast<Server *> (data);
  GstElement *bin = gst_rtsp_media_get_element (media);
  GstElement *src = gst_bin_get_by_name_recurse_up (GST_BIN (bin), "src");
  gst_object_unref (bin);
  {
    std::lock_guard<std::mutex> lk (srv->lock);
    if (srv->src != nullptr)
      gst_object_unref (srv->src);
    srv->src = src;
  }
  g_signal_connect (media, "unprepared", G_CALLBACK (on_unprepared), srv);
}

/* Renders the scene on the wall clock and feeds the current client's
 * pipeline while it plays (frames nobody receives are skipped). */
void
produce (Server *srv)
{
  const auto &c = srv->scene->config ();
  const double fps = double (c.fps_n) / c.fps_d;
  const auto layout = prune::scene::i420_layout (c.width, c.height);
  gint64 k = -1;
  while (!srv->stop) {
    const double now = double (g_get_real_time ()) / G_USEC_PER_SEC;
    const gint64 due = gint64 (std::floor ((now - srv->epoch) * fps));
    if (due <= k) {
      const double next = srv->epoch + double (k + 1) / fps;
      g_usleep (gulong (std::max (1.0, (next - now) * G_USEC_PER_SEC)));
      continue;
    }
    k = due;
    GstElement *src = nullptr;
    {
      std::lock_guard<std::mutex> lk (srv->lock);
      if (srv->src != nullptr)
        src = GST_ELEMENT (gst_object_ref (srv->src));
    }
    /* appsrc stamps a buffer when it is pushed (do-timestamp): before the
     * appsrc itself plays, the pipeline may have given it the clock but
     * not yet the base time, and a frame stamped with the clock's
     * absolute time (hours) keeps the client from showing any video */
    bool playing = false;
    if (src != nullptr) {
      GST_OBJECT_LOCK (src);
      playing = GST_STATE (src) == GST_STATE_PLAYING;
      GST_OBJECT_UNLOCK (src);
    }
    if (!playing || k < 0) {
      if (src != nullptr)
        gst_object_unref (src);
      continue;
    }
    GstBuffer *buf = gst_buffer_new_allocate (nullptr, layout.size, nullptr);
    GstMapInfo map;
    if (gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
      srv->scene->render_i420 (k, map.data);
      gst_buffer_unmap (buf, &map);
    }
    GST_BUFFER_DURATION (buf) =
        gst_util_uint64_scale (GST_SECOND, c.fps_d, c.fps_n);
    gst_app_src_push_buffer (GST_APP_SRC (src), buf);
    gst_object_unref (src);
  }
}

gboolean
on_signal (gpointer loop)
{
  g_main_loop_quit (static_cast<GMainLoop *> (loop));
  return G_SOURCE_CONTINUE;
}

[[noreturn]] void
usage (const std::string &msg)
{
  std::fprintf (stderr, "prune-rtsp-server: %s (see --help)\n", msg.c_str ());
  std::exit (2);
}

} // namespace

int
main (int argc, char **argv)
{
  gint port = 0, width = 320, height = 180, fps = 10;
  gdouble epoch = 0, noise = -1;
  gboolean audio = FALSE;
  gchar *truth = nullptr;
  const GOptionEntry entries[] = {
      {"port", 'p', 0, G_OPTION_ARG_INT, &port, "TCP port to listen on",
       "PORT"},
      {"epoch", 'e', 0, G_OPTION_ARG_DOUBLE, &epoch,
       "Unix time of scene time 0 (default: now)", "SECONDS"},
      {"width", 'W', 0, G_OPTION_ARG_INT, &width, "Frame width (320)", "PX"},
      {"height", 'H', 0, G_OPTION_ARG_INT, &height, "Frame height (180)", "PX"},
      {"fps", 'f', 0, G_OPTION_ARG_INT, &fps, "Frames per second (10)", "N"},
      {"noise", 'n', 0, G_OPTION_ARG_DOUBLE, &noise,
       "Sensor noise sigma (default: the preset's)", "SIGMA"},
      {"audio", 'a', 0, G_OPTION_ARG_NONE, &audio,
       "Also serve a metronome track (a tick a second)", nullptr},
      {"truth", 't', 0, G_OPTION_ARG_FILENAME, &truth,
       "Write the motion intervals (seconds after the epoch, one \"start "
       "end\" line each) to FILE",
       "FILE"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *ctx = g_option_context_new ("- RTSP test camera");
  g_option_context_add_main_entries (ctx, entries, nullptr);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  GError *err = nullptr;
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    const std::string m = err->message;
    g_error_free (err);
    g_option_context_free (ctx);
    usage (m);
  }
  g_option_context_free (ctx);
  if (port < 1 || port > 65535)
    usage ("--port 1..65535 is required");
  if (width < 16 || height < 16 || fps < 1 || fps > 120)
    usage ("bad --width/--height/--fps");

  auto cfg = prune::scene::Config::preset (prune::scene::kPresetTest);
  cfg.resize (width, height);
  cfg.fps_n = fps;
  cfg.fps_d = 1;
  if (noise >= 0)
    cfg.noise = noise;
  prune::scene::Scene scene (cfg);
  Server srv;
  srv.scene = &scene;
  srv.epoch = epoch > 0 ? epoch : double (g_get_real_time ()) / G_USEC_PER_SEC;

  if (truth != nullptr) {
    FILE *f = std::fopen (truth, "w");
    if (f == nullptr) {
      std::fprintf (stderr, "prune-rtsp-server: cannot write %s\n", truth);
      return 1;
    }
    std::fprintf (f, "# epoch %.6f\n", srv.epoch);
    for (const auto &[a, b] : scene.motion_intervals ())
      std::fprintf (f, "%.6f %.6f\n", a, b);
    std::fclose (f);
  }
  g_free (truth);

  GstRTSPServer *server = gst_rtsp_server_new ();
  const std::string service = std::to_string (port);
  gst_rtsp_server_set_address (server, "127.0.0.1");
  gst_rtsp_server_set_service (server, service.c_str ());
  GstRTSPMountPoints *mounts = gst_rtsp_server_get_mount_points (server);
  GstRTSPMediaFactory *factory = gst_rtsp_media_factory_new ();
  const std::string launch =
      "( appsrc name=src is-live=true do-timestamp=true format=time "
      "caps=video/x-raw,format=I420,width=" +
      std::to_string (width) + ",height=" + std::to_string (height) +
      ",framerate=" + std::to_string (fps) +
      "/1 ! queue ! x264enc tune=zerolatency speed-preset=ultrafast "
      "key-int-max=" +
      std::to_string (fps) +
      " ! rtph264pay name=pay0 pt=96 config-interval=-1 " +
      /* S16: the 1.22 generator in float leaves a sample of some ticks
       * unset */
      std::string (audio ? "audiotestsrc is-live=true wave=ticks ! "
                           "audio/x-raw,format=S16LE,rate=44100,channels=1 ! "
                           "audioconvert ! rtpL16pay name=pay1 pt=97 "
                         : "") +
      ")";
  gst_rtsp_media_factory_set_launch (factory, launch.c_str ());
  gst_rtsp_media_factory_set_shared (factory, TRUE);
  g_signal_connect (factory, "media-configure", G_CALLBACK (on_media_configure),
                    &srv);
  gst_rtsp_mount_points_add_factory (mounts, "/cam", factory);
  g_object_unref (mounts);

  GMainLoop *loop = g_main_loop_new (nullptr, FALSE);
  const guint id = gst_rtsp_server_attach (server, nullptr);
  int status = 0;
  if (id == 0) {
    std::fprintf (stderr, "prune-rtsp-server: cannot listen on port %d\n",
                  port);
    status = 1;
  } else {
    std::thread producer (produce, &srv);
    std::printf ("ready rtsp://127.0.0.1:%d/cam\n", port);
    std::fflush (stdout);
    const guint s1 = g_unix_signal_add (SIGINT, on_signal, loop);
    const guint s2 = g_unix_signal_add (SIGTERM, on_signal, loop);
    g_main_loop_run (loop);
    g_source_remove (s1);
    g_source_remove (s2);
    g_source_remove (id);
    srv.stop = true;
    producer.join ();
  }
  {
    std::lock_guard<std::mutex> lk (srv.lock);
    if (srv.src != nullptr)
      gst_object_unref (srv.src);
    srv.src = nullptr;
  }
  g_object_unref (server);
  g_main_loop_unref (loop);
  return status;
}

/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Generic tests over the whole `prune` plugin: it loads from the build
 * tree with the elements this build enabled, and every element walks
 * through every state change, repeatedly, and is finalized when released.
 * Leaks are caught by the leaks tracer (GST_TRACERS=leaks, see
 * tests/meson.build) at gst_deinit().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

std::vector<std::string>
split_names (const char *list)
{
  std::vector<std::string> out;
  gchar **parts = g_strsplit (list, ",", -1);
  for (gchar **p = parts; *p != nullptr; p++)
    if (**p != '\0')
      out.emplace_back (*p);
  g_strfreev (parts);
  std::sort (out.begin (), out.end ());
  return out;
}

std::vector<std::string>
plugin_elements ()
{
  std::vector<std::string> out;
  GList *features =
      gst_registry_get_feature_list_by_plugin (gst_registry_get (), "prune");
  for (GList *l = features; l != nullptr; l = l->next)
    if (GST_IS_ELEMENT_FACTORY (l->data))
      out.emplace_back (
          gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (l->data)));
  gst_plugin_feature_list_free (features);
  std::sort (out.begin (), out.end ());
  return out;
}

std::string
join (const std::vector<std::string> &v)
{
  std::string out;
  for (const auto &s : v)
    out += (out.empty () ? "" : ",") + s;
  return out;
}

/* Sets @state and waits for it; sinks may answer ASYNC (no preroll data
 * without a peer) and that is a success here. */
void
set_state_checked (GstElement *element, GstState state)
{
  GstStateChangeReturn ret = gst_element_set_state (element, state);
  fail_if (ret == GST_STATE_CHANGE_FAILURE, "%s: %s failed",
           GST_ELEMENT_NAME (element), gst_element_state_get_name (state));
  if (ret == GST_STATE_CHANGE_ASYNC && state <= GST_STATE_READY) {
    ret = gst_element_get_state (element, nullptr, nullptr, 5 * GST_SECOND);
    fail_if (ret == GST_STATE_CHANGE_FAILURE);
  }
}

} // namespace

GST_START_TEST (test_plugin_loads_from_build_tree)
{
  GstPlugin *plugin = gst_registry_find_plugin (gst_registry_get (), "prune");
  fail_unless (plugin != nullptr,
               "plugin 'prune' not found on GST_PLUGIN_PATH");
  const gchar *filename = gst_plugin_get_filename (plugin);
  fail_unless (filename != nullptr &&
                   g_str_has_prefix (filename, PRUNE_PLUGIN_DIR),
               "plugin loaded from %s, not from the build tree %s", filename,
               PRUNE_PLUGIN_DIR);
  fail_unless_equals_string (gst_plugin_get_version (plugin), VERSION);
  fail_unless_equals_string (gst_plugin_get_license (plugin), "LGPL");
  fail_unless_equals_string (gst_plugin_get_source (plugin), PACKAGE);
  fail_unless_equals_string (gst_plugin_get_package (plugin), GST_PACKAGE_NAME);
  /* Loading runs plugin_init: it must succeed with whatever is built. */
  GstPlugin *loaded = gst_plugin_load (plugin);
  fail_unless (loaded != nullptr, "plugin failed to load");
  fail_unless (gst_plugin_is_loaded (loaded));
  gst_object_unref (loaded);
  gst_object_unref (plugin);

  /* The plugin registers exactly the elements this build enabled. */
  const auto expected = split_names (PRUNE_BUILT_ELEMENTS);
  const auto registered = plugin_elements ();
  fail_unless (registered == expected, "registered [%s], built [%s]",
               join (registered).c_str (), join (expected).c_str ());
}
GST_END_TEST;

GST_START_TEST (test_state_changes)
{
  static const GstState walks[][7] = {
      /* the full ladder up and down */
      {GST_STATE_READY, GST_STATE_PAUSED, GST_STATE_PLAYING, GST_STATE_PAUSED,
       GST_STATE_READY, GST_STATE_NULL, GST_STATE_VOID_PENDING},
      /* jumps */
      {GST_STATE_PLAYING, GST_STATE_NULL, GST_STATE_PAUSED, GST_STATE_NULL,
       GST_STATE_READY, GST_STATE_PLAYING, GST_STATE_NULL},
      /* up, down halfway, up again */
      {GST_STATE_PAUSED, GST_STATE_READY, GST_STATE_PLAYING, GST_STATE_READY,
       GST_STATE_PAUSED, GST_STATE_NULL, GST_STATE_VOID_PENDING},
  };
  guint walked = 0;
  for (const std::string &name : plugin_elements ()) {
    for (int round = 0; round < 3; round++) {
      GstElement *element = gst_element_factory_make (name.c_str (), nullptr);
      fail_unless (element != nullptr, "could not create %s", name.c_str ());
      for (const auto &walk : walks)
        for (GstState state : walk)
          if (state != GST_STATE_VOID_PENDING)
            set_state_checked (element, state);
      /* No one else may hold a reference: it must finalize now. */
      gst_check_object_destroyed_on_unref (element);
    }
    walked++;
  }
  fail_unless_equals_int (walked, split_names (PRUNE_BUILT_ELEMENTS).size ());
}
GST_END_TEST;

static Suite *
states_suite (void)
{
  Suite *s = suite_create ("states");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_plugin_loads_from_build_tree);
  tcase_add_test (tc, test_state_changes);
  return s;
}

GST_CHECK_MAIN (states);

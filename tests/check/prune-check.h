/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#pragma once

/* Helpers shared by the element tests (gst-check). */

#include <gst/check/gstcheck.h>

#include <cstring>

/* The next @type (ERROR or WARNING) message on @bus is there and its text
 * holds @needle. */
inline void
check_message (GstBus *bus, GstMessageType type, const char *needle)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, type);
  fail_unless (msg != nullptr, "no %s for '%s'",
               gst_message_type_get_name (type), needle);
  GError *err = nullptr;
  if (type == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, nullptr);
  else
    gst_message_parse_warning (msg, &err, nullptr);
  fail_unless (std::strstr (err->message, needle) != nullptr,
               "%s '%s', expected '%s'", gst_message_type_get_name (type),
               err->message, needle);
  g_error_free (err);
  gst_message_unref (msg);
}

/* Setting @e to PAUSED fails, with an ERROR message whose text holds
 * @needle (settings that cannot work are refused at the start, with an
 * error that names them). @e is left in NULL. */
inline void
check_start_refused (GstElement *e, const char *needle)
{
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
                          GST_STATE_CHANGE_FAILURE);
  check_message (bus, GST_MESSAGE_ERROR, needle);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, nullptr);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

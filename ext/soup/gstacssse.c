/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: Server-Sent Events line parser
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The event stream interpretation of the WHATWG HTML standard ("Server-sent
 * events", 9.2.6), line by line: the caller splits the stream at CR, LF or
 * CRLF (GDataInputStream with G_DATA_STREAM_NEWLINE_TYPE_ANY does). An
 * event that the stream loses before its blank line is never dispatched, and
 * its id is not remembered: a reconnection with Last-Event-ID then gets it
 * again. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacssse.h"

#include <string.h>

#include <acs/acserror.h>

/**
 * gst_acs_sse_parser_init:
 * @parser: an uninitialised parser
 * @last_id: (nullable): the last event id seen on an earlier connection of
 *   the same stream
 *
 * Prepares @parser for a new connection.
 */
void
gst_acs_sse_parser_init (GstAcsSseParser * parser, const gchar * last_id)
{
  parser->data = g_string_new (NULL);
  parser->type = NULL;
  parser->id = g_strdup (last_id);
  parser->id_buffer = g_strdup (last_id);
  parser->has_data = FALSE;
  parser->retry_ms = -1;
}

/**
 * gst_acs_sse_parser_clear:
 * @parser: a parser
 *
 * Frees what @parser holds; it may be initialised again.
 */
void
gst_acs_sse_parser_clear (GstAcsSseParser * parser)
{
  if (parser->data)
    g_string_free (parser->data, TRUE);
  parser->data = NULL;
  g_clear_pointer (&parser->type, g_free);
  g_clear_pointer (&parser->id, g_free);
  g_clear_pointer (&parser->id_buffer, g_free);
  parser->has_data = FALSE;
}

/**
 * gst_acs_sse_event_free:
 * @event: (nullable) (transfer full): an event
 *
 * Frees @event.
 */
void
gst_acs_sse_event_free (GstAcsSseEvent * event)
{
  if (event == NULL)
    return;
  g_free (event->type);
  g_free (event->data);
  g_free (event->id);
  g_free (event);
}

/**
 * gst_acs_sse_parser_get_last_id:
 * @parser: a parser
 *
 * Returns: (nullable) (transfer none): the id of the last dispatched event
 *   (what a reconnection sends as Last-Event-ID).
 */
const gchar *
gst_acs_sse_parser_get_last_id (GstAcsSseParser * parser)
{
  return parser->id;
}

/**
 * gst_acs_sse_parser_get_retry:
 * @parser: a parser
 *
 * Returns: the reconnection time the server asked for with `retry:`, in
 *   milliseconds, or -1.
 */
gint64
gst_acs_sse_parser_get_retry (GstAcsSseParser * parser)
{
  return parser->retry_ms;
}

/**
 * gst_acs_sse_parser_feed_line:
 * @parser: a parser
 * @line: one line of the stream, without its terminator
 * @event: (out) (transfer full) (optional): the event @line completed
 * @error: a #GError, set when the event's data is over
 *   %GST_ACS_SSE_MAX_DATA bytes
 *
 * Returns: %TRUE if @line was parsed; @event is then set when @line was the
 *   blank line ending an event with data, %NULL otherwise.
 */
gboolean
gst_acs_sse_parser_feed_line (GstAcsSseParser * parser, const gchar * line,
    GstAcsSseEvent ** event, GError ** error)
{
  const gchar *colon, *value;
  gchar *field;
  gsize name_len;

  if (event)
    *event = NULL;

  if (*line == '\0') {
    GstAcsSseEvent *ev;

    /* Dispatch. An event without data still sets the last event id */
    g_free (parser->id);
    parser->id = g_strdup (parser->id_buffer);
    if (!parser->has_data) {
      g_clear_pointer (&parser->type, g_free);
      return TRUE;
    }
    ev = g_new0 (GstAcsSseEvent, 1);
    if (parser->data->len > 0
        && parser->data->str[parser->data->len - 1] == '\n')
      g_string_truncate (parser->data, parser->data->len - 1);
    ev->data = g_strndup (parser->data->str, parser->data->len);
    ev->type = parser->type && *parser->type ?
        g_steal_pointer (&parser->type) : g_strdup ("message");
    ev->id = g_strdup (parser->id);
    g_clear_pointer (&parser->type, g_free);
    g_string_truncate (parser->data, 0);
    parser->has_data = FALSE;
    if (event)
      *event = ev;
    else
      gst_acs_sse_event_free (ev);
    return TRUE;
  }

  /* A comment, such as the controller's ": ping" heartbeat */
  if (*line == ':')
    return TRUE;

  colon = strchr (line, ':');
  if (colon) {
    name_len = colon - line;
    value = colon + 1;
    if (*value == ' ')
      value++;
  } else {
    name_len = strlen (line);
    value = "";
  }
  field = g_strndup (line, name_len);

  if (strcmp (field, "data") == 0) {
    if (parser->data->len + strlen (value) + 1 > GST_ACS_SSE_MAX_DATA) {
      g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
          "event data over %u bytes", GST_ACS_SSE_MAX_DATA);
      g_string_truncate (parser->data, 0);
      parser->has_data = FALSE;
      g_free (field);
      return FALSE;
    }
    g_string_append (parser->data, value);
    g_string_append_c (parser->data, '\n');
    parser->has_data = TRUE;
  } else if (strcmp (field, "event") == 0) {
    g_free (parser->type);
    parser->type = g_strdup (value);
  } else if (strcmp (field, "id") == 0) {
    /* Takes effect when the event is dispatched, so that an event cut off
     * by a network error is asked for again. An id with a NUL cannot be sent
     * back; GDataInputStream lines are C strings, so it cannot show up
     * here. An empty id resets it */
    g_free (parser->id_buffer);
    parser->id_buffer = *value ? g_strdup (value) : NULL;
  } else if (strcmp (field, "retry") == 0) {
    const gchar *p;

    for (p = value; *p && g_ascii_isdigit (*p); p++);
    if (*value && *p == '\0')
      parser->retry_ms = g_ascii_strtoll (value, NULL, 10);
  }
  /* Other fields are ignored */
  g_free (field);
  return TRUE;
}

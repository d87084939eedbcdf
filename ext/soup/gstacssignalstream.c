/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: acssignal's event stream: the user's Server-Sent Events
 * (GET /v1/events, docs/protocol.md section 5), reconnection with
 * Last-Event-ID, and what each event does to the call
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacssignalpriv.h"

#include <string.h>
#include <gst/sdp/sdp.h>

#define GST_CAT_DEFAULT gst_acs_signal_debug

/* ------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------ */

static const gchar *
event_call_id (const gchar * type, JsonObject * data)
{
  if (strcmp (type, "call.candidate") == 0)
    return acs_signal_get_string (data, "call_id");
  return acs_signal_get_string (acs_signal_get_object (data, "call"), "id");
}

static GstSDPMessage *
parse_sdp (const gchar * text)
{
  GstSDPMessage *sdp = NULL;

  if (text == NULL || gst_sdp_message_new_from_text (text, &sdp) != GST_SDP_OK)
    return NULL;
  return sdp;
}

static void
handle_incoming (GstAcsSignal * self, const gchar * call_id, JsonObject * data)
{
  JsonObject *call = acs_signal_get_object (data, "call");
  const gchar *from =
      acs_signal_get_string (acs_signal_get_object (call, "caller"), "user");
  const gchar *offer =
      acs_signal_get_string (acs_signal_get_object (data, "offer"), "sdp");
  GstAcsSignalCallState state = GST_ACS_SIGNAL_CALL_STATE_CALLING, current_st;
  gchar *current = acs_signal_current_call (self, &current_st);
  GstStructure *s;
  GstSDPMessage *sdp;
  gboolean busy;

  busy = (self->placing || (current && strcmp (current, call_id) != 0
          && acs_signal_state_in_progress (current_st)));
  g_free (current);
  if (busy) {
    Action *a;

    GST_INFO_OBJECT (self, "call %s from %s while busy: declining", call_id,
        GST_STR_NULL (from));
    a = acs_signal_action_new (self, ACTION_DECLINE_BUSY, NULL);
    a->call_id = g_strdup (call_id);
    acs_signal_run_action (a);
    return;
  }
  if (from == NULL || offer == NULL) {
    GST_WARNING_OBJECT (self, "call.incoming without caller or offer");
    return;
  }
  acs_signal_call_state_from_string (acs_signal_get_string (call, "state"),
      &state);
  if (state == GST_ACS_SIGNAL_CALL_STATE_ENDED) {
    GST_DEBUG_OBJECT (self, "call %s already ended", call_id);
    return;
  }

  GST_OBJECT_LOCK (self);
  g_free (self->peer);
  self->peer = g_strdup (from);
  GST_OBJECT_UNLOCK (self);
  g_object_notify_by_pspec (G_OBJECT (self), acs_signal_peer_pspec);
  if (g_strcmp0 (self->ended_call_id, call_id) != 0)
    g_clear_pointer (&self->ended_call_id, g_free);
  acs_signal_clear_candidates (self);
  acs_signal_update_call (self, call_id, state);

  GST_INFO_OBJECT (self, "incoming call %s from %s", call_id, from);
  /* ringing and the answer follow: have their connection ready */
  acs_signal_preconnect (self);
  s = gst_structure_new ("acs-signal-incoming", "call-id", G_TYPE_STRING,
      call_id, "from", G_TYPE_STRING, from, NULL);
  /* As a GstSDPMessage, which debug logs print as NULL: SDP holds keys */
  if ((sdp = parse_sdp (offer))) {
    gst_structure_set (s, "sdp", GST_TYPE_SDP_MESSAGE, sdp, NULL);
    gst_sdp_message_free (sdp);
  }
  acs_signal_post_element_message (self, s);
  g_signal_emit (self, acs_signal_signals[SIGNAL_ON_INCOMING], 0, call_id,
      from, offer);
}

/* Element's thread, no lock held */
void
acs_signal_dispatch_event (GstAcsSignal * self, const gchar * type,
    JsonObject * data)
{
  const gchar *call_id = event_call_id (type, data);
  GstAcsSignalCallState state;
  gchar *current;

  if (call_id == NULL) {
    GST_WARNING_OBJECT (self, "%s event without a call id", type);
    return;
  }
  if (strcmp (type, "call.incoming") == 0) {
    handle_incoming (self, call_id, data);
    return;
  }

  current = acs_signal_current_call (self, NULL);
  if (g_strcmp0 (current, call_id) != 0) {
    GST_DEBUG_OBJECT (self, "%s of call %s, not the current one", type,
        call_id);
    g_free (current);
    return;
  }
  g_free (current);

  if (strcmp (type, "call.ringing") == 0) {
    acs_signal_update_call (self, NULL, GST_ACS_SIGNAL_CALL_STATE_RINGING);
    acs_signal_post_element_message (self,
        gst_structure_new ("acs-signal-ringing", "call-id", G_TYPE_STRING,
            call_id, NULL));
    g_signal_emit (self, acs_signal_signals[SIGNAL_ON_RINGING], 0, call_id);
  } else if (strcmp (type, "call.answered") == 0) {
    const gchar *answer =
        acs_signal_get_string (acs_signal_get_object (data, "answer"), "sdp");
    GstStructure *s;
    GstSDPMessage *sdp;

    if (answer == NULL) {
      GST_WARNING_OBJECT (self, "call.answered without an answer");
      return;
    }
    acs_signal_update_call (self, NULL, GST_ACS_SIGNAL_CALL_STATE_ACTIVE);
    s = gst_structure_new ("acs-signal-answered", "call-id", G_TYPE_STRING,
        call_id, NULL);
    if ((sdp = parse_sdp (answer))) {
      gst_structure_set (s, "sdp", GST_TYPE_SDP_MESSAGE, sdp, NULL);
      gst_sdp_message_free (sdp);
    }
    acs_signal_post_element_message (self, s);
    g_signal_emit (self, acs_signal_signals[SIGNAL_ON_ANSWERED], 0,
        call_id, answer);
  } else if (strcmp (type, "call.candidate") == 0) {
    const gchar *cand = acs_signal_get_string (data, "candidate");
    guint mline = (guint) acs_signal_get_int (data, "mline_index", 0);

    if (acs_signal_get_bool (data, "end_of_candidates"))
      cand = "";
    if (cand == NULL) {
      GST_WARNING_OBJECT (self, "call.candidate without a candidate");
      return;
    }
    GST_LOG_OBJECT (self, "remote candidate %s", cand);
    acs_signal_post_element_message (self,
        gst_structure_new ("acs-signal-remote-candidate", "call-id",
            G_TYPE_STRING, call_id, "mline-index", G_TYPE_UINT, mline,
            "candidate", G_TYPE_STRING, cand, NULL));
    g_signal_emit (self, acs_signal_signals[SIGNAL_ON_REMOTE_CANDIDATE],
        0, call_id, mline, cand);
  } else if (strcmp (type, "call.ended") == 0) {
    JsonObject *call = acs_signal_get_object (data, "call");

    state = GST_ACS_SIGNAL_CALL_STATE_ENDED;
    acs_signal_update_call (self, NULL, state);
    acs_signal_emit_ended (self, call_id, call);
  } else {
    GST_DEBUG_OBJECT (self, "ignoring event %s", type);
  }
}

static void
handle_event (GstAcsSignal * self, GstAcsSseEvent * ev)
{
  JsonNode *root;
  const gchar *call_id;

  GST_DEBUG_OBJECT (self, "event %s, id %s, %" G_GSIZE_FORMAT " bytes",
      ev->type, GST_STR_NULL (ev->id), strlen (ev->data));

  if (strcmp (ev->type, "stream.reset") == 0) {
    /* Events were lost: read the current call again */
    Action *a = acs_signal_action_new (self, ACTION_REFRESH, NULL);

    GST_INFO_OBJECT (self, "the controller reset the stream");
    acs_signal_run_action (a);
    return;
  }
  if (!g_str_has_prefix (ev->type, "call.")) {
    GST_DEBUG_OBJECT (self, "ignoring event %s", ev->type);
    return;
  }
  root = acs_signal_parse_object (ev->data, strlen (ev->data));
  if (root == NULL) {
    GST_WARNING_OBJECT (self, "%s event with malformed data", ev->type);
    return;
  }

  call_id = event_call_id (ev->type, json_node_get_object (root));
  if (self->placing && call_id && strcmp (ev->type, "call.incoming") != 0) {
    gchar *current = acs_signal_current_call (self, NULL);

    /* Possibly the call being placed: hold until its id is known */
    if (g_strcmp0 (current, call_id) != 0) {
      if (g_queue_get_length (&self->held_events) < MAX_HELD_EVENTS) {
        HeldEvent *held = g_new0 (HeldEvent, 1);

        held->type = g_strdup (ev->type);
        held->call_id = g_strdup (call_id);
        held->data = json_node_ref (root);
        g_queue_push_tail (&self->held_events, held);
      }
      g_free (current);
      json_node_unref (root);
      return;
    }
    g_free (current);
  }
  acs_signal_dispatch_event (self, ev->type, json_node_get_object (root));
  json_node_unref (root);
}

/* ------------------------------------------------------------------------
 * The event stream
 * ------------------------------------------------------------------------ */

void
acs_signal_stream_free (Stream * s)
{
  g_clear_object (&s->msg);
  g_clear_object (&s->cancellable);
  g_clear_object (&s->data);
  g_clear_object (&s->body);
  if (s->error_body)
    g_byte_array_unref (s->error_body);
  gst_acs_sse_parser_clear (&s->parser);
  g_free (s);
}

static gboolean
reconnect_cb (gpointer data)
{
  GstAcsSignal *self = data;

  g_clear_pointer (&self->reconnect_source, g_source_unref);
  acs_signal_stream_connect (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (GstAcsSignal * self, const gchar * why)
{
  guint64 delay = self->interval;

  if (self->server_retry > 0)
    delay = MAX (delay, (guint64) self->server_retry);
  delay <<= MIN (self->attempts, 16);
  delay = MIN (delay, MAX_RECONNECT_DELAY_MS);
  self->attempts++;

  GST_INFO_OBJECT (self, "event stream lost (%s): reconnecting in %"
      G_GUINT64_FORMAT " ms, attempt %u", why, delay, self->attempts);
  self->reconnect_source = g_timeout_source_new (delay);
  g_source_set_callback (self->reconnect_source, reconnect_cb, self, NULL);
  g_source_attach (self->reconnect_source, g_main_context_get_thread_default
      ());
  acs_signal_post_element_message (self, gst_structure_new ("acs-signal-stream",
          "state", G_TYPE_STRING, "reconnecting", "retry-in", G_TYPE_UINT,
          (guint) delay, "attempt", G_TYPE_UINT, self->attempts, NULL));
}

/* The stream @s broke (@err NULL: the server ended it) */
static void
stream_failed (Stream * s, const GError * err)
{
  GstAcsSignal *self = s->self;

  if (self->stream != s || g_cancellable_is_cancelled (s->cancellable)) {
    acs_signal_stream_free (s);
    return;
  }
  self->stream = NULL;
  if (acs_signal_is_tls_failure (self, err)) {
    acs_signal_post_tls_error (self, err, "event stream");
  } else if (!self->ever_connected) {
    GError *closed = NULL;

    if (err == NULL)
      closed = g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
          "the controller closed the connection");
    acs_signal_post_network_error (self, GST_MESSAGE_ERROR, err ? err : closed,
        "event stream");
    g_clear_error (&closed);
  } else {
    schedule_reconnect (self, err ? err->message : "closed by the server");
  }
  acs_signal_stream_free (s);
}

static void read_next_line (Stream * s);

static void
on_line (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Stream *s = user_data;
  GstAcsSignal *self = s->self;
  GError *err = NULL;
  gchar *line;
  gsize len;
  GstAcsSseEvent *ev = NULL;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source),
      res, &len, &err);
  self->n_pending--;
  if (g_cancellable_is_cancelled (s->cancellable) || self->stream != s) {
    g_free (line);
    g_clear_error (&err);
    acs_signal_stream_free (s);
    return;
  }
  if (line == NULL) {
    stream_failed (s, err);
    g_clear_error (&err);
    return;
  }

  GST_TRACE_OBJECT (self, "line of %" G_GSIZE_FORMAT " bytes", len);
  if (!gst_acs_sse_parser_feed_line (&s->parser, line, &ev, &err)) {
    GST_WARNING_OBJECT (self, "event stream: %s", err->message);
    g_clear_error (&err);
    g_free (line);
    /* Drop this connection; the reconnection asks for the event again */
    g_cancellable_cancel (s->cancellable);
    self->stream = NULL;
    schedule_reconnect (self, "event too large");
    acs_signal_stream_free (s);
    return;
  }
  g_free (line);
  if (gst_acs_sse_parser_get_retry (&s->parser) > 0)
    self->server_retry = gst_acs_sse_parser_get_retry (&s->parser);
  if (ev) {
    g_free (self->last_event_id);
    self->last_event_id = g_strdup (ev->id);
    handle_event (self, ev);
    gst_acs_sse_event_free (ev);
  }
  /* A handler may have stopped the element */
  if (self->stream == s && !g_cancellable_is_cancelled (s->cancellable))
    read_next_line (s);
  else
    acs_signal_stream_free (s);
}

static void
read_next_line (Stream * s)
{
  s->self->n_pending++;
  g_data_input_stream_read_line_async (s->data, G_PRIORITY_DEFAULT,
      s->cancellable, on_line, s);
}

static void
stream_http_error (Stream * s)
{
  GstAcsSignal *self = s->self;
  guint status = soup_message_get_status (s->msg);
  JsonNode *root = NULL;
  JsonObject *error_obj;
  const gchar *code, *message;

  if (self->stream != s) {
    acs_signal_stream_free (s);
    return;
  }
  self->stream = NULL;
  /* A proxy in front of a restarting controller */
  if (self->ever_connected && (status == 502 || status == 503 || status == 504)) {
    gchar *why = g_strdup_printf ("HTTP %u", status);

    schedule_reconnect (self, why);
    g_free (why);
    acs_signal_stream_free (s);
    return;
  }
  if (s->error_body)
    root = acs_signal_parse_object ((const gchar *) s->error_body->data,
        s->error_body->len);
  error_obj =
      acs_signal_get_object (root ? json_node_get_object (root) : NULL,
      "error");
  code = acs_signal_get_string (error_obj, "code");
  message = acs_signal_get_string (error_obj, "message");
  if (message == NULL)
    message = soup_message_get_reason_phrase (s->msg);
  acs_signal_post_http_error (self, GST_MESSAGE_ERROR, status, code, message,
      "the event stream");
  g_clear_pointer (&root, json_node_unref);
  acs_signal_stream_free (s);
}

static void
on_error_body (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Stream *s = user_data;
  GBytes *bytes;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), res, NULL);
  s->self->n_pending--;
  if (g_cancellable_is_cancelled (s->cancellable)) {
    g_clear_pointer (&bytes, g_bytes_unref);
    acs_signal_stream_free (s);
    return;
  }
  if (bytes && g_bytes_get_size (bytes) > 0
      && s->error_body->len < MAX_BODY_SIZE) {
    g_byte_array_append (s->error_body, g_bytes_get_data (bytes, NULL),
        g_bytes_get_size (bytes));
    g_bytes_unref (bytes);
    s->self->n_pending++;
    g_input_stream_read_bytes_async (s->body, 4096, G_PRIORITY_DEFAULT,
        s->cancellable, on_error_body, s);
    return;
  }
  g_clear_pointer (&bytes, g_bytes_unref);
  stream_http_error (s);
}

static void
on_stream_sent (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Stream *s = user_data;
  GstAcsSignal *self = s->self;
  GError *err = NULL;
  GInputStream *in;
  const gchar *ctype;
  guint status;

  in = soup_session_send_finish (SOUP_SESSION (source), res, &err);
  self->n_pending--;
  if (in == NULL) {
    stream_failed (s, err);
    g_clear_error (&err);
    return;
  }
  if (g_cancellable_is_cancelled (s->cancellable) || self->stream != s) {
    g_object_unref (in);
    acs_signal_stream_free (s);
    return;
  }

  status = soup_message_get_status (s->msg);
  ctype = soup_message_headers_get_content_type
      (soup_message_get_response_headers (s->msg), NULL);
  if (status != 200) {
    GST_DEBUG_OBJECT (self, "event stream: HTTP %u", status);
    s->body = in;
    s->error_body = g_byte_array_new ();
    self->n_pending++;
    g_input_stream_read_bytes_async (s->body, 4096, G_PRIORITY_DEFAULT,
        s->cancellable, on_error_body, s);
    return;
  }
  if (g_strcmp0 (ctype, "text/event-stream") != 0) {
    g_object_unref (in);
    self->stream = NULL;
    acs_signal_post_controller_message (self, GST_MESSAGE_ERROR,
        GST_RESOURCE_ERROR_FAILED,
        g_strdup ("The controller sent no event stream"),
        g_strdup_printf ("GET /v1/events: Content-Type %s",
            GST_STR_NULL (ctype)), status, "invalid_response", "http",
        "the event stream");
    acs_signal_stream_free (s);
    return;
  }

  GST_INFO_OBJECT (self, "event stream connected (last event id %s)",
      GST_STR_NULL (self->last_event_id));
  self->ever_connected = TRUE;
  self->attempts = 0;
  s->data = g_data_input_stream_new (in);
  g_object_unref (in);
  g_data_input_stream_set_newline_type (s->data,
      G_DATA_STREAM_NEWLINE_TYPE_ANY);
  acs_signal_post_element_message (self, gst_structure_new ("acs-signal-stream",
          "state", G_TYPE_STRING, "connected", "last-event-id",
          G_TYPE_STRING, self->last_event_id, NULL));
  if (self->stream == s)
    read_next_line (s);
  else
    acs_signal_stream_free (s);
}

/* Element's thread */
void
acs_signal_stream_connect (GstAcsSignal * self)
{
  Stream *s;
  SoupMessageHeaders *headers;

  if (self->session == NULL)
    return;
  s = g_new0 (Stream, 1);
  s->self = self;
  s->msg = acs_signal_new_message (self, "GET", "/v1/events", NULL);
  if (s->msg == NULL) {
    acs_signal_post_controller_message (self, GST_MESSAGE_ERROR,
        GST_RESOURCE_ERROR_SETTINGS, g_strdup ("Invalid controller URI"),
        g_strdup ("could not build the event stream URI"), 0, "invalid_uri",
        "settings", "the event stream");
    g_free (s);
    return;
  }
  s->cancellable = g_cancellable_new ();
  gst_acs_sse_parser_init (&s->parser, self->last_event_id);
  headers = soup_message_get_request_headers (s->msg);
  soup_message_headers_replace (headers, "Accept", "text/event-stream");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  if (self->last_event_id)
    soup_message_headers_replace (headers, "Last-Event-ID",
        self->last_event_id);
  GST_DEBUG_OBJECT (self, "connecting the event stream, last event id %s",
      GST_STR_NULL (self->last_event_id));
  self->stream = s;
  self->n_pending++;
  soup_session_send_async (self->session, s->msg, G_PRIORITY_DEFAULT,
      s->cancellable, on_stream_sent, s);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: event logs and Server-Sent Events streams
 *
 * Every event goes into two logs: the recipient's user log
 * (`GET /v1/events`) and the log of the call for that recipient
 * (`GET /v1/calls/{id}/events`). A log numbers its events from 1 and
 * keeps the last ACS_EVENT_LOG_SIZE in a ring, so that a client that
 * reconnects with Last-Event-ID gets every later event exactly once, or
 * `stream.reset` when the ones it missed are gone.
 *
 * A stream is a chunked `text/event-stream` response: the handler
 * appends the backlog and returns, and every later event or heartbeat is
 * appended to the response body (not accumulated, so libsoup frees each
 * chunk once written) followed by soup_server_message_unpause(). A
 * stream ends when the client goes away ("finished"), when it falls
 * ACS_EVENT_STREAM_MAX_PENDING bytes behind, when its call is forgotten
 * and at shutdown.
 *
 * Single-threaded: everything runs in the controller's main loop. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acseventhub.h"

#include <stdlib.h>
#include <errno.h>
#include <string.h>

/* A power of two dividing ACS_EVENT_LOG_SIZE */
#define EVENT_LOG_FIRST_CAPACITY 8

typedef struct
{
  guint64 id;                   /* 0: empty slot */
  gchar *call_id;
  gchar *type;
  gchar *data;
} AcsEvent;

typedef struct
{
  gchar *key;                   /* user, or "<call id>/<user>" */
  gchar *call_id;               /* NULL for a user log */
  guint64 next_id;              /* id of the next event, from 1 */
  guint count;                  /* events in ring, at most ACS_EVENT_LOG_SIZE */
  /* event n at index n % capacity; the ring starts small and doubles up to
   * ACS_EVENT_LOG_SIZE: a call's log holds a dozen events, and a full
   * ring allocated up front was 8 KiB per party and call */
  AcsEvent *ring;
  guint capacity;
  GList *streams;               /* AcsEventStream, not owned */
} AcsEventLog;

typedef struct
{
  AcsEventHub *hub;
  AcsEventLog *log;
  SoupServerMessage *msg;       /* owned reference */
  gchar *user;
  gsize pending;                /* appended, not yet written */
  gboolean ending;              /* body completed, waiting for "finished" */
} AcsEventStream;

struct _AcsEventHub
{
  GHashTable *user_logs;        /* user -> AcsEventLog */
  GHashTable *call_logs;        /* "<call id>/<user>" -> AcsEventLog */
  GHashTable *streams_per_user; /* user -> count (GUINT_TO_POINTER) */
  /* user without an open stream -> when the last one closed (monotonic
   * microseconds, in a gint64 *), for the session timers of the calls;
   * kept presence_window_us, pruned at heartbeats */
  GHashTable *last_closed;
  gint64 presence_window_us;
  GList *streams;               /* all AcsEventStream, owned */
  guint n_streams;
  guint max_streams_per_user;
  guint heartbeat_id;
  AcsEventCallIsLive call_is_live;
  gpointer user_data;
};

static void
event_clear (AcsEvent * event)
{
  g_clear_pointer (&event->call_id, g_free);
  g_clear_pointer (&event->type, g_free);
  g_clear_pointer (&event->data, g_free);
  event->id = 0;
}

static AcsEventLog *
event_log_new (const gchar * key, const gchar * call_id)
{
  AcsEventLog *log = g_new0 (AcsEventLog, 1);

  log->key = g_strdup (key);
  log->call_id = g_strdup (call_id);
  log->next_id = 1;
  log->capacity = EVENT_LOG_FIRST_CAPACITY;
  log->ring = g_new0 (AcsEvent, log->capacity);
  return log;
}

static void
event_log_free (AcsEventLog * log)
{
  guint i;

  /* Streams are detached before: acs_event_hub_forget_call(), free */
  g_assert (log->streams == NULL);
  for (i = 0; i < log->capacity; i++)
    event_clear (&log->ring[i]);
  g_free (log->ring);
  g_free (log->key);
  g_free (log->call_id);
  g_free (log);
}

static const AcsEvent *
event_log_get (AcsEventLog * log, guint64 id)
{
  const AcsEvent *event = &log->ring[id % log->capacity];

  return event->id == id ? event : NULL;
}

/* Doubles the ring of a full @log, keeping its events */
static void
event_log_grow (AcsEventLog * log)
{
  guint capacity = log->capacity * 2;
  AcsEvent *ring = g_new0 (AcsEvent, capacity);
  guint64 id;

  for (id = log->next_id - log->count; id < log->next_id; id++)
    ring[id % capacity] = log->ring[id % log->capacity];
  g_free (log->ring);
  log->ring = ring;
  log->capacity = capacity;
}

static guint64
event_log_first_id (AcsEventLog * log)
{
  return log->next_id - log->count;
}

static gchar *
event_format (const AcsEvent * event)
{
  return g_strdup_printf ("id: %" G_GUINT64_FORMAT "\nevent: %s\ndata: %s\n\n",
      event->id, event->type, event->data);
}

static void
stream_free (AcsEventStream * stream)
{
  g_signal_handlers_disconnect_by_data (stream->msg, stream);
  g_object_unref (stream->msg);
  g_free (stream->user);
  g_free (stream);
}

/* Stops sending to @stream; it stays in hub->streams until freed. */
static void
stream_detach (AcsEventStream * stream)
{
  AcsEventHub *hub = stream->hub;
  guint n;

  if (stream->log == NULL)
    return;
  stream->log->streams = g_list_remove (stream->log->streams, stream);
  stream->log = NULL;
  n = GPOINTER_TO_UINT (g_hash_table_lookup (hub->streams_per_user,
          stream->user));
  if (n <= 1) {
    gint64 *closed = g_new (gint64, 1);

    g_hash_table_remove (hub->streams_per_user, stream->user);
    *closed = g_get_monotonic_time ();
    g_hash_table_insert (hub->last_closed, g_strdup (stream->user), closed);
  } else
    g_hash_table_insert (hub->streams_per_user, g_strdup (stream->user),
        GUINT_TO_POINTER (n - 1));
  hub->n_streams--;
}

static void
stream_end (AcsEventStream * stream)
{
  if (stream->ending)
    return;
  stream->ending = TRUE;
  stream_detach (stream);
  soup_message_body_complete (soup_server_message_get_response_body
      (stream->msg));
  soup_server_message_unpause (stream->msg);
}

static void
stream_write (AcsEventStream * stream, gchar * text)
{
  gsize len = strlen (text);

  if (stream->ending) {
    g_free (text);
    return;
  }
  if (stream->pending + len > ACS_EVENT_STREAM_MAX_PENDING) {
    g_info ("event stream of %s is %" G_GSIZE_FORMAT " bytes behind, ending "
        "it", stream->user, stream->pending);
    g_free (text);
    stream_end (stream);
    return;
  }
  stream->pending += len;
  soup_message_body_append_take (soup_server_message_get_response_body
      (stream->msg), (guchar *) text, len);
  soup_server_message_unpause (stream->msg);
}

static void
on_wrote_body_data (SoupServerMessage * msg, guint chunk_size,
    AcsEventStream * stream)
{
  stream->pending -= MIN (stream->pending, chunk_size);
}

static void
on_finished (SoupServerMessage * msg, AcsEventStream * stream)
{
  AcsEventHub *hub = stream->hub;

  stream_detach (stream);
  hub->streams = g_list_remove (hub->streams, stream);
  stream_free (stream);
}

static void
publish_to_log (AcsEventLog * log, const gchar * call_id, const gchar * type,
    const gchar * data)
{
  AcsEvent *event;
  GList *l;

  if (log->count == log->capacity && log->capacity < ACS_EVENT_LOG_SIZE)
    event_log_grow (log);
  event = &log->ring[log->next_id % log->capacity];
  event_clear (event);
  event->id = log->next_id++;
  event->call_id = g_strdup (call_id);
  event->type = g_strdup (type);
  event->data = g_strdup (data);
  if (log->count < ACS_EVENT_LOG_SIZE)
    log->count++;

  for (l = log->streams; l != NULL;) {
    AcsEventStream *stream = l->data;

    /* stream_write() may end the stream, which removes it from the list */
    l = l->next;
    stream_write (stream, event_format (event));
  }
}

static AcsEventLog *
get_user_log (AcsEventHub * hub, const gchar * user)
{
  AcsEventLog *log = g_hash_table_lookup (hub->user_logs, user);

  if (log == NULL) {
    log = event_log_new (user, NULL);
    g_hash_table_insert (hub->user_logs, log->key, log);
  }
  return log;
}

static AcsEventLog *
get_call_log (AcsEventHub * hub, const gchar * call_id, const gchar * user)
{
  g_autofree gchar *key = g_strdup_printf ("%s/%s", call_id, user);
  AcsEventLog *log = g_hash_table_lookup (hub->call_logs, key);

  if (log == NULL) {
    log = event_log_new (key, call_id);
    g_hash_table_insert (hub->call_logs, log->key, log);
  }
  return log;
}

/**
 * acs_event_hub_publish:
 * @hub: the hub
 * @user: the recipient
 * @call_id: the call the event is about
 * @type: the event type (`call.incoming`, ...)
 * @data: the event data, one line of JSON
 *
 * Adds an event to the logs of @user and of @call_id for @user, and
 * sends it to their open streams.
 */
void
acs_event_hub_publish (AcsEventHub * hub, const gchar * user,
    const gchar * call_id, const gchar * type, const gchar * data)
{
  g_return_if_fail (strchr (data, '\n') == NULL);

  publish_to_log (get_user_log (hub, user), call_id, type, data);
  publish_to_log (get_call_log (hub, call_id, user), call_id, type, data);
}

static gboolean
parse_last_event_id (const gchar * str, guint64 * id)
{
  gchar *end = NULL;

  if (str == NULL || !g_ascii_isdigit (str[0]) || strlen (str) > 20)
    return FALSE;
  errno = 0;
  *id = g_ascii_strtoull (str, &end, 10);
  return errno == 0 && end != NULL && *end == '\0';
}

/**
 * acs_event_hub_open_stream:
 * @hub: the hub
 * @msg: a `GET` request for events
 * @user: the token's user
 * @call_id: (nullable): the call for `GET /v1/calls/{id}/events` (the
 *   caller checked that @user is a party), %NULL for `GET /v1/events`
 * @last_event_id: (nullable): the request's Last-Event-ID
 * @error: (out) (optional) (transfer full): the API error
 *
 * Turns @msg into an event stream: 200, the backlog (the events after
 * @last_event_id; without one, the events of the calls still going on),
 * then every new event and a heartbeat.
 *
 * Returns: whether the stream is open; on %FALSE @msg is untouched.
 */
gboolean
acs_event_hub_open_stream (AcsEventHub * hub, SoupServerMessage * msg,
    const gchar * user, const gchar * call_id, const gchar * last_event_id,
    AcsApiError ** error)
{
  AcsEventStream *stream;
  AcsEventLog *log;
  SoupMessageHeaders *headers;
  guint64 last = 0, first, id;
  guint n;

  if (last_event_id != NULL && !parse_last_event_id (last_event_id, &last)) {
    if (error)
      *error = acs_api_error_new (400, "invalid_field", "Last-Event-ID",
          "header 'Last-Event-ID' must be a decimal event id");
    return FALSE;
  }
  n = GPOINTER_TO_UINT (g_hash_table_lookup (hub->streams_per_user, user));
  if (n >= hub->max_streams_per_user) {
    if (error)
      *error = acs_api_error_new (429, "too_many_streams", NULL,
          "at most %u event streams per user", hub->max_streams_per_user);
    return FALSE;
  }

  log = call_id ? get_call_log (hub, call_id, user) : get_user_log (hub, user);
  stream = g_new0 (AcsEventStream, 1);
  stream->hub = hub;
  stream->log = log;
  stream->msg = g_object_ref (msg);
  stream->user = g_strdup (user);
  log->streams = g_list_append (log->streams, stream);
  hub->streams = g_list_prepend (hub->streams, stream);
  g_hash_table_insert (hub->streams_per_user, g_strdup (user),
      GUINT_TO_POINTER (n + 1));
  g_hash_table_remove (hub->last_closed, user);
  hub->n_streams++;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  headers = soup_server_message_get_response_headers (msg);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_body_set_accumulate (soup_server_message_get_response_body
      (msg), FALSE);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data),
      stream);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), stream);

  /* The first chunk goes out with the headers, so that the client knows
   * at once that the stream is open. */
  stream_write (stream, g_strdup (": stream open\n\n"));

  first = event_log_first_id (log);
  if (last_event_id != NULL) {
    if (last + 1 < first || last >= log->next_id) {
      /* Events were lost (or the id is from another life of the
       * controller): say so, then send what is left. */
      stream_write (stream, g_strdup_printf ("event: stream.reset\n"
              "data: {\"first_id\": %" G_GUINT64_FORMAT ", \"last_id\": %"
              G_GUINT64_FORMAT "}\n\n", first, log->next_id - 1));
      last = first - 1;
    }
    for (id = last + 1; id < log->next_id; id++)
      stream_write (stream, event_format (event_log_get (log, id)));
  } else {
    for (id = first; id < log->next_id; id++) {
      const AcsEvent *event = event_log_get (log, id);

      if (hub->call_is_live (event->call_id, hub->user_data))
        stream_write (stream, event_format (event));
    }
  }
  return TRUE;
}

static gboolean
log_has_live_call (AcsEventHub * hub, AcsEventLog * log)
{
  guint64 id;

  for (id = event_log_first_id (log); id < log->next_id; id++)
    if (hub->call_is_live (event_log_get (log, id)->call_id, hub->user_data))
      return TRUE;
  return FALSE;
}

/**
 * acs_event_hub_forget_call:
 * @hub: the hub
 * @call_id: a call the controller forgets
 * @users: (array zero-terminated=1): its parties
 *
 * Drops the call's logs and ends their streams, and the user logs of
 * @users nobody listens to that hold no event of a live call, so that
 * memory does not grow with the number of users ever seen.
 */
void
acs_event_hub_forget_call (AcsEventHub * hub, const gchar * call_id,
    const gchar * const *users)
{
  for (; *users != NULL; users++) {
    g_autofree gchar *key = g_strdup_printf ("%s/%s", call_id, *users);
    AcsEventLog *log = g_hash_table_lookup (hub->call_logs, key);

    if (log != NULL) {
      while (log->streams != NULL)
        stream_end (log->streams->data);
      g_hash_table_remove (hub->call_logs, key);
    }
    log = g_hash_table_lookup (hub->user_logs, *users);
    if (log != NULL && log->streams == NULL && !log_has_live_call (hub, log))
      g_hash_table_remove (hub->user_logs, *users);
  }
}

static gboolean
heartbeat (gpointer user_data)
{
  AcsEventHub *hub = user_data;
  GHashTableIter iter;
  gpointer closed;
  gint64 now = g_get_monotonic_time ();
  GList *l;

  for (l = hub->streams; l != NULL; l = l->next)
    stream_write (l->data, g_strdup (": ping\n\n"));

  /* Older closings can no longer keep a session alive */
  g_hash_table_iter_init (&iter, hub->last_closed);
  while (g_hash_table_iter_next (&iter, NULL, &closed))
    if (now - *(gint64 *) closed > hub->presence_window_us)
      g_hash_table_iter_remove (&iter);
  return G_SOURCE_CONTINUE;
}

/**
 * acs_event_hub_new:
 * @max_streams_per_user: open streams allowed per user
 * @heartbeat_ms: interval of the `: ping` comments
 * @call_is_live: (scope notified): tells which calls are going on
 * @user_data: passed to @call_is_live
 *
 * Returns: (transfer full): a new hub.
 */
AcsEventHub *
acs_event_hub_new (guint max_streams_per_user, guint heartbeat_ms,
    AcsEventCallIsLive call_is_live, gpointer user_data)
{
  AcsEventHub *hub = g_new0 (AcsEventHub, 1);

  hub->user_logs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) event_log_free);
  hub->call_logs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) event_log_free);
  hub->streams_per_user = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  hub->last_closed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  hub->presence_window_us = G_MAXINT64;
  hub->max_streams_per_user = max_streams_per_user;
  hub->call_is_live = call_is_live;
  hub->user_data = user_data;
  hub->heartbeat_id = g_timeout_add (heartbeat_ms, heartbeat, hub);
  return hub;
}

/**
 * acs_event_hub_get_n_streams:
 * @hub: the hub
 *
 * Returns: the number of open event streams.
 */
guint
acs_event_hub_get_n_streams (AcsEventHub * hub)
{
  return hub->n_streams;
}

/**
 * acs_event_hub_get_user_seen:
 * @hub: the hub
 * @user: a user
 * @now: the monotonic time, microseconds
 *
 * A user with an open event stream (any, for the user or for one call)
 * has a client that is still there. The session timers of active calls
 * count it as a sign of life, as a refresh request.
 *
 * Returns: @now when @user has an open stream, else when the last one
 *   closed (monotonic microseconds), 0 when none closed within the
 *   presence window.
 */
gint64
acs_event_hub_get_user_seen (AcsEventHub * hub, const gchar * user, gint64 now)
{
  gint64 *closed;

  if (g_hash_table_contains (hub->streams_per_user, user))
    return now;
  closed = g_hash_table_lookup (hub->last_closed, user);
  return closed ? *closed : 0;
}

/**
 * acs_event_hub_set_presence_window:
 * @hub: the hub
 * @window_us: how long the closing time of a user's last stream is kept,
 *   microseconds
 *
 * Bounds the memory of acs_event_hub_get_user_seen(): the longest session
 * expiry of the calls is enough.
 */
void
acs_event_hub_set_presence_window (AcsEventHub * hub, gint64 window_us)
{
  hub->presence_window_us = window_us;
}

/**
 * acs_event_hub_close_streams:
 * @hub: the hub
 *
 * Ends every stream (at shutdown); they are freed when libsoup finishes
 * their messages, or by acs_event_hub_free().
 */
void
acs_event_hub_close_streams (AcsEventHub * hub)
{
  GList *l;

  for (l = hub->streams; l != NULL; l = l->next)
    stream_end (l->data);
}

/**
 * acs_event_hub_free:
 * @hub: (transfer full) (nullable): the hub
 *
 * Frees @hub, its logs and the streams libsoup has not finished.
 */
void
acs_event_hub_free (AcsEventHub * hub)
{
  if (hub == NULL)
    return;
  acs_event_hub_close_streams (hub);
  g_list_free_full (hub->streams, (GDestroyNotify) stream_free);
  g_source_remove (hub->heartbeat_id);
  g_hash_table_unref (hub->call_logs);
  g_hash_table_unref (hub->user_logs);
  g_hash_table_unref (hub->streams_per_user);
  g_hash_table_unref (hub->last_closed);
  g_free (hub);
}

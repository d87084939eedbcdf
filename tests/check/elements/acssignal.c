/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: acssignal unit tests against an in-test HTTPS controller
 * (SoupServer on 127.0.0.1, an ephemeral port, a certificate made with
 * openssl at test time)
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/sdp/sdp.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#define TIMEOUT_MS 10000

/* A JWT for alice: unsigned for our purposes, the test server compares it
 * as a string. The signature part is what must never reach a log. */
#define TOKEN_SIGNATURE "SECRETsig-Zq8vN3kLw0pYt5RuXe2HcJd7Fb"
#define TURN_CREDENTIAL "wxgi/U9s+Tq=="

static gchar *
b64url (const gchar * s)
{
  gchar *b = g_base64_encode ((const guchar *) s, strlen (s));
  gchar *p;

  g_strdelimit (b, "+", '-');
  g_strdelimit (b, "/", '_');
  p = strchr (b, '=');
  if (p)
    *p = '\0';
  return b;
}

static gchar *
make_token (const gchar * user)
{
  gchar *payload = g_strdup_printf ("{\"sub\":\"%s\",\"scope\":[\"call\"],"
      "\"iat\":1700000000,\"exp\":4000000000}", user);
  gchar *h = b64url ("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
  gchar *p = b64url (payload);
  gchar *token = g_strdup_printf ("%s.%s.%s", h, p, TOKEN_SIGNATURE);

  g_free (payload);
  g_free (h);
  g_free (p);
  return token;
}

/* ------------------------------------------------------------------------
 * Certificates
 * ------------------------------------------------------------------------ */

typedef struct
{
  gchar *dir;
  gchar *cert;
  gchar *key;
  gchar *other_cert;
} Certs;

static void
openssl_cert (const gchar * dir, const gchar * name)
{
  gchar *key = g_strdup_printf ("%s/%s.key", dir, name);
  gchar *cert = g_strdup_printf ("%s/%s.pem", dir, name);
  const gchar *argv[] = { "openssl", "req", "-x509", "-newkey", "ec",
    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
    "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost", NULL
  };
  gint status = -1;
  GError *err = NULL;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
          G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &err),
      "openssl: %s", err ? err->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL), "openssl failed");
  g_free (key);
  g_free (cert);
}

static Certs *
certs_new (void)
{
  Certs *c = g_new0 (Certs, 1);

  c->dir = g_dir_make_tmp ("acssignal-XXXXXX", NULL);
  fail_unless (c->dir != NULL);
  openssl_cert (c->dir, "server");
  openssl_cert (c->dir, "other");
  c->cert = g_strdup_printf ("%s/server.pem", c->dir);
  c->key = g_strdup_printf ("%s/server.key", c->dir);
  c->other_cert = g_strdup_printf ("%s/other.pem", c->dir);
  return c;
}

static void
certs_free (Certs * c)
{
  const gchar *names[] = { "server.pem", "server.key", "other.pem",
    "other.key"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    gchar *p = g_build_filename (c->dir, names[i], NULL);
    g_unlink (p);
    g_free (p);
  }
  g_rmdir (c->dir);
  g_free (c->dir);
  g_free (c->cert);
  g_free (c->key);
  g_free (c->other_cert);
  g_free (c);
}

/* ------------------------------------------------------------------------
 * The test controller: a SoupServer in a thread of its own
 * ------------------------------------------------------------------------ */

typedef struct
{
  guint status;
  gchar *body;
} Reply;

typedef struct
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  SoupServer *server;
  guint port;
  gchar *token;                 /* the Authorization the server accepts */

  GMutex lock;
  GCond cond;
  /* Protected by lock */
  GPtrArray *requests;          /* "METHOD /path body" */
  GHashTable *client_ports;     /* the client ports seen: one a connection */
  gchar *place_key;             /* Idempotency-Key of the last POST /v1/calls */
  GPtrArray *last_event_ids;    /* Last-Event-ID of each stream, "" if none */
  GHashTable *replies;          /* "METHOD /path" -> Reply */
  guint events_status;          /* 0: serve the stream */
  gchar *place_call_event;      /* sent on the stream before the reply */

  /* Server thread only */
  SoupServerMessage *stream;
} TestServer;

static void
reply_free (Reply * r)
{
  g_free (r->body);
  g_free (r);
}

static void
error_json (SoupServerMessage * msg, guint status, const gchar * code)
{
  gchar *body = g_strdup_printf ("{\"error\": {\"status\": %u, \"code\": "
      "\"%s\", \"message\": \"test %s\"}}", status, code, code);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, body, strlen (body));
}

static void
on_stream_finished (SoupServerMessage * msg, TestServer * srv)
{
  if (srv->stream == msg)
    srv->stream = NULL;
}

static void
server_handler (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  TestServer *srv = user_data;
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const gchar *auth = soup_message_headers_get_one (req, "Authorization");
  const gchar *method = soup_server_message_get_method (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  gchar *expected = g_strconcat ("Bearer ", srv->token, NULL);
  gchar *key = g_strdup_printf ("%s %s", method, path);
  Reply *reply;

  g_mutex_lock (&srv->lock);
  g_ptr_array_add (srv->requests, g_strdup_printf ("%s %.*s", key,
          (int) body->length, body->data ? body->data : ""));
  /* A request whose connection was cut meanwhile (test_server_outage) has
   * no socket left to ask */
  if (soup_server_message_get_socket (msg) != NULL)
    g_hash_table_add (srv->client_ports, GUINT_TO_POINTER
        (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS
                (soup_server_message_get_remote_address (msg)))));
  if (strcmp (key, "POST /v1/calls") == 0) {
    g_free (srv->place_key);
    srv->place_key =
        g_strdup (soup_message_headers_get_one (req, "Idempotency-Key"));
  }
  g_cond_broadcast (&srv->cond);

  if (g_strcmp0 (auth, expected) != 0) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "WWW-Authenticate", "Bearer");
    error_json (msg, 401, "unauthorized");
  } else if (strcmp (key, "GET /v1/events") == 0) {
    const gchar *last = soup_message_headers_get_one (req, "Last-Event-ID");

    if (srv->events_status) {
      error_json (msg, srv->events_status, srv->events_status == 401 ?
          "unauthorized" : "internal");
    } else {
      SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);

      g_ptr_array_add (srv->last_event_ids, g_strdup (last ? last : ""));
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_set_content_type (resp, "text/event-stream", NULL);
      soup_message_headers_set_encoding (resp, SOUP_ENCODING_CHUNKED);
      soup_message_body_append (soup_server_message_get_response_body (msg),
          SOUP_MEMORY_STATIC, ": hello\n\n", 9);
      srv->stream = msg;
      g_signal_connect (msg, "finished", G_CALLBACK (on_stream_finished), srv);
    }
  } else if ((reply = g_hash_table_lookup (srv->replies, key))) {
    if (strcmp (key, "POST /v1/calls") == 0 && srv->place_call_event
        && srv->stream) {
      /* The callee rings before the caller has the reply */
      soup_message_body_append (soup_server_message_get_response_body
          (srv->stream), SOUP_MEMORY_COPY, srv->place_call_event,
          strlen (srv->place_call_event));
      soup_server_message_unpause (srv->stream);
    }
    soup_server_message_set_status (msg, reply->status, NULL);
    soup_server_message_set_response (msg, "application/json",
        SOUP_MEMORY_COPY, reply->body, strlen (reply->body));
  } else {
    error_json (msg, 404, "not_found");
  }
  g_mutex_unlock (&srv->lock);
  g_free (expected);
  g_free (key);
}

static gpointer
server_thread (gpointer data)
{
  TestServer *srv = data;

  g_main_context_push_thread_default (srv->context);
  g_main_loop_run (srv->loop);
  g_main_context_pop_thread_default (srv->context);
  return NULL;
}

typedef struct
{
  TestServer *srv;
  Certs *certs;
  gboolean done;
} ServerStart;

static gboolean
server_start (gpointer data)
{
  ServerStart *st = data;
  TestServer *srv = st->srv;
  GError *err = NULL;
  GTlsCertificate *cert;
  GSList *uris;

  cert = g_tls_certificate_new_from_files (st->certs->cert, st->certs->key,
      &err);
  fail_unless (cert != NULL, "certificate: %s", err ? err->message : "");
  srv->server = soup_server_new ("tls-certificate", cert, NULL);
  g_object_unref (cert);
  soup_server_add_handler (srv->server, NULL, server_handler, srv, NULL);
  fail_unless (soup_server_listen_local (srv->server, 0,
          SOUP_SERVER_LISTEN_IPV4_ONLY | SOUP_SERVER_LISTEN_HTTPS, &err),
      "listen: %s", err ? err->message : "");
  uris = soup_server_get_uris (srv->server);
  srv->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_mutex_lock (&srv->lock);
  st->done = TRUE;
  g_cond_broadcast (&srv->cond);
  g_mutex_unlock (&srv->lock);
  return G_SOURCE_REMOVE;
}

static TestServer *
test_server_new (Certs * certs, const gchar * token)
{
  TestServer *srv = g_new0 (TestServer, 1);
  ServerStart st = { srv, certs, FALSE };

  g_mutex_init (&srv->lock);
  g_cond_init (&srv->cond);
  srv->token = g_strdup (token);
  srv->requests = g_ptr_array_new_with_free_func (g_free);
  srv->client_ports = g_hash_table_new (NULL, NULL);
  srv->last_event_ids = g_ptr_array_new_with_free_func (g_free);
  srv->replies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) reply_free);
  srv->context = g_main_context_new ();
  srv->loop = g_main_loop_new (srv->context, FALSE);
  srv->thread = g_thread_new ("test-server", server_thread, srv);
  g_main_context_invoke (srv->context, server_start, &st);
  g_mutex_lock (&srv->lock);
  while (!st.done)
    g_cond_wait (&srv->cond, &srv->lock);
  g_mutex_unlock (&srv->lock);
  return srv;
}

static gboolean
server_stop (gpointer data)
{
  TestServer *srv = data;

  if (srv->stream) {
    soup_message_body_complete (soup_server_message_get_response_body
        (srv->stream));
    soup_server_message_unpause (srv->stream);
  }
  soup_server_disconnect (srv->server);
  g_main_loop_quit (srv->loop);
  return G_SOURCE_REMOVE;
}

static void
test_server_free (TestServer * srv)
{
  g_main_context_invoke (srv->context, server_stop, srv);
  g_thread_join (srv->thread);
  /* libsoup 3.2 finishes a request's I/O with the server as a plain
   * pointer (soup_server_message_read_request() in soup-server.c): a
   * connection the client cut just before the server stopped still
   * reports to it as the context drains, so the server goes last */
  while (g_main_context_iteration (srv->context, FALSE));
  g_clear_object (&srv->server);
  while (g_main_context_iteration (srv->context, FALSE));
  g_main_loop_unref (srv->loop);
  g_main_context_unref (srv->context);
  g_ptr_array_unref (srv->requests);
  g_hash_table_unref (srv->client_ports);
  g_free (srv->place_key);
  g_ptr_array_unref (srv->last_event_ids);
  g_hash_table_unref (srv->replies);
  g_free (srv->place_call_event);
  g_free (srv->token);
  g_mutex_clear (&srv->lock);
  g_cond_clear (&srv->cond);
  g_free (srv);
}

static gchar *
test_server_uri (TestServer * srv)
{
  return g_strdup_printf ("https://127.0.0.1:%u", srv->port);
}

static void
test_server_set_reply (TestServer * srv, const gchar * key, guint status,
    const gchar * body)
{
  Reply *r = g_new0 (Reply, 1);

  r->status = status;
  r->body = g_strdup (body);
  g_mutex_lock (&srv->lock);
  g_hash_table_replace (srv->replies, g_strdup (key), r);
  g_mutex_unlock (&srv->lock);
}

typedef struct
{
  TestServer *srv;
  gchar *text;
  enum
  { SEND, DROP, END } what;
} StreamOp;

static gboolean
stream_op (gpointer data)
{
  StreamOp *op = data;
  SoupServerMessage *msg = op->srv->stream;

  fail_unless (msg != NULL, "no event stream open");
  switch (op->what) {
    case SEND:
      soup_message_body_append (soup_server_message_get_response_body (msg),
          SOUP_MEMORY_COPY, op->text, strlen (op->text));
      soup_server_message_unpause (msg);
      break;
    case DROP:{
      /* An abrupt loss: the TCP connection goes away mid-stream */
      GIOStream *conn;

      op->srv->stream = NULL;
      conn = soup_server_message_steal_connection (msg);
      g_io_stream_close (conn, NULL, NULL);
      g_object_unref (conn);
      break;
    }
    case END:
      op->srv->stream = NULL;
      soup_message_body_complete (soup_server_message_get_response_body (msg));
      soup_server_message_unpause (msg);
      break;
  }
  g_free (op->text);
  g_free (op);
  return G_SOURCE_REMOVE;
}

static void
test_server_stream (TestServer * srv, gint what, const gchar * text)
{
  StreamOp *op = g_new0 (StreamOp, 1);

  op->srv = srv;
  op->what = what;
  op->text = g_strdup (text);
  g_main_context_invoke (srv->context, stream_op, op);
}

#define stream_send(srv, text) test_server_stream (srv, SEND, text)
#define stream_drop(srv) test_server_stream (srv, DROP, NULL)
#define stream_end(srv) test_server_stream (srv, END, NULL)

/* A controller restarting: the event stream's connection is cut, then
 * for @refused connections the port accepts TCP and closes it before the
 * TLS handshake (the client reads a TLS "not TLS" error), then the
 * controller serves again on the same port */
typedef struct
{
  TestServer *srv;
  GSocketService *service;
  guint refused;
} Outage;

static gboolean
outage_relisten (gpointer data)
{
  Outage *o = data;
  GError *err = NULL;

  g_socket_service_stop (o->service);
  g_socket_listener_close (G_SOCKET_LISTENER (o->service));
  g_object_unref (o->service);
  fail_unless (soup_server_listen_local (o->srv->server, o->srv->port,
          SOUP_SERVER_LISTEN_IPV4_ONLY | SOUP_SERVER_LISTEN_HTTPS, &err),
      "listen again: %s", err ? err->message : "");
  g_free (o);
  return G_SOURCE_REMOVE;
}

static gboolean
outage_incoming (GSocketService * service, GSocketConnection * conn,
    GObject * source, Outage * o)
{
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  if (--o->refused == 0) {
    GSource *idle = g_idle_source_new ();

    g_source_set_callback (idle, outage_relisten, o, NULL);
    g_source_attach (idle, o->srv->context);
    g_source_unref (idle);
  }
  return TRUE;
}

static gboolean
outage_start (gpointer data)
{
  Outage *o = data;
  SoupServerMessage *msg = o->srv->stream;
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, o->srv->port);
  GError *err = NULL;

  if (msg) {
    GSocket *sock = g_object_ref (soup_server_message_get_socket (msg));
    GIOStream *conn;

    o->srv->stream = NULL;
    conn = soup_server_message_steal_connection (msg);
    g_socket_close (sock, NULL);
    g_object_unref (sock);
    g_object_unref (conn);
  }
  soup_server_disconnect (o->srv->server);
  o->service = g_socket_service_new ();
  fail_unless (g_socket_listener_add_address (G_SOCKET_LISTENER (o->service),
          addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, NULL,
          &err), "outage listen: %s", err ? err->message : "");
  g_signal_connect (o->service, "incoming", G_CALLBACK (outage_incoming), o);
  g_socket_service_start (o->service);
  g_object_unref (addr);
  g_object_unref (lo);
  return G_SOURCE_REMOVE;
}

static void
test_server_outage (TestServer * srv, guint refused)
{
  Outage *o = g_new0 (Outage, 1);

  o->srv = srv;
  o->refused = refused;
  g_main_context_invoke (srv->context, outage_start, o);
}

/* Waits until the server has seen @n event stream connections */
static void
wait_streams (TestServer * srv, guint n)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;

  g_mutex_lock (&srv->lock);
  while (srv->last_event_ids->len < n)
    if (!g_cond_wait_until (&srv->cond, &srv->lock, deadline))
      break;
  fail_unless (srv->last_event_ids->len >= n, "%u streams, expected %u",
      srv->last_event_ids->len, n);
  g_mutex_unlock (&srv->lock);
}

/* Waits until the server got a request starting with @prefix; returns
 * its index */
static guint
wait_request (TestServer * srv, const gchar * prefix, guint from)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  guint i;
  gint found = -1;

  g_mutex_lock (&srv->lock);
  while (found < 0) {
    for (i = from; i < srv->requests->len && found < 0; i++)
      if (g_str_has_prefix (g_ptr_array_index (srv->requests, i), prefix))
        found = i;
    if (found < 0 && !g_cond_wait_until (&srv->cond, &srv->lock, deadline))
      break;
  }
  g_mutex_unlock (&srv->lock);
  fail_unless (found >= 0, "no request %s", prefix);
  return found;
}

/* ------------------------------------------------------------------------
 * The element, its bus and its signals
 * ------------------------------------------------------------------------ */

typedef struct
{
  GMutex lock;
  GCond cond;
  GPtrArray *messages;          /* GstMessage, NULL once taken */
  GPtrArray *signals;           /* "name:args" strings */
} Recorder;

static Recorder *recorder;

static GstBusSyncReply
record_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Recorder *r = user_data;

  /* A sync handler that drops a message owns it */
  g_mutex_lock (&r->lock);
  g_ptr_array_add (r->messages, msg);
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
  return GST_BUS_DROP;
}

static void
record_signal (Recorder * r, gchar * text)
{
  g_mutex_lock (&r->lock);
  g_ptr_array_add (r->signals, text);
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
}

static void
on_incoming (GstElement * el, const gchar * id, const gchar * from,
    const gchar * offer, Recorder * r)
{
  record_signal (r, g_strdup_printf ("incoming:%s:%s:%s", id, from, offer));
}

static void
on_ringing (GstElement * el, const gchar * id, Recorder * r)
{
  record_signal (r, g_strdup_printf ("ringing:%s", id));
}

static void
on_answered (GstElement * el, const gchar * id, const gchar * answer,
    Recorder * r)
{
  record_signal (r, g_strdup_printf ("answered:%s:%s", id, answer));
}

static void
on_remote_candidate (GstElement * el, const gchar * id, guint mline,
    const gchar * cand, Recorder * r)
{
  record_signal (r, g_strdup_printf ("candidate:%s:%u:%s", id, mline, cand));
}

static void
on_ended (GstElement * el, const gchar * id, const gchar * reason,
    guint sip, Recorder * r)
{
  record_signal (r, g_strdup_printf ("ended:%s:%s:%u", id, reason, sip));
}

static void
unref_message (gpointer msg)
{
  if (msg)
    gst_message_unref (msg);
}

static GstElement *
make_signal (const gchar * controller, const gchar * token)
{
  GstElement *el = gst_element_factory_make ("acssignal", NULL);
  GstBus *bus;

  fail_unless (el != NULL, "acssignal not found");
  recorder = g_new0 (Recorder, 1);
  g_mutex_init (&recorder->lock);
  g_cond_init (&recorder->cond);
  recorder->messages = g_ptr_array_new_with_free_func (unref_message);
  recorder->signals = g_ptr_array_new_with_free_func (g_free);
  bus = gst_bus_new ();
  gst_bus_set_sync_handler (bus, record_message, recorder, NULL);
  gst_element_set_bus (el, bus);
  gst_object_unref (bus);
  g_signal_connect (el, "on-incoming", G_CALLBACK (on_incoming), recorder);
  g_signal_connect (el, "on-ringing", G_CALLBACK (on_ringing), recorder);
  g_signal_connect (el, "on-answered", G_CALLBACK (on_answered), recorder);
  g_signal_connect (el, "on-remote-candidate",
      G_CALLBACK (on_remote_candidate), recorder);
  g_signal_connect (el, "on-ended", G_CALLBACK (on_ended), recorder);
  g_object_set (el, "controller", controller, "token", token,
      "reconnect-interval", 20, NULL);
  return el;
}

static void
free_signal (GstElement * el)
{
  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_bus (el, NULL);
  gst_object_unref (el);
  g_ptr_array_unref (recorder->messages);
  g_ptr_array_unref (recorder->signals);
  g_mutex_clear (&recorder->lock);
  g_cond_clear (&recorder->cond);
  g_clear_pointer (&recorder, g_free);
}

static gboolean
message_matches (GstMessage * msg, GstMessageType type, const gchar * name,
    const gchar * field, const gchar * value)
{
  const GstStructure *s;

  if (msg == NULL || GST_MESSAGE_TYPE (msg) != type)
    return FALSE;
  if (type != GST_MESSAGE_ELEMENT)
    return TRUE;
  s = gst_message_get_structure (msg);
  if (!gst_structure_has_name (s, name))
    return FALSE;
  return field == NULL
      || g_strcmp0 (gst_structure_get_string (s, field), value) == 0;
}

/* Takes the first message of @type (element: named @name, with
 * @field=@value if given) posted so far or within TIMEOUT_MS */
static GstMessage *
wait_message_full (GstMessageType type, const gchar * name,
    const gchar * field, const gchar * value)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  GstMessage *ret = NULL;
  guint i;

  g_mutex_lock (&recorder->lock);
  while (ret == NULL) {
    for (i = 0; i < recorder->messages->len && ret == NULL; i++) {
      GstMessage *m = g_ptr_array_index (recorder->messages, i);

      if (message_matches (m, type, name, field, value))
        ret = g_steal_pointer (&recorder->messages->pdata[i]);
    }
    if (ret == NULL
        && !g_cond_wait_until (&recorder->cond, &recorder->lock, deadline))
      break;
  }
  g_mutex_unlock (&recorder->lock);
  fail_unless (ret != NULL, "no %s %s message", gst_message_type_get_name
      (type), name ? name : "");
  return ret;
}

#define wait_message(type, name) wait_message_full (type, name, NULL, NULL)

static guint
count_messages (GstMessageType type)
{
  guint i, n = 0;

  g_mutex_lock (&recorder->lock);
  for (i = 0; i < recorder->messages->len; i++) {
    GstMessage *m = g_ptr_array_index (recorder->messages, i);

    if (m && GST_MESSAGE_TYPE (m) == type)
      n++;
  }
  g_mutex_unlock (&recorder->lock);
  return n;
}

/* Waits until @n signals were recorded; returns them joined by '|' */
static gchar *
wait_signals (guint n)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  gchar *ret;

  g_mutex_lock (&recorder->lock);
  while (recorder->signals->len < n)
    if (!g_cond_wait_until (&recorder->cond, &recorder->lock, deadline))
      break;
  g_ptr_array_add (recorder->signals, NULL);
  ret = g_strjoinv ("|", (gchar **) recorder->signals->pdata);
  g_ptr_array_remove_index (recorder->signals, recorder->signals->len - 1);
  g_mutex_unlock (&recorder->lock);
  fail_unless (recorder->signals->len >= n, "only %s", ret);
  return ret;
}

static void
check_error_details (GstMessage * msg, guint status, const gchar * code,
    const gchar * reason)
{
  const GstStructure *details = NULL;
  guint st = 0;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error_details (msg, &details);
  else
    gst_message_parse_warning_details (msg, &details);
  fail_unless (details != NULL, "no details");
  fail_unless (gst_structure_get_uint (details, "http-status", &st));
  fail_unless_equals_int (st, status);
  if (code)
    fail_unless_equals_string (gst_structure_get_string (details, "code"),
        code);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      reason);
}

static void
start (GstElement * el)
{
  fail_unless (gst_element_set_state (el, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
}

/* A running element connected to @srv, its stream open */
static GstElement *
start_connected (TestServer * srv, Certs * certs, const gchar * token)
{
  gchar *uri = test_server_uri (srv);
  GstElement *el = make_signal (uri, token);

  g_object_set (el, "tls-pinned-certificate", certs->cert, NULL);
  start (el);
  gst_message_unref (wait_message_full (GST_MESSAGE_ELEMENT,
          "acs-signal-stream", "state", "connected"));
  g_free (uri);
  return el;
}

static GstStructure *
promise_result (GstPromise * promise)
{
  GstStructure *s;

  fail_unless_equals_int (gst_promise_wait (promise),
      GST_PROMISE_RESULT_REPLIED);
  s = gst_structure_copy (gst_promise_get_reply (promise));
  gst_promise_unref (promise);
  return s;
}

#define CALL_JSON(id, state, caller) \
  "{\"id\": \"" id "\", \"kind\": \"one-to-one\", \"state\": \"" state \
  "\", \"caller\": {\"user\": \"" caller "\"}, \"callees\": [{\"user\": " \
  "\"alice\"}], \"created\": 1795648435, \"end_reason\": null, " \
  "\"sip_status\": 100}"

#define OFFER "v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\ns=-\\r\\nt=0 0\\r\\n" \
  "m=audio 9 RTP/SAVP 0\\r\\n"
#define OFFER_TEXT "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" \
  "m=audio 9 RTP/SAVP 0\r\n"

/* ------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_properties)
{
  GstElement *el = gst_element_factory_make ("acssignal", NULL);
  GParamSpec **props;
  guint n, i, interval;
  gchar *token = make_token ("alice");
  gchar *user = NULL;
  GstElementClass *klass;
  gint state = -1;

  fail_unless (el != NULL);
  klass = GST_ELEMENT_GET_CLASS (el);
  fail_unless (gst_element_class_get_pad_template_list (klass) == NULL);

  props = g_object_class_list_properties (G_OBJECT_GET_CLASS (el), &n);
  for (i = 0; i < n; i++) {
    const gchar *blurb = g_param_spec_get_blurb (props[i]);

    if (props[i]->owner_type != G_OBJECT_TYPE (el))
      continue;
    fail_unless (blurb && strlen (blurb) > 25, "%s", props[i]->name);
    fail_if (g_ascii_strcasecmp (blurb, g_param_spec_get_nick (props[i])) ==
        0, "%s", props[i]->name);
  }
  g_free (props);

  /* The token is write-only; user comes from its sub claim */
  fail_if (g_object_class_find_property (G_OBJECT_GET_CLASS (el),
          "token")->flags & G_PARAM_READABLE);
  g_object_set (el, "token", token, NULL);
  g_object_get (el, "user", &user, "call-state", &state,
      "reconnect-interval", &interval, NULL);
  fail_unless_equals_string (user, "alice");
  fail_unless_equals_int (interval, 1000);
  fail_unless_equals_int (state, 0);    /* idle */
  g_free (user);

  g_object_set (el, "token", "not-a-jwt", NULL);
  g_object_get (el, "user", &user, NULL);
  fail_unless (user == NULL);

  g_object_set (el, "call-id", "abc", "peer", "bob", NULL);
  g_object_get (el, "call-id", &user, NULL);
  fail_unless_equals_string (user, "abc");
  g_free (user);
  g_free (token);
  gst_object_unref (el);
}

GST_END_TEST;

GST_START_TEST (test_bad_controller_uri)
{
  const gchar *bad[] = { "not a uri", "http://127.0.0.1:1", "https://",
    "ftp://example.invalid/", "https://user:pw@127.0.0.1/"
  };
  gchar *token = make_token ("alice");
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GstElement *el = make_signal (bad[i], token);
    GstMessage *msg;
    GError *err = NULL;

    fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PLAYING),
        GST_STATE_CHANGE_FAILURE);
    msg = wait_message (GST_MESSAGE_ERROR, NULL);
    gst_message_parse_error (msg, &err, NULL);
    fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_SETTINGS), "%s: %s", bad[i], err->message);
    g_error_free (err);
    gst_message_unref (msg);
    free_signal (el);
  }
  g_free (token);
}

GST_END_TEST;

GST_START_TEST (test_unreachable_port)
{
  GSocket *sock;
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0), *bound;
  gchar *uri, *token = make_token ("alice");
  GstElement *el;
  GstMessage *msg;
  GError *err = NULL;
  guint port;

  /* A port that was free a moment ago and has no listener now */
  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  fail_unless (g_socket_bind (sock, addr, FALSE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (sock, NULL);
  g_object_unref (sock);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);

  uri = g_strdup_printf ("https://127.0.0.1:%u", port);
  el = make_signal (uri, token);
  start (el);
  msg = wait_message (GST_MESSAGE_ERROR, NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ_WRITE), "%s", err->message);
  check_error_details (msg, 0, "network", "network");
  g_error_free (err);
  gst_message_unref (msg);
  free_signal (el);
  g_free (uri);
  g_free (token);
}

GST_END_TEST;

static void
check_tls_failure (const gchar * ca_file, const gchar * pinned)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  TestServer *srv = test_server_new (certs, token);
  gchar *uri = test_server_uri (srv);
  GstElement *el = make_signal (uri, token);
  GstMessage *msg;
  GError *err = NULL;

  g_object_set (el, "tls-ca-file", ca_file ? certs->other_cert : NULL,
      "tls-pinned-certificate", pinned ? certs->other_cert : NULL, NULL);
  start (el);
  msg = wait_message (GST_MESSAGE_ERROR, NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ_WRITE), "%s", err->message);
  fail_unless (strstr (err->message, "TLS") != NULL, "%s", err->message);
  check_error_details (msg, 0, "tls", "tls");
  g_error_free (err);
  gst_message_unref (msg);
  free_signal (el);
  test_server_free (srv);
  g_free (uri);
  g_free (token);
  certs_free (certs);
}

GST_START_TEST (test_tls_untrusted_certificate)
{
  /* The system's CAs do not know the self-signed certificate */
  check_tls_failure (NULL, NULL);
}

GST_END_TEST;

GST_START_TEST (test_tls_wrong_pinned_certificate)
{
  check_tls_failure (NULL, "other");
}

GST_END_TEST;

GST_START_TEST (test_tls_wrong_ca_file)
{
  check_tls_failure ("other", NULL);
}

GST_END_TEST;

GST_START_TEST (test_tls_ca_file)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  TestServer *srv = test_server_new (certs, token);
  gchar *uri = test_server_uri (srv);
  GstElement *el = make_signal (uri, token);

  /* The self-signed certificate is its own CA; its names are 127.0.0.1 */
  g_object_set (el, "tls-ca-file", certs->cert, NULL);
  start (el);
  gst_message_unref (wait_message_full (GST_MESSAGE_ELEMENT,
          "acs-signal-stream", "state", "connected"));
  fail_unless_equals_int (count_messages (GST_MESSAGE_ERROR), 0);
  free_signal (el);
  test_server_free (srv);
  g_free (uri);
  g_free (token);
  certs_free (certs);
}

GST_END_TEST;

GST_START_TEST (test_http_401)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  gchar *wrong = make_token ("mallory");
  TestServer *srv = test_server_new (certs, token);
  gchar *uri = test_server_uri (srv);
  GstElement *el = make_signal (uri, wrong);
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;

  g_object_set (el, "tls-pinned-certificate", certs->cert, NULL);
  start (el);
  msg = wait_message (GST_MESSAGE_ERROR, NULL);
  gst_message_parse_error (msg, &err, &dbg);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", err->message);
  fail_unless (strstr (err->message, "401") != NULL);
  fail_if (strstr (dbg, TOKEN_SIGNATURE) != NULL);
  check_error_details (msg, 401, "unauthorized", "http");
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
  free_signal (el);
  test_server_free (srv);
  g_free (uri);
  g_free (token);
  g_free (wrong);
  certs_free (certs);
}

GST_END_TEST;

GST_START_TEST (test_http_500_on_stream)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  TestServer *srv = test_server_new (certs, token);
  gchar *uri = test_server_uri (srv);
  GstElement *el = make_signal (uri, token);
  GstMessage *msg;

  srv->events_status = 500;
  g_object_set (el, "tls-pinned-certificate", certs->cert, NULL);
  start (el);
  msg = wait_message (GST_MESSAGE_ERROR, NULL);
  check_error_details (msg, 500, "internal", "http");
  gst_message_unref (msg);
  free_signal (el);
  test_server_free (srv);
  g_free (uri);
  g_free (token);
  certs_free (certs);
}

GST_END_TEST;

GST_START_TEST (test_sse_parsing)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  TestServer *srv = test_server_new (certs, token);
  GstElement *el = start_connected (srv, certs, token);
  gchar *sigs, *call_id = NULL, *peer = NULL;
  GstMessage *msg;
  const GstStructure *s;
  const GValue *sdp;

  /* A comment, then an event whose JSON spans three data lines, with CRLF
   * line ends; an unknown event type; an event of another call */
  stream_send (srv, ": ping\n\n");
  stream_send (srv, "id: 1\r\nevent: call.incoming\r\ndata: {\"call\": "
      CALL_JSON ("c1", "calling", "bob") ",\r\ndata:  \"offer\":\r\n"
      "data: {\"sdp\": \"" OFFER "\"}}\r\n\r\n");
  stream_send (srv, "id: 2\nevent: call.future\ndata: {}\n\n");
  stream_send (srv, ": ping\nid: 3\nevent: call.ringing\ndata: {\"call\": "
      CALL_JSON ("other", "ringing", "carol") "}\n\n");
  /* Fields in another order, data split at an odd place */
  stream_send (srv, "data: {\"call_id\": \"c1\", \"candidate\": \"candidate:"
      "1 1 UDP 2015363327 10.0.1.2 46802 typ host\",\nevent: call.candidate"
      "\nid: 4\ndata: \"mline_index\": 0}\n\n");
  stream_send (srv, "id: 5\nevent: call.candidate\ndata: {\"call_id\": "
      "\"c1\", \"end_of_candidates\": true}\n\n");
  stream_send (srv, "id: 6\nevent: call.ended\ndata: {\"call\": {\"id\": "
      "\"c1\", \"state\": \"ended\", \"end_reason\": \"cancelled\", "
      "\"sip_status\": 487}}\n\n");

  sigs = wait_signals (4);
  fail_unless_equals_string (sigs, "incoming:c1:bob:" OFFER_TEXT
      "|candidate:c1:0:candidate:1 1 UDP 2015363327 10.0.1.2 46802 typ host"
      "|candidate:c1:0:|ended:c1:cancelled:487");
  g_free (sigs);

  msg = wait_message (GST_MESSAGE_ELEMENT, "acs-signal-incoming");
  s = gst_message_get_structure (msg);
  fail_unless_equals_string (gst_structure_get_string (s, "call-id"), "c1");
  fail_unless_equals_string (gst_structure_get_string (s, "from"), "bob");
  sdp = gst_structure_get_value (s, "sdp");
  fail_unless (sdp != NULL && G_VALUE_HOLDS (sdp, GST_TYPE_SDP_MESSAGE));
  gst_message_unref (msg);
  msg = wait_message (GST_MESSAGE_ELEMENT, "acs-signal-ended");
  fail_unless_equals_string (gst_structure_get_string
      (gst_message_get_structure (msg), "end-reason"), "cancelled");
  gst_message_unref (msg);
  gst_message_unref (wait_message_full (GST_MESSAGE_ELEMENT,
          "acs-signal-state", "state", "ended"));

  g_object_get (el, "call-id", &call_id, "peer", &peer, NULL);
  fail_unless_equals_string (call_id, "c1");
  fail_unless_equals_string (peer, "bob");
  fail_unless_equals_int (count_messages (GST_MESSAGE_ERROR), 0);
  fail_unless_equals_int (count_messages (GST_MESSAGE_WARNING), 0);
  g_free (call_id);
  g_free (peer);
  free_signal (el);
  test_server_free (srv);
  g_free (token);
  certs_free (certs);
}

GST_END_TEST;

/* Event 1 of a stream: bob calls alice (call c1) */
#define INCOMING_EVENT "id: 1\nevent: call.incoming\ndata: {\"call\": " \
  CALL_JSON ("c1", "calling", "bob") ", \"offer\": {\"sdp\": \"" OFFER \
  "\"}}\n\n"

#define CANDIDATE_EVENT(id, n) "id: " id "\nevent: call.candidate\ndata: " \
  "{\"call_id\": \"c1\", \"candidate\": \"candidate:" n " 1 UDP 1 " \
  "10.0.0.1 4000 typ host\", \"mline_index\": 0}\n\n"

GST_START_TEST (test_reconnect_last_event_id)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  TestServer *srv = test_server_new (certs, token);
  GstElement *el = start_connected (srv, certs, token);
  gchar *sigs;
  GstMessage *msg;

  stream_send (srv, INCOMING_EVENT);
  sigs = wait_signals (1);
  g_free (sigs);
  /* Event 2 is cut off before its blank line, then the connection dies */
  stream_send (srv, "id: 2\nevent: call.candidate\ndata: {\"call_id\": "
      "\"c1\", \"candidate\": \"candidate:2 1 UDP 1 10.0.0.1 4000 typ host\"");
  stream_drop (srv);

  msg = wait_message_full (GST_MESSAGE_ELEMENT, "acs-signal-stream", "state",
      "reconnecting");
  gst_message_unref (msg);
  wait_streams (srv, 2);
  g_mutex_lock (&srv->lock);
  fail_unless_equals_string (g_ptr_array_index (srv->last_event_ids, 0), "");
  fail_unless_equals_string (g_ptr_array_index (srv->last_event_ids, 1), "1");
  g_mutex_unlock (&srv->lock);

  /* The server resends from 2 on */
  gst_message_unref (wait_message_full (GST_MESSAGE_ELEMENT,
          "acs-signal-stream", "state", "connected"));
  stream_send (srv, CANDIDATE_EVENT ("2", "2") CANDIDATE_EVENT ("3", "3"));
  sigs = wait_signals (3);
  g_free (sigs);

  /* A clean end of the response is a loss too */
  stream_end (srv);
  wait_streams (srv, 3);
  g_mutex_lock (&srv->lock);
  fail_unless_equals_string (g_ptr_array_index (srv->last_event_ids, 2), "3");
  g_mutex_unlock (&srv->lock);
  gst_message_unref (wait_message_full (GST_MESSAGE_ELEMENT,
          "acs-signal-stream", "state", "connected"));
  stream_send (srv, CANDIDATE_EVENT ("4", "4"));

  sigs = wait_signals (4);
  fail_unless_equals_string (sigs, "incoming:c1:bob:" OFFER_TEXT
      "|candidate:c1:0:candidate:2 1 UDP 1 10.0.0.1 4000 typ host"
      "|candidate:c1:0:candidate:3 1 UDP 1 10.0.0.1 4000 typ host"
      "|candidate:c1:0:candidate:4 1 UDP 1 10.0.0.1 4000 typ host");
  g_free (sigs);
  fail_unless_equals_int (count_messages (GST_MESSAGE_ERROR), 0);
  free_signal (el);
  test_server_free (srv);
  g_free (token);
  certs_free (certs);
}

GST_END_TEST;

GST_START_TEST (test_reconnect_through_restart)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  TestServer *srv = test_server_new (certs, token);
  GstElement *el = start_connected (srv, certs, token);
  gchar *sigs;

  stream_send (srv, INCOMING_EVENT);
  sigs = wait_signals (1);
  g_free (sigs);

  /* Connections cut before their TLS handshake, while the controller
   * restarts, are network failures to retry, not certificate errors */
  test_server_outage (srv, 2);
  wait_streams (srv, 2);
  gst_message_unref (wait_message_full (GST_MESSAGE_ELEMENT,
          "acs-signal-stream", "state", "connected"));
  g_mutex_lock (&srv->lock);
  fail_unless_equals_string (g_ptr_array_index (srv->last_event_ids, 1), "1");
  g_mutex_unlock (&srv->lock);
  stream_send (srv, CANDIDATE_EVENT ("2", "2"));
  sigs = wait_signals (2);
  fail_unless_equals_string (sigs, "incoming:c1:bob:" OFFER_TEXT
      "|candidate:c1:0:candidate:2 1 UDP 1 10.0.0.1 4000 typ host");
  g_free (sigs);
  fail_unless_equals_int (count_messages (GST_MESSAGE_ERROR), 0);
  free_signal (el);
  test_server_free (srv);
  g_free (token);
  certs_free (certs);
}

GST_END_TEST;

GST_START_TEST (test_action_409_is_a_warning)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  TestServer *srv = test_server_new (certs, token);
  GstElement *el = start_connected (srv, certs, token);
  GstStructure *reply;
  GstMessage *msg;
  guint status = 0;
  gchar *sigs;

  test_server_set_reply (srv, "POST /v1/calls/c1/ringing", 200,
      CALL_JSON ("c1", "ringing", "bob"));
  test_server_set_reply (srv, "POST /v1/calls/c1/answer", 409,
      "{\"error\": {\"status\": 409, \"code\": \"wrong_state\", "
      "\"message\": \"the call is not ringing\"}}");
  stream_send (srv, INCOMING_EVENT);
  sigs = wait_signals (1);
  g_free (sigs);

  {
    GstPromise *p = gst_promise_new ();

    g_signal_emit_by_name (el, "ring", p);
    reply = promise_result (p);
    fail_unless (gst_structure_has_name (reply, "acs-signal-reply"));
    fail_unless_equals_string (gst_structure_get_string (reply, "state"),
        "ringing");
    gst_structure_free (reply);
  }
  gst_message_unref (wait_message_full (GST_MESSAGE_ELEMENT,
          "acs-signal-state", "state", "ringing"));

  {
    GstPromise *p = gst_promise_new ();

    g_signal_emit_by_name (el, "answer", OFFER_TEXT, p);
    reply = promise_result (p);
  }
  fail_unless (gst_structure_has_name (reply, "acs-signal-error"));
  fail_unless (gst_structure_get_uint (reply, "status", &status));
  fail_unless_equals_int (status, 409);
  fail_unless_equals_string (gst_structure_get_string (reply, "code"),
      "wrong_state");
  gst_structure_free (reply);

  msg = wait_message (GST_MESSAGE_WARNING, NULL);
  check_error_details (msg, 409, "wrong_state", "http");
  gst_message_unref (msg);
  fail_unless_equals_int (count_messages (GST_MESSAGE_ERROR), 0);
  wait_request (srv, "POST /v1/calls/c1/answer {\"answer\":{\"sdp\":", 0);
  free_signal (el);
  test_server_free (srv);
  g_free (token);
  certs_free (certs);
}

GST_END_TEST;

GST_START_TEST (test_place_call_and_candidates)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  TestServer *srv = test_server_new (certs, token);
  GstElement *el = start_connected (srv, certs, token);
  GstStructure *reply;
  GstPromise *p;
  gchar *sigs;
  guint i;
  gboolean end_in_batch;

  test_server_set_reply (srv, "POST /v1/calls", 201,
      CALL_JSON ("c9", "calling", "alice"));
  test_server_set_reply (srv, "POST /v1/calls/c9/candidates", 202, "{}");
  test_server_set_reply (srv, "POST /v1/calls/c9/hangup", 200,
      CALL_JSON ("c9", "ended", "alice"));
  test_server_set_reply (srv, "GET /v1/ice-servers", 200,
      "{\"ice_servers\": [{\"urls\": [\"stun:203.0.113.3:3478\"]}], "
      "\"ttl\": 3600}");
  /* The callee rings before alice has the reply to her request */
  srv->place_call_event = g_strdup ("id: 1\nevent: call.ringing\ndata: "
      "{\"call\": " CALL_JSON ("c9", "ringing", "alice") "}\n\n");

  /* As acscallbin does: the ICE servers first, then the call */
  p = gst_promise_new ();
  g_signal_emit_by_name (el, "get-ice-servers", p);
  gst_structure_free (promise_result (p));

  /* Candidates gathered before the call has an id wait for it */
  g_signal_emit_by_name (el, "add-local-candidate", 0,
      "a=candidate:1 1 UDP 2015363327 10.0.1.2 46802 typ host");
  g_signal_emit_by_name (el, "add-local-candidate", 0,
      "candidate:2 1 UDP 1015363327 203.0.113.7 50000 typ srflx raddr "
      "10.0.1.2 rport 46802");
  g_object_set (el, "peer", "bob", NULL);
  p = gst_promise_new ();
  g_signal_emit_by_name (el, "place-call", NULL, OFFER_TEXT, p);
  g_signal_emit_by_name (el, "add-local-candidate", 0, "");
  reply = promise_result (p);
  fail_unless (gst_structure_has_name (reply, "acs-signal-reply"),
      "%" GST_PTR_FORMAT, reply);
  fail_unless_equals_string (gst_structure_get_string (reply, "call-id"), "c9");
  gst_structure_free (reply);

  i = wait_request (srv, "POST /v1/calls {", 0);
  fail_unless (strstr (g_ptr_array_index (srv->requests, i),
          "\"to\":{\"user\":\"bob\"}") != NULL);
  /* What makes placing the call repeatable (protocol.md 3.1): a UUID */
  g_mutex_lock (&srv->lock);
  fail_unless (srv->place_key != NULL && g_uuid_string_is_valid
      (srv->place_key), "Idempotency-Key: %s", GST_STR_NULL (srv->place_key));
  g_mutex_unlock (&srv->lock);
  /* What waited for the id goes in one request, in order */
  i = wait_request (srv, "POST /v1/calls/c9/candidates {\"candidates\":"
      "[{\"candidate\":\"candidate:1 ", i);
  g_mutex_lock (&srv->lock);
  {
    const gchar *body = g_ptr_array_index (srv->requests, i);

    fail_unless (strstr (body, "},{\"candidate\":\"candidate:2 ") != NULL,
        "%s", body);
    /* the end of candidates in the batch, or after it if it was queued
     * once the batch was out */
    end_in_batch = g_str_has_suffix (body, "],\"end_of_candidates\":true}");
  }
  g_mutex_unlock (&srv->lock);
  if (!end_in_batch)
    wait_request (srv, "POST /v1/calls/c9/candidates "
        "{\"end_of_candidates\":true}", i);

  sigs = wait_signals (1);
  fail_unless_equals_string (sigs, "ringing:c9");
  g_free (sigs);

  stream_send (srv, "id: 2\nevent: call.answered\ndata: {\"call\": "
      CALL_JSON ("c9", "active", "alice") ", \"answer\": {\"sdp\": \"" OFFER
      "\"}}\n\n");
  sigs = wait_signals (2);
  g_free (sigs);
  gst_message_unref (wait_message_full (GST_MESSAGE_ELEMENT,
          "acs-signal-state", "state", "active"));

  p = gst_promise_new ();
  g_signal_emit_by_name (el, "hang-up", p);
  reply = promise_result (p);
  fail_unless_equals_string (gst_structure_get_string (reply, "state"),
      "ended");
  gst_structure_free (reply);
  /* The event stream's connection and one more for the ICE servers, the
   * call, its candidates and the hang-up, rather than a TCP and TLS
   * handshake for each POST */
  g_mutex_lock (&srv->lock);
  fail_unless (g_hash_table_size (srv->client_ports) <= 2,
      "%u connections for %u requests", g_hash_table_size (srv->client_ports),
      srv->requests->len);
  g_mutex_unlock (&srv->lock);
  fail_unless_equals_int (count_messages (GST_MESSAGE_ERROR), 0);
  fail_unless_equals_int (count_messages (GST_MESSAGE_WARNING), 0);
  free_signal (el);
  test_server_free (srv);
  g_free (token);
  certs_free (certs);
}

GST_END_TEST;

/* TCP connections established to the test server's @port, counted on the
 * server's side in the kernel's tables (libsoup's server does not tell
 * when it accepts one) */
static guint
count_established (guint port)
{
  const gchar *tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
  guint i, n = 0;

  for (i = 0; i < G_N_ELEMENTS (tables); i++) {
    gchar *text = NULL;
    gchar **lines;
    guint j;

    if (!g_file_get_contents (tables[i], &text, NULL, NULL))
      continue;
    lines = g_strsplit (text, "\n", -1);
    /* "sl local_address rem_address st ...", addresses as HEX:PORT */
    for (j = 1; lines[j]; j++) {
      gchar **f = g_strsplit_set (g_strstrip (lines[j]), " ", -1);
      gchar **fields = g_new0 (gchar *, g_strv_length (f) + 1);
      guint k, m = 0;
      const gchar *colon;

      for (k = 0; f[k]; k++)
        if (*f[k])
          fields[m++] = f[k];
      if (m > 3 && (colon = strrchr (fields[1], ':'))
          && g_ascii_strtoull (colon + 1, NULL, 16) == port
          && strcmp (fields[3], "01") == 0)
        n++;
      g_free (fields);
      g_strfreev (f);
    }
    g_strfreev (lines);
    g_free (text);
  }
  return n;
}

/* The requests' connection is opened with the event stream's, not when the
 * first request needs it (a SYN lost on a lossy path then costs the call's
 * set-up nothing as long as the stream's takes as long), and the first
 * request uses it */
GST_START_TEST (test_request_connection_ahead)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  TestServer *srv = test_server_new (certs, token);
  GstElement *el = start_connected (srv, certs, token);
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  GstPromise *p;

  test_server_set_reply (srv, "GET /v1/ice-servers", 200,
      "{\"ice_servers\": [], \"ttl\": 3600}");
  while (count_established (srv->port) < 2
      && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  fail_unless_equals_int (count_established (srv->port), 2);
  g_mutex_lock (&srv->lock);
  fail_unless_equals_int (srv->requests->len, 1);       /* the stream's GET */
  g_mutex_unlock (&srv->lock);

  p = gst_promise_new ();
  g_signal_emit_by_name (el, "get-ice-servers", p);
  gst_structure_free (promise_result (p));
  fail_unless_equals_int (count_established (srv->port), 2);
  g_mutex_lock (&srv->lock);
  fail_unless_equals_int (g_hash_table_size (srv->client_ports), 2);
  g_mutex_unlock (&srv->lock);

  free_signal (el);
  test_server_free (srv);
  g_free (token);
  certs_free (certs);
}

GST_END_TEST;

GST_START_TEST (test_ice_servers)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  TestServer *srv = test_server_new (certs, token);
  GstElement *el = start_connected (srv, certs, token);
  GstStructure *reply;
  GstPromise *p;
  const GValue *turns;
  guint ttl = 0;

  test_server_set_reply (srv, "GET /v1/ice-servers", 200,
      "{\"ice_servers\": [{\"urls\": [\"stun:203.0.113.3:3478\"]}, "
      "{\"urls\": [\"turn:203.0.113.3:3478?transport=udp\", "
      "\"turn:203.0.113.3:3478?transport=tcp\"], \"username\": "
      "\"1795652035:alice\", \"credential\": \"" TURN_CREDENTIAL "\"}], "
      "\"ttl\": 3600}");
  p = gst_promise_new ();
  g_signal_emit_by_name (el, "get-ice-servers", p);
  reply = promise_result (p);
  fail_unless (gst_structure_has_name (reply, "acs-signal-ice-servers"));
  fail_unless_equals_string (gst_structure_get_string (reply, "stun-server"),
      "stun://203.0.113.3:3478");
  fail_unless (gst_structure_get_uint (reply, "ttl", &ttl));
  fail_unless_equals_int (ttl, 3600);
  turns = gst_structure_get_value (reply, "turn-servers");
  fail_unless_equals_int (gst_value_array_get_size (turns), 2);
  fail_unless_equals_string (g_value_get_string (gst_value_array_get_value
          (turns, 0)), "turn://1795652035%3Aalice:wxgi%2FU9s%2BTq%3D%3D@"
      "203.0.113.3:3478?transport=udp");
  fail_unless_equals_string (g_value_get_string (gst_value_array_get_value
          (turns, 1)), "turn://1795652035%3Aalice:wxgi%2FU9s%2BTq%3D%3D@"
      "203.0.113.3:3478?transport=tcp");
  gst_structure_free (reply);
  free_signal (el);
  test_server_free (srv);
  g_free (token);
  certs_free (certs);
}

GST_END_TEST;

GST_START_TEST (test_actions_when_stopped)
{
  GstElement *el = make_signal ("https://127.0.0.1:9", "x.y.z");
  GstStructure *reply;
  GstPromise *p = gst_promise_new ();

  g_signal_emit_by_name (el, "hang-up", p);
  reply = promise_result (p);
  fail_unless (gst_structure_has_name (reply, "acs-signal-error"));
  fail_unless_equals_string (gst_structure_get_string (reply, "code"),
      "not_running");
  gst_structure_free (reply);
  free_signal (el);
}

GST_END_TEST;

/* Every line of a GST_DEBUG=*:9 run */
static GString *debug_log;
static GMutex debug_log_lock;

static void
capture_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *text = gst_debug_message_get (message);

  /* The object's name only, read without its lock: the line may be logged
   * with the lock held */
  g_mutex_lock (&debug_log_lock);
  if (debug_log)
    g_string_append_printf (debug_log, "%s %s %s\n",
        gst_debug_category_get_name (category),
        object && GST_IS_OBJECT (object) ?
        GST_STR_NULL (GST_OBJECT_NAME (object)) : "", text);
  g_mutex_unlock (&debug_log_lock);
}

GST_START_TEST (test_token_not_logged)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  gchar *wrong = make_token ("mallory");
  TestServer *srv = test_server_new (certs, token);
  GstElement *el;
  GstPromise *p;
  GstStructure *reply;
  gchar *uri = test_server_uri (srv);
  GstMessage *msg;

  debug_log = g_string_new (NULL);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (capture_log, NULL, NULL);
  gst_debug_set_default_threshold (GST_LEVEL_MEMDUMP);
  gst_debug_set_active (TRUE);

  test_server_set_reply (srv, "GET /v1/ice-servers", 200,
      "{\"ice_servers\": [{\"urls\": [\"turn:203.0.113.3:3478\"], "
      "\"username\": \"1:alice\", \"credential\": \"" TURN_CREDENTIAL "\"}], "
      "\"ttl\": 3600}");
  test_server_set_reply (srv, "POST /v1/calls/c1/ringing", 200,
      CALL_JSON ("c1", "ringing", "bob"));

  /* A working run: events, an action, ICE servers */
  el = start_connected (srv, certs, token);
  stream_send (srv, INCOMING_EVENT);
  g_free (wait_signals (1));
  p = gst_promise_new ();
  g_signal_emit_by_name (el, "ring", p);
  gst_structure_free (promise_result (p));
  p = gst_promise_new ();
  g_signal_emit_by_name (el, "get-ice-servers", p);
  reply = promise_result (p);
  gst_structure_free (reply);
  free_signal (el);

  /* A refused token: the error and its details */
  el = make_signal (uri, wrong);
  g_object_set (el, "tls-pinned-certificate", certs->cert, NULL);
  start (el);
  msg = wait_message (GST_MESSAGE_ERROR, NULL);
  gst_message_unref (msg);
  free_signal (el);

  gst_debug_set_default_threshold (GST_LEVEL_NONE);
  gst_debug_remove_log_function (capture_log);

  g_mutex_lock (&debug_log_lock);
  fail_unless (debug_log->len > 10000, "log too short: %" G_GSIZE_FORMAT,
      debug_log->len);
  fail_unless (strstr (debug_log->str, "acssignal") != NULL);
  fail_if (strstr (debug_log->str, TOKEN_SIGNATURE) != NULL,
      "the token is in the log");
  fail_if (strstr (debug_log->str, TURN_CREDENTIAL) != NULL,
      "the TURN credential is in the log");
  fail_if (strstr (debug_log->str, "wxgi%2FU9s") != NULL,
      "the TURN credential is in the log");
  g_string_free (debug_log, TRUE);
  debug_log = NULL;
  g_mutex_unlock (&debug_log_lock);

  test_server_free (srv);
  g_free (uri);
  g_free (token);
  g_free (wrong);
  certs_free (certs);
}

GST_END_TEST;

/* Under ASan, LeakSanitizer's exit-time scan crashes ("Tracer caught signal
 * 11", in its walk of the threads' dynamic TLS) once a process has run more
 * than one libsoup session over TLS: one cycle there, three otherwise. */
#if defined(__SANITIZE_ADDRESS__)
#define N_STATE_CYCLES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define N_STATE_CYCLES 0
#endif
#endif
#ifndef N_STATE_CYCLES
#define N_STATE_CYCLES 3
#endif

GST_START_TEST (test_states)
{
  Certs *certs = certs_new ();
  gchar *token = make_token ("alice");
  TestServer *srv = test_server_new (certs, token);
  gchar *uri = test_server_uri (srv);
  GstElement *el = make_signal (uri, token);
  guint i;

  /* Each time the stream connects before the element stops: SoupServer
   * 3.2 (the test's server, not the element) leaks its listener's address
   * when a client drops a connection in the middle of the TLS handshake */
  g_object_set (el, "tls-pinned-certificate", certs->cert, NULL);
  for (i = 0; i < N_STATE_CYCLES; i++) {
    fail_unless (gst_element_set_state (el, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    gst_message_unref (wait_message_full (GST_MESSAGE_ELEMENT,
            "acs-signal-stream", "state", "connected"));
    fail_unless_equals_int (gst_element_set_state (el, GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless (gst_element_set_state (el, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    gst_message_unref (wait_message_full (GST_MESSAGE_ELEMENT,
            "acs-signal-stream", "state", "connected"));
    fail_unless_equals_int (gst_element_set_state (el, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }
  if (N_STATE_CYCLES == 0) {
    start (el);
    gst_message_unref (wait_message_full (GST_MESSAGE_ELEMENT,
            "acs-signal-stream", "state", "connected"));
  }
  fail_unless_equals_int (count_messages (GST_MESSAGE_ERROR), 0);
  free_signal (el);
  test_server_free (srv);
  g_free (uri);
  g_free (token);
  certs_free (certs);
}

GST_END_TEST;

/* TLS handshakes run in GTask worker threads; clang 14's LeakSanitizer
 * crashes ("Tracer caught signal 11") scanning such a worker that is still
 * parked when the forked test process exits. A GThreadPool worker becomes
 * "unused" after half a second without work; then it can be stopped. Only
 * needed, and only done, under AddressSanitizer. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ACS_UNDER_ASAN 1
#endif
#endif

static void
stop_idle_threads (void)
{
#ifdef ACS_UNDER_ASAN
  gint i;

  g_usleep (600 * G_TIME_SPAN_MILLISECOND);
  for (i = 0; i < 100; i++) {
    g_thread_pool_stop_unused_threads ();
    if (g_thread_pool_get_num_unused_threads () == 0)
      break;
    g_usleep (10 * G_TIME_SPAN_MILLISECOND);
  }
#endif
}

static Suite *
acssignal_suite (void)
{
  Suite *s = suite_create ("acssignal");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, NULL, stop_idle_threads);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_bad_controller_uri);
  tcase_add_test (tc, test_unreachable_port);
  tcase_add_test (tc, test_tls_untrusted_certificate);
  tcase_add_test (tc, test_tls_wrong_pinned_certificate);
  tcase_add_test (tc, test_tls_wrong_ca_file);
  tcase_add_test (tc, test_tls_ca_file);
  tcase_add_test (tc, test_http_401);
  tcase_add_test (tc, test_http_500_on_stream);
  tcase_add_test (tc, test_sse_parsing);
  tcase_add_test (tc, test_reconnect_last_event_id);
  tcase_add_test (tc, test_reconnect_through_restart);
  tcase_add_test (tc, test_action_409_is_a_warning);
  tcase_add_test (tc, test_place_call_and_candidates);
  tcase_add_test (tc, test_ice_servers);
  tcase_add_test (tc, test_request_connection_ahead);
  tcase_add_test (tc, test_actions_when_stopped);
  tcase_add_test (tc, test_token_not_logged);
  tcase_add_test (tc, test_states);
  return s;
}

int
main (int argc, char **argv)
{
  /* Loopback only: no proxy look-up (libproxy's C++ exceptions also abort
   * under ASan) */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (acssignal_suite (), "acssignal", __FILE__);
}

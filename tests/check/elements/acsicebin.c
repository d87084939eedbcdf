/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: acsicebin unit tests, on loopback only (interfaces=127.0.0.1)
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gio/gio.h>
#include <string.h>

/* Two acsicebin elements in harnesses, candidates exchanged in process */
typedef struct
{
  GstHarness *a;
  GstHarness *b;
  GstElement *ice_a;
  GstElement *ice_b;
} IcePair;

static void
forward_candidate (GstElement * ice, const gchar * cand, GstElement * peer)
{
  gboolean ok = FALSE;

  fail_unless (g_str_has_prefix (cand, "candidate:"), "bad candidate %s", cand);
  g_signal_emit_by_name (peer, "add-remote-candidate", cand, &ok);
}

static void
forward_end (GstElement * ice, GstElement * peer)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (peer, "add-remote-candidate", "", &ok);
}

static GstElement *
make_ice (gboolean controlling)
{
  GstElement *ice = gst_element_factory_make ("acsicebin", NULL);

  fail_unless (ice != NULL, "acsicebin not found");
  g_object_set (ice, "controlling", controlling, "interfaces", "127.0.0.1",
      "ice-tcp", FALSE, NULL);
  return ice;
}

static void
exchange_credentials (GstElement * from, GstElement * to)
{
  gchar *ufrag = NULL, *pwd = NULL;
  gboolean ok = FALSE;

  g_object_get (from, "local-ufrag", &ufrag, "local-pwd", &pwd, NULL);
  fail_unless (ufrag && strlen (ufrag) >= 4);
  fail_unless (pwd && strlen (pwd) >= 22);
  g_signal_emit_by_name (to, "set-remote-credentials", ufrag, pwd, &ok);
  fail_unless (ok);
  g_free (ufrag);
  g_free (pwd);
}

static IcePair *
ice_pair_new (void)
{
  IcePair *p = g_new0 (IcePair, 1);

  p->ice_a = make_ice (TRUE);
  p->ice_b = make_ice (FALSE);
  g_signal_connect (p->ice_a, "on-ice-candidate",
      G_CALLBACK (forward_candidate), p->ice_b);
  g_signal_connect (p->ice_b, "on-ice-candidate",
      G_CALLBACK (forward_candidate), p->ice_a);
  g_signal_connect (p->ice_a, "on-gathering-done", G_CALLBACK (forward_end),
      p->ice_b);
  g_signal_connect (p->ice_b, "on-gathering-done", G_CALLBACK (forward_end),
      p->ice_a);

  /* Harnesses take their own reference */
  p->a = gst_harness_new_with_element (p->ice_a, "sink", "src");
  p->b = gst_harness_new_with_element (p->ice_b, "sink", "src");
  gst_harness_set_src_caps_str (p->a, "application/x-srtp");
  gst_harness_set_src_caps_str (p->b, "application/x-srtp");
  return p;
}

static void
ice_pair_free (IcePair * p)
{
  gst_harness_teardown (p->a);
  gst_harness_teardown (p->b);
  gst_object_unref (p->ice_a);
  gst_object_unref (p->ice_b);
  g_free (p);
}

/* Element messages of one acsicebin, recorded by a sync handler so that
 * a test can wait for any of them in any order */
typedef struct
{
  GMutex lock;
  GCond cond;
  GPtrArray *structures;
} MessageLog;

static GstBusSyncReply
log_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  MessageLog *log = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
    g_mutex_lock (&log->lock);
    g_ptr_array_add (log->structures,
        gst_structure_copy (gst_message_get_structure (msg)));
    g_cond_broadcast (&log->cond);
    g_mutex_unlock (&log->lock);
  }
  return GST_BUS_PASS;
}

static void
message_log_free (gpointer data)
{
  MessageLog *log = data;

  g_ptr_array_unref (log->structures);
  g_mutex_clear (&log->lock);
  g_cond_clear (&log->cond);
  g_free (log);
}

/* Waits until @ice has posted an element message @name (with state=@state
 * when given); fails after @timeout_ms. Returns a copy. */
static GstStructure *
wait_element_message (GstElement * ice, const gchar * name,
    const gchar * state, guint timeout_ms)
{
  MessageLog *log = g_object_get_data (G_OBJECT (ice), "message-log");
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
  GstStructure *ret = NULL;
  guint i;

  fail_unless (log != NULL);
  g_mutex_lock (&log->lock);
  while (ret == NULL) {
    for (i = 0; i < log->structures->len && ret == NULL; i++) {
      GstStructure *s = g_ptr_array_index (log->structures, i);

      if (gst_structure_has_name (s, name) && (state == NULL
              || g_strcmp0 (gst_structure_get_string (s, "state"), state) == 0))
        ret = gst_structure_copy (s);
    }
    if (ret == NULL && !g_cond_wait_until (&log->cond, &log->lock, deadline))
      break;
  }
  g_mutex_unlock (&log->lock);
  fail_unless (ret != NULL, "no %s %s message within %u ms", name,
      state ? state : "", timeout_ms);
  return ret;
}

static GstMessage *
wait_bus (GstElement * ice, GstMessageType type, guint timeout_ms)
{
  return gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (ice),
      timeout_ms * GST_MSECOND, type);
}

static GstBus *
attach_bus (GstElement * ice)
{
  GstBus *bus = gst_bus_new ();
  MessageLog *log = g_new0 (MessageLog, 1);

  g_mutex_init (&log->lock);
  g_cond_init (&log->cond);
  log->structures =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  g_object_set_data_full (G_OBJECT (ice), "message-log", log, message_log_free);
  gst_bus_set_sync_handler (bus, log_message, log, NULL);
  gst_element_set_bus (ice, bus);
  return bus;
}

static void
connect_pair (IcePair * p)
{
  GstStructure *s;

  /* Credentials are there from READY on */
  gst_element_set_state (p->ice_a, GST_STATE_READY);
  gst_element_set_state (p->ice_b, GST_STATE_READY);
  exchange_credentials (p->ice_a, p->ice_b);
  exchange_credentials (p->ice_b, p->ice_a);
  gst_harness_play (p->a);
  gst_harness_play (p->b);

  s = wait_element_message (p->ice_a, "acs-ice-state", "connected", 30000);
  gst_structure_free (s);
  s = wait_element_message (p->ice_b, "acs-ice-state", "connected", 30000);
  gst_structure_free (s);
}

static GstBuffer *
make_packet (guint16 seq)
{
  guint8 data[172] = { 0x80, 0x60 };

  data[2] = seq >> 8;
  data[3] = seq & 0xff;
  data[11] = 0x42;
  memset (data + 12, seq & 0xff, sizeof (data) - 12);
  return gst_buffer_new_memdup (data, sizeof (data));
}

/* Pushes @n packets into A and pulls them from B, in order.
 * (gstcheck's fail_unless_equals_int declares `first` and `second`: a
 * parameter of that name would be shadowed inside it) */
static void
send_and_receive (IcePair * p, guint16 seq0, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    GstBuffer *out;
    GstMapInfo map;
    GstFlowReturn flow;
    guint16 seq = seq0 + i;

    flow = gst_harness_push (p->a, make_packet (seq));
    fail_unless_equals_int (flow, GST_FLOW_OK);
    out = gst_harness_pull (p->b);
    fail_unless (out != NULL, "packet %u did not arrive", seq);
    gst_buffer_map (out, &map, GST_MAP_READ);
    fail_unless_equals_int (map.size, 172);
    fail_unless_equals_int ((map.data[2] << 8) | map.data[3], seq);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
}

GST_START_TEST (test_properties)
{
  GstElement *ice = make_ice (FALSE);
  GParamSpec *pspec;
  gchar *str = NULL;
  gint state = -1;
  gboolean ok = FALSE;
  GstBus *bus = attach_bus (ice);
  GstMessage *msg;

  g_object_set (ice, "stun-server", "stun:192.0.2.1", NULL);
  g_object_get (ice, "stun-server", &str, "state", &state, NULL);
  fail_unless_equals_string (str, "stun://192.0.2.1:3478");
  g_free (str);
  fail_unless_equals_int (state, 0);

  /* An invalid URI is refused with a warning and changes nothing */
  g_object_set (ice, "stun-server", "turn://u:p@192.0.2.9", NULL);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  g_object_get (ice, "stun-server", &str, NULL);
  fail_unless_equals_string (str, "stun://192.0.2.1:3478");
  g_free (str);

  /* TURN URIs hold credentials: write-only, and a bad one is refused */
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (ice),
      "turn-server");
  fail_unless (pspec != NULL);
  fail_if (pspec->flags & G_PARAM_READABLE);
  g_signal_emit_by_name (ice, "add-turn-server",
      "turn://1700000000%3Aalice:a%2Fb%2Bc%3D@192.0.2.1:3478?transport=tcp",
      &ok);
  fail_unless (ok);
  g_signal_emit_by_name (ice, "add-turn-server", "turn://192.0.2.1", &ok);
  fail_if (ok);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);

  /* local-pwd is a secret but must be readable; both exist from READY */
  g_object_get (ice, "local-ufrag", &str, NULL);
  fail_unless (str == NULL);
  fail_unless_equals_int (gst_element_set_state (ice, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (ice, "local-ufrag", &str, NULL);
  fail_unless (str != NULL && strlen (str) >= 4);
  g_free (str);

  gst_element_set_state (ice, GST_STATE_NULL);
  gst_element_set_bus (ice, NULL);
  gst_object_unref (bus);
  gst_object_unref (ice);
}

GST_END_TEST;

GST_START_TEST (test_bad_candidates)
{
  GstElement *ice = make_ice (FALSE);
  GstBus *bus = attach_bus (ice);
  GstMessage *msg;
  gboolean ok = TRUE;

  /* Before READY there is no stream */
  g_signal_emit_by_name (ice, "add-remote-candidate",
      "candidate:1 1 UDP 2013266431 127.0.0.1 5000 typ host", &ok);
  fail_if (ok);

  gst_element_set_state (ice, GST_STATE_READY);

  g_signal_emit_by_name (ice, "add-remote-candidate", "candidate:garbage", &ok);
  fail_if (ok);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for a malformed candidate");
  gst_message_unref (msg);

  g_signal_emit_by_name (ice, "add-remote-candidate",
      "candidate:1 1 UDP 2013266431 999.1.1.1 5000 typ host", &ok);
  fail_if (ok);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);

  /* A valid one is accepted, with or without the a= prefix */
  g_signal_emit_by_name (ice, "add-remote-candidate",
      "a=candidate:1 1 UDP 2013266431 127.0.0.1 5000 typ host", &ok);
  fail_unless (ok);

  g_signal_emit_by_name (ice, "set-remote-credentials", "", "", &ok);
  fail_if (ok);

  gst_element_set_state (ice, GST_STATE_NULL);
  gst_element_set_bus (ice, NULL);
  gst_object_unref (bus);
  gst_object_unref (ice);
}

GST_END_TEST;

GST_START_TEST (test_loopback_call)
{
  IcePair *p = ice_pair_new ();
  GstBus *bus_a = attach_bus (p->ice_a);
  GstBus *bus_b = attach_bus (p->ice_b);
  GstStructure *pair;
  gchar *selected = NULL;

  connect_pair (p);

  pair = wait_element_message (p->ice_a, "acs-ice-selected-pair", NULL, 5000);
  fail_unless_equals_string (gst_structure_get_string (pair, "local-type"),
      "host");
  fail_unless_equals_string (gst_structure_get_string (pair, "transport"),
      "udp");
  fail_unless (g_str_has_prefix (gst_structure_get_string (pair,
              "local-address"), "127.0.0.1:"));
  gst_structure_free (pair);
  g_object_get (p->ice_b, "selected-pair", &selected, NULL);
  fail_unless (selected && g_str_has_prefix (selected, "host/udp 127.0.0.1:"),
      "selected-pair %s", selected);
  g_free (selected);

  send_and_receive (p, 1, 50);

  gst_element_set_bus (p->ice_a, NULL);
  gst_element_set_bus (p->ice_b, NULL);
  ice_pair_free (p);
  gst_object_unref (bus_a);
  gst_object_unref (bus_b);
}

GST_END_TEST;

static guint64
stat (GstElement * ice, const gchar * field)
{
  GstStructure *stats = NULL;
  guint64 v = 0;

  g_object_get (ice, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  fail_unless (gst_structure_get_uint64 (stats, field, &v), "no %s", field);
  gst_structure_free (stats);
  return v;
}

/* A buffer list goes to the agent in one call and arrives as packets */
GST_START_TEST (test_buffer_list)
{
  IcePair *p = ice_pair_new ();
  GstBus *bus_a = attach_bus (p->ice_a);
  GstBus *bus_b = attach_bus (p->ice_b);
  GstBufferList *list = gst_buffer_list_new ();
  GstQuery *query;
  gboolean live = FALSE;
  GstClockTime min = GST_CLOCK_TIME_NONE;
  guint i;

  connect_pair (p);
  for (i = 0; i < 40; i++)
    gst_buffer_list_add (list, make_packet (200 + i));
  fail_unless_equals_int (gst_pad_push_list (p->a->srcpad, list), GST_FLOW_OK);

  for (i = 0; i < 40; i++) {
    GstBuffer *out = gst_harness_pull (p->b);
    GstMapInfo map;

    fail_unless (out != NULL, "packet %u did not arrive", i);
    gst_buffer_map (out, &map, GST_MAP_READ);
    fail_unless_equals_int ((map.data[2] << 8) | map.data[3], 200 + i);
    gst_buffer_unmap (out, &map);
    /* Timestamped on arrival, as udpsrc does */
    fail_unless (GST_BUFFER_PTS_IS_VALID (out));
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (stat (p->ice_a, "packets-sent"), 40);
  fail_unless_equals_uint64 (stat (p->ice_b, "packets-received"), 40);
  fail_unless_equals_uint64 (stat (p->ice_b, "packets-dropped"), 0);

  /* A live source without latency of its own */
  query = gst_query_new_latency ();
  fail_unless (gst_pad_peer_query (p->b->sinkpad, query));
  gst_query_parse_latency (query, &live, &min, NULL);
  fail_unless (live);
  fail_unless_equals_uint64 (min, 0);
  gst_query_unref (query);

  gst_element_set_bus (p->ice_a, NULL);
  gst_element_set_bus (p->ice_b, NULL);
  ice_pair_free (p);
  gst_object_unref (bus_a);
  gst_object_unref (bus_b);
}

GST_END_TEST;

/* ICE connects in PAUSED; what arrives before PLAYING is held and pushed,
 * in order, when the receiver goes to PLAYING */
GST_START_TEST (test_held_until_playing)
{
  IcePair *p = ice_pair_new ();
  GstBus *bus_a = attach_bus (p->ice_a);
  GstBus *bus_b = attach_bus (p->ice_b);
  GstStructure *s;
  gint64 deadline;
  guint i;

  gst_element_set_state (p->ice_a, GST_STATE_READY);
  gst_element_set_state (p->ice_b, GST_STATE_READY);
  exchange_credentials (p->ice_a, p->ice_b);
  exchange_credentials (p->ice_b, p->ice_a);
  gst_harness_play (p->a);
  fail_unless (gst_element_set_state (p->ice_b, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_NO_PREROLL);
  s = wait_element_message (p->ice_a, "acs-ice-state", "connected", 30000);
  gst_structure_free (s);
  s = wait_element_message (p->ice_b, "acs-ice-state", "connected", 30000);
  gst_structure_free (s);

  for (i = 0; i < 40; i++)
    fail_unless_equals_int (gst_harness_push (p->a, make_packet (300 + i)),
        GST_FLOW_OK);
  /* Loopback: they arrive within microseconds; the bound is generous */
  deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (stat (p->ice_b, "packets-received") < 40
      && g_get_monotonic_time () < deadline)
    g_usleep (G_TIME_SPAN_MILLISECOND);
  fail_unless_equals_int (gst_harness_buffers_received (p->b), 0);

  gst_harness_play (p->b);
  for (i = 0; i < 40; i++) {
    GstBuffer *out = gst_harness_pull (p->b);
    GstMapInfo map;

    fail_unless (out != NULL, "held packet %u did not arrive", i);
    if (i == 0)
      fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
    gst_buffer_map (out, &map, GST_MAP_READ);
    fail_unless_equals_int ((map.data[2] << 8) | map.data[3], 300 + i);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (stat (p->ice_b, "packets-received"), 40);
  /* And media flows on directly */
  send_and_receive (p, 400, 10);

  gst_element_set_bus (p->ice_a, NULL);
  gst_element_set_bus (p->ice_b, NULL);
  ice_pair_free (p);
  gst_object_unref (bus_a);
  gst_object_unref (bus_b);
}

GST_END_TEST;

GST_START_TEST (test_restart_keeps_media)
{
  IcePair *p = ice_pair_new ();
  GstBus *bus_a = attach_bus (p->ice_a);
  GstBus *bus_b = attach_bus (p->ice_b);
  gchar *ufrag_before = NULL, *ufrag_after = NULL;
  gboolean ok = FALSE;

  connect_pair (p);
  send_and_receive (p, 100, 10);

  g_object_get (p->ice_a, "local-ufrag", &ufrag_before, NULL);
  g_signal_emit_by_name (p->ice_a, "restart-ice", &ok);
  fail_unless (ok);
  g_object_get (p->ice_a, "local-ufrag", &ufrag_after, NULL);
  fail_if (g_strcmp0 (ufrag_before, ufrag_after) == 0);

  /* Media keeps flowing on the old pair during the restart */
  send_and_receive (p, 110, 10);

  /* B learns A's new credentials, restarts too; A learns B's */
  exchange_credentials (p->ice_a, p->ice_b);
  exchange_credentials (p->ice_b, p->ice_a);
  send_and_receive (p, 120, 20);

  g_free (ufrag_before);
  g_free (ufrag_after);
  gst_element_set_bus (p->ice_a, NULL);
  gst_element_set_bus (p->ice_b, NULL);
  ice_pair_free (p);
  gst_object_unref (bus_a);
  gst_object_unref (bus_b);
}

GST_END_TEST;

GST_START_TEST (test_lost_path_is_reported)
{
  IcePair *p = ice_pair_new ();
  GstBus *bus_a = attach_bus (p->ice_a);
  GstBus *bus_b = attach_bus (p->ice_b);
  GstStructure *s;
  GstMessage *msg;

  g_object_set (p->ice_b, "liveness-timeout", 300, "disconnected-timeout",
      400, NULL);
  connect_pair (p);
  send_and_receive (p, 1, 5);

  /* A stops sending: B notices, then gives up with an error */
  s = wait_element_message (p->ice_b, "acs-ice-state", "disconnected", 3000);
  gst_structure_free (s);
  msg = wait_bus (p->ice_b, GST_MESSAGE_ERROR, 3000);
  fail_unless (msg != NULL, "no error after the disconnected timeout");
  gst_message_unref (msg);

  gst_element_set_bus (p->ice_a, NULL);
  gst_element_set_bus (p->ice_b, NULL);
  ice_pair_free (p);
  gst_object_unref (bus_a);
  gst_object_unref (bus_b);
}

GST_END_TEST;

GST_START_TEST (test_unreachable_turn_warns)
{
  GstElement *ice = make_ice (FALSE);
  GstBus *bus = attach_bus (ice);
  GstMessage *msg;
  gboolean ok = FALSE;

  /* TCP to a port nobody listens on: refused at once */
  g_signal_emit_by_name (ice, "add-turn-server",
      "turn://user:pass@127.0.0.1:9?transport=tcp", &ok);
  fail_unless (ok);
  gst_element_set_state (ice, GST_STATE_PLAYING);
  msg = wait_bus (ice, GST_MESSAGE_WARNING, 10000);
  fail_unless (msg != NULL, "no warning for an unreachable TURN server");
  gst_message_unref (msg);

  gst_element_set_state (ice, GST_STATE_NULL);
  gst_element_set_bus (ice, NULL);
  gst_object_unref (bus);
  gst_object_unref (ice);
}

GST_END_TEST;

GST_START_TEST (test_unreachable_stun_informs)
{
  GstElement *ice = make_ice (FALSE);
  GstBus *bus = attach_bus (ice);
  GstMessage *msg;
  GError *err = NULL;

  /* Nobody answers STUN on loopback's discard port */
  g_object_set (ice, "stun-server", "stun://127.0.0.1:9", NULL);
  gst_element_set_state (ice, GST_STATE_PLAYING);
  msg = wait_bus (ice, GST_MESSAGE_INFO, 15000);
  fail_unless (msg != NULL, "no message about the silent STUN server");
  gst_message_parse_info (msg, &err, NULL);
  fail_unless (strstr (err->message, "STUN") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  gst_element_set_state (ice, GST_STATE_NULL);
  gst_element_set_bus (ice, NULL);
  gst_object_unref (bus);
  gst_object_unref (ice);
}

GST_END_TEST;

/* STUN requests go out 4 times, the first retransmission after 200 ms,
 * doubling: on a lossy path a lost request costs 200 ms, not libnice's
 * default 500 (docs/decisions.md). libnice's stun-max-retransmissions
 * counts every transmission, the first included. Counted at a STUN server
 * that never answers: every local candidate sends 4 Binding requests,
 * then gathering gives up (3 with libnice's defaults). */
GST_START_TEST (test_stun_retransmissions)
{
  GstElement *ice = make_ice (FALSE);
  GstBus *bus = attach_bus (ice);
  GSocket *server;
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0), *bound, *from;
  GHashTable *per_source = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  GHashTableIter iter;
  gpointer key, value;
  GstMessage *msg;
  gchar *uri;
  guint8 data[1500];
  gssize len;

  server = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);
  fail_unless (server != NULL);
  fail_unless (g_socket_bind (server, addr, FALSE, NULL));
  bound = g_socket_get_local_address (server, NULL);
  uri = g_strdup_printf ("stun://127.0.0.1:%u",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_object_set (ice, "stun-server", uri, NULL);
  gst_element_set_state (ice, GST_STATE_PLAYING);
  /* posted when gathering gave up on the server */
  msg = wait_bus (ice, GST_MESSAGE_INFO, 20000);
  fail_unless (msg != NULL, "no message about the silent STUN server");
  gst_message_unref (msg);

  g_socket_set_blocking (server, FALSE);
  while ((len = g_socket_receive_from (server, &from, (gchar *) data,
              sizeof (data), NULL, NULL)) > 0) {
    gchar *src = g_inet_address_to_string (g_inet_socket_address_get_address
        (G_INET_SOCKET_ADDRESS (from)));
    gchar *name = g_strdup_printf ("%s:%u", src,
        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (from)));

    /* a Binding request: message type 0x0001 */
    fail_unless (len >= 20 && data[0] == 0x00 && data[1] == 0x01,
        "not a STUN Binding request from %s", name);
    g_hash_table_insert (per_source, name, GUINT_TO_POINTER
        (GPOINTER_TO_UINT (g_hash_table_lookup (per_source, name)) + 1));
    g_free (src);
    g_object_unref (from);
  }
  fail_unless (g_hash_table_size (per_source) > 0, "no STUN request seen");
  g_hash_table_iter_init (&iter, per_source);
  while (g_hash_table_iter_next (&iter, &key, &value))
    fail_unless_equals_int (GPOINTER_TO_UINT (value), 4);

  gst_element_set_state (ice, GST_STATE_NULL);
  gst_element_set_bus (ice, NULL);
  gst_object_unref (bus);
  gst_object_unref (ice);
  g_hash_table_unref (per_source);
  g_free (uri);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
  g_object_unref (server);
}

GST_END_TEST;

static GString *debug_log = NULL;
static GMutex debug_log_lock;

static void
capture_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  /* Formatting the message may log again (at MEMDUMP): do it unlocked */
  const gchar *text = gst_debug_message_get (message);

  g_mutex_lock (&debug_log_lock);
  if (debug_log) {
    g_string_append (debug_log, text);
    g_string_append_c (debug_log, '\n');
  }
  g_mutex_unlock (&debug_log_lock);
}

/* TURN credentials appear in no debug output, at any level, nor in the
 * warnings the element posts about the server */
GST_START_TEST (test_turn_credentials_not_logged)
{
  GstElement *ice;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;
  gboolean ok = FALSE;

  debug_log = g_string_new (NULL);
  gst_debug_add_log_function (capture_log, NULL, NULL);
  gst_debug_set_default_threshold (GST_LEVEL_MEMDUMP);
  gst_debug_set_active (TRUE);

  ice = make_ice (FALSE);
  bus = attach_bus (ice);
  g_signal_emit_by_name (ice, "add-turn-server",
      "turn://1795648435%3Asecretuser:S3cr3t%2FPa55%3D@127.0.0.1:9"
      "?transport=tcp", &ok);
  fail_unless (ok);
  g_object_set (ice, "turn-server",
      "turn://1795648435%3Asecretuser:S3cr3t%2FPa55%3D@127.0.0.1:9", NULL);
  /* an invalid one too: its warning must not quote it */
  g_signal_emit_by_name (ice, "add-turn-server",
      "turn://secretuser:S3cr3t%2FPa55%3D@127.0.0.1:9?transport=sctp", &ok);
  fail_if (ok);
  gst_element_set_state (ice, GST_STATE_PLAYING);
  msg = wait_bus (ice, GST_MESSAGE_WARNING, 10000);
  fail_unless (msg != NULL);
  gst_message_parse_warning (msg, &err, &dbg);
  fail_if (strstr (err->message, "S3cr3t") || (dbg && strstr (dbg,
              "S3cr3t")) || (dbg && strstr (dbg, "secretuser")));
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_element_set_state (ice, GST_STATE_NULL);

  gst_debug_set_default_threshold (GST_LEVEL_NONE);
  gst_debug_remove_log_function (capture_log);
  g_mutex_lock (&debug_log_lock);
  fail_unless (debug_log->len > 1000, "nothing was logged");
  fail_unless (strstr (debug_log->str, "acsicebin") != NULL
      || strstr (debug_log->str, "ICE") != NULL);
  fail_if (strstr (debug_log->str, "S3cr3t") != NULL,
      "the TURN password reached the debug log");
  fail_if (strstr (debug_log->str, "S3cr3t%2FPa55") != NULL);
  fail_if (strstr (debug_log->str, "secretuser") != NULL,
      "the TURN user name reached the debug log");
  g_string_free (debug_log, TRUE);
  debug_log = NULL;
  g_mutex_unlock (&debug_log_lock);

  gst_element_set_bus (ice, NULL);
  gst_object_unref (bus);
  gst_object_unref (ice);
}

GST_END_TEST;

GST_START_TEST (test_states)
{
  GstElement *ice = make_ice (TRUE);
  guint i;

  for (i = 0; i < 3; i++) {
    fail_unless (gst_element_set_state (ice, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    fail_unless (gst_element_set_state (ice, GST_STATE_NULL) ==
        GST_STATE_CHANGE_SUCCESS);
  }
  gst_object_unref (ice);
}

GST_END_TEST;

static Suite *
acsicebin_suite (void)
{
  Suite *s = suite_create ("acsicebin");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_bad_candidates);
  tcase_add_test (tc, test_loopback_call);
  tcase_add_test (tc, test_buffer_list);
  tcase_add_test (tc, test_held_until_playing);
  tcase_add_test (tc, test_restart_keeps_media);
  tcase_add_test (tc, test_lost_path_is_reported);
  tcase_add_test (tc, test_unreachable_turn_warns);
  tcase_add_test (tc, test_unreachable_stun_informs);
  tcase_add_test (tc, test_stun_retransmissions);
  tcase_add_test (tc, test_turn_credentials_not_logged);
  tcase_add_test (tc, test_states);
  return s;
}

GST_CHECK_MAIN (acsicebin);

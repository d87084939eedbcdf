/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: packet rate of an acsicebin pair on loopback against a plain
 * udpsink/udpsrc pair, on one core
 *
 * A sender pushes 1200-byte buffers (fakesrc, the first byte set to 0x80
 * so that libnice never takes a packet for STUN) into
 *   acsicebin (controlling) -> 127.0.0.1 -> acsicebin -> fakesink
 * with candidates exchanged in process through the signals, as
 * tests/check/elements/acsicebin.c does, and into
 *   udpsink -> 127.0.0.1 -> udpsrc retrieve-sender-address=false -> fakesink
 * (acsicebin gives no sender address either). The whole process is pinned
 * to one CPU (sched_setaffinity), so sender, libnice and receiver threads
 * share it. Packets are counted where they leave the source (sent) and
 * where they reach the receiving fakesink (received).
 *
 * By default the sender keeps at most --window packets (64, about 150 KB
 * of socket buffer) in flight: it waits for the receiver to catch up
 * instead of overflowing the receiving socket. The rate is then what the
 * pair sustains on the core without loss, send and receive costs
 * together, whatever the scheduler does. With --window 0 the sender sends
 * as fast as it can and the received rate mostly says which thread the
 * scheduler favours: the sender never sleeps and takes most of the core,
 * and most packets are dropped by the receiving socket.
 *
 * Usage: acs-ice-rate [--seconds S] [--reps N] [--cpu C] [--size BYTES]
 *   [--window N] [--only acsicebin|udpsrc]
 * Prints a table and JSON lines ({"bench": "ice-rate", ...}); exit status
 * 1 when the acsicebin receive rate is not within 10 % of udpsrc's.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define _GNU_SOURCE
#include <gst/gst.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  GstElement *pipeline;
  GstElement *ice_a;
  GstElement *ice_b;
  GMainLoop *loop;
  gint sent;                    /* atomic */
  gint received;                /* atomic */
  /* Flow control (--window): the sender waits while sent - received -
   * written_off >= window */
  gint window;
  gint written_off;             /* atomic */
  gint waiting;                 /* atomic */
  GMutex lock;
  GCond cond;
  gint connected;               /* main thread only */
  gboolean failed;              /* main thread only */
  gulong block_id;
} Run;

typedef struct
{
  double sent_pps;
  double received_pps;
} Result;

static void
on_handoff (GstElement * src, GstBuffer * buf, GstPad * pad, Run * run)
{
  gint sent = g_atomic_int_get (&run->sent);

  /* A first byte of 0x80 (as RTP's) is never valid STUN */
  gst_buffer_memset (buf, 0, 0x80, 1);

  if (run->window > 0 && sent - g_atomic_int_get (&run->received) -
      g_atomic_int_get (&run->written_off) >= run->window) {
    gint64 deadline = g_get_monotonic_time () + 200 * G_TIME_SPAN_MILLISECOND;

    g_mutex_lock (&run->lock);
    g_atomic_int_set (&run->waiting, 1);
    while (sent - g_atomic_int_get (&run->received) -
        g_atomic_int_get (&run->written_off) >= run->window) {
      if (!g_cond_wait_until (&run->cond, &run->lock, deadline)) {
        /* Nothing for 200 ms: what is in flight was lost */
        g_atomic_int_set (&run->written_off,
            sent - g_atomic_int_get (&run->received));
        break;
      }
    }
    g_atomic_int_set (&run->waiting, 0);
    g_mutex_unlock (&run->lock);
  }
  g_atomic_int_inc (&run->sent);
}

static void
count_received (Run * run, gint n)
{
  gint received = g_atomic_int_add (&run->received, n) + n;

  if (g_atomic_int_get (&run->waiting) && g_atomic_int_get (&run->sent) -
      received - g_atomic_int_get (&run->written_off) <= run->window / 2) {
    g_mutex_lock (&run->lock);
    g_cond_signal (&run->cond);
    g_mutex_unlock (&run->lock);
  }
}

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, Run * run)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    count_received (run,
        gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info)));
  else
    count_received (run, 1);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
block_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  return GST_PAD_PROBE_OK;
}

static void
forward_candidate (GstElement * ice, const gchar * cand, GstElement * peer)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (peer, "add-remote-candidate", cand, &ok);
}

static void
forward_end (GstElement * ice, GstElement * peer)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (peer, "add-remote-candidate", "", &ok);
}

static void
exchange_credentials (GstElement * from, GstElement * to)
{
  gchar *ufrag = NULL, *pwd = NULL;
  gboolean ok = FALSE;

  g_object_get (from, "local-ufrag", &ufrag, "local-pwd", &pwd, NULL);
  g_signal_emit_by_name (to, "set-remote-credentials", ufrag, pwd, &ok);
  g_free (ufrag);
  g_free (pwd);
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, Run * run)
{
  const GstStructure *s;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      s = gst_message_get_structure (msg);
      if (gst_structure_has_name (s, "acs-ice-state")
          && g_strcmp0 (gst_structure_get_string (s, "state"),
              "connected") == 0) {
        run->connected++;
        if (run->connected == 2)
          g_main_loop_quit (run->loop);
      }
      break;
    case GST_MESSAGE_ERROR:
    {
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      g_printerr ("error from %s: %s\n", GST_OBJECT_NAME (msg->src),
          err->message);
      g_clear_error (&err);
      run->failed = TRUE;
      g_main_loop_quit (run->loop);
      break;
    }
    default:
      break;
  }
  return TRUE;
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
timeout_loop (Run * run)
{
  run->failed = TRUE;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

static void
sleep_loop (Run * run, guint ms)
{
  g_timeout_add (ms, quit_loop, run->loop);
  g_main_loop_run (run->loop);
}

static gboolean
measure (const gchar * kind, double seconds, guint size, gint window,
    Result * res)
{
  gchar *desc;
  Run run = { 0 };
  GError *err = NULL;
  gint lost = 0;
  GstElement *src, *rx;
  GstPad *pad;
  GstBus *bus;
  guint bus_watch, timeout_id;
  gint sent0, recv0, sent1, recv1;
  gint64 t0, t1;
  gboolean is_ice = g_str_equal (kind, "acsicebin");

  if (is_ice) {
    desc = g_strdup_printf ("fakesrc name=src sizetype=fixed sizemax=%u "
        "filltype=nothing signal-handoffs=true ! "
        "acsicebin name=a controlling=true interfaces=127.0.0.1 "
        "ice-tcp=false ! fakesink sync=false async=false "
        "acsicebin name=b interfaces=127.0.0.1 ice-tcp=false ! "
        "fakesink name=rx sync=false async=false", size);
  } else {
    desc = g_strdup_printf ("fakesrc name=src sizetype=fixed sizemax=%u "
        "filltype=nothing signal-handoffs=true ! "
        "udpsink name=usink host=127.0.0.1 sync=false async=false "
        "udpsrc name=usrc address=127.0.0.1 port=0 "
        "retrieve-sender-address=false ! "
        "fakesink name=rx sync=false async=false", size);
  }
  run.pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  if (run.pipeline == NULL) {
    g_printerr ("pipeline: %s\n", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  run.window = window;
  g_mutex_init (&run.lock);
  g_cond_init (&run.cond);
  run.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (run.pipeline);
  bus_watch = gst_bus_add_watch (bus, (GstBusFunc) on_bus, &run);
  gst_object_unref (bus);

  src = gst_bin_get_by_name (GST_BIN (run.pipeline), "src");
  g_signal_connect (src, "handoff", G_CALLBACK (on_handoff), &run);
  /* Hold the sender until the path is up */
  pad = gst_element_get_static_pad (src, "src");
  run.block_id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
      block_probe, NULL, NULL);
  rx = gst_bin_get_by_name (GST_BIN (run.pipeline), "rx");
  {
    GstPad *rxpad = gst_element_get_static_pad (rx, "sink");

    gst_pad_add_probe (rxpad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST,
        (GstPadProbeCallback) count_probe, &run, NULL);
    gst_object_unref (rxpad);
  }

  if (is_ice) {
    run.ice_a = gst_bin_get_by_name (GST_BIN (run.pipeline), "a");
    run.ice_b = gst_bin_get_by_name (GST_BIN (run.pipeline), "b");
    g_signal_connect (run.ice_a, "on-ice-candidate",
        G_CALLBACK (forward_candidate), run.ice_b);
    g_signal_connect (run.ice_b, "on-ice-candidate",
        G_CALLBACK (forward_candidate), run.ice_a);
    g_signal_connect (run.ice_a, "on-gathering-done",
        G_CALLBACK (forward_end), run.ice_b);
    g_signal_connect (run.ice_b, "on-gathering-done",
        G_CALLBACK (forward_end), run.ice_a);
    gst_element_set_state (run.pipeline, GST_STATE_READY);
    exchange_credentials (run.ice_a, run.ice_b);
    exchange_credentials (run.ice_b, run.ice_a);
  } else {
    GstElement *usrc = gst_bin_get_by_name (GST_BIN (run.pipeline), "usrc");
    GstElement *usink = gst_bin_get_by_name (GST_BIN (run.pipeline), "usink");
    gint port = 0;

    gst_element_set_state (run.pipeline, GST_STATE_READY);
    g_object_get (usrc, "port", &port, NULL);
    g_object_set (usink, "port", port, NULL);
    gst_object_unref (usrc);
    gst_object_unref (usink);
    run.connected = 2;
  }

  gst_element_set_state (run.pipeline, GST_STATE_PLAYING);
  if (run.connected < 2) {
    timeout_id = g_timeout_add (10000, (GSourceFunc) timeout_loop, &run);
    g_main_loop_run (run.loop);
    if (!run.failed)
      g_source_remove (timeout_id);
  }
  if (!run.failed) {
    gst_pad_remove_probe (pad, run.block_id);
    /* warm up: socket buffers fill, threads settle */
    sleep_loop (&run, 500);
    sent0 = g_atomic_int_get (&run.sent);
    recv0 = g_atomic_int_get (&run.received);
    t0 = g_get_monotonic_time ();
    sleep_loop (&run, (guint) (seconds * 1000));
    sent1 = g_atomic_int_get (&run.sent);
    recv1 = g_atomic_int_get (&run.received);
    t1 = g_get_monotonic_time ();
    res->sent_pps = (sent1 - sent0) / ((t1 - t0) / 1e6);
    res->received_pps = (recv1 - recv0) / ((t1 - t0) / 1e6);
    lost = g_atomic_int_get (&run.written_off);
    if (lost > 0)
      g_printerr ("%s: %d packets written off as lost\n", kind, lost);
  }

  gst_element_set_state (run.pipeline, GST_STATE_NULL);
  g_source_remove (bus_watch);
  gst_object_unref (pad);
  gst_object_unref (src);
  gst_object_unref (rx);
  gst_clear_object (&run.ice_a);
  gst_clear_object (&run.ice_b);
  gst_object_unref (run.pipeline);
  g_main_loop_unref (run.loop);
  g_mutex_clear (&run.lock);
  g_cond_clear (&run.cond);
  return !run.failed;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *v, guint n)
{
  qsort (v, n, sizeof (double), compare_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main (int argc, char **argv)
{
  gdouble seconds = 3.0;
  gint reps = 5, cpu = 0, size = 1200, window = 64;
  gchar *only = NULL;
  GOptionEntry entries[] = {
    {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds,
        "Measured seconds per run (default 3)", "S"},
    {"reps", 0, 0, G_OPTION_ARG_INT, &reps,
        "Runs of each, alternating (default 5)", "N"},
    {"cpu", 0, 0, G_OPTION_ARG_INT, &cpu, "CPU to pin to (default 0)", "C"},
    {"size", 0, 0, G_OPTION_ARG_INT, &size,
        "Packet size in bytes (default 1200)", "BYTES"},
    {"window", 0, 0, G_OPTION_ARG_INT, &window,
        "Packets in flight before the sender waits for the receiver "
          "(default 64; 0: send as fast as possible)", "N"},
    {"only", 0, 0, G_OPTION_ARG_STRING, &only,
        "Run only this pair: acsicebin or udpsrc (for profiling)", "PAIR"},
    {NULL}
  };
  const gchar *kinds[] = { "acsicebin", "udpsrc" };
  GOptionContext *ctx;
  GError *err = NULL;
  cpu_set_t set;
  double *sent[2], *recv[2];
  double ms[2], mr[2], ratio;
  gint i, k, n[2] = { 0, 0 };
  gboolean pass;

  ctx = g_option_context_new ("- acsicebin against udpsrc/udpsink");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);

  /* Before any thread exists: every thread inherits the mask */
  CPU_ZERO (&set);
  CPU_SET (cpu, &set);
  if (sched_setaffinity (0, sizeof (set), &set) != 0) {
    perror ("sched_setaffinity");
    return 2;
  }
  gst_init (NULL, NULL);

  for (k = 0; k < 2; k++) {
    sent[k] = g_new0 (double, reps);
    recv[k] = g_new0 (double, reps);
  }
  for (i = 0; i < reps; i++) {
    for (k = 0; k < 2; k++) {
      gint kind = (i % 2 == 0) ? k : 1 - k;
      Result r = { 0, 0 };

      if (only && !g_str_equal (only, kinds[kind]))
        continue;
      if (!measure (kinds[kind], seconds, size, window, &r)) {
        g_printerr ("%s run %d failed\n", kinds[kind], i);
        continue;
      }
      g_printerr ("%-9s run %d: sent %.0f/s received %.0f/s\n",
          kinds[kind], i, r.sent_pps, r.received_pps);
      printf
          ("{\"bench\": \"ice-rate-run\", \"impl\": \"%s\", \"run\": %d, "
          "\"size\": %d, \"seconds\": %.1f, \"sent_pps\": %.0f, "
          "\"received_pps\": %.0f}\n", kinds[kind], i, size, seconds,
          r.sent_pps, r.received_pps);
      sent[kind][n[kind]] = r.sent_pps;
      recv[kind][n[kind]] = r.received_pps;
      n[kind]++;
    }
  }
  if (only)
    return 0;
  if (n[0] == 0 || n[1] == 0) {
    g_printerr ("no successful run of one of the pairs\n");
    return 1;
  }
  for (k = 0; k < 2; k++) {
    ms[k] = median (sent[k], n[k]);
    mr[k] = median (recv[k], n[k]);
  }
  ratio = mr[0] / mr[1];
  pass = ratio >= 0.9;
  printf ("{\"bench\": \"ice-rate\", \"size\": %d, \"cpu\": %d, "
      "\"window\": %d, "
      "\"acs_sent_pps\": %.0f, \"acs_received_pps\": %.0f, "
      "\"udp_sent_pps\": %.0f, \"udp_received_pps\": %.0f, "
      "\"ratio_received\": %.3f, \"target\": \"%s\"}\n", size, cpu, window,
      ms[0], mr[0], ms[1], mr[1], ratio, pass ? "PASS" : "FAIL");
  printf ("\n== Packet rate on loopback, %d-byte packets, one core (CPU %d), "
      "window %d, median of %d x %.0f s ==\n", size, cpu, window, reps,
      seconds);
  printf ("%-22s %12s %12s %9s\n", "pair", "sent/s", "received/s", "received");
  for (k = 0; k < 2; k++)
    printf ("%-22s %12.0f %12.0f %8.1f%%\n",
        k == 0 ? "acsicebin -> acsicebin" : "udpsink -> udpsrc", ms[k],
        mr[k], 100.0 * mr[k] / ms[k]);
  printf ("received acs/udp %.3f: within 10 %% %s\n", ratio,
      pass ? "PASS" : "FAIL");

  for (k = 0; k < 2; k++) {
    g_free (sent[k]);
    g_free (recv[k]);
  }
  return pass ? 0 : 1;
}

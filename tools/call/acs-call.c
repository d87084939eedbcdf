/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * acs-call: places (--call USER) or answers (--answer) one call through the
 * ACS controller with acscallbin, sends a test tone or a WAV file, records
 * what arrives to a WAV file, and after --duration seconds of active call
 * hangs up and prints a summary (with --json, a JSON object on the last
 * stdout line). See docs/acs-call.md.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static gchar *opt_controller, *opt_token, *opt_call, *opt_ca_file,
    *opt_pinned, *opt_send, *opt_record, *opt_interfaces, *opt_stun, *opt_turn,
    *opt_stats_file, *opt_log_plaintext;
static gboolean opt_answer, opt_json, opt_decline, opt_encoded, opt_ice_tcp,
    opt_relay_only, opt_video;
static gchar *opt_video_color;
static guint opt_video_bitrate = 500000;
static gdouble opt_answer_after = 0, opt_cancel_after = -1;
static guint opt_expect_end = 200;
static gdouble opt_duration = 10, opt_tone = 440;
static guint opt_latency = 60;

static GOptionEntry entries[] = {
  {"controller", 0, 0, G_OPTION_ARG_STRING, &opt_controller,
      "Controller URL, https://host:port", "URL"},
  {"token", 0, 0, G_OPTION_ARG_STRING, &opt_token,
      "Bearer token of the local user (or env ACS_TOKEN)", "TOKEN"},
  {"call", 0, 0, G_OPTION_ARG_STRING, &opt_call, "User to call", "USER"},
  {"answer", 0, 0, G_OPTION_ARG_NONE, &opt_answer,
      "Wait for a call and answer it", NULL},
  {"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_ca_file,
      "PEM CA file for the controller", "FILE"},
  {"pinned-cert", 0, 0, G_OPTION_ARG_FILENAME, &opt_pinned,
      "PEM certificate the controller must present", "FILE"},
  {"send", 0, 0, G_OPTION_ARG_FILENAME, &opt_send,
      "WAV file to send instead of a test tone", "FILE"},
  {"tone", 0, 0, G_OPTION_ARG_DOUBLE, &opt_tone,
      "Frequency of the test tone in Hz (default 440)", "HZ"},
  {"record", 0, 0, G_OPTION_ARG_FILENAME, &opt_record,
      "WAV file to write the received audio to", "FILE"},
  {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &opt_duration,
      "Seconds of active call before hanging up (default 10)", "S"},
  {"latency", 0, 0, G_OPTION_ARG_INT, &opt_latency,
      "Jitter buffer in ms (default 60)", "MS"},
  {"interfaces", 0, 0, G_OPTION_ARG_STRING, &opt_interfaces,
      "Interfaces or addresses ICE may use (e.g. 127.0.0.1)", "LIST"},
  {"stun-server", 0, 0, G_OPTION_ARG_STRING, &opt_stun,
      "STUN server instead of the controller's", "URI"},
  {"turn-server", 0, 0, G_OPTION_ARG_STRING, &opt_turn,
      "TURN server instead of the controller's", "URI"},
  {"ice-tcp", 0, 0, G_OPTION_ARG_NONE, &opt_ice_tcp,
      "Also gather ICE-TCP candidates", NULL},
  {"relay-only", 0, 0, G_OPTION_ARG_NONE, &opt_relay_only,
      "Use TURN relay candidates only", NULL},
  {"encoded", 0, 0, G_OPTION_ARG_NONE, &opt_encoded,
        "Encode and decode outside acscallbin (its encoded pass-through)",
      NULL},
  {"video", 0, 0, G_OPTION_ARG_NONE, &opt_video,
      "Also send video (a 320x240 15 fps test pattern, VP8) and count the "
        "frames received", NULL},
  {"video-color", 0, 0, G_OPTION_ARG_STRING, &opt_video_color,
      "With --video: send one solid colour, RRGGBB in hex, instead of the "
        "SMPTE bars", "RRGGBB"},
  {"video-bitrate", 0, 0, G_OPTION_ARG_INT, &opt_video_bitrate,
      "With --video: VP8 bit rate in bits/s (default 500000)", "BPS"},
  {"decline", 0, 0, G_OPTION_ARG_NONE, &opt_decline,
      "With --answer: decline the call (603) instead", NULL},
  {"answer-after", 0, 0, G_OPTION_ARG_DOUBLE, &opt_answer_after,
      "With --answer: let it ring S seconds before answering", "S"},
  {"cancel-after", 0, 0, G_OPTION_ARG_DOUBLE, &opt_cancel_after,
      "With --call: cancel S seconds after the callee rings", "S"},
  {"expect-end", 0, 0, G_OPTION_ARG_INT, &opt_expect_end,
        "SIP status the call must end with to count as ok (default 200)",
      "CODE"},
  {"json", 0, 0, G_OPTION_ARG_NONE, &opt_json,
      "Print a JSON summary as the last stdout line", NULL},
  {"log-plaintext", 0, 0, G_OPTION_ARG_FILENAME, &opt_log_plaintext,
      "For tests: write the payload of each RTP packet sent, before SRTP, "
        "as hex, one a line", "FILE"},
  {"stats-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_stats_file,
        "Append one JSON line of call statistics per second to FILE",
      "FILE"},
  {NULL}
};

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline, *call;
  gint64 t0, t_active, t_first_audio;
  gboolean active, ended, failed, we_hung_up, recorded_eos, incoming;
  gchar *end_reason, *error;
  guint sip_status;
  gchar *local_type, *local_proto, *remote_type, *remote_proto, *path_case;
  gchar *relay_proto;
  GstStructure *stats;
  guint timer;
  guint eos_polls;
  gboolean have_recorder;
  /* --stats-file: the file and the previous sample, for rates */
  FILE *stats_out;
  gint64 t_last_stats;
  guint64 last_received;
  gint64 last_lost;
  /* --log-plaintext, written from the streaming thread only */
  FILE *plain_out;
  /* received video, from the streaming thread: under video_lock */
  GMutex video_lock;
  guint64 video_frames;
  gint64 t_first_video;
  gint video_width, video_height;
  gdouble video_rgb[3];         /* mean of the last frame's central quarter */
} Call;

static gdouble
ms_since (Call * c, gint64 t)
{
  return t ? (t - c->t0) / 1000.0 : -1;
}

static void
progress (Call * c, const gchar * fmt, ...)
G_GNUC_PRINTF (2, 3);

     static void progress (Call * c, const gchar * fmt, ...)
{
  va_list ap;
  gchar *text;

  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_print ("[%8.1f ms] %s\n", (g_get_monotonic_time () - c->t0) / 1000.0, text);
  fflush (stdout);
  g_free (text);
}

static gboolean
finish (gpointer data)
{
  Call *c = data;

  g_main_loop_quit (c->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_duration (gpointer data)
{
  Call *c = data;

  c->timer = 0;
  progress (c, "hanging up");
  c->we_hung_up = TRUE;
  g_signal_emit_by_name (c->call, "hang-up");
  /* the controller confirms with the end; do not wait for ever */
  g_timeout_add_seconds (5, finish, c);
  return G_SOURCE_REMOVE;
}

static GstPadProbeReturn
first_audio_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Call *c = data;

  if (g_atomic_pointer_get (&c->t_first_audio) == 0)
    c->t_first_audio = g_get_monotonic_time ();
  return GST_PAD_PROBE_REMOVE;
}

static GstPadProbeReturn
record_eos_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Call *c = data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    g_atomic_int_set (&c->recorded_eos, TRUE);
  return GST_PAD_PROBE_OK;
}

/* Each decoded frame (RGB): counted, and the mean colour of its central
 * quarter kept, so that a test can tell the pattern that was sent */
static void
on_video_frame (GstElement * sink, GstBuffer * buf, GstPad * pad, Call * c)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstStructure *s;
  gint w = 0, h = 0, x, y, stride;
  gdouble sum[3] = { 0, 0, 0 };
  guint64 n = 0;
  GstMapInfo map;

  if (caps == NULL)
    return;
  s = gst_caps_get_structure (caps, 0);
  gst_structure_get_int (s, "width", &w);
  gst_structure_get_int (s, "height", &h);
  gst_caps_unref (caps);
  stride = GST_ROUND_UP_4 (w * 3);
  if (w <= 0 || h <= 0 || !gst_buffer_map (buf, &map, GST_MAP_READ))
    return;
  for (y = h / 4; y < h * 3 / 4; y++) {
    for (x = w / 4; x < w * 3 / 4; x++) {
      gsize off = (gsize) y * stride + x * 3;

      if (off + 3 > map.size)
        break;
      sum[0] += map.data[off];
      sum[1] += map.data[off + 1];
      sum[2] += map.data[off + 2];
      n++;
    }
  }
  gst_buffer_unmap (buf, &map);
  g_mutex_lock (&c->video_lock);
  if (c->video_frames++ == 0)
    c->t_first_video = g_get_monotonic_time ();
  c->video_width = w;
  c->video_height = h;
  for (x = 0; x < 3 && n > 0; x++)
    c->video_rgb[x] = sum[x] / n;
  g_mutex_unlock (&c->video_lock);
}

static void
add_video_sink (Call * c, GstPad * pad)
{
  GError *err = NULL;
  GstElement *bin, *out;
  GstPad *sink;

  bin = gst_parse_bin_from_description_full (opt_encoded ?
      "queue ! vp8dec ! videoconvert ! video/x-raw,format=RGB ! "
      "fakesink name=vout signal-handoffs=true async=false" :
      "queue ! videoconvert ! video/x-raw,format=RGB ! "
      "fakesink name=vout signal-handoffs=true async=false", TRUE, NULL,
      GST_PARSE_FLAG_NONE, &err);
  if (bin == NULL) {
    progress (c, "cannot take the video: %s", err->message);
    g_clear_error (&err);
    return;
  }
  out = gst_bin_get_by_name (GST_BIN (bin), "vout");
  g_signal_connect (out, "handoff", G_CALLBACK (on_video_frame), c);
  gst_object_unref (out);
  gst_bin_add (GST_BIN (c->pipeline), bin);
  sink = gst_element_get_static_pad (bin, "sink");
  gst_pad_link (pad, sink);
  gst_object_unref (sink);
  gst_element_sync_state_with_parent (bin);
  progress (c, "receiving video on %s", GST_PAD_NAME (pad));
}

static void
on_pad_added (GstElement * call, GstPad * pad, Call * c)
{
  GstElement *bin;
  GstPad *sink, *fsink;
  GError *err = NULL;
  gchar *desc;

  if (g_str_has_prefix (GST_PAD_NAME (pad), "video_src_")) {
    add_video_sink (c, pad);
    return;
  }
  if (opt_record)
    desc = g_strdup_printf ("queue ! %saudioconvert ! audioresample ! "
        "audio/x-raw,format=S16LE,rate=48000,channels=1 ! wavenc ! "
        "filesink name=out location=\"%s\"", opt_encoded ? "opusdec ! " : "",
        opt_record);
  else
    desc = g_strdup ("queue ! fakesink name=out async=false");
  bin = gst_parse_bin_from_description (desc, TRUE, &err);
  g_free (desc);
  if (bin == NULL) {
    progress (c, "cannot record: %s", err->message);
    g_clear_error (&err);
    return;
  }
  gst_bin_add (GST_BIN (c->pipeline), bin);
  sink = gst_element_get_static_pad (bin, "sink");
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, first_audio_probe, c,
      NULL);
  gst_pad_link (pad, sink);
  gst_object_unref (sink);
  {
    GstElement *out = gst_bin_get_by_name (GST_BIN (bin), "out");

    fsink = gst_element_get_static_pad (out, "sink");
    gst_pad_add_probe (fsink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        record_eos_probe, c, NULL);
    gst_object_unref (fsink);
    gst_object_unref (out);
  }
  gst_element_sync_state_with_parent (bin);
  c->have_recorder = TRUE;
  progress (c, "receiving audio on %s", GST_PAD_NAME (pad));
}

/* --log-plaintext: the RTP payload (Opus) of each packet on its way into
 * acssrtpenc, so that a test can look for it on the wire. RTCP (second
 * byte 192-223, RFC 5761) is skipped. Streaming thread. */
static GstPadProbeReturn
plaintext_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Call *c = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  gsize off, i;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  if (map.size >= 12 && (map.data[0] >> 6) == 2
      && !(map.data[1] >= 192 && map.data[1] <= 223)) {
    off = 12 + 4 * (map.data[0] & 0x0f);
    if ((map.data[0] & 0x10) && off + 4 <= map.size)
      off += 4 + 4 * GST_READ_UINT16_BE (map.data + off + 2);
    if (off < map.size) {
      for (i = off; i < map.size; i++)
        fprintf (c->plain_out, "%02x", map.data[i]);
      fputc ('\n', c->plain_out);
    }
  }
  gst_buffer_unmap (buf, &map);
  return GST_PAD_PROBE_OK;
}

static gboolean
do_answer (gpointer data)
{
  Call *c = data;

  progress (c, "answering");
  g_signal_emit_by_name (c->call, "answer");
  return G_SOURCE_REMOVE;
}

static gboolean
do_hang_up (gpointer data)
{
  Call *c = data;

  progress (c, "%s", opt_decline ? "declining" : "cancelling");
  c->we_hung_up = TRUE;
  g_signal_emit_by_name (c->call, "hang-up");
  return G_SOURCE_REMOVE;
}

/* From acssignal's thread: act from the main loop */
static void
on_incoming (GstElement * call, const gchar * from, Call * c)
{
  if (opt_decline)
    g_idle_add (do_hang_up, c);
  else
    g_timeout_add (opt_answer_after * 1000, do_answer, c);
}

static gboolean
wait_recorded (gpointer data)
{
  Call *c = data;

  if ((c->have_recorder && !g_atomic_int_get (&c->recorded_eos))
      && ++c->eos_polls < 40)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (c->loop);
  return G_SOURCE_REMOVE;
}

static void
call_ended (Call * c)
{
  if (c->timer) {
    g_source_remove (c->timer);
    c->timer = 0;
  }
  /* the bin pushes EOS on its src pads: wait (2 s at most) until it has
   * reached the recorder, so that the WAV file is complete */
  g_timeout_add (50, wait_recorded, c);
}

/* Appends @v as a JSON string: error texts can hold quotes and
 * backslashes */
static void
json_append_string (GString * out, const gchar * v)
{
  const gchar *p;

  g_string_append_c (out, '"');
  for (p = v; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf (out, "\\%c", *p);
    else if ((guchar) * p < 0x20)
      g_string_append_printf (out, "\\u%04x", (guchar) * p);
    else
      g_string_append_c (out, *p);
  }
  g_string_append_c (out, '"');
}

/* One line of --stats-file from an acs-call-stats message: cumulative
 * counters as acscallbin reports them, plus the received packet rate and
 * the loss over the interval since the previous line */
static void
write_stats_line (Call * c, const GstStructure * s)
{
  guint64 sent = 0, received = 0;
  gint64 lost = 0, now = g_get_monotonic_time ();
  guint64 ts = 0;
  gdouble loss = 0, jitter = 0, rtt = -1, mos = 0, recv_kbps = 0,
      send_kbps = 0, rate = 0, interval_loss = 0, secs;
  guint64 got;
  gint64 missed;
  GString *line;

  gst_structure_get (s, "rtp-packets-sent", G_TYPE_UINT64, &sent,
      "rtp-packets-received", G_TYPE_UINT64, &received,
      "packets-lost", G_TYPE_INT64, &lost, "loss-percent", G_TYPE_DOUBLE,
      &loss, "jitter-ms", G_TYPE_DOUBLE, &jitter, "rtt-ms", G_TYPE_DOUBLE,
      &rtt, "mos", G_TYPE_DOUBLE, &mos, "recv-kbps", G_TYPE_DOUBLE,
      &recv_kbps, "send-kbps", G_TYPE_DOUBLE, &send_kbps, NULL);
  /* acscallbin's time of reading the counters (the system clock is
   * monotonic, as g_get_monotonic_time): the bus may deliver late */
  if (gst_structure_get_uint64 (s, "timestamp", &ts) && ts > 0)
    now = ts / 1000;
  got = received >= c->last_received ? received - c->last_received : 0;
  missed = MAX (lost - c->last_lost, 0);
  if (c->t_last_stats) {
    secs = (now - c->t_last_stats) / (gdouble) G_USEC_PER_SEC;
    if (secs > 0)
      rate = got / secs;
  }
  if (got + missed > 0)
    interval_loss = 100.0 * missed / (got + missed);
  c->t_last_stats = now;
  c->last_received = received;
  c->last_lost = lost;

  line = g_string_new (NULL);
  g_string_append_printf (line, "{\"t\": %.3f, \"t_call\": %.3f, "
      "\"rtp_sent\": %" G_GUINT64_FORMAT ", \"rtp_received\": %"
      G_GUINT64_FORMAT ", \"rtp_rate\": %.1f, \"packets_lost\": %"
      G_GINT64_FORMAT ", \"loss_pct\": %.2f, \"interval_loss_pct\": %.2f, "
      "\"jitter_ms\": %.2f, \"recv_kbps\": %.1f, \"send_kbps\": %.1f, "
      "\"mos\": %.2f", (now - c->t0) / (gdouble) G_USEC_PER_SEC,
      c->t_active ? (now - c->t_active) / (gdouble) G_USEC_PER_SEC : 0.0,
      sent, received, rate, lost, loss, interval_loss, jitter, recv_kbps,
      send_kbps, mos);
  if (rtt >= 0)
    g_string_append_printf (line, ", \"rtt_ms\": %.1f}\n", rtt);
  else
    g_string_append (line, ", \"rtt_ms\": null}\n");
  fputs (line->str, c->stats_out);
  fflush (c->stats_out);
  g_string_free (line, TRUE);
}

static gboolean
on_message (GstBus * bus, GstMessage * msg, gpointer data)
{
  Call *c = data;
  const GstStructure *s;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      progress (c, "error from %s: %s", GST_OBJECT_NAME (msg->src),
          err->message);
      g_free (c->error);
      c->error = g_strdup (err->message);
      c->failed = TRUE;
      g_clear_error (&err);
      g_free (dbg);
      g_main_loop_quit (c->loop);
      break;
    }
    case GST_MESSAGE_WARNING:{
      GError *err = NULL;

      gst_message_parse_warning (msg, &err, NULL);
      progress (c, "warning from %s: %s", GST_OBJECT_NAME (msg->src),
          err->message);
      g_clear_error (&err);
      break;
    }
    case GST_MESSAGE_ELEMENT:
      s = gst_message_get_structure (msg);
      if (gst_structure_has_name (s, "acs-signal-stream")) {
        const gchar *st = gst_structure_get_string (s, "state");

        /* "waiting for a call" only before one came: scripts start the
         * caller on it, and a reconnection mid-call must not say it */
        progress (c, "controller %s%s", st, opt_answer && !c->incoming
            && g_strcmp0 (st, "connected") == 0 ? ", waiting for a call" : "");
      } else if (gst_structure_has_name (s, "acs-call-state")) {
        const gchar *st = gst_structure_get_string (s, "state");

        progress (c, "call %s %s", st, gst_structure_get_string (s, "reason"));
        c->incoming = TRUE;
        if (g_strcmp0 (st, "ringing") == 0 && opt_cancel_after >= 0
            && !c->we_hung_up) {
          c->we_hung_up = TRUE;
          g_timeout_add (opt_cancel_after * 1000, do_hang_up, c);
        } else if (g_strcmp0 (st, "active") == 0 && !c->active) {
          c->active = TRUE;
          c->t_active = g_get_monotonic_time ();
          c->timer = g_timeout_add (opt_duration * 1000, on_duration, c);
        } else if (g_strcmp0 (st, "ended") == 0 && !c->ended) {
          c->ended = TRUE;
          c->end_reason = g_strdup (gst_structure_get_string (s, "reason"));
          gst_structure_get_uint (s, "sip-status", &c->sip_status);
          gst_clear_structure (&c->stats);
          g_object_get (c->call, "stats", &c->stats, NULL);
          call_ended (c);
        }
      } else if (gst_structure_has_name (s, "acs-ice-selected-pair")) {
        g_free (c->local_type);
        g_free (c->local_proto);
        g_free (c->remote_type);
        g_free (c->remote_proto);
        c->local_type = g_strdup (gst_structure_get_string (s, "local-type"));
        c->remote_type = g_strdup (gst_structure_get_string (s, "remote-type"));
        c->local_proto = g_strdup (gst_structure_get_string (s, "transport"));
        c->remote_proto = g_strdup (c->local_proto);
        g_free (c->relay_proto);
        c->relay_proto =
            g_strdup (gst_structure_get_string (s, "relay-transport"));
        progress (c, "ICE path %s/%s %s -> %s %s", c->local_type,
            c->local_proto, gst_structure_get_string (s, "local-address"),
            c->remote_type, gst_structure_get_string (s, "remote-address"));
      } else if (gst_structure_has_name (s, "acs-call-path")) {
        g_free (c->path_case);
        c->path_case = g_strdup (gst_structure_get_string (s, "case"));
        progress (c, "call path: %s over %s", c->path_case,
            gst_structure_get_string (s, "transport"));
      } else if (gst_structure_has_name (s, "acs-call-stats")) {
        guint64 sent = 0, received = 0;
        gdouble loss = 0, jitter = 0, rtt = -1, mos = 0, kbps = 0;

        gst_structure_get (s, "rtp-packets-sent", G_TYPE_UINT64, &sent,
            "rtp-packets-received", G_TYPE_UINT64, &received,
            "loss-percent", G_TYPE_DOUBLE, &loss, "jitter-ms", G_TYPE_DOUBLE,
            &jitter, "rtt-ms", G_TYPE_DOUBLE, &rtt, "mos", G_TYPE_DOUBLE,
            &mos, "recv-kbps", G_TYPE_DOUBLE, &kbps, NULL);
        progress (c, "stats: %" G_GUINT64_FORMAT " sent, %" G_GUINT64_FORMAT
            " received, %.1f kbit/s in, loss %.1f%%, jitter %.1f ms, rtt "
            "%.1f ms, MOS %.2f", sent, received, kbps, loss, jitter, rtt, mos);
        if (c->stats_out)
          write_stats_line (c, s);
      } else if (gst_structure_has_name (s, "acs-ice-state")) {
        progress (c, "ICE %s", gst_structure_get_string (s, "state"));
      }
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static void
json_str (GString * out, const gchar * name, const gchar * v)
{
  g_string_append_printf (out, ", \"%s\": ", name);
  if (v)
    json_append_string (out, v);
  else
    g_string_append (out, "null");
}

static void
json_num (GString * out, const gchar * name, gdouble v, gboolean known)
{
  if (known)
    g_string_append_printf (out, ", \"%s\": %.1f", name, v);
  else
    g_string_append_printf (out, ", \"%s\": null", name);
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx;
  GError *err = NULL;
  Call c = { 0 };
  gchar *desc;
  GstBus *bus;
  guint64 sent = 0, received = 0, rtcp_sent = 0, rtcp_received = 0;
  gdouble loss = 0, jitter = 0, rtt = -1, mos = 0;
  const gchar *profile = NULL;
  gboolean ok;
  GString *json;

  /* the command's start, before GStreamer loads its registry */
  c.t0 = g_get_monotonic_time ();
  g_mutex_init (&c.video_lock);
  ctx = g_option_context_new ("- place or answer one ACS call");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("acs-call: %s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (opt_token == NULL)
    opt_token = g_strdup (g_getenv ("ACS_TOKEN"));
  if (opt_controller == NULL || opt_token == NULL
      || (opt_call == NULL) == (opt_answer == FALSE)) {
    g_printerr ("acs-call: give --controller, --token and one of --call "
        "USER or --answer\n");
    return 2;
  }

  if (opt_stats_file) {
    c.stats_out = fopen (opt_stats_file, "w");
    if (c.stats_out == NULL) {
      g_printerr ("acs-call: cannot write %s: %s\n", opt_stats_file,
          g_strerror (errno));
      return 1;
    }
  }
  if (opt_send)
    desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
        "audioconvert ! audioresample ! "
        /* paced in 20 ms blocks, as a live source would be: a file's
         * buffers are larger, and sent as bursts they show as jitter */
        "audiobuffersplit output-buffer-duration=1/50 ! "
        "identity sync=true ! %s"
        "acscallbin name=call encoded=%d", opt_send,
        opt_encoded ? "opusenc ! " : "", opt_encoded);
  else
    desc = g_strdup_printf ("audiotestsrc is-live=true wave=sine freq=%f "
        "volume=0.5 ! audio/x-raw,rate=48000,channels=1 ! %s"
        "acscallbin name=call encoded=%d", opt_tone,
        opt_encoded ? "opusenc ! " : "", opt_encoded);
  if (opt_video) {
    gchar *video, *pattern;
    guint32 rgb = 0;

    if (opt_video_color) {
      rgb = g_ascii_strtoull (opt_video_color, NULL, 16) & 0xffffff;
      pattern = g_strdup_printf ("pattern=solid-color foreground-color=%u",
          0xff000000u | rgb);
    } else {
      pattern = g_strdup ("pattern=smpte");
    }
    /* I420 as a camera would give it; with --encoded, VP8 made here */
    video = g_strdup_printf ("%s videotestsrc is-live=true %s ! "
        "video/x-raw,format=I420,width=320,height=240,framerate=15/1 ! %s"
        "call.video_sink", desc, pattern, opt_encoded ?
        "vp8enc deadline=1 lag-in-frames=0 keyframe-max-dist=60 ! " : "");
    g_free (pattern);
    g_free (desc);
    desc = video;
  }
  c.pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  if (c.pipeline == NULL) {
    g_printerr ("acs-call: %s\n", err->message);
    return 1;
  }
  c.call = gst_bin_get_by_name (GST_BIN (c.pipeline), "call");
  if (opt_video)
    g_object_set (c.call, "video-bitrate", opt_video_bitrate, NULL);
  g_object_set (c.call, "controller", opt_controller, "token", opt_token,
      "auto-answer", !opt_decline && opt_answer_after <= 0,
      "latency", opt_latency, NULL);
  g_signal_connect (c.call, "on-incoming", G_CALLBACK (on_incoming), &c);
  memset (opt_token, 0, strlen (opt_token));
  if (opt_call)
    g_object_set (c.call, "target", opt_call, NULL);
  if (opt_ca_file)
    g_object_set (c.call, "tls-ca-file", opt_ca_file, NULL);
  if (opt_pinned)
    g_object_set (c.call, "tls-pinned-certificate", opt_pinned, NULL);
  if (opt_interfaces)
    g_object_set (c.call, "interfaces", opt_interfaces, NULL);
  g_object_set (c.call, "ice-tcp", opt_ice_tcp, "relay-only", opt_relay_only,
      NULL);
  if (opt_stun)
    g_object_set (c.call, "stun-server", opt_stun, NULL);
  if (opt_turn)
    g_object_set (c.call, "turn-server", opt_turn, NULL);
  g_signal_connect (c.call, "pad-added", G_CALLBACK (on_pad_added), &c);
  if (opt_log_plaintext) {
    GstElement *enc = gst_bin_get_by_name (GST_BIN (c.call), "srtpenc");
    GstPad *pad = enc ? gst_element_get_static_pad (enc, "sink") : NULL;

    c.plain_out = fopen (opt_log_plaintext, "w");
    if (c.plain_out == NULL || pad == NULL) {
      g_printerr ("acs-call: cannot log the plaintext to %s\n",
          opt_log_plaintext);
      return 1;
    }
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, plaintext_probe, &c,
        NULL);
    gst_object_unref (pad);
    gst_object_unref (enc);
  }

  c.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (c.pipeline);
  gst_bus_add_watch (bus, on_message, &c);
  if (gst_element_set_state (c.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    c.failed = TRUE;
    c.error = g_strdup ("the pipeline did not start");
  } else {
    g_main_loop_run (c.loop);
  }

  if (c.stats == NULL)
    g_object_get (c.call, "stats", &c.stats, NULL);
  gst_structure_get_uint64 (c.stats, "rtp-packets-sent", &sent);
  gst_structure_get_uint64 (c.stats, "rtp-packets-received", &received);
  gst_structure_get_uint64 (c.stats, "rtcp-packets-sent", &rtcp_sent);
  gst_structure_get_uint64 (c.stats, "rtcp-packets-received", &rtcp_received);
  gst_structure_get_double (c.stats, "loss-percent", &loss);
  gst_structure_get_double (c.stats, "jitter-ms", &jitter);
  gst_structure_get_double (c.stats, "rtt-ms", &rtt);
  gst_structure_get_double (c.stats, "mos", &mos);
  profile = gst_structure_get_string (c.stats, "srtp-profile");

  if (opt_expect_end == 200)
    ok = !c.failed && c.active && c.ended && received > 0 && sent > 0
        && (c.sip_status == 200 || c.sip_status == 0);
  else
    ok = !c.failed && c.ended && c.sip_status == opt_expect_end;
  progress (&c, "%s: ended %s (%u), %" G_GUINT64_FORMAT " RTP sent, %"
      G_GUINT64_FORMAT " received, loss %.1f%%, jitter %.1f ms, %s",
      ok ? "ok" : "FAILED", c.end_reason ? c.end_reason : "-", c.sip_status,
      sent, received, loss, jitter, c.error ? c.error : "no error");

  if (opt_json) {
    json = g_string_new ("{");
    g_string_append_printf (json, "\"ok\": %s", ok ? "true" : "false");
    g_string_append_printf (json, ", \"end_reason\": %u", c.sip_status);
    json_str (json, "end_text", c.end_reason);
    /* CLOCK_MONOTONIC (shared by all network namespaces) when the
     * command started: the *_ms fields count from there */
    json_num (json, "t0_monotonic_ms", c.t0 / 1000.0, TRUE);
    json_num (json, "setup_ms", ms_since (&c, c.t_active), c.t_active != 0);
    json_num (json, "first_audio_ms", ms_since (&c, c.t_first_audio),
        c.t_first_audio != 0);
    json_str (json, "case", c.path_case);
    json_str (json, "local_type", c.local_type);
    json_str (json, "local_proto", c.local_proto);
    json_str (json, "remote_type", c.remote_type);
    json_str (json, "remote_proto", c.remote_proto);
    json_str (json, "relay_proto", c.relay_proto && *c.relay_proto ?
        c.relay_proto : NULL);
    g_string_append_printf (json, ", \"rtp_sent\": %" G_GUINT64_FORMAT
        ", \"rtp_received\": %" G_GUINT64_FORMAT ", \"rtcp_sent\": %"
        G_GUINT64_FORMAT ", \"rtcp_received\": %" G_GUINT64_FORMAT, sent,
        received, rtcp_sent, rtcp_received);
    json_num (json, "loss_pct", loss, TRUE);
    json_num (json, "jitter_ms", jitter, TRUE);
    json_num (json, "rtt_ms", rtt, rtt >= 0);
    if (c.active)
      g_string_append_printf (json, ", \"mos\": %.2f", mos);
    else
      g_string_append (json, ", \"mos\": null");
    json_str (json, "srtp_profile", profile && *profile ? profile : NULL);
    g_string_append_printf (json, ", \"hung_up_here\": %s",
        c.we_hung_up ? "true" : "false");
    g_string_append_printf (json, ", \"recording_complete\": %s",
        g_atomic_int_get (&c.recorded_eos) ? "true" : "false");
    g_mutex_lock (&c.video_lock);
    g_string_append_printf (json, ", \"video_frames_received\": %"
        G_GUINT64_FORMAT, c.video_frames);
    json_num (json, "first_video_ms", ms_since (&c, c.t_first_video),
        c.t_first_video != 0);
    if (c.video_frames > 0)
      g_string_append_printf (json, ", \"video_width\": %d, "
          "\"video_height\": %d, \"video_mean_rgb\": [%.1f, %.1f, %.1f]",
          c.video_width, c.video_height, c.video_rgb[0], c.video_rgb[1],
          c.video_rgb[2]);
    else
      g_string_append (json, ", \"video_width\": null, \"video_height\": "
          "null, \"video_mean_rgb\": null");
    g_mutex_unlock (&c.video_lock);
    json_str (json, "error", c.error);
    g_string_append (json, "}");
    g_print ("%s\n", json->str);
    g_string_free (json, TRUE);
  }

  gst_element_set_state (c.pipeline, GST_STATE_NULL);
  if (c.stats_out)
    fclose (c.stats_out);
  if (c.plain_out)
    fclose (c.plain_out);
  gst_clear_structure (&c.stats);
  gst_object_unref (c.call);
  gst_object_unref (c.pipeline);
  gst_object_unref (bus);
  g_main_loop_unref (c.loop);
  return ok ? 0 : 1;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * acs-srtp-demo: sends an Opus stream protected with SRTP on loopback, over
 * an ICE connection made by two acsicebin elements (or plain UDP with
 * --transport=udp), receives, authenticates and decrypts it, writes the
 * audio to a WAV file and prints the statistics of both SRTP elements and
 * the ICE path as JSON.
 *
 * The key is made by the sender (random-key) and handed to the receiver as
 * an SDES inline string, as an SDP a=crypto line would carry it. It is
 * never printed.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <string.h>
#include <stdlib.h>

#include <acs/acssdes.h>
#include <acs/acssrtpprofile.h>

#define G_LOG_DOMAIN_DEMO "acs-srtp-demo"

static gchar *opt_profile = NULL;
static gchar *opt_output = NULL;
static gint opt_seconds = 3;
static gchar *opt_transport = NULL;

static GOptionEntry entries[] = {
  {"profile", 'p', 0, G_OPTION_ARG_STRING, &opt_profile,
      "SRTP profile (RFC 4568 name), default AEAD_AES_128_GCM", "NAME"},
  {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
      "WAV file to write, default demo-out/srtp-demo.wav", "FILE"},
  {"seconds", 's', 0, G_OPTION_ARG_INT, &opt_seconds,
      "Seconds of audio to send, default 3", "N"},
  {"transport", 't', 0, G_OPTION_ARG_STRING, &opt_transport,
      "ice (two acsicebin on 127.0.0.1, the default) or udp", "T"},
  {NULL}
};

/* Runs @pipeline until EOS or error; returns FALSE on error */
static gboolean
wait_eos (GstElement * pipeline, GstClockTime timeout)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gboolean ok = FALSE;

  msg = gst_bus_timed_pop_filtered (bus, timeout,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_APPLICATION);
  if (msg == NULL) {
    g_printerr ("%s: timed out waiting for %s\n", G_LOG_DOMAIN_DEMO,
        GST_OBJECT_NAME (pipeline));
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    g_printerr ("%s: error from %s: %s (%s)\n", G_LOG_DOMAIN_DEMO,
        GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message, dbg ? dbg : "");
    g_clear_error (&err);
    g_free (dbg);
  } else {
    ok = TRUE;
  }
  gst_clear_message (&msg);
  gst_object_unref (bus);
  return ok;
}

/* acsicebin's src never ends (the peer may go on sending), so the sender
 * pipeline never posts EOS: tell when the EOS reaches the network instead */
static GstPadProbeReturn
sent_eos_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstElement *pipeline = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    gst_element_post_message (pipeline,
        gst_message_new_application (GST_OBJECT (pipeline),
            gst_structure_new_empty ("acs-demo-sent-all")));
  return GST_PAD_PROBE_OK;
}

/* The ICE exchange the signaling would do, in process */
static void
forward_candidate (GstElement * ice, const gchar * cand, GstElement * peer)
{
  gboolean ok;

  g_signal_emit_by_name (peer, "add-remote-candidate", cand, &ok);
}

static void
forward_end (GstElement * ice, GstElement * peer)
{
  gboolean ok;

  g_signal_emit_by_name (peer, "add-remote-candidate", "", &ok);
}

static void
exchange_credentials (GstElement * from, GstElement * to)
{
  gchar *ufrag = NULL, *pwd = NULL;
  gboolean ok;

  g_object_get (from, "local-ufrag", &ufrag, "local-pwd", &pwd, NULL);
  g_signal_emit_by_name (to, "set-remote-credentials", ufrag, pwd, &ok);
  g_free (ufrag);
  g_free (pwd);
}

/* Waits for acs-ice-state connected from @pipeline */
static gboolean
wait_connected (GstElement * pipeline, GstClockTime timeout)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstClockTime deadline = gst_util_get_timestamp () + timeout;
  gboolean connected = FALSE;

  while (!connected && gst_util_get_timestamp () < deadline) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    const GstStructure *s;

    if (msg == NULL)
      continue;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      gst_message_unref (msg);
      break;
    }
    s = gst_message_get_structure (msg);
    connected = gst_structure_has_name (s, "acs-ice-state")
        && g_strcmp0 (gst_structure_get_string (s, "state"), "connected") == 0;
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return connected;
}

static void append_structure_json (GString * out, const GstStructure * s);

static void
append_value_json (GString * out, const GValue * v)
{
  if (G_VALUE_HOLDS_UINT64 (v)) {
    g_string_append_printf (out, "%" G_GUINT64_FORMAT, g_value_get_uint64 (v));
  } else if (G_VALUE_HOLDS_UINT (v)) {
    g_string_append_printf (out, "%u", g_value_get_uint (v));
  } else if (GST_VALUE_HOLDS_STRUCTURE (v)) {
    append_structure_json (out, gst_value_get_structure (v));
  } else if (GST_VALUE_HOLDS_ARRAY (v)) {
    guint i, n = gst_value_array_get_size (v);

    g_string_append_c (out, '[');
    for (i = 0; i < n; i++) {
      if (i > 0)
        g_string_append (out, ", ");
      append_value_json (out, gst_value_array_get_value (v, i));
    }
    g_string_append_c (out, ']');
  } else {
    g_string_append (out, "null");
  }
}

/* Counters are numbers and arrays of structures only */
static void
append_structure_json (GString * out, const GstStructure * s)
{
  guint i, n = gst_structure_n_fields (s);

  g_string_append_c (out, '{');
  for (i = 0; i < n; i++) {
    const gchar *name = gst_structure_nth_field_name (s, i);

    g_string_append_printf (out, "%s\"%s\": ", i > 0 ? ", " : "", name);
    append_value_json (out, gst_structure_get_value (s, name));
  }
  g_string_append_c (out, '}');
}

static void
print_stats (const gchar * name, GstElement * element)
{
  GstStructure *stats = NULL;
  GString *json = g_string_new (NULL);

  g_object_get (element, "stats", &stats, NULL);
  append_structure_json (json, stats);
  g_print ("  \"%s\": %s", name, json->str);
  g_string_free (json, TRUE);
  gst_structure_free (stats);
}

static guint64
stats_get (GstElement * element, const gchar * field)
{
  GstStructure *stats = NULL;
  guint64 v = 0;

  g_object_get (element, "stats", &stats, NULL);
  gst_structure_get_uint64 (stats, field, &v);
  gst_structure_free (stats);
  return v;
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx;
  GError *err = NULL;
  GstElement *sender = NULL, *receiver = NULL;
  GstElement *enc = NULL, *dec = NULL, *udpsrc = NULL, *udpsink = NULL;
  GstBuffer *key = NULL;
  GstMapInfo map;
  gchar *desc, *inline_key, *dir, *pair = NULL;
  gboolean use_ice;
  gint port = 0, ret = 1;
  guint64 sent, received, dropped;
  AcsSrtpProfile profile;

  ctx = g_option_context_new ("- SRTP over ICE (or UDP) on loopback");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s: %s\n", G_LOG_DOMAIN_DEMO, err->message);
    g_clear_error (&err);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);

  if (opt_profile == NULL)
    opt_profile = g_strdup ("AEAD_AES_128_GCM");
  profile = acs_srtp_profile_from_name (opt_profile);
  if (profile == ACS_SRTP_PROFILE_CUSTOM) {
    g_printerr ("%s: unknown profile '%s'\n", G_LOG_DOMAIN_DEMO, opt_profile);
    return 2;
  }
  if (opt_output == NULL)
    opt_output = g_strdup ("demo-out/srtp-demo.wav");
  dir = g_path_get_dirname (opt_output);
  g_mkdir_with_parents (dir, 0755);
  g_free (dir);

  if (opt_transport == NULL)
    opt_transport = g_strdup ("ice");
  use_ice = g_strcmp0 (opt_transport, "ice") == 0;
  if (!use_ice && g_strcmp0 (opt_transport, "udp") != 0) {
    g_printerr ("%s: unknown transport '%s'\n", G_LOG_DOMAIN_DEMO,
        opt_transport);
    return 2;
  }

  /* Receiver first: an ICE agent, or UDP on an ephemeral port */
  desc = g_strdup_printf ("%s ! capsfilter caps=\"application/x-srtp,"
      "media=audio,clock-rate=48000,encoding-name=OPUS,payload=96\" ! "
      "acssrtpdec name=dec profile=%s ! rtpjitterbuffer latency=50 ! "
      "rtpopusdepay ! opusdec ! audioconvert ! wavenc ! "
      "filesink location=\"%s\"", use_ice ?
      "acsicebin name=src interfaces=127.0.0.1" :
      "udpsrc name=src address=127.0.0.1 port=0", opt_profile, opt_output);
  receiver = gst_parse_launch (desc, &err);
  g_free (desc);
  if (receiver == NULL)
    goto parse_error;

  desc = g_strdup_printf ("audiotestsrc is-live=true num-buffers=%d "
      "samplesperbuffer=960 wave=ticks ! audio/x-raw,rate=48000,channels=1 ! "
      "opusenc ! rtpopuspay pt=96 ! acssrtpenc name=enc profile=%s "
      "random-key=true ! %s", opt_seconds * 50, opt_profile, use_ice ?
      "acsicebin name=sink controlling=true interfaces=127.0.0.1 ! "
      "fakesink sync=false async=false" :
      "udpsink name=sink host=127.0.0.1 sync=false");
  sender = gst_parse_launch (desc, &err);
  g_free (desc);
  if (sender == NULL)
    goto parse_error;

  dec = gst_bin_get_by_name (GST_BIN (receiver), "dec");
  udpsrc = gst_bin_get_by_name (GST_BIN (receiver), "src");
  enc = gst_bin_get_by_name (GST_BIN (sender), "enc");
  udpsink = gst_bin_get_by_name (GST_BIN (sender), "sink");

  if (use_ice) {
    g_signal_connect (udpsrc, "on-ice-candidate",
        G_CALLBACK (forward_candidate), udpsink);
    g_signal_connect (udpsink, "on-ice-candidate",
        G_CALLBACK (forward_candidate), udpsrc);
    g_signal_connect (udpsrc, "on-gathering-done", G_CALLBACK (forward_end),
        udpsink);
    g_signal_connect (udpsink, "on-gathering-done", G_CALLBACK (forward_end),
        udpsrc);
    if (gst_element_set_state (receiver, GST_STATE_READY) ==
        GST_STATE_CHANGE_FAILURE
        || gst_element_set_state (sender, GST_STATE_READY) ==
        GST_STATE_CHANGE_FAILURE)
      goto state_error;
    exchange_credentials (udpsrc, udpsink);
    exchange_credentials (udpsink, udpsrc);
    {
      GstPad *pad = gst_element_get_static_pad (udpsink, "sink");

      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
          sent_eos_probe, sender, NULL);
      gst_object_unref (pad);
    }
  }

  if (gst_element_set_state (receiver, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    goto state_error;
  if (!use_ice) {
    g_object_get (udpsrc, "port", &port, NULL);
    g_object_set (udpsink, "port", port, NULL);
  }

  /* The sender makes its key going to PAUSED; hand it over as SDES would */
  if (gst_element_set_state (sender, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE)
    goto state_error;
  g_object_get (enc, "key", &key, NULL);
  if (key == NULL || !gst_buffer_map (key, &map, GST_MAP_READ))
    goto state_error;
  inline_key = acs_sdes_format_inline (map.data, map.size);
  gst_buffer_unmap (key, &map);
  g_object_set (dec, "inline-key", inline_key, NULL);
  acs_secret_free (inline_key, strlen (inline_key));
  gst_buffer_unref (key);

  if (use_ice) {
    /* The live source sends nothing before PLAYING: connect first */
    if (!wait_connected (sender, 10 * GST_SECOND))
      goto state_error;
    g_object_get (udpsink, "selected-pair", &pair, NULL);
    g_printerr ("%s: ICE connected: %s\n", G_LOG_DOMAIN_DEMO, pair);
  }
  g_printerr ("%s: sending %d s of Opus over SRTP (%s) on %s\n",
      G_LOG_DOMAIN_DEMO, opt_seconds, opt_profile, use_ice ? "ICE" : "UDP");
  if (gst_element_set_state (sender, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    goto state_error;

  if (!wait_eos (sender, (opt_seconds + 10) * GST_SECOND))
    goto state_error;

  /* The network carries no EOS: let the last packets arrive, then finish
   * the file */
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  gst_element_send_event (receiver, gst_event_new_eos ());
  if (!wait_eos (receiver, 10 * GST_SECOND))
    goto state_error;

  sent = stats_get (enc, "packets-protected");
  received = stats_get (dec, "packets-unprotected");
  dropped = stats_get (dec, "packets-dropped");

  g_print ("{\n  \"profile\": \"%s\",\n  \"transport\": \"%s\",\n"
      "  \"ice-selected-pair\": \"%s\",\n  \"output\": \"%s\",\n"
      "  \"packets-sent\": %" G_GUINT64_FORMAT ",\n"
      "  \"packets-received\": %" G_GUINT64_FORMAT ",\n"
      "  \"packets-dropped\": %" G_GUINT64_FORMAT ",\n", opt_profile,
      opt_transport, pair ? pair : "", opt_output, sent, received, dropped);
  print_stats ("encoder-stats", enc);
  g_print (",\n");
  print_stats ("decoder-stats", dec);
  g_print ("\n}\n");

  if (sent > 0 && received == sent && dropped == 0) {
    g_printerr ("%s: OK, all %" G_GUINT64_FORMAT " packets decrypted, audio "
        "in %s\n", G_LOG_DOMAIN_DEMO, received, opt_output);
    ret = 0;
  } else {
    g_printerr ("%s: FAILED, %" G_GUINT64_FORMAT " sent, %" G_GUINT64_FORMAT
        " decrypted\n", G_LOG_DOMAIN_DEMO, sent, received);
  }

  goto done;

parse_error:
  g_printerr ("%s: %s\n", G_LOG_DOMAIN_DEMO, err->message);
  g_clear_error (&err);
  goto done;

state_error:
  g_printerr ("%s: the pipelines did not run\n", G_LOG_DOMAIN_DEMO);

done:
  gst_clear_object (&dec);
  gst_clear_object (&udpsrc);
  gst_clear_object (&enc);
  gst_clear_object (&udpsink);
  if (sender) {
    gst_element_set_state (sender, GST_STATE_NULL);
    gst_object_unref (sender);
  }
  if (receiver) {
    gst_element_set_state (receiver, GST_STATE_NULL);
    gst_object_unref (receiver);
  }
  g_free (opt_profile);
  g_free (opt_output);
  g_free (opt_transport);
  g_free (pair);
  gst_deinit ();
  return ret;
}

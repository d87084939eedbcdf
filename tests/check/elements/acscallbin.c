/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of acscallbin: properties, pads, states, the video chains, and
 * the offer and answer it builds and parses (gst/callbin/gstacscallsdp.c),
 * audio only or with a BUNDLEd VP8 line. Whole calls through a controller
 * are in tests/check/acscall-e2e.py.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>

#include <acs/acserror.h>

#include "gstacscallsdp.h"
#include "gstacscallmedia.h"

/* The media helpers compiled into this test log to acscallbin's category */
GST_DEBUG_CATEGORY (gst_acs_call_bin_debug);

static GstElement *
get_child (GstElement * bin, const gchar * name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (bin), name);

  fail_unless (e != NULL, "no child %s", name);
  return e;
}

/* The latency of a live receive chain ending in opusdec with in-band FEC,
 * asked on the decoder's src pad, with or without acscallbin's correction */
static GstClockTime
opus_chain_latency (gboolean corrected, GstClockTime * dec_min)
{
  GstElement *pipe, *dec;
  GstPad *src;
  GstQuery *q;
  GstClockTime min, max;
  gboolean live;

  pipe = gst_parse_launch ("audiotestsrc is-live=true ! "
      "audio/x-raw,rate=48000,channels=1 ! opusenc ! rtpopuspay ! "
      "rtpopusdepay ! opusdec name=dec use-inband-fec=true plc=true ! "
      "fakesink sync=true", NULL);
  fail_unless (pipe != NULL);
  dec = gst_bin_get_by_name (GST_BIN (pipe), "dec");
  src = gst_element_get_static_pad (dec, "src");
  if (corrected)
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_QUERY_UPSTREAM,
        acs_call_media_opus_latency_probe, NULL, NULL);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_get_state (pipe, NULL, NULL, 10 * GST_SECOND) ==
      GST_STATE_CHANGE_SUCCESS);
  gst_audio_decoder_get_latency (GST_AUDIO_DECODER (dec), dec_min, NULL);
  q = gst_query_new_latency ();
  fail_unless (gst_pad_query (src, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless (live);
  gst_query_unref (q);
  gst_object_unref (src);
  gst_object_unref (dec);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  return min;
}

GST_START_TEST (test_opus_fec_latency)
{
  GstClockTime dec_min = 0, plain, corrected;

  plain = opus_chain_latency (FALSE, &dec_min);
  corrected = opus_chain_latency (TRUE, &dec_min);
  /* opusdec announces more than one packet with FEC on (120 ms in 1.22):
   * what it holds is one 20 ms packet, and only its share changes */
  fail_unless (dec_min > ACS_CALL_MEDIA_OPUS_HOLD, "%" GST_TIME_FORMAT,
      GST_TIME_ARGS (dec_min));
  fail_unless_equals_uint64 (plain - corrected,
      dec_min - ACS_CALL_MEDIA_OPUS_HOLD);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *call = gst_element_factory_make ("acscallbin", NULL);
  GstElement *rtpbin, *ice, *sig;
  GParamSpec *pspec;
  GstStructure *stats = NULL;
  gchar *str = NULL;
  guint latency = 0;
  gboolean auto_answer = TRUE;
  guint64 n = 1;
  gdouble rtt = 0, mos = 0;

  fail_unless (call != NULL);
  g_object_get (call, "latency", &latency, "auto-answer", &auto_answer,
      "target", &str, NULL);
  fail_unless_equals_int (latency, 60);
  fail_unless (!auto_answer);
  fail_unless (str == NULL);
  g_object_get (call, "mute", &auto_answer, "stats-interval", &latency, NULL);
  fail_unless (!auto_answer);
  fail_unless_equals_int (latency, 1000);
  g_object_set (call, "mute", TRUE, "stats-interval", 5, NULL);
  g_object_get (call, "mute", &auto_answer, "stats-interval", &latency, NULL);
  fail_unless (auto_answer);
  fail_unless_equals_int (latency, 100);
  g_object_set (call, "stats-interval", 0, NULL);
  g_object_get (call, "stats-interval", &latency, NULL);
  fail_unless_equals_int (latency, 0);
  auto_answer = TRUE;

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (call), "token");
  fail_unless (pspec != NULL);
  fail_unless ((pspec->flags & G_PARAM_READABLE) == 0);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (call),
      "turn-server");
  fail_unless ((pspec->flags & G_PARAM_READABLE) == 0);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (call), "stats");
  fail_unless ((pspec->flags & G_PARAM_WRITABLE) == 0);

  g_object_set (call, "latency", 120, "interfaces", "127.0.0.1",
      "controller", "https://127.0.0.1:1", "target", "bob",
      "auto-answer", TRUE, "stun-server", "stun://127.0.0.1:3478", NULL);
  rtpbin = get_child (call, "rtpbin");
  ice = get_child (call, "ice");
  sig = get_child (call, "signal");
  g_object_get (rtpbin, "latency", &latency, NULL);
  fail_unless_equals_int (latency, 120);
  /* losses reach opusdec as gaps, for its FEC and PLC */
  g_object_get (rtpbin, "do-lost", &auto_answer, NULL);
  fail_unless (auto_answer);
  auto_answer = TRUE;
  g_object_get (ice, "interfaces", &str, NULL);
  fail_unless_equals_string (str, "127.0.0.1");
  g_free (str);
  g_object_set (call, "ice-tcp", TRUE, "relay-only", TRUE, NULL);
  g_object_get (ice, "ice-tcp", &auto_answer, NULL);
  fail_unless (auto_answer);
  g_object_get (call, "relay-only", &auto_answer, NULL);
  fail_unless (auto_answer);
  g_object_set (call, "relay-only", FALSE, NULL);
  g_object_get (call, "relay-only", &auto_answer, NULL);
  fail_unless (!auto_answer);
  g_object_get (sig, "controller", &str, NULL);
  fail_unless_equals_string (str, "https://127.0.0.1:1");
  g_free (str);
  g_object_get (call, "target", &str, "auto-answer", &auto_answer, NULL);
  fail_unless_equals_string (str, "bob");
  fail_unless (auto_answer);
  g_free (str);
  g_object_get (call, "stun-server", &str, NULL);
  fail_unless_equals_string (str, "stun://127.0.0.1:3478");
  g_free (str);

  g_object_get (call, "stats", &stats, NULL);
  fail_unless (gst_structure_has_name (stats, "application/x-acs-call-stats"));
  fail_unless_equals_string (gst_structure_get_string (stats, "state"), "idle");
  fail_unless (gst_structure_get_uint64 (stats, "rtp-packets-sent", &n));
  fail_unless_equals_uint64 (n, 0);
  fail_unless (gst_structure_get_uint64 (stats, "rtp-packets-received", &n));
  fail_unless (gst_structure_get_double (stats, "rtt-ms", &rtt));
  fail_unless (gst_structure_get_double (stats, "mos", &mos));
  fail_unless (mos > 4.0 && mos <= 4.5);
  fail_unless (gst_structure_get_double (stats, "send-kbps", &mos));
  fail_unless (gst_structure_get_uint64 (stats, "rtcp-packets-sent", &n));
  fail_unless (gst_structure_get_uint64 (stats, "rtcp-packets-received", &n));
  fail_unless (rtt < 0);
  gst_structure_free (stats);

  gst_object_unref (rtpbin);
  gst_object_unref (ice);
  gst_object_unref (sig);
  gst_object_unref (call);
}

GST_END_TEST;

/* RFC 6464 on outgoing RTP: the bin's payloader, taken out of the bin,
 * writes the level of a buffer's GstAudioLevelMeta as extension 1 */
GST_START_TEST (test_audio_level_extension)
{
  GstElement *call = gst_element_factory_make ("acscallbin", NULL);
  GstElement *pay = get_child (call, "pay");
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstHarness *h;
  GstBuffer *buf;
  gpointer data;
  guint size;

  gst_bin_remove (GST_BIN (call), pay);
  h = gst_harness_new_with_element (pay, "sink", "src");
  gst_harness_set_src_caps_str (h, "audio/x-opus,rate=48000,channels=1,"
      "channel-mapping-family=0");
  buf = gst_harness_create_buffer (h, 40);
  gst_buffer_memset (buf, 0, 0x78, 40);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = 20 * GST_MSECOND;
  gst_buffer_add_audio_level_meta (buf, 17, TRUE);
  buf = gst_harness_push_and_pull (h, buf);
  fail_unless (buf != NULL);
  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  fail_unless_equals_int (gst_rtp_buffer_get_payload_type (&rtp), 96);
  fail_unless (gst_rtp_buffer_get_extension_onebyte_header (&rtp,
          ACS_CALL_SDP_AUDIO_LEVEL_ID, 0, &data, &size));
  fail_unless_equals_int (size, 1);
  fail_unless_equals_int (((guint8 *) data)[0], 0x80 | 17);
  gst_rtp_buffer_unmap (&rtp);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
  gst_object_unref (pay);
  gst_object_unref (call);
}

GST_END_TEST;

static GstElement *
ghost_target_parent (GstElement * call)
{
  GstPad *pad = gst_element_get_static_pad (call, "audio_sink");
  GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));
  GstElement *parent = gst_pad_get_parent_element (target);

  gst_object_unref (target);
  gst_object_unref (pad);
  return parent;
}

/* encoded=true links audio_sink straight to the payloader, and back */
GST_START_TEST (test_encoded)
{
  GstElement *call = gst_element_factory_make ("acscallbin", NULL);
  GstElement *e;
  gboolean encoded = TRUE;

  g_object_get (call, "encoded", &encoded, NULL);
  fail_unless (!encoded);
  e = ghost_target_parent (call);
  fail_unless_equals_string (GST_OBJECT_NAME (e), "convert");
  gst_object_unref (e);

  g_object_set (call, "encoded", TRUE, NULL);
  e = ghost_target_parent (call);
  fail_unless_equals_string (GST_OBJECT_NAME (e), "pay");
  gst_object_unref (e);
  fail_unless_equals_int (gst_element_set_state (call, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (call, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  g_object_set (call, "encoded", FALSE, NULL);
  e = ghost_target_parent (call);
  fail_unless_equals_string (GST_OBJECT_NAME (e), "convert");
  gst_object_unref (e);
  gst_object_unref (call);
}

GST_END_TEST;

GST_START_TEST (test_pads)
{
  GstElement *call = gst_element_factory_make ("acscallbin", NULL);
  GstPadTemplate *templ;
  GstPad *pad;

  pad = gst_element_get_static_pad (call, "audio_sink");
  fail_unless (pad != NULL);
  fail_unless_equals_int (GST_PAD_DIRECTION (pad), GST_PAD_SINK);
  gst_object_unref (pad);

  templ = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (call),
      "audio_src_%u");
  fail_unless (templ != NULL);
  fail_unless_equals_int (GST_PAD_TEMPLATE_PRESENCE (templ), GST_PAD_SOMETIMES);
  /* no src pad before a remote stream arrives */
  fail_unless_equals_int (call->numsrcpads, 0);
  gst_object_unref (call);
}

GST_END_TEST;

/* video_sink is a request pad: it puts an rtpfunnel before rtpbin, and
 * taking it back restores the audio-only graph */
GST_START_TEST (test_video_pads)
{
  GstElement *call = gst_element_factory_make ("acscallbin", NULL);
  GstElement *rtpbin = get_child (call, "rtpbin");
  GstElement *pay = get_child (call, "pay");
  GstElement *vsend, *enc, *peer;
  GstPadTemplate *templ;
  GstPad *pad, *pad2, *src, *target;
  gint64 deadline = 0;
  gint lag = -1, bitrate = 0;
  guint vbitrate = 0;

  templ = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (call),
      "video_sink");
  fail_unless (templ != NULL);
  fail_unless_equals_int (GST_PAD_TEMPLATE_PRESENCE (templ), GST_PAD_REQUEST);
  templ = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (call),
      "video_src_%u");
  fail_unless (templ != NULL);
  fail_unless_equals_int (GST_PAD_TEMPLATE_PRESENCE (templ), GST_PAD_SOMETIMES);

  /* without video: the payloader feeds rtpbin, no funnel */
  src = gst_element_get_static_pad (pay, "src");
  peer = gst_pad_get_parent_element (pad2 = gst_pad_get_peer (src));
  fail_unless (peer == rtpbin);
  gst_object_unref (peer);
  gst_object_unref (pad2);
  fail_if (gst_bin_get_by_name (GST_BIN (call), "rtpfunnel"));

  g_object_get (call, "video-bitrate", &vbitrate, NULL);
  fail_unless_equals_int (vbitrate, 500000);
  g_object_set (call, "video-bitrate", 300000, NULL);
  pad = gst_element_request_pad_simple (call, "video_sink");
  fail_unless (pad != NULL);
  fail_unless_equals_string (GST_PAD_NAME (pad), "video_sink");

  peer = gst_pad_get_parent_element (pad2 = gst_pad_get_peer (src));
  fail_unless_equals_string (GST_OBJECT_NAME (peer), "rtpfunnel");
  gst_object_unref (peer);
  gst_object_unref (pad2);
  vsend = get_child (call, "videosend");
  enc = get_child (vsend, "vp8enc");
  g_object_get (enc, "deadline", &deadline, "lag-in-frames", &lag,
      "target-bitrate", &bitrate, NULL);
  fail_unless_equals_int64 (deadline, 1);
  fail_unless_equals_int (lag, 0);
  fail_unless_equals_int (bitrate, 300000);
  /* the bit rate may change during the call */
  g_object_set (call, "video-bitrate", 800000, NULL);
  g_object_get (enc, "target-bitrate", &bitrate, NULL);
  fail_unless_equals_int (bitrate, 800000);
  gst_object_unref (enc);

  /* encoded pass-through: VP8 straight to the payloader */
  target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));
  peer = gst_pad_get_parent_element (target);
  fail_unless_equals_string (GST_OBJECT_NAME (peer), "videosend");
  gst_object_unref (peer);
  gst_object_unref (target);
  g_object_set (call, "encoded", TRUE, NULL);
  pad2 = gst_element_get_static_pad (vsend, "sink");
  target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad2));
  peer = gst_pad_get_parent_element (target);
  fail_unless_equals_string (GST_OBJECT_NAME (peer), "vpay");
  gst_object_unref (peer);
  gst_object_unref (target);
  gst_object_unref (pad2);
  gst_object_unref (vsend);

  fail_unless_equals_int (gst_element_set_state (call, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_release_request_pad (call, pad);
  gst_object_unref (pad);
  fail_if (gst_bin_get_by_name (GST_BIN (call), "rtpfunnel"));
  fail_if (gst_bin_get_by_name (GST_BIN (call), "videosend"));
  peer = gst_pad_get_parent_element (pad2 = gst_pad_get_peer (src));
  fail_unless (peer == rtpbin);
  gst_object_unref (peer);
  gst_object_unref (pad2);
  fail_unless_equals_int (gst_element_set_state (call, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  /* a bin disposed with its video_sink */
  pad = gst_element_request_pad_simple (call, "video_sink");
  fail_unless (pad != NULL);
  gst_object_unref (pad);
  gst_object_unref (src);
  gst_object_unref (pay);
  gst_object_unref (rtpbin);
  gst_object_unref (call);
}

GST_END_TEST;

/* The send chain the bin makes (videoconvert ! vp8enc ! rtpvp8pay), taken
 * out of the bin: a solid colour goes out as VP8 RTP of payload type 97
 * that rtpvp8depay ! vp8dec turn back into that colour, and a
 * force-key-unit event (what a PLI becomes) makes a keyframe */
GST_START_TEST (test_video_send_chain)
{
  GstElement *call = gst_element_factory_make ("acscallbin", NULL);
  GstElement *vsend;
  GstPad *pad;
  GstHarness *h, *hd;
  GstBuffer *buf;
  GstMapInfo map;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint i, n_key = 0, n_frames = 0, n_rtp = 0;
  gboolean asked_key = FALSE;

  pad = gst_element_request_pad_simple (call, "video_sink");
  vsend = get_child (call, "videosend");
  gst_element_release_request_pad (call, pad);
  gst_object_unref (pad);
  /* released: out of the bin, ours alone */
  fail_unless (GST_OBJECT_PARENT (vsend) == NULL);

  h = gst_harness_new_with_element (vsend, "sink", "src");
  gst_harness_set_src_caps_str (h, "video/x-raw,format=I420,width=64,"
      "height=48,framerate=15/1");
  hd = gst_harness_new_parse ("rtpvp8depay ! vp8dec");
  gst_harness_set_src_caps_str (hd, "application/x-rtp,media=video,"
      "clock-rate=90000,encoding-name=VP8,payload=97");

  for (i = 0; i < 10; i++) {
    buf = gst_harness_create_buffer (h, 64 * 48 * 3 / 2);
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    /* Y 150, U 44, V 21: a green */
    memset (map.data, 150, 64 * 48);
    memset (map.data + 64 * 48, 44, 32 * 24);
    memset (map.data + 64 * 48 + 32 * 24, 21, 32 * 24);
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = i * GST_SECOND / 15;
    GST_BUFFER_DURATION (buf) = GST_SECOND / 15;
    if (i == 6)
      fail_unless (gst_harness_push_upstream_event (h,
              gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                  gst_structure_new ("GstForceKeyUnit", "all-headers",
                      G_TYPE_BOOLEAN, TRUE, NULL))));
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    while ((buf = gst_harness_try_pull (h))) {
      fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
      fail_unless_equals_int (gst_rtp_buffer_get_payload_type (&rtp), 97);
      gst_rtp_buffer_unmap (&rtp);
      n_rtp++;
      fail_unless_equals_int (gst_harness_push (hd, buf), GST_FLOW_OK);
    }
    while ((buf = gst_harness_try_pull (hd))) {
      if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
        n_key++;
        /* the depayloader gives a frame when the next one starts */
        if (i >= 6)
          asked_key = TRUE;
      }
      gst_buffer_map (buf, &map, GST_MAP_READ);
      /* the middle of the Y plane, within the encoder's error */
      fail_unless (ABS ((gint) map.data[24 * 64 + 32] - 150) < 8,
          "Y %d", map.data[24 * 64 + 32]);
      gst_buffer_unmap (buf, &map);
      gst_buffer_unref (buf);
      n_frames++;
    }
  }
  fail_unless (asked_key,
      "no keyframe after a force-key-unit event (%u keyframes in %u frames)",
      n_key, n_frames);
  fail_unless (n_rtp >= 10);
  /* every frame decoded (the encoder drops none at this rate) */
  fail_unless (n_frames >= 9, "%u frames", n_frames);
  /* the first and the one asked for */
  fail_unless (n_key >= 2, "%u keyframes", n_key);
  gst_harness_teardown (hd);
  gst_harness_teardown (h);
  gst_object_unref (vsend);
  gst_object_unref (call);
}

GST_END_TEST;

GST_START_TEST (test_states)
{
  GstElement *call = gst_element_factory_make ("acscallbin", NULL);
  GstElement *ice = get_child (call, "ice");
  gchar *ufrag = NULL;
  GstState state;
  gint i;

  for (i = 0; i < 2; i++) {
    fail_unless_equals_int (gst_element_set_state (call, GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
    /* acsicebin is in READY with credentials, ready for an offer */
    gst_element_get_state (ice, &state, NULL, 0);
    fail_unless_equals_int (state, GST_STATE_READY);
    g_object_get (ice, "local-ufrag", &ufrag, NULL);
    fail_unless (ufrag != NULL && *ufrag != '\0');
    g_free (ufrag);
    fail_unless_equals_int (gst_element_set_state (call, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    gst_element_get_state (ice, &state, NULL, 0);
    fail_unless_equals_int (state, GST_STATE_NULL);
  }
  gst_object_unref (ice);
  gst_object_unref (call);
}

GST_END_TEST;

/* Without a controller acssignal refuses PAUSED, and so does the bin */
GST_START_TEST (test_no_controller)
{
  GstElement *call = gst_element_factory_make ("acscallbin", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (call, bus);
  fail_unless_equals_int (gst_element_set_state (call, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_element_set_state (call, GST_STATE_NULL);
  gst_element_set_bus (call, NULL);
  gst_object_unref (bus);
  gst_object_unref (call);
}

GST_END_TEST;

#define GCM_KEY "inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3OA=="
#define CM_KEY "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

static gchar *
make_offer_text (void)
{
  AcsCallSdpCrypto keys[2] = {
    {1, ACS_SRTP_PROFILE_AEAD_AES_128_GCM, (gchar *) GCM_KEY},
    {2, ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_80, (gchar *) CM_KEY},
  };
  GstSDPMessage *sdp = acs_call_sdp_build ("ufrg", "pwdpwdpwdpwdpwdpwdpwdpwd",
      keys, 2);
  gchar *text = gst_sdp_message_as_text (sdp);

  gst_sdp_message_free (sdp);
  return text;
}

GST_START_TEST (test_sdp_offer)
{
  gchar *text = make_offer_text ();
  GstSDPMessage *sdp;
  const GstSDPMedia *m;
  AcsCallSdpInfo info;
  GError *err = NULL;

  /* what docs/protocol.md section 4 asks for */
  gst_sdp_message_new_from_text (text, &sdp);
  fail_unless_equals_int (gst_sdp_message_medias_len (sdp), 1);
  m = gst_sdp_message_get_media (sdp, 0);
  fail_unless_equals_string (gst_sdp_media_get_media (m), "audio");
  fail_unless_equals_string (gst_sdp_media_get_format (m, 0), "96");
  fail_unless (gst_sdp_media_get_attribute_val (m, "rtcp-mux") != NULL);
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (m, "rtpmap"),
      "96 opus/48000/2");
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (m, "extmap"),
      "1 urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on");
  fail_unless_equals_string (gst_sdp_media_get_attribute_val_n (m, "crypto",
          0), "1 AEAD_AES_128_GCM " GCM_KEY);
  fail_unless_equals_string (gst_sdp_media_get_attribute_val_n (m, "crypto",
          1), "2 AES_CM_128_HMAC_SHA1_80 " CM_KEY);
  fail_unless (strstr (gst_sdp_media_get_attribute_val (m, "fmtp"),
          "useinbandfec=1") != NULL);
  gst_sdp_message_free (sdp);

  fail_unless (acs_call_sdp_parse (text, &info, &err));
  fail_unless (err == NULL);
  fail_unless_equals_string (info.ufrag, "ufrg");
  fail_unless_equals_string (info.pwd, "pwdpwdpwdpwdpwdpwdpwdpwd");
  fail_unless (info.rtcp_mux);
  fail_unless_equals_int (info.pt, 96);
  fail_unless_equals_int (info.crypto.tag, 1);
  fail_unless_equals_int (info.crypto.profile,
      ACS_SRTP_PROFILE_AEAD_AES_128_GCM);
  fail_unless_equals_string (info.crypto.key, GCM_KEY);
  acs_call_sdp_info_clear (&info);
  fail_unless (info.pwd == NULL && info.crypto.key == NULL);
  g_free (text);
}

GST_END_TEST;

#define SDP_HEAD "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

GST_START_TEST (test_sdp_parse)
{
  AcsCallSdpInfo info;
  GError *err = NULL;

  /* session-level credentials; an unknown suite is skipped */
  fail_unless (acs_call_sdp_parse (SDP_HEAD
          "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
          "m=audio 9 RTP/SAVP 111\r\nc=IN IP4 0.0.0.0\r\n"
          "a=rtpmap:111 OPUS/48000/2\r\n"
          "a=crypto:1 F8_128_HMAC_SHA1_80 inline:AAAA\r\n"
          "a=crypto:7 AES_CM_128_HMAC_SHA1_80 " CM_KEY "|2^20\r\n",
          &info, &err));
  fail_unless_equals_string (info.ufrag, "abcd");
  fail_unless_equals_int (info.pt, 111);
  fail_unless (!info.rtcp_mux);
  fail_unless_equals_int (info.crypto.tag, 7);
  fail_unless_equals_int (info.crypto.profile,
      ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_80);
  fail_unless_equals_string (info.crypto.key, CM_KEY "|2^20");
  acs_call_sdp_info_clear (&info);

  /* no usable crypto, no credentials, not audio, not SDP */
  fail_if (acs_call_sdp_parse (SDP_HEAD "a=ice-ufrag:abcd\r\n"
          "a=ice-pwd:0123456789012345678901\r\nm=audio 9 RTP/AVP 0\r\n",
          &info, &err));
  fail_unless (g_error_matches (err, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT));
  g_clear_error (&err);
  fail_if (acs_call_sdp_parse (SDP_HEAD "m=audio 9 RTP/SAVP 0\r\n"
          "a=crypto:1 AEAD_AES_128_GCM " GCM_KEY "\r\n", &info, &err));
  g_clear_error (&err);
  fail_if (acs_call_sdp_parse (SDP_HEAD "m=video 9 RTP/SAVP 96\r\n",
          &info, &err));
  g_clear_error (&err);
  fail_if (acs_call_sdp_parse ("hello", &info, &err));
  g_clear_error (&err);
  fail_if (acs_call_sdp_parse (NULL, &info, NULL));
  fail_if (acs_call_sdp_parse (SDP_HEAD "a=ice-ufrag:a\r\na=ice-pwd:b\r\n"
          "m=audio 9 RTP/SAVP 0\r\na=crypto:x AEAD_AES_128_GCM " GCM_KEY
          "\r\n", &info, NULL));
}

GST_END_TEST;

static gchar *
make_video_offer_text (void)
{
  AcsCallSdpCrypto keys[2] = {
    {1, ACS_SRTP_PROFILE_AEAD_AES_128_GCM, (gchar *) GCM_KEY},
    {2, ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_80, (gchar *) CM_KEY},
  };
  GstSDPMessage *sdp = acs_call_sdp_build_full ("ufrg",
      "pwdpwdpwdpwdpwdpwdpwdpwd", keys, 2, NULL, TRUE);
  gchar *text = gst_sdp_message_as_text (sdp);

  gst_sdp_message_free (sdp);
  return text;
}

/* Without video the offer is what it always was: no BUNDLE, no mid */
GST_START_TEST (test_sdp_audio_only_unchanged)
{
  AcsCallSdpCrypto key = { 1, ACS_SRTP_PROFILE_AEAD_AES_128_GCM,
    (gchar *) GCM_KEY
  };
  gchar *text = make_offer_text ();
  GstSDPMessage *sdp, *answer;
  AcsCallSdpInfo info;

  fail_if (strstr (text, "a=group") || strstr (text, "a=mid"));
  fail_if (strstr (text, "m=video"));
  fail_unless (acs_call_sdp_parse (text, &info, NULL));
  fail_unless_equals_int (info.video, ACS_CALL_SDP_VIDEO_NONE);
  fail_unless_equals_int (info.video_pt, -1);
  fail_unless (info.audio_mid == NULL && info.video_mid == NULL);
  /* a video-capable answerer answers an audio-only offer with audio only */
  answer = acs_call_sdp_build_full ("u2", "p2p2p2p2p2p2p2p2p2p2p2p2", &key, 1,
      &info, TRUE);
  fail_unless_equals_int (gst_sdp_message_medias_len (answer), 1);
  fail_unless (gst_sdp_message_get_attribute_val (answer, "group") == NULL);
  fail_unless (gst_sdp_media_get_attribute_val (gst_sdp_message_get_media
          (answer, 0), "mid") == NULL);
  gst_sdp_message_free (answer);
  acs_call_sdp_info_clear (&info);
  /* acs_call_sdp_build () is the audio-only offer */
  gst_sdp_message_new_from_text (text, &sdp);
  fail_unless_equals_int (gst_sdp_message_medias_len (sdp), 1);
  gst_sdp_message_free (sdp);
  g_free (text);
}

GST_END_TEST;

/* With video: audio mid 0 and VP8 mid 1 in one BUNDLE group, the same ICE
 * credentials and keys on both lines */
GST_START_TEST (test_sdp_video_offer)
{
  gchar *text = make_video_offer_text ();
  GstSDPMessage *sdp;
  const GstSDPMedia *a, *v;
  AcsCallSdpInfo info;
  guint i;

  gst_sdp_message_new_from_text (text, &sdp);
  fail_unless_equals_int (gst_sdp_message_medias_len (sdp), 2);
  fail_unless_equals_string (gst_sdp_message_get_attribute_val (sdp, "group"),
      "BUNDLE 0 1");
  a = gst_sdp_message_get_media (sdp, 0);
  v = gst_sdp_message_get_media (sdp, 1);
  fail_unless_equals_string (gst_sdp_media_get_media (a), "audio");
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (a, "mid"), "0");
  fail_unless_equals_string (gst_sdp_media_get_media (v), "video");
  fail_unless_equals_int (gst_sdp_media_get_port (v), 9);
  fail_unless_equals_string (gst_sdp_media_get_proto (v), "RTP/SAVP");
  fail_unless_equals_string (gst_sdp_media_get_format (v, 0), "97");
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (v, "mid"), "1");
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (v, "rtpmap"),
      "97 VP8/90000");
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (v, "rtcp-fb"),
      "97 nack pli");
  fail_unless (gst_sdp_media_get_attribute_val (v, "rtcp-mux") != NULL);
  fail_unless (gst_sdp_media_get_attribute_val (v, "sendrecv") != NULL);
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (v, "ice-ufrag"),
      "ufrg");
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (v, "ice-pwd"),
      "pwdpwdpwdpwdpwdpwdpwdpwd");
  for (i = 0; i < 2; i++)
    fail_unless_equals_string (gst_sdp_media_get_attribute_val_n (v, "crypto",
            i), gst_sdp_media_get_attribute_val_n (a, "crypto", i));
  gst_sdp_message_free (sdp);

  fail_unless (acs_call_sdp_parse (text, &info, NULL));
  fail_unless_equals_int (info.pt, 96);
  fail_unless_equals_int (info.video, ACS_CALL_SDP_VIDEO_ON);
  fail_unless_equals_int (info.video_pt, 97);
  fail_unless_equals_string (info.audio_mid, "0");
  fail_unless_equals_string (info.video_mid, "1");
  fail_unless_equals_int (info.crypto.tag, 1);
  acs_call_sdp_info_clear (&info);
  fail_unless (info.audio_mid == NULL && info.video_mid == NULL);
  g_free (text);
}

GST_END_TEST;

/* The answer to a video offer: both lines in the BUNDLE group, or the
 * video line rejected (port 0) by an answerer without video */
GST_START_TEST (test_sdp_video_answer)
{
  AcsCallSdpCrypto key = { 2, ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_80,
    (gchar *) CM_KEY
  };
  gchar *offer = make_video_offer_text (), *text;
  GstSDPMessage *answer;
  const GstSDPMedia *v;
  AcsCallSdpInfo info, ainfo;

  fail_unless (acs_call_sdp_parse (offer, &info, NULL));
  answer = acs_call_sdp_build_full ("u2", "p2p2p2p2p2p2p2p2p2p2p2p2", &key, 1,
      &info, TRUE);
  fail_unless_equals_int (gst_sdp_message_medias_len (answer), 2);
  fail_unless_equals_string (gst_sdp_message_get_attribute_val (answer,
          "group"), "BUNDLE 0 1");
  v = gst_sdp_message_get_media (answer, 1);
  fail_unless_equals_int (gst_sdp_media_get_port (v), 9);
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (v, "crypto"),
      "2 AES_CM_128_HMAC_SHA1_80 " CM_KEY);
  text = gst_sdp_message_as_text (answer);
  gst_sdp_message_free (answer);
  fail_unless (acs_call_sdp_parse (text, &ainfo, NULL));
  fail_unless_equals_int (ainfo.video, ACS_CALL_SDP_VIDEO_ON);
  fail_unless_equals_int (ainfo.video_pt, 97);
  fail_unless_equals_int (ainfo.crypto.tag, 2);
  acs_call_sdp_info_clear (&ainfo);
  g_free (text);

  /* no video here: the line stays, port 0, out of the group; it keeps the
   * ICE credentials and the key, which acs-controller wants on every line */
  answer = acs_call_sdp_build_full ("u2", "p2p2p2p2p2p2p2p2p2p2p2p2", &key, 1,
      &info, FALSE);
  fail_unless_equals_int (gst_sdp_message_medias_len (answer), 2);
  fail_unless_equals_string (gst_sdp_message_get_attribute_val (answer,
          "group"), "BUNDLE 0");
  v = gst_sdp_message_get_media (answer, 1);
  fail_unless_equals_string (gst_sdp_media_get_media (v), "video");
  fail_unless_equals_int (gst_sdp_media_get_port (v), 0);
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (v, "mid"), "1");
  fail_unless (gst_sdp_media_get_attribute_val (v, "ice-ufrag") != NULL);
  fail_unless (gst_sdp_media_get_attribute_val (v, "crypto") != NULL);
  fail_unless (gst_sdp_media_get_attribute_val (v, "sendrecv") == NULL);
  text = gst_sdp_message_as_text (answer);
  gst_sdp_message_free (answer);
  fail_unless (acs_call_sdp_parse (text, &ainfo, NULL));
  fail_unless_equals_int (ainfo.video, ACS_CALL_SDP_VIDEO_REJECTED);
  acs_call_sdp_info_clear (&ainfo);
  g_free (text);
  acs_call_sdp_info_clear (&info);
  g_free (offer);
}

GST_END_TEST;

#define SDP_AUDIO_LINE "m=audio 9 RTP/SAVP 96\r\na=mid:a\r\n" \
    "a=rtpmap:96 opus/48000/2\r\n" \
    "a=crypto:1 AEAD_AES_128_GCM " GCM_KEY "\r\n"
#define SDP_CREDS "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"

/* Video lines that cannot be used: not bundled, not VP8, port 0; an
 * answer of an older peer without the video line at all */
GST_START_TEST (test_sdp_video_parse)
{
  AcsCallSdpInfo info;

  /* bundled under other mids, another VP8 payload type */
  fail_unless (acs_call_sdp_parse (SDP_HEAD SDP_CREDS
          "a=group:BUNDLE a v\r\n" SDP_AUDIO_LINE
          "m=video 9 RTP/SAVP 100\r\na=mid:v\r\na=rtpmap:100 vp8/90000\r\n",
          &info, NULL));
  fail_unless_equals_int (info.video, ACS_CALL_SDP_VIDEO_ON);
  fail_unless_equals_int (info.video_pt, 100);
  fail_unless_equals_string (info.video_mid, "v");
  acs_call_sdp_info_clear (&info);

  /* not in a BUNDLE group: it would need a transport of its own */
  fail_unless (acs_call_sdp_parse (SDP_HEAD SDP_CREDS SDP_AUDIO_LINE
          "m=video 9 RTP/SAVP 97\r\na=mid:v\r\na=rtpmap:97 VP8/90000\r\n",
          &info, NULL));
  fail_unless_equals_int (info.video, ACS_CALL_SDP_VIDEO_REJECTED);
  acs_call_sdp_info_clear (&info);

  /* H.264 only */
  fail_unless (acs_call_sdp_parse (SDP_HEAD SDP_CREDS
          "a=group:BUNDLE a v\r\n" SDP_AUDIO_LINE
          "m=video 9 RTP/SAVP 102\r\na=mid:v\r\na=rtpmap:102 H264/90000\r\n",
          &info, NULL));
  fail_unless_equals_int (info.video, ACS_CALL_SDP_VIDEO_REJECTED);
  fail_unless_equals_int (info.video_pt, -1);
  acs_call_sdp_info_clear (&info);

  /* port 0 */
  fail_unless (acs_call_sdp_parse (SDP_HEAD SDP_CREDS
          "a=group:BUNDLE a v\r\n" SDP_AUDIO_LINE
          "m=video 0 RTP/SAVP 97\r\na=mid:v\r\na=rtpmap:97 VP8/90000\r\n",
          &info, NULL));
  fail_unless_equals_int (info.video, ACS_CALL_SDP_VIDEO_REJECTED);
  acs_call_sdp_info_clear (&info);

  /* audio only (an answer from a peer without video support) */
  fail_unless (acs_call_sdp_parse (SDP_HEAD SDP_CREDS SDP_AUDIO_LINE, &info,
          NULL));
  fail_unless_equals_int (info.video, ACS_CALL_SDP_VIDEO_NONE);
  acs_call_sdp_info_clear (&info);

  /* video first is not a call this bin makes */
  fail_if (acs_call_sdp_parse (SDP_HEAD SDP_CREDS
          "m=video 9 RTP/SAVP 97\r\na=rtpmap:97 VP8/90000\r\n" SDP_AUDIO_LINE,
          &info, NULL));
}

GST_END_TEST;

static Suite *
acscallbin_suite (void)
{
  Suite *s = suite_create ("acscallbin");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_pads);
  tcase_add_test (tc, test_audio_level_extension);
  tcase_add_test (tc, test_encoded);
  tcase_add_test (tc, test_states);
  tcase_add_test (tc, test_no_controller);
  tcase_add_test (tc, test_sdp_offer);
  tcase_add_test (tc, test_sdp_parse);
  tcase_add_test (tc, test_video_pads);
  tcase_add_test (tc, test_video_send_chain);
  tcase_add_test (tc, test_sdp_audio_only_unchanged);
  tcase_add_test (tc, test_sdp_video_offer);
  tcase_add_test (tc, test_sdp_video_answer);
  tcase_add_test (tc, test_sdp_video_parse);
  tcase_add_test (tc, test_opus_fec_latency);
  return s;
}

GST_CHECK_MAIN (acscallbin);

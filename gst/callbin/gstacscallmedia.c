/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: the media chains of acscallbin (gstacscallbin.c keeps the call):
 * the VP8 send and receive bins, the caps of each payload type for rtpbin,
 * the rtcp-mux probes, the statistics of the SRTP elements and of rtpbin,
 * and the E-model.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacscallmedia.h"
#include "gstacscallsdp.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_EXTERN (gst_acs_call_bin_debug);
#define GST_CAT_DEFAULT gst_acs_call_bin_debug

#define OPUS_RTP_CAPS "application/x-rtp,media=audio,clock-rate=48000," \
    "encoding-name=OPUS"

/* The sink ghost pad's target: videoconvert's, or in encoded mode the
 * payloader's */
static void
ghost_to (GstElement * bin, const gchar * child)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (bin), child);
  GstPad *ghost = gst_element_get_static_pad (bin, "sink");
  GstPad *target = gst_element_get_static_pad (e, "sink");

  gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), target);
  gst_object_unref (target);
  gst_object_unref (ghost);
  gst_object_unref (e);
}

static GstElement *
add (GstElement * bin, const gchar * factory, const gchar * name)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL) {
    GST_WARNING_OBJECT (bin, "element %s is missing", factory);
    return NULL;
  }
  gst_bin_add (GST_BIN (bin), e);
  return e;
}

/**
 * acs_call_media_video_send_new:
 * @bitrate: vp8enc's target bit rate, bits/s
 * @pt: the RTP payload type
 *
 * A bin `videosend`: sink → videoconvert → vp8enc (real-time settings) →
 * rtpvp8pay → src; acs_call_media_video_send_set_encoded() points the sink
 * at the payloader instead.
 *
 * Returns: (transfer floating) (nullable): the bin, %NULL when videoconvert,
 *   vp8enc or rtpvp8pay is missing
 */
GstElement *
acs_call_media_video_send_new (guint bitrate, guint pt)
{
  GstElement *bin = gst_bin_new ("videosend");
  GstElement *convert, *enc, *pay;
  GstPad *pad;

  convert = add (bin, "videoconvert", "vconvert");
  enc = add (bin, "vp8enc", "vp8enc");
  pay = add (bin, "rtpvp8pay", "vpay");
  if (!convert || !enc || !pay) {
    gst_object_unref (gst_object_ref_sink (bin));
    return NULL;
  }
  /* real time: no look-ahead, the fastest deadline, constant bit rate, a
   * keyframe at least every 4 s at 15 fps (PLI asks for one sooner), and
   * error resilience so that a loss damages less */
  gst_util_set_object_arg (G_OBJECT (enc), "end-usage", "cbr");
  gst_util_set_object_arg (G_OBJECT (enc), "error-resilient", "default");
  g_object_set (enc, "deadline", (gint64) 1, "cpu-used", 8, "lag-in-frames",
      0, "keyframe-max-dist", 60, "target-bitrate", (gint) bitrate,
      "threads", 1, NULL);
  g_object_set (pay, "pt", pt, NULL);
  gst_util_set_object_arg (G_OBJECT (pay), "picture-id-mode", "15-bit");
  gst_element_link_many (convert, enc, pay, NULL);

  pad = gst_element_get_static_pad (convert, "sink");
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (pay, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", pad));
  gst_object_unref (pad);
  return bin;
}

/**
 * acs_call_media_video_send_set_encoded:
 * @vsend: from acs_call_media_video_send_new()
 * @encoded: VP8 straight to the payloader, or raw video to the encoder
 *
 * In NULL or READY only.
 */
void
acs_call_media_video_send_set_encoded (GstElement * vsend, gboolean encoded)
{
  GstElement *enc = gst_bin_get_by_name (GST_BIN (vsend), "vp8enc");
  GstElement *pay = gst_bin_get_by_name (GST_BIN (vsend), "vpay");

  if (encoded) {
    gst_element_unlink (enc, pay);
    ghost_to (vsend, "vpay");
  } else {
    gst_element_link (enc, pay);
    ghost_to (vsend, "vconvert");
  }
  gst_object_unref (enc);
  gst_object_unref (pay);
}

/**
 * acs_call_media_video_recv_new:
 * @encoded: give the depayloaded VP8 instead of decoding it
 *
 * A bin: sink → rtpvp8depay (asks for a keyframe at a loss, and waits for
 * it) → vp8dec (an identity in encoded mode) → src.
 *
 * Returns: (transfer floating) (nullable): the bin, %NULL when an element
 *   is missing
 */
GstElement *
acs_call_media_video_recv_new (gboolean encoded)
{
  GstElement *bin = gst_bin_new (NULL);
  GstElement *depay, *dec;
  GstPad *pad;

  depay = add (bin, "rtpvp8depay", NULL);
  dec = add (bin, encoded ? "identity" : "vp8dec", NULL);
  if (!depay || !dec) {
    gst_object_unref (gst_object_ref_sink (bin));
    return NULL;
  }
  g_object_set (depay, "request-keyframe", TRUE, "wait-for-keyframe", TRUE,
      NULL);
  gst_element_link (depay, dec);
  pad = gst_element_get_static_pad (depay, "sink");
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (dec, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", pad));
  gst_object_unref (pad);
  return bin;
}

/**
 * acs_call_media_audio_recv_new:
 * @encoded: pass the depayloaded Opus through instead of decoding it
 *
 * A bin: sink → rtpopusdepay → opusdec (in-band FEC, PLC) → audiorate →
 * src, or rtpopusdepay → identity with @encoded. The peer's DTX sends
 * nothing in silences: the timestamps jump with no gap in the sequence
 * numbers, so no loss is reported and opusdec's output has holes;
 * audiorate fills them with silence, so that the decoded stream is as long
 * as the call (a recorder writes samples, not timestamps). The decoder's
 * latency answer is corrected to the one packet it holds
 * (acs_call_media_opus_latency_probe()).
 *
 * Returns: (transfer floating) (nullable): the bin, %NULL when
 *   rtpopusdepay, opusdec or audiorate is missing
 */
GstElement *
acs_call_media_audio_recv_new (gboolean encoded)
{
  GstElement *bin = gst_bin_new (NULL);
  GstElement *depay, *dec, *rate = NULL;
  GstPad *pad;

  depay = add (bin, "rtpopusdepay", NULL);
  dec = add (bin, encoded ? "identity" : "opusdec", NULL);
  if (!encoded)
    rate = add (bin, "audiorate", NULL);
  if (!depay || !dec || (!encoded && !rate)) {
    gst_object_unref (gst_object_ref_sink (bin));
    return NULL;
  }
  gst_element_link (depay, dec);
  if (rate) {
    g_object_set (dec, "use-inband-fec", TRUE, "plc", TRUE, NULL);
    g_object_set (rate, "skip-to-first", TRUE, NULL);
    gst_element_link (dec, rate);
    pad = gst_element_get_static_pad (dec, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_QUERY_UPSTREAM,
        acs_call_media_opus_latency_probe, NULL, NULL);
    gst_object_unref (pad);
  }
  pad = gst_element_get_static_pad (depay, "sink");
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (rate ? rate : dec, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", pad));
  gst_object_unref (pad);
  return bin;
}

/**
 * acs_call_media_pt_caps:
 * @pt: the payload type rtpbin asks about
 * @video_pt: the negotiated VP8 payload type, -1 without video
 *
 * rtpbin's `request-pt-map` when the payload types are bundled: the caps
 * of Opus or of VP8 (with `rtcp-fb-nack-pli`, so that rtpsession sends the
 * PLIs the depayloader asks for).
 *
 * Returns: (transfer full) (nullable): the caps, %NULL for another type
 */
GstCaps *
acs_call_media_pt_caps (guint pt, gint video_pt)
{
  GstCaps *caps;

  if (video_pt >= 0 && pt == (guint) video_pt)
    return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
        "video", "clock-rate", G_TYPE_INT, 90000, "encoding-name",
        G_TYPE_STRING, "VP8", "payload", G_TYPE_INT, video_pt,
        "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE, NULL);
  if (pt != ACS_CALL_SDP_PT)
    return NULL;
  caps = gst_caps_from_string (OPUS_RTP_CAPS);
  gst_caps_set_simple (caps, "payload", G_TYPE_INT, (gint) pt, NULL);
  return caps;
}

/**
 * acs_call_media_rtcp_caps_probe:
 * @pad: rtpsession's `send_rtcp_src`
 * @info: the probe info
 * @user_data: rtpbin's `send_rtp_src_0`
 *
 * Replaces the RTCP caps event by the RTP pad's: acssrtpenc tells RTCP
 * from RTP by the packet, but accepts only RTP caps.
 *
 * Returns: %GST_PAD_PROBE_OK
 */
GstPadProbeReturn
acs_call_media_rtcp_caps_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstPad *rtp_src = user_data;
  GstEvent *rtp_caps;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  rtp_caps = gst_pad_get_sticky_event (rtp_src, GST_EVENT_CAPS, 0);
  if (rtp_caps == NULL) {
    GstCaps *caps = gst_caps_new_empty_simple ("application/x-rtp");

    rtp_caps = gst_event_new_caps (caps);
    gst_caps_unref (caps);
  }
  gst_event_unref (GST_PAD_PROBE_INFO_EVENT (info));
  GST_PAD_PROBE_INFO_DATA (info) = rtp_caps;
  return GST_PAD_PROBE_OK;
}

/**
 * acs_call_media_split_probe:
 * @pad: a tee src pad
 * @info: the probe info
 * @user_data: TRUE on the RTCP branch
 *
 * One tee branch per packet kind (RFC 5761: second byte 192..223 is RTCP);
 * the RTCP branch gets RTCP caps, and answers caps queries itself so that
 * negotiation upstream of the tee sees the RTP branch only.
 *
 * Returns: what to do with the packet, event or query
 */
GstPadProbeReturn
acs_call_media_split_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  gboolean rtcp_branch = GPOINTER_TO_INT (user_data);
  guint8 b = 0;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    gboolean is_rtcp;

    if (gst_buffer_extract (buf, 1, &b, 1) != 1)
      return GST_PAD_PROBE_DROP;
    is_rtcp = b >= 192 && b <= 223;
    return is_rtcp == rtcp_branch ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
  }
  if (info->type & GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM) {
    GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
    GstCaps *filter = NULL;

    switch (GST_QUERY_TYPE (query)) {
      case GST_QUERY_CAPS:
        gst_query_parse_caps (query, &filter);
        gst_query_set_caps_result (query, filter ? filter : GST_CAPS_ANY);
        return GST_PAD_PROBE_HANDLED;
      case GST_QUERY_ACCEPT_CAPS:
        gst_query_set_accept_caps_result (query, TRUE);
        return GST_PAD_PROBE_HANDLED;
      default:
        return GST_PAD_PROBE_OK;
    }
  }
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS) {
    GstCaps *caps = gst_caps_new_empty_simple ("application/x-rtcp");

    gst_event_unref (GST_PAD_PROBE_INFO_EVENT (info));
    GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_caps (caps);
    gst_caps_unref (caps);
  }
  return GST_PAD_PROBE_OK;
}

/**
 * acs_call_media_estimate_mos:
 * @rtt_ms: round-trip time, ms (negative: unknown, taken as 0)
 * @latency_ms: the jitter buffer, ms
 * @loss_pct: packet loss, percent
 *
 * ITU-T G.107 E-model, simplified as is usual for VoIP monitoring: the
 * one-way delay is half the RTT plus the jitter buffer and a 20 ms frame;
 * Opus is taken as equipment impairment 0 with a packet-loss robustness
 * of 20 (in-band FEC and PLC).
 *
 * Returns: the MOS, 1 to 4.5
 */
gdouble
acs_call_media_estimate_mos (gdouble rtt_ms, guint latency_ms, gdouble loss_pct)
{
  gdouble d = MAX (rtt_ms, 0) / 2 + latency_ms + 20;
  gdouble id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  gdouble ie = 95 * loss_pct / (loss_pct + 20);
  gdouble r = 93.2 - id - ie;

  if (r <= 0)
    return 1.0;
  if (r >= 100)
    return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

/**
 * acs_call_media_srtp_counts:
 * @srtp: (nullable): acssrtpenc or acssrtpdec
 * @all: its `stats` field counting all packets
 * @rtcp: its `stats` field counting the RTCP packets
 * @rtp_out: (out): RTP packets
 * @rtcp_out: (out): RTCP packets
 *
 * RTP and RTCP packet counts of acssrtpenc or acssrtpdec.
 */
void
acs_call_media_srtp_counts (GstElement * srtp, const gchar * all,
    const gchar * rtcp, guint64 * rtp_out, guint64 * rtcp_out)
{
  GstStructure *stats = NULL;
  guint64 n_all = 0, n_rtcp = 0;

  if (srtp)
    g_object_get (srtp, "stats", &stats, NULL);
  if (stats) {
    gst_structure_get_uint64 (stats, all, &n_all);
    gst_structure_get_uint64 (stats, rtcp, &n_rtcp);
    gst_structure_free (stats);
  }
  *rtp_out = n_all >= n_rtcp ? n_all - n_rtcp : 0;
  *rtcp_out = n_rtcp;
}

/**
 * acs_call_media_srtp_bytes:
 * @srtp: acssrtpenc or acssrtpdec
 * @field: a guint64 field of its `stats`
 *
 * Returns: the field's value, 0 without it
 */
guint64
acs_call_media_srtp_bytes (GstElement * srtp, const gchar * field)
{
  GstStructure *stats = NULL;
  guint64 v = 0;

  g_object_get (srtp, "stats", &stats, NULL);
  if (stats) {
    gst_structure_get_uint64 (stats, field, &v);
    gst_structure_free (stats);
  }
  return v;
}

/**
 * acs_call_media_session_stats:
 * @rtpbin: the call's rtpbin
 * @sent: (inout): add the packets of the local sources
 * @received: (inout): add the packets of the remote sources
 * @lost: (inout): add the packets the remote sources lost
 * @jitter_ms: (inout): the largest interarrival jitter of a remote audio
 *   source (48 kHz), ms
 * @rtt_ms: (inout): the round-trip time of a receiver report, ms
 *
 * Reads rtpbin's session 0 source statistics.
 */
void
acs_call_media_session_stats (GstElement * rtpbin, guint64 * sent,
    guint64 * received, gint64 * lost, gdouble * jitter_ms, gdouble * rtt_ms)
{
  GstStructure *sstats = NULL;
  GObject *session = NULL;
  const GValue *arr;
  GValueArray *va;
  guint i;

  g_signal_emit_by_name (rtpbin, "get-session", 0, &session);
  if (session == NULL)
    return;
  g_object_get (session, "stats", &sstats, NULL);
  g_object_unref (session);
  if (sstats == NULL)
    return;
  arr = gst_structure_get_value (sstats, "source-stats");
  va = arr ? g_value_get_boxed (arr) : NULL;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS;
  for (i = 0; va && i < va->n_values; i++) {
    const GstStructure *src =
        gst_value_get_structure (g_value_array_get_nth (va, i));
    gboolean internal = FALSE, have_rb = FALSE;
    guint64 v = 0;
    guint u = 0;
    gint l = 0, rate = 0;

    gst_structure_get_boolean (src, "internal", &internal);
    if (internal) {
      if (gst_structure_get_uint64 (src, "packets-sent", &v))
        *sent += v;
    } else {
      if (gst_structure_get_uint64 (src, "packets-received", &v))
        *received += v;
      if (gst_structure_get_int (src, "packets-lost", &l) && l > 0)
        *lost += l;
      gst_structure_get_int (src, "clock-rate", &rate);
      /* the jitter of the audio, not of a bundled video stream */
      if (rate != 90000 && gst_structure_get_uint (src, "jitter", &u))
        *jitter_ms = MAX (*jitter_ms, u / 48.0);
    }
    /* the peer's receiver report about our stream */
    gst_structure_get_boolean (src, "have-rb", &have_rb);
    if (have_rb && gst_structure_get_uint (src, "rb-round-trip", &u) && u > 0)
      *rtt_ms = u * 1000.0 / 65536.0;
  }
  G_GNUC_END_IGNORE_DEPRECATIONS;
  gst_structure_free (sstats);
}

/**
 * acs_call_media_opus_latency_probe: (skip)
 * @pad: opusdec's src pad
 * @info: a latency query on its way back (#GST_PAD_PROBE_TYPE_PULL)
 * @user_data: unused
 *
 * opusdec announces 120 ms of latency once `use-inband-fec` is on: the
 * longest Opus packet, which it may hold back to recover a loss from the
 * next packet's FEC data. A synchronised sink then plays every sample 120
 * ms late. The peers of a call send 20 ms packets (opusenc's default frame
 * size, and what acscallbin sends), so the decoder holds one 20 ms packet:
 * the decoder's share of the answer is corrected to that
 * (%ACS_CALL_MEDIA_OPUS_HOLD). Install with #GST_PAD_PROBE_TYPE_QUERY_UPSTREAM.
 *
 * Returns: %GST_PAD_PROBE_OK
 */
GstPadProbeReturn
acs_call_media_opus_latency_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  GstClockTime min, max, dmin = 0, dmax = GST_CLOCK_TIME_NONE;
  GstObject *dec;
  gboolean live;

  if (!(GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_PULL)
      || GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return GST_PAD_PROBE_OK;
  dec = gst_pad_get_parent (pad);
  if (dec == NULL)
    return GST_PAD_PROBE_OK;
  if (GST_IS_AUDIO_DECODER (dec))
    gst_audio_decoder_get_latency (GST_AUDIO_DECODER (dec), &dmin, &dmax);
  gst_object_unref (dec);

  gst_query_parse_latency (query, &live, &min, &max);
  if (dmin <= ACS_CALL_MEDIA_OPUS_HOLD || min < dmin)
    return GST_PAD_PROBE_OK;
  min -= dmin - ACS_CALL_MEDIA_OPUS_HOLD;
  if (GST_CLOCK_TIME_IS_VALID (max) && GST_CLOCK_TIME_IS_VALID (dmax)
      && dmax > ACS_CALL_MEDIA_OPUS_HOLD && max >= dmax)
    max -= dmax - ACS_CALL_MEDIA_OPUS_HOLD;
  GST_LOG_OBJECT (pad, "latency %" GST_TIME_FORMAT " (opusdec announced %"
      GST_TIME_FORMAT ")", GST_TIME_ARGS (min), GST_TIME_ARGS (dmin));
  gst_query_set_latency (query, live, min, max);
  return GST_PAD_PROBE_OK;
}

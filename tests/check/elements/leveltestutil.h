/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs tests: RTP packets carrying an RFC 6464 audio level, and the
 * stats the level-ranking elements (acssfu, acsspeakerselect) report */

#ifndef __LEVEL_TEST_UTIL_H__
#define __LEVEL_TEST_UTIL_H__

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpbuffer.h>

/* @level arguments besides 0..127 */
#define LEVEL_ABSENT -1         /* no extension */
#define LEVEL_BAD_SIZE -2       /* a 2-byte value, which RFC 6464 forbids */

/* An Opus RTP packet (payload type 111) from @member with @payload_size
 * (at least 3) bytes of payload that name the member and the sequence
 * number (member, then @seq big-endian, then zeros), so that a receiver
 * can tell what it got; the level, when there is one, in the one-byte
 * header extension @ext_id with the voice-activity bit set */
static inline GstBuffer *
level_test_make_rtp (guint member, guint32 ssrc, guint16 seq, guint32 ts,
    guint ext_id, gint level, guint payload_size)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (payload_size, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *payload;

  fail_unless (payload_size >= 3);
  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READWRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 111);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, ts);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  payload = gst_rtp_buffer_get_payload (&rtp);
  memset (payload, 0, payload_size);
  payload[0] = member;
  payload[1] = seq >> 8;
  payload[2] = seq & 0xff;
  if (level >= 0) {
    guint8 v = 0x80 | level;

    fail_unless (gst_rtp_buffer_add_extension_onebyte_header (&rtp, ext_id,
            &v, 1));
  } else if (level == LEVEL_BAD_SIZE) {
    guint8 v[2] = { 0xff, 0xff };

    fail_unless (gst_rtp_buffer_add_extension_onebyte_header (&rtp, ext_id,
            v, 2));
  }
  gst_rtp_buffer_unmap (&rtp);
  return buf;
}

/* The tone (Hz, 0 for silence) of period @period for
 * level_test_opus_packets() */
typedef gdouble (*LevelTestToneFunc) (guint period, gconstpointer data);

/* What opusenc and rtpopuspay (payload type 111) make of @n 20 ms periods
 * of 48 kHz mono: in period p a tone of freq_at (p, data) Hz and
 * @amplitude, or silence; one packet per period, in order. Needs sin()
 * (libm) */
static inline GPtrArray *
level_test_opus_packets (guint n, LevelTestToneFunc freq_at,
    gconstpointer data, gdouble amplitude)
{
  GstHarness *h = gst_harness_new_parse ("opusenc ! rtpopuspay pt=111");
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  guint p, i;

  gst_harness_set_src_caps_str (h, "audio/x-raw, format=S16LE, "
      "layout=interleaved, rate=48000, channels=1");
  /* two more: the encoder holds one back */
  for (p = 0; p < n + 2; p++) {
    GstBuffer *raw = gst_buffer_new_allocate (NULL, 960 * 2, NULL);
    gdouble f = freq_at (MIN (p, n - 1), data);
    GstMapInfo map;
    gint16 *x;

    fail_unless (gst_buffer_map (raw, &map, GST_MAP_WRITE));
    x = (gint16 *) map.data;
    for (i = 0; i < 960; i++)
      x[i] = f > 0 ? (gint16) (amplitude * sin (2 * G_PI * f *
              (p * 960 + i) / 48000)) : 0;
    gst_buffer_unmap (raw, &map);
    GST_BUFFER_PTS (raw) = p * 20 * GST_MSECOND;
    GST_BUFFER_DURATION (raw) = 20 * GST_MSECOND;
    fail_unless_equals_int (gst_harness_push (h, raw), GST_FLOW_OK);
  }
  for (p = 0; p < n; p++)
    g_ptr_array_add (out, gst_harness_pull (h));
  gst_harness_teardown (h);
  return out;
}

/* @pkt (taken) made writable, with @ssrc, the RFC 6464 @level (voice
 * activity set) in one-byte extension @ext_id, and the PTS and duration
 * of 20 ms period @period; returns it */
static inline GstBuffer *
level_test_mark (GstBuffer * pkt, guint32 ssrc, guint ext_id, guint level,
    guint period)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 v = 0x80 | level;

  pkt = gst_buffer_make_writable (pkt);
  fail_unless (gst_rtp_buffer_map (pkt, GST_MAP_READWRITE, &rtp));
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  fail_unless (gst_rtp_buffer_add_extension_onebyte_header (&rtp, ext_id,
          &v, 1));
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_PTS (pkt) = period * 20 * GST_MSECOND;
  GST_BUFFER_DURATION (pkt) = 20 * GST_MSECOND;
  return pkt;
}

/* A guint64 field of @element's `stats` structure; fails if it is missing */
static inline guint64
level_test_stat (GstElement * element, const gchar * name)
{
  GstStructure *s;
  guint64 v = 0;

  g_object_get (element, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, name, &v), name);
  gst_structure_free (s);
  return v;
}

#endif /* __LEVEL_TEST_UTIL_H__ */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: helpers shared by the SRTP element tests */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "srtptestutil.h"

#include <string.h>

const TestProfile test_profiles[] = {
  {"AEAD_AES_128_GCM", "aes-128-gcm", "null", "aes-128-gcm", "null",
      28, 16, 16},
  {"AEAD_AES_256_GCM", "aes-256-gcm", "null", "aes-256-gcm", "null",
      44, 16, 16},
  {"AES_CM_128_HMAC_SHA1_80", "aes-128-icm", "hmac-sha1-80", "aes-128-icm",
      "hmac-sha1-80", 30, 10, 10},
  {"AES_CM_128_HMAC_SHA1_32", "aes-128-icm", "hmac-sha1-32", "aes-128-icm",
      "hmac-sha1-80", 30, 4, 10},
};

const guint n_test_profiles = G_N_ELEMENTS (test_profiles);

/**
 * test_key_new:
 * @len: length of the key and salt
 * @seed: makes keys of different seeds differ
 *
 * Returns: (transfer full): a deterministic key
 */
GstBuffer *
test_key_new (gsize len, guint8 seed)
{
  guint8 *data = g_malloc (len);
  gsize i;

  for (i = 0; i < len; i++)
    data[i] = (guint8) (seed * 31 + i * 13 + 7);
  return gst_buffer_new_wrapped (data, len);
}

/**
 * test_key_caps:
 * @p: the profile
 * @key: its master key and salt
 * @media_type: `application/x-srtp` or `application/x-srtcp`
 * @ssrc: the `ssrc` field, or -1 for none
 *
 * Returns: (transfer full): the caps srtpdec and acssrtpdec take a key
 *   from (a caps event, or the reply to `request-key`).
 */
GstCaps *
test_key_caps (const TestProfile * p, GstBuffer * key,
    const gchar * media_type, gint64 ssrc)
{
  GstCaps *caps = gst_caps_new_simple (media_type,
      "srtp-key", GST_TYPE_BUFFER, key,
      "srtp-cipher", G_TYPE_STRING, p->rtp_cipher,
      "srtp-auth", G_TYPE_STRING, p->rtp_auth,
      "srtcp-cipher", G_TYPE_STRING, p->rtcp_cipher,
      "srtcp-auth", G_TYPE_STRING, p->rtcp_auth, NULL);

  if (ssrc >= 0)
    gst_caps_set_simple (caps, "ssrc", G_TYPE_UINT, (guint) ssrc, NULL);
  return caps;
}

static void
write_rtp (guint8 * d, guint32 ssrc, guint16 seq, guint32 ts, gsize payload_len)
{
  gsize i;

  d[0] = 0x80;
  d[1] = TEST_PT;
  GST_WRITE_UINT16_BE (d + 2, seq);
  GST_WRITE_UINT32_BE (d + 4, ts);
  GST_WRITE_UINT32_BE (d + 8, ssrc);
  for (i = 0; i < payload_len; i++)
    d[12 + i] = (guint8) (i * 7 + seq + ssrc);
}

/**
 * test_rtp_new_with_room:
 * @room: spare bytes after the packet in the buffer's memory
 *
 * Returns: (transfer full): an RTP packet with a 12-byte header and a
 *   patterned payload
 */
GstBuffer *
test_rtp_new_with_room (guint32 ssrc, guint16 seq, guint32 ts,
    gsize payload_len, gsize room)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 12 + payload_len + room,
      NULL);
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  write_rtp (map.data, ssrc, seq, ts, payload_len);
  gst_buffer_unmap (buf, &map);
  gst_buffer_set_size (buf, 12 + payload_len);
  return buf;
}

GstBuffer *
test_rtp_new (guint32 ssrc, guint16 seq, guint32 ts, gsize payload_len)
{
  return test_rtp_new_with_room (ssrc, seq, ts, payload_len, 0);
}

GstBuffer *
test_buffer_from_data (const guint8 * data, gsize len)
{
  return gst_buffer_new_memdup (data, len);
}

/* SDES chunk with CNAME "acs", 16 bytes */
static void
write_sdes (guint8 * d, guint32 ssrc)
{
  d[0] = 0x81;
  d[1] = 202;
  GST_WRITE_UINT16_BE (d + 2, 3);
  GST_WRITE_UINT32_BE (d + 4, ssrc);
  d[8] = 1;
  d[9] = 3;
  d[10] = 'a';
  d[11] = 'c';
  d[12] = 's';
  d[13] = 0;
  d[14] = 0;
  d[15] = 0;
}

/**
 * test_rtcp_sr_new:
 *
 * Returns: (transfer full): a compound RTCP packet: SR + SDES, 44 bytes
 */
GstBuffer *
test_rtcp_sr_new (guint32 ssrc)
{
  guint8 d[44];

  memset (d, 0, sizeof (d));
  d[0] = 0x80;
  d[1] = 200;
  GST_WRITE_UINT16_BE (d + 2, 6);
  GST_WRITE_UINT32_BE (d + 4, ssrc);
  GST_WRITE_UINT32_BE (d + 8, 0xe3a1b2c3);      /* NTP seconds */
  GST_WRITE_UINT32_BE (d + 12, 0x12345678);     /* NTP fraction */
  GST_WRITE_UINT32_BE (d + 16, 160000); /* RTP timestamp */
  GST_WRITE_UINT32_BE (d + 20, 1000);   /* packets */
  GST_WRITE_UINT32_BE (d + 24, 160000); /* octets */
  write_sdes (d + 28, ssrc);
  return test_buffer_from_data (d, sizeof (d));
}

/**
 * test_rtcp_rr_new:
 *
 * Returns: (transfer full): a compound RTCP packet: RR with one report
 *   block about @source + SDES, 48 bytes
 */
GstBuffer *
test_rtcp_rr_new (guint32 ssrc, guint32 source)
{
  guint8 d[48];

  memset (d, 0, sizeof (d));
  d[0] = 0x81;
  d[1] = 201;
  GST_WRITE_UINT16_BE (d + 2, 7);
  GST_WRITE_UINT32_BE (d + 4, ssrc);
  GST_WRITE_UINT32_BE (d + 8, source);
  d[12] = 3;                    /* fraction lost */
  GST_WRITE_UINT24_BE (d + 13, 12);     /* cumulative lost */
  GST_WRITE_UINT32_BE (d + 16, 0x0001fff0);     /* highest seq */
  GST_WRITE_UINT32_BE (d + 20, 42);     /* jitter */
  GST_WRITE_UINT32_BE (d + 24, 0xa1b2c3d4);     /* LSR */
  GST_WRITE_UINT32_BE (d + 28, 0x10000);        /* DLSR */
  write_sdes (d + 32, ssrc);
  return test_buffer_from_data (d, sizeof (d));
}

/**
 * test_enc_new:
 * @p: the profile
 * @key: (nullable) (transfer none): key||salt
 *
 * Returns: (transfer full): a harness around a PLAYING acssrtpenc with
 *   RTP caps set
 */
GstHarness *
test_enc_new (const TestProfile * p, GstBuffer * key)
{
  GstHarness *h = gst_harness_new ("acssrtpenc");

  gst_util_set_object_arg (G_OBJECT (h->element), "profile", p->name);
  if (key)
    g_object_set (h->element, "key", key, NULL);
  gst_harness_set_src_caps_str (h, "application/x-rtp, media=(string)audio, "
      "clock-rate=(int)8000, encoding-name=(string)PCMU, payload=(int)0");
  return h;
}

/**
 * test_dec_new:
 * @p: the profile
 * @key: (nullable) (transfer none): key||salt
 *
 * Returns: (transfer full): a harness around a PLAYING acssrtpdec with
 *   SRTP caps set (without key fields)
 */
GstHarness *
test_dec_new (const TestProfile * p, GstBuffer * key)
{
  GstHarness *h = gst_harness_new ("acssrtpdec");

  gst_util_set_object_arg (G_OBJECT (h->element), "profile", p->name);
  if (key)
    g_object_set (h->element, "key", key, NULL);
  gst_harness_set_src_caps_str (h, "application/x-srtp, media=(string)audio, "
      "clock-rate=(int)8000, encoding-name=(string)PCMU, payload=(int)0");
  return h;
}

/**
 * test_harness_add_bus:
 *
 * Returns: (transfer full): a bus the harness element posts on
 */
GstBus *
test_harness_add_bus (GstHarness * h)
{
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (h->element, bus);
  return bus;
}

gboolean
test_buffer_equal_data (GstBuffer * a, const guint8 * data, gsize len)
{
  GstMapInfo map;
  gboolean ret;

  fail_unless (gst_buffer_map (a, &map, GST_MAP_READ));
  ret = map.size == len && memcmp (map.data, data, len) == 0;
  gst_buffer_unmap (a, &map);
  return ret;
}

gboolean
test_buffer_equal (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo map;
  gboolean ret;

  fail_unless (gst_buffer_map (b, &map, GST_MAP_READ));
  ret = test_buffer_equal_data (a, map.data, map.size);
  gst_buffer_unmap (b, &map);
  return ret;
}

guint64
test_get_stat (GstElement * element, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 v = G_MAXUINT64;

  g_object_get (element, "stats", &s, NULL);
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v),
      "no guint64 field %s in %" GST_PTR_FORMAT, field, s);
  gst_structure_free (s);
  return v;
}

guint
test_get_n_streams (GstElement * element)
{
  GstStructure *s = NULL;
  const GValue *streams;
  guint n;

  g_object_get (element, "stats", &s, NULL);
  fail_unless (s != NULL);
  streams = gst_structure_get_value (s, "streams");
  fail_unless (streams != NULL && GST_VALUE_HOLDS_ARRAY (streams));
  n = gst_value_array_get_size (streams);
  gst_structure_free (s);
  return n;
}

/**
 * test_get_stream:
 * @stream: (out) (transfer full): a copy of the stream structure
 *
 * Returns: %TRUE if the stats list @ssrc
 */
gboolean
test_get_stream (GstElement * element, guint32 ssrc, GstStructure ** stream)
{
  GstStructure *s = NULL;
  const GValue *streams;
  gboolean found = FALSE;
  guint i;

  g_object_get (element, "stats", &s, NULL);
  fail_unless (s != NULL);
  streams = gst_structure_get_value (s, "streams");
  fail_unless (streams != NULL && GST_VALUE_HOLDS_ARRAY (streams));
  for (i = 0; i < gst_value_array_get_size (streams) && !found; i++) {
    const GstStructure *st =
        gst_value_get_structure (gst_value_array_get_value (streams, i));
    guint v;

    fail_unless (gst_structure_get_uint (st, "ssrc", &v));
    if (v == ssrc) {
      found = TRUE;
      if (stream)
        *stream = gst_structure_copy (st);
    }
  }
  gst_structure_free (s);
  return found;
}

guint
test_get_roc (GstElement * element, guint32 ssrc)
{
  GstStructure *st = NULL;
  guint roc = G_MAXUINT;

  fail_unless (test_get_stream (element, ssrc, &st), "SSRC %08x not in stats",
      ssrc);
  fail_unless (gst_structure_get_uint (st, "roc", &roc));
  gst_structure_free (st);
  return roc;
}

/**
 * test_protect:
 * @in: (transfer full): packet to push
 *
 * Returns: (transfer full) (nullable): what came out, or %NULL
 */
GstBuffer *
test_protect (GstHarness * enc, GstBuffer * in)
{
  fail_unless_equals_int (gst_harness_push (enc, in), GST_FLOW_OK);
  return gst_harness_try_pull (enc);
}

GstBuffer *
test_unprotect (GstHarness * dec, GstBuffer * in)
{
  fail_unless_equals_int (gst_harness_push (dec, in), GST_FLOW_OK);
  return gst_harness_try_pull (dec);
}

void
test_assert_no_output (GstHarness * h)
{
  GstBuffer *buf = gst_harness_try_pull (h);

  if (buf) {
    gst_buffer_unref (buf);
    fail ("unexpected output buffer");
  }
}

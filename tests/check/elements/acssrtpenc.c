/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: unit tests of acssrtpenc
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpmeta.h>

#include "srtptestutil.h"

#define SSRC 0x11223344

static const TestProfile *
profile_by_name (const gchar * name)
{
  guint i;

  for (i = 0; i < n_test_profiles; i++)
    if (g_str_equal (test_profiles[i].name, name))
      return &test_profiles[i];
  g_assert_not_reached ();
  return NULL;
}

static void
assert_header_kept_payload_changed (GstBuffer * in, GstBuffer * out,
    gsize header_len)
{
  GstMapInfo a, b;

  fail_unless (gst_buffer_map (in, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (out, &b, GST_MAP_READ));
  fail_unless (b.size > a.size);
  fail_unless (memcmp (a.data, b.data, header_len) == 0,
      "the clear header changed");
  fail_if (memcmp (a.data + header_len, b.data + header_len,
          a.size - header_len) == 0, "the payload was not encrypted");
  gst_buffer_unmap (in, &a);
  gst_buffer_unmap (out, &b);
}

GST_START_TEST (test_enc_tag_lengths)
{
  static const gsize sizes[] = { 160, 1200 };
  guint i, j;

  for (i = 0; i < n_test_profiles; i++) {
    const TestProfile *p = &test_profiles[i];
    GstBuffer *key = test_key_new (p->key_len, i);
    GstHarness *h = test_enc_new (p, key);
    GstBuffer *in, *out;
    guint64 bytes = 0;
    guint8 e;

    for (j = 0; j < G_N_ELEMENTS (sizes); j++) {
      in = test_rtp_new (SSRC, 100 + j, 1000 + j * 160, sizes[j]);
      out = test_protect (h, gst_buffer_ref (in));
      fail_unless (out != NULL, "%s: no output", p->name);
      fail_unless_equals_int (gst_buffer_get_size (out),
          12 + sizes[j] + p->rtp_tag);
      assert_header_kept_payload_changed (in, out, 12);
      bytes += gst_buffer_get_size (out);
      gst_buffer_unref (in);
      gst_buffer_unref (out);
    }

    /* SRTCP: the 4-byte index with the E bit, then the tag */
    in = test_rtcp_sr_new (SSRC);
    out = test_protect (h, gst_buffer_ref (in));
    fail_unless (out != NULL);
    fail_unless_equals_int (gst_buffer_get_size (out), 44 + 4 + p->rtcp_tag);
    assert_header_kept_payload_changed (in, out, 8);
    /* AEAD puts the index after the tag (RFC 7714 section 9), HMAC
     * before it (RFC 3711 section 3.4) */
    gst_buffer_extract (out, g_str_has_prefix (p->name, "AEAD") ?
        44 + p->rtcp_tag : 44, &e, 1);
    fail_unless (e & 0x80, "SRTCP E bit not set");
    bytes += gst_buffer_get_size (out);
    gst_buffer_unref (in);
    gst_buffer_unref (out);

    fail_unless_equals_uint64 (test_get_stat (h->element,
            "packets-protected"), 3);
    fail_unless_equals_uint64 (test_get_stat (h->element,
            "rtcp-packets-protected"), 1);
    fail_unless_equals_uint64 (test_get_stat (h->element,
            "bytes-protected"), bytes);
    fail_unless_equals_uint64 (test_get_stat (h->element,
            "packets-dropped"), 0);
    fail_unless_equals_int (test_get_n_streams (h->element), 1);
    fail_unless_equals_int (test_get_roc (h->element, SSRC), 0);

    gst_harness_teardown (h);
    gst_buffer_unref (key);
  }
}

GST_END_TEST;

GST_START_TEST (test_enc_src_caps)
{
  const TestProfile *p = profile_by_name ("AES_CM_128_HMAC_SHA1_32");
  GstBuffer *key = test_key_new (p->key_len, 1);
  GstHarness *h;
  GstCaps *caps;
  GstStructure *s;
  GstBuffer *caps_key = NULL;

  h = test_enc_new (p, key);
  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (caps != NULL);
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_has_name (s, "application/x-srtp"));
  fail_unless_equals_string (gst_structure_get_string (s, "srtp-cipher"),
      "aes-128-icm");
  fail_unless_equals_string (gst_structure_get_string (s, "srtp-auth"),
      "hmac-sha1-32");
  fail_unless_equals_string (gst_structure_get_string (s, "srtcp-cipher"),
      "aes-128-icm");
  fail_unless_equals_string (gst_structure_get_string (s, "srtcp-auth"),
      "hmac-sha1-80");
  fail_unless_equals_string (gst_structure_get_string (s, "encoding-name"),
      "PCMU");
  fail_if (gst_structure_has_field (s, "srtp-key"),
      "the key is in the caps without caps-key");
  gst_caps_unref (caps);
  gst_harness_teardown (h);

  h = gst_harness_new ("acssrtpenc");
  gst_util_set_object_arg (G_OBJECT (h->element), "profile", p->name);
  g_object_set (h->element, "key", key, "caps-key", TRUE, NULL);
  gst_harness_set_src_caps_str (h, "application/x-rtp");
  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (caps != NULL);
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_get (s, "srtp-key", GST_TYPE_BUFFER, &caps_key,
          NULL));
  fail_unless (test_buffer_equal (caps_key, key));
  gst_buffer_unref (caps_key);
  gst_caps_unref (caps);
  gst_harness_teardown (h);

  gst_buffer_unref (key);
}

GST_END_TEST;

GST_START_TEST (test_enc_profile_property)
{
  GstElement *enc = gst_element_factory_make ("acssrtpenc", NULL);
  gint cipher, auth, rtcp_auth, profile;
  GstBuffer *key = NULL;

  fail_unless (enc != NULL);
  g_object_get (enc, "rtp-cipher", &cipher, "rtp-auth", &auth, "key", &key,
      NULL);
  /* Default profile AEAD_AES_128_GCM: aes-128-gcm (3), null auth */
  fail_unless_equals_int (cipher, 3);
  fail_unless_equals_int (auth, 0);
  fail_unless (key == NULL);

  gst_util_set_object_arg (G_OBJECT (enc), "profile",
      "AES_CM_128_HMAC_SHA1_32");
  g_object_get (enc, "rtp-cipher", &cipher, "rtp-auth", &auth, "rtcp-auth",
      &rtcp_auth, NULL);
  fail_unless_equals_int (cipher, 1);
  fail_unless_equals_int (auth, 1);
  fail_unless_equals_int (rtcp_auth, 2);

  /* The nick works too, and odd combinations read back as custom (0) */
  gst_util_set_object_arg (G_OBJECT (enc), "profile", "aead-aes-256-gcm");
  g_object_get (enc, "rtp-cipher", &cipher, "profile", &profile, NULL);
  fail_unless_equals_int (cipher, 4);
  fail_unless_equals_int (profile, 2);
  gst_util_set_object_arg (G_OBJECT (enc), "rtp-cipher", "aes-128-icm");
  g_object_get (enc, "profile", &profile, NULL);
  fail_unless_equals_int (profile, 0);

  gst_object_unref (enc);
}

GST_END_TEST;

GST_START_TEST (test_enc_in_place)
{
  const TestProfile *p = &test_profiles[0];
  GstBuffer *key = test_key_new (p->key_len, 2);
  GstHarness *h = test_enc_new (p, key);
  GstBuffer *in, *out;
  GstMemory *mem;
  GstMapInfo map;
  guint8 *data;

  in = test_rtp_new_with_room (SSRC, 1, 0, 160, 256);
  fail_unless (gst_buffer_is_writable (in));
  mem = gst_buffer_peek_memory (in, 0);
  fail_unless (gst_buffer_map (in, &map, GST_MAP_READ));
  data = map.data;
  gst_buffer_unmap (in, &map);

  out = test_protect (h, in);
  fail_unless (out != NULL);
  fail_unless_equals_int (gst_buffer_get_size (out), 12 + 160 + p->rtp_tag);
  fail_unless_equals_int (gst_buffer_n_memory (out), 1);
  fail_unless (gst_buffer_peek_memory (out, 0) == mem,
      "a buffer with room was not protected in place");
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  fail_unless (map.data == data);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);

  fail_unless_equals_uint64 (test_get_stat (h->element, "packets-copied"), 0);
  fail_unless_equals_uint64 (test_get_stat (h->element, "packets-protected"),
      1);

  gst_harness_teardown (h);
  gst_buffer_unref (key);
}

GST_END_TEST;

GST_START_TEST (test_enc_copy)
{
  const TestProfile *p = &test_profiles[2];
  GstBuffer *key = test_key_new (p->key_len, 3);
  GstHarness *h = test_enc_new (p, key);
  GstBuffer *in, *orig, *out;
  guint8 exact[12 + 160];

  /* Not writable: an extra reference */
  in = test_rtp_new_with_room (SSRC, 1, 0, 160, 256);
  orig = gst_buffer_copy_deep (in);
  out = test_protect (h, gst_buffer_ref (in));
  fail_unless (out != NULL);
  fail_unless (out != in);
  fail_unless (gst_buffer_peek_memory (out, 0) != gst_buffer_peek_memory (in,
          0));
  fail_unless (test_buffer_equal (in, orig), "the shared input was modified");
  fail_unless_equals_int (gst_buffer_get_size (out), 12 + 160 + p->rtp_tag);
  assert_header_kept_payload_changed (in, out, 12);
  fail_unless_equals_uint64 (test_get_stat (h->element, "packets-copied"), 1);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_buffer_unref (orig);

  /* Writable but no room for the tag */
  in = test_rtp_new (SSRC, 2, 160, 160);
  gst_buffer_extract (in, 0, exact, sizeof (exact));
  gst_buffer_unref (in);
  in = gst_buffer_new_wrapped (g_memdup2 (exact, sizeof (exact)),
      sizeof (exact));
  out = test_protect (h, in);
  fail_unless (out != NULL);
  fail_unless_equals_int (gst_buffer_get_size (out), 12 + 160 + p->rtp_tag);
  fail_unless_equals_uint64 (test_get_stat (h->element, "packets-copied"), 2);
  gst_buffer_unref (out);

  /* Read-only memory */
  {
    guint8 before[sizeof (exact)];

    exact[3] = 3;
    memcpy (before, exact, sizeof (exact));
    in = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY, exact,
        sizeof (exact), 0, sizeof (exact), NULL, NULL);
    out = test_protect (h, in);
    fail_unless (out != NULL);
    fail_unless (memcmp (before, exact, sizeof (exact)) == 0,
        "read-only memory was written to");
    fail_unless_equals_uint64 (test_get_stat (h->element, "packets-copied"), 3);
    gst_buffer_unref (out);
  }

  gst_harness_teardown (h);
  gst_buffer_unref (key);
}

GST_END_TEST;

static GstBuffer *
decorate (GstBuffer * buf, guint i)
{
  guint32 ssrc = SSRC;

  GST_BUFFER_PTS (buf) = i * 20 * GST_MSECOND;
  GST_BUFFER_DTS (buf) = i * 20 * GST_MSECOND + 1;
  GST_BUFFER_DURATION (buf) = 20 * GST_MSECOND;
  GST_BUFFER_OFFSET (buf) = i;
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT | GST_BUFFER_FLAG_MARKER);
  gst_buffer_add_rtp_source_meta (buf, &ssrc, NULL, 0);
  return buf;
}

static void
assert_decorated (GstBuffer * buf, guint i)
{
  GstRTPSourceMeta *meta;

  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), i * 20 * GST_MSECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (buf), i * 20 * GST_MSECOND + 1);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), 20 * GST_MSECOND);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), i);
  fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_MARKER));
  meta = gst_buffer_get_rtp_source_meta (buf);
  fail_unless (meta != NULL, "the RTP source meta was lost");
  fail_unless (meta->ssrc_valid);
  fail_unless_equals_int (meta->ssrc, SSRC);
}

GST_START_TEST (test_enc_metadata)
{
  const TestProfile *p = &test_profiles[0];
  GstBuffer *key = test_key_new (p->key_len, 4);
  GstHarness *enc = test_enc_new (p, key);
  GstHarness *dec = test_dec_new (p, key);
  GstBuffer *in, *out, *clear;

  /* In place */
  in = decorate (test_rtp_new_with_room (SSRC, 1, 0, 160, 256), 1);
  out = test_protect (enc, in);
  fail_unless (out != NULL);
  assert_decorated (out, 1);
  clear = test_unprotect (dec, out);
  fail_unless (clear != NULL);
  assert_decorated (clear, 1);
  gst_buffer_unref (clear);

  /* Copied */
  in = decorate (test_rtp_new (SSRC, 2, 160, 160), 2);
  out = test_protect (enc, gst_buffer_ref (in));
  fail_unless (out != NULL);
  fail_unless_equals_uint64 (test_get_stat (enc->element, "packets-copied"), 1);
  assert_decorated (out, 2);
  clear = test_unprotect (dec, out);
  fail_unless (clear != NULL);
  assert_decorated (clear, 2);
  fail_unless (test_buffer_equal (clear, in));
  gst_buffer_unref (clear);
  gst_buffer_unref (in);

  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
  gst_buffer_unref (key);
}

GST_END_TEST;

GST_START_TEST (test_enc_buffer_list)
{
  const TestProfile *p = &test_profiles[3];
  GstBuffer *key = test_key_new (p->key_len, 5);
  GstHarness *h = test_enc_new (p, key);
  GstBufferList *list = gst_buffer_list_new ();
  GstBuffer *orig[10];
  guint8 bad[20] = { 0x40, };
  guint i;

  for (i = 0; i < 10; i++) {
    orig[i] = test_rtp_new (SSRC, i, i * 160, 160);
    gst_buffer_list_add (list, gst_buffer_copy_deep (orig[i]));
  }
  /* A malformed packet in the middle is dropped from the list alone */
  gst_buffer_list_insert (list, 5, test_buffer_from_data (bad, sizeof (bad)));
  fail_unless_equals_int (gst_pad_push_list (h->srcpad, list), GST_FLOW_OK);

  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 10);
  for (i = 0; i < 10; i++) {
    GstBuffer *out = gst_harness_pull (h);
    guint16 seq;

    fail_unless_equals_int (gst_buffer_get_size (out), 12 + 160 + p->rtp_tag);
    gst_buffer_extract (out, 2, &seq, 2);
    fail_unless_equals_int (GUINT16_FROM_BE (seq), i);
    assert_header_kept_payload_changed (orig[i], out, 12);
    gst_buffer_unref (out);
    gst_buffer_unref (orig[i]);
  }
  fail_unless_equals_uint64 (test_get_stat (h->element, "packets-protected"),
      10);
  fail_unless_equals_uint64 (test_get_stat (h->element, "malformed"), 1);

  /* A list that is dropped entirely pushes nothing */
  list = gst_buffer_list_new ();
  gst_buffer_list_add (list, test_buffer_from_data (bad, 5));
  fail_unless_equals_int (gst_pad_push_list (h->srcpad, list), GST_FLOW_OK);
  test_assert_no_output (h);
  fail_unless_equals_uint64 (test_get_stat (h->element, "too-short"), 1);

  gst_harness_teardown (h);
  gst_buffer_unref (key);
}

GST_END_TEST;

GST_START_TEST (test_enc_invalid_packets)
{
  const TestProfile *p = &test_profiles[0];
  GstBuffer *key = test_key_new (p->key_len, 6);
  GstHarness *h = test_enc_new (p, key);
  guint8 d[64];

  memset (d, 0, sizeof (d));
  d[0] = 0x80;
  d[1] = TEST_PT;

  /* Too short: 5 and 11 bytes */
  fail_unless (test_protect (h, test_buffer_from_data (d, 5)) == NULL);
  fail_unless (test_protect (h, test_buffer_from_data (d, 11)) == NULL);
  fail_unless_equals_uint64 (test_get_stat (h->element, "too-short"), 2);

  /* Version 1 */
  d[0] = 0x40;
  fail_unless (test_protect (h, test_buffer_from_data (d, 40)) == NULL);
  /* 15 CSRCs in a 40-byte packet */
  d[0] = 0x8f;
  fail_unless (test_protect (h, test_buffer_from_data (d, 40)) == NULL);
  /* Extension header longer than the packet */
  d[0] = 0x90;
  d[14] = 0xff;
  d[15] = 0xff;
  fail_unless (test_protect (h, test_buffer_from_data (d, 40)) == NULL);
  /* Extension bit but no room for the extension header */
  fail_unless (test_protect (h, test_buffer_from_data (d, 14)) == NULL);
  fail_unless_equals_uint64 (test_get_stat (h->element, "malformed"), 4);

  fail_unless_equals_uint64 (test_get_stat (h->element, "packets-dropped"), 6);
  fail_unless_equals_uint64 (test_get_stat (h->element, "packets-protected"),
      0);
  fail_unless_equals_int (test_get_n_streams (h->element), 0);

  /* Still working afterwards */
  d[0] = 0x80;
  d[14] = d[15] = 0;
  {
    GstBuffer *out = test_protect (h, test_buffer_from_data (d, 40));

    fail_unless (out != NULL);
    gst_buffer_unref (out);
  }

  gst_harness_teardown (h);
  gst_buffer_unref (key);
}

GST_END_TEST;

GST_START_TEST (test_enc_repeat_tx)
{
  const TestProfile *p = &test_profiles[2];
  GstBuffer *key = test_key_new (p->key_len, 7);
  GstHarness *h = test_enc_new (p, key);
  GstBuffer *a, *b;

  a = test_protect (h, test_rtp_new (SSRC, 10, 0, 160));
  fail_unless (a != NULL);
  /* The same sequence number again is refused: it would reuse keystream */
  fail_unless (test_protect (h, test_rtp_new (SSRC, 10, 0, 160)) == NULL);
  fail_unless_equals_uint64 (test_get_stat (h->element, "protect-failures"), 1);
  gst_buffer_unref (a);
  gst_harness_teardown (h);

  h = gst_harness_new ("acssrtpenc");
  gst_util_set_object_arg (G_OBJECT (h->element), "profile", p->name);
  g_object_set (h->element, "key", key, "allow-repeat-tx", TRUE, NULL);
  gst_harness_set_src_caps_str (h, "application/x-rtp");
  a = test_protect (h, test_rtp_new (SSRC, 10, 0, 160));
  b = test_protect (h, test_rtp_new (SSRC, 10, 0, 160));
  fail_unless (a != NULL && b != NULL);
  fail_unless (test_buffer_equal (a, b));
  gst_buffer_unref (a);
  gst_buffer_unref (b);
  gst_harness_teardown (h);

  gst_buffer_unref (key);
}

GST_END_TEST;

static void
assert_library_error (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *debug = NULL;

  fail_unless (msg != NULL, "no error message posted");
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (err->domain == GST_LIBRARY_ERROR, "error domain %s",
      g_quark_to_string (err->domain));
  fail_unless (debug != NULL);
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);
}

GST_START_TEST (test_enc_no_key_error)
{
  GstHarness *h = test_enc_new (&test_profiles[0], NULL);
  GstBus *bus = test_harness_add_bus (h);

  fail_unless_equals_int (gst_harness_push (h, test_rtp_new (SSRC, 1, 0,
              160)), GST_FLOW_ERROR);
  test_assert_no_output (h);
  assert_library_error (bus);
  fail_unless_equals_uint64 (test_get_stat (h->element, "no-key"), 1);

  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_enc_wrong_key_length_error)
{
  guint i;

  for (i = 0; i < n_test_profiles; i++) {
    const TestProfile *p = &test_profiles[i];
    GstBuffer *key = test_key_new (p->key_len - 2, 8);
    GstHarness *h = test_enc_new (p, key);
    GstBus *bus = test_harness_add_bus (h);

    fail_unless_equals_int (gst_harness_push (h, test_rtp_new (SSRC, 1, 0,
                160)), GST_FLOW_ERROR);
    test_assert_no_output (h);
    assert_library_error (bus);

    /* A right key set afterwards is taken */
    gst_buffer_unref (key);
    key = test_key_new (p->key_len, 8);
    g_object_set (h->element, "key", key, NULL);
    {
      GstBuffer *out = test_protect (h, test_rtp_new (SSRC, 2, 0, 160));

      fail_unless (out != NULL);
      gst_buffer_unref (out);
    }

    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (bus);
    gst_harness_teardown (h);
    gst_buffer_unref (key);
  }
}

GST_END_TEST;

GST_START_TEST (test_enc_bad_inline_key_error)
{
  static const gchar *bad[] = {
    "inline:not*base64*at*all*",
    "inline:QUJD|2^20|1:4",
    "inline:QUJD=",
    "",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GstHarness *h = gst_harness_new ("acssrtpenc");
    GstBus *bus = test_harness_add_bus (h);

    g_object_set (h->element, "inline-key", bad[i], NULL);
    gst_harness_set_src_caps_str (h, "application/x-rtp");
    fail_unless_equals_int (gst_harness_push (h, test_rtp_new (SSRC, 1, 0,
                160)), GST_FLOW_ERROR);
    test_assert_no_output (h);
    assert_library_error (bus);

    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (bus);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_enc_random_key)
{
  guint i;

  for (i = 0; i < n_test_profiles; i++) {
    const TestProfile *p = &test_profiles[i];
    GstElement *e = gst_element_factory_make ("acssrtpenc", NULL);
    GstHarness *enc, *dec;
    GstBuffer *key = NULL, *key2 = NULL, *in, *out, *clear;

    /* random-key applies when going to PAUSED: set it before */
    gst_util_set_object_arg (G_OBJECT (e), "profile", p->name);
    g_object_set (e, "random-key", TRUE, NULL);
    enc = gst_harness_new_with_element (e, "sink", "src");
    gst_object_unref (e);
    gst_harness_set_src_caps_str (enc, "application/x-rtp");
    g_object_get (enc->element, "key", &key, NULL);
    fail_unless (key != NULL, "no random key after PAUSED");
    fail_unless_equals_int (gst_buffer_get_size (key), p->key_len);

    /* Another element draws another key */
    e = gst_element_factory_make ("acssrtpenc", NULL);
    gst_util_set_object_arg (G_OBJECT (e), "profile", p->name);
    g_object_set (e, "random-key", TRUE, NULL);
    dec = gst_harness_new_with_element (e, "sink", "src");
    gst_object_unref (e);
    gst_harness_play (dec);
    g_object_get (dec->element, "key", &key2, NULL);
    fail_unless (key2 != NULL);
    fail_if (test_buffer_equal (key, key2));
    gst_buffer_unref (key2);
    gst_harness_teardown (dec);

    dec = test_dec_new (p, key);
    in = test_rtp_new (SSRC, 1, 0, 160);
    out = test_protect (enc, gst_buffer_ref (in));
    fail_unless (out != NULL);
    clear = test_unprotect (dec, out);
    fail_unless (clear != NULL);
    fail_unless (test_buffer_equal (clear, in));
    gst_buffer_unref (clear);
    gst_buffer_unref (in);

    gst_buffer_unref (key);
    gst_harness_teardown (enc);
    gst_harness_teardown (dec);
  }
}

GST_END_TEST;

GST_START_TEST (test_enc_streams)
{
  const TestProfile *p = &test_profiles[0];
  GstBuffer *key = test_key_new (p->key_len, 9);
  GstHarness *h = test_enc_new (p, key);
  guint i;

  for (i = 0; i < 9; i++) {
    GstBuffer *out = test_protect (h, test_rtp_new (0x1000 + i % 3, i, 0, 20));

    fail_unless (out != NULL);
    gst_buffer_unref (out);
  }
  fail_unless_equals_int (test_get_n_streams (h->element), 3);
  for (i = 0; i < 3; i++)
    fail_unless (test_get_stream (h->element, 0x1000 + i, NULL));

  /* Going back to READY forgets them */
  gst_element_set_state (h->element, GST_STATE_READY);
  fail_unless_equals_int (test_get_n_streams (h->element), 0);
  fail_unless_equals_uint64 (test_get_stat (h->element, "packets-protected"),
      0);

  gst_harness_teardown (h);
  gst_buffer_unref (key);
}

GST_END_TEST;

GST_START_TEST (test_enc_states)
{
  GstElement *enc = gst_element_factory_make ("acssrtpenc", NULL);
  GstBuffer *key = test_key_new (28, 10);
  guint i;

  g_object_set (enc, "key", key, NULL);
  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (gst_element_set_state (enc, GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (enc, GST_STATE_PAUSED),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (enc, GST_STATE_PLAYING),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (enc, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }
  /* Straight from NULL to PLAYING and back, with random-key */
  g_object_set (enc, "key", NULL, "random-key", TRUE, NULL);
  fail_unless_equals_int (gst_element_set_state (enc, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (enc, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  gst_object_unref (enc);
  gst_buffer_unref (key);
}

GST_END_TEST;

static Suite *
acssrtpenc_suite (void)
{
  Suite *s = suite_create ("acssrtpenc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_enc_tag_lengths);
  tcase_add_test (tc, test_enc_src_caps);
  tcase_add_test (tc, test_enc_profile_property);
  tcase_add_test (tc, test_enc_in_place);
  tcase_add_test (tc, test_enc_copy);
  tcase_add_test (tc, test_enc_metadata);
  tcase_add_test (tc, test_enc_buffer_list);
  tcase_add_test (tc, test_enc_invalid_packets);
  tcase_add_test (tc, test_enc_repeat_tx);
  tcase_add_test (tc, test_enc_no_key_error);
  tcase_add_test (tc, test_enc_wrong_key_length_error);
  tcase_add_test (tc, test_enc_bad_inline_key_error);
  tcase_add_test (tc, test_enc_random_key);
  tcase_add_test (tc, test_enc_streams);
  tcase_add_test (tc, test_enc_states);
  return s;
}

GST_CHECK_MAIN (acssrtpenc);

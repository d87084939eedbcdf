/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: known-answer tests of acssrtpenc and acssrtpdec at packet level
 *
 * The elements take a master key and salt and derive the session keys with
 * the RFC 3711 key derivation, so the vectors used here are the ones given
 * from a master key: libsrtp's own packet-level references from
 * test/srtp_driver.c (srtp_validate(), srtp_validate_gcm(),
 * srtp_validate_aes_256()), whose master key and salt for
 * AES_CM_128_HMAC_SHA1_80 are those of RFC 3711 appendix B.3.
 *
 * The RFC 7714 section 16 and 17 vectors are not used: their "Key" and
 * "Salt" are the session encryption key and session salt fed straight
 * into AES-GCM (IV = salt XOR SSRC/ROC/SEQ), with no key derivation, and a
 * master key that derives them cannot be computed. Likewise the RFC 3711
 * appendix B.2 AES-CM vector is a keystream under a session key, not a
 * packet.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "srtptestutil.h"

/* libsrtp test/srtp_driver.c: test_key (RFC 3711 B.3 master key, salt) */
static const guint8 test_key[30] = {
  0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
  0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
  0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb,
  0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6
};

/* srtp_validate(): srtp_plaintext_ref */
static const guint8 rtp_plaintext[28] = {
  0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad,
  0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab, 0xab,
  0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
  0xab, 0xab, 0xab, 0xab
};

/* srtp_validate(): srtp_ciphertext, AES_CM_128_HMAC_SHA1_80 */
static const guint8 srtp_ciphertext_80[38] = {
  0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad,
  0xca, 0xfe, 0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c,
  0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15,
  0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc,
  0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb
};

/* srtp_validate(): rtcp_plaintext_ref */
static const guint8 rtcp_plaintext[24] = {
  0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe,
  0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
  0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab
};

/* srtp_validate(): srtcp_ciphertext, AES-CM-128 with HMAC-SHA1-80 */
static const guint8 srtcp_ciphertext_80[38] = {
  0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe,
  0x71, 0x28, 0x03, 0x5b, 0xe4, 0x87, 0xb9, 0xbd,
  0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8,
  0x80, 0x00, 0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd,
  0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98
};

/* srtp_validate_gcm(): test_key_gcm */
static const guint8 test_key_gcm[28] = {
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
  0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
  0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
  0xa8, 0xa9, 0xaa, 0xab
};

/* srtp_validate_gcm(): srtp_ciphertext, AEAD_AES_128_GCM */
static const guint8 srtp_ciphertext_gcm[44] = {
  0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad,
  0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e, 0xde,
  0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0,
  0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97, 0x68, 0x26,
  0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1,
  0x27, 0xe8, 0xa3, 0x92
};

/* srtp_validate_gcm(): srtcp_ciphertext */
static const guint8 srtcp_ciphertext_gcm[44] = {
  0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe,
  0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a, 0x55,
  0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e, 0x70, 0x25,
  0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3, 0xb4, 0x46,
  0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e,
  0x80, 0x00, 0x00, 0x01
};

/* srtp_validate_aes_256(): aes_256_test_key */
static const guint8 aes_256_test_key[46] = {
  0xf0, 0xf0, 0x49, 0x14, 0xb5, 0x13, 0xf2, 0x76,
  0x3a, 0x1b, 0x1f, 0xa1, 0x30, 0xf1, 0x0e, 0x29,
  0x98, 0xf6, 0xf6, 0xe4, 0x3e, 0x43, 0x09, 0xd1,
  0xe6, 0x22, 0xa0, 0xe3, 0x32, 0xb9, 0xf1, 0xb6,
  0x3b, 0x04, 0x80, 0x3d, 0xe5, 0x1e, 0xe7, 0xc9,
  0x64, 0x23, 0xab, 0x5b, 0x78, 0xd2
};

/* srtp_validate_aes_256(): srtp_ciphertext, AES-256-ICM + HMAC-SHA1-80 */
static const guint8 srtp_ciphertext_aes_256[38] = {
  0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad,
  0xca, 0xfe, 0xba, 0xbe, 0xf1, 0xd9, 0xde, 0x17,
  0xff, 0x25, 0x1f, 0xf1, 0xaa, 0x00, 0x77, 0x74,
  0xb0, 0xb4, 0xb4, 0x0d, 0xa0, 0x8d, 0x9d, 0x9a,
  0x5b, 0x3a, 0x55, 0xd8, 0x87, 0x3b
};

typedef struct
{
  const gchar *profile;         /* NULL: use the four properties below */
  const gchar *rtp_cipher, *rtp_auth, *rtcp_cipher, *rtcp_auth;
  const guint8 *key;
  gsize key_len;
  const guint8 *srtp;
  gsize srtp_len;
  const guint8 *srtcp;          /* nullable */
  gsize srtcp_len;
} Vector;

static GstHarness *
vector_harness (const Vector * v, const gchar * factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  GstBuffer *key = test_buffer_from_data (v->key, v->key_len);
  GstHarness *h;

  fail_unless (e != NULL);
  if (v->profile) {
    gst_util_set_object_arg (G_OBJECT (e), "profile", v->profile);
  } else {
    gst_util_set_object_arg (G_OBJECT (e), "rtp-cipher", v->rtp_cipher);
    gst_util_set_object_arg (G_OBJECT (e), "rtp-auth", v->rtp_auth);
    gst_util_set_object_arg (G_OBJECT (e), "rtcp-cipher", v->rtcp_cipher);
    gst_util_set_object_arg (G_OBJECT (e), "rtcp-auth", v->rtcp_auth);
  }
  g_object_set (e, "key", key, NULL);
  gst_buffer_unref (key);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, g_str_equal (factory, "acssrtpenc") ?
      "application/x-rtp" : "application/x-srtp");
  return h;
}

static void
assert_equal_bytes (GstBuffer * buf, const guint8 * data, gsize len,
    const gchar * what)
{
  GstMapInfo map;

  fail_unless (buf != NULL, "%s: no output", what);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  if (map.size != len || memcmp (map.data, data, len) != 0) {
    GST_MEMDUMP ("got", map.data, map.size);
    GST_MEMDUMP ("expected", data, len);
    fail ("%s: %" G_GSIZE_FORMAT " bytes differ from the %" G_GSIZE_FORMAT
        "-byte reference", what, map.size, len);
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
}

static void
run_vector (const Vector * v)
{
  GstHarness *h;
  GstBuffer *out;

  /* Protect, in the order libsrtp's driver does: RTP, then RTCP */
  h = vector_harness (v, "acssrtpenc");
  out = test_protect (h, test_buffer_from_data (rtp_plaintext,
          sizeof (rtp_plaintext)));
  assert_equal_bytes (out, v->srtp, v->srtp_len, "protected RTP");
  if (v->srtcp) {
    out = test_protect (h, test_buffer_from_data (rtcp_plaintext,
            sizeof (rtcp_plaintext)));
    assert_equal_bytes (out, v->srtcp, v->srtcp_len, "protected RTCP");
  }
  gst_harness_teardown (h);

  /* Unprotect the references, after a copy with one flipped bit in the
   * tag, which is refused (and, refused, does not enter the replay list) */
  h = vector_harness (v, "acssrtpdec");
  {
    guint8 bad[64];

    memcpy (bad, v->srtp, v->srtp_len);
    bad[v->srtp_len - 1] ^= 0x01;
    fail_unless (test_unprotect (h, test_buffer_from_data (bad,
                v->srtp_len)) == NULL);
    fail_unless_equals_uint64 (test_get_stat (h->element, "auth-failures"), 1);
  }
  out = test_unprotect (h, test_buffer_from_data (v->srtp, v->srtp_len));
  assert_equal_bytes (out, rtp_plaintext, sizeof (rtp_plaintext),
      "unprotected SRTP");
  if (v->srtcp) {
    out = test_unprotect (h, test_buffer_from_data (v->srtcp, v->srtcp_len));
    assert_equal_bytes (out, rtcp_plaintext, sizeof (rtcp_plaintext),
        "unprotected SRTCP");
  }
  gst_harness_teardown (h);
}

GST_START_TEST (test_libsrtp_aes_cm_128_hmac_sha1_80)
{
  Vector v = { "AES_CM_128_HMAC_SHA1_80", NULL, NULL, NULL, NULL,
    test_key, sizeof (test_key),
    srtp_ciphertext_80, sizeof (srtp_ciphertext_80),
    srtcp_ciphertext_80, sizeof (srtcp_ciphertext_80)
  };

  run_vector (&v);
}

GST_END_TEST;

/* The HMAC-SHA1-32 tag is the first 4 bytes of the HMAC-SHA1-80 tag (both
 * truncate the same HMAC, RFC 3711 section 4.2), the keystream is the same,
 * and SRTCP keeps the 80-bit tag (RFC 4568 section 6.2.2): the reference
 * follows from srtp_validate()'s */
GST_START_TEST (test_libsrtp_aes_cm_128_hmac_sha1_32)
{
  Vector v = { "AES_CM_128_HMAC_SHA1_32", NULL, NULL, NULL, NULL,
    test_key, sizeof (test_key),
    srtp_ciphertext_80, sizeof (srtp_ciphertext_80) - 6,
    srtcp_ciphertext_80, sizeof (srtcp_ciphertext_80)
  };

  run_vector (&v);
}

GST_END_TEST;

GST_START_TEST (test_libsrtp_aead_aes_128_gcm)
{
  Vector v = { "AEAD_AES_128_GCM", NULL, NULL, NULL, NULL,
    test_key_gcm, sizeof (test_key_gcm),
    srtp_ciphertext_gcm, sizeof (srtp_ciphertext_gcm),
    srtcp_ciphertext_gcm, sizeof (srtcp_ciphertext_gcm)
  };

  run_vector (&v);
}

GST_END_TEST;

GST_START_TEST (test_libsrtp_aes_256_cm_hmac_sha1_80)
{
  Vector v = { NULL, "aes-256-icm", "hmac-sha1-80", "aes-256-icm",
    "hmac-sha1-80",
    aes_256_test_key, sizeof (aes_256_test_key),
    srtp_ciphertext_aes_256, sizeof (srtp_ciphertext_aes_256),
    NULL, 0
  };

  run_vector (&v);
}

GST_END_TEST;

/* The same RFC 3711 B.3 master key as an SDES inline key */
GST_START_TEST (test_libsrtp_inline_key)
{
  GstHarness *h = gst_harness_new ("acssrtpdec");
  gchar *b64 = g_base64_encode (test_key, sizeof (test_key));
  gchar *inline_key = g_strconcat ("inline:", b64, "|2^20", NULL);
  GstBuffer *out;

  gst_util_set_object_arg (G_OBJECT (h->element), "profile",
      "AES_CM_128_HMAC_SHA1_80");
  g_object_set (h->element, "inline-key", inline_key, NULL);
  gst_harness_set_src_caps_str (h, "application/x-srtp");
  out = test_unprotect (h, test_buffer_from_data (srtp_ciphertext_80,
          sizeof (srtp_ciphertext_80)));
  assert_equal_bytes (out, rtp_plaintext, sizeof (rtp_plaintext),
      "unprotected SRTP");

  gst_harness_teardown (h);
  g_free (b64);
  g_free (inline_key);
}

GST_END_TEST;

static Suite *
srtpvectors_suite (void)
{
  Suite *s = suite_create ("srtpvectors");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_libsrtp_aes_cm_128_hmac_sha1_80);
  tcase_add_test (tc, test_libsrtp_aes_cm_128_hmac_sha1_32);
  tcase_add_test (tc, test_libsrtp_aead_aes_128_gcm);
  tcase_add_test (tc, test_libsrtp_aes_256_cm_hmac_sha1_80);
  tcase_add_test (tc, test_libsrtp_inline_key);
  return s;
}

GST_CHECK_MAIN (srtpvectors);

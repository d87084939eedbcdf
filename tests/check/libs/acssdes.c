/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: unit tests of SDES inline keys and SRTP profiles (libacs-internal)
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>

#include <acs/acserror.h>
#include <acs/acssdes.h>
#include <acs/acssrtpprofile.h>

static guint8 *
make_key (gsize len)
{
  guint8 *key = g_malloc (len);
  gsize i;

  for (i = 0; i < len; i++)
    key[i] = (guint8) (0xf3 - i * 11);
  return key;
}

static gboolean
parse (const gchar * str, gsize * len, guint64 * lifetime, GError ** error)
{
  guint8 *key = NULL;
  gboolean ret;

  ret = acs_sdes_parse_inline (str, &key, len, lifetime, error);
  if (ret)
    fail_unless (key != NULL);
  else
    fail_unless (key == NULL);
  acs_secret_free (key, *len);
  return ret;
}

static void
assert_invalid (const gchar * str, gint code)
{
  GError *err = NULL;
  gsize len = 0;

  fail_if (parse (str, &len, NULL, &err), "'%s' was accepted", str);
  fail_unless (err != NULL);
  fail_unless (err->domain == ACS_ERROR);
  fail_unless_equals_int (err->code, code);
  /* The message quotes no key material */
  fail_if (strstr (err->message, str) != NULL && strlen (str) > 4);
  g_clear_error (&err);
}

GST_START_TEST (test_parse_valid)
{
  static const gsize lens[] = { 28, 30, 44, 46 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (lens); i++) {
    guint8 *key = make_key (lens[i]), *out = NULL;
    gchar *b64 = g_base64_encode (key, lens[i]);
    gchar *str;
    gsize len = 0;
    guint64 lifetime = 42;
    GError *err = NULL;

    /* With the prefix, no lifetime */
    str = g_strconcat ("inline:", b64, NULL);
    fail_unless (acs_sdes_parse_inline (str, &out, &len, &lifetime, &err));
    fail_unless (err == NULL);
    fail_unless_equals_int (len, lens[i]);
    fail_unless (memcmp (out, key, len) == 0);
    fail_unless_equals_uint64 (lifetime, 0);
    acs_secret_free (out, len);
    g_free (str);

    /* Without the prefix, lifetime 2^31 */
    str = g_strconcat (b64, "|2^31", NULL);
    fail_unless (acs_sdes_parse_inline (str, &out, &len, &lifetime, NULL));
    fail_unless_equals_int (len, lens[i]);
    fail_unless (memcmp (out, key, len) == 0);
    fail_unless_equals_uint64 (lifetime, G_GUINT64_CONSTANT (1) << 31);
    acs_secret_free (out, len);
    g_free (str);

    /* Decimal lifetime, and the lifetime pointer is optional */
    str = g_strconcat ("inline:", b64, "|1048576", NULL);
    fail_unless (acs_sdes_parse_inline (str, &out, &len, &lifetime, NULL));
    fail_unless_equals_uint64 (lifetime, 1048576);
    acs_secret_free (out, len);
    fail_unless (acs_sdes_parse_inline (str, &out, &len, NULL, NULL));
    fail_unless_equals_int (len, lens[i]);
    acs_secret_free (out, len);
    g_free (str);

    /* The largest exponent */
    str = g_strconcat (b64, "|2^48", NULL);
    fail_unless (acs_sdes_parse_inline (str, &out, &len, &lifetime, NULL));
    fail_unless_equals_uint64 (lifetime, G_GUINT64_CONSTANT (1) << 48);
    acs_secret_free (out, len);
    g_free (str);

    g_free (b64);
    g_free (key);
  }
}

GST_END_TEST;

GST_START_TEST (test_parse_invalid)
{
  /* 30 bytes: 40 characters */
  const gchar *good = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVuZGVm";
  gchar *s;

  /* Base64 alphabet */
  assert_invalid ("inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9Cn*ZGVm",
      ACS_ERROR_INVALID_ARGUMENT);
  assert_invalid ("inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9Cn-ZGVm",
      ACS_ERROR_INVALID_ARGUMENT);
  assert_invalid ("inline:WVNfX19zZW1jdGwg KCkgewkyMjA7fQp9CnZGVm",
      ACS_ERROR_INVALID_ARGUMENT);
  /* Padding in the middle, too much padding, length not a multiple of 4 */
  assert_invalid ("QUJ=RA==", ACS_ERROR_INVALID_ARGUMENT);
  assert_invalid ("Q===", ACS_ERROR_INVALID_ARGUMENT);
  assert_invalid ("QUJDRA=", ACS_ERROR_INVALID_ARGUMENT);
  assert_invalid ("QUJDR", ACS_ERROR_INVALID_ARGUMENT);
  assert_invalid ("", ACS_ERROR_INVALID_ARGUMENT);
  assert_invalid ("inline:", ACS_ERROR_INVALID_ARGUMENT);
  assert_invalid ("inline:|2^20", ACS_ERROR_INVALID_ARGUMENT);

  /* MKI */
  s = g_strconcat ("inline:", good, "|2^20|1:4", NULL);
  assert_invalid (s, ACS_ERROR_UNSUPPORTED);
  g_free (s);
  s = g_strconcat (good, "|1:4", NULL);
  assert_invalid (s, ACS_ERROR_UNSUPPORTED);
  g_free (s);

  /* Lifetimes */
  s = g_strconcat (good, "|2^49", NULL);
  assert_invalid (s, ACS_ERROR_INVALID_ARGUMENT);
  g_free (s);
  s = g_strconcat (good, "|2^", NULL);
  assert_invalid (s, ACS_ERROR_INVALID_ARGUMENT);
  g_free (s);
  s = g_strconcat (good, "|0", NULL);
  assert_invalid (s, ACS_ERROR_INVALID_ARGUMENT);
  g_free (s);
  s = g_strconcat (good, "|12ab", NULL);
  assert_invalid (s, ACS_ERROR_INVALID_ARGUMENT);
  g_free (s);
  s = g_strconcat (good, "|", NULL);
  assert_invalid (s, ACS_ERROR_INVALID_ARGUMENT);
  g_free (s);
  s = g_strconcat (good, "|2^20|2^21", NULL);
  assert_invalid (s, ACS_ERROR_INVALID_ARGUMENT);
  g_free (s);
  s = g_strconcat (good, "|2^20|1:4|x", NULL);
  assert_invalid (s, ACS_ERROR_INVALID_ARGUMENT);
  g_free (s);
}

GST_END_TEST;

GST_START_TEST (test_parse_too_long)
{
  guint8 *key = make_key (48);
  gchar *b64;
  gsize len = 0;

  /* 46 bytes (AES-256 + 14-byte salt) is the most */
  b64 = g_base64_encode (key, 46);
  fail_unless (parse (b64, &len, NULL, NULL));
  fail_unless_equals_int (len, 46);
  g_free (b64);

  b64 = g_base64_encode (key, 47);
  assert_invalid (b64, ACS_ERROR_INVALID_ARGUMENT);
  g_free (b64);
  b64 = g_base64_encode (key, 48);
  assert_invalid (b64, ACS_ERROR_INVALID_ARGUMENT);
  g_free (b64);
  g_free (key);
}

GST_END_TEST;

GST_START_TEST (test_format_round_trip)
{
  gsize l;

  for (l = 1; l <= 46; l++) {
    guint8 *key = make_key (l), *out = NULL;
    gchar *str = acs_sdes_format_inline (key, l);
    gchar *b64 = g_base64_encode (key, l);
    gsize len = 0;
    guint64 lifetime = 1;

    fail_unless (g_str_has_prefix (str, "inline:"));
    fail_unless_equals_string (str + strlen ("inline:"), b64);
    fail_unless (acs_sdes_parse_inline (str, &out, &len, &lifetime, NULL));
    fail_unless_equals_int (len, l);
    fail_unless (memcmp (out, key, l) == 0);
    fail_unless_equals_uint64 (lifetime, 0);

    acs_secret_free (out, len);
    acs_secret_free (str, strlen (str));
    acs_secret_free (NULL, 10);
    g_free (b64);
    g_free (key);
  }
}

GST_END_TEST;

GST_START_TEST (test_profile_names)
{
  static const struct
  {
    AcsSrtpProfile profile;
    const gchar *name;
    guint key_len;
  } profiles[] = {
    {ACS_SRTP_PROFILE_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", 28},
    {ACS_SRTP_PROFILE_AEAD_AES_256_GCM, "AEAD_AES_256_GCM", 44},
    {ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", 30},
    {ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", 30},
  };
  AcsSrtpSuite suite;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (profiles); i++) {
    fail_unless_equals_string (acs_srtp_profile_to_name (profiles[i].profile),
        profiles[i].name);
    fail_unless_equals_int (acs_srtp_profile_from_name (profiles[i].name),
        profiles[i].profile);
    acs_srtp_profile_get_suite (profiles[i].profile, &suite);
    fail_unless_equals_int (acs_srtp_profile_from_suite (&suite),
        profiles[i].profile);
    fail_unless_equals_int (acs_srtp_suite_key_len (&suite),
        profiles[i].key_len);
    fail_unless (acs_srtp_suite_has_crypto (&suite));
  }

  /* Names are case sensitive, as in SDP */
  fail_unless_equals_int (acs_srtp_profile_from_name ("aead_aes_128_gcm"),
      ACS_SRTP_PROFILE_CUSTOM);
  fail_unless_equals_int (acs_srtp_profile_from_name
      ("AES_256_CM_HMAC_SHA1_80"), ACS_SRTP_PROFILE_CUSTOM);
  fail_unless (acs_srtp_profile_to_name (ACS_SRTP_PROFILE_CUSTOM) == NULL);

  /* Suite details */
  acs_srtp_profile_get_suite (ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_32, &suite);
  fail_unless_equals_int (suite.rtp_auth, ACS_SRTP_AUTH_HMAC_SHA1_32);
  fail_unless_equals_int (suite.rtcp_auth, ACS_SRTP_AUTH_HMAC_SHA1_80);
  acs_srtp_profile_get_suite (ACS_SRTP_PROFILE_AEAD_AES_256_GCM, &suite);
  fail_unless_equals_int (suite.rtp_cipher, ACS_SRTP_CIPHER_AES_256_GCM);
  fail_unless_equals_int (suite.rtp_auth, ACS_SRTP_AUTH_NULL);

  /* A mixed suite is custom, and takes the longer key */
  suite.rtp_cipher = ACS_SRTP_CIPHER_AES_128_ICM;
  suite.rtp_auth = ACS_SRTP_AUTH_HMAC_SHA1_80;
  suite.rtcp_cipher = ACS_SRTP_CIPHER_AES_256_ICM;
  suite.rtcp_auth = ACS_SRTP_AUTH_HMAC_SHA1_80;
  fail_unless_equals_int (acs_srtp_profile_from_suite (&suite),
      ACS_SRTP_PROFILE_CUSTOM);
  fail_unless_equals_int (acs_srtp_suite_key_len (&suite), 46);

  memset (&suite, 0, sizeof (suite));
  fail_if (acs_srtp_suite_has_crypto (&suite));
  fail_unless_equals_int (acs_srtp_suite_key_len (&suite), 0);
  suite.rtcp_auth = ACS_SRTP_AUTH_HMAC_SHA1_80;
  fail_unless (acs_srtp_suite_has_crypto (&suite));
}

GST_END_TEST;

GST_START_TEST (test_key_lengths_and_nicks)
{
  static const struct
  {
    AcsSrtpCipher cipher;
    const gchar *nick;
    guint key_len;
  } ciphers[] = {
    {ACS_SRTP_CIPHER_NULL, "null", 0},
    {ACS_SRTP_CIPHER_AES_128_ICM, "aes-128-icm", 30},
    {ACS_SRTP_CIPHER_AES_256_ICM, "aes-256-icm", 46},
    {ACS_SRTP_CIPHER_AES_128_GCM, "aes-128-gcm", 28},
    {ACS_SRTP_CIPHER_AES_256_GCM, "aes-256-gcm", 44},
  };
  static const struct
  {
    AcsSrtpAuth auth;
    const gchar *nick;
  } auths[] = {
    {ACS_SRTP_AUTH_NULL, "null"},
    {ACS_SRTP_AUTH_HMAC_SHA1_32, "hmac-sha1-32"},
    {ACS_SRTP_AUTH_HMAC_SHA1_80, "hmac-sha1-80"},
  };
  AcsSrtpCipher cipher;
  AcsSrtpAuth auth;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (ciphers); i++) {
    fail_unless_equals_int (acs_srtp_cipher_key_len (ciphers[i].cipher),
        ciphers[i].key_len);
    fail_unless_equals_string (acs_srtp_cipher_to_nick (ciphers[i].cipher),
        ciphers[i].nick);
    fail_unless (acs_srtp_cipher_from_nick (ciphers[i].nick, &cipher));
    fail_unless_equals_int (cipher, ciphers[i].cipher);
  }
  for (i = 0; i < G_N_ELEMENTS (auths); i++) {
    fail_unless_equals_string (acs_srtp_auth_to_nick (auths[i].auth),
        auths[i].nick);
    fail_unless (acs_srtp_auth_from_nick (auths[i].nick, &auth));
    fail_unless_equals_int (auth, auths[i].auth);
  }
  fail_if (acs_srtp_cipher_from_nick ("aes-192-icm", &cipher));
  fail_if (acs_srtp_cipher_from_nick (NULL, &cipher));
  fail_if (acs_srtp_auth_from_nick ("hmac-sha1-64", &auth));
  fail_if (acs_srtp_auth_from_nick (NULL, &auth));
}

GST_END_TEST;

static Suite *
acssdes_suite (void)
{
  Suite *s = suite_create ("acssdes");
  TCase *tc = tcase_create ("sdes");
  TCase *tc_profile = tcase_create ("profile");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_parse_valid);
  tcase_add_test (tc, test_parse_invalid);
  tcase_add_test (tc, test_parse_too_long);
  tcase_add_test (tc, test_format_round_trip);
  suite_add_tcase (s, tc_profile);
  tcase_add_test (tc_profile, test_profile_names);
  tcase_add_test (tc_profile, test_key_lengths_and_nicks);
  return s;
}

GST_CHECK_MAIN (acssdes);

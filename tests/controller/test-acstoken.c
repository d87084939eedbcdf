/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: unit tests of the access tokens (acstoken.c)
 *
 * The known answers were computed independently, with Python's hmac
 * module, and RFC 7515 appendix A.1. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <acs/acstoken.h>

#define SECRET "0123456789abcdef0123456789abcdef"
#define SECRET_LEN 32
#define NOW 1700001000

/* sub alice, scope [call], iat 1700000000, exp 1700003600 */
#define ALICE_TOKEN \
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." \
  "eyJzdWIiOiJhbGljZSIsInNjb3BlIjpbImNhbGwiXSwiaWF0IjoxNzAwMDAwMDAwLCJleHAi" \
  "OjE3MDAwMDM2MDB9.YqNgJMpMMpnyx6GauJFEW4jdYjP7stZklRBuxSRUoro"

static void
test_sign_known_answer (void)
{
  const gchar *scope[] = { "call", NULL };
  g_autofree gchar *token = acs_token_sign ((const guint8 *) SECRET,
      SECRET_LEN, "alice", scope, 1700000000, 1700003600);

  g_assert_cmpstr (token, ==, ALICE_TOKEN);
}

static void
test_verify_ok (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AcsTokenClaims) claims = NULL;

  claims = acs_token_verify ((const guint8 *) SECRET, SECRET_LEN,
      ALICE_TOKEN, NOW, &error);
  g_assert_no_error (error);
  g_assert_nonnull (claims);
  g_assert_cmpstr (claims->sub, ==, "alice");
  g_assert_cmpint (claims->iat, ==, 1700000000);
  g_assert_cmpint (claims->exp, ==, 1700003600);
  g_assert_true (acs_token_claims_has_scope (claims, "call"));
  g_assert_false (acs_token_claims_has_scope (claims, "admin"));
}

static void
test_roundtrip (void)
{
  const gchar *scope[] = { "call", "admin", NULL };
  g_autofree gchar *token = NULL;
  g_autoptr (AcsTokenClaims) claims = NULL;

  token = acs_token_sign ((const guint8 *) SECRET, SECRET_LEN,
      "bob.smith@example.org", scope, NOW, NOW + 60);
  claims = acs_token_verify ((const guint8 *) SECRET, SECRET_LEN, token,
      NOW + 59, NULL);
  g_assert_nonnull (claims);
  g_assert_cmpstr (claims->sub, ==, "bob.smith@example.org");
  g_assert_true (acs_token_claims_has_scope (claims, "admin"));
}

/* RFC 7515 A.1: the signature is right, the claims are not ours */
static void
test_rfc7515_signature (void)
{
  const gchar *key_b64 = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0g"
      "ZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
  const gchar *token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxl"
      "LmNvbS9pc19yb290Ijp0cnVlfQ."
      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  g_autofree guint8 *key = NULL;
  g_autoptr (GError) error = NULL;
  gsize key_len;

  key = acs_base64url_decode (key_b64, strlen (key_b64), &key_len);
  g_assert_nonnull (key);
  g_assert_cmpuint (key_len, ==, 64);
  g_assert_null (acs_token_verify (key, key_len, token, NOW, &error));
  g_assert_error (error, ACS_TOKEN_ERROR, ACS_TOKEN_ERROR_INVALID_CLAIMS);
}

static void
expect_error (const gchar * token, gint64 now, AcsTokenError code)
{
  g_autoptr (GError) error = NULL;
  AcsTokenClaims *claims;

  claims = acs_token_verify ((const guint8 *) SECRET, SECRET_LEN, token, now,
      &error);
  g_assert_null (claims);
  g_assert_error (error, ACS_TOKEN_ERROR, code);
  /* Error messages never quote the token */
  g_assert_null (strstr (error->message, "eyJ"));
}

static gchar *
forge (const gchar * header_json, const gchar * claims_json, const gchar * sig)
{
  g_autofree gchar *h = acs_base64url_encode ((const guint8 *) header_json,
      strlen (header_json));
  g_autofree gchar *c = acs_base64url_encode ((const guint8 *) claims_json,
      strlen (claims_json));

  return g_strconcat (h, ".", c, ".", sig, NULL);
}

static void
test_forgeries (void)
{
  const gchar *scope[] = { "call", NULL };
  g_autofree gchar *flipped = g_strdup (ALICE_TOKEN);
  g_autofree gchar *none = NULL, *other = NULL, *hs512 = NULL;
  g_autofree gchar *no_alg = NULL;
  gchar *last;

  /* Every byte of the signature matters, the last character included */
  last = flipped + strlen (flipped) - 1;
  *last = *last == 'o' ? 'p' : 'o';
  expect_error (flipped, NOW, ACS_TOKEN_ERROR_BAD_SIGNATURE);
  flipped[strlen (flipped) - 10] ^= 0x01;
  expect_error (flipped, NOW, ACS_TOKEN_ERROR_BAD_SIGNATURE);

  none = forge ("{\"alg\":\"none\",\"typ\":\"JWT\"}",
      "{\"sub\":\"alice\",\"scope\":[\"call\"],\"iat\":1,\"exp\":9999999999}",
      "");
  expect_error (none, NOW, ACS_TOKEN_ERROR_UNSUPPORTED_ALG);
  hs512 = forge ("{\"alg\":\"HS512\"}", "{}", "AAAA");
  expect_error (hs512, NOW, ACS_TOKEN_ERROR_UNSUPPORTED_ALG);
  no_alg = forge ("{\"typ\":\"JWT\"}", "{}", "AAAA");
  expect_error (no_alg, NOW, ACS_TOKEN_ERROR_UNSUPPORTED_ALG);

  other = acs_token_sign ((const guint8 *) "another secret, 32 bytes long..",
      32, "alice", scope, NOW, NOW + 60);
  expect_error (other, NOW, ACS_TOKEN_ERROR_BAD_SIGNATURE);
}

static void
test_expired (void)
{
  expect_error (ALICE_TOKEN, 1700003600, ACS_TOKEN_ERROR_EXPIRED);
  expect_error (ALICE_TOKEN, 1800000000, ACS_TOKEN_ERROR_EXPIRED);
}

static void
test_malformed (void)
{
  expect_error ("", NOW, ACS_TOKEN_ERROR_MALFORMED);
  expect_error ("abc", NOW, ACS_TOKEN_ERROR_MALFORMED);
  expect_error ("a.b", NOW, ACS_TOKEN_ERROR_MALFORMED);
  expect_error ("a.b.c.d", NOW, ACS_TOKEN_ERROR_MALFORMED);
  expect_error ("!!!.b.c", NOW, ACS_TOKEN_ERROR_MALFORMED);
  expect_error ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9=.x.y", NOW,
      ACS_TOKEN_ERROR_MALFORMED);
  /* header JSON is an array */
  expect_error ("WzFd.e30.AAAA", NOW, ACS_TOKEN_ERROR_MALFORMED);
}

static void
sign_claims_and_expect (const gchar * claims_json, AcsTokenError code)
{
  const gchar *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  g_autofree gchar *unsigned_token = forge (header, claims_json, "");
  g_autofree gchar *token = NULL, *sig = NULL;
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) SECRET,
      SECRET_LEN);
  guint8 mac[32];
  gsize mac_len = sizeof (mac);

  /* strip the trailing '.' */
  unsigned_token[strlen (unsigned_token) - 1] = '\0';
  g_hmac_update (hmac, (const guchar *) unsigned_token, -1);
  g_hmac_get_digest (hmac, mac, &mac_len);
  g_hmac_unref (hmac);
  sig = acs_base64url_encode (mac, mac_len);
  token = g_strconcat (unsigned_token, ".", sig, NULL);
  expect_error (token, NOW, code);
}

static void
test_bad_claims (void)
{
  sign_claims_and_expect ("{\"scope\":[\"call\"],\"iat\":1,\"exp\":9999999999}",
      ACS_TOKEN_ERROR_INVALID_CLAIMS);
  sign_claims_and_expect ("{\"sub\":\"a b\",\"scope\":[],\"iat\":1,"
      "\"exp\":9999999999}", ACS_TOKEN_ERROR_INVALID_CLAIMS);
  sign_claims_and_expect ("{\"sub\":\"alice\",\"scope\":\"call\",\"iat\":1,"
      "\"exp\":9999999999}", ACS_TOKEN_ERROR_INVALID_CLAIMS);
  sign_claims_and_expect ("{\"sub\":\"alice\",\"scope\":[1],\"iat\":1,"
      "\"exp\":9999999999}", ACS_TOKEN_ERROR_INVALID_CLAIMS);
  sign_claims_and_expect ("{\"sub\":\"alice\",\"scope\":[],\"iat\":1,"
      "\"exp\":\"9999999999\"}", ACS_TOKEN_ERROR_INVALID_CLAIMS);
  sign_claims_and_expect ("{\"sub\":\"alice\",\"scope\":[],\"iat\":1.5,"
      "\"exp\":9999999999}", ACS_TOKEN_ERROR_INVALID_CLAIMS);
  sign_claims_and_expect ("[1,2]", ACS_TOKEN_ERROR_MALFORMED);
}

static void
test_user_names (void)
{
  g_autofree gchar *long_name = g_strnfill (65, 'a');

  g_assert_true (acs_token_user_is_valid ("alice"));
  g_assert_true (acs_token_user_is_valid ("A.b_c@d+e-f"));
  g_assert_false (acs_token_user_is_valid (""));
  g_assert_false (acs_token_user_is_valid (NULL));
  g_assert_false (acs_token_user_is_valid ("a/b"));
  g_assert_false (acs_token_user_is_valid ("a:b"));
  g_assert_false (acs_token_user_is_valid (long_name));
  long_name[64] = '\0';
  g_assert_true (acs_token_user_is_valid (long_name));
}

static void
test_base64url (void)
{
  const guint8 data[] = { 0xfb, 0xff, 0xfe, 0x00 };
  g_autofree gchar *enc = acs_base64url_encode (data, sizeof (data));
  g_autofree guint8 *dec = NULL;
  guint8 *bad;
  gsize len;

  g_assert_cmpstr (enc, ==, "-__-AA");
  dec = acs_base64url_decode (enc, strlen (enc), &len);
  g_assert_cmpmem (dec, len, data, sizeof (data));
  /* non-canonical: unused bits set */
  bad = acs_base64url_decode ("-__-AB", 6, &len);
  g_assert_null (bad);
  bad = acs_base64url_decode ("+//+AA", 6, &len);
  g_assert_null (bad);
  bad = acs_base64url_decode ("AAAAA", 5, &len);
  g_assert_null (bad);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/acstoken/sign-known-answer", test_sign_known_answer);
  g_test_add_func ("/acstoken/verify-ok", test_verify_ok);
  g_test_add_func ("/acstoken/roundtrip", test_roundtrip);
  g_test_add_func ("/acstoken/rfc7515-signature", test_rfc7515_signature);
  g_test_add_func ("/acstoken/forgeries", test_forgeries);
  g_test_add_func ("/acstoken/expired", test_expired);
  g_test_add_func ("/acstoken/malformed", test_malformed);
  g_test_add_func ("/acstoken/bad-claims", test_bad_claims);
  g_test_add_func ("/acstoken/user-names", test_user_names);
  g_test_add_func ("/acstoken/base64url", test_base64url);
  return g_test_run ();
}

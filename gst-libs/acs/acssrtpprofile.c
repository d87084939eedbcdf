/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: SRTP protection profiles (RFC 4568 crypto-suite names) */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acssrtpprofile.h"

#include <string.h>

typedef struct
{
  AcsSrtpProfile profile;
  const gchar *name;
  AcsSrtpSuite suite;
} ProfileInfo;

static const ProfileInfo profiles[] = {
  {ACS_SRTP_PROFILE_AEAD_AES_128_GCM, "AEAD_AES_128_GCM",
        {ACS_SRTP_CIPHER_AES_128_GCM, ACS_SRTP_AUTH_NULL,
          ACS_SRTP_CIPHER_AES_128_GCM, ACS_SRTP_AUTH_NULL}},
  {ACS_SRTP_PROFILE_AEAD_AES_256_GCM, "AEAD_AES_256_GCM",
        {ACS_SRTP_CIPHER_AES_256_GCM, ACS_SRTP_AUTH_NULL,
          ACS_SRTP_CIPHER_AES_256_GCM, ACS_SRTP_AUTH_NULL}},
  {ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80",
        {ACS_SRTP_CIPHER_AES_128_ICM, ACS_SRTP_AUTH_HMAC_SHA1_80,
          ACS_SRTP_CIPHER_AES_128_ICM, ACS_SRTP_AUTH_HMAC_SHA1_80}},
  {ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32",
        {ACS_SRTP_CIPHER_AES_128_ICM, ACS_SRTP_AUTH_HMAC_SHA1_32,
          ACS_SRTP_CIPHER_AES_128_ICM, ACS_SRTP_AUTH_HMAC_SHA1_80}},
};

static const gchar *cipher_nicks[] = {
  "null", "aes-128-icm", "aes-256-icm", "aes-128-gcm", "aes-256-gcm"
};

static const gchar *auth_nicks[] = { "null", "hmac-sha1-32", "hmac-sha1-80" };

/**
 * acs_srtp_profile_to_name:
 * @profile: an #AcsSrtpProfile
 *
 * Returns: (transfer none) (nullable): the RFC 4568 / RFC 7714 crypto-suite
 *   name of @profile, as written in an SDP `a=crypto` line, or %NULL for
 *   %ACS_SRTP_PROFILE_CUSTOM.
 */
const gchar *
acs_srtp_profile_to_name (AcsSrtpProfile profile)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (profiles); i++)
    if (profiles[i].profile == profile)
      return profiles[i].name;
  return NULL;
}

/**
 * acs_srtp_profile_from_name:
 * @name: a crypto-suite name such as `AEAD_AES_128_GCM`
 *
 * Returns: the matching profile, or %ACS_SRTP_PROFILE_CUSTOM when @name is
 *   no suite we support.
 */
AcsSrtpProfile
acs_srtp_profile_from_name (const gchar * name)
{
  guint i;

  g_return_val_if_fail (name != NULL, ACS_SRTP_PROFILE_CUSTOM);

  for (i = 0; i < G_N_ELEMENTS (profiles); i++)
    if (strcmp (profiles[i].name, name) == 0)
      return profiles[i].profile;
  return ACS_SRTP_PROFILE_CUSTOM;
}

/**
 * acs_srtp_profile_get_suite:
 * @profile: an #AcsSrtpProfile other than %ACS_SRTP_PROFILE_CUSTOM
 * @suite: (out caller-allocates): the ciphers and authentications of @profile
 */
void
acs_srtp_profile_get_suite (AcsSrtpProfile profile, AcsSrtpSuite * suite)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (profiles); i++) {
    if (profiles[i].profile == profile) {
      *suite = profiles[i].suite;
      return;
    }
  }
  g_return_if_reached ();
}

/**
 * acs_srtp_profile_from_suite:
 * @suite: ciphers and authentications
 *
 * Returns: the profile @suite is, or %ACS_SRTP_PROFILE_CUSTOM.
 */
AcsSrtpProfile
acs_srtp_profile_from_suite (const AcsSrtpSuite * suite)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (profiles); i++)
    if (memcmp (&profiles[i].suite, suite, sizeof (AcsSrtpSuite)) == 0)
      return profiles[i].profile;
  return ACS_SRTP_PROFILE_CUSTOM;
}

/**
 * acs_srtp_cipher_key_len:
 * @cipher: an #AcsSrtpCipher
 *
 * Returns: the length in bytes of the master key plus master salt that
 *   @cipher needs (30, 46, 28 or 44), 0 for the null cipher.
 */
guint
acs_srtp_cipher_key_len (AcsSrtpCipher cipher)
{
  switch (cipher) {
    case ACS_SRTP_CIPHER_AES_128_ICM:
      return 16 + 14;
    case ACS_SRTP_CIPHER_AES_256_ICM:
      return 32 + 14;
    case ACS_SRTP_CIPHER_AES_128_GCM:
      return 16 + 12;
    case ACS_SRTP_CIPHER_AES_256_GCM:
      return 32 + 12;
    case ACS_SRTP_CIPHER_NULL:
    default:
      return 0;
  }
}

/**
 * acs_srtp_suite_key_len:
 * @suite: ciphers and authentications
 *
 * One master key serves SRTP and SRTCP, so it is as long as the longer of
 * the two ciphers needs, as in srtpenc.
 *
 * Returns: the master key plus salt length @suite needs, in bytes.
 */
guint
acs_srtp_suite_key_len (const AcsSrtpSuite * suite)
{
  return MAX (acs_srtp_cipher_key_len (suite->rtp_cipher),
      acs_srtp_cipher_key_len (suite->rtcp_cipher));
}

/**
 * acs_srtp_suite_has_crypto:
 * @suite: ciphers and authentications
 *
 * Returns: %FALSE when @suite neither encrypts nor authenticates anything,
 *   so that no key is needed.
 */
gboolean
acs_srtp_suite_has_crypto (const AcsSrtpSuite * suite)
{
  return suite->rtp_cipher != ACS_SRTP_CIPHER_NULL
      || suite->rtcp_cipher != ACS_SRTP_CIPHER_NULL
      || suite->rtp_auth != ACS_SRTP_AUTH_NULL
      || suite->rtcp_auth != ACS_SRTP_AUTH_NULL;
}

/**
 * acs_srtp_cipher_to_nick:
 * @cipher: an #AcsSrtpCipher
 *
 * Returns: (transfer none): the caps string of @cipher (`srtp-cipher` field),
 *   as srtpenc writes it: `aes-128-gcm`, `null`, ...
 */
const gchar *
acs_srtp_cipher_to_nick (AcsSrtpCipher cipher)
{
  g_return_val_if_fail ((guint) cipher < G_N_ELEMENTS (cipher_nicks), NULL);
  return cipher_nicks[cipher];
}

/**
 * acs_srtp_cipher_from_nick:
 * @nick: a caps string as in the `srtp-cipher` field
 * @cipher: (out): the cipher
 *
 * Returns: %TRUE if @nick names a cipher.
 */
gboolean
acs_srtp_cipher_from_nick (const gchar * nick, AcsSrtpCipher * cipher)
{
  guint i;

  for (i = 0; nick && i < G_N_ELEMENTS (cipher_nicks); i++) {
    if (strcmp (cipher_nicks[i], nick) == 0) {
      *cipher = (AcsSrtpCipher) i;
      return TRUE;
    }
  }
  return FALSE;
}

/**
 * acs_srtp_auth_to_nick:
 * @auth: an #AcsSrtpAuth
 *
 * Returns: (transfer none): the caps string of @auth (`srtp-auth` field).
 */
const gchar *
acs_srtp_auth_to_nick (AcsSrtpAuth auth)
{
  g_return_val_if_fail ((guint) auth < G_N_ELEMENTS (auth_nicks), NULL);
  return auth_nicks[auth];
}

/**
 * acs_srtp_auth_from_nick:
 * @nick: a caps string as in the `srtp-auth` field
 * @auth: (out): the authentication
 *
 * Returns: %TRUE if @nick names an authentication.
 */
gboolean
acs_srtp_auth_from_nick (const gchar * nick, AcsSrtpAuth * auth)
{
  guint i;

  for (i = 0; nick && i < G_N_ELEMENTS (auth_nicks); i++) {
    if (strcmp (auth_nicks[i], nick) == 0) {
      *auth = (AcsSrtpAuth) i;
      return TRUE;
    }
  }
  return FALSE;
}

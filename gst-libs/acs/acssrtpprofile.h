/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: SRTP protection profiles (RFC 4568 crypto-suite names) */

#ifndef __ACS_SRTP_PROFILE_H__
#define __ACS_SRTP_PROFILE_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * AcsSrtpCipher:
 * @ACS_SRTP_CIPHER_NULL: no encryption
 * @ACS_SRTP_CIPHER_AES_128_ICM: AES-128 counter mode (RFC 3711)
 * @ACS_SRTP_CIPHER_AES_256_ICM: AES-256 counter mode (RFC 6188)
 * @ACS_SRTP_CIPHER_AES_128_GCM: AES-128 GCM AEAD (RFC 7714)
 * @ACS_SRTP_CIPHER_AES_256_GCM: AES-256 GCM AEAD (RFC 7714)
 *
 * The values and order are those of gst-plugins-bad's GstSrtpCipherType,
 * so that numeric values mean the same in both element sets.
 */
typedef enum
{
  ACS_SRTP_CIPHER_NULL,
  ACS_SRTP_CIPHER_AES_128_ICM,
  ACS_SRTP_CIPHER_AES_256_ICM,
  ACS_SRTP_CIPHER_AES_128_GCM,
  ACS_SRTP_CIPHER_AES_256_GCM,
} AcsSrtpCipher;

/**
 * AcsSrtpAuth:
 * @ACS_SRTP_AUTH_NULL: no separate authentication (the GCM ciphers
 *   authenticate by themselves with a 16-byte tag)
 * @ACS_SRTP_AUTH_HMAC_SHA1_32: HMAC-SHA1 truncated to 32 bits
 * @ACS_SRTP_AUTH_HMAC_SHA1_80: HMAC-SHA1 truncated to 80 bits
 *
 * The values and order are those of gst-plugins-bad's GstSrtpAuthType.
 */
typedef enum
{
  ACS_SRTP_AUTH_NULL,
  ACS_SRTP_AUTH_HMAC_SHA1_32,
  ACS_SRTP_AUTH_HMAC_SHA1_80,
} AcsSrtpAuth;

/**
 * AcsSrtpProfile:
 * @ACS_SRTP_PROFILE_CUSTOM: the ciphers and authentications were set one by
 *   one and match no RFC 4568 / RFC 7714 suite
 * @ACS_SRTP_PROFILE_AEAD_AES_128_GCM: AEAD_AES_128_GCM (RFC 7714)
 * @ACS_SRTP_PROFILE_AEAD_AES_256_GCM: AEAD_AES_256_GCM (RFC 7714)
 * @ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_80: AES_CM_128_HMAC_SHA1_80 (RFC 4568)
 * @ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_32: AES_CM_128_HMAC_SHA1_32 (RFC 4568);
 *   SRTCP keeps an 80-bit tag, as RFC 4568 section 6.2.2 says
 */
typedef enum
{
  ACS_SRTP_PROFILE_CUSTOM,
  ACS_SRTP_PROFILE_AEAD_AES_128_GCM,
  ACS_SRTP_PROFILE_AEAD_AES_256_GCM,
  ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_80,
  ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_32,
} AcsSrtpProfile;

/**
 * AcsSrtpSuite:
 * @rtp_cipher: cipher of SRTP packets
 * @rtp_auth: authentication of SRTP packets
 * @rtcp_cipher: cipher of SRTCP packets
 * @rtcp_auth: authentication of SRTCP packets
 *
 * The four settings srtpenc exposes one by one.
 */
typedef struct
{
  AcsSrtpCipher rtp_cipher;
  AcsSrtpAuth rtp_auth;
  AcsSrtpCipher rtcp_cipher;
  AcsSrtpAuth rtcp_auth;
} AcsSrtpSuite;

const gchar *acs_srtp_profile_to_name (AcsSrtpProfile profile);
AcsSrtpProfile acs_srtp_profile_from_name (const gchar * name);
void acs_srtp_profile_get_suite (AcsSrtpProfile profile,
    AcsSrtpSuite * suite);
AcsSrtpProfile acs_srtp_profile_from_suite (const AcsSrtpSuite * suite);

guint acs_srtp_cipher_key_len (AcsSrtpCipher cipher);
guint acs_srtp_suite_key_len (const AcsSrtpSuite * suite);
gboolean acs_srtp_suite_has_crypto (const AcsSrtpSuite * suite);

const gchar *acs_srtp_cipher_to_nick (AcsSrtpCipher cipher);
gboolean acs_srtp_cipher_from_nick (const gchar * nick,
    AcsSrtpCipher * cipher);
const gchar *acs_srtp_auth_to_nick (AcsSrtpAuth auth);
gboolean acs_srtp_auth_from_nick (const gchar * nick, AcsSrtpAuth * auth);

G_END_DECLS

#endif /* __ACS_SRTP_PROFILE_H__ */

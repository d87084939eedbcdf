/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: TURN REST credentials (coturn use-auth-secret)
 *
 * coturn's shared-secret scheme (draft-uberti-behave-turn-rest): the user
 * name is `<expiry>:<user>`, the password base64(HMAC-SHA1(secret, user
 * name)); coturn recomputes it from its `static-auth-secret` and refuses
 * user names whose expiry is past. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acsturncreds.h"

/**
 * acs_turn_creds_compute:
 * @secret: (array length=secret_len): coturn's `static-auth-secret`
 * @secret_len: length of @secret
 * @user: the user identity
 * @expiry: when the credentials expire, Unix seconds
 * @username: (out) (transfer full): the TURN user name
 * @credential: (out) (transfer full): the TURN password (a secret)
 *
 * Computes the credentials of @user valid until @expiry.
 */
void
acs_turn_creds_compute (const guint8 * secret, gsize secret_len,
    const gchar * user, gint64 expiry, gchar ** username, gchar ** credential)
{
  GHmac *hmac;
  guint8 digest[20];
  gsize digest_len = sizeof (digest);
  gchar *name;

  g_return_if_fail (secret != NULL);
  g_return_if_fail (user != NULL);
  g_return_if_fail (username != NULL && credential != NULL);

  name = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expiry, user);
  hmac = g_hmac_new (G_CHECKSUM_SHA1, secret, secret_len);
  g_hmac_update (hmac, (const guchar *) name, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);
  g_hmac_unref (hmac);

  *username = name;
  *credential = g_base64_encode (digest, digest_len);
}

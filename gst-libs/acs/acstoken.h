/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: signed access tokens (JWT, HS256) */

#ifndef __ACS_TOKEN_H__
#define __ACS_TOKEN_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * ACS_TOKEN_ERROR:
 *
 * The #GQuark of the errors acs_token_verify() returns.
 */
#define ACS_TOKEN_ERROR (acs_token_error_quark ())

/**
 * AcsTokenError:
 * @ACS_TOKEN_ERROR_MALFORMED: not a compact JWT, bad base64url or JSON
 * @ACS_TOKEN_ERROR_UNSUPPORTED_ALG: the header names another algorithm than HS256
 * @ACS_TOKEN_ERROR_BAD_SIGNATURE: the signature does not match the secret
 * @ACS_TOKEN_ERROR_INVALID_CLAIMS: a claim is missing, of the wrong type or value
 * @ACS_TOKEN_ERROR_EXPIRED: the `exp` claim is in the past
 *
 * Error codes of the #ACS_TOKEN_ERROR domain.
 */
typedef enum
{
  ACS_TOKEN_ERROR_MALFORMED,
  ACS_TOKEN_ERROR_UNSUPPORTED_ALG,
  ACS_TOKEN_ERROR_BAD_SIGNATURE,
  ACS_TOKEN_ERROR_INVALID_CLAIMS,
  ACS_TOKEN_ERROR_EXPIRED,
} AcsTokenError;

/**
 * ACS_TOKEN_MAX_LENGTH:
 *
 * Longest token acs_token_verify() looks at, in bytes.
 */
#define ACS_TOKEN_MAX_LENGTH 4096

/**
 * AcsTokenClaims:
 * @sub: the user identity
 * @scope: (array zero-terminated=1): the scopes (`call`, `admin`)
 * @iat: issued at, Unix seconds
 * @exp: expiry, Unix seconds
 *
 * The claims of a verified token.
 */
typedef struct
{
  gchar *sub;
  gchar **scope;
  gint64 iat;
  gint64 exp;
} AcsTokenClaims;

GQuark acs_token_error_quark (void);

gchar *acs_token_sign (const guint8 * secret, gsize secret_len,
    const gchar * sub, const gchar * const *scope, gint64 iat, gint64 exp);

AcsTokenClaims *acs_token_verify (const guint8 * secret, gsize secret_len,
    const gchar * token, gint64 now, GError ** error);

gboolean acs_token_claims_has_scope (const AcsTokenClaims * claims,
    const gchar * scope);

void acs_token_claims_free (AcsTokenClaims * claims);

gboolean acs_token_user_is_valid (const gchar * user);

gchar *acs_base64url_encode (const guint8 * data, gsize len);

guint8 *acs_base64url_decode (const gchar * str, gsize len, gsize * out_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AcsTokenClaims, acs_token_claims_free);

G_END_DECLS

#endif /* __ACS_TOKEN_H__ */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: signed access tokens (JWT, HS256)
 *
 * Compact JWTs (RFC 7519) signed with HMAC-SHA256 (RFC 7518 section 3.2):
 * the HMAC comes from GLib's GHmac, JSON from json-glib, base64 from GLib
 * with the URL-safe alphabet (RFC 4648 section 5) and no padding. Tokens
 * and secrets never appear in error messages. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acstoken.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define ACS_TOKEN_MAC_LEN 32
#define ACS_TOKEN_USER_MAX 64

G_DEFINE_QUARK (acs - token - error - quark, acs_token_error);

/**
 * acs_base64url_encode:
 * @data: (array length=len): bytes to encode
 * @len: length of @data
 *
 * Returns: (transfer full): @data in base64url (RFC 4648 section 5),
 *   without padding.
 */
gchar *
acs_base64url_encode (const guint8 * data, gsize len)
{
  gchar *out = g_base64_encode (data, len);
  gchar *p;
  gsize n;

  for (p = out; *p != '\0'; p++) {
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
  }
  n = strlen (out);
  while (n > 0 && out[n - 1] == '=')
    out[--n] = '\0';
  return out;
}

/**
 * acs_base64url_decode:
 * @str: (array length=len): base64url text without padding
 * @len: length of @str
 * @out_len: (out): length of the result
 *
 * Decodes canonical base64url only: any character outside the alphabet,
 * padding, an impossible length or non-zero unused bits make it fail, so
 * that one value has exactly one encoding.
 *
 * Returns: (transfer full) (nullable): the bytes, or %NULL.
 */
guint8 *
acs_base64url_decode (const gchar * str, gsize len, gsize * out_len)
{
  g_autofree gchar *tmp = NULL;
  g_autofree gchar *again = NULL;
  guint8 *out;
  gsize i;

  g_return_val_if_fail (out_len != NULL, NULL);

  *out_len = 0;
  if (len % 4 == 1)
    return NULL;
  tmp = g_malloc (len + 3);
  for (i = 0; i < len; i++) {
    gchar c = str[i];

    if (g_ascii_isalnum (c))
      tmp[i] = c;
    else if (c == '-')
      tmp[i] = '+';
    else if (c == '_')
      tmp[i] = '/';
    else
      return NULL;
  }
  while (i % 4 != 0)
    tmp[i++] = '=';
  tmp[i] = '\0';

  if (len == 0)
    out = g_malloc0 (1);
  else
    out = g_base64_decode (tmp, out_len);

  again = acs_base64url_encode (out, *out_len);
  if (strlen (again) != len || memcmp (again, str, len) != 0) {
    g_free (out);
    *out_len = 0;
    return NULL;
  }
  return out;
}

/**
 * acs_token_user_is_valid:
 * @user: a user identity
 *
 * Returns: whether @user is 1-64 characters of `[A-Za-z0-9._@+-]`.
 */
gboolean
acs_token_user_is_valid (const gchar * user)
{
  gsize i;

  if (user == NULL || user[0] == '\0')
    return FALSE;
  for (i = 0; user[i] != '\0'; i++) {
    if (i >= ACS_TOKEN_USER_MAX)
      return FALSE;
    if (!g_ascii_isalnum (user[i]) && strchr ("._@+-", user[i]) == NULL)
      return FALSE;
  }
  return TRUE;
}

static void
compute_mac (const guint8 * secret, gsize secret_len, const gchar * data,
    gsize len, guint8 mac[ACS_TOKEN_MAC_LEN])
{
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, secret, secret_len);
  gsize mac_len = ACS_TOKEN_MAC_LEN;

  g_hmac_update (hmac, (const guchar *) data, len);
  g_hmac_get_digest (hmac, mac, &mac_len);
  g_hmac_unref (hmac);
}

static gchar *
encode_json (JsonBuilder * builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autofree gchar *text = json_to_string (root, FALSE);

  return acs_base64url_encode ((const guint8 *) text, strlen (text));
}

/**
 * acs_token_sign:
 * @secret: (array length=secret_len): the HMAC key
 * @secret_len: length of @secret
 * @sub: the user identity
 * @scope: (array zero-terminated=1): the scopes
 * @iat: issued at, Unix seconds
 * @exp: expiry, Unix seconds
 *
 * Returns: (transfer full): the token in compact form.
 */
gchar *
acs_token_sign (const guint8 * secret, gsize secret_len, const gchar * sub,
    const gchar * const *scope, gint64 iat, gint64 exp)
{
  g_autoptr (JsonBuilder) header = json_builder_new ();
  g_autoptr (JsonBuilder) claims = json_builder_new ();
  g_autofree gchar *h = NULL, *c = NULL, *signing_input = NULL, *sig = NULL;
  guint8 mac[ACS_TOKEN_MAC_LEN];

  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (sub != NULL, NULL);

  json_builder_begin_object (header);
  json_builder_set_member_name (header, "alg");
  json_builder_add_string_value (header, "HS256");
  json_builder_set_member_name (header, "typ");
  json_builder_add_string_value (header, "JWT");
  json_builder_end_object (header);

  json_builder_begin_object (claims);
  json_builder_set_member_name (claims, "sub");
  json_builder_add_string_value (claims, sub);
  json_builder_set_member_name (claims, "scope");
  json_builder_begin_array (claims);
  for (; scope != NULL && *scope != NULL; scope++)
    json_builder_add_string_value (claims, *scope);
  json_builder_end_array (claims);
  json_builder_set_member_name (claims, "iat");
  json_builder_add_int_value (claims, iat);
  json_builder_set_member_name (claims, "exp");
  json_builder_add_int_value (claims, exp);
  json_builder_end_object (claims);

  h = encode_json (header);
  c = encode_json (claims);
  signing_input = g_strconcat (h, ".", c, NULL);
  compute_mac (secret, secret_len, signing_input, strlen (signing_input), mac);
  sig = acs_base64url_encode (mac, sizeof (mac));
  return g_strconcat (signing_input, ".", sig, NULL);
}

static JsonObject *
decode_json_part (const gchar * part, gsize len, JsonParser * parser)
{
  g_autofree guint8 *raw = NULL;
  gsize raw_len;
  JsonNode *root;

  raw = acs_base64url_decode (part, len, &raw_len);
  if (raw == NULL || raw_len == 0)
    return NULL;
  if (!g_utf8_validate ((const gchar *) raw, raw_len, NULL))
    return NULL;
  if (!json_parser_load_from_data (parser, (const gchar *) raw, raw_len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_node_get_object (root);
}

static gboolean
get_int_member (JsonObject * obj, const gchar * name, gint64 * value)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static const gchar *
get_string_member (JsonObject * obj, const gchar * name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/**
 * acs_token_verify:
 * @secret: (array length=secret_len): the HMAC key
 * @secret_len: length of @secret
 * @token: the token in compact form
 * @now: the current time, Unix seconds
 * @error: (nullable): return location for an #ACS_TOKEN_ERROR
 *
 * Checks the header (`alg` must be `HS256`), the signature (compared in
 * constant time), then the claims: `sub` a valid user identity, `scope`
 * an array of strings, `iat` and `exp` integers, `exp` after @now.
 *
 * Returns: (transfer full) (nullable): the claims, or %NULL with @error set.
 */
AcsTokenClaims *
acs_token_verify (const guint8 * secret, gsize secret_len,
    const gchar * token, gint64 now, GError ** error)
{
  g_autoptr (JsonParser) header_parser = json_parser_new ();
  g_autoptr (JsonParser) claims_parser = json_parser_new ();
  g_autoptr (AcsTokenClaims) claims = NULL;
  g_autofree guint8 *sig = NULL;
  guint8 mac[ACS_TOKEN_MAC_LEN];
  const gchar *dot1, *dot2, *alg, *typ, *sub;
  JsonObject *header, *payload;
  JsonNode *scope_node;
  JsonArray *scope;
  gsize len, sig_len, i;
  guint8 diff = 0;

  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (token != NULL, NULL);

  len = strlen (token);
  dot1 = strchr (token, '.');
  dot2 = dot1 ? strchr (dot1 + 1, '.') : NULL;
  if (len > ACS_TOKEN_MAX_LENGTH || dot1 == NULL || dot2 == NULL
      || strchr (dot2 + 1, '.') != NULL) {
    g_set_error_literal (error, ACS_TOKEN_ERROR, ACS_TOKEN_ERROR_MALFORMED,
        "token is not a compact JWT");
    return NULL;
  }

  header = decode_json_part (token, dot1 - token, header_parser);
  if (header == NULL) {
    g_set_error_literal (error, ACS_TOKEN_ERROR, ACS_TOKEN_ERROR_MALFORMED,
        "token header is not base64url JSON");
    return NULL;
  }
  alg = get_string_member (header, "alg");
  typ = get_string_member (header, "typ");
  if (alg == NULL || strcmp (alg, "HS256") != 0) {
    g_set_error_literal (error, ACS_TOKEN_ERROR,
        ACS_TOKEN_ERROR_UNSUPPORTED_ALG, "token algorithm is not HS256");
    return NULL;
  }
  if (json_object_has_member (header, "typ")
      && (typ == NULL || strcmp (typ, "JWT") != 0)) {
    g_set_error_literal (error, ACS_TOKEN_ERROR, ACS_TOKEN_ERROR_MALFORMED,
        "token type is not JWT");
    return NULL;
  }

  sig = acs_base64url_decode (dot2 + 1, len - (dot2 + 1 - token), &sig_len);
  if (sig == NULL || sig_len != ACS_TOKEN_MAC_LEN) {
    g_set_error_literal (error, ACS_TOKEN_ERROR,
        ACS_TOKEN_ERROR_BAD_SIGNATURE, "token signature is malformed");
    return NULL;
  }
  compute_mac (secret, secret_len, token, dot2 - token, mac);
  /* Constant time: the time taken says nothing about where they differ */
  for (i = 0; i < ACS_TOKEN_MAC_LEN; i++)
    diff |= mac[i] ^ sig[i];
  if (diff != 0) {
    g_set_error_literal (error, ACS_TOKEN_ERROR,
        ACS_TOKEN_ERROR_BAD_SIGNATURE, "token signature does not match");
    return NULL;
  }

  payload = decode_json_part (dot1 + 1, dot2 - dot1 - 1, claims_parser);
  if (payload == NULL) {
    g_set_error_literal (error, ACS_TOKEN_ERROR, ACS_TOKEN_ERROR_MALFORMED,
        "token claims are not base64url JSON");
    return NULL;
  }

  claims = g_new0 (AcsTokenClaims, 1);
  sub = get_string_member (payload, "sub");
  if (!acs_token_user_is_valid (sub)) {
    g_set_error_literal (error, ACS_TOKEN_ERROR,
        ACS_TOKEN_ERROR_INVALID_CLAIMS, "token claim 'sub' is invalid");
    return NULL;
  }
  claims->sub = g_strdup (sub);
  if (!get_int_member (payload, "iat", &claims->iat)
      || !get_int_member (payload, "exp", &claims->exp)) {
    g_set_error_literal (error, ACS_TOKEN_ERROR,
        ACS_TOKEN_ERROR_INVALID_CLAIMS,
        "token claims 'iat' and 'exp' must be integers");
    return NULL;
  }
  scope_node = json_object_get_member (payload, "scope");
  if (scope_node == NULL || !JSON_NODE_HOLDS_ARRAY (scope_node)) {
    g_set_error_literal (error, ACS_TOKEN_ERROR,
        ACS_TOKEN_ERROR_INVALID_CLAIMS, "token claim 'scope' is not an array");
    return NULL;
  }
  scope = json_node_get_array (scope_node);
  claims->scope = g_new0 (gchar *, json_array_get_length (scope) + 1);
  for (i = 0; i < json_array_get_length (scope); i++) {
    JsonNode *s = json_array_get_element (scope, i);

    if (!JSON_NODE_HOLDS_VALUE (s)
        || json_node_get_value_type (s) != G_TYPE_STRING) {
      g_set_error_literal (error, ACS_TOKEN_ERROR,
          ACS_TOKEN_ERROR_INVALID_CLAIMS,
          "token claim 'scope' holds a non-string");
      return NULL;
    }
    claims->scope[i] = g_strdup (json_node_get_string (s));
  }
  if (claims->exp <= now) {
    g_set_error_literal (error, ACS_TOKEN_ERROR, ACS_TOKEN_ERROR_EXPIRED,
        "token has expired");
    return NULL;
  }
  return g_steal_pointer (&claims);
}

/**
 * acs_token_claims_has_scope:
 * @claims: verified claims
 * @scope: a scope name
 *
 * Returns: whether @claims grant @scope.
 */
gboolean
acs_token_claims_has_scope (const AcsTokenClaims * claims, const gchar * scope)
{
  g_return_val_if_fail (claims != NULL, FALSE);

  return claims->scope != NULL
      && g_strv_contains ((const gchar * const *) claims->scope, scope);
}

/**
 * acs_token_claims_free:
 * @claims: (transfer full) (nullable): claims
 *
 * Frees @claims.
 */
void
acs_token_claims_free (AcsTokenClaims * claims)
{
  if (claims == NULL)
    return;
  g_free (claims->sub);
  g_strfreev (claims->scope);
  g_free (claims);
}

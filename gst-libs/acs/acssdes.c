/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: SDES key parameters (RFC 4568 `inline:` strings)
 *
 * The key material handled here is secret: nothing in this file logs it,
 * and error messages quote lengths and positions, never the string. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acssdes.h"
#include "acserror.h"

#include <string.h>
#include <stdlib.h>

#define INLINE_PREFIX "inline:"
/* Longest key||salt we accept: AES-256 with a 14-byte salt */
#define MAX_KEY_SALT_LEN 46

static gboolean
is_base64_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

static gboolean
parse_lifetime (const gchar * s, guint64 * lifetime, GError ** error)
{
  guint64 v;
  gchar *end = NULL;

  if (g_str_has_prefix (s, "2^")) {
    v = g_ascii_strtoull (s + 2, &end, 10);
    if (end == s + 2 || *end != '\0' || v > 48)
      goto bad;
    *lifetime = G_GUINT64_CONSTANT (1) << v;
    return TRUE;
  }

  v = g_ascii_strtoull (s, &end, 10);
  if (end == s || *end != '\0' || v == 0)
    goto bad;
  *lifetime = v;
  return TRUE;

bad:
  g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
      "SDES key lifetime is neither a decimal number nor 2^n (n <= 48)");
  return FALSE;
}

/**
 * acs_sdes_parse_inline:
 * @str: the key parameter of an SDP `a=crypto` line (RFC 4568 section 9.2):
 *   `inline:<base64 key||salt>[|<lifetime>][|<mki>:<length>]`; the
 *   `inline:` prefix may be left out
 * @key: (out) (transfer full) (array length=key_len): the master key
 *   followed by the master salt; free it with acs_secret_free()
 * @key_len: (out): length of @key in bytes
 * @lifetime: (out) (optional): the key lifetime in packets, or 0 when
 *   the string gives none
 * @error: (nullable): return location for an #ACS_ERROR
 *
 * Decodes the SDES inline key. The base64 text must be well formed (RFC
 * 4648 alphabet, padded to a multiple of four characters); g_base64_decode()
 * alone would skip invalid characters silently. Master key identifiers
 * (MKI) are refused with %ACS_ERROR_UNSUPPORTED: the SRTP elements send and
 * expect packets without one.
 *
 * Returns: %TRUE on success.
 */
gboolean
acs_sdes_parse_inline (const gchar * str, guint8 ** key, gsize * key_len,
    guint64 * lifetime, GError ** error)
{
  g_auto (GStrv) parts = NULL;
  const gchar *b64;
  gsize b64_len, i, pad = 0;
  guint64 life = 0;
  guint n_parts;

  g_return_val_if_fail (str != NULL, FALSE);
  g_return_val_if_fail (key != NULL && key_len != NULL, FALSE);

  if (g_str_has_prefix (str, INLINE_PREFIX))
    str += strlen (INLINE_PREFIX);

  parts = g_strsplit (str, "|", 4);
  n_parts = g_strv_length (parts);
  if (n_parts == 0 || n_parts > 3) {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "SDES inline key has %u '|'-separated fields, expected 1 to 3",
        n_parts);
    return FALSE;
  }

  b64 = parts[0];
  b64_len = strlen (b64);
  if (b64_len == 0 || b64_len % 4 != 0) {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "SDES inline key is %" G_GSIZE_FORMAT " base64 characters long, "
        "not a non-zero multiple of 4", b64_len);
    return FALSE;
  }
  for (i = 0; i < b64_len; i++) {
    if (b64[i] == '=' && i >= b64_len - 2) {
      pad++;
      continue;
    }
    if (pad > 0 || !is_base64_char (b64[i])) {
      g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
          "SDES inline key has an invalid base64 character at offset %"
          G_GSIZE_FORMAT, i);
      return FALSE;
    }
  }
  if ((b64_len / 4) * 3 - pad > MAX_KEY_SALT_LEN) {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "SDES inline key decodes to %" G_GSIZE_FORMAT " bytes, more than "
        "the %d of the longest SRTP key and salt", (b64_len / 4) * 3 - pad,
        MAX_KEY_SALT_LEN);
    return FALSE;
  }

  for (i = 1; i < n_parts; i++) {
    if (strchr (parts[i], ':') != NULL) {
      g_set_error (error, ACS_ERROR, ACS_ERROR_UNSUPPORTED,
          "SDES inline key carries a master key identifier (MKI), which is "
          "not supported");
      return FALSE;
    }
    if (i == 2 || life != 0) {
      g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
          "SDES inline key has more than one lifetime field");
      return FALSE;
    }
    if (!parse_lifetime (parts[i], &life, error))
      return FALSE;
  }

  *key = g_base64_decode (b64, key_len);
  if (lifetime)
    *lifetime = life;
  /* The decoded copy is the only one we keep: wipe the split strings */
  explicit_bzero (parts[0], b64_len);
  return TRUE;
}

/**
 * acs_sdes_format_inline:
 * @key: (array length=key_len): the master key followed by the master salt
 * @key_len: length of @key in bytes
 *
 * Returns: (transfer full): `inline:<base64>`, the key parameter of an SDP
 *   `a=crypto` line; free it with acs_secret_free() (it holds the key).
 */
gchar *
acs_sdes_format_inline (const guint8 * key, gsize key_len)
{
  gchar *b64, *ret;

  g_return_val_if_fail (key != NULL && key_len > 0, NULL);

  b64 = g_base64_encode (key, key_len);
  ret = g_strconcat (INLINE_PREFIX, b64, NULL);
  acs_secret_free (b64, strlen (b64));
  return ret;
}

/**
 * acs_secret_free:
 * @data: (nullable) (transfer full): memory from g_malloc() holding a secret
 * @len: how many bytes of @data to wipe before freeing it
 *
 * Wipes and frees key material, so that it does not linger in freed heap.
 */
void
acs_secret_free (gpointer data, gsize len)
{
  if (data == NULL)
    return;
  explicit_bzero (data, len);
  g_free (data);
}

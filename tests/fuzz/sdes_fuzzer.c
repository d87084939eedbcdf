/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: libFuzzer target for the parsers of gst-libs/acs
 *
 * The input, cut at its first NUL, is an SDES `inline:` key parameter for
 * acs_sdes_parse_inline() and a name for the profile, cipher and auth
 * lookups; the raw bytes are a packet for acs_rtp_classify(). A key that
 * parses must come back unchanged from acs_sdes_format_inline(). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <acs/acsrtp.h>
#include <acs/acssdes.h>
#include <acs/acssrtpprofile.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

#define READ_UINT32_BE(p) \
  (((guint32) (p)[0] << 24) | ((guint32) (p)[1] << 16) | \
   ((guint32) (p)[2] << 8) | (guint32) (p)[3])

static void
fail (const gchar * what)
{
  fprintf (stderr, "sdes_fuzzer: %s\n", what);
  abort ();
}

static void
check_sdes (const gchar * str)
{
  GError *error = NULL;
  guint8 *key = NULL, *again = NULL;
  gsize key_len = 0, again_len = 0;
  guint64 lifetime = 0;
  gchar *formatted;

  if (!acs_sdes_parse_inline (str, &key, &key_len, &lifetime, &error)) {
    if (error == NULL || error->message == NULL || key != NULL)
      fail ("a refused key has no error, or an error and a key");
    g_clear_error (&error);
    return;
  }
  if (error != NULL)
    fail ("an accepted key has an error");
  /* Well-formed base64 decodes to at least one byte, at most 46 */
  if (key == NULL || key_len == 0 || key_len > 46)
    fail ("an accepted key has an impossible length");

  formatted = acs_sdes_format_inline (key, key_len);
  if (!acs_sdes_parse_inline (formatted, &again, &again_len, NULL, NULL))
    fail ("a formatted key does not parse");
  if (again_len != key_len || memcmp (again, key, key_len) != 0)
    fail ("a key does not survive formatting and parsing");

  acs_secret_free (again, again_len);
  acs_secret_free (formatted, strlen (formatted));
  acs_secret_free (key, key_len);
}

static void
check_names (const gchar * str)
{
  AcsSrtpProfile profile = acs_srtp_profile_from_name (str);
  AcsSrtpCipher cipher;
  AcsSrtpAuth auth;
  AcsSrtpSuite suite;

  if (profile != ACS_SRTP_PROFILE_CUSTOM) {
    if (g_strcmp0 (acs_srtp_profile_to_name (profile), str) != 0)
      fail ("a profile name does not round-trip");
    acs_srtp_profile_get_suite (profile, &suite);
    if (acs_srtp_profile_from_suite (&suite) != profile)
      fail ("a profile suite does not round-trip");
  }
  if (acs_srtp_cipher_from_nick (str, &cipher)
      && g_strcmp0 (acs_srtp_cipher_to_nick (cipher), str) != 0)
    fail ("a cipher nick does not round-trip");
  if (acs_srtp_auth_from_nick (str, &auth)
      && g_strcmp0 (acs_srtp_auth_to_nick (auth), str) != 0)
    fail ("an auth nick does not round-trip");
}

static void
check_classify (const guint8 * data, gsize size)
{
  guint32 ssrc = 0;
  AcsPacketKind kind = acs_rtp_classify (data, size, &ssrc);

  switch (kind) {
    case ACS_PACKET_RTP:
      if (size < 12 || ssrc != READ_UINT32_BE (data + 8))
        fail ("an RTP packet is too short or has the wrong SSRC");
      break;
    case ACS_PACKET_RTCP:
      if (size < 8 || ssrc != READ_UINT32_BE (data + 4))
        fail ("an RTCP packet is too short or has the wrong SSRC");
      break;
    case ACS_PACKET_TOO_SHORT:
    case ACS_PACKET_MALFORMED:
      break;
    default:
      fail ("an unknown packet kind");
  }
  /* Without the optional out argument, the same answer */
  if (acs_rtp_classify (data, size, NULL) != kind)
    fail ("the kind depends on the ssrc argument");
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  /* An exact-size copy, so that ASan sees any read past the packet */
  guint8 *packet = g_memdup2 (data, size);
  gchar *str = g_strndup ((const gchar *) data, size);

  check_sdes (str);
  check_names (str);
  check_classify (packet, size);

  g_free (str);
  g_free (packet);
  return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: libFuzzer target for acscallbin's session descriptions
 *
 * The input, cut at its first NUL, is a remote offer or answer for
 * acs_call_sdp_parse() (gst/callbin/gstacscallsdp.c), which is what a peer
 * controls in a one-to-one call. The target checks the parser's contract
 * (a refused description has an error and leaves nothing allocated, an
 * accepted one has credentials, a supported suite and an `inline:` key),
 * that the key parameter goes through acs_sdes_parse_inline() without harm
 * (acscallbin hands it to acssrtpdec, which calls it), and that a
 * description rebuilt by acs_call_sdp_build() from what was accepted parses
 * back to the same values. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <acs/acssdes.h>

#include "gstacscallsdp.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static void
fail (const gchar * what)
{
  fprintf (stderr, "sdp_fuzzer: %s\n", what);
  abort ();
}

/* ICE ufrag/pwd characters (RFC 8839 ice-char): only such credentials are
 * expected to survive a rebuild unchanged */
static gboolean
is_ice_chars (const gchar * s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++) {
    if (!g_ascii_isalnum (*s) && *s != '+' && *s != '/')
      return FALSE;
  }
  return TRUE;
}

static void
check_rebuild (const AcsCallSdpInfo * info)
{
  AcsCallSdpInfo again;
  GstSDPMessage *msg;
  gchar *text;

  if (!is_ice_chars (info->ufrag) || !is_ice_chars (info->pwd))
    return;
  msg = acs_call_sdp_build (info->ufrag, info->pwd, &info->crypto, 1);
  text = gst_sdp_message_as_text (msg);
  gst_sdp_message_free (msg);
  if (!acs_call_sdp_parse (text, &again, NULL))
    fail ("a rebuilt description does not parse");
  g_free (text);
  if (strcmp (again.ufrag, info->ufrag) != 0
      || strcmp (again.pwd, info->pwd) != 0
      || strcmp (again.crypto.key, info->crypto.key) != 0
      || again.crypto.tag != info->crypto.tag
      || again.crypto.profile != info->crypto.profile
      || !again.rtcp_mux || again.pt != ACS_CALL_SDP_PT)
    fail ("a rebuilt description parses to other values");
  acs_call_sdp_info_clear (&again);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static gboolean initialized = FALSE;
  AcsCallSdpInfo info;
  GError *error = NULL;
  gchar *text;

  if (!initialized) {
    gst_init (NULL, NULL);
    initialized = TRUE;
  }

  text = g_strndup ((const gchar *) data, size);
  memset (&info, 0x5a, sizeof (info));
  if (!acs_call_sdp_parse (text, &info, &error)) {
    if (error == NULL || error->message == NULL)
      fail ("a refused description has no error");
    if (info.ufrag != NULL || info.pwd != NULL || info.crypto.key != NULL)
      fail ("a refused description left fields set");
    g_clear_error (&error);
  } else {
    guint8 *key = NULL;
    gsize key_len = 0;

    if (error != NULL)
      fail ("an accepted description has an error");
    if (info.ufrag == NULL || info.pwd == NULL || info.crypto.key == NULL)
      fail ("an accepted description lacks credentials or a key");
    if (!g_str_has_prefix (info.crypto.key, "inline:"))
      fail ("an accepted key is not an inline: parameter");
    if (info.pt < -1 || info.pt > 127)
      fail ("an impossible payload type");
    if (acs_sdes_parse_inline (info.crypto.key, &key, &key_len, NULL, &error)) {
      if (key == NULL || key_len == 0)
        fail ("an accepted key is empty");
      g_free (key);
    } else {
      if (error == NULL)
        fail ("a refused key has no error");
      g_clear_error (&error);
    }
    check_rebuild (&info);
    acs_call_sdp_info_clear (&info);
  }
  g_free (text);
  return 0;
}

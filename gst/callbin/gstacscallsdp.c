/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: the session descriptions of a one-to-one call (docs/protocol.md
 * section 4): one audio m= line with Opus, a=rtcp-mux, ICE credentials,
 * SDES a=crypto keys and the RFC 6464 audio-level extension.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <acs/acserror.h>
#include <acs/acssdes.h>

#include "gstacscallsdp.h"

/**
 * acs_call_sdp_build:
 * @ufrag: local ICE username fragment
 * @pwd: local ICE password
 * @cryptos: (array length=n_cryptos): a=crypto lines, in preference order
 * @n_cryptos: number of @cryptos
 *
 * Builds an offer (several @cryptos) or an answer (one).
 *
 * Returns: (transfer full): the session description
 */
GstSDPMessage *
acs_call_sdp_build (const gchar * ufrag, const gchar * pwd,
    const AcsCallSdpCrypto * cryptos, guint n_cryptos)
{
  GstSDPMessage *msg;
  GstSDPMedia *media;
  gchar *pt, *line;
  guint i;

  gst_sdp_message_new (&msg);
  gst_sdp_message_set_version (msg, "0");
  line = g_strdup_printf ("%" G_GUINT32_FORMAT, g_random_int ());
  gst_sdp_message_set_origin (msg, "-", line, "2", "IN", "IP4", "127.0.0.1");
  g_free (line);
  gst_sdp_message_set_session_name (msg, "-");
  gst_sdp_message_add_time (msg, "0", "0", NULL);

  gst_sdp_media_new (&media);
  gst_sdp_media_set_media (media, "audio");
  gst_sdp_media_set_port_info (media, 9, 1);
  gst_sdp_media_set_proto (media, "RTP/SAVP");
  pt = g_strdup_printf ("%d", ACS_CALL_SDP_PT);
  gst_sdp_media_add_format (media, pt);
  gst_sdp_media_add_connection (media, "IN", "IP4", "0.0.0.0", 0, 0);
  gst_sdp_media_add_attribute (media, "ice-ufrag", ufrag);
  gst_sdp_media_add_attribute (media, "ice-pwd", pwd);
  gst_sdp_media_add_attribute (media, "rtcp-mux", "");
  gst_sdp_media_add_attribute (media, "sendrecv", "");
  line = g_strdup_printf ("%s opus/48000/2", pt);
  gst_sdp_media_add_attribute (media, "rtpmap", line);
  g_free (line);
  line = g_strdup_printf ("%s minptime=10;useinbandfec=1;usedtx=1", pt);
  gst_sdp_media_add_attribute (media, "fmtp", line);
  g_free (line);
  line = g_strdup_printf ("%d %s vad=on", ACS_CALL_SDP_AUDIO_LEVEL_ID,
      ACS_CALL_SDP_AUDIO_LEVEL_URI);
  gst_sdp_media_add_attribute (media, "extmap", line);
  g_free (line);
  for (i = 0; i < n_cryptos; i++) {
    line = g_strdup_printf ("%u %s %s", cryptos[i].tag,
        acs_srtp_profile_to_name (cryptos[i].profile), cryptos[i].key);
    gst_sdp_media_add_attribute (media, "crypto", line);
    acs_secret_free (line, strlen (line));
  }
  g_free (pt);
  gst_sdp_message_add_media (msg, media);
  gst_sdp_media_free (media);
  return msg;
}

static gboolean
parse_crypto (const gchar * value, AcsCallSdpCrypto * crypto)
{
  gchar **parts = g_strsplit_set (value, " \t", 4);
  gchar *end = NULL;
  gboolean ok = FALSE;
  guint64 tag;

  if (g_strv_length (parts) < 3)
    goto done;
  tag = g_ascii_strtoull (parts[0], &end, 10);
  if (end == parts[0] || *end != '\0' || tag > 999999999)
    goto done;
  crypto->profile = acs_srtp_profile_from_name (parts[1]);
  if (crypto->profile == ACS_SRTP_PROFILE_CUSTOM
      || !g_str_has_prefix (parts[2], "inline:"))
    goto done;
  crypto->tag = tag;
  crypto->key = g_strdup (parts[2]);
  ok = TRUE;

done:
  for (guint i = 0; parts[i]; i++)
    acs_secret_free (parts[i], strlen (parts[i]));
  g_free (parts);
  return ok;
}

/**
 * acs_call_sdp_parse:
 * @text: an offer or an answer
 * @info: (out caller-allocates): what the call needs from it; clear with
 *   acs_call_sdp_info_clear()
 * @error: (nullable): where to put a parse error
 *
 * Returns: %TRUE when @text is an SDP with one audio m= line, ICE
 *   credentials and a supported a=crypto line
 */
gboolean
acs_call_sdp_parse (const gchar * text, AcsCallSdpInfo * info, GError ** error)
{
  GstSDPMessage *msg = NULL;
  const GstSDPMedia *media;
  const gchar *v;
  gboolean ok = FALSE;
  guint i;

  memset (info, 0, sizeof (*info));
  info->pt = -1;
  gst_sdp_message_new (&msg);
  if (text == NULL || gst_sdp_message_parse_buffer ((const guint8 *) text,
          strlen (text), msg) != GST_SDP_OK
      || gst_sdp_message_medias_len (msg) < 1) {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "not a session description with a media line");
    goto done;
  }
  media = gst_sdp_message_get_media (msg, 0);
  if (g_strcmp0 (gst_sdp_media_get_media (media), "audio") != 0) {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "the first media line is not audio");
    goto done;
  }

  v = gst_sdp_media_get_attribute_val (media, "ice-ufrag");
  if (v == NULL)
    v = gst_sdp_message_get_attribute_val (msg, "ice-ufrag");
  info->ufrag = g_strdup (v);
  v = gst_sdp_media_get_attribute_val (media, "ice-pwd");
  if (v == NULL)
    v = gst_sdp_message_get_attribute_val (msg, "ice-pwd");
  info->pwd = g_strdup (v);
  info->rtcp_mux = gst_sdp_media_get_attribute_val (media, "rtcp-mux") != NULL;

  for (i = 0; (v = gst_sdp_media_get_attribute_val_n (media, "rtpmap", i)); i++) {
    gchar *end = NULL;
    gint64 pt = g_ascii_strtoll (v, &end, 10);

    if (end != v && pt >= 0 && pt < 128
        && g_ascii_strncasecmp (g_strchug (end), "opus/48000", 10) == 0) {
      info->pt = pt;
      break;
    }
  }

  for (i = 0; (v = gst_sdp_media_get_attribute_val_n (media, "crypto", i)); i++) {
    if (parse_crypto (v, &info->crypto))
      break;
  }

  if (info->ufrag == NULL || info->pwd == NULL) {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "no ICE credentials (a=ice-ufrag, a=ice-pwd)");
  } else if (info->crypto.key == NULL) {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "no a=crypto line with a supported suite");
  } else {
    ok = TRUE;
  }

done:
  gst_sdp_message_free (msg);
  if (!ok)
    acs_call_sdp_info_clear (info);
  return ok;
}

/**
 * acs_call_sdp_info_clear:
 * @info: filled by acs_call_sdp_parse()
 *
 * Frees the fields of @info, wiping the secrets.
 */
void
acs_call_sdp_info_clear (AcsCallSdpInfo * info)
{
  g_clear_pointer (&info->ufrag, g_free);
  if (info->pwd)
    acs_secret_free (info->pwd, strlen (info->pwd));
  info->pwd = NULL;
  if (info->crypto.key)
    acs_secret_free (info->crypto.key, strlen (info->crypto.key));
  info->crypto.key = NULL;
}

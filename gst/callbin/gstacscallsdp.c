/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: the session descriptions of a one-to-one call (docs/protocol.md
 * section 4): one audio m= line with Opus, a=rtcp-mux, ICE credentials,
 * SDES a=crypto keys and the RFC 6464 audio-level extension; with video, a
 * VP8 m= line BUNDLEd with it (RFC 8843) on the same transport and keys.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <sys/random.h>

#include <acs/acserror.h>
#include <acs/acssdes.h>

#include "gstacscallsdp.h"

/**
 * acs_call_sdp_make_key:
 * @profile: the crypto suite
 *
 * A fresh random master key and salt (getrandom) for @profile.
 *
 * Returns: (transfer full) (nullable): the `inline:` key parameter (a
 *   secret: free it with acs_secret_free()), %NULL without randomness
 */
gchar *
acs_call_sdp_make_key (AcsSrtpProfile profile)
{
  AcsSrtpSuite suite;
  guint8 key[64];
  gsize len;
  gchar *ret;

  acs_srtp_profile_get_suite (profile, &suite);
  len = acs_srtp_suite_key_len (&suite);
  g_assert (len <= sizeof (key));
  if (getrandom (key, len, 0) != (gssize) len)
    return NULL;
  ret = acs_sdes_format_inline (key, len);
  explicit_bzero (key, sizeof (key));
  return ret;
}

static void
add_common (GstSDPMedia * media, const gchar * ufrag, const gchar * pwd,
    const gchar * mid)
{
  gst_sdp_media_set_port_info (media, 9, 1);
  gst_sdp_media_set_proto (media, "RTP/SAVP");
  gst_sdp_media_add_connection (media, "IN", "IP4", "0.0.0.0", 0, 0);
  gst_sdp_media_add_attribute (media, "ice-ufrag", ufrag);
  gst_sdp_media_add_attribute (media, "ice-pwd", pwd);
  if (mid)
    gst_sdp_media_add_attribute (media, "mid", mid);
  gst_sdp_media_add_attribute (media, "rtcp-mux", "");
}

static void
add_cryptos (GstSDPMedia * media, const AcsCallSdpCrypto * cryptos,
    guint n_cryptos)
{
  gchar *line;
  guint i;

  for (i = 0; i < n_cryptos; i++) {
    line = g_strdup_printf ("%u %s %s", cryptos[i].tag,
        acs_srtp_profile_to_name (cryptos[i].profile), cryptos[i].key);
    gst_sdp_media_add_attribute (media, "crypto", line);
    acs_secret_free (line, strlen (line));
  }
}

/* The VP8 m= line: rejected ones (port 0) keep the ICE credentials and the
 * keys, which acs-controller wants on every m= line */
static GstSDPMedia *
make_video (const gchar * ufrag, const gchar * pwd, const gchar * mid,
    gint pt, gboolean on, const AcsCallSdpCrypto * cryptos, guint n_cryptos)
{
  GstSDPMedia *media;
  gchar *fmt, *line;

  gst_sdp_media_new (&media);
  gst_sdp_media_set_media (media, "video");
  add_common (media, ufrag, pwd, mid);
  if (!on)
    gst_sdp_media_set_port_info (media, 0, 1);
  fmt = g_strdup_printf ("%d", pt);
  gst_sdp_media_add_format (media, fmt);
  gst_sdp_media_add_attribute (media, on ? "sendrecv" : "inactive", "");
  line = g_strdup_printf ("%s VP8/90000", fmt);
  gst_sdp_media_add_attribute (media, "rtpmap", line);
  g_free (line);
  line = g_strdup_printf ("%s nack pli", fmt);
  gst_sdp_media_add_attribute (media, "rtcp-fb", line);
  g_free (line);
  g_free (fmt);
  add_cryptos (media, cryptos, n_cryptos);
  return media;
}

/**
 * acs_call_sdp_build:
 * @ufrag: local ICE username fragment
 * @pwd: local ICE password
 * @cryptos: (array length=n_cryptos): a=crypto lines, in preference order
 * @n_cryptos: number of @cryptos
 *
 * Builds an audio-only offer (several @cryptos) or an answer to one (one):
 * acs_call_sdp_build_full() without an offer and without video.
 *
 * Returns: (transfer full): the session description
 */
GstSDPMessage *
acs_call_sdp_build (const gchar * ufrag, const gchar * pwd,
    const AcsCallSdpCrypto * cryptos, guint n_cryptos)
{
  return acs_call_sdp_build_full (ufrag, pwd, cryptos, n_cryptos, NULL, FALSE);
}

/**
 * acs_call_sdp_build_full:
 * @ufrag: local ICE username fragment
 * @pwd: local ICE password
 * @cryptos: (array length=n_cryptos): a=crypto lines, in preference order
 * @n_cryptos: number of @cryptos
 * @offer: (nullable): the parsed offer when building an answer
 * @video: whether the local side sends and receives video
 *
 * Without @offer, builds an offer: the audio m= line alone as it always
 * was, or with @video a VP8 m= line after it, both in one
 * `a=group:BUNDLE 0 1` with `a=mid:0` and `a=mid:1` and the same @cryptos.
 * With @offer, builds the answer to it: one m= line per offered one, the
 * offer's mids; the video line accepted when @video and the offer's video
 * is usable, else rejected (port 0); a BUNDLE group of the accepted lines
 * when the offer had one.
 *
 * Returns: (transfer full): the session description
 */
GstSDPMessage *
acs_call_sdp_build_full (const gchar * ufrag, const gchar * pwd,
    const AcsCallSdpCrypto * cryptos, guint n_cryptos,
    const AcsCallSdpInfo * offer, gboolean video)
{
  GstSDPMessage *msg;
  GstSDPMedia *media;
  gchar *pt, *line;
  const gchar *audio_mid = NULL, *video_mid = NULL;
  gboolean has_video = FALSE, video_on = FALSE;
  gint video_pt = ACS_CALL_SDP_VIDEO_PT;

  if (offer == NULL && video) {
    has_video = video_on = TRUE;
    audio_mid = "0";
    video_mid = "1";
  } else if (offer) {
    audio_mid = offer->audio_mid;
    has_video = offer->video != ACS_CALL_SDP_VIDEO_NONE;
    video_on = video && offer->video == ACS_CALL_SDP_VIDEO_ON;
    video_mid = offer->video_mid;
    if (offer->video_pt >= 0)
      video_pt = offer->video_pt;
  }

  gst_sdp_message_new (&msg);
  gst_sdp_message_set_version (msg, "0");
  line = g_strdup_printf ("%" G_GUINT32_FORMAT, g_random_int ());
  gst_sdp_message_set_origin (msg, "-", line, "2", "IN", "IP4", "127.0.0.1");
  g_free (line);
  gst_sdp_message_set_session_name (msg, "-");
  gst_sdp_message_add_time (msg, "0", "0", NULL);
  if (audio_mid) {
    line = g_strdup_printf ("BUNDLE %s%s%s", audio_mid,
        video_on && video_mid ? " " : "", video_on && video_mid ? video_mid :
        "");
    gst_sdp_message_add_attribute (msg, "group", line);
    g_free (line);
  }

  gst_sdp_media_new (&media);
  gst_sdp_media_set_media (media, "audio");
  pt = g_strdup_printf ("%d", ACS_CALL_SDP_PT);
  gst_sdp_media_add_format (media, pt);
  add_common (media, ufrag, pwd, audio_mid);
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
  add_cryptos (media, cryptos, n_cryptos);
  g_free (pt);
  gst_sdp_message_add_media (msg, media);
  gst_sdp_media_free (media);

  if (has_video) {
    media = make_video (ufrag, pwd, video_mid, video_pt, video_on, cryptos,
        n_cryptos);
    gst_sdp_message_add_media (msg, media);
    gst_sdp_media_free (media);
  }
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

static gint
find_pt (const GstSDPMedia * media, const gchar * encoding)
{
  const gchar *v;
  guint i;

  for (i = 0; (v = gst_sdp_media_get_attribute_val_n (media, "rtpmap", i)); i++) {
    gchar *end = NULL;
    gint64 pt = g_ascii_strtoll (v, &end, 10);

    if (end != v && pt >= 0 && pt < 128
        && g_ascii_strncasecmp (g_strchug (end), encoding,
            strlen (encoding)) == 0)
      return pt;
  }
  return -1;
}

/* Whether a=group:BUNDLE lists both mids */
static gboolean
bundled (const GstSDPMessage * msg, const gchar * mid1, const gchar * mid2)
{
  const gchar *v;
  guint i;

  if (mid1 == NULL || mid2 == NULL)
    return FALSE;
  for (i = 0; (v = gst_sdp_message_get_attribute_val_n (msg, "group", i)); i++) {
    gchar **tokens = g_strsplit_set (v, " \t", -1);
    gboolean ok = g_strcmp0 (tokens[0], "BUNDLE") == 0
        && g_strv_contains ((const gchar * const *) tokens + 1, mid1)
        && g_strv_contains ((const gchar * const *) tokens + 1, mid2);

    g_strfreev (tokens);
    if (ok)
      return TRUE;
  }
  return FALSE;
}

static void
parse_video (const GstSDPMessage * msg, AcsCallSdpInfo * info)
{
  const GstSDPMedia *media = NULL;
  guint i;

  for (i = 1; i < gst_sdp_message_medias_len (msg); i++) {
    media = gst_sdp_message_get_media (msg, i);
    if (g_strcmp0 (gst_sdp_media_get_media (media), "video") == 0)
      break;
    media = NULL;
  }
  if (media == NULL)
    return;
  info->video_mid = g_strdup (gst_sdp_media_get_attribute_val (media, "mid"));
  info->video_pt = find_pt (media, "VP8/90000");
  if (gst_sdp_media_get_port (media) != 0 && info->video_pt >= 0
      && bundled (msg, info->audio_mid, info->video_mid))
    info->video = ACS_CALL_SDP_VIDEO_ON;
  else
    info->video = ACS_CALL_SDP_VIDEO_REJECTED;
}

/**
 * acs_call_sdp_parse:
 * @text: an offer or an answer
 * @info: (out caller-allocates): what the call needs from it; clear with
 *   acs_call_sdp_info_clear()
 * @error: (nullable): where to put a parse error
 *
 * The first m= line must be audio; the first video m= line after it, if
 * any, fills @info's video fields. Its a=crypto lines are not read: with
 * BUNDLE one SRTP key per direction protects every stream, the audio
 * line's.
 *
 * Returns: %TRUE when @text is an SDP with an audio m= line first, ICE
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
  info->video_pt = -1;
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
  info->audio_mid = g_strdup (gst_sdp_media_get_attribute_val (media, "mid"));
  parse_video (msg, info);

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
  g_clear_pointer (&info->audio_mid, g_free);
  g_clear_pointer (&info->video_mid, g_free);
  if (info->pwd)
    acs_secret_free (info->pwd, strlen (info->pwd));
  info->pwd = NULL;
  if (info->crypto.key)
    acs_secret_free (info->crypto.key, strlen (info->crypto.key));
  info->crypto.key = NULL;
}

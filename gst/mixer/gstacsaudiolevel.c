/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: the RFC 6464 audio-level RTP header extension, shared by
 * acsaudiolevelgate and acssfu */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacsaudiolevel.h"

/**
 * gst_acs_audio_level_ext_id_from_caps:
 * @s: RTP caps structure
 *
 * Returns: the id of the `extmap-N` field naming the audio-level extension
 *   (as a plain URI string or as a `<direction, uri, attributes>` array,
 *   the forms webrtcbin and the RTP payloaders write), or 0 when none does.
 */
guint
gst_acs_audio_level_ext_id_from_caps (const GstStructure * s)
{
  guint id;

  for (id = 1; id <= 255; id++) {
    gchar field[16];
    const GValue *v;
    const gchar *uri = NULL;

    g_snprintf (field, sizeof (field), "extmap-%u", id);
    v = gst_structure_get_value (s, field);
    if (!v)
      continue;
    if (G_VALUE_HOLDS_STRING (v)) {
      uri = g_value_get_string (v);
    } else if (GST_VALUE_HOLDS_ARRAY (v) && gst_value_array_get_size (v) >= 2) {
      const GValue *u = gst_value_array_get_value (v, 1);

      if (G_VALUE_HOLDS_STRING (u))
        uri = g_value_get_string (u);
    }
    if (g_strcmp0 (uri, GST_ACS_AUDIO_LEVEL_URI) == 0)
      return id;
  }
  return 0;
}

/**
 * gst_acs_audio_level_read:
 * @rtp: a mapped RTP packet
 * @id: the extension id (0: none configured)
 *
 * Reads the level from the one-byte (id 1-14) or two-byte header extension.
 *
 * Returns: the level, 0 to 127 (-dBov: 0 is loudest), -1 when the packet has
 *   no such extension, -2 when its length is not the one byte RFC 6464
 *   defines.
 */
gint
gst_acs_audio_level_read (GstRTPBuffer * rtp, guint id)
{
  gpointer data = NULL;
  guint size = 0;

  if (id == 0)
    return -1;
  if (id <= 14
      && gst_rtp_buffer_get_extension_onebyte_header (rtp, id, 0, &data,
          &size)) {
    /* found */
  } else if (!gst_rtp_buffer_get_extension_twobytes_header (rtp, NULL, id, 0,
          &data, &size)) {
    return -1;
  }
  if (size != 1)
    return -2;
  return ((const guint8 *) data)[0] & 0x7f;
}

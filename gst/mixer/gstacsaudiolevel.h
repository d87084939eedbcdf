/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: the RFC 6464 audio-level RTP header extension, shared by
 * acsaudiolevelgate and acssfu */

#ifndef __GST_ACS_AUDIO_LEVEL_H__
#define __GST_ACS_AUDIO_LEVEL_H__

#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>

G_BEGIN_DECLS

#define GST_ACS_AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

G_GNUC_INTERNAL guint gst_acs_audio_level_ext_id_from_caps (const GstStructure
    * s);
G_GNUC_INTERNAL gint gst_acs_audio_level_read (GstRTPBuffer * rtp, guint id);

G_END_DECLS

#endif /* __GST_ACS_AUDIO_LEVEL_H__ */

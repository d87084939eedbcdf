/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: the session descriptions of a one-to-one call */

#ifndef __GST_ACS_CALL_SDP_H__
#define __GST_ACS_CALL_SDP_H__

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <acs/acssrtpprofile.h>

G_BEGIN_DECLS

#define ACS_CALL_SDP_PT 96
#define ACS_CALL_SDP_AUDIO_LEVEL_ID 1
#define ACS_CALL_SDP_AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

/**
 * AcsCallSdpCrypto:
 * @tag: the a=crypto tag
 * @profile: the crypto suite
 * @key: `inline:<base64>[|...]` key parameter (a secret)
 */
typedef struct
{
  guint tag;
  AcsSrtpProfile profile;
  gchar *key;
} AcsCallSdpCrypto;

/**
 * AcsCallSdpInfo:
 * @ufrag: ICE username fragment
 * @pwd: ICE password (a secret)
 * @crypto: the first a=crypto line with a suite acssrtpdec supports
 * @rtcp_mux: whether a=rtcp-mux was present
 * @pt: payload type of opus/48000/2, -1 if absent
 */
typedef struct
{
  gchar *ufrag;
  gchar *pwd;
  AcsCallSdpCrypto crypto;
  gboolean rtcp_mux;
  gint pt;
} AcsCallSdpInfo;

GstSDPMessage *acs_call_sdp_build (const gchar * ufrag, const gchar * pwd,
    const AcsCallSdpCrypto * cryptos, guint n_cryptos);

gboolean acs_call_sdp_parse (const gchar * text, AcsCallSdpInfo * info,
    GError ** error);

void acs_call_sdp_info_clear (AcsCallSdpInfo * info);

G_END_DECLS

#endif /* __GST_ACS_CALL_SDP_H__ */

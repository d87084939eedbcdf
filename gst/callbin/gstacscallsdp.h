/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: the session descriptions of a one-to-one call */

#ifndef __GST_ACS_CALL_SDP_H__
#define __GST_ACS_CALL_SDP_H__

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <acs/acssrtpprofile.h>

G_BEGIN_DECLS

#define ACS_CALL_SDP_PT 96
#define ACS_CALL_SDP_VIDEO_PT 97
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
 * AcsCallSdpVideo:
 * @ACS_CALL_SDP_VIDEO_NONE: no video m= line
 * @ACS_CALL_SDP_VIDEO_ON: a video m= line with VP8, bundled with the audio
 * @ACS_CALL_SDP_VIDEO_REJECTED: a video m= line that cannot be used: port
 *   0, no VP8, or (in an offer) not in the audio's BUNDLE group
 */
typedef enum
{
  ACS_CALL_SDP_VIDEO_NONE,
  ACS_CALL_SDP_VIDEO_ON,
  ACS_CALL_SDP_VIDEO_REJECTED,
} AcsCallSdpVideo;

/**
 * AcsCallSdpInfo:
 * @ufrag: ICE username fragment
 * @pwd: ICE password (a secret)
 * @crypto: the first a=crypto line of the audio m= line with a suite
 *   acssrtpdec supports: one key for the whole BUNDLE group
 * @rtcp_mux: whether a=rtcp-mux was present
 * @pt: payload type of opus/48000/2, -1 if absent
 * @video: the video m= line
 * @video_pt: payload type of VP8/90000, -1 if absent
 * @audio_mid: a=mid of the audio m= line, %NULL without one
 * @video_mid: a=mid of the video m= line, %NULL without one
 */
typedef struct
{
  gchar *ufrag;
  gchar *pwd;
  AcsCallSdpCrypto crypto;
  gboolean rtcp_mux;
  gint pt;
  AcsCallSdpVideo video;
  gint video_pt;
  gchar *audio_mid;
  gchar *video_mid;
} AcsCallSdpInfo;

gchar *acs_call_sdp_make_key (AcsSrtpProfile profile);

GstSDPMessage *acs_call_sdp_build (const gchar * ufrag, const gchar * pwd,
    const AcsCallSdpCrypto * cryptos, guint n_cryptos);

GstSDPMessage *acs_call_sdp_build_full (const gchar * ufrag,
    const gchar * pwd, const AcsCallSdpCrypto * cryptos, guint n_cryptos,
    const AcsCallSdpInfo * offer, gboolean video);

gboolean acs_call_sdp_parse (const gchar * text, AcsCallSdpInfo * info,
    GError ** error);

void acs_call_sdp_info_clear (AcsCallSdpInfo * info);

G_END_DECLS

#endif /* __GST_ACS_CALL_SDP_H__ */

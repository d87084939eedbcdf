/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: the media chains of acscallbin: VP8 video, the rtcp-mux split,
 * the payload-type map, the statistics and the E-model */

#ifndef __GST_ACS_CALL_MEDIA_H__
#define __GST_ACS_CALL_MEDIA_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* What opusdec holds back with in-band FEC: one 20 ms packet */
#define ACS_CALL_MEDIA_OPUS_HOLD (20 * GST_MSECOND)

GstPadProbeReturn acs_call_media_opus_latency_probe (GstPad * pad,
    GstPadProbeInfo * info, gpointer user_data);

GstElement *acs_call_media_video_send_new (guint bitrate, guint pt);

void acs_call_media_video_send_set_encoded (GstElement * vsend,
    gboolean encoded);

GstElement *acs_call_media_video_recv_new (gboolean encoded);

GstElement *acs_call_media_audio_recv_new (gboolean encoded);

GstCaps *acs_call_media_pt_caps (guint pt, gint video_pt);

GstPadProbeReturn acs_call_media_split_probe (GstPad * pad,
    GstPadProbeInfo * info, gpointer user_data);

GstPadProbeReturn acs_call_media_rtcp_caps_probe (GstPad * pad,
    GstPadProbeInfo * info, gpointer user_data);

gdouble acs_call_media_estimate_mos (gdouble rtt_ms, guint latency_ms,
    gdouble loss_pct);

void acs_call_media_srtp_counts (GstElement * srtp, const gchar * all,
    const gchar * rtcp, guint64 * rtp_out, guint64 * rtcp_out);

guint64 acs_call_media_srtp_bytes (GstElement * srtp, const gchar * field);

void acs_call_media_session_stats (GstElement * rtpbin, guint64 * sent,
    guint64 * received, gint64 * lost, gdouble * jitter_ms,
    gdouble * rtt_ms);

G_END_DECLS

#endif /* __GST_ACS_CALL_MEDIA_H__ */

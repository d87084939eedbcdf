/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: SRTP/SRTCP protection of an rtcp-mux stream */

#ifndef __GST_ACS_SRTP_ENC_H__
#define __GST_ACS_SRTP_ENC_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ACS_SRTP_ENC (gst_acs_srtp_enc_get_type ())
G_DECLARE_FINAL_TYPE (GstAcsSrtpEnc, gst_acs_srtp_enc, GST, ACS_SRTP_ENC,
    GstElement);

G_END_DECLS

#endif /* __GST_ACS_SRTP_ENC_H__ */

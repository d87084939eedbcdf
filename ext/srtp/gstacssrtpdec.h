/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: SRTP/SRTCP verification and decryption of an rtcp-mux stream */

#ifndef __GST_ACS_SRTP_DEC_H__
#define __GST_ACS_SRTP_DEC_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ACS_SRTP_DEC (gst_acs_srtp_dec_get_type ())
G_DECLARE_FINAL_TYPE (GstAcsSrtpDec, gst_acs_srtp_dec, GST, ACS_SRTP_DEC,
    GstElement);

G_END_DECLS

#endif /* __GST_ACS_SRTP_DEC_H__ */

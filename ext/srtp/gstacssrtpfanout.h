/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: one RTP stream protected for many destinations */

#ifndef __GST_ACS_SRTP_FANOUT_H__
#define __GST_ACS_SRTP_FANOUT_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ACS_SRTP_FANOUT (gst_acs_srtp_fanout_get_type ())
G_DECLARE_FINAL_TYPE (GstAcsSrtpFanout, gst_acs_srtp_fanout, GST,
    ACS_SRTP_FANOUT, GstElement);

G_END_DECLS

#endif /* __GST_ACS_SRTP_FANOUT_H__ */

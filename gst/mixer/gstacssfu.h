/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: selective forwarding of group-call RTP */

#ifndef __GST_ACS_SFU_H__
#define __GST_ACS_SFU_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ACS_SFU (gst_acs_sfu_get_type ())
G_DECLARE_FINAL_TYPE (GstAcsSfu, gst_acs_sfu, GST, ACS_SFU, GstElement);

G_END_DECLS

#endif /* __GST_ACS_SFU_H__ */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: a whole one-to-one call in a bin */

#ifndef __GST_ACS_CALL_BIN_H__
#define __GST_ACS_CALL_BIN_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ACS_CALL_BIN (gst_acs_call_bin_get_type ())
G_DECLARE_FINAL_TYPE (GstAcsCallBin, gst_acs_call_bin, GST, ACS_CALL_BIN,
    GstBin);

G_END_DECLS

#endif /* __GST_ACS_CALL_BIN_H__ */

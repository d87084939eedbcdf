/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: selects the loudest members of a large room from their RTP */

#ifndef __GST_ACS_SPEAKER_SELECT_H__
#define __GST_ACS_SPEAKER_SELECT_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ACS_SPEAKER_SELECT (gst_acs_speaker_select_get_type ())
G_DECLARE_FINAL_TYPE (GstAcsSpeakerSelect, gst_acs_speaker_select, GST,
    ACS_SPEAKER_SELECT, GstElement);

G_END_DECLS

#endif /* __GST_ACS_SPEAKER_SELECT_H__ */

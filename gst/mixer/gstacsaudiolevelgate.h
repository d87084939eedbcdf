/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: gates a member's RTP on the mixer's speaker selection */

#ifndef __GST_ACS_AUDIO_LEVEL_GATE_H__
#define __GST_ACS_AUDIO_LEVEL_GATE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ACS_AUDIO_LEVEL_GATE (gst_acs_audio_level_gate_get_type ())
G_DECLARE_FINAL_TYPE (GstAcsAudioLevelGate, gst_acs_audio_level_gate, GST,
    ACS_AUDIO_LEVEL_GATE, GstElement);

G_END_DECLS

#endif /* __GST_ACS_AUDIO_LEVEL_GATE_H__ */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: mix-minus audio mixer for group calls */

#ifndef __GST_ACS_MIXER_H__
#define __GST_ACS_MIXER_H__

#include <gst/gst.h>
#include <gst/audio/audio.h>
#include <gst/audio/gstaudioaggregator.h>

G_BEGIN_DECLS

#define GST_TYPE_ACS_MIXER (gst_acs_mixer_get_type ())
G_DECLARE_FINAL_TYPE (GstAcsMixer, gst_acs_mixer, GST, ACS_MIXER,
    GstAudioAggregator);

#define GST_TYPE_ACS_MIXER_PAD (gst_acs_mixer_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstAcsMixerPad, gst_acs_mixer_pad, GST, ACS_MIXER_PAD,
    GstAudioAggregatorPad);

#define GST_TYPE_ACS_MIXER_MODE (gst_acs_mixer_mode_get_type ())
GType gst_acs_mixer_mode_get_type (void);

typedef enum
{
  GST_ACS_MIXER_MODE_MCU,
  GST_ACS_MIXER_MODE_SFU,
} GstAcsMixerMode;

/* Name of the custom meta on every buffer pushed on a src_%u pad */
#define GST_ACS_MIXER_OUTPUT_META "GstAcsMixerOutputMeta"

G_GNUC_INTERNAL void gst_acs_mixer_report_level (GstAcsMixer * self,
    guint member, guint level);
G_GNUC_INTERNAL gboolean gst_acs_mixer_member_is_selected (GstAcsMixer * self,
    guint member);

G_END_DECLS

#endif /* __GST_ACS_MIXER_H__ */

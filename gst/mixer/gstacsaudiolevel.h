/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: the RFC 6464 audio-level RTP header extension, and the ranking
 * of members by it, shared by acsaudiolevelgate, acssfu and
 * acsspeakerselect */

#ifndef __GST_ACS_AUDIO_LEVEL_H__
#define __GST_ACS_AUDIO_LEVEL_H__

#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>

G_BEGIN_DECLS
#define GST_ACS_AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    G_GNUC_INTERNAL guint gst_acs_audio_level_ext_id_from_caps (const
    GstStructure * s);
G_GNUC_INTERNAL gint gst_acs_audio_level_read (GstRTPBuffer * rtp, guint id);

/* Defaults of the ranking properties (level-window, hysteresis, hold-time) */
#define GST_ACS_LEVEL_DEFAULT_WINDOW 200
#define GST_ACS_LEVEL_DEFAULT_HYSTERESIS 6.0
#define GST_ACS_LEVEL_DEFAULT_HOLD_TIME 500

/* The level of a member never heard, or not heard for STALE_TIME (dBov) */
#define GST_ACS_LEVEL_SILENT (-127.0)
/* A member whose smoothed level is at or below this does not speak */
#define GST_ACS_LEVEL_SPEAKING_THRESHOLD (-80.0)
#define GST_ACS_LEVEL_STALE_TIME (2 * GST_SECOND)
/* The packet time assumed where timestamps do not tell it */
#define GST_ACS_LEVEL_PACKET_TIME (20 * GST_MSECOND)

/**
 * GstAcsLevelTrack:
 * @level: the smoothed level, dBov (0 loudest, -127 silent)
 * @time: running time of the last level, GST_CLOCK_TIME_NONE before one
 * @selected_since: running time the member last entered the selection,
 *   GST_CLOCK_TIME_NONE when it never did
 *
 * One member's standing in a ranking by audio level. The caller protects it
 * with its own lock.
 */
typedef struct
{
  gdouble level;
  GstClockTime time;
  GstClockTime selected_since;
} GstAcsLevelTrack;

/* Returns the track of one of the items given to
 * gst_acs_level_track_weakest(), or NULL to skip the item */
typedef GstAcsLevelTrack *(*GstAcsLevelTrackFunc) (gpointer item);

G_GNUC_INTERNAL void gst_acs_level_track_init (GstAcsLevelTrack * t);
G_GNUC_INTERNAL void gst_acs_level_track_update (GstAcsLevelTrack * t,
    guint level, GstClockTime now, GstClockTime latest, guint window_ms);
G_GNUC_INTERNAL gdouble gst_acs_level_track_effective (const GstAcsLevelTrack
    * t, GstClockTime latest);
G_GNUC_INTERNAL gint gst_acs_level_track_weakest (gpointer const *items,
    guint n, GstAcsLevelTrackFunc get, GstClockTime latest, GstClockTime hold,
    gdouble * weakest_level);
G_GNUC_INTERNAL void gst_acs_level_install_ranking_properties (GObjectClass *
    klass, guint prop_window, guint prop_hysteresis, guint prop_hold);

/* The settings of a ranking by audio level: the `level-window` (ms),
 * `hysteresis` (dB) and `hold-time` (ms) properties, whose ids an element
 * declares consecutively in this order */
typedef struct
{
  guint window;
  gdouble hysteresis;
  guint hold_time;
} GstAcsLevelRanking;

G_GNUC_INTERNAL void gst_acs_level_ranking_init (GstAcsLevelRanking * r);
G_GNUC_INTERNAL gboolean gst_acs_level_ranking_set_property
    (GstAcsLevelRanking * r, guint first_prop_id, guint prop_id,
    const GValue * value);
G_GNUC_INTERNAL gboolean gst_acs_level_ranking_get_property
    (const GstAcsLevelRanking * r, guint first_prop_id, guint prop_id,
    GValue * value);

G_END_DECLS

#endif /* __GST_ACS_AUDIO_LEVEL_H__ */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: the RFC 6464 audio-level RTP header extension, and the ranking
 * of members by it, shared by acsaudiolevelgate, acssfu and
 * acsspeakerselect */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacsaudiolevel.h"

/**
 * gst_acs_audio_level_ext_id_from_caps:
 * @s: RTP caps structure
 *
 * Returns: the id of the `extmap-N` field naming the audio-level extension
 *   (as a plain URI string or as a `<direction, uri, attributes>` array,
 *   the forms webrtcbin and the RTP payloaders write), or 0 when none does.
 */
guint
gst_acs_audio_level_ext_id_from_caps (const GstStructure * s)
{
  guint id;

  for (id = 1; id <= 255; id++) {
    gchar field[16];
    const GValue *v;
    const gchar *uri = NULL;

    g_snprintf (field, sizeof (field), "extmap-%u", id);
    v = gst_structure_get_value (s, field);
    if (!v)
      continue;
    if (G_VALUE_HOLDS_STRING (v)) {
      uri = g_value_get_string (v);
    } else if (GST_VALUE_HOLDS_ARRAY (v) && gst_value_array_get_size (v) >= 2) {
      const GValue *u = gst_value_array_get_value (v, 1);

      if (G_VALUE_HOLDS_STRING (u))
        uri = g_value_get_string (u);
    }
    if (g_strcmp0 (uri, GST_ACS_AUDIO_LEVEL_URI) == 0)
      return id;
  }
  return 0;
}

/**
 * gst_acs_audio_level_read:
 * @rtp: a mapped RTP packet
 * @id: the extension id (0: none configured)
 *
 * Reads the level from the one-byte (id 1-14) or two-byte header extension.
 *
 * Returns: the level, 0 to 127 (-dBov: 0 is loudest), -1 when the packet has
 *   no such extension, -2 when its length is not the one byte RFC 6464
 *   defines.
 */
gint
gst_acs_audio_level_read (GstRTPBuffer * rtp, guint id)
{
  gpointer data = NULL;
  guint size = 0;

  if (id == 0)
    return -1;
  if (id <= 14
      && gst_rtp_buffer_get_extension_onebyte_header (rtp, id, 0, &data,
          &size)) {
    /* found */
  } else if (!gst_rtp_buffer_get_extension_twobytes_header (rtp, NULL, id, 0,
          &data, &size)) {
    return -1;
  }
  if (size != 1)
    return -2;
  return ((const guint8 *) data)[0] & 0x7f;
}

/**
 * gst_acs_level_track_init:
 * @t: a track
 *
 * Sets @t to a member never heard and never selected.
 */
void
gst_acs_level_track_init (GstAcsLevelTrack * t)
{
  t->level = GST_ACS_LEVEL_SILENT;
  t->time = GST_CLOCK_TIME_NONE;
  t->selected_since = GST_CLOCK_TIME_NONE;
}

/**
 * gst_acs_level_track_update:
 * @t: a track
 * @level: the level a packet carried, 0 to 127 (-dBov)
 * @now: the packet's running time, GST_CLOCK_TIME_NONE if unknown
 * @latest: the latest running time the caller has seen (NONE if none)
 * @window_ms: time constant of the exponential average, ms (at least 1)
 *
 * Moves the smoothed level towards @level by the share of @window_ms that
 * passed since the previous level (one packet time when timestamps do not
 * tell it; the whole way for the first level).
 */
void
gst_acs_level_track_update (GstAcsLevelTrack * t, guint level,
    GstClockTime now, GstClockTime latest, guint window_ms)
{
  GstClockTime w = MAX (1, window_ms) * GST_MSECOND;
  gdouble alpha = 1.0;

  if (GST_CLOCK_TIME_IS_VALID (t->time) && GST_CLOCK_TIME_IS_VALID (now)
      && now >= t->time)
    alpha = MIN (1.0, (gdouble) (now - t->time) / w);
  else if (GST_CLOCK_TIME_IS_VALID (t->time))
    alpha = MIN (1.0, (gdouble) GST_ACS_LEVEL_PACKET_TIME / w);
  t->level += alpha * (-(gdouble) level - t->level);
  t->time = GST_CLOCK_TIME_IS_VALID (now) ? now :
      (GST_CLOCK_TIME_IS_VALID (latest) ? latest : 0);
}

/**
 * gst_acs_level_track_effective:
 * @t: a track
 * @latest: the latest running time the caller has seen (NONE if none)
 *
 * Returns: the smoothed level, or GST_ACS_LEVEL_SILENT when the member was
 *   never heard or its last level is older than GST_ACS_LEVEL_STALE_TIME.
 */
gdouble
gst_acs_level_track_effective (const GstAcsLevelTrack * t, GstClockTime latest)
{
  if (!GST_CLOCK_TIME_IS_VALID (t->time))
    return GST_ACS_LEVEL_SILENT;
  if (GST_CLOCK_TIME_IS_VALID (latest)
      && latest > t->time + GST_ACS_LEVEL_STALE_TIME)
    return GST_ACS_LEVEL_SILENT;
  return t->level;
}

/**
 * gst_acs_level_track_weakest:
 * @items: the selected members, in the caller's own type
 * @n: the number of @items
 * @get: returns an item's track, or NULL to skip it
 * @latest: the latest running time the caller has seen (NONE if none)
 * @hold: how long a member stays selected before another may replace it
 *   (0: no hold)
 * @weakest_level: (out): the level of the item returned
 *
 * The least active of the selected members whose hold time has passed: the
 * one a newcomer replaces when it is more active by the hysteresis.
 *
 * Returns: its index in @items, or -1 when every one is held.
 */
gint
gst_acs_level_track_weakest (gpointer const *items, guint n,
    GstAcsLevelTrackFunc get, GstClockTime latest, GstClockTime hold,
    gdouble * weakest_level)
{
  gint weakest = -1;
  gdouble weakest_l = 0.0;
  guint i;

  for (i = 0; i < n; i++) {
    GstAcsLevelTrack *t = get (items[i]);
    gdouble l;

    if (!t)
      continue;
    if (hold > 0 && GST_CLOCK_TIME_IS_VALID (latest)
        && GST_CLOCK_TIME_IS_VALID (t->selected_since)
        && latest < t->selected_since + hold)
      continue;
    l = gst_acs_level_track_effective (t, latest);
    if (weakest < 0 || l < weakest_l) {
      weakest = i;
      weakest_l = l;
    }
  }
  *weakest_level = weakest_l;
  return weakest;
}

/**
 * gst_acs_level_install_ranking_properties:
 * @klass: the element class
 * @prop_window: the property id for `level-window`
 * @prop_hysteresis: the property id for `hysteresis`
 * @prop_hold: the property id for `hold-time`
 *
 * Installs the three properties that tune a ranking by audio level, with
 * the GST_ACS_LEVEL_DEFAULT_* defaults, changeable in any state.
 */
void
gst_acs_level_install_ranking_properties (GObjectClass * klass,
    guint prop_window, guint prop_hysteresis, guint prop_hold)
{
  g_object_class_install_property (klass, prop_window,
      g_param_spec_uint ("level-window", "Level window",
          "Time constant (ms) of the exponential average of each member's "
          "audio level, 1 to 10000; any state", 1, 10000,
          GST_ACS_LEVEL_DEFAULT_WINDOW, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (klass, prop_hysteresis,
      g_param_spec_double ("hysteresis", "Hysteresis",
          "dB by which a member must be more active than the least active "
          "selected one to replace it, 0 to 60; any state", 0.0, 60.0,
          GST_ACS_LEVEL_DEFAULT_HYSTERESIS, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (klass, prop_hold,
      g_param_spec_uint ("hold-time", "Hold time",
          "Minimum time (ms of running time) a member stays selected "
          "before another may replace it, 0 to 60000; any state", 0, 60000,
          GST_ACS_LEVEL_DEFAULT_HOLD_TIME, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
}

/**
 * gst_acs_level_ranking_init:
 * @r: ranking settings
 *
 * Sets the GST_ACS_LEVEL_DEFAULT_* values.
 */
void
gst_acs_level_ranking_init (GstAcsLevelRanking * r)
{
  r->window = GST_ACS_LEVEL_DEFAULT_WINDOW;
  r->hysteresis = GST_ACS_LEVEL_DEFAULT_HYSTERESIS;
  r->hold_time = GST_ACS_LEVEL_DEFAULT_HOLD_TIME;
}

/**
 * gst_acs_level_ranking_set_property:
 * @r: ranking settings
 * @first_prop_id: the element's id of `level-window`; `hysteresis` and
 *   `hold-time` follow it
 * @prop_id: the property being set
 * @value: its value
 *
 * For an element's set_property, with the element's lock held as for its
 * other properties.
 *
 * Returns: whether @prop_id was one of the three.
 */
gboolean
gst_acs_level_ranking_set_property (GstAcsLevelRanking * r,
    guint first_prop_id, guint prop_id, const GValue * value)
{
  switch (prop_id - first_prop_id) {
    case 0:
      r->window = g_value_get_uint (value);
      return TRUE;
    case 1:
      r->hysteresis = g_value_get_double (value);
      return TRUE;
    case 2:
      r->hold_time = g_value_get_uint (value);
      return TRUE;
    default:
      return FALSE;
  }
}

/**
 * gst_acs_level_ranking_get_property:
 * @r: ranking settings
 * @first_prop_id: as for gst_acs_level_ranking_set_property()
 * @prop_id: the property being read
 * @value: (out caller-allocates): where its value goes
 *
 * Returns: whether @prop_id was one of the three.
 */
gboolean
gst_acs_level_ranking_get_property (const GstAcsLevelRanking * r,
    guint first_prop_id, guint prop_id, GValue * value)
{
  switch (prop_id - first_prop_id) {
    case 0:
      g_value_set_uint (value, r->window);
      return TRUE;
    case 1:
      g_value_set_double (value, r->hysteresis);
      return TRUE;
    case 2:
      g_value_set_uint (value, r->hold_time);
      return TRUE;
    default:
      return FALSE;
  }
}

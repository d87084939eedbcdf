/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: gates a member's RTP on the mixer's speaker selection
 */

/**
 * SECTION:element-acsaudiolevelgate
 * @title: acsaudiolevelgate
 * @see_also: acsmixer
 *
 * Sits on one member's RTP, ahead of its depayloader and decoder, in a
 * pipeline whose #acsmixer mixes the decoded audio. For every packet it
 * reads the RFC 6464 audio level (one-byte or two-byte header extension,
 * RFC 8285) and reports it to the `mixer` for member `member`; the mixer
 * ranks members on these levels. The packet is forwarded only while the
 * member is in the mixer's selection, so that only the selected speakers
 * are decoded. A dropped packet becomes a GAP event (same timestamp) so
 * that the mixer does not wait for it; the first packet forwarded after a
 * drop carries the DISCONT flag and comes right after an `acs-decoder-reset`
 * custom downstream event (field `member`, guint), so that the depayloader
 * and the decoder start afresh instead of concealing the hole (opusdec
 * needs the probe of `gst-libs/acs/acsdecoderreset.h` for it: it ignores
 * DISCONT; see #acsspeakerselect). The very first packet is
 * always forwarded: the depayloader and the decoder only send their caps
 * and segment downstream once they have handled a packet, and without a
 * segment the mixer would drop the GAP events of a member that was never
 * selected (and, not live, wait for it forever).
 *
 * Without a `mixer` every packet is forwarded. Packets that are not RTP
 * are dropped and counted; they never reach the decoder.
 *
 * Threading: everything runs on the streaming thread of the sink pad.
 *
 * ## Example launch line
 * |[
 * ... ! acsaudiolevelgate mixer=m member=3 ! rtpopusdepay ! opusdec ! m.sink_3
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/rtp/rtp.h>

#include <acs/acsdecoderreset.h>

#include "gstacsaudiolevelgate.h"
#include "gstacsaudiolevel.h"
#include "gstacsmixer.h"
#include "gstacsmixerelements.h"

GST_DEBUG_CATEGORY_STATIC (gst_acs_audio_level_gate_debug);
#define GST_CAT_DEFAULT gst_acs_audio_level_gate_debug


#define DEFAULT_MEMBER 0
#define DEFAULT_EXT_ID 0
#define DEFAULT_GAPS TRUE

enum
{
  PROP_0,
  PROP_MIXER,
  PROP_MEMBER,
  PROP_EXT_ID,
  PROP_GAPS,
  PROP_STATS,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp"));

struct _GstAcsAudioLevelGate
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties, GST_OBJECT_LOCK */
  GstAcsMixer *mixer;
  guint member;
  guint ext_id;
  gboolean gaps;
  /* counters, GST_OBJECT_LOCK */
  guint64 forwarded;
  guint64 dropped;
  guint64 malformed;
  guint64 no_level;
  guint64 resumes;

  /* streaming thread only */
  guint caps_ext_id;
  gint clock_rate;
  gboolean need_discont;
  /* packets were dropped as not selected: the decoder must start afresh */
  gboolean need_reset;
  gboolean primed;              /* a packet went downstream */
  gboolean have_last_ts;
  guint32 last_ts;
};

#define gst_acs_audio_level_gate_parent_class parent_class
G_DEFINE_TYPE (GstAcsAudioLevelGate, gst_acs_audio_level_gate,
    GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (acsaudiolevelgate, "acsaudiolevelgate",
    GST_RANK_NONE, GST_TYPE_ACS_AUDIO_LEVEL_GATE);

static void gst_acs_audio_level_gate_dispose (GObject * object);
static void gst_acs_audio_level_gate_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_acs_audio_level_gate_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_acs_audio_level_gate_change_state (GstElement
    * element, GstStateChange transition);
static GstFlowReturn gst_acs_audio_level_gate_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buf);
static gboolean gst_acs_audio_level_gate_sink_event (GstPad * pad,
    GstObject * parent, GstEvent * event);

static void
gst_acs_audio_level_gate_class_init (GstAcsAudioLevelGateClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  GST_DEBUG_CATEGORY_INIT (gst_acs_audio_level_gate_debug,
      "acsaudiolevelgate", 0, "gst-acs audio-level gate");

  gst_element_class_set_static_metadata (element_class,
      "Audio level RTP gate", "Filter/Network/RTP",
      "Reports RFC 6464 audio levels to an acsmixer and forwards a member's "
      "RTP only while the member is among the mixed speakers", "gst-acs");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  gobject_class->dispose = gst_acs_audio_level_gate_dispose;
  gobject_class->set_property = gst_acs_audio_level_gate_set_property;
  gobject_class->get_property = gst_acs_audio_level_gate_get_property;

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_acs_audio_level_gate_change_state);

  g_object_class_install_property (gobject_class, PROP_MIXER,
      g_param_spec_object ("mixer", "Mixer",
          "The acsmixer that ranks the members and decides who is mixed; "
          "NULL forwards every packet; any state",
          GST_TYPE_ELEMENT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_MEMBER,
      g_param_spec_uint ("member", "Member",
          "Index N of this member's sink_N pad on the mixer, 0 to G_MAXINT; "
          "any state", 0, G_MAXINT, DEFAULT_MEMBER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_EXT_ID,
      g_param_spec_uint ("ext-id", "Extension ID",
          "RTP header extension ID of the audio level, 1 to 255; 0 takes it "
          "from an extmap-N caps field naming " GST_ACS_AUDIO_LEVEL_URI,
          0, 255, DEFAULT_EXT_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAcsAudioLevelGate:gaps:
   *
   * Whether a dropped packet becomes a GAP event downstream. A mixer that
   * is not live needs them (it waits for every member's data or gap). A
   * live mixer times out on members without data anyway: FALSE spares the
   * depayloader, the decoder and the mixer an event per dropped packet,
   * which is most of the cost of a large room's silent members, at the
   * price of each period waiting for the mixer's timeout.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_GAPS,
      g_param_spec_boolean ("gaps", "GAP events",
          "Push a GAP event downstream for every dropped packet (needed by a "
          "mixer that is not live; a live one times out); any state",
          DEFAULT_GAPS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters: packets forwarded, dropped (not selected), malformed "
          "(not RTP), without a level, and resumes (DISCONT set)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
gst_acs_audio_level_gate_init (GstAcsAudioLevelGate * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_audio_level_gate_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_audio_level_gate_sink_event));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->member = DEFAULT_MEMBER;
  self->ext_id = DEFAULT_EXT_ID;
  self->gaps = DEFAULT_GAPS;
}

static void
gst_acs_audio_level_gate_dispose (GObject * object)
{
  GstAcsAudioLevelGate *self = GST_ACS_AUDIO_LEVEL_GATE (object);

  gst_clear_object (&self->mixer);

  G_OBJECT_CLASS (parent_class)->dispose (object);
}

static void
gst_acs_audio_level_gate_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstAcsAudioLevelGate *self = GST_ACS_AUDIO_LEVEL_GATE (object);

  switch (prop_id) {
    case PROP_MIXER:{
      GstElement *mixer = g_value_get_object (value);

      if (mixer && !GST_IS_ACS_MIXER (mixer)) {
        g_warning ("%s: mixer must be an acsmixer", GST_OBJECT_NAME (self));
        break;
      }
      GST_OBJECT_LOCK (self);
      gst_object_replace ((GstObject **) & self->mixer, (GstObject *) mixer);
      GST_OBJECT_UNLOCK (self);
      break;
    }
    case PROP_MEMBER:
      GST_OBJECT_LOCK (self);
      self->member = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_EXT_ID:
      GST_OBJECT_LOCK (self);
      self->ext_id = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_GAPS:
      GST_OBJECT_LOCK (self);
      self->gaps = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_acs_audio_level_gate_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstAcsAudioLevelGate *self = GST_ACS_AUDIO_LEVEL_GATE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MIXER:
      g_value_set_object (value, self->mixer);
      break;
    case PROP_MEMBER:
      g_value_set_uint (value, self->member);
      break;
    case PROP_EXT_ID:
      g_value_set_uint (value, self->ext_id);
      break;
    case PROP_GAPS:
      g_value_set_boolean (value, self->gaps);
      break;
    case PROP_STATS:
      g_value_take_boxed (value,
          gst_structure_new ("application/x-acs-audio-level-gate-stats",
              "packets-forwarded", G_TYPE_UINT64, self->forwarded,
              "packets-dropped", G_TYPE_UINT64, self->dropped,
              "packets-malformed", G_TYPE_UINT64, self->malformed,
              "packets-without-level", G_TYPE_UINT64, self->no_level,
              "resumes", G_TYPE_UINT64, self->resumes, NULL));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstStateChangeReturn
gst_acs_audio_level_gate_change_state (GstElement * element,
    GstStateChange transition)
{
  GstAcsAudioLevelGate *self = GST_ACS_AUDIO_LEVEL_GATE (element);

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    self->need_discont = FALSE;
    self->need_reset = FALSE;
    self->primed = FALSE;
    self->have_last_ts = FALSE;
    self->caps_ext_id = 0;
    self->clock_rate = 0;
  }

  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

static gboolean
gst_acs_audio_level_gate_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstAcsAudioLevelGate *self = GST_ACS_AUDIO_LEVEL_GATE (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      const GstStructure *s;

      gst_event_parse_caps (event, &caps);
      s = gst_caps_get_structure (caps, 0);
      self->caps_ext_id = gst_acs_audio_level_ext_id_from_caps (s);
      if (!gst_structure_get_int (s, "clock-rate", &self->clock_rate))
        self->clock_rate = 0;
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      self->need_discont = TRUE;
      self->have_last_ts = FALSE;
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static GstFlowReturn
gst_acs_audio_level_gate_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf)
{
  GstAcsAudioLevelGate *self = GST_ACS_AUDIO_LEVEL_GATE (parent);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstAcsMixer *mixer;
  gboolean gaps;
  guint member, id;
  gint level;
  guint32 ts;
  gboolean selected = TRUE;
  GstClockTime duration = GST_CLOCK_TIME_NONE;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)) {
    GST_OBJECT_LOCK (self);
    self->malformed++;
    GST_OBJECT_UNLOCK (self);
    GST_LOG_OBJECT (self, "dropping a packet that is not RTP");
    self->need_discont = TRUE;
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }

  GST_OBJECT_LOCK (self);
  mixer = self->mixer ? gst_object_ref (self->mixer) : NULL;
  member = self->member;
  id = self->ext_id ? self->ext_id : self->caps_ext_id;
  gaps = self->gaps;
  GST_OBJECT_UNLOCK (self);

  level = gst_acs_audio_level_read (&rtp, id);
  ts = gst_rtp_buffer_get_timestamp (&rtp);
  gst_rtp_buffer_unmap (&rtp);

  if (self->have_last_ts && self->clock_rate > 0 && ts != self->last_ts &&
      (guint32) (ts - self->last_ts) < (guint32) self->clock_rate)
    duration = gst_util_uint64_scale_int (ts - self->last_ts, GST_SECOND,
        self->clock_rate);
  self->last_ts = ts;
  self->have_last_ts = TRUE;

  if (mixer) {
    if (level >= 0)
      gst_acs_mixer_report_level (mixer, member, level);
    selected = gst_acs_mixer_member_is_selected (mixer, member);
    gst_object_unref (mixer);
  }
  /* the first packet configures the decoder and everything downstream */
  if (!self->primed) {
    selected = TRUE;
    self->primed = TRUE;
  }

  GST_OBJECT_LOCK (self);
  if (level < 0)
    self->no_level++;
  if (selected)
    self->forwarded++;
  else
    self->dropped++;
  if (selected && self->need_discont)
    self->resumes++;
  GST_OBJECT_UNLOCK (self);

  if (!selected) {
    GstClockTime pts = GST_BUFFER_PTS (buf);

    self->need_discont = TRUE;
    self->need_reset = TRUE;
    gst_buffer_unref (buf);
    if (gaps && GST_CLOCK_TIME_IS_VALID (pts)) {
      if (!GST_CLOCK_TIME_IS_VALID (duration))
        duration = 20 * GST_MSECOND;
      gst_pad_push_event (self->srcpad, gst_event_new_gap (pts, duration));
    }
    return GST_FLOW_OK;
  }

  if (self->need_reset) {
    /* its decoder last decoded this member seconds ago, if ever */
    gst_pad_push_event (self->srcpad,
        gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
            gst_structure_new (ACS_DECODER_RESET_EVENT, "member", G_TYPE_UINT,
                member, NULL)));
    self->need_reset = FALSE;
  }
  if (self->need_discont) {
    GST_DEBUG_OBJECT (self, "member %u selected again, DISCONT", member);
    buf = gst_buffer_make_writable (buf);
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->need_discont = FALSE;
  }

  return gst_pad_push (self->srcpad, buf);
}

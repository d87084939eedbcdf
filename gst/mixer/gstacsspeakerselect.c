/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: selects the loudest members of a large room from their RTP
 */

/**
 * SECTION:element-acsspeakerselect
 * @title: acsspeakerselect
 * @see_also: acsmixer, acssfu, acsaudiolevelgate
 *
 * The speaker selection of a large audio room, ahead of the decoders. All
 * members' RTP (already decrypted, one SSRC per member) comes in on the one
 * `sink` pad, as single buffers or buffer lists. Each packet's RFC 6464
 * audio level (one-byte or two-byte RFC 8285 header extension; ID from
 * `ext-id` or from an `extmap-N` caps field naming
 * `urn:ietf:params:rtp-hdrext:ssrc-audio-level`) is smoothed over
 * `level-window`, and the `top-k` most active members are selected with the
 * same rules as #acssfu: a member enters when a slot is free and it is
 * speaking (smoothed level above -80 dBov), or replaces the least active
 * selected member whose `hold-time` has passed when it is `hysteresis` dB
 * more active. A member is only compared with the selected members, never
 * with all the others, so the cost of a packet does not grow with the room.
 *
 * Each `src_%u` request pad is a slot: it carries the packets of one
 * selected member, unchanged, and feeds one depayloader and decoder, so
 * that only as many decoders run as there are slots however many members
 * send. At most `top-k` slots are filled, and never more than there are
 * `src_%u` pads. Packets of members that are not selected are dropped and
 * counted. The packet that makes a member enter the selection is itself
 * forwarded.
 *
 * Decoder reset: when a slot's member changes (or after a flush), the first
 * packet forwarded on it carries the DISCONT flag and is preceded, in order
 * with the packets, by a custom downstream event `acs-decoder-reset`
 * (fields `slot` and `ssrc`, guint), so that the depayloader and the
 * decoder start afresh on the new member's stream instead of concealing a
 * loss between two unrelated streams. DISCONT is not enough for opusdec
 * (GStreamer 1.22 keeps its decoder state across it: the new member's
 * first frames would be decoded from the previous member's state); the
 * header-only helper `gst-libs/acs/acsdecoderreset.h`
 * (acs_decoder_reset_attach()) puts a probe on the decoder's sink pad that
 * turns the event into a caps change, on which opusdec starts a new
 * decoder.
 *
 * A member whose last packet is older than `member-timeout` (running time)
 * is forgotten and frees its slot. When the selection changes, the element
 * emits #GstAcsSpeakerSelect::on-selection-changed for every slot whose member
 * changed and posts an `acs-speaker-selection` element message with field
 * `slots` (a #GstValueArray of guint: the SSRC of each slot, in the order
 * of the `src_%u` indices, 0 for an empty slot) and `running-time`
 * (guint64).
 *
 * Time is the running time of each buffer's PTS (for a buffer list, a
 * buffer without PTS takes the list's first buffer's). With `gaps`, an
 * empty slot gets a GAP event when the input's running time goes past what
 * the slot last covered, so that an aggregator that is not live does not
 * wait for it.
 *
 * Stream-start (one stream-id per slot), caps and segment of the sink pad
 * go to every slot, including slots requested later; EOS and flushes go to
 * every slot.
 *
 * Bad input concerns nobody else: buffers that are not RTP are dropped and
 * counted (`malformed`), level extensions that are not one byte long are
 * counted (`bad-level`) and leave the member's level unchanged, as do
 * packets without a level (`no-level`).
 *
 * Threading: the sink pad's streaming thread does all the work under one
 * lock per buffer or buffer list, then, with no lock held, emits the
 * signals, posts the message and pushes on the slots: one buffer list per
 * slot per input buffer list, one buffer per input buffer. A push that
 * fails downstream (a slot not linked, a decoder error) does not stop the
 * other slots: the chain function returns OK. SELECT_LOCK also guards
 * the properties, which the streaming thread reads on every call. Lock
 * order: SELECT_LOCK, then the sink pad's object lock (copying its sticky
 * events to a new slot).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 udpsrc port=5000 caps="application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,extmap-1=urn:ietf:params:rtp-hdrext:ssrc-audio-level" ! \
 *   acsspeakerselect name=s top-k=3 \
 *   acsmixer name=m ! audioconvert ! autoaudiosink \
 *   s.src_0 ! rtpopusdepay ! opusdec ! m.sink_0 \
 *   s.src_1 ! rtpopusdepay ! opusdec ! m.sink_1 \
 *   s.src_2 ! rtpopusdepay ! opusdec ! m.sink_2
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/rtp/rtp.h>

#include <acs/acsdecoderreset.h>

#include "gstacsspeakerselect.h"
#include "gstacsaudiolevel.h"
#include "gstacsmixerelements.h"

GST_DEBUG_CATEGORY_STATIC (gst_acs_speaker_select_debug);
#define GST_CAT_DEFAULT gst_acs_speaker_select_debug


#define DEFAULT_TOP_K 3
#define DEFAULT_EXT_ID 0
#define DEFAULT_MEMBER_TIMEOUT 2000
#define DEFAULT_GAPS FALSE

enum
{
  PROP_0,
  PROP_TOP_K,
  PROP_EXT_ID,
  PROP_LEVEL_WINDOW,
  PROP_HYSTERESIS,
  PROP_HOLD_TIME,
  PROP_MEMBER_TIMEOUT,
  PROP_GAPS,
  PROP_SELECTION,
  PROP_STATS,
};

/* gst_acs_level_ranking_set_property() counts from PROP_LEVEL_WINDOW */
G_STATIC_ASSERT (PROP_HYSTERESIS == PROP_LEVEL_WINDOW + 1
    && PROP_HOLD_TIME == PROP_LEVEL_WINDOW + 2);

enum
{
  SIGNAL_SELECTION_CHANGED,
  LAST_SIGNAL,
};

static guint gst_acs_speaker_select_signals[LAST_SIGNAL];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src_%u",
    GST_PAD_SRC,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtp"));

typedef struct _SelSlot SelSlot;

/* One sending SSRC; all fields SELECT_LOCK */
typedef struct
{
  guint32 ssrc;
  GstAcsLevelTrack level;       /* smoothed, dBov; since when selected */
  GstClockTime last_seen;       /* running time of the last packet */
  SelSlot *slot;                /* NULL when not selected */
} SelMember;

/* One src_%u pad; all fields SELECT_LOCK */
struct _SelSlot
{
  guint index;                  /* N of src_N */
  GstPad *pad;                  /* owned by the element */
  SelMember *member;            /* NULL when empty */
  gboolean need_discont;
  GstClockTime covered;         /* running time up to which data or a GAP
                                 * went out, NONE before any */
  /* output of the current chain call */
  GstBuffer *out_buf;
  GstBufferList *out_list;
};

/* What a chain call does once SELECT_LOCK is dropped */
typedef struct
{
  GstPad *pad;
  GstBuffer *buf;
  GstBufferList *list;
  GstEvent *event;              /* a GAP, or acs-decoder-reset */
} SelPush;

typedef struct
{
  guint slot;
  guint32 ssrc;
} SelChange;

struct _GstAcsSpeakerSelect
{
  GstElement parent;

  GstPad *sinkpad;

  GMutex lock;                  /* SELECT_LOCK */

  /* properties, SELECT_LOCK */
  guint top_k;
  guint ext_id;
  GstAcsLevelRanking ranking;
  guint member_timeout;
  gboolean gaps;

  /* SELECT_LOCK */
  GHashTable *members;          /* SSRC -> SelMember */
  SelMember *last_member;       /* lookup cache, or NULL */
  GPtrArray *slots;             /* SelSlot, by index */
  guint n_selected;
  guint caps_ext_id;
  GstSegment segment;
  GstClockTime now;             /* latest running time seen */
  GstClockTime last_sweep;      /* of the member table, for timeouts */

  /* counters, SELECT_LOCK */
  guint64 received;
  guint64 forwarded;
  guint64 dropped_unselected;
  guint64 malformed;
  guint64 no_level;
  guint64 bad_level;
  guint64 selection_changes;

  /* scratch of the chain functions, reused from call to call: sink pad
   * STREAM_LOCK (filled under SELECT_LOCK, used after it) */
  GArray *pushes;               /* SelPush */
  GArray *changes;              /* SelChange */
  GArray *snapshot;             /* guint32, the SSRC per slot */
  GstClockTime snapshot_time;
};

#define SELECT_LOCK(s) g_mutex_lock (&(s)->lock)
#define SELECT_UNLOCK(s) g_mutex_unlock (&(s)->lock)

#define gst_acs_speaker_select_parent_class parent_class
G_DEFINE_TYPE (GstAcsSpeakerSelect, gst_acs_speaker_select, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (acsspeakerselect, "acsspeakerselect",
    GST_RANK_NONE, GST_TYPE_ACS_SPEAKER_SELECT);

static void gst_acs_speaker_select_finalize (GObject * object);
static void gst_acs_speaker_select_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_acs_speaker_select_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_acs_speaker_select_change_state (GstElement *
    element, GstStateChange transition);
static GstPad *gst_acs_speaker_select_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_acs_speaker_select_release_pad (GstElement * element,
    GstPad * pad);
static GstFlowReturn gst_acs_speaker_select_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buf);
static GstFlowReturn gst_acs_speaker_select_chain_list (GstPad * pad,
    GstObject * parent, GstBufferList * list);
static gboolean gst_acs_speaker_select_sink_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static void gst_acs_speaker_select_post_selection (GstAcsSpeakerSelect * self,
    const guint32 * ssrcs, guint n, GstClockTime time);

static void
gst_acs_speaker_select_class_init (GstAcsSpeakerSelectClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  GST_DEBUG_CATEGORY_INIT (gst_acs_speaker_select_debug, "acsspeakerselect",
      0, "gst-acs speaker selection of a large room");

  gst_element_class_set_static_metadata (element_class,
      "Speaker selector", "Filter/Network/RTP",
      "Ranks the members of a room by the RFC 6464 audio level of their RTP "
      "and forwards only the most active ones, one member per src pad",
      "gst-acs");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  gobject_class->finalize = gst_acs_speaker_select_finalize;
  gobject_class->set_property = gst_acs_speaker_select_set_property;
  gobject_class->get_property = gst_acs_speaker_select_get_property;

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_acs_speaker_select_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_acs_speaker_select_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_acs_speaker_select_release_pad);

  /**
   * GstAcsSpeakerSelect:top-k:
   *
   * The most slots filled at once; only as many as there are `src_%u`
   * pads are. Lowering it while playing empties the least active slots at
   * the next packet.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TOP_K,
      g_param_spec_uint ("top-k", "Top K",
          "Number of speakers forwarded at most (one per src pad), 1 to "
          "1024; any state", 1, 1024, DEFAULT_TOP_K,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_EXT_ID,
      g_param_spec_uint ("ext-id", "Extension ID",
          "RTP header extension ID of the RFC 6464 audio level, 1 to 255; "
          "0 takes it from an extmap-N caps field naming "
          GST_ACS_AUDIO_LEVEL_URI "; any state", 0, 255, DEFAULT_EXT_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_acs_level_install_ranking_properties (gobject_class, PROP_LEVEL_WINDOW,
      PROP_HYSTERESIS, PROP_HOLD_TIME);

  g_object_class_install_property (gobject_class, PROP_MEMBER_TIMEOUT,
      g_param_spec_uint ("member-timeout", "Member timeout",
          "Time (ms of running time) without a packet after which a member "
          "is forgotten and frees its slot, 1 to 3600000; any state", 1,
          3600000, DEFAULT_MEMBER_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAcsSpeakerSelect:gaps:
   *
   * Whether empty slots get GAP events. An aggregator that is not live
   * waits for data or a gap on every sink pad; with TRUE, each empty slot
   * gets a GAP event whenever the running time of an input buffer or
   * buffer list goes past what the slot last covered (timestamp and
   * duration of the input). A live aggregator times out anyway.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_GAPS,
      g_param_spec_boolean ("gaps", "GAP events",
          "Push GAP events on empty slots as the input's running time goes "
          "on (for an aggregator that is not live); any state",
          DEFAULT_GAPS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAcsSpeakerSelect:selection:
   *
   * A #GstValueArray of guint: the SSRC of the member of each slot, in the
   * order of the `src_%u` indices, 0 for an empty slot.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SELECTION,
      gst_param_spec_array ("selection", "Selection",
          "The SSRC forwarded on each src pad, by pad index, 0 when the "
          "slot is empty", g_param_spec_uint ("ssrc", "SSRC",
              "SSRC of a slot's member, 0 for none", 0, G_MAXUINT32, 0,
              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS),
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstAcsSpeakerSelect:stats:
   *
   * An `application/x-acs-speaker-select-stats` structure of guint64
   * counters: `received` (RTP packets), `forwarded`, `dropped-unselected`
   * (RTP packets of members not selected; `received` is `forwarded` plus
   * `dropped-unselected`), `malformed` (buffers that are not RTP),
   * `no-level` (RTP without the audio-level extension), `bad-level`
   * (an extension whose length is not one byte), `selection-changes`
   * (one per slot whose member changed), and `members` (guint, the SSRCs
   * currently known).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Packet and selection counters (see the element documentation)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstAcsSpeakerSelect::on-selection-changed:
   * @select: the #GstAcsSpeakerSelect
   * @slot: index N of the `src_N` pad whose member changed
   * @ssrc: SSRC of the slot's new member, 0 when the slot is now empty
   *
   * A slot changed member. Emitted once per changed slot, on the sink
   * pad's streaming thread with no lock held, before the
   * `acs-speaker-selection` element message is posted and before the new
   * member's first packet is pushed. Releasing a `src_%u` pad emits
   * nothing for it (its slot is gone) but posts the message.
   *
   * Since: 0.1
   */
  gst_acs_speaker_select_signals[SIGNAL_SELECTION_CHANGED] =
      g_signal_new ("on-selection-changed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT,
      G_TYPE_UINT);
}

static void
gst_acs_speaker_select_init (GstAcsSpeakerSelect * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_speaker_select_chain));
  gst_pad_set_chain_list_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_speaker_select_chain_list));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_speaker_select_sink_event));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->top_k = DEFAULT_TOP_K;
  self->ext_id = DEFAULT_EXT_ID;
  gst_acs_level_ranking_init (&self->ranking);
  self->member_timeout = DEFAULT_MEMBER_TIMEOUT;
  self->gaps = DEFAULT_GAPS;

  g_mutex_init (&self->lock);
  self->members = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->slots = g_ptr_array_new_with_free_func (g_free);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->now = GST_CLOCK_TIME_NONE;
  self->last_sweep = GST_CLOCK_TIME_NONE;
  self->pushes = g_array_new (FALSE, FALSE, sizeof (SelPush));
  self->changes = g_array_new (FALSE, FALSE, sizeof (SelChange));
  self->snapshot = g_array_new (FALSE, FALSE, sizeof (guint32));
}

static void
gst_acs_speaker_select_finalize (GObject * object)
{
  GstAcsSpeakerSelect *self = GST_ACS_SPEAKER_SELECT (object);

  g_array_unref (self->snapshot);
  g_array_unref (self->changes);
  g_array_unref (self->pushes);
  g_ptr_array_unref (self->slots);
  g_hash_table_unref (self->members);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_acs_speaker_select_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstAcsSpeakerSelect *self = GST_ACS_SPEAKER_SELECT (object);

  SELECT_LOCK (self);
  switch (prop_id) {
    case PROP_TOP_K:
      self->top_k = g_value_get_uint (value);
      break;
    case PROP_EXT_ID:
      self->ext_id = g_value_get_uint (value);
      break;
    case PROP_MEMBER_TIMEOUT:
      self->member_timeout = g_value_get_uint (value);
      break;
    case PROP_GAPS:
      self->gaps = g_value_get_boolean (value);
      break;
    default:
      if (!gst_acs_level_ranking_set_property (&self->ranking,
              PROP_LEVEL_WINDOW, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  SELECT_UNLOCK (self);
}

/* Must be called with SELECT_LOCK */
static void
gst_acs_speaker_select_snapshot_locked (GstAcsSpeakerSelect * self,
    GArray * ssrcs)
{
  guint i;

  g_array_set_size (ssrcs, 0);
  for (i = 0; i < self->slots->len; i++) {
    SelSlot *slot = g_ptr_array_index (self->slots, i);
    guint32 ssrc = slot->member ? slot->member->ssrc : 0;

    g_array_append_val (ssrcs, ssrc);
  }
}

static void
ssrcs_to_value_array (GValue * array, const guint32 * ssrcs, guint n)
{
  guint i;

  g_value_init (array, GST_TYPE_ARRAY);
  for (i = 0; i < n; i++) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, G_TYPE_UINT);
    g_value_set_uint (&v, ssrcs[i]);
    gst_value_array_append_and_take_value (array, &v);
  }
}

static void
gst_acs_speaker_select_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstAcsSpeakerSelect *self = GST_ACS_SPEAKER_SELECT (object);

  SELECT_LOCK (self);
  switch (prop_id) {
    case PROP_TOP_K:
      g_value_set_uint (value, self->top_k);
      break;
    case PROP_EXT_ID:
      g_value_set_uint (value, self->ext_id);
      break;
    case PROP_MEMBER_TIMEOUT:
      g_value_set_uint (value, self->member_timeout);
      break;
    case PROP_GAPS:
      g_value_set_boolean (value, self->gaps);
      break;
    case PROP_SELECTION:{
      GArray *ssrcs = g_array_new (FALSE, FALSE, sizeof (guint32));
      GValue array = G_VALUE_INIT;

      gst_acs_speaker_select_snapshot_locked (self, ssrcs);
      ssrcs_to_value_array (&array, (const guint32 *) ssrcs->data, ssrcs->len);
      g_value_copy (&array, value);
      g_value_unset (&array);
      g_array_unref (ssrcs);
      break;
    }
    case PROP_STATS:
      g_value_take_boxed (value,
          gst_structure_new ("application/x-acs-speaker-select-stats",
              "received", G_TYPE_UINT64, self->received,
              "forwarded", G_TYPE_UINT64, self->forwarded,
              "dropped-unselected", G_TYPE_UINT64, self->dropped_unselected,
              "malformed", G_TYPE_UINT64, self->malformed,
              "no-level", G_TYPE_UINT64, self->no_level,
              "bad-level", G_TYPE_UINT64, self->bad_level,
              "selection-changes", G_TYPE_UINT64, self->selection_changes,
              "members", G_TYPE_UINT, g_hash_table_size (self->members), NULL));
      break;
    default:
      if (!gst_acs_level_ranking_get_property (&self->ranking,
              PROP_LEVEL_WINDOW, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  SELECT_UNLOCK (self);
}

/* Must be called with SELECT_LOCK: forgets every member and empties the
 * slots, without reporting it */
static void
gst_acs_speaker_select_reset_locked (GstAcsSpeakerSelect * self)
{
  guint i;

  for (i = 0; i < self->slots->len; i++) {
    SelSlot *slot = g_ptr_array_index (self->slots, i);

    slot->member = NULL;
    slot->need_discont = TRUE;
    slot->covered = GST_CLOCK_TIME_NONE;
  }
  g_hash_table_remove_all (self->members);
  self->last_member = NULL;
  self->n_selected = 0;
  self->caps_ext_id = 0;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->now = GST_CLOCK_TIME_NONE;
  self->last_sweep = GST_CLOCK_TIME_NONE;
}

static GstStateChangeReturn
gst_acs_speaker_select_change_state (GstElement * element,
    GstStateChange transition)
{
  GstAcsSpeakerSelect *self = GST_ACS_SPEAKER_SELECT (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    SELECT_LOCK (self);
    gst_acs_speaker_select_reset_locked (self);
    self->received = self->forwarded = self->dropped_unselected = 0;
    self->malformed = self->no_level = self->bad_level = 0;
    self->selection_changes = 0;
    SELECT_UNLOCK (self);
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    SELECT_LOCK (self);
    gst_acs_speaker_select_reset_locked (self);
    SELECT_UNLOCK (self);
  }

  return ret;
}

/* A sticky event of the sink pad as slot @pad gets it: its own stream-id
 * in stream-start */
static GstEvent *
slot_event (GstEvent * event, GstPad * pad)
{
  const gchar *upstream_id;
  GstEvent *ev;
  gchar *id;
  guint group;
  GstStreamFlags flags;

  if (GST_EVENT_TYPE (event) != GST_EVENT_STREAM_START)
    return gst_event_ref (event);

  gst_event_parse_stream_start (event, &upstream_id);
  id = g_strdup_printf ("%s/%s", upstream_id ? upstream_id : "acsspeakerselect",
      GST_PAD_NAME (pad));
  ev = gst_event_new_stream_start (id);
  g_free (id);
  if (gst_event_parse_group_id (event, &group))
    gst_event_set_group_id (ev, group);
  gst_event_parse_stream_flags (event, &flags);
  gst_event_set_stream_flags (ev, flags);
  return ev;
}

static gboolean
copy_sticky_event (GstPad * sinkpad, GstEvent ** event, gpointer user_data)
{
  GstPad *srcpad = user_data;
  GstEvent *ev;

  if (GST_EVENT_TYPE (*event) == GST_EVENT_EOS)
    return TRUE;
  ev = slot_event (*event, srcpad);
  if (gst_pad_store_sticky_event (srcpad, ev) != GST_FLOW_OK)
    GST_DEBUG_OBJECT (srcpad, "could not store %" GST_PTR_FORMAT, ev);
  gst_event_unref (ev);
  return TRUE;
}

static GstPad *
gst_acs_speaker_select_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstAcsSpeakerSelect *self = GST_ACS_SPEAKER_SELECT (element);
  SelSlot *slot;
  GstPad *pad;
  gchar *pad_name;
  guint index, i;

  SELECT_LOCK (self);
  if (name) {
    gchar *end = NULL;
    guint64 v;

    if (!g_str_has_prefix (name, "src_"))
      goto bad_name;
    v = g_ascii_strtoull (name + 4, &end, 10);
    if (!end || *end != '\0' || end == name + 4 || v > G_MAXINT)
      goto bad_name;
    index = v;
  } else {
    /* slots are sorted: the first hole, else after the last */
    for (index = 0; index < self->slots->len; index++)
      if (((SelSlot *) g_ptr_array_index (self->slots, index))->index != index)
        break;
  }
  for (i = 0; i < self->slots->len; i++) {
    SelSlot *s = g_ptr_array_index (self->slots, i);

    if (s->index == index) {
      SELECT_UNLOCK (self);
      GST_WARNING_OBJECT (self, "pad src_%u exists already", index);
      return NULL;
    }
    if (s->index > index)
      break;
  }

  pad_name = g_strdup_printf ("src_%u", index);
  pad = gst_pad_new_from_template (templ, pad_name);
  g_free (pad_name);
  GST_PAD_SET_PROXY_CAPS (pad);
  /* As tee: a pad added while streaming gets the sink's sticky events;
   * under SELECT_LOCK, so that a sticky event stored on the sink pad after
   * the copy reaches it through the slot list (sink_event) */
  if (GST_PAD_MODE (self->sinkpad) != GST_PAD_MODE_NONE)
    gst_pad_set_active (pad, TRUE);
  gst_pad_sticky_events_foreach (self->sinkpad, copy_sticky_event, pad);
  slot = g_new0 (SelSlot, 1);
  slot->index = index;
  slot->pad = pad;
  slot->need_discont = TRUE;
  slot->covered = GST_CLOCK_TIME_NONE;
  g_ptr_array_insert (self->slots, i, slot);
  SELECT_UNLOCK (self);

  gst_element_add_pad (element, pad);
  GST_DEBUG_OBJECT (self, "slot %u added", index);
  return pad;

bad_name:
  SELECT_UNLOCK (self);
  GST_WARNING_OBJECT (self, "bad pad name %s", name);
  return NULL;
}

static void
gst_acs_speaker_select_release_pad (GstElement * element, GstPad * pad)
{
  GstAcsSpeakerSelect *self = GST_ACS_SPEAKER_SELECT (element);
  GArray *ssrcs = NULL;
  GstClockTime now = GST_CLOCK_TIME_NONE;
  guint i;

  SELECT_LOCK (self);
  for (i = 0; i < self->slots->len; i++) {
    SelSlot *slot = g_ptr_array_index (self->slots, i);

    if (slot->pad != pad)
      continue;
    if (slot->member) {
      slot->member->slot = NULL;
      self->n_selected--;
      self->selection_changes++;
    }
    g_ptr_array_remove_index (self->slots, i);
    /* the selection lost a slot: report what is left */
    ssrcs = g_array_new (FALSE, FALSE, sizeof (guint32));
    gst_acs_speaker_select_snapshot_locked (self, ssrcs);
    now = self->now;
    break;
  }
  SELECT_UNLOCK (self);

  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);

  if (ssrcs) {
    gst_acs_speaker_select_post_selection (self,
        (const guint32 *) ssrcs->data, ssrcs->len, now);
    g_array_unref (ssrcs);
  }
}

/* Pushes @event (transfer full) on every slot, stream-start with the
 * slot's own stream-id; no lock held */
static void
gst_acs_speaker_select_forward_event (GstAcsSpeakerSelect * self,
    GstEvent * event)
{
  GPtrArray *pads = g_ptr_array_new_with_free_func (gst_object_unref);
  guint i;

  SELECT_LOCK (self);
  for (i = 0; i < self->slots->len; i++) {
    SelSlot *slot = g_ptr_array_index (self->slots, i);

    g_ptr_array_add (pads, gst_object_ref (slot->pad));
  }
  SELECT_UNLOCK (self);

  for (i = 0; i < pads->len; i++) {
    GstPad *srcpad = g_ptr_array_index (pads, i);

    gst_pad_push_event (srcpad, slot_event (event, srcpad));
  }
  g_ptr_array_unref (pads);
  gst_event_unref (event);
}

static gboolean
gst_acs_speaker_select_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstAcsSpeakerSelect *self = GST_ACS_SPEAKER_SELECT (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      guint id;

      gst_event_parse_caps (event, &caps);
      id = gst_acs_audio_level_ext_id_from_caps (gst_caps_get_structure (caps,
              0));
      SELECT_LOCK (self);
      self->caps_ext_id = id;
      SELECT_UNLOCK (self);
      break;
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      SELECT_LOCK (self);
      if (segment->format == GST_FORMAT_TIME)
        gst_segment_copy_into (segment, &self->segment);
      else
        gst_segment_init (&self->segment, GST_FORMAT_TIME);
      SELECT_UNLOCK (self);
      break;
    }
    case GST_EVENT_FLUSH_STOP:{
      guint i;

      SELECT_LOCK (self);
      for (i = 0; i < self->slots->len; i++) {
        SelSlot *slot = g_ptr_array_index (self->slots, i);

        slot->need_discont = TRUE;
        slot->covered = GST_CLOCK_TIME_NONE;
      }
      SELECT_UNLOCK (self);
      break;
    }
    default:
      break;
  }

  /* stream-start, caps, segment, EOS, flushes: to every slot */
  gst_acs_speaker_select_forward_event (self, event);
  return TRUE;
}

/* The ranking of the selected members: a slot's member's track */
static GstAcsLevelTrack *
slot_level_track (gpointer item)
{
  SelSlot *slot = item;

  return slot->member ? &slot->member->level : NULL;
}

/* Must be called with SELECT_LOCK */
static gdouble
effective_level_locked (GstAcsSpeakerSelect * self, SelMember * m)
{
  return gst_acs_level_track_effective (&m->level, self->now);
}

/* Must be called with SELECT_LOCK: @slot now forwards @m (NULL: empty) */
static void
gst_acs_speaker_select_set_slot_locked (GstAcsSpeakerSelect * self,
    SelSlot * slot, SelMember * m)
{
  SelChange change;

  if (slot->member) {
    slot->member->slot = NULL;
    self->n_selected--;
  }
  slot->member = m;
  if (m) {
    m->slot = slot;
    m->level.selected_since = self->now;
    self->n_selected++;
  }
  slot->need_discont = TRUE;
  self->selection_changes++;
  change.slot = slot->index;
  change.ssrc = m ? m->ssrc : 0;
  g_array_append_val (self->changes, change);
}

/* Must be called with SELECT_LOCK. @s just reported a level: it enters the
 * selection if there is a free slot, or replaces the least active selected
 * member whose hold time has passed if it is @hysteresis dB more active.
 * Only the selected members are looked at. */
static void
gst_acs_speaker_select_update_selection_locked (GstAcsSpeakerSelect * self,
    SelMember * s, guint capacity, gdouble hysteresis, GstClockTime hold)
{
  gdouble level = effective_level_locked (self, s);
  SelSlot *target = NULL;
  gdouble weakest_level = 0.0;
  guint i;

  if (s->slot || level <= GST_ACS_LEVEL_SPEAKING_THRESHOLD)
    return;

  if (self->n_selected < capacity) {
    for (i = 0; i < self->slots->len; i++) {
      SelSlot *slot = g_ptr_array_index (self->slots, i);

      if (!slot->member) {
        target = slot;
        break;
      }
    }
    if (!target)
      return;
    GST_DEBUG_OBJECT (self, "SSRC %08x (%.1f dBov) takes slot %u", s->ssrc,
        level, target->index);
  } else {
    gint w = gst_acs_level_track_weakest (self->slots->pdata, self->slots->len,
        slot_level_track, self->now, hold, &weakest_level);

    target = w < 0 ? NULL : g_ptr_array_index (self->slots, w);
    if (!target || level <= weakest_level + hysteresis)
      return;
    GST_DEBUG_OBJECT (self, "SSRC %08x (%.1f dBov) replaces SSRC %08x "
        "(%.1f dBov) on slot %u", s->ssrc, level, target->member->ssrc,
        weakest_level, target->index);
  }
  gst_acs_speaker_select_set_slot_locked (self, target, s);
}

/* Must be called with SELECT_LOCK, at the start of a chain call at
 * running time @now: empties the slots of members that timed out or that
 * exceed @capacity, and now and then forgets the members that timed out */
static void
gst_acs_speaker_select_expire_locked (GstAcsSpeakerSelect * self,
    GstClockTime now, guint capacity, GstClockTime timeout)
{
  GHashTableIter iter;
  gpointer v;
  guint i;

  if (GST_CLOCK_TIME_IS_VALID (now)) {
    for (i = 0; i < self->slots->len; i++) {
      SelSlot *slot = g_ptr_array_index (self->slots, i);
      SelMember *m = slot->member;

      if (m && GST_CLOCK_TIME_IS_VALID (m->last_seen) &&
          now > m->last_seen + timeout) {
        GST_DEBUG_OBJECT (self, "SSRC %08x timed out, slot %u free", m->ssrc,
            slot->index);
        gst_acs_speaker_select_set_slot_locked (self, slot, NULL);
      }
    }
  }

  while (self->n_selected > capacity) {
    gdouble weakest_level;
    gint w = gst_acs_level_track_weakest (self->slots->pdata, self->slots->len,
        slot_level_track, self->now, 0, &weakest_level);
    SelSlot *weakest = g_ptr_array_index (self->slots, w);

    gst_acs_speaker_select_set_slot_locked (self, weakest, NULL);
  }

  /* The whole table, at most twice per timeout */
  if (!GST_CLOCK_TIME_IS_VALID (now))
    return;
  if (GST_CLOCK_TIME_IS_VALID (self->last_sweep) &&
      now >= self->last_sweep && now - self->last_sweep < timeout / 2)
    return;
  self->last_sweep = now;
  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, &v)) {
    SelMember *m = v;

    if (!GST_CLOCK_TIME_IS_VALID (m->last_seen) ||
        now <= m->last_seen + timeout)
      continue;
    if (m->slot)
      gst_acs_speaker_select_set_slot_locked (self, m->slot, NULL);
    if (self->last_member == m)
      self->last_member = NULL;
    GST_LOG_OBJECT (self, "forgetting SSRC %08x", m->ssrc);
    g_hash_table_iter_remove (&iter);
  }
}

/* Must be called with SELECT_LOCK. One packet at running time @now (NONE
 * if unknown): updates its member's level and the selection. Returns the
 * slot to forward it on, or NULL to drop it. */
static SelSlot *
gst_acs_speaker_select_handle_packet_locked (GstAcsSpeakerSelect * self,
    GstBuffer * buf, GstClockTime now, guint ext_id, guint window,
    guint capacity, gdouble hysteresis, GstClockTime hold)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  SelMember *m;
  guint32 ssrc;
  gint level;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)) {
    self->malformed++;
    /* rate-limited: the 1st, 2nd, 4th, 8th... */
    if ((self->malformed & (self->malformed - 1)) == 0)
      GST_WARNING_OBJECT (self, "dropping a buffer that is not RTP (%"
          G_GUINT64_FORMAT " so far)", self->malformed);
    return NULL;
  }
  self->received++;
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  level = gst_acs_audio_level_read (&rtp, ext_id);
  gst_rtp_buffer_unmap (&rtp);

  if (GST_CLOCK_TIME_IS_VALID (now) && (!GST_CLOCK_TIME_IS_VALID (self->now)
          || now > self->now))
    self->now = now;

  m = self->last_member;
  if (!m || m->ssrc != ssrc) {
    m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (ssrc));
    if (!m) {
      m = g_new0 (SelMember, 1);
      m->ssrc = ssrc;
      gst_acs_level_track_init (&m->level);
      g_hash_table_insert (self->members, GUINT_TO_POINTER (ssrc), m);
      GST_DEBUG_OBJECT (self, "new member, SSRC %08x", ssrc);
    }
    self->last_member = m;
  }
  m->last_seen = GST_CLOCK_TIME_IS_VALID (now) ? now : self->now;

  if (level == -2) {
    self->bad_level++;
  } else if (level < 0) {
    self->no_level++;
  } else {
    gst_acs_level_track_update (&m->level, level, now, self->now, window);

    gst_acs_speaker_select_update_selection_locked (self, m, capacity,
        hysteresis, hold);
  }

  if (!m->slot) {
    self->dropped_unselected++;
    return NULL;
  }
  self->forwarded++;
  return m->slot;
}

/* Must be called with SELECT_LOCK: what @slot has to push so far (its
 * output of this chain call), then @event if not NULL, go to
 * self->pushes, in that order */
static void
gst_acs_speaker_select_queue_locked (GstAcsSpeakerSelect * self,
    SelSlot * slot, GstEvent * event)
{
  SelPush push = { NULL, NULL, NULL, NULL };

  if (slot->out_buf || slot->out_list) {
    push.pad = gst_object_ref (slot->pad);
    push.buf = g_steal_pointer (&slot->out_buf);
    push.list = g_steal_pointer (&slot->out_list);
    g_array_append_val (self->pushes, push);
  }
  if (event) {
    push.pad = gst_object_ref (slot->pad);
    push.buf = NULL;
    push.list = NULL;
    push.event = event;
    g_array_append_val (self->pushes, push);
  }
}

/* Must be called with SELECT_LOCK: @buf (owned by the caller) leaves on
 * @slot; returns the buffer to queue (a new reference). The first packet
 * of a new member on a slot is preceded by an acs-decoder-reset event */
static GstBuffer *
gst_acs_speaker_select_prepare_locked (GstAcsSpeakerSelect * self,
    SelSlot * slot, GstBuffer * buf, GstClockTime now)
{
  GstClockTime dur = GST_BUFFER_DURATION_IS_VALID (buf) ?
      GST_BUFFER_DURATION (buf) : GST_ACS_LEVEL_PACKET_TIME;

  buf = gst_buffer_ref (buf);
  if (slot->need_discont) {
    GstStructure *s = gst_structure_new (ACS_DECODER_RESET_EVENT,
        "slot", G_TYPE_UINT, slot->index, "ssrc", G_TYPE_UINT,
        slot->member ? slot->member->ssrc : 0, NULL);

    GST_DEBUG_OBJECT (self, "slot %u: DISCONT", slot->index);
    gst_acs_speaker_select_queue_locked (self, slot,
        gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s));
    buf = gst_buffer_make_writable (buf);
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    slot->need_discont = FALSE;
  }
  if (GST_CLOCK_TIME_IS_VALID (now) && (!GST_CLOCK_TIME_IS_VALID
          (slot->covered) || now + dur > slot->covered))
    slot->covered = now + dur;
  return buf;
}

/* Must be called with SELECT_LOCK, at the end of a chain call whose input
 * spans running time @start to @end: moves each slot's output, and the
 * GAP events of empty slots, to self->pushes */
static void
gst_acs_speaker_select_collect_locked (GstAcsSpeakerSelect * self,
    GstClockTime start, GstClockTime end, gboolean gaps)
{
  guint i;

  for (i = 0; i < self->slots->len; i++) {
    SelSlot *slot = g_ptr_array_index (self->slots, i);
    SelPush push = { NULL, NULL, NULL, NULL };

    if (slot->out_buf || slot->out_list) {
      gst_acs_speaker_select_queue_locked (self, slot, NULL);
      continue;
    } else if (gaps && !slot->member && GST_CLOCK_TIME_IS_VALID (start) &&
        GST_CLOCK_TIME_IS_VALID (end) && end > start &&
        (!GST_CLOCK_TIME_IS_VALID (slot->covered) || end > slot->covered)) {
      GstClockTime from = start;
      GstClockTime pts;

      if (GST_CLOCK_TIME_IS_VALID (slot->covered) && slot->covered > start)
        from = slot->covered;
      pts = gst_segment_position_from_running_time (&self->segment,
          GST_FORMAT_TIME, from);
      slot->covered = end;
      if (!GST_CLOCK_TIME_IS_VALID (pts))
        continue;
      push.event = gst_event_new_gap (pts, end - from);
    } else {
      continue;
    }
    push.pad = gst_object_ref (slot->pad);
    g_array_append_val (self->pushes, push);
  }

  if (self->changes->len > 0) {
    gst_acs_speaker_select_snapshot_locked (self, self->snapshot);
    self->snapshot_time = self->now;
  }
}

/* Posts the acs-speaker-selection message; no lock held */
static void
gst_acs_speaker_select_post_selection (GstAcsSpeakerSelect * self,
    const guint32 * ssrcs, guint n, GstClockTime time)
{
  GstStructure *s = gst_structure_new_empty ("acs-speaker-selection");
  GValue array = G_VALUE_INIT;

  ssrcs_to_value_array (&array, ssrcs, n);
  gst_structure_take_value (s, "slots", &array);
  gst_structure_set (s, "running-time", G_TYPE_UINT64, time, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* Emits, posts and pushes what the chain call collected; no lock held,
 * sink pad STREAM_LOCK */
static void
gst_acs_speaker_select_finish (GstAcsSpeakerSelect * self)
{
  guint i;

  if (self->changes->len > 0) {
    for (i = 0; i < self->changes->len; i++) {
      SelChange *c = &g_array_index (self->changes, SelChange, i);

      GST_INFO_OBJECT (self, "slot %u: SSRC %08x", c->slot, c->ssrc);
      g_signal_emit (self,
          gst_acs_speaker_select_signals[SIGNAL_SELECTION_CHANGED], 0,
          c->slot, c->ssrc);
    }
    g_array_set_size (self->changes, 0);
    gst_acs_speaker_select_post_selection (self,
        (const guint32 *) self->snapshot->data, self->snapshot->len,
        self->snapshot_time);
  }

  for (i = 0; i < self->pushes->len; i++) {
    SelPush *p = &g_array_index (self->pushes, SelPush, i);
    GstFlowReturn ret = GST_FLOW_OK;

    if (p->buf)
      ret = gst_pad_push (p->pad, p->buf);
    else if (p->list)
      ret = gst_pad_push_list (p->pad, p->list);
    else if (p->event)
      gst_pad_push_event (p->pad, p->event);
    /* One slot's downstream does not concern the others */
    if (ret != GST_FLOW_OK && ret != GST_FLOW_NOT_LINKED &&
        ret != GST_FLOW_FLUSHING)
      GST_DEBUG_OBJECT (self, "push on %s: %s", GST_PAD_NAME (p->pad),
          gst_flow_get_name (ret));
    gst_object_unref (p->pad);
  }
  g_array_set_size (self->pushes, 0);
}

static GstFlowReturn
gst_acs_speaker_select_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstAcsSpeakerSelect *self = GST_ACS_SPEAKER_SELECT (parent);
  GstClockTime now, end = GST_CLOCK_TIME_NONE;
  guint capacity;
  SelSlot *slot;

  SELECT_LOCK (self);
  capacity = MIN (self->top_k, self->slots->len);
  now = gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (GST_CLOCK_TIME_IS_VALID (now))
    end = now + (GST_BUFFER_DURATION_IS_VALID (buf) ?
        GST_BUFFER_DURATION (buf) : GST_ACS_LEVEL_PACKET_TIME);

  gst_acs_speaker_select_expire_locked (self, now, capacity,
      self->member_timeout * GST_MSECOND);
  slot = gst_acs_speaker_select_handle_packet_locked (self, buf, now,
      self->ext_id ? self->ext_id : self->caps_ext_id, self->ranking.window,
      capacity, self->ranking.hysteresis,
      self->ranking.hold_time * GST_MSECOND);
  if (slot)
    slot->out_buf = gst_acs_speaker_select_prepare_locked (self, slot, buf,
        now);
  gst_acs_speaker_select_collect_locked (self, now, end, self->gaps);
  SELECT_UNLOCK (self);

  gst_buffer_unref (buf);
  gst_acs_speaker_select_finish (self);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_acs_speaker_select_chain_list (GstPad * pad, GstObject * parent,
    GstBufferList * list)
{
  GstAcsSpeakerSelect *self = GST_ACS_SPEAKER_SELECT (parent);
  GstClockTime first_pts = GST_CLOCK_TIME_NONE;
  GstClockTime start = GST_CLOCK_TIME_NONE, end = GST_CLOCK_TIME_NONE;
  guint n = gst_buffer_list_length (list);
  guint capacity, ext_id, window, i;
  gdouble hysteresis;
  GstClockTime hold;

  if (n > 0)
    first_pts = GST_BUFFER_PTS (gst_buffer_list_get (list, 0));

  SELECT_LOCK (self);
  capacity = MIN (self->top_k, self->slots->len);
  ext_id = self->ext_id ? self->ext_id : self->caps_ext_id;
  window = self->ranking.window;
  hysteresis = self->ranking.hysteresis;
  hold = self->ranking.hold_time * GST_MSECOND;
  start = gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME,
      first_pts);

  gst_acs_speaker_select_expire_locked (self, start, capacity,
      self->member_timeout * GST_MSECOND);
  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_list_get (list, i);
    GstClockTime pts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
        first_pts;
    GstClockTime now = gst_segment_to_running_time (&self->segment,
        GST_FORMAT_TIME, pts);
    SelSlot *slot;

    if (GST_CLOCK_TIME_IS_VALID (now)) {
      GstClockTime e = now + (GST_BUFFER_DURATION_IS_VALID (buf) ?
          GST_BUFFER_DURATION (buf) : GST_ACS_LEVEL_PACKET_TIME);

      if (!GST_CLOCK_TIME_IS_VALID (start) || now < start)
        start = now;
      if (!GST_CLOCK_TIME_IS_VALID (end) || e > end)
        end = e;
    }
    slot = gst_acs_speaker_select_handle_packet_locked (self, buf, now,
        ext_id, window, capacity, hysteresis, hold);
    if (!slot)
      continue;
    /* first: a new member's event may send the list so far on its way */
    buf = gst_acs_speaker_select_prepare_locked (self, slot, buf, now);
    if (!slot->out_list)
      slot->out_list = gst_buffer_list_new_sized (n - i);
    gst_buffer_list_add (slot->out_list, buf);
  }
  gst_acs_speaker_select_collect_locked (self, start, end, self->gaps);
  SELECT_UNLOCK (self);

  gst_buffer_list_unref (list);
  gst_acs_speaker_select_finish (self);
  return GST_FLOW_OK;
}

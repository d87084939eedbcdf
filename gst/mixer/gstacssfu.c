/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: selective forwarding of group-call RTP (SFU mode of acsmixer)
 */

/**
 * SECTION:element-acssfu
 * @title: acssfu
 * @see_also: acsmixer, acsaudiolevelgate
 *
 * The SFU mode of a group call: members' RTP in, per-member RTP out, never
 * decoded. Member N sends on `sink_N` and receives on `src_N`.
 *
 * Members are ranked by the RFC 6464 audio level of their RTP (one-byte or
 * two-byte RFC 8285 header extension; ID from `ext-id` or from an `extmap-N`
 * caps field naming `urn:ietf:params:rtp-hdrext:ssrc-audio-level`),
 * smoothed over `level-window`. The element selects the `top-k` + 1 most
 * active speakers, with `hysteresis` and `hold-time`, so that every member
 * receives the top K speakers other than itself.
 *
 * Each receiver has `top-k` outgoing slots, each with its own SSRC. A slot
 * forwards one selected sender; when the selection changes, a slot switches
 * to another sender and stays one continuous stream: the SSRC is the
 * slot's, sequence numbers go on from the last one sent (+1), the RTP
 * timestamp goes on by the real time elapsed since the slot's last packet,
 * and the first packet after a switch carries the marker bit.
 *
 * Video goes on a second pad pair per member, `video_sink_N` and
 * `video_src_N`. Each receiver gets the video of `last-n` members, itself
 * excluded: the selected speakers first, then those who left the selection
 * most recently, then members who never spoke, lowest index first; on `last-n`
 * video slots rewritten the same way (without touching the marker bit,
 * which ends a video frame). When a video slot switches to another sender,
 * the element asks that sender for a keyframe (a PLI on its
 * `video_src_N`).
 *
 * The most active selected speaker, with the same `hysteresis` and
 * `hold-time`, is the dominant speaker: when it changes the element posts
 * an `acs-dominant-speaker` element message and emits
 * #GstAcsSfu::on-dominant-speaker, as #acsmixer does.
 *
 * RTCP multiplexed on a receiver's `sink_N` or `video_sink_N` (RFC 5761:
 * packet types 192 to 223) is read for feedback about its slots: PLI, FIR
 * and generic NACK are rewritten to the SSRC (and, for NACK, the sequence
 * numbers) of the sender that was forwarded and pushed on that sender's
 * `src_%u` (audio slots) or `video_src_%u` (video slots). Other RTCP is
 * terminated here.
 *
 * Threading: each `sink_%u` chain function does the work for its packets
 * and pushes on the receivers' `src_%u` pads after dropping the lock, so
 * several members' streaming threads may push on one `src_%u`, and one
 * sender's thread on many: as after tee, sinks that wait for preroll can
 * hold the pipeline out of PLAYING, so give them `async=false` (or a queue
 * per receiver).
 *
 * Events on a member's sink pads describe its own stream and stay here,
 * but for the end: once every member's sink pads have ended (EOS), every
 * src pad ends too.
 *
 * Lock order: SFU_LOCK, then GST_OBJECT_LOCK (never held together in
 * practice: properties are copied first).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 acssfu name=s top-k=3 \
 *   udpsrc port=5000 caps="application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,extmap-1=urn:ietf:params:rtp-hdrext:ssrc-audio-level" ! s.sink_0 \
 *   s.src_0 ! udpsink host=192.0.2.1 port=5000
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include <gst/rtp/rtp.h>

#include "gstacssfu.h"
#include "gstacsaudiolevel.h"
#include "gstacsmixerelements.h"

GST_DEBUG_CATEGORY_STATIC (gst_acs_sfu_debug);
#define GST_CAT_DEFAULT gst_acs_sfu_debug


#define DEFAULT_TOP_K 3
#define DEFAULT_EXT_ID 0
#define DEFAULT_LAST_N 4
/* At most one keyframe request per video sender in this much time */
#define KEYFRAME_REQUEST_INTERVAL (100 * GST_MSECOND)

/* Forwarded packets remembered per slot, to map NACKs back (power of 2) */
#define HISTORY_SIZE 1024

enum
{
  PROP_0,
  PROP_TOP_K,
  PROP_EXT_ID,
  PROP_LEVEL_WINDOW,
  PROP_HYSTERESIS,
  PROP_HOLD_TIME,
  PROP_LAST_N,
  PROP_RANKING,
  PROP_STATS,
};

/* gst_acs_level_ranking_set_property() counts from PROP_LEVEL_WINDOW */
G_STATIC_ASSERT (PROP_HYSTERESIS == PROP_LEVEL_WINDOW + 1
    && PROP_HOLD_TIME == PROP_LEVEL_WINDOW + 2);

enum
{
  SIGNAL_ON_DOMINANT_SPEAKER,
  LAST_SIGNAL,
};

static guint gst_acs_sfu_signals[LAST_SIGNAL];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtp"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src_%u",
    GST_PAD_SRC,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtp"));

static GstStaticPadTemplate video_sink_template =
GST_STATIC_PAD_TEMPLATE ("video_sink_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtp"));

static GstStaticPadTemplate video_src_template =
GST_STATIC_PAD_TEMPLATE ("video_src_%u",
    GST_PAD_SRC,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtp"));

typedef struct
{
  gboolean valid;
  guint16 out_seq;
  guint16 in_seq;
  guint sender;
  guint32 sender_ssrc;
} SfuHistory;

/* One outgoing stream of a receiver; all fields SFU_LOCK */
typedef struct
{
  guint receiver;
  gboolean video;               /* a video_src slot, else audio */
  guint32 ssrc;
  gint sender;                  /* member forwarded, -1 when idle */
  gint last_sender;             /* last member forwarded, -1 before any */
  gboolean started;
  gboolean switched;            /* rebase seq/ts and set the marker */
  guint16 seq_offset;
  guint32 ts_offset;
  guint16 last_seq;
  guint32 last_ts;
  GstClockTime last_time;
  SfuHistory history[HISTORY_SIZE];
} SfuSlot;

/* All fields SFU_LOCK */
typedef struct
{
  guint index;
  GstPad *sinkpad;              /* owned by the element, NULL once released */
  GstPad *srcpad;

  /* as a sender */
  GstCaps *caps;                /* without per-SSRC fields */
  guint caps_ext_id;
  gint clock_rate;
  gboolean video;
  GstSegment segment;
  gboolean have_ssrc;
  guint32 ssrc;
  GstAcsLevelTrack level;       /* smoothed, dBov */
  gboolean selected;
  guint8 fir_seq;

  /* as a receiver */
  GPtrArray *slots;             /* SfuSlot, top-k of them while srcpad */
  gboolean src_configured;

  /* video, the same per stream (no level) */
  GstPad *video_sinkpad;        /* owned by the element, NULL once released */
  GstPad *video_srcpad;
  GstCaps *video_caps;
  gint video_clock_rate;
  GstSegment video_segment;
  gboolean have_video_ssrc;
  guint32 video_ssrc;
  guint8 video_fir_seq;
  GstClockTime keyframe_time;   /* last keyframe request sent to it */
  gboolean video_selected;      /* among the last-n + 1 forwarded */
  gboolean eos;                 /* sink_N has ended (until a new stream) */
  gboolean video_eos;           /* the same for video_sink_N */
  guint64 spoke;                /* order of its last entry into or exit
                                 * from the speaker selection, 0 if never */
  GPtrArray *video_slots;       /* SfuSlot, last-n of them while video_srcpad */
  gboolean video_src_configured;
} SfuMember;

struct _GstAcsSfu
{
  GstElement parent;

  /* properties, GST_OBJECT_LOCK */
  guint top_k;
  guint ext_id;
  GstAcsLevelRanking ranking;
  guint last_n;

  GMutex lock;                  /* SFU_LOCK */
  /* SFU_LOCK */
  GHashTable *members;          /* index -> SfuMember */
  GHashTable *slot_ssrcs;       /* slot SSRC -> SfuSlot */
  GPtrArray *selected;          /* SfuMember, at most top-k + 1 */
  GstClockTime now;             /* latest running time seen */
  guint64 spoke_counter;
  guint video_n;                /* last-n, as the video slots were made */
  gint dominant;                /* member index, -1 for none */
  GstClockTime dominant_since;
  gboolean ended;               /* the src pads got their EOS */

  /* counters, SFU_LOCK */
  guint64 received;
  guint64 forwarded;
  guint64 malformed;
  guint64 no_level;
  guint64 bad_level;
  guint64 unsupported;
  guint64 rtcp_received;
  guint64 rtcp_ignored;
  guint64 feedback_forwarded;
  guint64 feedback_unroutable;
  guint64 nack_mapped;
  guint64 nack_unmapped;
  guint64 selection_changes;
  guint64 slot_switches;
  guint64 video_received;
  guint64 video_forwarded;
  guint64 keyframe_requests;
  guint64 dominant_changes;
};

#define SFU_LOCK(s) g_mutex_lock (&(s)->lock)
#define SFU_UNLOCK(s) g_mutex_unlock (&(s)->lock)

/* A buffer to push once SFU_LOCK is dropped */
typedef struct
{
  GstPad *pad;
  GstBuffer *buf;
  GstCaps *configure;           /* push stream-start, caps, segment first */
} SfuPush;

/* What a chain function does once SFU_LOCK is dropped */
typedef struct
{
  GArray *pushes;               /* SfuPush */
  gboolean dominant_changed;
  gint dominant;
  gint previous;
  GstClockTime time;
} SfuWork;

#define gst_acs_sfu_parent_class parent_class
G_DEFINE_TYPE (GstAcsSfu, gst_acs_sfu, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (acssfu, "acssfu", GST_RANK_NONE, GST_TYPE_ACS_SFU);

static void gst_acs_sfu_finalize (GObject * object);
static void gst_acs_sfu_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_acs_sfu_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_acs_sfu_change_state (GstElement * element,
    GstStateChange transition);
static GstPad *gst_acs_sfu_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_acs_sfu_release_pad (GstElement * element, GstPad * pad);
static GstFlowReturn gst_acs_sfu_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf);
static gboolean gst_acs_sfu_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_acs_sfu_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static GstFlowReturn gst_acs_sfu_video_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buf);
static void gst_acs_sfu_post_dominant (GstAcsSfu * self, gint member,
    gint previous, GstClockTime time);
static void gst_acs_sfu_request_keyframe_locked (GstAcsSfu * self,
    SfuMember * s, SfuSlot * slot, GstClockTime now, GArray * pushes);
static void gst_acs_sfu_resize_slots_locked (GstAcsSfu * self,
    SfuMember * m, guint n, gboolean video);
static void gst_acs_sfu_assign_all_locked (GstAcsSfu * self);

static void
gst_acs_sfu_class_init (GstAcsSfuClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  GST_DEBUG_CATEGORY_INIT (gst_acs_sfu_debug, "acssfu", 0,
      "gst-acs selective forwarding unit");

  gst_element_class_set_static_metadata (element_class,
      "Group-call RTP forwarder", "Filter/Network/RTP",
      "Forwards to every member the RTP of the most active other speakers, "
      "with per-receiver slots rewritten to continuous streams, and routes "
      "RTCP feedback back to the senders", "gst-acs");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class,
      &video_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &video_src_template);

  gobject_class->finalize = gst_acs_sfu_finalize;
  gobject_class->set_property = gst_acs_sfu_set_property;
  gobject_class->get_property = gst_acs_sfu_get_property;

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_acs_sfu_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_acs_sfu_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_acs_sfu_release_pad);

  /**
   * GstAcsSfu:top-k:
   *
   * Each receiver gets this many slots (outgoing SSRCs) and receives the K
   * most active speakers other than itself; the element selects K + 1
   * speakers. Changing it re-creates every receiver's slots (new SSRCs),
   * hence NULL or READY only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TOP_K,
      g_param_spec_uint ("top-k", "Top K",
          "Number of speakers (and of outgoing SSRC slots) each member "
          "receives, 1 to 64; NULL or READY only", 1, 64, DEFAULT_TOP_K,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_EXT_ID,
      g_param_spec_uint ("ext-id", "Extension ID",
          "RTP header extension ID of the RFC 6464 audio level, 1 to 255; "
          "0 takes it from an extmap-N caps field naming "
          GST_ACS_AUDIO_LEVEL_URI "; any state", 0, 255, DEFAULT_EXT_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_acs_level_install_ranking_properties (gobject_class, PROP_LEVEL_WINDOW,
      PROP_HYSTERESIS, PROP_HOLD_TIME);

  /**
   * GstAcsSfu:last-n:
   *
   * Each receiver of video (`video_src_N`) gets this many video slots and
   * receives the video of N members other than itself: the selected
   * speakers, then the members who left the speaker selection most
   * recently, then members who never spoke, lowest index first. 0 forwards
   * no video. Changing it re-creates every receiver's video slots, hence
   * NULL or READY only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LAST_N,
      g_param_spec_uint ("last-n", "Last N",
          "Number of members whose video (and of video SSRC slots) each "
          "member receives: the current and most recent speakers, 0 to 64; "
          "NULL or READY only", 0, 64, DEFAULT_LAST_N,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstAcsSfu:ranking:
   *
   * An `application/x-acs-sfu-ranking` structure: `selected` (array of
   * guint, member indices, most active first), `members` (array of guint,
   * every sending member, most active first), `levels` (array of
   * gdouble, their smoothed levels in dBov), `dominant` (gint, the
   * dominant speaker, -1 for none) and `video` (array of guint, the
   * members whose video is forwarded, most recent speaker first).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_RANKING,
      g_param_spec_boxed ("ranking", "Ranking",
          "The selected speakers and every member's smoothed audio level, "
          "most active first (see the element documentation)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstAcsSfu:stats:
   *
   * An `application/x-acs-sfu-stats` structure of guint64 counters:
   * `packets-received`, `packets-forwarded` (one per receiver),
   * `packets-malformed` (neither RTP nor RTCP), `packets-without-level`,
   * `levels-invalid` (audio-level extension of the wrong size),
   * `packets-unsupported` (video caps on an audio `sink_N`),
   * `rtcp-received`, `rtcp-ignored`, `feedback-forwarded`,
   * `feedback-unroutable`, `nack-mapped`, `nack-unmapped`,
   * `selection-changes`, `slot-switches`, `video-packets-received`,
   * `video-packets-forwarded` (one per receiver), `keyframe-requests`
   * (PLIs sent on video switches), `dominant-changes`, and `members`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Packet, RTCP feedback and selection counters (see the element "
          "documentation)", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstAcsSfu::on-dominant-speaker:
   * @sfu: the #GstAcsSfu
   * @member: index N of the new dominant speaker's `sink_N` pad, or -1
   * @previous: index of the previous dominant speaker, or -1
   *
   * The dominant speaker (the most active selected speaker, with
   * `hysteresis` and `hold-time`) changed. Emitted on the streaming thread
   * of the member whose packet caused it (or the thread releasing the
   * dominant speaker's pad), with no lock held, right after the
   * `acs-dominant-speaker` element message (fields `member`, `previous`
   * and `running-time`) is posted.
   *
   * Since: 0.1
   */
  gst_acs_sfu_signals[SIGNAL_ON_DOMINANT_SPEAKER] =
      g_signal_new ("on-dominant-speaker", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT,
      G_TYPE_INT);
}

static void
sfu_member_free (SfuMember * m)
{
  gst_clear_caps (&m->caps);
  gst_clear_caps (&m->video_caps);
  g_clear_pointer (&m->slots, g_ptr_array_unref);
  g_clear_pointer (&m->video_slots, g_ptr_array_unref);
  g_free (m);
}

static void
gst_acs_sfu_init (GstAcsSfu * self)
{
  self->top_k = DEFAULT_TOP_K;
  self->ext_id = DEFAULT_EXT_ID;
  gst_acs_level_ranking_init (&self->ranking);
  self->last_n = DEFAULT_LAST_N;
  self->video_n = DEFAULT_LAST_N;
  self->dominant = -1;
  self->dominant_since = GST_CLOCK_TIME_NONE;

  g_mutex_init (&self->lock);
  self->members = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) sfu_member_free);
  self->slot_ssrcs = g_hash_table_new (NULL, NULL);
  self->selected = g_ptr_array_new ();
  self->now = GST_CLOCK_TIME_NONE;
}

static void
gst_acs_sfu_finalize (GObject * object)
{
  GstAcsSfu *self = GST_ACS_SFU (object);

  g_ptr_array_unref (self->selected);
  g_hash_table_unref (self->slot_ssrcs);
  g_hash_table_unref (self->members);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_acs_sfu_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstAcsSfu *self = GST_ACS_SFU (object);

  switch (prop_id) {
    case PROP_TOP_K:{
      guint k = g_value_get_uint (value);
      GHashTableIter iter;
      gpointer v;

      GST_OBJECT_LOCK (self);
      self->top_k = k;
      GST_OBJECT_UNLOCK (self);

      SFU_LOCK (self);
      g_hash_table_iter_init (&iter, self->members);
      while (g_hash_table_iter_next (&iter, NULL, &v)) {
        SfuMember *m = v;

        if (m->srcpad)
          gst_acs_sfu_resize_slots_locked (self, m, k, FALSE);
      }
      while (self->selected->len > k + 1) {
        SfuMember *m = g_ptr_array_index (self->selected,
            self->selected->len - 1);

        m->selected = FALSE;
        g_ptr_array_remove_index (self->selected, self->selected->len - 1);
      }
      gst_acs_sfu_assign_all_locked (self);
      SFU_UNLOCK (self);
      break;
    }
    case PROP_LAST_N:{
      guint n = g_value_get_uint (value);
      GHashTableIter iter;
      gpointer v;

      GST_OBJECT_LOCK (self);
      self->last_n = n;
      GST_OBJECT_UNLOCK (self);

      SFU_LOCK (self);
      self->video_n = n;
      g_hash_table_iter_init (&iter, self->members);
      while (g_hash_table_iter_next (&iter, NULL, &v)) {
        SfuMember *m = v;

        if (m->video_srcpad)
          gst_acs_sfu_resize_slots_locked (self, m, n, TRUE);
      }
      gst_acs_sfu_assign_all_locked (self);
      SFU_UNLOCK (self);
      break;
    }
    case PROP_EXT_ID:
      GST_OBJECT_LOCK (self);
      self->ext_id = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:{
      gboolean ranking;

      GST_OBJECT_LOCK (self);
      ranking = gst_acs_level_ranking_set_property (&self->ranking,
          PROP_LEVEL_WINDOW, prop_id, value);
      GST_OBJECT_UNLOCK (self);
      if (!ranking)
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
      break;
  }
}

static GstAcsLevelTrack *
member_level_track (gpointer item)
{
  return &((SfuMember *) item)->level;
}

/* Must be called with SFU_LOCK */
static gdouble
effective_level_locked (GstAcsSfu * self, SfuMember * m)
{
  return gst_acs_level_track_effective (&m->level, self->now);
}

static gint
compare_level (gconstpointer a, gconstpointer b, gpointer user_data)
{
  GstAcsSfu *self = user_data;
  gdouble la = effective_level_locked (self, *(SfuMember **) a);
  gdouble lb = effective_level_locked (self, *(SfuMember **) b);

  if (la != lb)
    return la > lb ? -1 : 1;
  return (gint) (*(SfuMember **) a)->index - (gint) (*(SfuMember **) b)->index;
}

/* The order of last-n: the selected speakers, latest entry first, then
 * the former speakers, latest to leave first, then the others by index */
static gint
compare_spoke (gconstpointer a, gconstpointer b)
{
  const SfuMember *ma = *(SfuMember **) a, *mb = *(SfuMember **) b;

  if (ma->selected != mb->selected)
    return ma->selected ? -1 : 1;
  if (ma->spoke != mb->spoke)
    return ma->spoke > mb->spoke ? -1 : 1;
  return (gint) ma->index - (gint) mb->index;
}

/* Must be called with SFU_LOCK: the members whose video is forwarded,
 * most recent speaker first */
static GPtrArray *
video_ranked_locked (GstAcsSfu * self)
{
  GPtrArray *ranked = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer v;

  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, &v))
    if (((SfuMember *) v)->video_selected)
      g_ptr_array_add (ranked, v);
  g_ptr_array_sort (ranked, compare_spoke);
  return ranked;
}

static GstStructure *
gst_acs_sfu_ranking (GstAcsSfu * self)
{
  GValue selected = G_VALUE_INIT, members = G_VALUE_INIT, levels = G_VALUE_INIT;
  GValue video = G_VALUE_INIT;
  GPtrArray *all = g_ptr_array_new ();
  GPtrArray *sel, *vid;
  GstStructure *s;
  gint dominant;
  GHashTableIter iter;
  gpointer v;
  guint i;

  gst_value_array_init (&selected, 0);
  gst_value_array_init (&members, 0);
  gst_value_array_init (&levels, 0);
  gst_value_array_init (&video, 0);

  SFU_LOCK (self);
  dominant = self->dominant;
  vid = video_ranked_locked (self);
  for (i = 0; i < vid->len; i++) {
    GValue u = G_VALUE_INIT;

    g_value_init (&u, G_TYPE_UINT);
    g_value_set_uint (&u, ((SfuMember *) g_ptr_array_index (vid, i))->index);
    gst_value_array_append_and_take_value (&video, &u);
  }
  g_ptr_array_unref (vid);
  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, &v))
    if (((SfuMember *) v)->sinkpad)
      g_ptr_array_add (all, v);
  g_ptr_array_sort_with_data (all, compare_level, self);
  sel = g_ptr_array_copy (self->selected, NULL, NULL);
  g_ptr_array_sort_with_data (sel, compare_level, self);
  for (i = 0; i < sel->len; i++) {
    GValue u = G_VALUE_INIT;

    g_value_init (&u, G_TYPE_UINT);
    g_value_set_uint (&u, ((SfuMember *) g_ptr_array_index (sel, i))->index);
    gst_value_array_append_and_take_value (&selected, &u);
  }
  for (i = 0; i < all->len; i++) {
    SfuMember *m = g_ptr_array_index (all, i);
    GValue u = G_VALUE_INIT, d = G_VALUE_INIT;

    g_value_init (&u, G_TYPE_UINT);
    g_value_set_uint (&u, m->index);
    gst_value_array_append_and_take_value (&members, &u);
    g_value_init (&d, G_TYPE_DOUBLE);
    g_value_set_double (&d, effective_level_locked (self, m));
    gst_value_array_append_and_take_value (&levels, &d);
  }
  SFU_UNLOCK (self);

  s = gst_structure_new_empty ("application/x-acs-sfu-ranking");
  gst_structure_take_value (s, "selected", &selected);
  gst_structure_take_value (s, "members", &members);
  gst_structure_take_value (s, "levels", &levels);
  gst_structure_set (s, "dominant", G_TYPE_INT, dominant, NULL);
  gst_structure_take_value (s, "video", &video);
  g_ptr_array_unref (sel);
  g_ptr_array_unref (all);
  return s;
}

static void
gst_acs_sfu_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstAcsSfu *self = GST_ACS_SFU (object);

  switch (prop_id) {
    case PROP_TOP_K:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->top_k);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_EXT_ID:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->ext_id);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_LAST_N:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->last_n);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_RANKING:
      g_value_take_boxed (value, gst_acs_sfu_ranking (self));
      break;
    case PROP_STATS:
      SFU_LOCK (self);
      g_value_take_boxed (value,
          gst_structure_new ("application/x-acs-sfu-stats",
              "packets-received", G_TYPE_UINT64, self->received,
              "packets-forwarded", G_TYPE_UINT64, self->forwarded,
              "packets-malformed", G_TYPE_UINT64, self->malformed,
              "packets-without-level", G_TYPE_UINT64, self->no_level,
              "levels-invalid", G_TYPE_UINT64, self->bad_level,
              "packets-unsupported", G_TYPE_UINT64, self->unsupported,
              "rtcp-received", G_TYPE_UINT64, self->rtcp_received,
              "rtcp-ignored", G_TYPE_UINT64, self->rtcp_ignored,
              "feedback-forwarded", G_TYPE_UINT64, self->feedback_forwarded,
              "feedback-unroutable", G_TYPE_UINT64, self->feedback_unroutable,
              "nack-mapped", G_TYPE_UINT64, self->nack_mapped,
              "nack-unmapped", G_TYPE_UINT64, self->nack_unmapped,
              "selection-changes", G_TYPE_UINT64, self->selection_changes,
              "slot-switches", G_TYPE_UINT64, self->slot_switches,
              "video-packets-received", G_TYPE_UINT64, self->video_received,
              "video-packets-forwarded", G_TYPE_UINT64,
              self->video_forwarded,
              "keyframe-requests", G_TYPE_UINT64, self->keyframe_requests,
              "dominant-changes", G_TYPE_UINT64, self->dominant_changes,
              "members", G_TYPE_UINT64,
              (guint64) g_hash_table_size (self->members), NULL));
      SFU_UNLOCK (self);
      break;
    default:{
      gboolean ranking;

      GST_OBJECT_LOCK (self);
      ranking = gst_acs_level_ranking_get_property (&self->ranking,
          PROP_LEVEL_WINDOW, prop_id, value);
      GST_OBJECT_UNLOCK (self);
      if (!ranking)
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
      break;
  }
}

static GstStateChangeReturn
gst_acs_sfu_change_state (GstElement * element, GstStateChange transition)
{
  GstAcsSfu *self = GST_ACS_SFU (element);
  GstStateChangeReturn ret;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    GHashTableIter iter;
    gpointer v;

    SFU_LOCK (self);
    g_hash_table_iter_init (&iter, self->members);
    while (g_hash_table_iter_next (&iter, NULL, &v)) {
      SfuMember *m = v;

      m->selected = FALSE;
      m->level.time = GST_CLOCK_TIME_NONE;
      m->src_configured = FALSE;
      m->video_src_configured = FALSE;
      m->spoke = 0;
      m->keyframe_time = GST_CLOCK_TIME_NONE;
      m->eos = FALSE;
      m->video_eos = FALSE;
    }
    g_ptr_array_set_size (self->selected, 0);
    self->ended = FALSE;
    self->now = GST_CLOCK_TIME_NONE;
    self->dominant = -1;
    self->dominant_since = GST_CLOCK_TIME_NONE;
    gst_acs_sfu_assign_all_locked (self);
    SFU_UNLOCK (self);
  }

  return ret;
}

/* Must be called with SFU_LOCK */
static SfuMember *
gst_acs_sfu_get_member_locked (GstAcsSfu * self, guint index)
{
  SfuMember *m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (index));

  if (m)
    return m;
  m = g_new0 (SfuMember, 1);
  m->index = index;
  m->clock_rate = 48000;
  gst_acs_level_track_init (&m->level);
  m->video_clock_rate = 90000;
  m->keyframe_time = GST_CLOCK_TIME_NONE;
  gst_segment_init (&m->segment, GST_FORMAT_TIME);
  gst_segment_init (&m->video_segment, GST_FORMAT_TIME);
  g_hash_table_insert (self->members, GUINT_TO_POINTER (index), m);
  return m;
}

/* Must be called with SFU_LOCK */
static void
gst_acs_sfu_resize_slots_locked (GstAcsSfu * self, SfuMember * m, guint n,
    gboolean video)
{
  GPtrArray **slots = video ? &m->video_slots : &m->slots;

  if (!*slots)
    *slots = g_ptr_array_new_with_free_func (g_free);
  while ((*slots)->len > n) {
    SfuSlot *slot = g_ptr_array_index (*slots, (*slots)->len - 1);

    g_hash_table_remove (self->slot_ssrcs, GUINT_TO_POINTER (slot->ssrc));
    g_ptr_array_remove_index (*slots, (*slots)->len - 1);
  }
  while ((*slots)->len < n) {
    SfuSlot *slot = g_new0 (SfuSlot, 1);

    slot->receiver = m->index;
    slot->video = video;
    do {
      slot->ssrc = g_random_int ();
    } while (slot->ssrc == 0 ||
        g_hash_table_contains (self->slot_ssrcs,
            GUINT_TO_POINTER (slot->ssrc)));
    slot->sender = -1;
    slot->last_sender = -1;
    slot->last_seq = g_random_int_range (0, 0x8000);
    slot->last_ts = g_random_int ();
    slot->last_time = GST_CLOCK_TIME_NONE;
    g_hash_table_insert (self->slot_ssrcs, GUINT_TO_POINTER (slot->ssrc), slot);
    g_ptr_array_add (*slots, slot);
  }
}

/* Must be called with SFU_LOCK. Frees the slots of receiver @r whose
 * sender left the selection, then gives the free slots to the selected
 * speakers it does not receive yet, most active first. Slots whose sender
 * stays selected keep it. */
static void
gst_acs_sfu_assign_slots_locked (GstAcsSfu * self, SfuMember * r,
    GPtrArray * ranked, gboolean video)
{
  GPtrArray *slots = video ? r->video_slots : r->slots;
  guint i, j;

  if (!(video ? r->video_srcpad : r->srcpad) || !slots)
    return;

  for (i = 0; i < slots->len; i++) {
    SfuSlot *slot = g_ptr_array_index (slots, i);
    SfuMember *s;

    if (slot->sender < 0)
      continue;
    s = g_hash_table_lookup (self->members, GINT_TO_POINTER (slot->sender));
    if (!s || !(video ? s->video_selected : s->selected) || s == r)
      slot->sender = -1;
    else if (video) {
      /* video: only the slots->len most recent speakers other than @r,
       * so that a receiver outside the set follows the latest speaker */
      guint rank = 0;

      for (j = 0; j < ranked->len; j++) {
        SfuMember *o = g_ptr_array_index (ranked, j);

        if (o == s)
          break;
        if (o != r)
          rank++;
      }
      if (rank >= slots->len)
        slot->sender = -1;
    }
  }

  for (j = 0; j < ranked->len; j++) {
    SfuMember *s = g_ptr_array_index (ranked, j);
    SfuSlot *free_slot = NULL;
    gboolean have = FALSE;

    if (s == r)
      continue;
    for (i = 0; i < slots->len; i++) {
      SfuSlot *slot = g_ptr_array_index (slots, i);

      if (slot->sender == (gint) s->index)
        have = TRUE;
      else if (slot->sender < 0 && !free_slot)
        free_slot = slot;
    }
    if (have)
      continue;
    if (!free_slot)
      break;
    GST_DEBUG_OBJECT (self, "receiver %u: %s slot %08x now forwards member "
        "%u", r->index, video ? "video" : "audio", free_slot->ssrc, s->index);
    free_slot->sender = s->index;
    free_slot->switched = TRUE;
    self->slot_switches++;
  }
}

/* Must be called with SFU_LOCK */
static void
gst_acs_sfu_assign_all_locked (GstAcsSfu * self)
{
  GPtrArray *ranked = g_ptr_array_copy (self->selected, NULL, NULL);
  GPtrArray *video = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer v;
  guint i;

  /* Video: the last-n + 1 members with video most recently selected as
   * speakers, so that each receiver gets last-n others */
  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, &v)) {
    SfuMember *m = v;

    m->video_selected = FALSE;
    if (m->video_sinkpad)
      g_ptr_array_add (video, m);
  }
  g_ptr_array_sort (video, compare_spoke);
  if (video->len > self->video_n + 1)
    g_ptr_array_set_size (video, self->video_n + 1);
  if (self->video_n == 0)
    g_ptr_array_set_size (video, 0);
  for (i = 0; i < video->len; i++)
    ((SfuMember *) g_ptr_array_index (video, i))->video_selected = TRUE;

  g_ptr_array_sort_with_data (ranked, compare_level, self);
  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, &v)) {
    gst_acs_sfu_assign_slots_locked (self, v, ranked, FALSE);
    gst_acs_sfu_assign_slots_locked (self, v, video, TRUE);
  }
  g_ptr_array_unref (video);
  g_ptr_array_unref (ranked);
}

/* Must be called with SFU_LOCK. The dominant speaker is the most active
 * selected speaker; another one takes its place when it is @hysteresis dB
 * more active and the current one has been dominant for @hold. Returns
 * TRUE when it changed (@previous set). */
static gboolean
gst_acs_sfu_update_dominant_locked (GstAcsSfu * self, gdouble hysteresis,
    GstClockTime hold, gint * previous)
{
  SfuMember *top = NULL, *dom = NULL;
  gdouble top_level = 0.0, dom_level;
  guint i;

  for (i = 0; i < self->selected->len; i++) {
    SfuMember *m = g_ptr_array_index (self->selected, i);
    gdouble l = effective_level_locked (self, m);

    if (l > GST_ACS_LEVEL_SPEAKING_THRESHOLD && (!top || l > top_level)) {
      top = m;
      top_level = l;
    }
  }
  if (!top || (gint) top->index == self->dominant)
    return FALSE;
  if (self->dominant >= 0)
    dom = g_hash_table_lookup (self->members, GINT_TO_POINTER (self->dominant));
  if (dom && dom->sinkpad) {
    dom_level = effective_level_locked (self, dom);
    if (top_level <= dom_level + hysteresis)
      return FALSE;
    if (GST_CLOCK_TIME_IS_VALID (self->now) &&
        GST_CLOCK_TIME_IS_VALID (self->dominant_since) &&
        self->now < self->dominant_since + hold)
      return FALSE;
  }
  *previous = self->dominant;
  self->dominant = top->index;
  self->dominant_since = self->now;
  self->dominant_changes++;
  return TRUE;
}

/* Must be called with SFU_LOCK. @s just reported a level: it enters the
 * selection if there is room, or replaces the least active selected
 * speaker whose hold time has passed if it is @hysteresis dB more active.
 * Returns TRUE when the selection changed. */
static gboolean
gst_acs_sfu_update_selection_locked (GstAcsSfu * self, SfuMember * s,
    guint top_k, gdouble hysteresis, GstClockTime hold)
{
  gdouble level = effective_level_locked (self, s);
  SfuMember *weakest;
  gdouble weakest_level;

  if (s->selected || level <= GST_ACS_LEVEL_SPEAKING_THRESHOLD)
    return FALSE;

  if (self->selected->len >= top_k + 1) {
    gint w = gst_acs_level_track_weakest (self->selected->pdata,
        self->selected->len, member_level_track, self->now, hold,
        &weakest_level);

    if (w < 0 || level <= weakest_level + hysteresis)
      return FALSE;
    weakest = g_ptr_array_index (self->selected, w);
    GST_DEBUG_OBJECT (self, "member %u (%.1f dBov) replaces member %u "
        "(%.1f dBov)", s->index, level, weakest->index, weakest_level);
    weakest->selected = FALSE;
    weakest->spoke = ++self->spoke_counter;
    g_ptr_array_remove (self->selected, weakest);
  } else {
    GST_DEBUG_OBJECT (self, "member %u (%.1f dBov) selected", s->index, level);
  }

  s->selected = TRUE;
  s->level.selected_since = self->now;
  s->spoke = ++self->spoke_counter;
  g_ptr_array_add (self->selected, s);
  self->selection_changes++;
  return TRUE;
}

static GstPad *
gst_acs_sfu_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstAcsSfu *self = GST_ACS_SFU (element);
  gboolean sink = templ->direction == GST_PAD_SINK;
  gboolean video = g_str_has_prefix (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ),
      "video_");
  const gchar *prefix = video ? (sink ? "video_sink_" : "video_src_") :
      (sink ? "sink_" : "src_");
  guint index, k;
  SfuMember *m;
  GstPad *pad, **slot_pad;
  gchar *pad_name;

  GST_OBJECT_LOCK (self);
  k = self->top_k;
  GST_OBJECT_UNLOCK (self);

  SFU_LOCK (self);
  if (name) {
    gchar *end = NULL;
    guint64 v;

    if (!g_str_has_prefix (name, prefix))
      goto bad_name;
    v = g_ascii_strtoull (name + strlen (prefix), &end, 10);
    if (!end || *end != '\0' || end == name + strlen (prefix) || v > G_MAXINT)
      goto bad_name;
    index = v;
  } else {
    /* The lowest index whose pad of this kind is free */
    for (index = 0;; index++) {
      m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (index));
      if (!m || !(video ? (sink ? m->video_sinkpad : m->video_srcpad) :
              (sink ? m->sinkpad : m->srcpad)))
        break;
    }
  }
  m = gst_acs_sfu_get_member_locked (self, index);
  slot_pad = video ? (sink ? &m->video_sinkpad : &m->video_srcpad) :
      (sink ? &m->sinkpad : &m->srcpad);
  if (*slot_pad != NULL) {
    SFU_UNLOCK (self);
    GST_WARNING_OBJECT (self, "pad %s%u exists already", prefix, index);
    return NULL;
  }

  pad_name = g_strdup_printf ("%s%u", prefix, index);
  pad = gst_pad_new_from_template (templ, pad_name);
  g_free (pad_name);
  gst_pad_set_element_private (pad, GUINT_TO_POINTER (index));
  *slot_pad = pad;
  if (sink) {
    gst_pad_set_chain_function (pad, video ?
        GST_DEBUG_FUNCPTR (gst_acs_sfu_video_chain) :
        GST_DEBUG_FUNCPTR (gst_acs_sfu_chain));
    gst_pad_set_event_function (pad,
        GST_DEBUG_FUNCPTR (gst_acs_sfu_sink_event));
    if (video)
      gst_acs_sfu_assign_all_locked (self);
  } else {
    gst_pad_set_event_function (pad, GST_DEBUG_FUNCPTR (gst_acs_sfu_src_event));
    if (video) {
      m->video_src_configured = FALSE;
      gst_acs_sfu_resize_slots_locked (self, m, self->video_n, TRUE);
    } else {
      m->src_configured = FALSE;
      gst_acs_sfu_resize_slots_locked (self, m, k, FALSE);
    }
    gst_acs_sfu_assign_all_locked (self);
  }
  SFU_UNLOCK (self);

  gst_element_add_pad (element, pad);
  return pad;

bad_name:
  SFU_UNLOCK (self);
  GST_WARNING_OBJECT (self, "bad pad name %s", name);
  return NULL;
}

static void
gst_acs_sfu_release_pad (GstElement * element, GstPad * pad)
{
  GstAcsSfu *self = GST_ACS_SFU (element);
  guint index = GPOINTER_TO_UINT (gst_pad_get_element_private (pad));
  gboolean dominant_left = FALSE;
  GstClockTime now = GST_CLOCK_TIME_NONE;
  SfuMember *m;

  SFU_LOCK (self);
  m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (index));
  if (m && m->sinkpad == pad) {
    m->sinkpad = NULL;
    if (m->selected) {
      m->selected = FALSE;
      g_ptr_array_remove (self->selected, m);
      self->selection_changes++;
    }
    m->level.time = GST_CLOCK_TIME_NONE;
    m->have_ssrc = FALSE;
    if (self->dominant == (gint) index) {
      /* the next packet with a level names the next one */
      self->dominant = -1;
      self->dominant_since = GST_CLOCK_TIME_NONE;
      self->dominant_changes++;
      dominant_left = TRUE;
      now = self->now;
    }
    gst_acs_sfu_assign_all_locked (self);
  } else if (m && m->srcpad == pad) {
    m->srcpad = NULL;
    gst_acs_sfu_resize_slots_locked (self, m, 0, FALSE);
  } else if (m && m->video_sinkpad == pad) {
    m->video_sinkpad = NULL;
    m->have_video_ssrc = FALSE;
    gst_acs_sfu_assign_all_locked (self);
  } else if (m && m->video_srcpad == pad) {
    m->video_srcpad = NULL;
    gst_acs_sfu_resize_slots_locked (self, m, 0, TRUE);
  }
  if (m && !m->sinkpad && !m->srcpad && !m->video_sinkpad && !m->video_srcpad)
    g_hash_table_remove (self->members, GUINT_TO_POINTER (index));
  SFU_UNLOCK (self);

  gst_element_remove_pad (element, pad);

  if (dominant_left)
    gst_acs_sfu_post_dominant (self, -1, index, now);
}

/* Starts the stream of one of our src pads; no lock held */
static void
gst_acs_sfu_push_stream_start (GstAcsSfu * self, GstPad * pad)
{
  gchar *stream_id = g_strdup_printf ("%s/%s", GST_OBJECT_NAME (self),
      GST_PAD_NAME (pad));

  gst_pad_push_event (pad, gst_event_new_stream_start (stream_id));
  g_free (stream_id);
}

/* Once every member's sink pads have ended, the call is over: every src
 * pad ends too, so that what sends or records a receiver's streams
 * finishes. No lock held; called from the thread of the last EOS, when no
 * sender is pushing any more. */
static void
gst_acs_sfu_maybe_end (GstAcsSfu * self)
{
  GPtrArray *srcpads = g_ptr_array_new_with_free_func (gst_object_unref);
  GHashTableIter iter;
  gboolean all = TRUE;
  SfuMember *m;
  guint i;

  SFU_LOCK (self);
  g_hash_table_iter_init (&iter, self->members);
  while (all && g_hash_table_iter_next (&iter, NULL, (gpointer *) & m))
    all = (!m->sinkpad || m->eos) && (!m->video_sinkpad || m->video_eos);
  /* two members' last EOS at once: one of them ends the call */
  all = all && !self->ended;
  self->ended = self->ended || all;
  g_hash_table_iter_init (&iter, self->members);
  while (all && g_hash_table_iter_next (&iter, NULL, (gpointer *) & m)) {
    if (m->srcpad)
      g_ptr_array_add (srcpads, gst_object_ref (m->srcpad));
    if (m->video_srcpad)
      g_ptr_array_add (srcpads, gst_object_ref (m->video_srcpad));
  }
  SFU_UNLOCK (self);

  for (i = 0; i < srcpads->len; i++) {
    GstPad *pad = g_ptr_array_index (srcpads, i);
    GstEvent *start = gst_pad_get_sticky_event (pad, GST_EVENT_STREAM_START,
        0);

    /* a receiver that never got a packet still gets a whole stream */
    if (start == NULL)
      gst_acs_sfu_push_stream_start (self, pad);
    gst_clear_event (&start);
    GST_DEBUG_OBJECT (pad, "end of the call");
    gst_pad_push_event (pad, gst_event_new_eos ());
  }
  g_ptr_array_unref (srcpads);
}

static gboolean
gst_acs_sfu_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstAcsSfu *self = GST_ACS_SFU (parent);
  guint index = GPOINTER_TO_UINT (gst_pad_get_element_private (pad));
  gboolean video = g_str_has_prefix (GST_PAD_NAME (pad), "video_");
  SfuMember *m;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      GstStructure *s;
      const gchar *media;

      gst_event_parse_caps (event, &caps);
      caps = gst_caps_copy (caps);
      s = gst_caps_get_structure (caps, 0);
      gst_structure_remove_fields (s, "ssrc", "clock-base", "seqnum-base",
          "timestamp-offset", "seqnum-offset", NULL);
      media = gst_structure_get_string (s, "media");

      SFU_LOCK (self);
      m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (index));
      if (m && video) {
        if (!gst_structure_get_int (s, "clock-rate", &m->video_clock_rate) ||
            m->video_clock_rate <= 0)
          m->video_clock_rate = 90000;
        gst_caps_replace (&m->video_caps, caps);
      } else if (m) {
        m->caps_ext_id = gst_acs_audio_level_ext_id_from_caps (s);
        if (!gst_structure_get_int (s, "clock-rate", &m->clock_rate) ||
            m->clock_rate <= 0)
          m->clock_rate = 48000;
        m->video = g_strcmp0 (media, "video") == 0;
        gst_caps_replace (&m->caps, caps);
      }
      SFU_UNLOCK (self);
      gst_caps_unref (caps);
      break;
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      SFU_LOCK (self);
      m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (index));
      if (m) {
        GstSegment *seg = video ? &m->video_segment : &m->segment;

        if (segment->format == GST_FORMAT_TIME)
          gst_segment_copy_into (segment, seg);
        else
          gst_segment_init (seg, GST_FORMAT_TIME);
      }
      SFU_UNLOCK (self);
      break;
    }
    case GST_EVENT_STREAM_START:
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_EOS:{
      gboolean ended = GST_EVENT_TYPE (event) == GST_EVENT_EOS;

      SFU_LOCK (self);
      m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (index));
      if (m && video)
        m->video_eos = ended;
      else if (m)
        m->eos = ended;
      if (!ended)
        self->ended = FALSE;
      SFU_UNLOCK (self);
      if (ended)
        gst_acs_sfu_maybe_end (self);
      break;
    }
    default:
      break;
  }

  /* A member's stream events describe its own stream, never what the
   * receivers get: the src pads carry their own */
  gst_event_unref (event);
  return TRUE;
}

static gboolean
gst_acs_sfu_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  /* Feedback comes as RTCP on the receiver's sink pad, not as events */
  gst_event_unref (event);
  return TRUE;
}

/* Must be called with SFU_LOCK. Queues on @pushes a copy of @buf for slot
 * @slot of receiver @r, rewritten to the slot's SSRC, sequence numbers and
 * timestamps. */
static void
gst_acs_sfu_forward_locked (GstAcsSfu * self, SfuMember * s, SfuMember * r,
    SfuSlot * slot, GstBuffer * buf, GstClockTime now, GArray * pushes)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *out = gst_buffer_copy_deep (buf);
  gboolean video = slot->video;
  gint clock_rate = video ? s->video_clock_rate : s->clock_rate;
  guint16 in_seq, out_seq;
  guint32 in_ts;
  SfuHistory *h;
  SfuPush push;

  if (!gst_rtp_buffer_map (out, GST_MAP_READWRITE, &rtp)) {
    gst_buffer_unref (out);
    return;
  }
  in_seq = gst_rtp_buffer_get_seq (&rtp);
  in_ts = gst_rtp_buffer_get_timestamp (&rtp);

  if (slot->switched || !slot->started) {
    guint16 next_seq = slot->last_seq + 1;
    guint32 next_ts = slot->last_ts;

    if (slot->started) {
      GstClockTime elapsed = GST_ACS_LEVEL_PACKET_TIME;

      if (GST_CLOCK_TIME_IS_VALID (now) &&
          GST_CLOCK_TIME_IS_VALID (slot->last_time) && now > slot->last_time)
        elapsed = now - slot->last_time;
      next_ts += MAX (1, gst_util_uint64_scale_int (elapsed, clock_rate,
              GST_SECOND));
    }
    slot->seq_offset = next_seq - in_seq;
    slot->ts_offset = next_ts - in_ts;
    slot->switched = FALSE;
    slot->started = TRUE;
    /* audio: the start of a talkspurt; in video the marker bit ends a
     * frame and must stay as the sender set it */
    if (!video)
      gst_rtp_buffer_set_marker (&rtp, TRUE);
    else
      gst_acs_sfu_request_keyframe_locked (self, s, slot, now, pushes);
  }

  out_seq = in_seq + slot->seq_offset;
  gst_rtp_buffer_set_ssrc (&rtp, slot->ssrc);
  gst_rtp_buffer_set_seq (&rtp, out_seq);
  gst_rtp_buffer_set_timestamp (&rtp, in_ts + slot->ts_offset);
  gst_rtp_buffer_unmap (&rtp);

  /* Only move forward: a late packet must not rewind the slot */
  if (slot->last_sender != (gint) s->index ||
      (gint16) (out_seq - slot->last_seq) > 0) {
    slot->last_seq = out_seq;
    slot->last_ts = in_ts + slot->ts_offset;
    slot->last_time = now;
  }
  slot->last_sender = s->index;

  h = &slot->history[out_seq % HISTORY_SIZE];
  h->valid = TRUE;
  h->out_seq = out_seq;
  h->in_seq = in_seq;
  h->sender = s->index;
  h->sender_ssrc = video ? s->video_ssrc : s->ssrc;

  GST_BUFFER_PTS (out) = now;
  GST_BUFFER_DTS (out) = GST_CLOCK_TIME_NONE;

  if (video) {
    push.pad = gst_object_ref (r->video_srcpad);
    push.configure = NULL;
    if (!r->video_src_configured) {
      r->video_src_configured = TRUE;
      push.configure = s->video_caps ? gst_caps_ref (s->video_caps) :
          gst_pad_get_pad_template_caps (r->video_srcpad);
    }
    self->video_forwarded++;
  } else {
    push.pad = gst_object_ref (r->srcpad);
    push.configure = NULL;
    if (!r->src_configured) {
      r->src_configured = TRUE;
      push.configure = s->caps ? gst_caps_ref (s->caps) :
          gst_pad_get_pad_template_caps (r->srcpad);
    }
    self->forwarded++;
  }
  push.buf = out;
  g_array_append_val (pushes, push);
}

/* Must be called with SFU_LOCK: queues RTCP @buf on member @m's src pad
 * (@video: its video_src pad); FALSE (counted as unroutable) when @m has
 * no such pad */
static gboolean
gst_acs_sfu_queue_rtcp_locked (GstAcsSfu * self, SfuMember * m,
    gboolean video, GstBuffer * buf, GArray * pushes)
{
  GstPad *pad = video ? m->video_srcpad : m->srcpad;
  gboolean *configured = video ? &m->video_src_configured : &m->src_configured;
  GstCaps *caps = video ? m->video_caps : m->caps;
  SfuPush push;

  if (!pad) {
    gst_buffer_unref (buf);
    self->feedback_unroutable++;
    return FALSE;
  }
  push.pad = gst_object_ref (pad);
  push.buf = buf;
  push.configure = NULL;
  if (!*configured) {
    *configured = TRUE;
    push.configure = caps ? gst_caps_ref (caps) :
        gst_caps_new_empty_simple ("application/x-rtp");
  }
  g_array_append_val (pushes, push);
  return TRUE;
}

/* FCI fields; memcpy because the data may be unaligned */
static inline guint32
read_be32 (const guint8 * p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return GUINT32_FROM_BE (v);
}

static inline guint16
read_be16 (const guint8 * p)
{
  guint16 v;

  memcpy (&v, p, 2);
  return GUINT16_FROM_BE (v);
}

static inline void
write_be32 (guint8 * p, guint32 v)
{
  v = GUINT32_TO_BE (v);
  memcpy (p, &v, 4);
}

static inline void
write_be16 (guint8 * p, guint16 v)
{
  v = GUINT16_TO_BE (v);
  memcpy (p, &v, 2);
}

static GstBuffer *
new_feedback (GstRTCPType type, guint fbtype, guint32 sender_ssrc,
    guint32 media_ssrc, const guint8 * fci, guint fci_words)
{
  GstBuffer *buf = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  gst_rtcp_buffer_add_packet (&rtcp, type, &packet);
  gst_rtcp_packet_fb_set_type (&packet, fbtype);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, sender_ssrc);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, media_ssrc);
  if (fci_words > 0) {
    gst_rtcp_packet_fb_set_fci_length (&packet, fci_words);
    memcpy (gst_rtcp_packet_fb_get_fci (&packet), fci, fci_words * 4);
  }
  gst_rtcp_buffer_unmap (&rtcp);
  return buf;
}

/* Must be called with SFU_LOCK: the member forwarded by @slot, or by it
 * last when it is idle now */
static SfuMember *
slot_sender_locked (GstAcsSfu * self, SfuSlot * slot)
{
  gint sender = slot->sender >= 0 ? slot->sender : slot->last_sender;

  if (sender < 0)
    return NULL;
  return g_hash_table_lookup (self->members, GINT_TO_POINTER (sender));
}

/* Must be called with SFU_LOCK. Video slot @slot switched to sender @s:
 * asks @s for a keyframe (PLI), at most once per
 * KEYFRAME_REQUEST_INTERVAL of running time */
static void
gst_acs_sfu_request_keyframe_locked (GstAcsSfu * self, SfuMember * s,
    SfuSlot * slot, GstClockTime now, GArray * pushes)
{
  if (!s->have_video_ssrc || !s->video_srcpad)
    return;
  if (GST_CLOCK_TIME_IS_VALID (s->keyframe_time) &&
      GST_CLOCK_TIME_IS_VALID (now) && now >= s->keyframe_time &&
      now - s->keyframe_time < KEYFRAME_REQUEST_INTERVAL)
    return;
  GST_LOG_OBJECT (self, "video slot %08x switched to member %u: PLI",
      slot->ssrc, s->index);
  if (gst_acs_sfu_queue_rtcp_locked (self, s, TRUE,
          new_feedback (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI,
              slot->ssrc, s->video_ssrc, NULL, 0), pushes)) {
    self->keyframe_requests++;
    s->keyframe_time = GST_CLOCK_TIME_IS_VALID (now) ? now : 0;
  }
}

/* Must be called with SFU_LOCK. Maps the NACK from receiver @r about
 * @slot back to the senders' sequence numbers, one NACK per sender. */
static void
gst_acs_sfu_route_nack_locked (GstAcsSfu * self, SfuMember * r,
    SfuSlot * slot, guint32 fb_sender, const guint8 * fci, guint words,
    GArray * pushes)
{
  /* (sender index, in seq) pairs in NACK order */
  GArray *lost = g_array_new (FALSE, FALSE, sizeof (SfuHistory));
  guint i, j;

  for (i = 0; i < words; i++) {
    guint16 pid = read_be16 (fci + 4 * i);
    guint16 blp = read_be16 (fci + 4 * i + 2);

    for (j = 0; j < 17; j++) {
      guint16 seq = pid + j;
      SfuHistory *h;

      if (j > 0 && !(blp & (1 << (j - 1))))
        continue;
      h = &slot->history[seq % HISTORY_SIZE];
      if (!h->valid || h->out_seq != seq) {
        self->nack_unmapped++;
        continue;
      }
      self->nack_mapped++;
      g_array_append_val (lost, *h);
    }
  }

  /* One NACK per (sender, SSRC), entries packed as PID + BLP */
  while (lost->len > 0) {
    SfuHistory first = g_array_index (lost, SfuHistory, 0);
    GByteArray *out_fci = g_byte_array_new ();
    guint8 entry[4];
    guint16 pid = 0, blp = 0;
    gboolean have = FALSE;
    SfuMember *s;

    for (i = 0; i < lost->len;) {
      SfuHistory *h = &g_array_index (lost, SfuHistory, i);
      guint16 d;

      if (h->sender != first.sender || h->sender_ssrc != first.sender_ssrc) {
        i++;
        continue;
      }
      d = h->in_seq - pid;
      if (have && d >= 1 && d <= 16) {
        blp |= 1 << (d - 1);
      } else if (!have || d != 0) {
        if (have) {
          write_be16 (entry, pid);
          write_be16 (entry + 2, blp);
          g_byte_array_append (out_fci, entry, 4);
        }
        pid = h->in_seq;
        blp = 0;
        have = TRUE;
      }
      g_array_remove_index (lost, i);
    }
    write_be16 (entry, pid);
    write_be16 (entry + 2, blp);
    g_byte_array_append (out_fci, entry, 4);

    s = g_hash_table_lookup (self->members, GUINT_TO_POINTER (first.sender));
    if (s) {
      GST_LOG_OBJECT (self, "NACK from %u about slot %08x to member %u",
          r->index, slot->ssrc, s->index);
      if (gst_acs_sfu_queue_rtcp_locked (self, s, slot->video,
              new_feedback (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK,
                  fb_sender, first.sender_ssrc, out_fci->data,
                  out_fci->len / 4), pushes))
        self->feedback_forwarded++;
    } else {
      self->feedback_unroutable++;
    }
    g_byte_array_unref (out_fci);
  }
  g_array_unref (lost);
}

/* Must be called with SFU_LOCK: a slot of receiver @r, or NULL */
static SfuSlot *
own_slot_locked (GstAcsSfu * self, SfuMember * r, guint32 ssrc)
{
  SfuSlot *slot = g_hash_table_lookup (self->slot_ssrcs,
      GUINT_TO_POINTER (ssrc));

  if (!slot || slot->receiver != r->index)
    return NULL;
  return slot;
}

/* Must be called with SFU_LOCK. RTCP from receiver @r: routes PLI, FIR
 * and NACK about its slots to the senders. */
static void
gst_acs_sfu_handle_rtcp_locked (GstAcsSfu * self, SfuMember * r,
    GstBuffer * buf, GArray * pushes)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gboolean more;

  if (!gst_rtcp_buffer_validate_reduced (buf) ||
      !gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp)) {
    self->malformed++;
    return;
  }
  self->rtcp_received++;

  for (more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
      more = gst_rtcp_packet_move_to_next (&packet)) {
    GstRTCPType type = gst_rtcp_packet_get_type (&packet);
    guint fbtype;
    guint32 fb_sender, media;
    guint8 *fci;
    guint words;
    SfuSlot *slot;
    SfuMember *s;

    if (type != GST_RTCP_TYPE_PSFB && type != GST_RTCP_TYPE_RTPFB) {
      self->rtcp_ignored++;
      continue;
    }
    fbtype = gst_rtcp_packet_fb_get_type (&packet);
    fb_sender = gst_rtcp_packet_fb_get_sender_ssrc (&packet);
    media = gst_rtcp_packet_fb_get_media_ssrc (&packet);
    fci = gst_rtcp_packet_fb_get_fci (&packet);
    words = gst_rtcp_packet_fb_get_fci_length (&packet);

    if (type == GST_RTCP_TYPE_PSFB && fbtype == GST_RTCP_PSFB_TYPE_PLI) {
      slot = own_slot_locked (self, r, media);
      s = slot ? slot_sender_locked (self, slot) : NULL;
      if (!s || !(slot->video ? s->have_video_ssrc : s->have_ssrc)) {
        self->feedback_unroutable++;
        continue;
      }
      GST_LOG_OBJECT (self, "PLI from %u about slot %08x to member %u",
          r->index, media, s->index);
      if (gst_acs_sfu_queue_rtcp_locked (self, s, slot->video,
              new_feedback (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI,
                  fb_sender, slot->video ? s->video_ssrc : s->ssrc, NULL, 0),
              pushes))
        self->feedback_forwarded++;
    } else if (type == GST_RTCP_TYPE_PSFB && fbtype == GST_RTCP_PSFB_TYPE_FIR) {
      guint i;

      /* RFC 5104: FCI entries of SSRC, seq nr, 3 reserved bytes */
      for (i = 0; fci && (i + 1) * 2 <= words; i++) {
        guint8 entry[8] = { 0, };

        slot = own_slot_locked (self, r, read_be32 (fci + 8 * i));
        s = slot ? slot_sender_locked (self, slot) : NULL;
        if (!s || !(slot->video ? s->have_video_ssrc : s->have_ssrc)) {
          self->feedback_unroutable++;
          continue;
        }
        write_be32 (entry, slot->video ? s->video_ssrc : s->ssrc);
        entry[4] = slot->video ? s->video_fir_seq++ : s->fir_seq++;
        if (gst_acs_sfu_queue_rtcp_locked (self, s, slot->video,
                new_feedback (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_FIR,
                    fb_sender, 0, entry, 2), pushes))
          self->feedback_forwarded++;
      }
    } else if (type == GST_RTCP_TYPE_RTPFB &&
        fbtype == GST_RTCP_RTPFB_TYPE_NACK) {
      slot = own_slot_locked (self, r, media);
      if (!slot || !fci) {
        self->feedback_unroutable++;
        continue;
      }
      gst_acs_sfu_route_nack_locked (self, r, slot, fb_sender, fci, words,
          pushes);
    } else {
      self->rtcp_ignored++;
    }
  }
  gst_rtcp_buffer_unmap (&rtcp);
}

/* Must be called with SFU_LOCK. RTP from sender @s: updates its level and
 * the selection, then queues a copy for every slot forwarding it. */
static void
gst_acs_sfu_handle_rtp_locked (GstAcsSfu * self, SfuMember * s,
    GstBuffer * buf, guint top_k, guint ext_id, guint window,
    gdouble hysteresis, guint hold, SfuWork * work)
{
  GArray *pushes = work->pushes;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstClockTime now;
  GHashTableIter iter;
  gpointer v;
  gint level;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)) {
    self->malformed++;
    GST_LOG_OBJECT (self, "member %u: dropping a packet that is not RTP",
        s->index);
    return;
  }
  self->received++;
  s->ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  s->have_ssrc = TRUE;
  level = gst_acs_audio_level_read (&rtp, ext_id ? ext_id : s->caps_ext_id);
  gst_rtp_buffer_unmap (&rtp);

  if (s->video) {
    /* video goes on video_sink_N, with its own slots */
    self->unsupported++;
    return;
  }

  now = gst_segment_to_running_time (&s->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (GST_CLOCK_TIME_IS_VALID (now) && (!GST_CLOCK_TIME_IS_VALID (self->now)
          || now > self->now))
    self->now = now;

  if (level == -2) {
    self->bad_level++;
  } else if (level < 0) {
    self->no_level++;
  } else {
    gst_acs_level_track_update (&s->level, level, now, self->now, window);

    if (gst_acs_sfu_update_selection_locked (self, s, top_k, hysteresis,
            hold * GST_MSECOND))
      gst_acs_sfu_assign_all_locked (self);
    if (gst_acs_sfu_update_dominant_locked (self, hysteresis,
            hold * GST_MSECOND, &work->previous)) {
      work->dominant_changed = TRUE;
      work->dominant = self->dominant;
      work->time = self->now;
    }
  }

  if (!s->selected)
    return;

  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, &v)) {
    SfuMember *r = v;
    guint i;

    if (r == s || !r->srcpad || !r->slots)
      continue;
    for (i = 0; i < r->slots->len; i++) {
      SfuSlot *slot = g_ptr_array_index (r->slots, i);

      if (slot->sender == (gint) s->index)
        gst_acs_sfu_forward_locked (self, s, r, slot, buf, now, pushes);
    }
  }
}

/* Must be called with SFU_LOCK. Video RTP from sender @s: queues a copy
 * for every video slot forwarding it. */
static void
gst_acs_sfu_handle_video_locked (GstAcsSfu * self, SfuMember * s,
    GstBuffer * buf, GArray * pushes)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstClockTime now;
  GHashTableIter iter;
  gpointer v;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)) {
    self->malformed++;
    GST_LOG_OBJECT (self, "member %u: dropping a video packet that is not "
        "RTP", s->index);
    return;
  }
  self->video_received++;
  s->video_ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  s->have_video_ssrc = TRUE;
  gst_rtp_buffer_unmap (&rtp);

  now = gst_segment_to_running_time (&s->video_segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (GST_CLOCK_TIME_IS_VALID (now) && (!GST_CLOCK_TIME_IS_VALID (self->now)
          || now > self->now))
    self->now = now;

  if (!s->video_selected)
    return;

  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, &v)) {
    SfuMember *r = v;
    guint i;

    if (r == s || !r->video_srcpad || !r->video_slots)
      continue;
    for (i = 0; i < r->video_slots->len; i++) {
      SfuSlot *slot = g_ptr_array_index (r->video_slots, i);

      if (slot->sender == (gint) s->index)
        gst_acs_sfu_forward_locked (self, s, r, slot, buf, now, pushes);
    }
  }
}

/* Posts the acs-dominant-speaker message and emits on-dominant-speaker;
 * no lock held */
static void
gst_acs_sfu_post_dominant (GstAcsSfu * self, gint member, gint previous,
    GstClockTime time)
{
  GstStructure *s = gst_structure_new ("acs-dominant-speaker",
      "member", G_TYPE_INT, member,
      "previous", G_TYPE_INT, previous,
      "running-time", G_TYPE_UINT64, time, NULL);

  GST_INFO_OBJECT (self, "dominant speaker %d (was %d)", member, previous);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
  g_signal_emit (self, gst_acs_sfu_signals[SIGNAL_ON_DOMINANT_SPEAKER], 0,
      member, previous);
}

/* Pushes what @work collected and posts its dominant change; no lock
 * held */
static void
gst_acs_sfu_finish_work (GstAcsSfu * self, SfuWork * work)
{
  guint i;

  for (i = 0; i < work->pushes->len; i++) {
    SfuPush *p = &g_array_index (work->pushes, SfuPush, i);
    GstFlowReturn ret;

    if (p->configure) {
      GstSegment segment;

      gst_acs_sfu_push_stream_start (self, p->pad);
      gst_pad_push_event (p->pad, gst_event_new_caps (p->configure));
      gst_segment_init (&segment, GST_FORMAT_TIME);
      gst_pad_push_event (p->pad, gst_event_new_segment (&segment));
      gst_caps_unref (p->configure);
    }
    /* A receiver that is gone or flushing does not concern the sender */
    ret = gst_pad_push (p->pad, p->buf);
    if (ret != GST_FLOW_OK && ret != GST_FLOW_NOT_LINKED &&
        ret != GST_FLOW_FLUSHING)
      GST_LOG_OBJECT (self, "push on %s: %s", GST_PAD_NAME (p->pad),
          gst_flow_get_name (ret));
    gst_object_unref (p->pad);
  }
  g_array_unref (work->pushes);

  if (work->dominant_changed)
    gst_acs_sfu_post_dominant (self, work->dominant, work->previous,
        work->time);
}

static gboolean
is_rtcp (GstBuffer * buf)
{
  guint8 head[2];

  /* RFC 5761: RTCP packet types 192 to 223 */
  return gst_buffer_extract (buf, 0, head, 2) == 2 && (head[0] >> 6) == 2 &&
      (head[1] & 0x7f) >= 64 && (head[1] & 0x7f) <= 95;
}

static GstFlowReturn
gst_acs_sfu_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstAcsSfu *self = GST_ACS_SFU (parent);
  guint index = GPOINTER_TO_UINT (gst_pad_get_element_private (pad));
  SfuWork work = { g_array_new (FALSE, FALSE, sizeof (SfuPush)), FALSE,
    -1, -1, GST_CLOCK_TIME_NONE
  };
  guint ext_id, window, hold, top_k;
  gdouble hysteresis;
  SfuMember *m;

  GST_OBJECT_LOCK (self);
  top_k = self->top_k;
  ext_id = self->ext_id;
  window = self->ranking.window;
  hysteresis = self->ranking.hysteresis;
  hold = self->ranking.hold_time;
  GST_OBJECT_UNLOCK (self);

  SFU_LOCK (self);
  m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (index));
  if (m && is_rtcp (buf)) {
    gst_acs_sfu_handle_rtcp_locked (self, m, buf, work.pushes);
  } else if (m) {
    gst_acs_sfu_handle_rtp_locked (self, m, buf, top_k, ext_id, window,
        hysteresis, hold, &work);
  }
  SFU_UNLOCK (self);

  gst_acs_sfu_finish_work (self, &work);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_acs_sfu_video_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstAcsSfu *self = GST_ACS_SFU (parent);
  guint index = GPOINTER_TO_UINT (gst_pad_get_element_private (pad));
  SfuWork work = { g_array_new (FALSE, FALSE, sizeof (SfuPush)), FALSE,
    -1, -1, GST_CLOCK_TIME_NONE
  };
  SfuMember *m;

  SFU_LOCK (self);
  m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (index));
  if (m && is_rtcp (buf))
    gst_acs_sfu_handle_rtcp_locked (self, m, buf, work.pushes);
  else if (m)
    gst_acs_sfu_handle_video_locked (self, m, buf, work.pushes);
  SFU_UNLOCK (self);

  gst_acs_sfu_finish_work (self, &work);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: mix-minus audio mixer for group calls
 */

/**
 * SECTION:element-acsmixer
 * @title: acsmixer
 * @see_also: audiomixer, acsaudiolevelgate
 *
 * acsmixer is the audio core of a group call. Every member N of the call
 * has a request pad pair: what the member sends arrives on `sink_N`, what
 * the member hears leaves on `src_N`. `src_N` carries the mix of the other
 * members (mix-minus): a member never hears itself.
 *
 * Only the `top-k` loudest members (level over `level-window`, with
 * `hysteresis` and `hold-time` so that the selection does not flap) enter
 * the mix. The mix of the selected members is computed once per period in
 * 32-bit sums; each selected member's output is that sum minus its own
 * contribution, saturated once. Every member outside the selection hears
 * the same full mix: the element pushes the very same #GstBuffer on all of
 * their pads, marked with a `GstAcsMixerOutputMeta` custom meta whose
 * `group` field is `shared`, so that an application encodes it once. The
 * aggregator's own `src` pad carries that full mix too; it may stay
 * unlinked.
 *
 * The loudest member, with the same hysteresis, is the dominant speaker:
 * when it changes the element emits #GstAcsMixer::on-dominant-speaker and
 * posts an `acs-dominant-speaker` element message. The `ranking` property
 * holds the selection and every member's level of the last period.
 *
 * Levels come from the decoded audio, or from the RFC 6464 audio-level
 * header extension of the member's RTP when an #acsaudiolevelgate in front
 * of the member's decoder reports them; the gate also drops the RTP of
 * members outside the selection, so that only the selected are decoded.
 *
 * Timing is GstAudioAggregator's: inputs are aligned on running time,
 * sample-accurate; in a live pipeline a member whose input is late or lost
 * is left out of the period when the aggregator times out, the others are
 * not delayed beyond the configured latency.
 *
 * SFU mode (forwarding members' RTP without decoding) is the separate
 * element #acssfu, in the same plugin, with the same pads: `mode=sfu`
 * makes this element fail to go to PAUSED with an error naming acssfu.
 *
 * Threading: in a live pipeline the mix runs on the aggregator's source
 * pad task, which also pushes on every `src_%u` pad. In a non-live
 * pipeline a period is mixed, and its outputs pushed, by the thread that
 * delivered the period's last input (the task waits meanwhile, and takes
 * over whenever an event, a query, a pad change or a state change needs
 * GstAggregator). Properties may be set from any thread.
 *
 * As with tee, one thread pushes every `src_%u`: a sink downstream that
 * waits for preroll holds it, and if a second sink is still waiting for
 * its first buffer the pipeline never reaches PLAYING. Give every sink
 * but one `async=false`, or put a queue on each member's branch.
 *
 * When every member's input has ended, the element ends the call: EOS on
 * `src` and on every `src_%u`.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 acsmixer name=m \
 *   audiotestsrc freq=440 is-live=true ! m.sink_0  m.src_0 ! fakesink async=false \
 *   audiotestsrc freq=660 is-live=true ! m.sink_1  m.src_1 ! fakesink async=false \
 *   audiotestsrc freq=880 is-live=true ! m.sink_2  m.src_2 ! autoaudiosink
 * ]|
 * Member 2 hears the 440 Hz and 660 Hz tones, never its own.
 */

/* Lock order: GST_OBJECT_LOCK (self) and MIXER_LOCK are never held
 * together; neither is held while pushing, posting or emitting. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

/* Per member and period the streaming path casts a few GObjects whose
 * type is known (our own pads and element): no run-time check */
#define G_DISABLE_CAST_CHECKS 1

#include <math.h>
#include <string.h>

#include "gstacsmixer.h"
#include "gstacsaudiolevel.h"
#include "gstacsmixerelements.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define ACS_MIXER_SSE2 1
#endif

GST_DEBUG_CATEGORY_STATIC (gst_acs_mixer_debug);
#define GST_CAT_DEFAULT gst_acs_mixer_debug

#define DEFAULT_MODE GST_ACS_MIXER_MODE_MCU
#define DEFAULT_TOP_K 3
#define DEFAULT_OUTPUT_BUFFER_DURATION (20 * GST_MSECOND)
#define DEFAULT_PAD_MUTE FALSE

/* Below this smoothed level (dBov) a member is silent: it neither enters
 * the selection nor becomes dominant */
#define SILENCE_DBOV -80.0
#define MIN_DBOV -127.0
/* An audio level reported by a gate is used for this many periods */
#define EXT_LEVEL_PERIODS 10

#define MIXER_LOCK(s) g_mutex_lock (&(s)->lock)
#define MIXER_UNLOCK(s) g_mutex_unlock (&(s)->lock)
#define GATE_LOCK(s) g_mutex_lock (&(s)->gate_lock)
#define GATE_UNLOCK(s) g_mutex_unlock (&(s)->gate_lock)

/* GstAggregator's pad functions, wrapped by ours (the same for every pad) */
static GstPadChainFunction agg_pad_chain;
static GstPadEventFullFunction agg_pad_event_full;
static GstPadQueryFunction agg_pad_query;

enum
{
  PROP_0,
  PROP_MODE,
  PROP_TOP_K,
  PROP_LEVEL_WINDOW,
  PROP_HYSTERESIS,
  PROP_HOLD_TIME,
  PROP_RANKING,
  PROP_STATS,
  PROP_EMIT_SIGNALS,
};

/* gst_acs_level_ranking_set_property() counts from PROP_LEVEL_WINDOW */
G_STATIC_ASSERT (PROP_HYSTERESIS == PROP_LEVEL_WINDOW + 1
    && PROP_HOLD_TIME == PROP_LEVEL_WINDOW + 2);

enum
{
  PROP_PAD_0,
  PROP_PAD_MUTE,
  PROP_PAD_LEVEL,
  PROP_PAD_SELECTED,
};

enum
{
  SIGNAL_ON_DOMINANT_SPEAKER,
  LAST_SIGNAL,
};

static guint gst_acs_mixer_signals[LAST_SIGNAL];

#define ACS_MIXER_CAPS \
    "audio/x-raw, format = (string) " GST_AUDIO_NE (S16) ", " \
    "rate = (int) [ 1, MAX ], channels = (int) [ 1, MAX ], " \
    "layout = (string) interleaved"

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (ACS_MIXER_CAPS));

static GstStaticPadTemplate member_src_template =
GST_STATIC_PAD_TEMPLATE ("src_%u",
    GST_PAD_SRC,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS (ACS_MIXER_CAPS));

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS (ACS_MIXER_CAPS));

/* One src_%u pad; shared by the outputs arrays (atomic rc box) */
typedef struct
{
  guint index;
  GstPad *srcpad;
  /* streaming thread only */
  gboolean started;
  GstEvent *caps;
  GstEvent *segment;
} AcsOutput;

/* Level reported by a gate for a member, MIXER_LOCK */
typedef struct
{
  gdouble ms;
  guint64 period;
} AcsExtLevel;

/* One row of the ranking snapshot */
typedef struct
{
  guint index;
  gdouble level;
  gboolean selected;
  gboolean muted;
} AcsRankEntry;

struct _GstAcsMixerPad
{
  GstAudioAggregatorPad parent;

  /* atomic */
  gint mute;

  /* set once when the pad is made */
  guint index;

  /* streaming thread only. This period's samples: read in place from the
   * input buffer (in_buf, mapped in in_map) when one buffer covers the
   * period, else copied piece by piece into stage */
  const gint16 *data;
  gsize data_samples;
  guint64 data_period;
  GstBuffer *in_buf;
  GstMapInfo in_map;
  gint16 *stage;
  gsize stage_samples;
  gdouble period_ms;
  gdouble level_ms;
  gdouble level_db;
  gboolean active;
  gboolean selected;
  guint64 selected_since;
  /* whether data was added to the mixer's sum this period */
  gboolean in_sum;
  /* this period's mix-minus output, if any */
  GstBuffer *out_buf;
  /* our reference to the last mix-minus output, reused once downstream
   * has released it (writable again): no allocation, no new meta */
  GstBuffer *out_keep;

  /* GATE_LOCK: the parked task waits for this pad's next buffer; events
   * queued on this pad and not handled yet */
  gboolean gate_waiting;
  gint gate_events;
  /* set once: GstAggregator's pad functions are wrapped (else the period
   * gate stays open for this element) */
  gboolean gate_wrapped;
  /* GATE_LOCK: a buffer went through GstAggregator's chain function since
   * the pad started or was flushed; buffers being handed to it; this
   * period's buffer kept in the fast input slot (see "The fast input
   * path") */
  gboolean gate_chained;
  gint gate_inflight;
  GstBuffer *fast_buf;

  /* atomic copies of level_db (x 100) and selected, for the properties */
  gint level_centi;
  gint selected_atomic;
};

struct _GstAcsMixer
{
  GstAudioAggregator parent;

  /* properties, GST_OBJECT_LOCK */
  GstAcsMixerMode mode;
  guint top_k;
  GstAcsLevelRanking level_ranking;

  /* MIXER_LOCK protects the fields below it */
  GMutex lock;
  /* array of AcsOutput (rc boxes), replaced (never changed) when a src
   * pad comes or goes, so that the streaming thread takes a reference */
  GPtrArray *outputs;
  GHashTable *ext_levels;       /* member index -> AcsExtLevel */
  GArray *selection;            /* guint member indices */
  GArray *ranking;              /* AcsRankEntry, last period */
  gint dominant_pub;
  guint64 period_pub;
  guint64 stat_periods;
  guint64 stat_distinct;
  guint64 stat_shared;
  guint64 stat_missing;
  guint64 stat_dominant_changes;
  guint64 stat_caps_refused;
  /* audio format, set by the first sink caps */
  GstAudioInfo info;
  gboolean have_info;

  /* streaming thread only */
  guint64 period;
  guint period_frames;
  gint32 *sum;
  gsize sum_samples;
  GPtrArray *pads;              /* GstAcsMixerPad refs, per period */
  GPtrArray *by_index;          /* member index -> pad, per period */
  GPtrArray *sel;               /* selected GstAcsMixerPad refs */
  GPtrArray *summed;            /* pads added to sum this period */
  GArray *rank_scratch;
  /* our reference to the last full mix, reused as the next period's output
   * buffer once downstream has released it */
  GstBuffer *mix_keep;

  /* The period gate (non-live only, see "The period gate" below).
   * GATE_LOCK protects the fields below it; it is never taken while
   * holding GstAggregator's locks or the object lock (the fast input path
   * calls GstAggregator's chain function with it held), and is released
   * while a period is mixed */
  GMutex gate_lock;
  GCond gate_cond;
  /* the aggregator's task waits in gst_acs_mixer_aggregate() */
  gboolean gate_parked;
  /* a period is being mixed on behalf of the parked task */
  gboolean gate_running;
  /* pads counted in gate_missing, since the last gate_arm_locked() */
  gboolean gate_armed;
  guint gate_missing;
  /* what the parked task returns to GstAggregator */
  GstFlowReturn gate_ret;
  /* reasons to hand back to GstAggregator at once */
  gboolean gate_poked;
  gboolean gate_flushing;
  gint gate_queries;
  gint gate_events;
  /* the fast input path: this period's inputs go to the pads' fast_buf
   * slots; fast_pads are the pads counted (refs), fast_quick whether the
   * next period may be armed from fast_pads without walking the pads */
  gboolean fast;
  gboolean fast_quick;
  /* the last period mixed was a fast one */
  gboolean fast_last;
  GPtrArray *fast_pads;
  GstSegment fast_seg;
  guint64 fast_offset;
  gint fast_rate;
  guint fast_frames;
  gsize fast_bytes;
  GstClockTime fast_duration;
  /* streaming thread: output offset after the last output buffer and its
   * frames (-1 when unknown) */
  gint64 out_next_offset;
  guint64 out_frames;
  gint dominant;
  guint64 dominant_since;
};

/* field names of the output meta, set once by the element registration */
static GQuark quark_group, quark_member, quark_period;

G_DEFINE_TYPE (GstAcsMixerPad, gst_acs_mixer_pad,
    GST_TYPE_AUDIO_AGGREGATOR_PAD);

#define gst_acs_mixer_parent_class parent_class
G_DEFINE_TYPE (GstAcsMixer, gst_acs_mixer, GST_TYPE_AUDIO_AGGREGATOR);

static void
acs_mixer_element_init (GstPlugin * plugin)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    static const gchar *tags[] = { GST_META_TAG_AUDIO_STR, NULL };

    gst_meta_register_custom (GST_ACS_MIXER_OUTPUT_META, tags, NULL, NULL,
        NULL);
    quark_group = g_quark_from_static_string ("group");
    quark_member = g_quark_from_static_string ("member");
    quark_period = g_quark_from_static_string ("period");
    g_once_init_leave (&once, 1);
  }
}

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (acsmixer, "acsmixer", GST_RANK_NONE,
    GST_TYPE_ACS_MIXER, acs_mixer_element_init (plugin));

GType
gst_acs_mixer_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ACS_MIXER_MODE_MCU, "Mix decoded audio (mix-minus)", "mcu"},
    {GST_ACS_MIXER_MODE_SFU, "Forward RTP of the selected speakers", "sfu"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstAcsMixerMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void gst_acs_mixer_dispose (GObject * object);
static void gst_acs_mixer_finalize (GObject * object);
static void gst_acs_mixer_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_acs_mixer_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_acs_mixer_change_state (GstElement * element,
    GstStateChange transition);
static GstPad *gst_acs_mixer_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * req_name, const GstCaps * caps);
static void gst_acs_mixer_release_pad (GstElement * element, GstPad * pad);
static gboolean gst_acs_mixer_sink_event (GstAggregator * agg,
    GstAggregatorPad * aggpad, GstEvent * event);
static gboolean gst_acs_mixer_sink_query (GstAggregator * agg,
    GstAggregatorPad * aggpad, GstQuery * query);
static GstFlowReturn gst_acs_mixer_update_src_caps (GstAggregator * agg,
    GstCaps * caps, GstCaps ** ret);
static GstFlowReturn gst_acs_mixer_finish_buffer (GstAggregator * agg,
    GstBuffer * outbuf);
static gboolean gst_acs_mixer_stop (GstAggregator * agg);
static GstBuffer *gst_acs_mixer_create_output_buffer (GstAudioAggregator *
    aagg, guint num_frames);
static void pad_release_input (GstAcsMixerPad * pad);
static GstPadProbeReturn gst_acs_mixer_src_eos_probe (GstPad * pad,
    GstPadProbeInfo * info, gpointer user_data);
static void gate_poke_locked (GstAcsMixer * self);
static GstCustomMeta *released_output_meta (GstBuffer * buf, gsize size);
static GstFlowReturn gst_acs_mixer_aggregate (GstAggregator * agg,
    gboolean timeout);
static gboolean gst_acs_mixer_aggregate_one_buffer (GstAudioAggregator * aagg,
    GstAudioAggregatorPad * pad, GstBuffer * inbuf, guint in_offset,
    GstBuffer * outbuf, guint out_offset, guint num_frames);

static void
gst_acs_mixer_class_init (GstAcsMixerClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstAggregatorClass *agg_class = (GstAggregatorClass *) klass;
  GstAudioAggregatorClass *aagg_class = (GstAudioAggregatorClass *) klass;

  GST_DEBUG_CATEGORY_INIT (gst_acs_mixer_debug, "acsmixer", 0,
      "gst-acs mix-minus mixer");

  gst_element_class_set_static_metadata (element_class,
      "Group call mix-minus mixer", "Generic/Audio",
      "Mixes the members of a group call: each member hears the others, "
      "only the loudest are mixed", "gst-acs");

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &src_template, GST_TYPE_AUDIO_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &sink_template, GST_TYPE_ACS_MIXER_PAD);
  gst_element_class_add_static_pad_template (element_class,
      &member_src_template);

  gobject_class->dispose = gst_acs_mixer_dispose;
  gobject_class->finalize = gst_acs_mixer_finalize;
  gobject_class->set_property = gst_acs_mixer_set_property;
  gobject_class->get_property = gst_acs_mixer_get_property;

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_acs_mixer_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_acs_mixer_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_acs_mixer_release_pad);

  agg_class->sink_event = GST_DEBUG_FUNCPTR (gst_acs_mixer_sink_event);
  agg_class->sink_query = GST_DEBUG_FUNCPTR (gst_acs_mixer_sink_query);
  agg_class->update_src_caps =
      GST_DEBUG_FUNCPTR (gst_acs_mixer_update_src_caps);
  agg_class->finish_buffer = GST_DEBUG_FUNCPTR (gst_acs_mixer_finish_buffer);
  agg_class->stop = GST_DEBUG_FUNCPTR (gst_acs_mixer_stop);
  agg_class->aggregate = GST_DEBUG_FUNCPTR (gst_acs_mixer_aggregate);

  aagg_class->create_output_buffer =
      GST_DEBUG_FUNCPTR (gst_acs_mixer_create_output_buffer);
  aagg_class->aggregate_one_buffer =
      GST_DEBUG_FUNCPTR (gst_acs_mixer_aggregate_one_buffer);

  /**
   * GstAcsMixer:mode:
   *
   * `mcu` mixes raw audio. `sfu` (forwarding the RTP of the selected
   * speakers without decoding) is done by the element #acssfu: this
   * element posts a `CORE`/`NOT_IMPLEMENTED` error naming acssfu when it
   * goes to PAUSED in that mode.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "What the element handles: mcu (raw audio, mix-minus); sfu is "
          "refused, use the acssfu element for RTP; NULL or READY only",
          GST_TYPE_ACS_MIXER_MODE, DEFAULT_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_TOP_K,
      g_param_spec_uint ("top-k", "Top K",
          "Number of loudest members that enter the mix, 1 to 1000000; "
          "may change in any state, from the next period",
          1, 1000000, DEFAULT_TOP_K,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_LEVEL_WINDOW,
      g_param_spec_uint ("level-window", "Level window",
          "Time constant in milliseconds of the exponential average of each "
          "member's power used for ranking, 1 to 10000; any state",
          1, 10000, GST_ACS_LEVEL_DEFAULT_WINDOW,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_HYSTERESIS,
      g_param_spec_double ("hysteresis", "Hysteresis",
          "How many dB louder than a selected (or the dominant) member "
          "another member must be to take its place, 0 to 60; any state",
          0.0, 60.0, GST_ACS_LEVEL_DEFAULT_HYSTERESIS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_HOLD_TIME,
      g_param_spec_uint ("hold-time", "Hold time",
          "Minimum time in milliseconds a member stays selected or dominant "
          "before a louder one may replace it, 0 to 60000; any state",
          0, 60000, GST_ACS_LEVEL_DEFAULT_HOLD_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAcsMixer:ranking:
   *
   * A `application/x-acs-mixer-ranking` structure describing the last
   * period: `period` (guint64), `dominant` (gint, member index or -1),
   * `selected` (array of guint, the selection, loudest first) and `members`
   * (array of guint, every member by decreasing level) with `levels`
   * (array of gdouble, dBov, same order).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_RANKING,
      g_param_spec_boxed ("ranking", "Ranking",
          "Selection, dominant speaker and every member's level (dBov) of "
          "the last mixed period, loudest first",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters since the element was made: periods mixed, distinct and "
          "shared outputs pushed, missing member periods, dominant changes",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /* GstAggregator's, re-installed for a blurb that says what it does */
  g_object_class_install_property (gobject_class, PROP_EMIT_SIGNALS,
      g_param_spec_boolean ("emit-signals", "Emit signals",
          "Emit GstAggregator's samples-selected signal before each period "
          "is mixed (off by default, it costs a signal per period)",
          FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstAcsMixer::on-dominant-speaker:
   * @mixer: the #GstAcsMixer
   * @member: index N of the new dominant speaker's `sink_N` pad, or -1
   * @previous: index of the previous dominant speaker, or -1
   *
   * The dominant speaker changed. Emitted on the streaming thread with no
   * lock held, after the `acs-dominant-speaker` element message is posted.
   *
   * Since: 0.1
   */
  gst_acs_mixer_signals[SIGNAL_ON_DOMINANT_SPEAKER] =
      g_signal_new ("on-dominant-speaker", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT,
      G_TYPE_INT);

  gst_type_mark_as_plugin_api (GST_TYPE_ACS_MIXER_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ACS_MIXER_PAD, 0);
}

static void
acs_output_clear (AcsOutput * out)
{
  gst_clear_object (&out->srcpad);
  gst_clear_event (&out->caps);
  gst_clear_event (&out->segment);
}

static void
acs_output_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, (GDestroyNotify) acs_output_clear);
}

static void
gst_acs_mixer_init (GstAcsMixer * self)
{
  self->mode = DEFAULT_MODE;
  self->top_k = DEFAULT_TOP_K;
  gst_acs_level_ranking_init (&self->level_ranking);
  /* Live, GstAggregator's default (zero) times out the first period at
   * base time + latency; if no member's audio has arrived by then,
   * GstAudioAggregator has no output format and fails for good
   * (not-negotiated). A room starts before anyone speaks: start with the
   * first input instead (docs/elements/acsmixer.md) */
  g_object_set (self, "start-time-selection",
      GST_AGGREGATOR_START_TIME_SELECTION_FIRST, NULL);

  g_mutex_init (&self->lock);
  g_mutex_init (&self->gate_lock);
  g_cond_init (&self->gate_cond);
  self->outputs = g_ptr_array_new_with_free_func (acs_output_unref);
  self->ext_levels = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->selection = g_array_new (FALSE, FALSE, sizeof (guint));
  self->ranking = g_array_new (FALSE, FALSE, sizeof (AcsRankEntry));
  self->dominant_pub = -1;

  self->pads = g_ptr_array_new_with_free_func (gst_object_unref);
  self->by_index = g_ptr_array_new ();
  self->sel = g_ptr_array_new_with_free_func (gst_object_unref);
  self->summed = g_ptr_array_new ();
  self->rank_scratch = g_array_new (FALSE, FALSE, sizeof (AcsRankEntry));
  self->dominant = -1;
  self->fast_pads = g_ptr_array_new_with_free_func (gst_object_unref);
  self->out_next_offset = -1;

  g_object_set (self, "output-buffer-duration",
      DEFAULT_OUTPUT_BUFFER_DURATION, NULL);
  gst_pad_add_probe (GST_AGGREGATOR_SRC_PAD (self),
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, gst_acs_mixer_src_eos_probe, self,
      NULL);
}

static void
gst_acs_mixer_dispose (GObject * object)
{
  GstAcsMixer *self = GST_ACS_MIXER (object);

  g_ptr_array_set_size (self->sel, 0);
  g_ptr_array_set_size (self->pads, 0);
  GATE_LOCK (self);
  g_ptr_array_set_size (self->fast_pads, 0);
  GATE_UNLOCK (self);

  G_OBJECT_CLASS (parent_class)->dispose (object);
}

static void
gst_acs_mixer_finalize (GObject * object)
{
  GstAcsMixer *self = GST_ACS_MIXER (object);

  g_ptr_array_unref (self->outputs);
  g_hash_table_unref (self->ext_levels);
  g_array_unref (self->selection);
  g_array_unref (self->ranking);
  g_ptr_array_unref (self->pads);
  g_ptr_array_unref (self->by_index);
  g_ptr_array_unref (self->sel);
  g_ptr_array_unref (self->summed);
  g_array_unref (self->rank_scratch);
  g_ptr_array_unref (self->fast_pads);
  g_free (self->sum);
  gst_clear_buffer (&self->mix_keep);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->gate_lock);
  g_cond_clear (&self->gate_cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static gint
rank_entry_compare (gconstpointer a, gconstpointer b)
{
  const AcsRankEntry *ea = a, *eb = b;

  if (ea->level > eb->level)
    return -1;
  if (ea->level < eb->level)
    return 1;
  return (ea->index > eb->index) - (ea->index < eb->index);
}

static GstStructure *
gst_acs_mixer_make_ranking (GstAcsMixer * self)
{
  GstStructure *s;
  GValue selected = G_VALUE_INIT, members = G_VALUE_INIT,
      levels = G_VALUE_INIT, v = G_VALUE_INIT;
  GArray *rows;
  guint i;

  gst_value_array_init (&selected, 0);
  gst_value_array_init (&members, 0);
  gst_value_array_init (&levels, 0);

  MIXER_LOCK (self);
  rows = g_array_copy (self->ranking);
  s = gst_structure_new ("application/x-acs-mixer-ranking",
      "period", G_TYPE_UINT64, self->period_pub,
      "dominant", G_TYPE_INT, self->dominant_pub, NULL);
  g_value_init (&v, G_TYPE_UINT);
  for (i = 0; i < self->selection->len; i++) {
    g_value_set_uint (&v, g_array_index (self->selection, guint, i));
    gst_value_array_append_value (&selected, &v);
  }
  MIXER_UNLOCK (self);

  g_array_sort (rows, rank_entry_compare);
  for (i = 0; i < rows->len; i++) {
    AcsRankEntry *e = &g_array_index (rows, AcsRankEntry, i);

    g_value_set_uint (&v, e->index);
    gst_value_array_append_value (&members, &v);
  }
  g_value_unset (&v);
  g_value_init (&v, G_TYPE_DOUBLE);
  for (i = 0; i < rows->len; i++) {
    g_value_set_double (&v, g_array_index (rows, AcsRankEntry, i).level);
    gst_value_array_append_value (&levels, &v);
  }
  g_value_unset (&v);
  g_array_unref (rows);

  gst_structure_take_value (s, "selected", &selected);
  gst_structure_take_value (s, "members", &members);
  gst_structure_take_value (s, "levels", &levels);
  return s;
}

static GstStructure *
gst_acs_mixer_make_stats (GstAcsMixer * self)
{
  GstStructure *s;

  MIXER_LOCK (self);
  s = gst_structure_new ("application/x-acs-mixer-stats",
      "periods", G_TYPE_UINT64, self->stat_periods,
      "distinct-outputs", G_TYPE_UINT64, self->stat_distinct,
      "shared-outputs", G_TYPE_UINT64, self->stat_shared,
      "missing-periods", G_TYPE_UINT64, self->stat_missing,
      "dominant-changes", G_TYPE_UINT64, self->stat_dominant_changes,
      "caps-refused", G_TYPE_UINT64, self->stat_caps_refused,
      "members", G_TYPE_UINT, (guint) self->ranking->len,
      "outputs", G_TYPE_UINT, self->outputs->len, NULL);
  MIXER_UNLOCK (self);
  return s;
}

/* Sets or gets the property @name as GstAggregator defines it */
static void
forward_to_aggregator (GObject * object, const gchar * name, GValue * value,
    gboolean set)
{
  GObjectClass *agg_class = g_type_class_peek (GST_TYPE_AGGREGATOR);
  GParamSpec *pspec = g_object_class_find_property (agg_class, name);

  if (set)
    agg_class->set_property (object, pspec->param_id, value, pspec);
  else
    agg_class->get_property (object, pspec->param_id, value, pspec);
}

static void
gst_acs_mixer_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstAcsMixer *self = GST_ACS_MIXER (object);

  if (prop_id == PROP_EMIT_SIGNALS) {
    forward_to_aggregator (object, "emit-signals", (GValue *) value, TRUE);
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_TOP_K:
      self->top_k = g_value_get_uint (value);
      break;
    default:
      if (!gst_acs_level_ranking_set_property (&self->level_ranking,
              PROP_LEVEL_WINDOW, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_acs_mixer_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstAcsMixer *self = GST_ACS_MIXER (object);

  switch (prop_id) {
    case PROP_RANKING:
      g_value_take_boxed (value, gst_acs_mixer_make_ranking (self));
      return;
    case PROP_STATS:
      g_value_take_boxed (value, gst_acs_mixer_make_stats (self));
      return;
    case PROP_EMIT_SIGNALS:
      forward_to_aggregator (object, "emit-signals", value, FALSE);
      return;
    default:
      break;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_TOP_K:
      g_value_set_uint (value, self->top_k);
      break;
    default:
      if (!gst_acs_level_ranking_get_property (&self->level_ranking,
              PROP_LEVEL_WINDOW, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstStateChangeReturn
gst_acs_mixer_change_state (GstElement * element, GstStateChange transition)
{
  GstAcsMixer *self = GST_ACS_MIXER (element);
  GstAcsMixerMode mode;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    GST_OBJECT_LOCK (self);
    mode = self->mode;
    GST_OBJECT_UNLOCK (self);
    if (mode == GST_ACS_MIXER_MODE_SFU) {
      GST_ELEMENT_ERROR (self, CORE, NOT_IMPLEMENTED,
          ("acsmixer does not forward RTP: use the acssfu element"),
          ("mode=sfu is done by the acssfu element (same plugin, same "
              "sink_%%u/src_%%u pads); acsmixer only does mode=mcu"));
      return GST_STATE_CHANGE_FAILURE;
    }
  }

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED ||
      transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    /* GstAggregator starts or stops its task: never waiting in the gate
     * while it is stopped */
    GATE_LOCK (self);
    self->gate_flushing = transition == GST_STATE_CHANGE_PAUSED_TO_READY;
    if (!self->gate_flushing) {
      GList *l;

      /* the pads' queues are empty: count events from zero again */
      GST_OBJECT_LOCK (self);
      for (l = element->sinkpads; l; l = l->next) {
        GST_ACS_MIXER_PAD (l->data)->gate_events = 0;
        GST_ACS_MIXER_PAD (l->data)->gate_chained = FALSE;
      }
      GST_OBJECT_UNLOCK (self);
      self->gate_events = 0;
    }
    gate_poke_locked (self);
    GATE_UNLOCK (self);
  }

  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

/* Must be called with MIXER_LOCK; replaces self->outputs by a copy with
 * @add added and/or @remove removed */
static void
gst_acs_mixer_replace_outputs_locked (GstAcsMixer * self, AcsOutput * add,
    GstPad * remove)
{
  GPtrArray *outputs = g_ptr_array_new_full (self->outputs->len + 1,
      acs_output_unref);
  guint i;

  for (i = 0; i < self->outputs->len; i++) {
    AcsOutput *o = g_ptr_array_index (self->outputs, i);

    if (o->srcpad == remove)
      continue;
    g_ptr_array_add (outputs, g_atomic_rc_box_acquire (o));
  }
  if (add)
    g_ptr_array_add (outputs, add);
  g_ptr_array_unref (self->outputs);
  self->outputs = outputs;
}

static gboolean
gst_acs_mixer_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstAggregator *agg = GST_AGGREGATOR (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *caps = gst_pad_get_current_caps (agg->srcpad);
      GstCaps *filter;

      if (!caps)
        caps = gst_pad_get_pad_template_caps (pad);
      gst_query_parse_caps (query, &filter);
      if (filter) {
        GstCaps *tmp = gst_caps_intersect_full (filter, caps,
            GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref (caps);
        caps = tmp;
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS:
      return gst_pad_query_default (pad, parent, query);
    default:
      /* latency, position, ...: as the aggregator's own source pad */
      return gst_pad_query (agg->srcpad, query);
  }
}

static gboolean
gst_acs_mixer_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  /* A member's downstream cannot seek or flush the whole call */
  GST_LOG_OBJECT (pad, "dropping upstream event %" GST_PTR_FORMAT, event);
  gst_event_unref (event);
  return TRUE;
}

static gboolean
parse_index (const gchar * name, const gchar * prefix, guint * index)
{
  const gchar *p;
  gchar *end = NULL;
  guint64 v;

  if (!name || !g_str_has_prefix (name, prefix))
    return FALSE;
  p = name + strlen (prefix);
  if (*p == '\0' || *p == '%')
    return FALSE;
  v = g_ascii_strtoull (p, &end, 10);
  if (end == p || *end != '\0' || v > G_MAXINT)
    return FALSE;
  *index = (guint) v;
  return TRUE;
}

/* The period gate.
 *
 * GstAggregator wakes its source pad task for every input buffer, and each
 * wake-up walks all the sink pads (events, peeked buffers, readiness): with
 * N members arriving one by one, up to N wake-ups and N^2 pad visits a
 * period, plus a hand-over between threads for every period. In a
 * non-live pipeline the aggregator mixes once every sink pad has a buffer
 * or is EOS, nothing else. So, once GstAudioAggregator has mixed a period
 * (gst_acs_mixer_aggregate(), on the aggregator's task), the task stays
 * there ("parked") and counts the pads that have no buffer yet; the sink
 * pads' chain function (GstAggregator's, wrapped) counts them down, and the
 * thread that brings the last one mixes the period itself, as the task
 * would have, while the task stays parked: no wake-up, no walk, no
 * hand-over. Anything else GstAggregator has to handle (a serialized event
 * or query not yet handled, a pad added or removed, flushing, a state
 * change, caps to renegotiate, a flow error) sends the task back to
 * GstAggregator's loop, which handles it as before. Live pipelines keep
 * GstAggregator's own waiting, with its timeouts on the clock. */

/* The fast input path (non-live, inside the period gate).
 *
 * Even with the gate, every member's buffer still goes through
 * GstAggregator's chain function (pad and aggregator locks, a queue, a
 * condition broadcast: a futex system call) and, once the period is mixed,
 * through GstAudioAggregator's per-pad work (peek, clip, resync, mix
 * bookkeeping, drop: another broadcast). When the gate is armed and every
 * pad's queue is empty, the period is armed "fast": an ordinary buffer (one
 * buffer covering exactly the pad's next period: size of a period, no
 * DISCONT/RESYNC/GAP flag, inside the pad's segment, its running time
 * placing it, as GstAudioAggregator places a buffer on resync, at the
 * output offset of the next period) is kept in the pad's fast_buf slot
 * instead, under GATE_LOCK only. The thread bringing the last one mixes the
 * period: the slots become the pads' in-place inputs and
 * GstAudioAggregator's aggregate runs with timeout = TRUE and no queued
 * input, which produces the output buffer exactly as for any other period
 * (offset, timestamps, segment position, blocksize, samples-selected) and
 * leaves each pad's position to be resynced from its next buffer's
 * timestamp; finish_buffer mixes the slots. Anything else (a buffer that is
 * not ordinary, a second buffer on a pad, an event, a query, a pad added or
 * released, a state change, a renegotiation) first hands the slots, in
 * order, to GstAggregator's chain function (their queues are empty: it
 * never blocks; GstAggregator's locks are taken under GATE_LOCK, as
 * for the pads' has_buffer and is_eos, never the other way round) and the
 * period continues on the ordinary gated path.
 *
 * One difference remains for inputs whose timestamps are off the period
 * grid by less than GstAudioAggregator's alignment-threshold, without a
 * DISCONT flag: such a buffer is not ordinary, and when it follows fast
 * periods GstAudioAggregator places it by its timestamp (resync) where it
 * would otherwise have gone on counting samples. Such a member keeps the
 * element on the ordinary path from then on. */

/* Must be called with GATE_LOCK: the period leaves the fast path; its
 * buffers so far go to GstAggregator's queues, in order */
static void
gate_fast_fallback_locked (GstAcsMixer * self)
{
  GstFlowReturn ret;
  guint i;

  self->fast_quick = FALSE;
  if (!self->fast)
    return;
  self->fast = FALSE;
  GST_DEBUG_OBJECT (self, "fast input path: period handed to GstAggregator");
  for (i = 0; i < self->fast_pads->len; i++) {
    GstAcsMixerPad *p = g_ptr_array_index (self->fast_pads, i);
    GstBuffer *buf = g_steal_pointer (&p->fast_buf);

    if (!buf)
      continue;
    /* also when flushing: GstAggregator drops what the flushed pads hold,
     * the others keep theirs */
    ret = agg_pad_chain (GST_PAD (p), GST_OBJECT_CAST (self), buf);
    if (ret != GST_FLOW_OK)
      GST_DEBUG_OBJECT (p, "queued input refused: %s", gst_flow_get_name (ret));
    p->gate_chained = TRUE;
  }
}

/* Must be called with GATE_LOCK */
static void
gate_poke_locked (GstAcsMixer * self)
{
  gate_fast_fallback_locked (self);
  self->gate_poked = TRUE;
  g_cond_broadcast (&self->gate_cond);
}

static void
gate_poke (GstAcsMixer * self)
{
  GATE_LOCK (self);
  gate_poke_locked (self);
  GATE_UNLOCK (self);
}

/* Must be called with GATE_LOCK: whether the parked task must go back to
 * GstAggregator's loop */
static gboolean
gate_must_leave_locked (GstAcsMixer * self)
{
  return self->gate_poked || self->gate_flushing || self->gate_queries > 0
      || self->gate_events > 0 || self->gate_ret != GST_FLOW_OK;
}

/* The frames of every output period at @rate, from the
 * output-buffer-duration; 0 when they vary (GstAudioAggregator then adds a
 * frame now and then: its accumulated error) */
static guint64
period_frames (GstAcsMixer * self, gint rate)
{
  gint num = 0, den = 0;

  g_object_get (self, "output-buffer-duration-fraction", &num, &den, NULL);
  if (num <= 0 || den <= 0 || rate <= 0 || ((guint64) rate * num) % den != 0)
    return 0;
  return (guint64) rate *num / den;
}

/* Must be called with GATE_LOCK: what the fast path needs of the output
 * side. FALSE when a period cannot be fast: live, caps to renegotiate,
 * output offset unknown or not where the segment position is, periods
 * whose number of frames varies (GstAudioAggregator's accumulated error),
 * reverse playback */
static gboolean
gate_fast_output_locked (GstAcsMixer * self)
{
  GstAggregator *agg = GST_AGGREGATOR (self);
  GstAudioAggregatorPad *srcpad = GST_AUDIO_AGGREGATOR_PAD (agg->srcpad);
  gint rate, bpf;
  guint64 frames;
  gboolean ok;

  if (self->out_next_offset < 0 || gst_pad_needs_reconfigure (agg->srcpad) ||
      GST_CLOCK_TIME_IS_VALID (gst_aggregator_get_latency (agg)))
    return FALSE;

  GST_OBJECT_LOCK (self);
  rate = GST_AUDIO_INFO_RATE (&srcpad->info);
  bpf = GST_AUDIO_INFO_BPF (&srcpad->info);
  self->fast_seg = GST_AGGREGATOR_PAD (agg->srcpad)->segment;
  GST_OBJECT_UNLOCK (self);

  if (rate <= 0 || bpf <= 0)
    return FALSE;
  frames = period_frames (self, rate);

  ok = frames > 0 && frames == self->out_frames && frames <= G_MAXINT / bpf &&
      self->fast_seg.format == GST_FORMAT_TIME && self->fast_seg.rate > 0.0 &&
      GST_CLOCK_TIME_IS_VALID (self->fast_seg.position) &&
      self->fast_seg.position == self->fast_seg.start +
      gst_util_uint64_scale (self->out_next_offset, GST_SECOND, rate);
  if (!ok)
    return FALSE;
  self->fast_rate = rate;
  self->fast_frames = frames;
  self->fast_bytes = frames * bpf;
  self->fast_duration = gst_util_uint64_scale (frames, GST_SECOND, rate);
  self->fast_offset = self->out_next_offset;
  return TRUE;
}

/* Must be called with GATE_LOCK, nobody mixing: counts the sink pads that
 * have no buffer and are not EOS (GstAggregator waits for those), and marks
 * them. Arms the period fast when every pad is EOS or may take the fast
 * path (the pad's queue is empty, nothing on its way to it). Returns FALSE
 * when there is no sink pad (GstAggregator does not mix then) or one whose
 * functions are not wrapped. */
static gboolean
gate_arm_locked (GstAcsMixer * self)
{
  GList *l;
  gboolean any = FALSE, fast;
  guint eligible = 0;

  gate_fast_fallback_locked (self);
  g_ptr_array_set_size (self->fast_pads, 0);
  fast = gate_fast_output_locked (self);
  self->gate_missing = 0;
  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    GstAcsMixerPad *p = l->data;
    GstAggregatorPad *ap = l->data;
    gboolean has_buffer, eos;

    if (!p->gate_wrapped) {
      /* we would not see its buffers and events */
      any = FALSE;
      fast = FALSE;
      break;
    }
    has_buffer = gst_aggregator_pad_has_buffer (ap);
    eos = gst_aggregator_pad_is_eos (ap);
    p->gate_waiting = !has_buffer && !eos;
    if (p->gate_waiting)
      self->gate_missing++;
    any = TRUE;
    if (fast && (has_buffer || p->gate_inflight > 0 || p->gate_events > 0 ||
            (!eos && (!p->gate_chained || GST_AUDIO_INFO_BPF
                    (&GST_AUDIO_AGGREGATOR_PAD (p)->info) * self->fast_frames
                    != self->fast_bytes
                    || GST_AUDIO_INFO_RATE (&GST_AUDIO_AGGREGATOR_PAD
                        (p)->info) != self->fast_rate))))
      fast = FALSE;
    if (fast && !eos) {
      g_ptr_array_add (self->fast_pads, gst_object_ref (p));
      eligible++;
    }
  }
  GST_OBJECT_UNLOCK (self);
  self->gate_armed = TRUE;
  self->fast = any && fast && eligible > 0 && eligible == self->gate_missing;
  self->fast_quick = self->fast;
  if (!self->fast)
    g_ptr_array_set_size (self->fast_pads, 0);
  else
    GST_LOG_OBJECT (self, "fast input path armed for %u pads", eligible);
  return any;
}

/* Must be called with GATE_LOCK, after a fast period: the next one armed
 * the same way, without walking the pads, when nothing but fast buffers
 * came since the last full arming; else armed as usual */
static gboolean
gate_rearm_locked (GstAcsMixer * self)
{
  guint i;

  if (!self->fast_quick || self->out_frames != self->fast_frames ||
      self->out_next_offset < 0 || gst_pad_needs_reconfigure
      (GST_AGGREGATOR_SRC_PAD (self)))
    return gate_arm_locked (self);
  for (i = 0; i < self->fast_pads->len; i++)
    ((GstAcsMixerPad *) g_ptr_array_index (self->fast_pads, i))->gate_waiting =
        TRUE;
  self->gate_missing = self->fast_pads->len;
  self->fast_offset = self->out_next_offset;
  self->fast = TRUE;
  self->gate_armed = TRUE;
  return TRUE;
}

/* Must be called with GATE_LOCK, fast and waiting for @pad: whether @buf is
 * ordinary (see "The fast input path") */
static gboolean
gate_fast_takes (GstAcsMixer * self, GstAcsMixerPad * pad, GstBuffer * buf)
{
  const GstSegment *seg = &GST_AGGREGATOR_PAD (pad)->segment;
  GstClockTime pts = GST_BUFFER_PTS (buf), rt, pos;

  if ((GST_BUFFER_FLAGS (buf) & (GST_BUFFER_FLAG_DISCONT |
              GST_BUFFER_FLAG_RESYNC | GST_BUFFER_FLAG_GAP)) ||
      !GST_CLOCK_TIME_IS_VALID (pts) ||
      gst_buffer_get_size (buf) != self->fast_bytes ||
      seg->format != GST_FORMAT_TIME || seg->rate != self->fast_seg.rate ||
      pts < seg->start || (GST_CLOCK_TIME_IS_VALID (seg->stop) &&
          pts + self->fast_duration > seg->stop))
    return FALSE;
  rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME, pts);
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return FALSE;
  pos = gst_segment_position_from_running_time (&self->fast_seg,
      GST_FORMAT_TIME, rt);
  return GST_CLOCK_TIME_IS_VALID (pos) && pos >= self->fast_seg.start &&
      gst_util_uint64_scale (pos - self->fast_seg.start, self->fast_rate,
      GST_SECOND) == (guint64) self->fast_offset;
}

/* Must be called with GATE_LOCK, fast, every slot filled, the task parked
 * and nobody else mixing: mixes the period from the slots. GATE_LOCK is
 * released while mixing. Returns FALSE when the period went back to
 * GstAggregator or mixing failed. */
static gboolean
gate_fast_mix_locked (GstAcsMixer * self)
{
  GstAggregator *agg = GST_AGGREGATOR (self);
  GPtrArray *pads;
  GstFlowReturn ret;
  guint i;

  if (gst_pad_needs_reconfigure (agg->srcpad) ||
      GST_CLOCK_TIME_IS_VALID (gst_aggregator_get_latency (agg)) ||
      period_frames (self, self->fast_rate) != self->fast_frames) {
    /* renegotiation, live timing, and a new output-buffer-duration, are
     * GstAggregator's */
    gate_poke_locked (self);
    return FALSE;
  }
  self->fast = FALSE;
  self->gate_running = TRUE;
  self->gate_armed = FALSE;
  pads = g_ptr_array_ref (self->fast_pads);
  /* the slots become the next period's inputs, read in place
   * (create_output_buffer counts the period) */
  for (i = 0; i < pads->len; i++) {
    GstAcsMixerPad *p = g_ptr_array_index (pads, i);
    GstBuffer *buf = g_steal_pointer (&p->fast_buf);

    pad_release_input (p);
    p->data = NULL;
    p->data_period = G_MAXUINT64;
    if (buf && gst_buffer_map (buf, &p->in_map, GST_MAP_READ)) {
      p->in_buf = buf;
      p->data = (const gint16 *) p->in_map.data;
      p->data_samples = p->in_map.size / sizeof (gint16);
      p->data_period = self->period + 1;
    } else if (buf) {
      gst_buffer_unref (buf);
    }
  }
  GATE_UNLOCK (self);

  GST_LOG_OBJECT (self, "mixing a fast period");
  ret = GST_AGGREGATOR_CLASS (parent_class)->aggregate (agg, TRUE);
  /* not mixed (the period did not start): the inputs are dropped */
  for (i = 0; i < pads->len; i++) {
    GstAcsMixerPad *p = g_ptr_array_index (pads, i);

    if (p->data_period > self->period && p->data_period != G_MAXUINT64) {
      pad_release_input (p);
      p->data = NULL;
      p->data_period = G_MAXUINT64;
    }
  }

  GATE_LOCK (self);
  g_ptr_array_unref (pads);
  self->gate_running = FALSE;
  self->fast_last = TRUE;
  if (ret != GST_FLOW_OK) {
    self->gate_ret = ret;
    return FALSE;
  }
  return TRUE;
}

/* Must be called with GATE_LOCK, the task parked and nobody else mixing:
 * mixes periods (GstAudioAggregator's aggregate, or fast periods) while
 * every pad is ready (checked again here: the count is only a hint, a
 * buffer may have been clipped away or refused) and the task need not
 * leave. GATE_LOCK is released while mixing. */
static void
gate_mix_locked (GstAcsMixer * self)
{
  GstAggregator *agg = GST_AGGREGATOR (self);
  GstFlowReturn ret;

  while (!gate_must_leave_locked (self)) {
    if (self->fast) {
      if (self->gate_missing > 0)
        break;
      if (!gate_fast_mix_locked (self))
        break;
      if (!gate_must_leave_locked (self) && !gate_rearm_locked (self)) {
        self->gate_poked = TRUE;
        break;
      }
      continue;
    }
    if (!gate_arm_locked (self)) {
      self->gate_poked = TRUE;
      break;
    }
    if (self->gate_missing > 0)
      break;
    if (gst_pad_needs_reconfigure (agg->srcpad) ||
        GST_CLOCK_TIME_IS_VALID (gst_aggregator_get_latency (agg))) {
      /* renegotiation, and live timing, are GstAggregator's */
      self->gate_poked = TRUE;
      break;
    }
    self->gate_running = TRUE;
    self->gate_armed = FALSE;
    self->fast_last = FALSE;
    GATE_UNLOCK (self);
    ret = GST_AGGREGATOR_CLASS (parent_class)->aggregate (agg, FALSE);
    GATE_LOCK (self);
    self->gate_running = FALSE;
    if (ret != GST_FLOW_OK) {
      self->gate_ret = ret;
      break;
    }
  }
  /* the parked task only has something to do when it must leave */
  if (gate_must_leave_locked (self)) {
    gate_fast_fallback_locked (self);
    g_cond_broadcast (&self->gate_cond);
  }
}

/* Whether every sink pad is EOS with nothing queued */
static gboolean
all_pads_drained (GstAcsMixer * self)
{
  GList *l;
  gboolean ret = GST_ELEMENT (self)->sinkpads != NULL;

  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l && ret; l = l->next)
    ret = gst_aggregator_pad_is_eos (l->data) &&
        !gst_aggregator_pad_has_buffer (l->data);
  GST_OBJECT_UNLOCK (self);
  return ret;
}

static GstFlowReturn
gst_acs_mixer_aggregate (GstAggregator * agg, gboolean timeout)
{
  GstAcsMixer *self = GST_ACS_MIXER (agg);
  GstFlowReturn ret;
  gboolean after_fast;

  GATE_LOCK (self);
  after_fast = self->fast_last;
  self->fast_last = FALSE;
  GATE_UNLOCK (self);
  /* After a fast period GstAudioAggregator has no position for the pads
   * (they are resynced from their next buffer): when they have all ended,
   * it would take the end of the stream for an offset of 0 and output a
   * buffer at the start of the segment. Every period is complete: the
   * stream ends here */
  if (after_fast && !timeout && all_pads_drained (self)) {
    GST_DEBUG_OBJECT (self, "every member ended after a fast period: EOS");
    return GST_FLOW_EOS;
  }

  ret = GST_AGGREGATOR_CLASS (parent_class)->aggregate (agg, timeout);
  if (ret != GST_FLOW_OK || timeout ||
      GST_CLOCK_TIME_IS_VALID (gst_aggregator_get_latency (agg)))
    return ret;

  GATE_LOCK (self);
  GST_LOG_OBJECT (self, "parking");
  self->gate_parked = TRUE;
  self->gate_ret = GST_FLOW_OK;
  self->gate_armed = FALSE;
  for (;;) {
    if (self->gate_running) {
      g_cond_wait (&self->gate_cond, &self->gate_lock);
      continue;
    }
    if (gate_must_leave_locked (self))
      break;
    if (!self->gate_armed) {
      if (!gate_arm_locked (self))
        break;
      if (self->gate_missing == 0) {
        /* everything is there already: mix here */
        gate_mix_locked (self);
        continue;
      }
    }
    g_cond_wait (&self->gate_cond, &self->gate_lock);
  }
  gate_fast_fallback_locked (self);
  g_ptr_array_set_size (self->fast_pads, 0);
  ret = self->gate_ret;
  GST_LOG_OBJECT (self, "back to GstAggregator: %s (poked %d flushing %d "
      "queries %d events %d)", gst_flow_get_name (ret), self->gate_poked,
      self->gate_flushing, self->gate_queries, self->gate_events);
  self->gate_parked = FALSE;
  self->gate_armed = FALSE;
  self->gate_poked = FALSE;
  self->gate_ret = GST_FLOW_OK;
  GATE_UNLOCK (self);
  return ret;
}

static GstFlowReturn
gst_acs_mixer_sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstAcsMixer *self = GST_ACS_MIXER (parent);
  GstAcsMixerPad *mpad = GST_ACS_MIXER_PAD (pad);
  GstFlowReturn ret;

  GATE_LOCK (self);
  if (self->fast) {
    if (mpad->gate_waiting && gate_fast_takes (self, mpad, buf)) {
      mpad->fast_buf = buf;
      mpad->gate_waiting = FALSE;
      if (--self->gate_missing == 0) {
        if (self->gate_parked && !self->gate_running)
          gate_mix_locked (self);
        else
          g_cond_broadcast (&self->gate_cond);
      }
      GATE_UNLOCK (self);
      return GST_FLOW_OK;
    }
    /* not ordinary: this period is GstAggregator's */
    gate_fast_fallback_locked (self);
  }
  self->fast_quick = FALSE;
  mpad->gate_inflight++;
  GATE_UNLOCK (self);

  ret = agg_pad_chain (pad, parent, buf);

  GATE_LOCK (self);
  mpad->gate_inflight--;
  mpad->gate_chained = TRUE;
  if (mpad->gate_waiting) {
    mpad->gate_waiting = FALSE;
    if (self->gate_armed && self->gate_missing > 0 && --self->gate_missing == 0) {
      if (self->gate_parked && !self->gate_running)
        gate_mix_locked (self);
      else
        g_cond_broadcast (&self->gate_cond);
    }
  }
  GATE_UNLOCK (self);
  return ret;
}

static GstFlowReturn
gst_acs_mixer_sink_pad_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstAcsMixer *self = GST_ACS_MIXER (parent);
  GstEventType type = GST_EVENT_TYPE (event);
  gboolean queued = GST_EVENT_IS_SERIALIZED (event) &&
      type != GST_EVENT_FLUSH_STOP;
  GstFlowReturn ret;

  GATE_LOCK (self);
  if (type == GST_EVENT_FLUSH_START) {
    /* GstAggregator stops its task: it must not stay parked */
    self->gate_flushing = TRUE;
  }
  /* GstAggregator queues it for its task, which calls sink_event (where
   * gate_events goes down again); one lost in a flush leaves the gate
   * open until the next start: slower, never stuck */
  if (queued) {
    self->gate_events++;
    GST_ACS_MIXER_PAD (pad)->gate_events++;
  }
  gate_poke_locked (self);
  GATE_UNLOCK (self);

  ret = agg_pad_event_full (pad, parent, event);

  if (type == GST_EVENT_FLUSH_STOP) {
    GATE_LOCK (self);
    self->gate_flushing = FALSE;
    /* GstAggregator's chain function sees this pad's first buffer again */
    GST_ACS_MIXER_PAD (pad)->gate_chained = FALSE;
    GATE_UNLOCK (self);
  }
  return ret;
}

static gboolean
gst_acs_mixer_sink_pad_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstAcsMixer *self = GST_ACS_MIXER (parent);
  gboolean ret;

  if (!GST_QUERY_IS_SERIALIZED (query))
    return agg_pad_query (pad, parent, query);

  /* GstAggregator answers it on its task, the caller waits meanwhile */
  GATE_LOCK (self);
  self->gate_queries++;
  gate_poke_locked (self);
  GATE_UNLOCK (self);

  ret = agg_pad_query (pad, parent, query);

  GATE_LOCK (self);
  self->gate_queries--;
  GATE_UNLOCK (self);
  return ret;
}

static GstPad *
gst_acs_mixer_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * req_name, const GstCaps * caps)
{
  GstAcsMixer *self = GST_ACS_MIXER (element);
  GstPad *pad;
  guint index = 0;

  if (GST_PAD_TEMPLATE_DIRECTION (templ) == GST_PAD_SINK) {
    pad = GST_ELEMENT_CLASS (parent_class)->request_new_pad (element, templ,
        req_name, caps);
    if (pad && parse_index (GST_PAD_NAME (pad), "sink_", &index))
      GST_ACS_MIXER_PAD (pad)->index = index;
    if (pad) {
      /* GstAggregator's functions, wrapped for the period gate */
      if (!agg_pad_chain) {
        agg_pad_chain = GST_PAD_CHAINFUNC (pad);
        agg_pad_event_full = GST_PAD_EVENTFULLFUNC (pad);
        agg_pad_query = GST_PAD_QUERYFUNC (pad);
      }
      if (agg_pad_chain && agg_pad_event_full && agg_pad_query) {
        gst_pad_set_chain_function (pad,
            GST_DEBUG_FUNCPTR (gst_acs_mixer_sink_chain));
        gst_pad_set_event_full_function (pad,
            GST_DEBUG_FUNCPTR (gst_acs_mixer_sink_pad_event));
        gst_pad_set_query_function (pad,
            GST_DEBUG_FUNCPTR (gst_acs_mixer_sink_pad_query));
        GST_ACS_MIXER_PAD (pad)->gate_wrapped = TRUE;
      }
      gate_poke (self);
    }
    GST_DEBUG_OBJECT (self, "new member input %" GST_PTR_FORMAT, pad);
    return pad;
  }

  if (g_strcmp0 (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "src_%u") != 0)
    return NULL;

  if (!parse_index (req_name, "src_", &index)) {
    GList *l;

    /* No index asked: the lowest one no pad uses */
    GST_OBJECT_LOCK (self);
    for (l = element->pads; l; l = l->next) {
      guint i;

      if (parse_index (GST_PAD_NAME (l->data), "src_", &i) ||
          parse_index (GST_PAD_NAME (l->data), "sink_", &i))
        index = MAX (index, i + 1);
    }
    GST_OBJECT_UNLOCK (self);
  }

  {
    gchar *name = g_strdup_printf ("src_%u", index);
    AcsOutput *out;

    pad = gst_element_get_static_pad (element, name);
    if (pad) {
      GST_WARNING_OBJECT (self, "pad %s already exists", name);
      gst_object_unref (pad);
      g_free (name);
      return NULL;
    }
    pad = gst_pad_new_from_template (templ, name);
    g_free (name);

    gst_pad_set_query_function (pad, gst_acs_mixer_src_query);
    gst_pad_set_event_function (pad, gst_acs_mixer_src_event);
    gst_pad_use_fixed_caps (pad);

    out = g_atomic_rc_box_new0 (AcsOutput);
    out->index = index;
    out->srcpad = gst_object_ref (pad);

    gst_pad_set_active (pad, TRUE);
    if (!gst_element_add_pad (element, pad)) {
      acs_output_unref (out);
      return NULL;
    }
    MIXER_LOCK (self);
    gst_acs_mixer_replace_outputs_locked (self, out, NULL);
    MIXER_UNLOCK (self);
  }
  GST_DEBUG_OBJECT (self, "new member output %" GST_PTR_FORMAT, pad);
  return pad;
}

static void
gst_acs_mixer_release_pad (GstElement * element, GstPad * pad)
{
  GstAcsMixer *self = GST_ACS_MIXER (element);

  GST_DEBUG_OBJECT (self, "releasing %" GST_PTR_FORMAT, pad);

  if (GST_PAD_DIRECTION (pad) == GST_PAD_SINK) {
    MIXER_LOCK (self);
    g_hash_table_remove (self->ext_levels,
        GUINT_TO_POINTER (GST_ACS_MIXER_PAD (pad)->index));
    MIXER_UNLOCK (self);
    gst_object_ref (pad);
    gate_poke (self);
    GST_ELEMENT_CLASS (parent_class)->release_pad (element, pad);
    /* its queue is gone: so are its pending events */
    GATE_LOCK (self);
    self->gate_events -= GST_ACS_MIXER_PAD (pad)->gate_events;
    GST_ACS_MIXER_PAD (pad)->gate_events = 0;
    GST_ACS_MIXER_PAD (pad)->gate_waiting = FALSE;
    gate_poke_locked (self);
    GATE_UNLOCK (self);
    gst_object_unref (pad);
    return;
  }

  MIXER_LOCK (self);
  gst_acs_mixer_replace_outputs_locked (self, NULL, pad);
  MIXER_UNLOCK (self);
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
}

static gboolean
gst_acs_mixer_sink_setcaps (GstAcsMixer * self, GstAggregatorPad * pad,
    GstCaps * caps)
{
  GstAudioInfo info;

  if (!gst_audio_info_from_caps (&info, caps))
    goto refused;

  MIXER_LOCK (self);
  if (!self->have_info) {
    self->info = info;
    self->have_info = TRUE;
  } else if (!gst_audio_info_is_equal (&info, &self->info)) {
    self->stat_caps_refused++;
    MIXER_UNLOCK (self);
    goto refused;
  }
  MIXER_UNLOCK (self);

  gst_audio_aggregator_set_sink_caps (GST_AUDIO_AGGREGATOR (self),
      GST_AUDIO_AGGREGATOR_PAD (pad), caps);
  gst_pad_mark_reconfigure (GST_AGGREGATOR_SRC_PAD (self));
  return TRUE;

refused:
  GST_WARNING_OBJECT (pad, "refusing caps %" GST_PTR_FORMAT ": every member "
      "must send the format of the first one", caps);
  return FALSE;
}

static gboolean
gst_acs_mixer_sink_event (GstAggregator * agg, GstAggregatorPad * aggpad,
    GstEvent * event)
{
  GstAcsMixer *self = GST_ACS_MIXER (agg);
  GstAcsMixerPad *mpad = GST_ACS_MIXER_PAD (aggpad);

  if (GST_EVENT_IS_SERIALIZED (event) &&
      GST_EVENT_TYPE (event) != GST_EVENT_FLUSH_STOP) {
    /* taken from the pad's queue by GstAggregator's task */
    GATE_LOCK (self);
    if (mpad->gate_events > 0) {
      mpad->gate_events--;
      self->gate_events--;
    }
    GATE_UNLOCK (self);
  }

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gboolean ret;

    gst_event_parse_caps (event, &caps);
    ret = gst_acs_mixer_sink_setcaps (self, aggpad, caps);
    gst_event_unref (event);
    return ret;
  }

  return GST_AGGREGATOR_CLASS (parent_class)->sink_event (agg, aggpad, event);
}

static gboolean
gst_acs_mixer_sink_query (GstAggregator * agg, GstAggregatorPad * aggpad,
    GstQuery * query)
{
  GstAcsMixer *self = GST_ACS_MIXER (agg);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *caps, *filter;

      MIXER_LOCK (self);
      if (self->have_info)
        caps = gst_audio_info_to_caps (&self->info);
      else
        caps = gst_pad_get_pad_template_caps (GST_PAD (aggpad));
      MIXER_UNLOCK (self);
      gst_query_parse_caps (query, &filter);
      if (filter) {
        GstCaps *tmp = gst_caps_intersect_full (filter, caps,
            GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref (caps);
        caps = tmp;
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS:{
      GstCaps *caps;
      GstAudioInfo info;
      gboolean ok;

      gst_query_parse_accept_caps (query, &caps);
      ok = gst_caps_is_fixed (caps) &&
          gst_caps_can_intersect (caps,
          gst_pad_get_pad_template_caps (GST_PAD (aggpad))) &&
          gst_audio_info_from_caps (&info, caps);
      if (ok) {
        /* The first caps accepted (synchronously, when pushed) fix the
         * call's format; serialized caps events reach sink_event later */
        MIXER_LOCK (self);
        if (!self->have_info) {
          self->info = info;
          self->have_info = TRUE;
        }
        ok = gst_audio_info_is_equal (&info, &self->info);
        if (!ok)
          self->stat_caps_refused++;
        MIXER_UNLOCK (self);
      }
      gst_query_set_accept_caps_result (query, ok);
      return TRUE;
    }
    default:
      return GST_AGGREGATOR_CLASS (parent_class)->sink_query (agg, aggpad,
          query);
  }
}

static GstFlowReturn
gst_acs_mixer_update_src_caps (GstAggregator * agg, GstCaps * caps,
    GstCaps ** ret)
{
  GstAcsMixer *self = GST_ACS_MIXER (agg);
  GstCaps *mine;

  MIXER_LOCK (self);
  if (!self->have_info) {
    MIXER_UNLOCK (self);
    return GST_AGGREGATOR_FLOW_NEED_DATA;
  }
  mine = gst_audio_info_to_caps (&self->info);
  MIXER_UNLOCK (self);

  if (!gst_caps_can_intersect (mine, caps)) {
    GST_WARNING_OBJECT (self, "downstream of src refuses %" GST_PTR_FORMAT,
        mine);
  }
  *ret = mine;
  return GST_FLOW_OK;
}

static gboolean
gst_acs_mixer_stop (GstAggregator * agg)
{
  GstAcsMixer *self = GST_ACS_MIXER (agg);
  GList *l;
  guint i;

  g_ptr_array_set_size (self->sel, 0);
  g_ptr_array_set_size (self->pads, 0);
  gst_clear_buffer (&self->mix_keep);
  self->dominant = -1;
  self->out_next_offset = -1;
  self->out_frames = 0;
  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next)
    pad_release_input (l->data);
  GST_OBJECT_UNLOCK (self);
  MIXER_LOCK (self);
  self->have_info = FALSE;
  g_array_set_size (self->selection, 0);
  self->dominant_pub = -1;
  for (i = 0; i < self->outputs->len; i++) {
    AcsOutput *o = g_ptr_array_index (self->outputs, i);

    /* streams start again with the next PAUSED */
    o->started = FALSE;
    gst_clear_event (&o->caps);
    gst_clear_event (&o->segment);
  }
  MIXER_UNLOCK (self);

  return GST_AGGREGATOR_CLASS (parent_class)->stop (agg);
}

static GstBuffer *
gst_acs_mixer_create_output_buffer (GstAudioAggregator * aagg, guint num_frames)
{
  GstAcsMixer *self = GST_ACS_MIXER (aagg);

  GstAudioAggregatorPad *srcpad =
      GST_AUDIO_AGGREGATOR_PAD (GST_AGGREGATOR_SRC_PAD (aagg));
  gsize size = (gsize) num_frames * GST_AUDIO_INFO_BPF (&srcpad->info);
  GstBuffer *buf = self->mix_keep;
  GstMapInfo map;

  self->period++;
  self->period_frames = num_frames;

  /* The last full mix again, once downstream has released it: no
   * allocation, no new meta. Silence, no flags, no timestamps, as a new
   * one (GstAudioAggregator sets them) */
  if (released_output_meta (buf, size) &&
      gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    memset (map.data, 0, map.size);
    gst_buffer_unmap (buf, &map);
    GST_MINI_OBJECT_FLAGS (buf) &= GST_MINI_OBJECT_FLAG_LAST - 1;
    GST_BUFFER_PTS (buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION (buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_OFFSET (buf) = GST_BUFFER_OFFSET_NONE;
    GST_BUFFER_OFFSET_END (buf) = GST_BUFFER_OFFSET_NONE;
    self->mix_keep = NULL;
    return buf;
  }
  gst_clear_buffer (&self->mix_keep);
  return GST_AUDIO_AGGREGATOR_CLASS (parent_class)->create_output_buffer
      (aagg, num_frames);
}

/* Drops the pad's reference to the input buffer it read in place */
static void
pad_release_input (GstAcsMixerPad * pad)
{
  if (pad->in_buf) {
    if (pad->data != pad->stage)
      pad->data = NULL;
    gst_buffer_unmap (pad->in_buf, &pad->in_map);
    gst_clear_buffer (&pad->in_buf);
  }
}

static gboolean
pad_ensure_stage (GstAcsMixerPad * pad, gsize samples)
{
  if (pad->stage_samples < samples) {
    g_free (pad->stage);
    pad->stage = g_try_new (gint16, samples);
    pad->stage_samples = pad->stage ? samples : 0;
  }
  return pad->stage != NULL;
}

static gboolean
gst_acs_mixer_aggregate_one_buffer (GstAudioAggregator * aagg,
    GstAudioAggregatorPad * aggpad, GstBuffer * inbuf, guint in_offset,
    GstBuffer * outbuf, guint out_offset, guint num_frames)
{
  GstAcsMixer *self = GST_ACS_MIXER (aagg);
  GstAcsMixerPad *pad = GST_ACS_MIXER_PAD (aggpad);
  gint channels = GST_AUDIO_INFO_CHANNELS (&aggpad->info);
  gsize samples = (gsize) self->period_frames * channels;
  gsize in_end = (gsize) (in_offset + num_frames) * channels * sizeof (gint16);
  GstMapInfo map;

  if (pad->data_period != self->period) {
    pad_release_input (pad);
    pad->data = NULL;
    pad->data_period = self->period;
    /* The usual case: one input buffer covers the period, its samples are
     * read where they are (no copy); we keep a reference until the period
     * is mixed */
    if (out_offset == 0 && num_frames == self->period_frames &&
        gst_buffer_map (inbuf, &pad->in_map, GST_MAP_READ)) {
      if (in_end <= pad->in_map.size) {
        pad->in_buf = gst_buffer_ref (inbuf);
        pad->data = (const gint16 *) pad->in_map.data +
            (gsize) in_offset *channels;
        pad->data_samples = samples;
        return FALSE;
      }
      gst_buffer_unmap (inbuf, &pad->in_map);
    }
    if (!pad_ensure_stage (pad, samples))
      return FALSE;
    if (out_offset != 0 || num_frames != self->period_frames)
      memset (pad->stage, 0, samples * sizeof (gint16));
    pad->data = pad->stage;
    pad->data_samples = samples;
  } else if (pad->data != pad->stage) {
    /* another piece of a period read in place so far: copy to the stage */
    if (!pad_ensure_stage (pad, samples)) {
      pad_release_input (pad);
      return FALSE;
    }
    if (pad->data)
      memcpy (pad->stage, pad->data, samples * sizeof (gint16));
    else
      memset (pad->stage, 0, samples * sizeof (gint16));
    pad_release_input (pad);
    pad->data = pad->stage;
    pad->data_samples = samples;
  }

  if (!gst_buffer_map (inbuf, &map, GST_MAP_READ))
    return FALSE;
  if (in_end <= map.size && (gsize) (out_offset + num_frames) * channels <=
      samples)
    memcpy (pad->stage + (gsize) out_offset * channels,
        (const gint16 *) map.data + (gsize) in_offset * channels,
        (gsize) num_frames * channels * sizeof (gint16));
  gst_buffer_unmap (inbuf, &map);

  /* the output buffer is written in finish_buffer, once every member's
   * contribution of the period is known */
  return FALSE;
}

/* The sample loops. With SSE2 (every x86-64) they handle 8 samples at a
 * time: sign extension to 32 bits, 32-bit sums, pmaddwd for the squares
 * (exact: summed in 64 bits) and packssdw for the saturation; the scalar
 * loops do the rest, and all of it elsewhere. Pointers need no alignment. */

#ifdef ACS_MIXER_SSE2
/* the 8 samples of v, sign-extended to 32 bits */
static inline void
widen_s16 (__m128i v, __m128i * lo, __m128i * hi)
{
  *lo = _mm_srai_epi32 (_mm_unpacklo_epi16 (v, v), 16);
  *hi = _mm_srai_epi32 (_mm_unpackhi_epi16 (v, v), 16);
}

/* acc (2 x 64 bits) += the squares of the 8 samples of v. pmaddwd gives 4
 * sums of two squares, at most 2^31: read as unsigned */
static inline __m128i
add_squares (__m128i acc, __m128i v)
{
  __m128i m = _mm_madd_epi16 (v, v);
  __m128i z = _mm_setzero_si128 ();

  acc = _mm_add_epi64 (acc, _mm_unpacklo_epi32 (m, z));
  return _mm_add_epi64 (acc, _mm_unpackhi_epi32 (m, z));
}

static inline guint64
hsum_u64 (__m128i acc)
{
  guint64 t[2];

  _mm_storeu_si128 ((__m128i *) t, acc);
  return t[0] + t[1];
}
#endif

static gdouble
mean_square (const gint16 * restrict x, gsize n)
{
  guint64 acc = 0;
  gsize i = 0;

#ifdef ACS_MIXER_SSE2
  {
    __m128i a = _mm_setzero_si128 ();

    for (; i + 8 <= n; i += 8)
      a = add_squares (a, _mm_loadu_si128 ((const __m128i *) (x + i)));
    acc = hsum_u64 (a);
  }
#endif
  for (; i < n; i++)
    acc += (guint32) ((gint32) x[i] * x[i]);
  return n ? (gdouble) acc / n : 0.0;
}

static gdouble
ms_to_dbov (gdouble ms)
{
  gdouble db;

  if (ms <= 0.0)
    return MIN_DBOV;
  db = 10.0 * log10 (ms / (32767.0 * 32767.0));
  return CLAMP (db, MIN_DBOV, 0.0);
}

/* sum += x, or sum -= x with @sub; inlined with a constant @sub below */
static inline void
sum_acc (gint32 * restrict sum, const gint16 * restrict x, gsize n,
    gboolean sub)
{
  gsize i = 0;

#ifdef ACS_MIXER_SSE2
  for (; i + 8 <= n; i += 8) {
    __m128i lo, hi, a, b;

    widen_s16 (_mm_loadu_si128 ((const __m128i *) (x + i)), &lo, &hi);
    a = _mm_loadu_si128 ((const __m128i *) (sum + i));
    b = _mm_loadu_si128 ((const __m128i *) (sum + i + 4));
    _mm_storeu_si128 ((__m128i *) (sum + i),
        sub ? _mm_sub_epi32 (a, lo) : _mm_add_epi32 (a, lo));
    _mm_storeu_si128 ((__m128i *) (sum + i + 4),
        sub ? _mm_sub_epi32 (b, hi) : _mm_add_epi32 (b, hi));
  }
#endif
  for (; i < n; i++)
    sum[i] += sub ? -x[i] : x[i];
}

static void
sum_add (gint32 * restrict sum, const gint16 * restrict x, gsize n)
{
  sum_acc (sum, x, n, FALSE);
}

static void
sum_sub (gint32 * restrict sum, const gint16 * restrict x, gsize n)
{
  sum_acc (sum, x, n, TRUE);
}

/* sum += x, and the mean square of x, in one pass over x */
static gdouble
sum_add_mean_square (gint32 * restrict sum, const gint16 * restrict x, gsize n)
{
  guint64 acc = 0;
  gsize i = 0;

#ifdef ACS_MIXER_SSE2
  {
    __m128i a = _mm_setzero_si128 ();

    for (; i + 8 <= n; i += 8) {
      __m128i v = _mm_loadu_si128 ((const __m128i *) (x + i)), lo, hi;

      a = add_squares (a, v);
      widen_s16 (v, &lo, &hi);
      _mm_storeu_si128 ((__m128i *) (sum + i),
          _mm_add_epi32 (_mm_loadu_si128 ((const __m128i *) (sum + i)), lo));
      _mm_storeu_si128 ((__m128i *) (sum + i + 4),
          _mm_add_epi32 (_mm_loadu_si128 ((const __m128i *) (sum + i + 4)),
              hi));
    }
    acc = hsum_u64 (a);
  }
#endif
  for (; i < n; i++) {
    gint32 v = x[i];

    sum[i] += v;
    acc += (guint32) (v * v);
  }
  return n ? (gdouble) acc / n : 0.0;
}

static void
saturate (gint16 * restrict out, const gint32 * restrict sum, gsize n)
{
  gsize i = 0;

#ifdef ACS_MIXER_SSE2
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128 ((__m128i *) (out + i),
        _mm_packs_epi32 (_mm_loadu_si128 ((const __m128i *) (sum + i)),
            _mm_loadu_si128 ((const __m128i *) (sum + i + 4))));
#endif
  for (; i < n; i++)
    out[i] = CLAMP (sum[i], G_MININT16, G_MAXINT16);
}

/* out = sum - own, saturated to 16 bits */
static void
saturate_minus (gint16 * restrict out, const gint32 * restrict sum,
    const gint16 * restrict own, gsize n)
{
  gsize i = 0;

#ifdef ACS_MIXER_SSE2
  for (; i + 8 <= n; i += 8) {
    __m128i lo, hi;

    widen_s16 (_mm_loadu_si128 ((const __m128i *) (own + i)), &lo, &hi);
    lo = _mm_sub_epi32 (_mm_loadu_si128 ((const __m128i *) (sum + i)), lo);
    hi = _mm_sub_epi32 (_mm_loadu_si128 ((const __m128i *) (sum + i + 4)), hi);
    _mm_storeu_si128 ((__m128i *) (out + i), _mm_packs_epi32 (lo, hi));
  }
#endif
  for (; i < n; i++) {
    gint32 v = sum[i] - own[i];

    out[i] = CLAMP (v, G_MININT16, G_MAXINT16);
  }
}

static void
mark_output (GstBuffer * buf, gint member, guint64 period)
{
  GstCustomMeta *meta = gst_buffer_add_custom_meta (buf,
      GST_ACS_MIXER_OUTPUT_META);
  GstStructure *s = gst_custom_meta_get_structure (meta);

  gst_structure_id_set (s, quark_group, G_TYPE_STRING,
      member < 0 ? "shared" : "member", quark_member, G_TYPE_INT, member,
      quark_period, G_TYPE_UINT64, period, NULL);
}

/* The member's mix-minus buffer for this period, writable: the last one
 * again if downstream has released it and left it as we made it (only our
 * meta), else a new one */
/* The period field of our meta on a writable buffer of ours, set in place
 * (it exists, of type guint64, since mark_output()) */
static void
set_meta_period (GstCustomMeta * meta, guint64 period)
{
  GstStructure *s = gst_custom_meta_get_structure (meta);
  GValue *v = (GValue *) gst_structure_id_get_value (s, quark_period);

  if (v && G_VALUE_HOLDS_UINT64 (v))
    g_value_set_uint64 (v, period);
  else
    gst_structure_id_set (s, quark_period, G_TYPE_UINT64, period, NULL);
}

/* The output meta of a buffer of ours that downstream has released: it
 * is writable again, of @size bytes, and carries our meta and no other;
 * NULL if not */
static GstCustomMeta *
released_output_meta (GstBuffer * buf, gsize size)
{
  gpointer state = NULL;
  GstMeta *meta;

  if (!buf || !gst_buffer_is_writable (buf)
      || gst_buffer_get_size (buf) != size)
    return NULL;
  meta = gst_buffer_iterate_meta (buf, &state);
  if (meta && gst_buffer_iterate_meta (buf, &state) == NULL &&
      gst_meta_info_is_custom (meta->info) &&
      gst_custom_meta_has_name ((GstCustomMeta *) meta,
          GST_ACS_MIXER_OUTPUT_META))
    return (GstCustomMeta *) meta;
  return NULL;
}

static GstBuffer *
member_output_buffer (GstAcsMixerPad * p, GstBuffer * outbuf, gsize size,
    guint64 period)
{
  GstBuffer *buf = p->out_keep;
  GstCustomMeta *meta = released_output_meta (buf, size);

  if (meta) {
    gst_buffer_copy_into (buf, outbuf, GST_BUFFER_COPY_FLAGS |
        GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
    set_meta_period (meta, period);
    return g_steal_pointer (&p->out_keep);
  }

  gst_clear_buffer (&p->out_keep);
  buf = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_copy_into (buf, outbuf, GST_BUFFER_COPY_FLAGS |
      GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  mark_output (buf, p->index, period);
  return buf;
}

static gboolean
pad_contributed (GstAcsMixer * self, GstAcsMixerPad * pad)
{
  return pad->data_period == self->period && pad->data != NULL;
}

/* Updates self->sel (top K with hysteresis and hold) and the dominant
 * speaker from the pads' levels; streaming thread only. Returns TRUE when
 * the dominant speaker changed (@previous set). */
static gboolean
gst_acs_mixer_select (GstAcsMixer * self, guint top_k, gdouble hyst,
    guint64 hold, gint * previous)
{
  GstAcsMixerPad *top = NULL, *dom = NULL;
  guint i;

  /* Leave the selection: gone, muted, or silent for longer than hold */
  for (i = 0; i < self->sel->len;) {
    GstAcsMixerPad *p = g_ptr_array_index (self->sel, i);
    gboolean present = p->index < self->by_index->len &&
        g_ptr_array_index (self->by_index, p->index) == p;

    if (!present || g_atomic_int_get (&p->mute) || (!p->active &&
            self->period - p->selected_since >= hold)) {
      p->selected = FALSE;
      g_ptr_array_remove_index (self->sel, i);
      continue;
    }
    i++;
  }

  while (self->sel->len > top_k) {
    GstAcsMixerPad *weakest = NULL;
    guint wi = 0;

    for (i = 0; i < self->sel->len; i++) {
      GstAcsMixerPad *p = g_ptr_array_index (self->sel, i);
      if (!weakest || p->level_db < weakest->level_db) {
        weakest = p;
        wi = i;
      }
    }
    weakest->selected = FALSE;
    g_ptr_array_remove_index (self->sel, wi);
  }

  for (;;) {
    GstAcsMixerPad *best = NULL, *weakest = NULL;
    guint wi = 0;

    for (i = 0; i < self->pads->len; i++) {
      GstAcsMixerPad *p = g_ptr_array_index (self->pads, i);

      if (p->active && !p->selected && (!best || p->level_db > best->level_db))
        best = p;
    }
    if (!best)
      break;
    if (self->sel->len < top_k) {
      best->selected = TRUE;
      best->selected_since = self->period;
      g_ptr_array_add (self->sel, gst_object_ref (best));
      continue;
    }
    for (i = 0; i < self->sel->len; i++) {
      GstAcsMixerPad *p = g_ptr_array_index (self->sel, i);

      if (self->period - p->selected_since < hold)
        continue;
      if (!weakest || p->level_db < weakest->level_db) {
        weakest = p;
        wi = i;
      }
    }
    if (!weakest || best->level_db <= weakest->level_db + hyst)
      break;
    GST_DEBUG_OBJECT (self, "member %u (%.1f dBov) replaces member %u "
        "(%.1f dBov) in the mix", best->index, best->level_db,
        weakest->index, weakest->level_db);
    weakest->selected = FALSE;
    best->selected = TRUE;
    best->selected_since = self->period;
    g_ptr_array_index (self->sel, wi) = gst_object_ref (best);
    gst_object_unref (weakest);
  }

  /* Dominant speaker */
  for (i = 0; i < self->pads->len; i++) {
    GstAcsMixerPad *p = g_ptr_array_index (self->pads, i);

    if (p->active && !g_atomic_int_get (&p->mute) &&
        (!top || p->level_db > top->level_db))
      top = p;
    if ((gint) p->index == self->dominant)
      dom = p;
  }
  *previous = self->dominant;
  if (top && top != dom && (!dom || g_atomic_int_get (&dom->mute) ||
          (top->level_db > dom->level_db + hyst &&
              self->period - self->dominant_since >= hold))) {
    self->dominant = top->index;
    self->dominant_since = self->period;
    return TRUE;
  }
  if (!top && !dom && self->dominant >= 0) {
    /* the dominant speaker left and nobody speaks */
    self->dominant = -1;
    return TRUE;
  }
  return FALSE;
}

/* Sends @o's stream-start before its first event or buffer. Streaming
 * thread (the aggregator's source pad task). */
static void
output_start (GstAcsMixer * self, AcsOutput * o)
{
  gchar *id;
  GstEvent *ss;

  if (o->started)
    return;
  id = g_strdup_printf ("%s/%s", GST_OBJECT_NAME (self),
      GST_PAD_NAME (o->srcpad));
  ss = gst_event_new_stream_start (id);
  g_free (id);
  gst_event_set_group_id (ss, gst_util_group_id_next ());
  gst_pad_push_event (o->srcpad, ss);
  o->started = TRUE;
}

/* GstAggregator ends the call with EOS on its own source pad once every
 * member's input has ended: every member's src_%u ends with it, so that
 * what records or sends a member's mix finishes too. Streaming thread. */
static GstPadProbeReturn
gst_acs_mixer_src_eos_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstAcsMixer *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GPtrArray *outputs;
  guint i;

  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;

  MIXER_LOCK (self);
  outputs = g_ptr_array_ref (self->outputs);
  MIXER_UNLOCK (self);
  for (i = 0; i < outputs->len; i++) {
    AcsOutput *o = g_ptr_array_index (outputs, i);

    output_start (self, o);
    GST_DEBUG_OBJECT (o->srcpad, "end of the call");
    gst_pad_push_event (o->srcpad, gst_event_ref (event));
  }
  g_ptr_array_unref (outputs);

  return GST_PAD_PROBE_OK;
}

static GstFlowReturn
gst_acs_mixer_finish_buffer (GstAggregator * agg, GstBuffer * outbuf)
{
  GstAcsMixer *self = GST_ACS_MIXER (agg);
  GstAudioAggregatorPad *srcpad = GST_AUDIO_AGGREGATOR_PAD (agg->srcpad);
  gint bpf = GST_AUDIO_INFO_BPF (&srcpad->info);
  gint channels = GST_AUDIO_INFO_CHANNELS (&srcpad->info);
  gint rate = GST_AUDIO_INFO_RATE (&srcpad->info);
  gsize frames, samples;
  guint top_k, level_window, hold_time, i;
  gdouble hysteresis, alpha, period_ms;
  guint64 hold, missing = 0;
  gboolean dominant_changed, mixed = FALSE;
  gint previous = -1, dominant;
  GPtrArray *outputs;
  GstEvent *caps_ev, *seg_ev;
  GstMapInfo map;
  GstFlowReturn ret;
  GList *l;

  if (bpf <= 0 || rate <= 0)
    return GST_AGGREGATOR_CLASS (parent_class)->finish_buffer (agg, outbuf);

  frames = gst_buffer_get_size (outbuf) / bpf;
  samples = frames * channels;
  period_ms = frames * 1000.0 / rate;

  GST_OBJECT_LOCK (self);
  top_k = self->top_k;
  level_window = self->level_ranking.window;
  hysteresis = self->level_ranking.hysteresis;
  hold_time = self->level_ranking.hold_time;
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next)
    g_ptr_array_add (self->pads, gst_object_ref (l->data));
  GST_OBJECT_UNLOCK (self);

  alpha = exp (-period_ms / level_window);
  hold = period_ms > 0 ? (guint64) ceil (hold_time / period_ms) : 0;

  /* Levels: from the audio, or from a gate's audio-level reports. The
   * members selected last period are most likely selected again: their
   * samples go into the sum in the same pass (fixed up after the
   * selection) */
  if (self->sum_samples < samples) {
    g_free (self->sum);
    self->sum = g_new (gint32, samples);
    self->sum_samples = samples;
  }
  memset (self->sum, 0, samples * sizeof (gint32));
  g_ptr_array_set_size (self->summed, 0);
  g_ptr_array_set_size (self->by_index, 0);
  for (i = 0; i < self->pads->len; i++) {
    GstAcsMixerPad *p = g_ptr_array_index (self->pads, i);

    p->in_sum = FALSE;
    if (pad_contributed (self, p) && p->data_samples < samples) {
      /* an input kept by the fast path for a period of another size (the
       * output-buffer-duration changed meanwhile): not mixed */
      GST_WARNING_OBJECT (p, "input of %" G_GSIZE_FORMAT " samples for a "
          "period of %" G_GSIZE_FORMAT ": not mixed", p->data_samples, samples);
      p->data = NULL;
    }
    if (pad_contributed (self, p)) {
      if (p->selected) {
        p->period_ms = sum_add_mean_square (self->sum, p->data, samples);
        p->in_sum = TRUE;
        g_ptr_array_add (self->summed, p);
      } else {
        p->period_ms = mean_square (p->data, samples);
      }
    } else {
      p->period_ms = 0.0;
      missing++;
    }
    if (p->index >= self->by_index->len)
      g_ptr_array_set_size (self->by_index, p->index + 1);
    g_ptr_array_index (self->by_index, p->index) = p;
  }
  MIXER_LOCK (self);
  if (g_hash_table_size (self->ext_levels)) {
    for (i = 0; i < self->pads->len; i++) {
      GstAcsMixerPad *p = g_ptr_array_index (self->pads, i);
      AcsExtLevel *ext = g_hash_table_lookup (self->ext_levels,
          GUINT_TO_POINTER (p->index));

      if (ext && self->period - ext->period <= EXT_LEVEL_PERIODS)
        p->period_ms = ext->ms;
    }
  }
  MIXER_UNLOCK (self);
  for (i = 0; i < self->pads->len; i++) {
    GstAcsMixerPad *p = g_ptr_array_index (self->pads, i);

    p->level_ms = alpha * p->level_ms + (1.0 - alpha) * p->period_ms;
    p->level_db = ms_to_dbov (p->level_ms);
    p->active = !g_atomic_int_get (&p->mute) && p->level_db > SILENCE_DBOV;
    {
      gint centi = (gint) (p->level_db * 100.0);

      /* an atomic store is a full barrier: only when it changes */
      if (g_atomic_int_get (&p->level_centi) != centi)
        g_atomic_int_set (&p->level_centi, centi);
    }
  }

  dominant_changed = gst_acs_mixer_select (self, top_k, hysteresis, hold,
      &previous);
  dominant = self->dominant;

  /* The mix of the selected members, once: add those who entered the
   * selection, remove those who left it (exact in 32 bits). The pads in
   * summed are still referenced by self->pads */
  for (i = 0; i < self->summed->len; i++) {
    GstAcsMixerPad *p = g_ptr_array_index (self->summed, i);

    if (!p->selected) {
      sum_sub (self->sum, p->data, samples);
      p->in_sum = FALSE;
    }
  }
  for (i = 0; i < self->sel->len; i++) {
    GstAcsMixerPad *p = g_ptr_array_index (self->sel, i);

    if (pad_contributed (self, p)) {
      if (!p->in_sum) {
        sum_add (self->sum, p->data, samples);
        p->in_sum = TRUE;
      }
      mixed = TRUE;
    }
  }

  if (gst_buffer_map (outbuf, &map, GST_MAP_WRITE)) {
    if (map.size >= samples * sizeof (gint16))
      saturate ((gint16 *) map.data, self->sum, samples);
    gst_buffer_unmap (outbuf, &map);
  }
  if (mixed)
    GST_BUFFER_FLAG_UNSET (outbuf, GST_BUFFER_FLAG_GAP);
  {
    GstCustomMeta *meta = gst_buffer_get_custom_meta (outbuf,
        GST_ACS_MIXER_OUTPUT_META);

    /* a full mix buffer reused (create_output_buffer) has its meta */
    if (meta)
      set_meta_period (meta, self->period);
    else
      mark_output (outbuf, -1, self->period);
  }

  /* One distinct output per selected member who spoke this period */
  for (i = 0; i < self->sel->len; i++) {
    GstAcsMixerPad *p = g_ptr_array_index (self->sel, i);
    GstBuffer *buf;

    if (!pad_contributed (self, p))
      continue;
    buf = member_output_buffer (p, outbuf, samples * sizeof (gint16),
        self->period);
    if (gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
      saturate_minus ((gint16 *) map.data, self->sum, p->data, samples);
      gst_buffer_unmap (buf, &map);
    }
    p->out_buf = buf;
    p->out_keep = gst_buffer_ref (buf);
  }

  /* Publish the period */
  g_array_set_size (self->rank_scratch, self->pads->len);
  for (i = 0; i < self->pads->len; i++) {
    GstAcsMixerPad *p = g_ptr_array_index (self->pads, i);
    AcsRankEntry *e = &g_array_index (self->rank_scratch, AcsRankEntry, i);

    e->index = p->index;
    e->level = p->level_db;
    e->selected = p->selected;
    e->muted = g_atomic_int_get (&p->mute);
    if (g_atomic_int_get (&p->selected_atomic) != p->selected)
      g_atomic_int_set (&p->selected_atomic, p->selected);
  }
  MIXER_LOCK (self);
  {
    GArray *tmp = self->ranking;

    self->ranking = self->rank_scratch;
    self->rank_scratch = tmp;
  }
  g_array_set_size (self->selection, 0);
  for (i = 0; i < self->sel->len; i++) {
    GstAcsMixerPad *p = g_ptr_array_index (self->sel, i);
    g_array_append_val (self->selection, p->index);
  }
  self->period_pub = self->period;
  self->dominant_pub = dominant;
  self->stat_periods++;
  self->stat_missing += missing;
  if (dominant_changed)
    self->stat_dominant_changes++;
  outputs = g_ptr_array_ref (self->outputs);
  for (i = 0; i < outputs->len; i++) {
    AcsOutput *o = g_ptr_array_index (outputs, i);
    GstAcsMixerPad *p = o->index < self->by_index->len ?
        g_ptr_array_index (self->by_index, o->index) : NULL;

    if (p && p->out_buf)
      self->stat_distinct++;
    else
      self->stat_shared++;
  }
  MIXER_UNLOCK (self);

  /* where the next period starts (GstAudioAggregator's offset), for the
   * fast input path */
  if (GST_BUFFER_OFFSET_IS_VALID (outbuf) &&
      GST_BUFFER_OFFSET_END_IS_VALID (outbuf) &&
      GST_BUFFER_OFFSET_END (outbuf) > GST_BUFFER_OFFSET (outbuf) &&
      GST_BUFFER_OFFSET_END (outbuf) <= G_MAXINT64) {
    self->out_next_offset = GST_BUFFER_OFFSET_END (outbuf);
    self->out_frames = GST_BUFFER_OFFSET_END (outbuf) -
        GST_BUFFER_OFFSET (outbuf);
  } else {
    self->out_next_offset = -1;
    self->out_frames = 0;
  }

  /* The full mix on the aggregator's own pad; unlinked is fine */
  gst_buffer_ref (outbuf);
  ret = GST_AGGREGATOR_CLASS (parent_class)->finish_buffer (agg, outbuf);
  if (ret == GST_FLOW_NOT_LINKED)
    ret = GST_FLOW_OK;

  caps_ev = gst_pad_get_sticky_event (agg->srcpad, GST_EVENT_CAPS, 0);
  seg_ev = gst_pad_get_sticky_event (agg->srcpad, GST_EVENT_SEGMENT, 0);

  for (i = 0; i < outputs->len; i++) {
    AcsOutput *o = g_ptr_array_index (outputs, i);
    GstAcsMixerPad *p = NULL;
    GstBuffer *buf;

    output_start (self, o);
    if (caps_ev && caps_ev != o->caps) {
      gst_event_replace (&o->caps, caps_ev);
      gst_pad_push_event (o->srcpad, gst_event_ref (caps_ev));
    }
    if (seg_ev && seg_ev != o->segment) {
      gst_event_replace (&o->segment, seg_ev);
      gst_pad_push_event (o->srcpad, gst_event_ref (seg_ev));
    }

    if (o->index < self->by_index->len)
      p = g_ptr_array_index (self->by_index, o->index);
    if (p && p->out_buf)
      buf = gst_buffer_ref (p->out_buf);
    else
      buf = gst_buffer_ref (outbuf);
    /* one member's downstream failing must not stop the call */
    if (gst_pad_push (o->srcpad, buf) < GST_FLOW_EOS)
      GST_LOG_OBJECT (o->srcpad, "push failed");
  }

  gst_clear_event (&caps_ev);
  gst_clear_event (&seg_ev);
  g_ptr_array_unref (outputs);

  for (i = 0; i < self->sel->len; i++) {
    GstAcsMixerPad *p = g_ptr_array_index (self->sel, i);
    gst_clear_buffer (&p->out_buf);
  }
  /* the inputs read in place go back upstream */
  for (i = 0; i < self->pads->len; i++)
    pad_release_input (g_ptr_array_index (self->pads, i));
  g_ptr_array_set_size (self->pads, 0);
  gst_buffer_replace (&self->mix_keep, outbuf);
  gst_buffer_unref (outbuf);


  if (dominant_changed) {
    GstStructure *s = gst_structure_new ("acs-dominant-speaker",
        "member", G_TYPE_INT, dominant,
        "previous", G_TYPE_INT, previous,
        "period", G_TYPE_UINT64, self->period, NULL);

    GST_INFO_OBJECT (self, "dominant speaker %d (was %d)", dominant, previous);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
    g_signal_emit (self, gst_acs_mixer_signals[SIGNAL_ON_DOMINANT_SPEAKER],
        0, dominant, previous);
  }

  return ret;
}

/**
 * gst_acs_mixer_report_level:
 * @self: a #GstAcsMixer
 * @member: index N of the member's `sink_N` pad
 * @level: RFC 6464 level, 0 (loudest) to 127 (silence), in -dBov
 *
 * Records a member's audio level as read from its RTP; it replaces the
 * level measured on the decoded audio for the next few periods.
 */
void
gst_acs_mixer_report_level (GstAcsMixer * self, guint member, guint level)
{
  AcsExtLevel *ext;
  gdouble amp;

  g_return_if_fail (GST_IS_ACS_MIXER (self));

  level = MIN (level, 127);
  amp = 32767.0 * pow (10.0, -(gdouble) level / 20.0);

  MIXER_LOCK (self);
  ext = g_hash_table_lookup (self->ext_levels, GUINT_TO_POINTER (member));
  if (!ext) {
    ext = g_new0 (AcsExtLevel, 1);
    g_hash_table_insert (self->ext_levels, GUINT_TO_POINTER (member), ext);
  }
  ext->ms = level >= 127 ? 0.0 : amp * amp;
  ext->period = self->period_pub;
  MIXER_UNLOCK (self);
}

/**
 * gst_acs_mixer_member_is_selected:
 * @self: a #GstAcsMixer
 * @member: index N of the member's `sink_N` pad
 *
 * Returns: whether the member was in the mix of the last period.
 */
gboolean
gst_acs_mixer_member_is_selected (GstAcsMixer * self, guint member)
{
  gboolean ret = FALSE;
  guint i;

  g_return_val_if_fail (GST_IS_ACS_MIXER (self), FALSE);

  MIXER_LOCK (self);
  for (i = 0; i < self->selection->len && !ret; i++)
    ret = g_array_index (self->selection, guint, i) == member;
  MIXER_UNLOCK (self);
  return ret;
}

/* GstAcsMixerPad */

static void
gst_acs_mixer_pad_finalize (GObject * object)
{
  GstAcsMixerPad *pad = GST_ACS_MIXER_PAD (object);

  pad_release_input (pad);
  gst_clear_buffer (&pad->fast_buf);
  g_free (pad->stage);
  gst_clear_buffer (&pad->out_buf);
  gst_clear_buffer (&pad->out_keep);

  G_OBJECT_CLASS (gst_acs_mixer_pad_parent_class)->finalize (object);
}

static void
gst_acs_mixer_pad_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstAcsMixerPad *pad = GST_ACS_MIXER_PAD (object);

  switch (prop_id) {
    case PROP_PAD_MUTE:
      g_atomic_int_set (&pad->mute, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_acs_mixer_pad_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstAcsMixerPad *pad = GST_ACS_MIXER_PAD (object);

  switch (prop_id) {
    case PROP_PAD_MUTE:
      g_value_set_boolean (value, g_atomic_int_get (&pad->mute));
      break;
    case PROP_PAD_LEVEL:
      g_value_set_double (value, g_atomic_int_get (&pad->level_centi) / 100.0);
      break;
    case PROP_PAD_SELECTED:
      g_value_set_boolean (value, g_atomic_int_get (&pad->selected_atomic));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_acs_mixer_pad_class_init (GstAcsMixerPadClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;

  gobject_class->finalize = gst_acs_mixer_pad_finalize;
  gobject_class->set_property = gst_acs_mixer_pad_set_property;
  gobject_class->get_property = gst_acs_mixer_pad_get_property;

  g_object_class_install_property (gobject_class, PROP_PAD_MUTE,
      g_param_spec_boolean ("mute", "Mute",
          "Leave this member out of the mix and of the ranking, from the "
          "next period; any state", DEFAULT_PAD_MUTE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE));

  g_object_class_install_property (gobject_class, PROP_PAD_LEVEL,
      g_param_spec_double ("level", "Level",
          "Smoothed level of this member in the last period, in dBov, "
          "-127 (silence) to 0", MIN_DBOV, 0.0, MIN_DBOV,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_PAD_SELECTED,
      g_param_spec_boolean ("selected", "Selected",
          "Whether this member was among the top-k mixed in the last period",
          FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
gst_acs_mixer_pad_init (GstAcsMixerPad * pad)
{
  pad->level_db = MIN_DBOV;
  pad->level_centi = (gint) (MIN_DBOV * 100);
  pad->data_period = G_MAXUINT64;
}

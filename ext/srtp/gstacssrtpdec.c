/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: SRTP/SRTCP verification and decryption of an rtcp-mux stream
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-acssrtpdec
 * @title: acssrtpdec
 * @see_also: acssrtpenc, srtpdec, acsicebin
 *
 * acssrtpdec authenticates and decrypts SRTP and SRTCP packets (RFC 3711,
 * RFC 7714) with libsrtp2. SRTP and SRTCP arrive multiplexed on its single
 * `sink` pad, as from an ICE component with rtcp-mux (RFC 5761), and leave
 * as RTP and RTCP on its `src` pad.
 *
 * Keys come from, in this order of precedence for a given SSRC:
 *
 * - the #GstAcsSrtpDec::request-key signal, emitted once for each new SSRC
 *   when a handler is connected, answered with caps as for srtpdec
 *   (`srtp-key`, `srtp-cipher`, `srtp-auth`, `srtcp-cipher`, `srtcp-auth`
 *   and optionally `roc`);
 * - sink caps carrying those fields and an `ssrc`;
 * - the default key, which serves every other SSRC: the `key` or
 *   `inline-key` property with `profile` (or the four cipher/auth
 *   properties), or sink caps carrying the fields without an `ssrc`. The
 *   last one set wins.
 *
 * Changing the default key in PLAYING re-keys every stream that used it and
 * keeps its rollover counter. For `key-grace-period` milliseconds after the
 * change, a packet that fails authentication under the new key is tried
 * with the previous key, so packets that were in flight when the sender
 * switched are not lost.
 *
 * A packet that fails (authentication, replay, too short, malformed
 * header, no key) is dropped and counted in `stats`, with a warning in the
 * debug log at most once a second; the stream goes on. Keys never appear in
 * any log: caps fields holding them are stripped from the src caps.
 *
 * Packets are decrypted in place (a buffer shared with another element is
 * copied once, as gst_buffer_make_writable() does); buffer lists are handled
 * as lists; timestamps, flags and metas are kept.
 *
 * Threading: buffers are handled on the sink pad's streaming thread under
 * the element's stream lock. Signals are emitted from that thread with no
 * lock held.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 udpsrc port=5004 \
 *       caps="application/x-srtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=96" ! \
 *     acssrtpdec profile=AEAD_AES_128_GCM \
 *       inline-key="inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVu" ! \
 *     rtpjitterbuffer ! rtpopusdepay ! opusdec ! autoaudiosink
 * ]| Receives the stream sent by the acssrtpenc example.
 *
 * Since: 0.1
 */

/* Lock order: GST_OBJECT_LOCK may be taken while holding STREAM_LOCK, never
 * the other way round. Neither is held while pushing, posting a message or
 * emitting a signal. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacssrtpelements.h"
#include "gstacssrtpdec.h"
#include "gstacssrtp.h"

#include <string.h>

#include <acs/acsrtp.h>

GST_DEBUG_CATEGORY_STATIC (gst_acs_srtp_dec_debug);
#define GST_CAT_DEFAULT gst_acs_srtp_dec_debug

#define DEFAULT_KEY_GRACE_PERIOD 2000

/* Packets up to this size keep a stack copy for the previous-key retry */
#define MAX_STACK_PACKET 2048

/* Most SSRCs whose state and counters are kept */
#define MAX_STREAMS 1024

enum
{
  PROP_KEY_GRACE_PERIOD = GST_ACS_SRTP_PROP_LAST,
};

enum
{
  SIGNAL_REQUEST_KEY,
  SIGNAL_CLEAR_KEYS,
  SIGNAL_SOFT_LIMIT,
  SIGNAL_HARD_LIMIT,
  SIGNAL_REMOVE_KEY,
  LAST_SIGNAL
};

static guint gst_acs_srtp_dec_signals[LAST_SIGNAL] = { 0 };

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-srtp; application/x-srtcp"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp; application/x-rtcp"));

#define STREAM_LOCK(self) g_mutex_lock (&(self)->stream_lock)
#define STREAM_UNLOCK(self) g_mutex_unlock (&(self)->stream_lock)

/* A key given for one SSRC (request-key, soft-limit, hard-limit or caps) */
typedef struct
{
  AcsSrtpSuite suite;
  GstBuffer *key;
  guint32 roc;
} SsrcKey;

/* What we know of an SSRC that sent to us */
typedef struct
{
  guint32 ssrc;
  gboolean asked;               /* request-key was emitted */
  guint64 packets;
  guint64 dropped;
} DecStream;

typedef struct
{
  guint64 packets;
  guint64 bytes;
  guint64 rtcp_packets;
  guint64 old_key;
  guint64 dropped;
  guint64 auth;
  guint64 replay;
  guint64 too_short;
  guint64 malformed;
  guint64 no_key;
  guint64 other;
} DecStats;

/* libsrtp2 2.5 finds the stream of a packet by walking its session's list
 * of streams: with the hundreds of SSRCs of a media processor's single
 * decoder for a whole room, the walk cost more than the decryption (3.9 us
 * a packet at 1,000 SSRCs against 1.0 us at 10). Streams are spread over
 * N_SHARDS sessions by a hash of their SSRC instead */
#define N_SHARDS 64
#define SHARD(ssrc) (((guint32) (ssrc) * 2654435761u) >> 26)

struct _GstAcsSrtpDec
{
  GstElement element;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* Protected by GST_OBJECT_LOCK */
  GstAcsSrtpConfig cfg;
  guint key_grace_period;

  /* Protected by STREAM_LOCK */
  GMutex stream_lock;
  /* A session per shard of the SSRC space, made when a stream of the shard
   * first needs it (see SHARD) */
  srtp_t sessions[N_SHARDS];
  srtp_t prev_sessions[N_SHARDS];       /* previous default key, until
                                         * prev_deadline */
  gint64 prev_deadline;
  gint applied_generation;
  gboolean have_default;        /* sessions have an ssrc_any_inbound template */
  /* The default key's policy, for the sessions made after it was set */
  AcsSrtpSuite def_suite;
  GstBuffer *def_key;
  guint def_window;
  GHashTable *ssrc_keys;        /* guint32 -> SsrcKey */
  GHashTable *streams;          /* guint32 -> DecStream */
  DecStream *last_stream;
  GstAcsSrtpEvents events;
  DecStats stats;
  gint64 last_warning;
};

G_DEFINE_TYPE_WITH_CODE (GstAcsSrtpDec, gst_acs_srtp_dec, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_acs_srtp_dec_debug, "acssrtpdec", 0,
        "gst-acs SRTP decoder"));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (acssrtpdec, "acssrtpdec",
    GST_RANK_NONE, GST_TYPE_ACS_SRTP_DEC, acs_srtp_element_init (plugin));

static void gst_acs_srtp_dec_finalize (GObject * object);
static void gst_acs_srtp_dec_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_acs_srtp_dec_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_acs_srtp_dec_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_acs_srtp_dec_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf);
static GstFlowReturn gst_acs_srtp_dec_chain_list (GstPad * pad,
    GstObject * parent, GstBufferList * list);
static gboolean gst_acs_srtp_dec_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_acs_srtp_dec_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static void gst_acs_srtp_dec_clear_keys (GstAcsSrtpDec * self);
static void gst_acs_srtp_dec_remove_key (GstAcsSrtpDec * self, guint ssrc);
static DecStream *gst_acs_srtp_dec_lookup_stream_locked (GstAcsSrtpDec * self,
    guint32 ssrc);
static DecStream *gst_acs_srtp_dec_add_stream_locked (GstAcsSrtpDec * self,
    guint32 ssrc);

static void
ssrc_key_free (gpointer data)
{
  SsrcKey *k = data;

  gst_clear_buffer (&k->key);
  g_free (k);
}

static void
gst_acs_srtp_dec_class_init (GstAcsSrtpDecClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  gobject_class->finalize = gst_acs_srtp_dec_finalize;
  gobject_class->set_property = gst_acs_srtp_dec_set_property;
  gobject_class->get_property = gst_acs_srtp_dec_get_property;
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_acs_srtp_dec_change_state);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "SRTP decoder",
      "Filter/Network/SRTP",
      "Authenticates and decrypts multiplexed SRTP and SRTCP (libsrtp2)",
      "gst-acs developers");

  gst_acs_srtp_install_config_properties (gobject_class,
      GST_ACS_SRTP_KEYS_WRITABLE);

  /**
   * GstAcsSrtpDec:stats:
   *
   * Counters of the element, a #GstStructure named
   * `application/x-srtp-decoder-stats` with:
   *
   * - `streams`: array of `application/x-srtp-stream` structures with the
   *   `ssrc`, rollover counter `roc`, `packets` and `packets-dropped` of
   *   every SSRC seen;
   * - `packets-unprotected`, `bytes-unprotected` (clear bytes out),
   *   `rtcp-packets-unprotected`, `packets-old-key` (accepted with the
   *   previous key during a re-key) (guint64);
   * - `packets-dropped` and by reason `auth-failures`, `replay-failures`,
   *   `too-short`, `malformed`, `no-key`, `other-failures` (guint64).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, GST_ACS_SRTP_PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Packet, byte and drop counters (by reason) and per-SSRC counters, "
          "as an application/x-srtp-decoder-stats structure",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_KEY_GRACE_PERIOD,
      g_param_spec_uint ("key-grace-period", "Key Grace Period",
          "How long after the default key changes packets that fail under "
          "the new key are still tried with the previous one, in "
          "milliseconds (0 disables the retry)", 0, 60000,
          DEFAULT_KEY_GRACE_PERIOD, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAcsSrtpDec::request-key:
   * @dec: the element on which the signal is emitted
   * @ssrc: the SSRC of a stream not seen before
   *
   * Emitted once for each new SSRC, as by srtpdec. Return caps with
   * `srtp-key` (buffer), `srtp-cipher`, `srtp-auth`, `srtcp-cipher`,
   * `srtcp-auth` (strings as in srtpdec) and optionally `roc` (uint) to
   * give that SSRC its own key, or %NULL to use the default key.
   *
   * Returns: (transfer full) (nullable): the key of @ssrc as caps.
   *
   * Since: 0.1
   */
  gst_acs_srtp_dec_signals[SIGNAL_REQUEST_KEY] =
      g_signal_new ("request-key", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, GST_TYPE_CAPS, 1, G_TYPE_UINT);

  /**
   * GstAcsSrtpDec::clear-keys:
   * @dec: the element on which the signal is emitted
   *
   * Action signal: forgets every key given for a single SSRC and every
   * stream; the next packet of each SSRC emits #GstAcsSrtpDec::request-key
   * again. The default key (properties or caps) stays.
   *
   * Since: 0.1
   */
  gst_acs_srtp_dec_signals[SIGNAL_CLEAR_KEYS] =
      g_signal_new_class_handler ("clear-keys", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_srtp_dec_clear_keys), NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  /**
   * GstAcsSrtpDec::soft-limit:
   * @dec: the element on which the signal is emitted
   * @ssrc: the SSRC whose key nears the end of its lifetime
   *
   * Emitted when the key of @ssrc has protected so many packets that it
   * should be replaced. Return new key caps as for
   * #GstAcsSrtpDec::request-key, or %NULL to keep the current key.
   *
   * Returns: (transfer full) (nullable): a new key for @ssrc as caps.
   *
   * Since: 0.1
   */
  gst_acs_srtp_dec_signals[SIGNAL_SOFT_LIMIT] =
      g_signal_new ("soft-limit", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, GST_TYPE_CAPS, 1, G_TYPE_UINT);

  /**
   * GstAcsSrtpDec::hard-limit:
   * @dec: the element on which the signal is emitted
   * @ssrc: the SSRC whose key has expired
   *
   * Emitted when the key of @ssrc has expired. Return new key caps as for
   * #GstAcsSrtpDec::request-key; without an answer, the packets of @ssrc are
   * dropped.
   *
   * Returns: (transfer full) (nullable): a new key for @ssrc as caps.
   *
   * Since: 0.1
   */
  gst_acs_srtp_dec_signals[SIGNAL_HARD_LIMIT] =
      g_signal_new ("hard-limit", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, GST_TYPE_CAPS, 1, G_TYPE_UINT);

  /**
   * GstAcsSrtpDec::remove-key:
   * @dec: the element on which the signal is emitted
   * @ssrc: the SSRC whose key and stream to forget
   *
   * Action signal: forgets the key given for @ssrc and its stream state;
   * its next packet emits #GstAcsSrtpDec::request-key again.
   *
   * Since: 0.1
   */
  gst_acs_srtp_dec_signals[SIGNAL_REMOVE_KEY] =
      g_signal_new_class_handler ("remove-key", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_srtp_dec_remove_key), NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
gst_acs_srtp_dec_init (GstAcsSrtpDec * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_srtp_dec_chain));
  gst_pad_set_chain_list_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_srtp_dec_chain_list));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_srtp_dec_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_srtp_dec_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  gst_acs_srtp_config_init (&self->cfg);
  self->key_grace_period = DEFAULT_KEY_GRACE_PERIOD;

  g_mutex_init (&self->stream_lock);
  self->applied_generation = -1;
  self->ssrc_keys = g_hash_table_new_full (g_direct_hash, g_direct_equal,
      NULL, ssrc_key_free);
  self->streams = g_hash_table_new_full (g_direct_hash, g_direct_equal,
      NULL, g_free);
}

static void
free_session_array (srtp_t * sessions)
{
  guint i;

  for (i = 0; i < N_SHARDS; i++)
    if (sessions[i]) {
      srtp_dealloc (sessions[i]);
      sessions[i] = NULL;
    }
}

/* Must be called with STREAM_LOCK */
static void
gst_acs_srtp_dec_free_sessions_locked (GstAcsSrtpDec * self)
{
  free_session_array (self->sessions);
  free_session_array (self->prev_sessions);
  gst_clear_buffer (&self->def_key);
}

/* A new session with the default key's template when there is one.
 * Must be called with STREAM_LOCK. */
static srtp_err_status_t
gst_acs_srtp_dec_new_session_locked (GstAcsSrtpDec * self, srtp_t * session)
{
  srtp_policy_t policy;
  srtp_err_status_t err;
  GstMapInfo map = GST_MAP_INFO_INIT;

  if (!self->have_default) {
    err = srtp_create (session, NULL);
  } else {
    if (self->def_key && !gst_buffer_map (self->def_key, &map, GST_MAP_READ))
      return srtp_err_status_bad_param;
    gst_acs_srtp_policy_init (&policy, &self->def_suite, map.data,
        self->def_window, FALSE);
    policy.ssrc.type = ssrc_any_inbound;
    err = srtp_create (session, &policy);
    if (self->def_key)
      gst_buffer_unmap (self->def_key, &map);
  }
  if (err == srtp_err_status_ok)
    srtp_set_user_data (*session, &self->events);
  else
    *session = NULL;
  return err;
}

/* The session of @ssrc's shard, made now if needed; NULL if libsrtp2
 * refuses. Must be called with STREAM_LOCK. */
static srtp_t
gst_acs_srtp_dec_get_session_locked (GstAcsSrtpDec * self, guint32 ssrc)
{
  srtp_t *session = &self->sessions[SHARD (ssrc)];

  if (*session == NULL)
    gst_acs_srtp_dec_new_session_locked (self, session);
  return *session;
}

static void
gst_acs_srtp_dec_finalize (GObject * object)
{
  GstAcsSrtpDec *self = GST_ACS_SRTP_DEC (object);

  gst_acs_srtp_dec_free_sessions_locked (self);
  g_hash_table_unref (self->ssrc_keys);
  g_hash_table_unref (self->streams);
  gst_acs_srtp_config_clear (&self->cfg);
  g_mutex_clear (&self->stream_lock);

  G_OBJECT_CLASS (gst_acs_srtp_dec_parent_class)->finalize (object);
}

static GstStructure *
gst_acs_srtp_dec_create_stats (GstAcsSrtpDec * self)
{
  GValue streams = G_VALUE_INIT;
  GHashTableIter iter;
  gpointer value;
  GstStructure *s;

  g_value_init (&streams, GST_TYPE_ARRAY);

  STREAM_LOCK (self);
  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    DecStream *st = value;
    guint32 roc = 0;
    GValue v = G_VALUE_INIT;
    srtp_t session = self->sessions[SHARD (st->ssrc)];

    if (session == NULL
        || srtp_get_stream_roc (session, st->ssrc, &roc) != srtp_err_status_ok)
      roc = 0;
    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, gst_structure_new ("application/x-srtp-stream",
            "ssrc", G_TYPE_UINT, st->ssrc, "roc", G_TYPE_UINT, roc,
            "packets", G_TYPE_UINT64, st->packets,
            "packets-dropped", G_TYPE_UINT64, st->dropped, NULL));
    gst_value_array_append_and_take_value (&streams, &v);
  }

  s = gst_structure_new ("application/x-srtp-decoder-stats",
      "packets-unprotected", G_TYPE_UINT64, self->stats.packets,
      "bytes-unprotected", G_TYPE_UINT64, self->stats.bytes,
      "rtcp-packets-unprotected", G_TYPE_UINT64, self->stats.rtcp_packets,
      "packets-old-key", G_TYPE_UINT64, self->stats.old_key,
      "packets-dropped", G_TYPE_UINT64, self->stats.dropped,
      "auth-failures", G_TYPE_UINT64, self->stats.auth,
      "replay-failures", G_TYPE_UINT64, self->stats.replay,
      "too-short", G_TYPE_UINT64, self->stats.too_short,
      "malformed", G_TYPE_UINT64, self->stats.malformed,
      "no-key", G_TYPE_UINT64, self->stats.no_key,
      "other-failures", G_TYPE_UINT64, self->stats.other, NULL);
  STREAM_UNLOCK (self);

  gst_structure_take_value (s, "streams", &streams);
  return s;
}

static void
gst_acs_srtp_dec_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstAcsSrtpDec *self = GST_ACS_SRTP_DEC (object);

  GST_OBJECT_LOCK (self);
  if (gst_acs_srtp_config_set_property (&self->cfg, prop_id, value)) {
    GST_DEBUG_OBJECT (self, "%s changed", pspec->name);
  } else if (prop_id == PROP_KEY_GRACE_PERIOD) {
    self->key_grace_period = g_value_get_uint (value);
  } else {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_acs_srtp_dec_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstAcsSrtpDec *self = GST_ACS_SRTP_DEC (object);

  if (prop_id == GST_ACS_SRTP_PROP_STATS) {
    g_value_take_boxed (value, gst_acs_srtp_dec_create_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  if (gst_acs_srtp_config_get_property (&self->cfg, prop_id, value)) {
    /* done */
  } else if (prop_id == PROP_KEY_GRACE_PERIOD) {
    g_value_set_uint (value, self->key_grace_period);
  } else {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
  GST_OBJECT_UNLOCK (self);
}

/* Must be called with STREAM_LOCK */
static void
gst_acs_srtp_dec_reset_locked (GstAcsSrtpDec * self)
{
  gst_acs_srtp_dec_free_sessions_locked (self);
  g_hash_table_remove_all (self->ssrc_keys);
  g_hash_table_remove_all (self->streams);
  self->last_stream = NULL;
  self->have_default = FALSE;
  self->applied_generation = -1;
  memset (&self->events, 0, sizeof (self->events));
  memset (&self->stats, 0, sizeof (self->stats));
}

static GstStateChangeReturn
gst_acs_srtp_dec_change_state (GstElement * element, GstStateChange transition)
{
  GstAcsSrtpDec *self = GST_ACS_SRTP_DEC (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    STREAM_LOCK (self);
    gst_acs_srtp_dec_reset_locked (self);
    STREAM_UNLOCK (self);
  }

  ret = GST_ELEMENT_CLASS (gst_acs_srtp_dec_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    STREAM_LOCK (self);
    gst_acs_srtp_dec_reset_locked (self);
    STREAM_UNLOCK (self);
  }

  return ret;
}

/* Adds a stream for one SSRC with its own policy to @session.
 * Must be called with STREAM_LOCK. */
static srtp_err_status_t
add_ssrc_stream (srtp_t session, guint32 ssrc, const AcsSrtpSuite * suite,
    GstBuffer * key, guint window, guint32 roc)
{
  srtp_policy_t policy;
  srtp_err_status_t err;
  GstMapInfo map = GST_MAP_INFO_INIT;

  if (key && !gst_buffer_map (key, &map, GST_MAP_READ))
    return srtp_err_status_bad_param;
  gst_acs_srtp_policy_init (&policy, suite, map.data, window, FALSE);
  policy.ssrc.type = ssrc_specific;
  policy.ssrc.value = ssrc;
  err = srtp_add_stream (session, &policy);
  if (key)
    gst_buffer_unmap (key, &map);

  if (err == srtp_err_status_ok && roc != 0)
    err = srtp_set_stream_roc (session, ssrc, roc);
  return err;
}

/* Makes a new session for the current default key; the old one becomes the
 * previous session for the grace period. Streams keep their rollover
 * counters. Returns FALSE with @error set when the settings are unusable.
 * Must be called with STREAM_LOCK. */
static gboolean
gst_acs_srtp_dec_update_session_locked (GstAcsSrtpDec * self, GError ** error)
{
  srtp_policy_t policy;
  srtp_err_status_t err;
  srtp_t check = NULL, old[N_SHARDS];
  GstBuffer *key = NULL;
  AcsSrtpSuite suite;
  GstMapInfo map = GST_MAP_INFO_INIT;
  GHashTableIter iter;
  gpointer value;
  guint window, grace, i;
  gboolean have_key, had_default, had_sessions = FALSE, ok = TRUE;
  gint generation;

  GST_OBJECT_LOCK (self);
  generation = g_atomic_int_get (&self->cfg.generation);
  have_key = self->cfg.key != NULL || self->cfg.key_error != NULL
      || !acs_srtp_suite_has_crypto (&self->cfg.suite);
  if (have_key)
    ok = gst_acs_srtp_config_check (&self->cfg, error);
  suite = self->cfg.suite;
  if (self->cfg.key)
    key = gst_buffer_ref (self->cfg.key);
  window = self->cfg.replay_window_size;
  grace = self->key_grace_period;
  GST_OBJECT_UNLOCK (self);

  self->applied_generation = generation;
  if (!ok)
    goto done;

  /* Without a default key the sessions only hold per-SSRC streams. A
   * policy libsrtp2 refuses leaves the current sessions as they are */
  if (have_key) {
    if (key)
      gst_buffer_map (key, &map, GST_MAP_READ);
    gst_acs_srtp_policy_init (&policy, &suite, map.data, window, FALSE);
    policy.ssrc.type = ssrc_any_inbound;
    err = srtp_create (&check, &policy);
    if (key)
      gst_buffer_unmap (key, &map);
    if (err != srtp_err_status_ok) {
      g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
          "libsrtp2 refused the policy: %s", gst_acs_srtp_err_to_string (err));
      ok = FALSE;
      goto done;
    }
    srtp_dealloc (check);
  }

  had_default = self->have_default;
  for (i = 0; i < N_SHARDS; i++) {
    old[i] = self->sessions[i];
    self->sessions[i] = NULL;
    had_sessions |= old[i] != NULL;
  }
  self->have_default = have_key;
  self->def_suite = suite;
  gst_clear_buffer (&self->def_key);
  self->def_key = key ? gst_buffer_ref (key) : NULL;
  self->def_window = window;

  /* Carry every known stream over, with its rollover counter */
  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    DecStream *st = value;
    SsrcKey *k = g_hash_table_lookup (self->ssrc_keys,
        GUINT_TO_POINTER (st->ssrc));
    srtp_t session;
    guint32 roc = 0;

    if (!k && !have_key)
      continue;
    session = gst_acs_srtp_dec_get_session_locked (self, st->ssrc);
    if (session == NULL)
      continue;
    if (old[SHARD (st->ssrc)])
      srtp_get_stream_roc (old[SHARD (st->ssrc)], st->ssrc, &roc);
    if (k)
      err = add_ssrc_stream (session, st->ssrc, &k->suite, k->key, window, roc);
    else
      err = add_ssrc_stream (session, st->ssrc, &suite, key, window, roc);
    if (err != srtp_err_status_ok)
      GST_WARNING_OBJECT (self, "could not carry SSRC %08x over: %s",
          st->ssrc, gst_acs_srtp_err_to_string (err));
  }

  free_session_array (self->prev_sessions);
  if (had_sessions && had_default && grace > 0) {
    memcpy (self->prev_sessions, old, sizeof (old));
    self->prev_deadline = g_get_monotonic_time () + grace * 1000;
  } else {
    free_session_array (old);
  }
  GST_INFO_OBJECT (self, "session ready; default key: %s, %" G_GSIZE_FORMAT
      " bytes", have_key ? "yes" : "no", key ? gst_buffer_get_size (key) : 0);

done:
  gst_clear_buffer (&key);
  return ok;
}

/* Gives @ssrc its own key from @caps, replacing its stream in the current
 * session. Returns FALSE if @caps hold no usable key.
 * Must be called with STREAM_LOCK. */
static gboolean
gst_acs_srtp_dec_set_ssrc_key_locked (GstAcsSrtpDec * self, guint32 ssrc,
    const GstStructure * s)
{
  SsrcKey *k;
  AcsSrtpSuite suite;
  GstBuffer *key = NULL;
  srtp_t session;
  guint roc = 0, window;
  srtp_err_status_t err;
  gboolean have_roc;

  if (!gst_acs_srtp_suite_from_structure (s, &suite, &key))
    goto invalid;
  if (key && gst_buffer_get_size (key) != acs_srtp_suite_key_len (&suite)) {
    gst_buffer_unref (key);
    goto invalid;
  }

  have_roc = gst_structure_get_uint (s, "roc", &roc);
  GST_OBJECT_LOCK (self);
  window = self->cfg.replay_window_size;
  GST_OBJECT_UNLOCK (self);

  session = gst_acs_srtp_dec_get_session_locked (self, ssrc);
  if (session == NULL) {
    gst_clear_buffer (&key);
    return FALSE;
  }
  if (!have_roc)
    srtp_get_stream_roc (session, ssrc, &roc);
  srtp_remove_stream (session, g_htonl (ssrc));
  err = add_ssrc_stream (session, ssrc, &suite, key, window, roc);
  if (err != srtp_err_status_ok) {
    GST_WARNING_OBJECT (self, "libsrtp2 refused the key of SSRC %08x: %s",
        ssrc, gst_acs_srtp_err_to_string (err));
    gst_clear_buffer (&key);
    return FALSE;
  }

  k = g_new0 (SsrcKey, 1);
  k->suite = suite;
  k->key = key;
  k->roc = roc;
  g_hash_table_replace (self->ssrc_keys, GUINT_TO_POINTER (ssrc), k);
  /* Record the stream: a session made later (first packet, new default
   * key) carries over only recorded streams, and a recorded SSRC is not
   * asked for with request-key again */
  if (gst_acs_srtp_dec_lookup_stream_locked (self, ssrc) == NULL)
    gst_acs_srtp_dec_add_stream_locked (self, ssrc);
  GST_INFO_OBJECT (self, "SSRC %08x has its own %s/%s key (roc %u)", ssrc,
      acs_srtp_cipher_to_nick (suite.rtp_cipher),
      acs_srtp_auth_to_nick (suite.rtp_auth), roc);
  return TRUE;

invalid:
  GST_WARNING_OBJECT (self, "caps for SSRC %08x hold no complete, valid "
      "SRTP key fields", ssrc);
  return FALSE;
}

/* Must be called with STREAM_LOCK */
static DecStream *
gst_acs_srtp_dec_lookup_stream_locked (GstAcsSrtpDec * self, guint32 ssrc)
{
  DecStream *st = self->last_stream;

  if (st && st->ssrc == ssrc)
    return st;
  st = g_hash_table_lookup (self->streams, GUINT_TO_POINTER (ssrc));
  if (st)
    self->last_stream = st;
  return st;
}

/* Streams are recorded only once a packet authenticates or a key was asked
 * for, and never more than MAX_STREAMS, so that packets with made-up SSRCs
 * cannot grow the table. Returns NULL when the table is full.
 * Must be called with STREAM_LOCK. */
static DecStream *
gst_acs_srtp_dec_add_stream_locked (GstAcsSrtpDec * self, guint32 ssrc)
{
  DecStream *st;

  if (g_hash_table_size (self->streams) >= MAX_STREAMS)
    return NULL;
  st = g_new0 (DecStream, 1);
  st->ssrc = ssrc;
  g_hash_table_insert (self->streams, GUINT_TO_POINTER (ssrc), st);
  self->last_stream = st;
  GST_DEBUG_OBJECT (self, "new SSRC %08x", ssrc);
  return st;
}

/* Emits @signal for @ssrc with no lock held and installs the key it
 * returns. Called with STREAM_LOCK, which it releases and takes again. */
static gboolean
gst_acs_srtp_dec_ask_key_unlocked (GstAcsSrtpDec * self, guint signal,
    guint32 ssrc)
{
  GstCaps *caps = NULL;
  gboolean ret = FALSE;

  STREAM_UNLOCK (self);
  g_signal_emit (self, gst_acs_srtp_dec_signals[signal], 0, ssrc, &caps);
  STREAM_LOCK (self);

  if (caps && gst_caps_get_size (caps) > 0)
    ret = gst_acs_srtp_dec_set_ssrc_key_locked (self, ssrc,
        gst_caps_get_structure (caps, 0));
  gst_clear_caps (&caps);
  /* The maps may have changed while unlocked */
  self->last_stream = NULL;
  return ret;
}

typedef enum
{
  DROP_NONE,
  DROP_TOO_SHORT,
  DROP_MALFORMED,
  DROP_SRTP,
} DropReason;

/* Must be called with STREAM_LOCK */
static void
gst_acs_srtp_dec_count_drop_locked (GstAcsSrtpDec * self, DropReason reason,
    srtp_err_status_t err, guint32 ssrc, gsize size)
{
  const gchar *what;

  self->stats.dropped++;
  switch (reason) {
    case DROP_TOO_SHORT:
      self->stats.too_short++;
      what = "too short";
      break;
    case DROP_MALFORMED:
      self->stats.malformed++;
      what = "malformed header";
      break;
    case DROP_SRTP:
    default:
      what = gst_acs_srtp_err_to_string (err);
      switch (err) {
        case srtp_err_status_auth_fail:
          self->stats.auth++;
          break;
        case srtp_err_status_replay_fail:
        case srtp_err_status_replay_old:
          self->stats.replay++;
          break;
        case srtp_err_status_no_ctx:
          self->stats.no_key++;
          what = "no key for this SSRC";
          break;
        default:
          self->stats.other++;
          break;
      }
      break;
  }

  if (gst_acs_srtp_rate_limit (&self->last_warning))
    GST_WARNING_OBJECT (self, "dropped a %" G_GSIZE_FORMAT "-byte packet of "
        "SSRC %08x: %s (%" G_GUINT64_FORMAT " dropped so far)", size, ssrc,
        what, self->stats.dropped);
}

/* Unprotects @data in place with the current session and, during the grace
 * period after a re-key, with the previous one.
 * Must be called with STREAM_LOCK. */
static srtp_err_status_t
gst_acs_srtp_dec_unprotect_locked (GstAcsSrtpDec * self, guint32 ssrc,
    guint8 * data, gint * len, gboolean rtcp)
{
  guint8 stack_copy[MAX_STACK_PACKET];
  guint8 *copy = NULL;
  srtp_err_status_t err;
  gint orig_len = *len;
  srtp_t session = gst_acs_srtp_dec_get_session_locked (self, ssrc), prev;

  if (session == NULL)
    return srtp_err_status_no_ctx;

  prev = self->prev_sessions[SHARD (ssrc)];
  if (prev) {
    if (g_get_monotonic_time () > self->prev_deadline) {
      free_session_array (self->prev_sessions);
      prev = NULL;
    } else {
      /* A failed attempt may leave the buffer modified */
      copy = orig_len <= MAX_STACK_PACKET ? stack_copy : g_malloc (orig_len);
      memcpy (copy, data, orig_len);
    }
  }

  if (rtcp)
    err = srtp_unprotect_rtcp (session, data, len);
  else
    err = srtp_unprotect (session, data, len);

  if (err == srtp_err_status_auth_fail && copy) {
    memcpy (data, copy, orig_len);
    *len = orig_len;
    if (rtcp)
      err = srtp_unprotect_rtcp (prev, data, len);
    else
      err = srtp_unprotect (prev, data, len);
    if (err == srtp_err_status_ok)
      self->stats.old_key++;
    else
      err = srtp_err_status_auth_fail;
  }

  if (copy && copy != stack_copy)
    g_free (copy);
  return err;
}

typedef struct
{
  GError *error;
} PendingWork;

/* Maps @buf for reading and writing in place: its memory itself when it
 * holds a single writable one (cheaper than a buffer map), the buffer
 * otherwise. @buf must be writable. */
static gboolean
packet_map (GstBuffer * buf, GstMapInfo * map, GstMemory ** mem)
{
  *mem = NULL;
  if (gst_buffer_n_memory (buf) == 1) {
    GstMemory *m = gst_buffer_peek_memory (buf, 0);

    if (gst_memory_is_writable (m)
        && gst_memory_map (m, map, GST_MAP_READWRITE)) {
      *mem = m;
      return TRUE;
    }
  }
  return gst_buffer_map (buf, map, GST_MAP_READWRITE);
}

static void
packet_unmap (GstBuffer * buf, GstMapInfo * map, GstMemory * mem)
{
  if (mem)
    gst_memory_unmap (mem, map);
  else
    gst_buffer_unmap (buf, map);
}

/* Unprotects @buf; takes ownership of it. Returns the clear buffer, or
 * NULL when the packet was dropped and counted. May release and take
 * STREAM_LOCK again to emit signals.
 * Must be called with STREAM_LOCK. */
static GstBuffer *
gst_acs_srtp_dec_process_locked (GstAcsSrtpDec * self, GstBuffer * buf,
    PendingWork * work)
{
  GstMapInfo map;
  GstMemory *mem;
  AcsPacketKind kind;
  DropReason reason = DROP_NONE;
  srtp_err_status_t err = srtp_err_status_ok;
  DecStream *st;
  guint32 ssrc = 0;
  gsize size;
  gint len;

  if (g_atomic_int_get (&self->cfg.generation) != self->applied_generation) {
    if (!gst_acs_srtp_dec_update_session_locked (self, &work->error)) {
      gst_buffer_unref (buf);
      return NULL;
    }
  }

  size = gst_buffer_get_size (buf);
  buf = gst_buffer_make_writable (buf);
  if (!packet_map (buf, &map, &mem)) {
    reason = DROP_MALFORMED;
    goto drop;
  }

  kind = acs_rtp_classify (map.data, map.size, &ssrc);
  if (kind == ACS_PACKET_TOO_SHORT || kind == ACS_PACKET_MALFORMED) {
    packet_unmap (buf, &map, mem);
    reason = kind == ACS_PACKET_TOO_SHORT ? DROP_TOO_SHORT : DROP_MALFORMED;
    goto drop;
  }

  st = gst_acs_srtp_dec_lookup_stream_locked (self, ssrc);
  if (st == NULL && g_signal_has_handler_pending (self,
          gst_acs_srtp_dec_signals[SIGNAL_REQUEST_KEY], 0, FALSE)
      && (st = gst_acs_srtp_dec_add_stream_locked (self, ssrc)) != NULL) {
    st->asked = TRUE;
    packet_unmap (buf, &map, mem);
    gst_acs_srtp_dec_ask_key_unlocked (self, SIGNAL_REQUEST_KEY, ssrc);
    if (!packet_map (buf, &map, &mem)) {
      reason = DROP_MALFORMED;
      goto drop;
    }
  }

  len = (gint) map.size;
  err = gst_acs_srtp_dec_unprotect_locked (self, ssrc, map.data, &len,
      kind == ACS_PACKET_RTCP);
  packet_unmap (buf, &map, mem);

  if (self->events.soft_limit || self->events.hard_limit) {
    guint signal = self->events.hard_limit ? SIGNAL_HARD_LIMIT :
        SIGNAL_SOFT_LIMIT;
    guint32 ev_ssrc = self->events.ssrc;

    memset (&self->events, 0, sizeof (self->events));
    gst_acs_srtp_dec_ask_key_unlocked (self, signal, ev_ssrc);
  }

  st = gst_acs_srtp_dec_lookup_stream_locked (self, ssrc);
  if (err != srtp_err_status_ok) {
    if (st)
      st->dropped++;
    reason = DROP_SRTP;
    goto drop;
  }

  if (st == NULL)
    st = gst_acs_srtp_dec_add_stream_locked (self, ssrc);
  if (st)
    st->packets++;
  if (mem)
    gst_memory_resize (mem, 0, len);
  else
    gst_buffer_resize (buf, 0, len);
  self->stats.packets++;
  self->stats.bytes += len;
  if (kind == ACS_PACKET_RTCP)
    self->stats.rtcp_packets++;
  return buf;

drop:
  gst_acs_srtp_dec_count_drop_locked (self, reason, err, ssrc, size);
  gst_buffer_unref (buf);
  return NULL;
}

static GstFlowReturn
gst_acs_srtp_dec_finish_work (GstAcsSrtpDec * self, PendingWork * work)
{
  if (work->error) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Cannot decrypt packets: the SRTP settings are not usable"),
        ("%s", work->error->message));
    g_clear_error (&work->error);
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_acs_srtp_dec_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstAcsSrtpDec *self = GST_ACS_SRTP_DEC (parent);
  PendingWork work = { NULL, };
  GstFlowReturn ret;

  STREAM_LOCK (self);
  buf = gst_acs_srtp_dec_process_locked (self, buf, &work);
  STREAM_UNLOCK (self);

  ret = gst_acs_srtp_dec_finish_work (self, &work);
  if (ret != GST_FLOW_OK) {
    gst_clear_buffer (&buf);
    return ret;
  }
  if (buf == NULL)
    return GST_FLOW_OK;
  return gst_pad_push (self->srcpad, buf);
}

typedef struct
{
  GstAcsSrtpDec *self;
  PendingWork *work;
} ListData;

static gboolean
process_list_item (GstBuffer ** buf, guint idx, gpointer user_data)
{
  ListData *data = user_data;

  *buf = gst_acs_srtp_dec_process_locked (data->self, *buf, data->work);
  return data->work->error == NULL;
}

static GstFlowReturn
gst_acs_srtp_dec_chain_list (GstPad * pad, GstObject * parent,
    GstBufferList * list)
{
  GstAcsSrtpDec *self = GST_ACS_SRTP_DEC (parent);
  PendingWork work = { NULL, };
  ListData data = { self, &work };
  GstFlowReturn ret;

  list = gst_buffer_list_make_writable (list);

  STREAM_LOCK (self);
  gst_buffer_list_foreach (list, process_list_item, &data);
  STREAM_UNLOCK (self);

  ret = gst_acs_srtp_dec_finish_work (self, &work);
  if (ret != GST_FLOW_OK || gst_buffer_list_length (list) == 0) {
    gst_buffer_list_unref (list);
    return ret;
  }
  return gst_pad_push_list (self->srcpad, list);
}

/* Takes the keys out of the sink caps: with an `ssrc` they key that SSRC,
 * without one they become the default key. */
static void
gst_acs_srtp_dec_keys_from_caps (GstAcsSrtpDec * self, GstCaps * caps)
{
  GstStructure *s;
  AcsSrtpSuite suite;
  GstBuffer *key = NULL;
  guint ssrc;

  if (gst_caps_get_size (caps) == 0)
    return;
  s = gst_caps_get_structure (caps, 0);
  if (!gst_structure_has_field (s, "srtp-key")
      && !gst_structure_has_field (s, "srtp-cipher"))
    return;

  if (gst_structure_get_uint (s, "ssrc", &ssrc)) {
    STREAM_LOCK (self);
    gst_acs_srtp_dec_set_ssrc_key_locked (self, ssrc, s);
    STREAM_UNLOCK (self);
    return;
  }

  if (!gst_acs_srtp_suite_from_structure (s, &suite, &key)) {
    GST_ELEMENT_WARNING (self, STREAM, DECRYPT,
        ("The SRTP fields of the caps are incomplete"), ("the caps need "
            "srtp-cipher, srtp-auth, srtcp-cipher, srtcp-auth and srtp-key"));
    return;
  }

  GST_OBJECT_LOCK (self);
  self->cfg.suite = suite;
  if (key) {
    GstMapInfo map;

    if (gst_buffer_map (key, &map, GST_MAP_READ)) {
      gst_acs_srtp_config_set_key (&self->cfg, map.data, map.size);
      gst_buffer_unmap (key, &map);
    }
  } else {
    gst_acs_srtp_config_set_key (&self->cfg, NULL, 0);
  }
  GST_OBJECT_UNLOCK (self);
  gst_clear_buffer (&key);
}

static gboolean
gst_acs_srtp_dec_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstAcsSrtpDec *self = GST_ACS_SRTP_DEC (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps, *src_caps;
      gboolean ret;

      gst_event_parse_caps (event, &caps);
      gst_acs_srtp_dec_keys_from_caps (self, caps);
      src_caps = gst_acs_srtp_caps_rename (caps, "application/x-rtp", TRUE);
      gst_event_unref (event);

      ret = gst_pad_set_caps (self->srcpad, src_caps);
      gst_caps_unref (src_caps);
      return ret;
    }
    default:
      return gst_pad_event_default (pad, parent, event);
  }
}

static gboolean
gst_acs_srtp_dec_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstAcsSrtpDec *self = GST_ACS_SRTP_DEC (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:
      return gst_acs_srtp_query_caps (pad, self->srcpad, query,
          "application/x-rtp", "application/x-srtp");
    case GST_QUERY_ACCEPT_CAPS:{
      GstCaps *caps;

      /* Any caps that name SRTP are fine: the key fields are checked when
       * a packet needs them, and reported as an element warning */
      GstCaps *templ = gst_pad_get_pad_template_caps (pad);

      gst_query_parse_accept_caps (query, &caps);
      gst_query_set_accept_caps_result (query,
          gst_caps_can_intersect (caps, templ));
      gst_caps_unref (templ);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static void
gst_acs_srtp_dec_clear_keys (GstAcsSrtpDec * self)
{
  GST_DEBUG_OBJECT (self, "clearing per-SSRC keys and streams");
  STREAM_LOCK (self);
  gst_acs_srtp_dec_free_sessions_locked (self);
  g_hash_table_remove_all (self->ssrc_keys);
  g_hash_table_remove_all (self->streams);
  self->last_stream = NULL;
  self->have_default = FALSE;
  self->applied_generation = -1;
  STREAM_UNLOCK (self);
}

static void
gst_acs_srtp_dec_remove_key (GstAcsSrtpDec * self, guint ssrc)
{
  GST_DEBUG_OBJECT (self, "removing the key and stream of SSRC %08x", ssrc);
  STREAM_LOCK (self);
  g_hash_table_remove (self->ssrc_keys, GUINT_TO_POINTER (ssrc));
  g_hash_table_remove (self->streams, GUINT_TO_POINTER (ssrc));
  self->last_stream = NULL;
  if (self->sessions[SHARD (ssrc)])
    srtp_remove_stream (self->sessions[SHARD (ssrc)], g_htonl (ssrc));
  if (self->prev_sessions[SHARD (ssrc)])
    srtp_remove_stream (self->prev_sessions[SHARD (ssrc)], g_htonl (ssrc));
  STREAM_UNLOCK (self);
}

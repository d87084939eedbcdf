/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: SRTP/SRTCP protection of an rtcp-mux stream
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-acssrtpenc
 * @title: acssrtpenc
 * @see_also: acssrtpdec, srtpenc, acsicebin
 *
 * acssrtpenc protects RTP and RTCP packets with SRTP and SRTCP (RFC 3711,
 * RFC 7714) using libsrtp2. Both kinds of packets travel multiplexed on its
 * single `sink` pad, as on an ICE component with rtcp-mux (RFC 5761): a
 * packet whose second byte is 192 to 223 is RTCP, anything else RTP.
 *
 * The default protection profile is AEAD_AES_128_GCM (RFC 7714). The
 * `profile` property takes any RFC 4568 / RFC 7714 suite name, and the
 * `inline-key` property takes the key exactly as it stands in an SDP
 * `a=crypto` line. The `key`, `rtp-cipher`, `rtp-auth`, `rtcp-cipher`,
 * `rtcp-auth`, `random-key`, `replay-window-size`, `allow-repeat-tx` and
 * `stats` properties mean what they mean on gst-plugins-bad's srtpenc, whose
 * bytes on the wire acssrtpenc reproduces exactly.
 *
 * Any number of SSRCs (audio, video, RTX, their RTCP) share one element and
 * one master key; libsrtp2 keeps a separate rollover counter per SSRC. The
 * key may be changed in PLAYING: the next packet is protected with the new
 * key, and every stream keeps its rollover counter.
 *
 * A packet that cannot be protected (too short, not RTP version 2, header
 * lengths past its end, key expired) is dropped and counted in `stats`,
 * with a warning in the debug log at most once a second. Keys are never
 * logged, and, unlike srtpenc, are not put in the src caps unless
 * `caps-key` asks for it (gst-launch-1.0 -v prints caps).
 *
 * Packets are protected in place when the buffer is writable and its one
 * memory has room for the authentication tag. Otherwise the packet is copied
 * once into a new memory of exactly the protected size, which replaces the
 * buffer's memories (payloaders make one memory for the header and one for
 * the payload: they are read where they are, never merged first). Buffer
 * lists are protected as lists, and timestamps, flags and metas are kept.
 *
 * Threading: buffers are protected on the streaming thread of the sink pad
 * under the element's stream lock; properties may be set from any thread.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 audiotestsrc is-live=true ! opusenc ! rtpopuspay ! \
 *     acssrtpenc profile=AEAD_AES_128_GCM \
 *       inline-key="inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVu" ! \
 *     udpsink host=127.0.0.1 port=5004
 * ]| Sends an Opus stream protected with AEAD_AES_128_GCM. The key is a
 * 28-byte key and salt in base64, as in an SDP `a=crypto` line.
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
#include "gstacssrtpenc.h"
#include "gstacssrtp.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <acs/acsrtp.h>

GST_DEBUG_CATEGORY_STATIC (gst_acs_srtp_enc_debug);
#define GST_CAT_DEFAULT gst_acs_srtp_enc_debug

#define DEFAULT_RANDOM_KEY FALSE
#define DEFAULT_ALLOW_REPEAT_TX GST_ACS_SRTP_DEFAULT_ALLOW_REPEAT_TX
#define DEFAULT_CAPS_KEY FALSE


enum
{
  PROP_RANDOM_KEY = GST_ACS_SRTP_PROP_LAST,
  PROP_ALLOW_REPEAT_TX,
  PROP_CAPS_KEY,
};

enum
{
  SIGNAL_SOFT_LIMIT,
  LAST_SIGNAL
};

static guint gst_acs_srtp_enc_signals[LAST_SIGNAL] = { 0 };

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp; application/x-rtcp"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-srtp"));

#define STREAM_LOCK(self) g_mutex_lock (&(self)->stream_lock)
#define STREAM_UNLOCK(self) g_mutex_unlock (&(self)->stream_lock)

typedef struct
{
  guint64 packets;
  guint64 bytes;
  guint64 rtcp_packets;
  guint64 copied;
  guint64 dropped;
  guint64 too_short;
  guint64 malformed;
  guint64 no_key;
  guint64 failed;
} EncStats;

struct _GstAcsSrtpEnc
{
  GstElement element;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* Protected by GST_OBJECT_LOCK */
  GstAcsSrtpConfig cfg;
  gboolean random_key;
  gboolean allow_repeat_tx;
  gboolean caps_key;
  GstCaps *sink_caps;

  /* Protected by STREAM_LOCK */
  GMutex stream_lock;
  srtp_t session;
  gint applied_generation;
  AcsSrtpSuite applied_suite;
  gboolean config_error;
  GHashTable *ssrcs;
  guint32 last_ssrc;
  gboolean have_last_ssrc;
  guint trailer;                /* bytes the suite appends, at most */
  GstAcsSrtpEvents events;
  gboolean hard_limit_posted;
  EncStats stats;
  gint64 last_warning;
};

G_DEFINE_TYPE_WITH_CODE (GstAcsSrtpEnc, gst_acs_srtp_enc, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_acs_srtp_enc_debug, "acssrtpenc", 0,
        "gst-acs SRTP encoder"));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (acssrtpenc, "acssrtpenc",
    GST_RANK_NONE, GST_TYPE_ACS_SRTP_ENC, acs_srtp_element_init (plugin));

static void gst_acs_srtp_enc_finalize (GObject * object);
static void gst_acs_srtp_enc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_acs_srtp_enc_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_acs_srtp_enc_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_acs_srtp_enc_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf);
static GstFlowReturn gst_acs_srtp_enc_chain_list (GstPad * pad,
    GstObject * parent, GstBufferList * list);
static gboolean gst_acs_srtp_enc_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_acs_srtp_enc_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

static void
gst_acs_srtp_enc_class_init (GstAcsSrtpEncClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  gobject_class->finalize = gst_acs_srtp_enc_finalize;
  gobject_class->set_property = gst_acs_srtp_enc_set_property;
  gobject_class->get_property = gst_acs_srtp_enc_get_property;
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_acs_srtp_enc_change_state);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "SRTP encoder",
      "Filter/Network/SRTP",
      "Protects multiplexed RTP and RTCP with SRTP and SRTCP (libsrtp2)",
      "gst-acs developers");

  gst_acs_srtp_install_config_properties (gobject_class,
      GST_ACS_SRTP_KEYS_READWRITE);

  /**
   * GstAcsSrtpEnc:stats:
   *
   * Counters of the element, a #GstStructure named
   * `application/x-srtp-encoder-stats` with:
   *
   * - `streams`: array of `application/x-srtp-stream` structures with the
   *   `ssrc` and rollover counter `roc` of every SSRC seen, as srtpenc;
   * - `packets-protected`, `bytes-protected` (bytes out, with tags) and
   *   `rtcp-packets-protected` (guint64);
   * - `packets-copied`: packets that could not be protected in place;
   * - `packets-dropped`, and by reason `too-short`, `malformed`, `no-key`,
   *   `protect-failures` (guint64).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, GST_ACS_SRTP_PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Packet, byte and drop counters and the rollover counter of every "
          "SSRC, as an application/x-srtp-encoder-stats structure",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_RANDOM_KEY,
      g_param_spec_boolean ("random-key", "Random Key",
          "Generate a random master key and salt of the profile's length "
          "from the system's CSPRNG when going to PAUSED, if no key is set; "
          "read it back from `key` to give it to the receiver",
          DEFAULT_RANDOM_KEY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ALLOW_REPEAT_TX,
      g_param_spec_boolean ("allow-repeat-tx", "Allow Repeat Transmission",
          "Allow protecting a packet whose sequence number was sent before "
          "(retransmission of the identical packet only: anything else "
          "reuses the keystream and breaks confidentiality). Applies to "
          "sessions created after the change",
          DEFAULT_ALLOW_REPEAT_TX, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CAPS_KEY,
      g_param_spec_boolean ("caps-key", "Key In Caps",
          "Put the master key in the src caps (`srtp-key` field) as srtpenc "
          "does, so that a directly linked decoder picks it up. Off by "
          "default: caps are printed by gst-launch-1.0 -v and debug logs",
          DEFAULT_CAPS_KEY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstAcsSrtpEnc::soft-limit:
   * @enc: the element on which the signal is emitted
   *
   * Emitted, as by srtpenc, when a stream has used the master key for so
   * many packets that it should be replaced soon: set a new #GstAcsSrtpEnc:key.
   * Emitted from the streaming thread with no lock held.
   *
   * Since: 0.1
   */
  gst_acs_srtp_enc_signals[SIGNAL_SOFT_LIMIT] =
      g_signal_new ("soft-limit", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gst_acs_srtp_enc_init (GstAcsSrtpEnc * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_srtp_enc_chain));
  gst_pad_set_chain_list_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_srtp_enc_chain_list));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_srtp_enc_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_srtp_enc_sink_query));
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  gst_acs_srtp_config_init (&self->cfg);
  self->random_key = DEFAULT_RANDOM_KEY;
  self->allow_repeat_tx = DEFAULT_ALLOW_REPEAT_TX;
  self->caps_key = DEFAULT_CAPS_KEY;

  g_mutex_init (&self->stream_lock);
  self->applied_generation = -1;
  self->ssrcs = g_hash_table_new (g_direct_hash, g_direct_equal);
}

static void
gst_acs_srtp_enc_finalize (GObject * object)
{
  GstAcsSrtpEnc *self = GST_ACS_SRTP_ENC (object);

  if (self->session)
    srtp_dealloc (self->session);
  g_hash_table_unref (self->ssrcs);
  gst_clear_caps (&self->sink_caps);
  gst_acs_srtp_config_clear (&self->cfg);
  g_mutex_clear (&self->stream_lock);

  G_OBJECT_CLASS (gst_acs_srtp_enc_parent_class)->finalize (object);
}

static GstStructure *
gst_acs_srtp_enc_create_stats (GstAcsSrtpEnc * self)
{
  GValue streams = G_VALUE_INIT;
  GHashTableIter iter;
  gpointer key;
  GstStructure *s;

  g_value_init (&streams, GST_TYPE_ARRAY);

  STREAM_LOCK (self);
  g_hash_table_iter_init (&iter, self->ssrcs);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    guint32 ssrc = GPOINTER_TO_UINT (key);
    guint32 roc = 0;
    GValue v = G_VALUE_INIT;

    if (self->session == NULL
        || srtp_get_stream_roc (self->session, ssrc, &roc) !=
        srtp_err_status_ok)
      roc = 0;
    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, gst_structure_new ("application/x-srtp-stream",
            "ssrc", G_TYPE_UINT, ssrc, "roc", G_TYPE_UINT, roc, NULL));
    gst_value_array_append_and_take_value (&streams, &v);
  }

  s = gst_structure_new ("application/x-srtp-encoder-stats",
      "packets-protected", G_TYPE_UINT64, self->stats.packets,
      "bytes-protected", G_TYPE_UINT64, self->stats.bytes,
      "rtcp-packets-protected", G_TYPE_UINT64, self->stats.rtcp_packets,
      "packets-copied", G_TYPE_UINT64, self->stats.copied,
      "packets-dropped", G_TYPE_UINT64, self->stats.dropped,
      "too-short", G_TYPE_UINT64, self->stats.too_short,
      "malformed", G_TYPE_UINT64, self->stats.malformed,
      "no-key", G_TYPE_UINT64, self->stats.no_key,
      "protect-failures", G_TYPE_UINT64, self->stats.failed, NULL);
  STREAM_UNLOCK (self);

  gst_structure_take_value (s, "streams", &streams);
  return s;
}

static void
gst_acs_srtp_enc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstAcsSrtpEnc *self = GST_ACS_SRTP_ENC (object);

  GST_OBJECT_LOCK (self);
  if (gst_acs_srtp_config_set_property (&self->cfg, prop_id, value)) {
    GST_DEBUG_OBJECT (self, "%s changed", pspec->name);
    GST_OBJECT_UNLOCK (self);
    return;
  }

  switch (prop_id) {
    case PROP_RANDOM_KEY:
      self->random_key = g_value_get_boolean (value);
      break;
    case PROP_ALLOW_REPEAT_TX:
      self->allow_repeat_tx = g_value_get_boolean (value);
      g_atomic_int_inc (&self->cfg.generation);
      break;
    case PROP_CAPS_KEY:
      self->caps_key = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_acs_srtp_enc_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstAcsSrtpEnc *self = GST_ACS_SRTP_ENC (object);

  if (prop_id == GST_ACS_SRTP_PROP_STATS) {
    g_value_take_boxed (value, gst_acs_srtp_enc_create_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  if (gst_acs_srtp_config_get_property (&self->cfg, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }

  switch (prop_id) {
    case PROP_RANDOM_KEY:
      g_value_set_boolean (value, self->random_key);
      break;
    case PROP_ALLOW_REPEAT_TX:
      g_value_set_boolean (value, self->allow_repeat_tx);
      break;
    case PROP_CAPS_KEY:
      g_value_set_boolean (value, self->caps_key);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Must be called with STREAM_LOCK */
static void
gst_acs_srtp_enc_reset_locked (GstAcsSrtpEnc * self)
{
  if (self->session) {
    srtp_dealloc (self->session);
    self->session = NULL;
  }
  g_hash_table_remove_all (self->ssrcs);
  self->have_last_ssrc = FALSE;
  self->applied_generation = -1;
  self->config_error = FALSE;
  self->hard_limit_posted = FALSE;
  memset (&self->events, 0, sizeof (self->events));
  memset (&self->stats, 0, sizeof (self->stats));
}

static gboolean
gst_acs_srtp_enc_make_random_key (GstAcsSrtpEnc * self)
{
  guint8 key[64];
  guint len;
  gboolean ret = TRUE;

  GST_OBJECT_LOCK (self);
  if (self->random_key && self->cfg.key == NULL) {
    len = acs_srtp_suite_key_len (&self->cfg.suite);
    if (len > 0 && getrandom (key, len, 0) != (gssize) len) {
      ret = FALSE;
    } else if (len > 0) {
      gst_acs_srtp_config_set_key (&self->cfg, key, len);
      GST_INFO_OBJECT (self, "generated a random %u-byte key and salt", len);
    }
    explicit_bzero (key, sizeof (key));
  }
  GST_OBJECT_UNLOCK (self);

  if (!ret)
    GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("Could not generate a key"),
        ("getrandom() failed: %s", g_strerror (errno)));
  return ret;
}

static GstStateChangeReturn
gst_acs_srtp_enc_change_state (GstElement * element, GstStateChange transition)
{
  GstAcsSrtpEnc *self = GST_ACS_SRTP_ENC (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!gst_acs_srtp_enc_make_random_key (self))
        return GST_STATE_CHANGE_FAILURE;

      STREAM_LOCK (self);
      gst_acs_srtp_enc_reset_locked (self);
      STREAM_UNLOCK (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_acs_srtp_enc_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      STREAM_LOCK (self);
      gst_acs_srtp_enc_reset_locked (self);
      STREAM_UNLOCK (self);
      GST_OBJECT_LOCK (self);
      gst_clear_caps (&self->sink_caps);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      break;
  }

  return ret;
}

/* Builds the src caps from the sink caps and the current suite.
 * Must be called with GST_OBJECT_LOCK. */
static GstCaps *
gst_acs_srtp_enc_make_src_caps_locked (GstAcsSrtpEnc * self)
{
  GstCaps *caps;
  GstStructure *s;

  if (self->sink_caps == NULL)
    return NULL;

  caps = gst_acs_srtp_caps_rename (self->sink_caps, "application/x-srtp", TRUE);
  s = gst_caps_get_structure (caps, 0);
  gst_structure_set (s,
      "srtp-cipher", G_TYPE_STRING,
      acs_srtp_cipher_to_nick (self->cfg.suite.rtp_cipher),
      "srtp-auth", G_TYPE_STRING,
      acs_srtp_auth_to_nick (self->cfg.suite.rtp_auth),
      "srtcp-cipher", G_TYPE_STRING,
      acs_srtp_cipher_to_nick (self->cfg.suite.rtcp_cipher),
      "srtcp-auth", G_TYPE_STRING,
      acs_srtp_auth_to_nick (self->cfg.suite.rtcp_auth), NULL);
  if (self->caps_key && self->cfg.key)
    gst_structure_set (s, "srtp-key", GST_TYPE_BUFFER, self->cfg.key, NULL);
  return caps;
}

/* Brings the libsrtp2 session up to date with the properties. Returns
 * FALSE and sets @error when the settings cannot make a session; sets
 * @caps_changed when the src caps must be sent again.
 * Must be called with STREAM_LOCK. */
static gboolean
gst_acs_srtp_enc_update_session_locked (GstAcsSrtpEnc * self,
    gboolean * caps_changed, GError ** error)
{
  srtp_policy_t policy;
  srtp_err_status_t err;
  GstBuffer *key = NULL;
  AcsSrtpSuite suite;
  GstMapInfo map = GST_MAP_INFO_INIT;
  guint window;
  gboolean allow_repeat_tx, caps_key, ok;
  gint generation;

  GST_OBJECT_LOCK (self);
  generation = g_atomic_int_get (&self->cfg.generation);
  ok = gst_acs_srtp_config_check (&self->cfg, error);
  suite = self->cfg.suite;
  if (self->cfg.key)
    key = gst_buffer_ref (self->cfg.key);
  window = self->cfg.replay_window_size;
  allow_repeat_tx = self->allow_repeat_tx;
  caps_key = self->caps_key;
  GST_OBJECT_UNLOCK (self);

  self->applied_generation = generation;
  if (!ok) {
    self->config_error = TRUE;
    goto done;
  }
  self->config_error = FALSE;

  if (key)
    gst_buffer_map (key, &map, GST_MAP_READ);
  gst_acs_srtp_policy_init (&policy, &suite, map.data, window, allow_repeat_tx);
  policy.ssrc.type = ssrc_any_outbound;

  if (self->session) {
    /* Re-keys every stream made from the template, keeping each one's
     * rollover counter and sequence number */
    err = srtp_update_stream (self->session, &policy);
  } else {
    err = srtp_create (&self->session, &policy);
    if (err == srtp_err_status_ok)
      srtp_set_user_data (self->session, &self->events);
  }
  if (key)
    gst_buffer_unmap (key, &map);

  if (err != srtp_err_status_ok) {
    g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
        "libsrtp2 refused the policy: %s", gst_acs_srtp_err_to_string (err));
    self->config_error = TRUE;
    ok = FALSE;
    goto done;
  }

  *caps_changed = memcmp (&suite, &self->applied_suite, sizeof (suite)) != 0
      || caps_key;
  self->applied_suite = suite;
  self->trailer = gst_acs_srtp_suite_trailer_len (&suite);
  self->hard_limit_posted = FALSE;
  GST_INFO_OBJECT (self, "session ready: rtp %s/%s rtcp %s/%s, key %"
      G_GSIZE_FORMAT " bytes", acs_srtp_cipher_to_nick (suite.rtp_cipher),
      acs_srtp_auth_to_nick (suite.rtp_auth),
      acs_srtp_cipher_to_nick (suite.rtcp_cipher),
      acs_srtp_auth_to_nick (suite.rtcp_auth),
      key ? gst_buffer_get_size (key) : 0);

done:
  gst_clear_buffer (&key);
  return ok;
}

typedef enum
{
  DROP_NONE,
  DROP_TOO_SHORT,
  DROP_MALFORMED,
  DROP_NO_KEY,
  DROP_FAILED,
} DropReason;

/* Must be called with STREAM_LOCK */
static void
gst_acs_srtp_enc_count_drop_locked (GstAcsSrtpEnc * self, DropReason reason,
    srtp_err_status_t err, gsize size)
{
  const gchar *what = "";

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
    case DROP_NO_KEY:
      self->stats.no_key++;
      what = "no usable key";
      break;
    case DROP_FAILED:
    default:
      self->stats.failed++;
      what = gst_acs_srtp_err_to_string (err);
      break;
  }

  if (gst_acs_srtp_rate_limit (&self->last_warning))
    GST_WARNING_OBJECT (self, "dropped a %" G_GSIZE_FORMAT "-byte packet: "
        "%s (%" G_GUINT64_FORMAT " dropped so far)", size, what,
        self->stats.dropped);
}

/* Protects @buf; takes ownership of it. Returns the protected buffer, or
 * NULL when the packet was dropped and counted.
 * Must be called with STREAM_LOCK. */
static GstBuffer *
gst_acs_srtp_enc_protect_locked (GstAcsSrtpEnc * self, GstBuffer * buf)
{
  GstBuffer *out = buf;
  GstMemory *mem = NULL;
  GstMapInfo map;
  gsize size, offset, maxsize;
  AcsPacketKind kind;
  DropReason reason = DROP_NONE;
  srtp_err_status_t err = srtp_err_status_ok;
  guint32 ssrc = 0;
  gint len;

  size = gst_buffer_get_size (buf);

  if (self->session == NULL || self->config_error) {
    reason = DROP_NO_KEY;
    goto drop;
  }
  /* Shorter than any RTCP header (and maybe no memory at all) */
  if (size < 8) {
    reason = DROP_TOO_SHORT;
    goto drop;
  }

  if (gst_buffer_n_memory (buf) == 1 && gst_buffer_is_writable (buf)) {
    GstMemory *m = gst_buffer_peek_memory (buf, 0);

    gst_memory_get_sizes (m, &offset, &maxsize);
    if (maxsize - offset - size >= self->trailer
        && gst_memory_is_writable (m) && !GST_MEMORY_IS_READONLY (m)
        && gst_memory_map (m, &map, GST_MAP_READWRITE))
      mem = gst_memory_ref (m);
  }

  if (mem == NULL) {
    /* One copy, straight from the input's memories into one of exactly
     * the protected size */
    mem = gst_allocator_alloc (NULL, size + self->trailer, NULL);
    if (!gst_memory_map (mem, &map, GST_MAP_WRITE)) {
      gst_memory_unref (mem);
      reason = DROP_FAILED;
      goto drop;
    }
    gst_buffer_extract (buf, 0, map.data, size);
    self->stats.copied++;
    if (!gst_buffer_is_writable (buf)) {
      out = gst_buffer_new ();
      gst_buffer_copy_into (out, buf, GST_BUFFER_COPY_METADATA, 0, -1);
      gst_buffer_unref (buf);
      buf = out;
    }
    gst_buffer_replace_all_memory (out, gst_memory_ref (mem));
  }

  kind = acs_rtp_classify (map.data, size, &ssrc);
  len = (gint) size;
  switch (kind) {
    case ACS_PACKET_RTP:
      err = srtp_protect (self->session, map.data, &len);
      break;
    case ACS_PACKET_RTCP:
      err = srtp_protect_rtcp (self->session, map.data, &len);
      break;
    case ACS_PACKET_TOO_SHORT:
      reason = DROP_TOO_SHORT;
      break;
    case ACS_PACKET_MALFORMED:
    default:
      reason = DROP_MALFORMED;
      break;
  }
  gst_memory_unmap (mem, &map);

  if (reason == DROP_NONE && err != srtp_err_status_ok)
    reason = DROP_FAILED;
  if (reason != DROP_NONE) {
    gst_memory_unref (mem);
    goto drop;
  }

  /* The memory size, and so the buffer size, becomes the protected length */
  gst_memory_resize (mem, 0, len);
  gst_memory_unref (mem);

  if (!self->have_last_ssrc || self->last_ssrc != ssrc) {
    if (g_hash_table_add (self->ssrcs, GUINT_TO_POINTER (ssrc)))
      GST_DEBUG_OBJECT (self, "new SSRC %08x", ssrc);
    self->last_ssrc = ssrc;
    self->have_last_ssrc = TRUE;
  }
  self->stats.packets++;
  self->stats.bytes += len;
  if (kind == ACS_PACKET_RTCP)
    self->stats.rtcp_packets++;
  return out;

drop:
  gst_acs_srtp_enc_count_drop_locked (self, reason, err, size);
  gst_buffer_unref (out);
  return NULL;
}

typedef struct
{
  gboolean soft_limit;
  gboolean hard_limit;
  gboolean caps_changed;
  GError *error;
} PendingWork;

/* Must be called with STREAM_LOCK */
static void
gst_acs_srtp_enc_prepare_locked (GstAcsSrtpEnc * self, PendingWork * work)
{
  if (g_atomic_int_get (&self->cfg.generation) != self->applied_generation) {
    if (!gst_acs_srtp_enc_update_session_locked (self, &work->caps_changed,
            &work->error))
      GST_DEBUG_OBJECT (self, "session could not be made");
  }
}

/* Must be called with STREAM_LOCK */
static void
gst_acs_srtp_enc_collect_events_locked (GstAcsSrtpEnc * self,
    PendingWork * work)
{
  if (self->events.soft_limit) {
    self->events.soft_limit = FALSE;
    work->soft_limit = TRUE;
  }
  if (self->events.hard_limit) {
    self->events.hard_limit = FALSE;
    if (!self->hard_limit_posted) {
      self->hard_limit_posted = TRUE;
      work->hard_limit = TRUE;
    }
  }
}

/* Emits, posts and pushes what the locked section left to do */
static gboolean
gst_acs_srtp_enc_finish_work (GstAcsSrtpEnc * self, PendingWork * work)
{
  if (work->error) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Cannot protect packets: the SRTP settings are not usable"),
        ("%s", work->error->message));
    g_clear_error (&work->error);
    return FALSE;
  }
  if (work->caps_changed) {
    GstCaps *caps;

    GST_OBJECT_LOCK (self);
    caps = gst_acs_srtp_enc_make_src_caps_locked (self);
    GST_OBJECT_UNLOCK (self);
    if (caps) {
      gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
      gst_caps_unref (caps);
    }
  }
  if (work->soft_limit)
    g_signal_emit (self, gst_acs_srtp_enc_signals[SIGNAL_SOFT_LIMIT], 0);
  if (work->hard_limit)
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("The SRTP master key has expired"),
        ("libsrtp2 reached the hard limit of the key; packets are dropped "
            "until a new key is set"));
  return TRUE;
}

static GstFlowReturn
gst_acs_srtp_enc_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstAcsSrtpEnc *self = GST_ACS_SRTP_ENC (parent);
  PendingWork work = { FALSE, };
  GstBuffer *out;

  STREAM_LOCK (self);
  gst_acs_srtp_enc_prepare_locked (self, &work);
  out = gst_acs_srtp_enc_protect_locked (self, buf);
  gst_acs_srtp_enc_collect_events_locked (self, &work);
  STREAM_UNLOCK (self);

  if (!gst_acs_srtp_enc_finish_work (self, &work)) {
    gst_clear_buffer (&out);
    return GST_FLOW_ERROR;
  }
  if (out == NULL)
    return GST_FLOW_OK;
  return gst_pad_push (self->srcpad, out);
}

static gboolean
protect_list_item (GstBuffer ** buf, guint idx, gpointer user_data)
{
  GstAcsSrtpEnc *self = user_data;

  *buf = gst_acs_srtp_enc_protect_locked (self, *buf);
  return TRUE;
}

static GstFlowReturn
gst_acs_srtp_enc_chain_list (GstPad * pad, GstObject * parent,
    GstBufferList * list)
{
  GstAcsSrtpEnc *self = GST_ACS_SRTP_ENC (parent);
  PendingWork work = { FALSE, };

  list = gst_buffer_list_make_writable (list);

  STREAM_LOCK (self);
  gst_acs_srtp_enc_prepare_locked (self, &work);
  gst_buffer_list_foreach (list, protect_list_item, self);
  gst_acs_srtp_enc_collect_events_locked (self, &work);
  STREAM_UNLOCK (self);

  if (!gst_acs_srtp_enc_finish_work (self, &work)) {
    gst_buffer_list_unref (list);
    return GST_FLOW_ERROR;
  }
  if (gst_buffer_list_length (list) == 0) {
    gst_buffer_list_unref (list);
    return GST_FLOW_OK;
  }
  return gst_pad_push_list (self->srcpad, list);
}

static gboolean
gst_acs_srtp_enc_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstAcsSrtpEnc *self = GST_ACS_SRTP_ENC (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps, *src_caps;
      gboolean ret;

      gst_event_parse_caps (event, &caps);
      GST_OBJECT_LOCK (self);
      gst_caps_replace (&self->sink_caps, caps);
      src_caps = gst_acs_srtp_enc_make_src_caps_locked (self);
      GST_OBJECT_UNLOCK (self);
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
gst_acs_srtp_enc_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstAcsSrtpEnc *self = GST_ACS_SRTP_ENC (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:
      return gst_acs_srtp_query_caps (pad, self->srcpad, query,
          "application/x-srtp", "application/x-rtp");
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

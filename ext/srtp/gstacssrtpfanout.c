/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: one RTP stream protected for many destinations
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-acssrtpfanout
 * @title: acssrtpfanout
 * @see_also: acssrtpenc, acsmixer, tee
 *
 * acssrtpfanout protects one RTP stream for many destinations at once, each
 * with its own SRTP master key and SSRC: the group-call case where every
 * listener receives the same encoded mix. It replaces a `tee` followed by one
 * acssrtpenc per listener, whose per-element overhead dominates at a
 * thousand listeners.
 *
 * Destinations are added and removed with the `add-destination` and
 * `remove-destination` action signals, at any time, also while streaming.
 * For every input buffer the element pushes ONE #GstBufferList on its `src`
 * pad holding one SRTP-protected copy of the packet per destination, in the
 * order the destinations were added. A buffer list in gives one list out,
 * with every packet of the input list for every destination. Each copy has:
 *
 * - the SSRC of its destination;
 * - the destination's own sequence numbers, consecutive, starting at a
 *   random value;
 * - the input RTP timestamp plus a per-destination offset. The first packet
 *   of a destination starts at a random timestamp; when a destination
 *   switches between the shared stream and a routed one, the offset is
 *   recomputed so that its timestamps go on from the last one it was sent,
 *   advanced by the PTS difference since then times the `clock-rate` of the
 *   new stream's caps (48000 when the caps have none), or by one frame
 *   (the buffer duration, else 20 ms) when PTS are missing. The marker bit
 *   is set on a destination's first packet and the first after a switch;
 * - the payload type, CSRCs, header extensions and payload of the input,
 *   and its PTS, DTS and duration.
 *
 * The copies of one input packet are written into one block of memory,
 * allocated once for all of them; each buffer of the list wraps its part of
 * the block, read-only (a downstream element that writes into one gets a
 * copy of its own), and the block is freed with the last of them.
 *
 * Every destination gets the stream of the always `sink` pad, unless it is
 * routed from a request pad: the `route` action signal sends what arrives on
 * `sink_<pad-index>` to one destination only, a speaker's mix-minus say, and
 * that destination does not get the shared stream while the route is in
 * place. Routing to -1 removes the route and the destination gets the
 * shared stream again, with continuous sequence numbers and timestamps.
 * A route may be set before its pad is requested; releasing a pad removes
 * its route. Events of request pads (caps aside, which give their clock
 * rate) are dropped: the `src` caps, segment and EOS come from `sink`.
 *
 * One libsrtp2 session is made per destination, with a policy for exactly
 * its SSRC, from the `profile` (or cipher and auth) properties as they are
 * when the destination is added. There is no `key` or `inline-key`
 * property as on acssrtpenc: every destination's key is given to
 * `add-destination`. Keys are never logged, never put in caps and never put
 * in `stats`; the element keeps no copy of them (libsrtp2 keeps the derived
 * session keys).
 *
 * acssrtpfanout is for RTP only: an RTCP packet (caps
 * `application/x-rtcp`, or an rtcp-mux packet whose second byte is 192 to
 * 223) is dropped and counted as `dropped-rtcp`. A buffer that is not an RTP
 * packet is dropped and counted as `dropped-malformed`, a packet with no
 * destination as `dropped-no-destination`, and a copy libsrtp2 could not
 * protect as `protect-failures`; the other packets go on.
 *
 * Threading: destinations may be added, removed and routed from any thread.
 * `sink` and the request pads may stream from different threads at the same
 * time. One mutex is taken once per input buffer (or buffer list), and
 * released before pushing. Packets of one destination coming from two
 * streaming threads, only around a switch, may leave in either order.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 audiotestsrc is-live=true ! opusenc ! rtpopuspay ! \
 *     acssrtpfanout name=f profile=AEAD_AES_128_GCM ! fakesink
 * ]| Runs a fanout with no destinations yet: every packet is counted as
 * `dropped-no-destination`. An application adds destinations with
 * |[
 * g_signal_emit_by_name (fanout, "add-destination", 1, 0x11223344, key,
 *     &ok);
 * ]| where `key` is a #GstBuffer of the 28-byte master key and salt, and
 * sends each buffer of the `src` lists to its destination's address.
 *
 * Since: 0.1
 */

/* Lock order: FANOUT_LOCK and GST_OBJECT_LOCK are never held together.
 * Neither is held while pushing, posting a message or emitting a signal. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacssrtpelements.h"
#include "gstacssrtpfanout.h"
#include "gstacssrtp.h"

#include <stdio.h>
#include <string.h>

#include <acs/acsrtp.h>

GST_DEBUG_CATEGORY_STATIC (gst_acs_srtp_fanout_debug);
#define GST_CAT_DEFAULT gst_acs_srtp_fanout_debug

#define DEFAULT_CLOCK_RATE 48000

enum
{
  PROP_DESTINATIONS = GST_ACS_SRTP_PROP_LAST,
};

enum
{
  SIGNAL_ADD_DESTINATION,
  SIGNAL_REMOVE_DESTINATION,
  SIGNAL_ROUTE,
  LAST_SIGNAL
};

static guint gst_acs_srtp_fanout_signals[LAST_SIGNAL] = { 0 };

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp; application/x-rtcp"));

static GstStaticPadTemplate sink_req_template =
    GST_STATIC_PAD_TEMPLATE ("sink_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtp; application/x-rtcp"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-srtp"));

#define FANOUT_LOCK(self) g_mutex_lock (&(self)->lock)
#define FANOUT_UNLOCK(self) g_mutex_unlock (&(self)->lock)

/* The shared stream's source index; request pads have their pad index */
#define SOURCE_SHARED (-1)

/* Where a stream comes from, one per sink pad */
typedef struct
{
  guint clock_rate;
  gboolean rtcp;                /* application/x-rtcp caps */
} Source;

typedef struct
{
  guint id;
  guint32 ssrc;
  srtp_t session;
  guint trailer;                /* bytes protection may append */

  guint16 seq;                  /* next sequence number */
  guint32 ts_offset;            /* added to the input timestamp */
  guint32 last_ts;              /* last timestamp sent, or the first one */
  GstClockTime last_pts;
  gint source;                  /* SOURCE_SHARED or a pad index */
  gboolean started;
  guint n_routes;               /* request pads routed to it */

  guint64 packets;
} Destination;

typedef struct
{
  guint64 packets_in;
  guint64 packets_protected;
  guint64 bytes_protected;
  guint64 dropped_malformed;
  guint64 dropped_rtcp;
  guint64 dropped_no_destination;
  guint64 protect_failures;
} FanoutStats;

struct _GstAcsSrtpFanout
{
  GstElement element;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* Protected by GST_OBJECT_LOCK */
  GstAcsSrtpConfig cfg;
  GstCaps *sink_caps;

  GMutex lock;
  /* Protected by FANOUT_LOCK */
  GPtrArray *dests;             /* Destination *, in the order added */
  GHashTable *by_id;            /* id -> Destination * */
  GHashTable *routes;           /* pad index -> Destination * */
  GHashTable *sources;          /* pad index -> Source * */
  Source shared;
  guint next_pad_index;
  guint max_trailer;            /* largest trailer of any destination */
  FanoutStats stats;
  gint64 last_warning;
};

G_DEFINE_TYPE_WITH_CODE (GstAcsSrtpFanout, gst_acs_srtp_fanout,
    GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_acs_srtp_fanout_debug, "acssrtpfanout", 0,
        "gst-acs SRTP fanout"));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (acssrtpfanout, "acssrtpfanout",
    GST_RANK_NONE, GST_TYPE_ACS_SRTP_FANOUT, acs_srtp_element_init (plugin));

static void gst_acs_srtp_fanout_finalize (GObject * object);
static void gst_acs_srtp_fanout_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_acs_srtp_fanout_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static GstPad *gst_acs_srtp_fanout_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_acs_srtp_fanout_release_pad (GstElement * element,
    GstPad * pad);
static GstFlowReturn gst_acs_srtp_fanout_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buf);
static GstFlowReturn gst_acs_srtp_fanout_chain_list (GstPad * pad,
    GstObject * parent, GstBufferList * list);
static gboolean gst_acs_srtp_fanout_sink_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static gboolean gst_acs_srtp_fanout_sink_query (GstPad * pad,
    GstObject * parent, GstQuery * query);
static gboolean gst_acs_srtp_fanout_add_destination (GstAcsSrtpFanout * self,
    guint id, guint ssrc, GstBuffer * key);
static gboolean gst_acs_srtp_fanout_remove_destination (GstAcsSrtpFanout *
    self, guint id);
static gboolean gst_acs_srtp_fanout_route (GstAcsSrtpFanout * self,
    guint pad_index, gint id);
static void destination_free (Destination * dest);

static void
gst_acs_srtp_fanout_class_init (GstAcsSrtpFanoutClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  gobject_class->finalize = gst_acs_srtp_fanout_finalize;
  gobject_class->set_property = gst_acs_srtp_fanout_set_property;
  gobject_class->get_property = gst_acs_srtp_fanout_get_property;
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_acs_srtp_fanout_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_acs_srtp_fanout_release_pad);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &sink_req_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "SRTP fanout",
      "Filter/Network/SRTP",
      "Protects one RTP stream with SRTP for many destinations, each with "
      "its own key, SSRC and sequence numbers (libsrtp2)",
      "gst-acs developers");

  gst_acs_srtp_install_config_properties (gobject_class,
      GST_ACS_SRTP_KEYS_NONE);

  /**
   * GstAcsSrtpFanout:stats:
   *
   * Counters of the element since it was made, a #GstStructure named
   * `application/x-srtp-fanout-stats` with:
   *
   * - `packets-in`: buffers received on all sink pads, dropped ones
   *   included (guint64);
   * - `packets-protected`, `bytes-protected`: protected copies pushed and
   *   their bytes, with tags (guint64);
   * - `dropped-malformed`, `dropped-rtcp`, `dropped-no-destination`:
   *   input packets dropped, by reason (guint64);
   * - `protect-failures`: copies libsrtp2 refused to protect (guint64);
   * - `destinations`: array of `application/x-srtp-fanout-destination`
   *   structures with the `id` and `ssrc` (guint), the `packets` sent
   *   (guint64) and `routed` (gboolean) of every destination.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, GST_ACS_SRTP_PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Packet, byte and drop counters, and the SSRC and packet count of "
          "every destination, as an application/x-srtp-fanout-stats "
          "structure", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_DESTINATIONS,
      g_param_spec_uint ("destinations", "Destinations",
          "Number of destinations currently added with add-destination "
          "(0 to G_MAXUINT); changes with add-destination and "
          "remove-destination", 0, G_MAXUINT, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstAcsSrtpFanout::add-destination:
   * @fanout: the element
   * @id: the application's identifier of the destination, unique in the
   *   element
   * @ssrc: the SSRC the destination's packets carry
   * @key: (transfer none): master key and salt of the destination, of the
   *   length the current profile needs (28 bytes for AEAD_AES_128_GCM);
   *   not kept by the element
   *
   * Adds a destination. It gets the shared stream from its next packet on,
   * unless a route sends it a request pad's stream. May be called from any
   * thread, also while streaming.
   *
   * Returns: %TRUE if the destination was added; %FALSE, with a warning
   *   message on the bus, if @id exists or @key has the wrong length.
   *
   * Since: 0.1
   */
  gst_acs_srtp_fanout_signals[SIGNAL_ADD_DESTINATION] =
      g_signal_new_class_handler ("add-destination",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_srtp_fanout_add_destination), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 3, G_TYPE_UINT, G_TYPE_UINT, GST_TYPE_BUFFER);

  /**
   * GstAcsSrtpFanout::remove-destination:
   * @fanout: the element
   * @id: the destination to remove
   *
   * Removes a destination and any route to it. May be called from any
   * thread, also while streaming.
   *
   * Returns: %TRUE if the destination existed.
   *
   * Since: 0.1
   */
  gst_acs_srtp_fanout_signals[SIGNAL_REMOVE_DESTINATION] =
      g_signal_new_class_handler ("remove-destination",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_srtp_fanout_remove_destination), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_UINT);

  /**
   * GstAcsSrtpFanout::route:
   * @fanout: the element
   * @pad_index: the index of a request pad, `sink_<pad_index>`, requested
   *   or not yet
   * @id: the destination that gets what arrives on that pad, or -1 to
   *   remove the pad's route
   *
   * Routes the stream of one request pad to one destination, which no
   * longer gets the shared stream while routed. Replaces the pad's previous
   * route. May be called from any thread, also while streaming.
   *
   * Returns: %TRUE if the route was set or removed; %FALSE if @id is no
   *   destination.
   *
   * Since: 0.1
   */
  gst_acs_srtp_fanout_signals[SIGNAL_ROUTE] =
      g_signal_new_class_handler ("route",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_srtp_fanout_route), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, G_TYPE_UINT, G_TYPE_INT);
}

static void
gst_acs_srtp_fanout_setup_sink_pad (GstAcsSrtpFanout * self, GstPad * pad)
{
  gst_pad_set_chain_function (pad,
      GST_DEBUG_FUNCPTR (gst_acs_srtp_fanout_chain));
  gst_pad_set_chain_list_function (pad,
      GST_DEBUG_FUNCPTR (gst_acs_srtp_fanout_chain_list));
  gst_pad_set_event_function (pad,
      GST_DEBUG_FUNCPTR (gst_acs_srtp_fanout_sink_event));
  gst_pad_set_query_function (pad,
      GST_DEBUG_FUNCPTR (gst_acs_srtp_fanout_sink_query));
}

static void
gst_acs_srtp_fanout_init (GstAcsSrtpFanout * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_acs_srtp_fanout_setup_sink_pad (self, self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  gst_acs_srtp_config_init (&self->cfg);

  g_mutex_init (&self->lock);
  self->dests = g_ptr_array_new ();
  self->by_id = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
      (GDestroyNotify) destination_free);
  self->routes = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->sources = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
      g_free);
  self->shared.clock_rate = DEFAULT_CLOCK_RATE;
}

static void
gst_acs_srtp_fanout_finalize (GObject * object)
{
  GstAcsSrtpFanout *self = GST_ACS_SRTP_FANOUT (object);

  g_hash_table_unref (self->routes);
  g_hash_table_unref (self->sources);
  g_ptr_array_unref (self->dests);
  g_hash_table_unref (self->by_id);
  gst_clear_caps (&self->sink_caps);
  gst_acs_srtp_config_clear (&self->cfg);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (gst_acs_srtp_fanout_parent_class)->finalize (object);
}

static GstStructure *
gst_acs_srtp_fanout_create_stats (GstAcsSrtpFanout * self)
{
  GValue dests = G_VALUE_INIT;
  GstStructure *s;
  guint i;

  g_value_init (&dests, GST_TYPE_ARRAY);

  FANOUT_LOCK (self);
  for (i = 0; i < self->dests->len; i++) {
    Destination *dest = g_ptr_array_index (self->dests, i);
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v,
        gst_structure_new ("application/x-srtp-fanout-destination",
            "id", G_TYPE_UINT, dest->id,
            "ssrc", G_TYPE_UINT, dest->ssrc,
            "packets", G_TYPE_UINT64, dest->packets,
            "routed", G_TYPE_BOOLEAN, dest->n_routes > 0, NULL));
    gst_value_array_append_and_take_value (&dests, &v);
  }

  s = gst_structure_new ("application/x-srtp-fanout-stats",
      "packets-in", G_TYPE_UINT64, self->stats.packets_in,
      "packets-protected", G_TYPE_UINT64, self->stats.packets_protected,
      "bytes-protected", G_TYPE_UINT64, self->stats.bytes_protected,
      "dropped-malformed", G_TYPE_UINT64, self->stats.dropped_malformed,
      "dropped-rtcp", G_TYPE_UINT64, self->stats.dropped_rtcp,
      "dropped-no-destination", G_TYPE_UINT64,
      self->stats.dropped_no_destination,
      "protect-failures", G_TYPE_UINT64, self->stats.protect_failures, NULL);
  FANOUT_UNLOCK (self);

  gst_structure_take_value (s, "destinations", &dests);
  return s;
}

static void
gst_acs_srtp_fanout_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstAcsSrtpFanout *self = GST_ACS_SRTP_FANOUT (object);

  GST_OBJECT_LOCK (self);
  if (gst_acs_srtp_config_set_property (&self->cfg, prop_id, value))
    GST_DEBUG_OBJECT (self, "%s changed", pspec->name);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  GST_OBJECT_UNLOCK (self);
}

static void
gst_acs_srtp_fanout_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstAcsSrtpFanout *self = GST_ACS_SRTP_FANOUT (object);

  switch (prop_id) {
    case GST_ACS_SRTP_PROP_STATS:
      g_value_take_boxed (value, gst_acs_srtp_fanout_create_stats (self));
      return;
    case PROP_DESTINATIONS:
      FANOUT_LOCK (self);
      g_value_set_uint (value, self->dests->len);
      FANOUT_UNLOCK (self);
      return;
    default:
      break;
  }

  GST_OBJECT_LOCK (self);
  if (!gst_acs_srtp_config_get_property (&self->cfg, prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  GST_OBJECT_UNLOCK (self);
}

static GstPad *
gst_acs_srtp_fanout_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstAcsSrtpFanout *self = GST_ACS_SRTP_FANOUT (element);
  GstPad *pad;
  gchar *pad_name;
  guint index;

  FANOUT_LOCK (self);
  if (name != NULL) {
    if (sscanf (name, "sink_%u", &index) != 1) {
      FANOUT_UNLOCK (self);
      GST_WARNING_OBJECT (self, "pad name %s is not sink_%%u", name);
      return NULL;
    }
  } else {
    index = self->next_pad_index;
    while (g_hash_table_contains (self->sources, GUINT_TO_POINTER (index)))
      index++;
  }
  if (g_hash_table_contains (self->sources, GUINT_TO_POINTER (index))) {
    FANOUT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "pad sink_%u exists", index);
    return NULL;
  }
  {
    Source *source = g_new0 (Source, 1);

    source->clock_rate = DEFAULT_CLOCK_RATE;
    g_hash_table_insert (self->sources, GUINT_TO_POINTER (index), source);
  }
  self->next_pad_index = MAX (self->next_pad_index, index + 1);
  FANOUT_UNLOCK (self);

  pad_name = g_strdup_printf ("sink_%u", index);
  pad = gst_pad_new_from_template (templ, pad_name);
  g_free (pad_name);
  /* index + 1, so that the always sink pad's NULL means "shared" */
  gst_pad_set_element_private (pad, GUINT_TO_POINTER (index + 1));
  gst_acs_srtp_fanout_setup_sink_pad (self, pad);
  gst_pad_set_active (pad, TRUE);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
gst_acs_srtp_fanout_release_pad (GstElement * element, GstPad * pad)
{
  GstAcsSrtpFanout *self = GST_ACS_SRTP_FANOUT (element);
  guint index = GPOINTER_TO_UINT (gst_pad_get_element_private (pad)) - 1;
  Destination *dest;

  FANOUT_LOCK (self);
  dest = g_hash_table_lookup (self->routes, GUINT_TO_POINTER (index));
  if (dest) {
    dest->n_routes--;
    g_hash_table_remove (self->routes, GUINT_TO_POINTER (index));
  }
  g_hash_table_remove (self->sources, GUINT_TO_POINTER (index));
  FANOUT_UNLOCK (self);

  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
}

static void
destination_free (Destination * dest)
{
  if (dest->session)
    srtp_dealloc (dest->session);
  g_free (dest);
}

static gboolean
gst_acs_srtp_fanout_add_destination (GstAcsSrtpFanout * self, guint id,
    guint ssrc, GstBuffer * key)
{
  srtp_policy_t policy;
  srtp_err_status_t err;
  AcsSrtpSuite suite;
  GstMapInfo map = GST_MAP_INFO_INIT;
  Destination *dest;
  guint window, expected;
  gsize key_len;
  gboolean exists;

  GST_OBJECT_LOCK (self);
  suite = self->cfg.suite;
  window = self->cfg.replay_window_size;
  GST_OBJECT_UNLOCK (self);

  FANOUT_LOCK (self);
  exists = g_hash_table_contains (self->by_id, GUINT_TO_POINTER (id));
  FANOUT_UNLOCK (self);
  if (exists) {
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("Destination %u was not added: the id is in use", id), (NULL));
    return FALSE;
  }

  expected = acs_srtp_suite_key_len (&suite);
  key_len = key ? gst_buffer_get_size (key) : 0;
  if (acs_srtp_suite_has_crypto (&suite) && key_len != expected) {
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("Destination %u was not added: its key has the wrong length", id),
        ("master key and salt are %" G_GSIZE_FORMAT " bytes long, the %s/%s "
            "suite needs %u", key_len,
            acs_srtp_cipher_to_nick (suite.rtp_cipher),
            acs_srtp_auth_to_nick (suite.rtp_auth), expected));
    return FALSE;
  }

  if (key && acs_srtp_suite_has_crypto (&suite)
      && !gst_buffer_map (key, &map, GST_MAP_READ)) {
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("Destination %u was not added: its key cannot be read", id), (NULL));
    return FALSE;
  }

  gst_acs_srtp_policy_init (&policy, &suite, map.data, window, FALSE);
  policy.ssrc.type = ssrc_specific;
  policy.ssrc.value = ssrc;

  dest = g_new0 (Destination, 1);
  dest->id = id;
  dest->ssrc = ssrc;
  dest->trailer = gst_acs_srtp_suite_trailer_len (&suite);
  dest->seq = (guint16) g_random_int ();
  dest->last_ts = g_random_int ();
  dest->last_pts = GST_CLOCK_TIME_NONE;
  dest->source = SOURCE_SHARED;

  /* Key derivation is the slow part: done with no lock held */
  err = srtp_create (&dest->session, &policy);
  if (map.memory)
    gst_buffer_unmap (key, &map);
  if (err != srtp_err_status_ok) {
    dest->session = NULL;
    destination_free (dest);
    GST_ELEMENT_ERROR (self, LIBRARY, INIT,
        ("Could not set up SRTP for a destination"),
        ("srtp_create() failed: %s", gst_acs_srtp_err_to_string (err)));
    return FALSE;
  }

  FANOUT_LOCK (self);
  exists = g_hash_table_contains (self->by_id, GUINT_TO_POINTER (id));
  if (!exists) {
    g_hash_table_insert (self->by_id, GUINT_TO_POINTER (id), dest);
    g_ptr_array_add (self->dests, dest);
    self->max_trailer = MAX (self->max_trailer, dest->trailer);
  }
  FANOUT_UNLOCK (self);

  if (exists) {
    /* Another thread added the same id meanwhile */
    destination_free (dest);
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("Destination %u was not added: the id is in use", id), (NULL));
    return FALSE;
  }

  GST_INFO_OBJECT (self, "added destination %u, SSRC %08x, %s/%s, key %"
      G_GSIZE_FORMAT " bytes", id, ssrc,
      acs_srtp_cipher_to_nick (suite.rtp_cipher),
      acs_srtp_auth_to_nick (suite.rtp_auth), key_len);
  g_object_notify (G_OBJECT (self), "destinations");
  return TRUE;
}

static gboolean
gst_acs_srtp_fanout_remove_destination (GstAcsSrtpFanout * self, guint id)
{
  Destination *dest;
  GHashTableIter iter;
  gpointer value;

  FANOUT_LOCK (self);
  dest = g_hash_table_lookup (self->by_id, GUINT_TO_POINTER (id));
  if (dest == NULL) {
    FANOUT_UNLOCK (self);
    GST_DEBUG_OBJECT (self, "no destination %u to remove", id);
    return FALSE;
  }
  g_hash_table_iter_init (&iter, self->routes);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (value == dest)
      g_hash_table_iter_remove (&iter);
  }
  g_ptr_array_remove (self->dests, dest);
  g_hash_table_steal (self->by_id, GUINT_TO_POINTER (id));
  FANOUT_UNLOCK (self);

  destination_free (dest);
  GST_INFO_OBJECT (self, "removed destination %u", id);
  g_object_notify (G_OBJECT (self), "destinations");
  return TRUE;
}

static gboolean
gst_acs_srtp_fanout_route (GstAcsSrtpFanout * self, guint pad_index, gint id)
{
  Destination *old, *dest = NULL;

  FANOUT_LOCK (self);
  if (id >= 0) {
    dest = g_hash_table_lookup (self->by_id, GUINT_TO_POINTER ((guint) id));
    if (dest == NULL) {
      FANOUT_UNLOCK (self);
      GST_DEBUG_OBJECT (self, "no destination %d to route sink_%u to", id,
          pad_index);
      return FALSE;
    }
  }
  old = g_hash_table_lookup (self->routes, GUINT_TO_POINTER (pad_index));
  if (old)
    old->n_routes--;
  if (dest) {
    dest->n_routes++;
    g_hash_table_insert (self->routes, GUINT_TO_POINTER (pad_index), dest);
  } else {
    g_hash_table_remove (self->routes, GUINT_TO_POINTER (pad_index));
  }
  FANOUT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "sink_%u routed to %d", pad_index, id);
  return TRUE;
}

/* The timestamp distance from a destination's last packet to @buf.
 * Must be called with FANOUT_LOCK */
static guint32
destination_step (const Destination * dest, GstBuffer * buf, guint clock_rate)
{
  GstClockTime pts = GST_BUFFER_PTS (buf);

  if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (dest->last_pts)
      && pts >= dest->last_pts)
    return (guint32) gst_util_uint64_scale_int (pts - dest->last_pts,
        clock_rate, GST_SECOND);
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    return (guint32) gst_util_uint64_scale_int (GST_BUFFER_DURATION (buf),
        clock_rate, GST_SECOND);
  return clock_rate / 50;
}

/* The copies of one input packet are written one after the other into a
 * single block, a reference-counted allocation (g_atomic_rc_box) of room
 * enough for all of them; each copy is a buffer wrapping its part of the
 * block, read-only, holding a reference to it. The block goes when the
 * last of those buffers goes. One allocation per input packet instead of
 * one per copy, and no map of each copy */
typedef struct
{
  guint8 *data;                 /* the rc_box, NULL until needed */
  gsize size;
  gsize used;
} Block;

#define BLOCK_ALIGN(n) (((n) + 7) & ~(gsize) 7)

/* Room in @block for @n copies of a @size-byte packet. Must be called with
 * FANOUT_LOCK */
static void
block_init_locked (GstAcsSrtpFanout * self, Block * block, gsize size, guint n)
{
  block->size = (gsize) n *BLOCK_ALIGN (size + self->max_trailer);
  block->used = 0;
  block->data = n > 0 ? g_atomic_rc_box_alloc (block->size) : NULL;
}

/* Drops the element's reference: the block stays while copies use it */
static void
block_release (Block * block)
{
  if (block->data)
    g_atomic_rc_box_release (block->data);
  block->data = NULL;
}

/* Appends to @out the copy of the RTP packet @data of @buf for @dest,
 * written into @block. Must be called with FANOUT_LOCK */
static void
gst_acs_srtp_fanout_protect_one_locked (GstAcsSrtpFanout * self,
    Destination * dest, gint source, guint clock_rate, GstBuffer * buf,
    const guint8 * data, gsize size, Block * block, GstBufferList * out)
{
  gboolean switched = !dest->started || dest->source != source;
  guint32 in_ts = GST_READ_UINT32_BE (data + 4);
  guint32 offset = dest->ts_offset, ts;
  srtp_err_status_t err;
  GstBuffer *copy;
  guint8 *p;
  gint len = (gint) size;

  if (switched) {
    guint32 next = dest->last_ts;

    if (dest->started)
      next += destination_step (dest, buf, clock_rate);
    offset = next - in_ts;
  }
  ts = in_ts + offset;

  if (block->data == NULL
      || block->used + BLOCK_ALIGN (size + dest->trailer) > block->size) {
    /* not reached: the block has room for every destination */
    self->stats.protect_failures++;
    return;
  }
  p = block->data + block->used;
  memcpy (p, data, size);
  if (switched)
    p[1] |= 0x80;
  GST_WRITE_UINT16_BE (p + 2, dest->seq);
  GST_WRITE_UINT32_BE (p + 4, ts);
  GST_WRITE_UINT32_BE (p + 8, dest->ssrc);
  err = srtp_protect (dest->session, p, &len);

  if (err != srtp_err_status_ok || len < 0
      || (gsize) len > size + dest->trailer) {
    self->stats.protect_failures++;
    if (gst_acs_srtp_rate_limit (&self->last_warning))
      GST_WARNING_OBJECT (self, "could not protect a packet for destination "
          "%u: %s (%" G_GUINT64_FORMAT " failures so far)", dest->id,
          gst_acs_srtp_err_to_string (err), self->stats.protect_failures);
    return;
  }

  block->used += BLOCK_ALIGN (size + dest->trailer);
  copy = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY, p, len, 0,
      len, g_atomic_rc_box_acquire (block->data),
      (GDestroyNotify) g_atomic_rc_box_release);
  GST_BUFFER_PTS (copy) = GST_BUFFER_PTS (buf);
  GST_BUFFER_DTS (copy) = GST_BUFFER_DTS (buf);
  GST_BUFFER_DURATION (copy) = GST_BUFFER_DURATION (buf);
  gst_buffer_list_add (out, copy);

  dest->seq++;
  dest->ts_offset = offset;
  dest->last_ts = ts;
  dest->last_pts = GST_BUFFER_PTS (buf);
  dest->source = source;
  dest->started = TRUE;
  dest->packets++;
  self->stats.packets_protected++;
  self->stats.bytes_protected += len;
}

/* Must be called with FANOUT_LOCK */
static void
gst_acs_srtp_fanout_count_drop_locked (GstAcsSrtpFanout * self,
    guint64 * counter, const gchar * what, gsize size)
{
  (*counter)++;
  GST_LOG_OBJECT (self, "dropped a %" G_GSIZE_FORMAT "-byte packet: %s",
      size, what);
}

/* Protects @buf for its destinations, appending the copies to @out. Does
 * not take @buf. Must be called with FANOUT_LOCK */
static void
gst_acs_srtp_fanout_process_locked (GstAcsSrtpFanout * self, gint source,
    GstBuffer * buf, GstBufferList * out)
{
  const Source *src;
  GstMapInfo map;
  AcsPacketKind kind;
  guint32 ssrc;

  self->stats.packets_in++;
  if (source == SOURCE_SHARED)
    src = &self->shared;
  else
    src = g_hash_table_lookup (self->sources, GINT_TO_POINTER (source));

  if (src && src->rtcp) {
    gst_acs_srtp_fanout_count_drop_locked (self, &self->stats.dropped_rtcp,
        "RTCP", gst_buffer_get_size (buf));
    return;
  }
  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    gst_acs_srtp_fanout_count_drop_locked (self,
        &self->stats.dropped_malformed, "unreadable", 0);
    return;
  }

  kind = acs_rtp_classify (map.data, map.size, &ssrc);
  if (kind == ACS_PACKET_RTCP) {
    gst_acs_srtp_fanout_count_drop_locked (self, &self->stats.dropped_rtcp,
        "RTCP", map.size);
  } else if (kind != ACS_PACKET_RTP) {
    gst_acs_srtp_fanout_count_drop_locked (self,
        &self->stats.dropped_malformed, "not RTP", map.size);
  } else if (source == SOURCE_SHARED) {
    guint clock_rate = self->shared.clock_rate;
    gboolean sent = FALSE;
    Block block;
    guint i;

    block_init_locked (self, &block, map.size, self->dests->len);
    for (i = 0; i < self->dests->len; i++) {
      Destination *dest = g_ptr_array_index (self->dests, i);

      if (dest->n_routes > 0)
        continue;
      gst_acs_srtp_fanout_protect_one_locked (self, dest, source, clock_rate,
          buf, map.data, map.size, &block, out);
      sent = TRUE;
    }
    block_release (&block);
    if (!sent)
      gst_acs_srtp_fanout_count_drop_locked (self,
          &self->stats.dropped_no_destination, "no destination", map.size);
  } else {
    Destination *dest = g_hash_table_lookup (self->routes,
        GINT_TO_POINTER (source));

    if (dest) {
      Block block;

      block_init_locked (self, &block, map.size, 1);
      gst_acs_srtp_fanout_protect_one_locked (self, dest, source,
          src ? src->clock_rate : DEFAULT_CLOCK_RATE, buf, map.data,
          map.size, &block, out);
      block_release (&block);
    } else
      gst_acs_srtp_fanout_count_drop_locked (self,
          &self->stats.dropped_no_destination, "no route", map.size);
  }
  gst_buffer_unmap (buf, &map);
}

static gint
pad_source (GstPad * pad)
{
  gpointer priv = gst_pad_get_element_private (pad);

  return priv ? (gint) (GPOINTER_TO_UINT (priv) - 1) : SOURCE_SHARED;
}

static GstFlowReturn
gst_acs_srtp_fanout_push (GstAcsSrtpFanout * self, GstBufferList * out)
{
  if (gst_buffer_list_length (out) == 0) {
    gst_buffer_list_unref (out);
    return GST_FLOW_OK;
  }
  return gst_pad_push_list (self->srcpad, out);
}

static GstFlowReturn
gst_acs_srtp_fanout_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstAcsSrtpFanout *self = GST_ACS_SRTP_FANOUT (parent);
  gint source = pad_source (pad);
  GstBufferList *out;

  FANOUT_LOCK (self);
  out = gst_buffer_list_new_sized (source == SOURCE_SHARED ?
      MAX (self->dests->len, 1) : 1);
  gst_acs_srtp_fanout_process_locked (self, source, buf, out);
  FANOUT_UNLOCK (self);

  gst_buffer_unref (buf);
  return gst_acs_srtp_fanout_push (self, out);
}

static GstFlowReturn
gst_acs_srtp_fanout_chain_list (GstPad * pad, GstObject * parent,
    GstBufferList * list)
{
  GstAcsSrtpFanout *self = GST_ACS_SRTP_FANOUT (parent);
  gint source = pad_source (pad);
  guint i, n = gst_buffer_list_length (list);
  GstBufferList *out;

  FANOUT_LOCK (self);
  out = gst_buffer_list_new_sized (MAX (n, 1) * (source == SOURCE_SHARED ?
          MAX (self->dests->len, 1) : 1));
  for (i = 0; i < n; i++)
    gst_acs_srtp_fanout_process_locked (self, source,
        gst_buffer_list_get (list, i), out);
  FANOUT_UNLOCK (self);

  gst_buffer_list_unref (list);
  return gst_acs_srtp_fanout_push (self, out);
}

/* Builds the src caps from the sink caps and the current suite; never
 * with a key. Must be called with GST_OBJECT_LOCK. */
static GstCaps *
gst_acs_srtp_fanout_make_src_caps_locked (GstAcsSrtpFanout * self)
{
  GstCaps *caps;
  GstStructure *s;

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
  return caps;
}

static gboolean
gst_acs_srtp_fanout_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstAcsSrtpFanout *self = GST_ACS_SRTP_FANOUT (parent);
  gint source = pad_source (pad);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps, *src_caps = NULL;
    GstStructure *s;
    gboolean rtcp;
    gint rate = 0;
    Source *src;

    gst_event_parse_caps (event, &caps);
    s = gst_caps_get_structure (caps, 0);
    rtcp = gst_structure_has_name (s, "application/x-rtcp");
    if (!gst_structure_get_int (s, "clock-rate", &rate) || rate <= 0)
      rate = DEFAULT_CLOCK_RATE;

    FANOUT_LOCK (self);
    if (source == SOURCE_SHARED)
      src = &self->shared;
    else
      src = g_hash_table_lookup (self->sources, GINT_TO_POINTER (source));
    if (src) {
      src->clock_rate = rate;
      src->rtcp = rtcp;
    }
    FANOUT_UNLOCK (self);

    if (source != SOURCE_SHARED || rtcp) {
      gst_event_unref (event);
      return TRUE;
    }

    GST_OBJECT_LOCK (self);
    gst_caps_replace (&self->sink_caps, caps);
    src_caps = gst_acs_srtp_fanout_make_src_caps_locked (self);
    GST_OBJECT_UNLOCK (self);
    gst_event_unref (event);

    {
      gboolean ret = gst_pad_set_caps (self->srcpad, src_caps);

      gst_caps_unref (src_caps);
      return ret;
    }
  }

  /* The src pad's stream is the shared one: events of routed streams
   * would end or restart it */
  if (source != SOURCE_SHARED) {
    gst_event_unref (event);
    return TRUE;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_acs_srtp_fanout_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstAcsSrtpFanout *self = GST_ACS_SRTP_FANOUT (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:
      return gst_acs_srtp_query_caps (pad, self->srcpad, query,
          "application/x-srtp", "application/x-rtp");
    case GST_QUERY_ACCEPT_CAPS:{
      GstCaps *caps, *templ;

      /* RTCP caps too, whatever downstream takes: RTCP is dropped and
       * counted, not refused */
      gst_query_parse_accept_caps (query, &caps);
      templ = gst_pad_get_pad_template_caps (pad);
      gst_query_set_accept_caps_result (query,
          gst_caps_is_subset (caps, templ));
      gst_caps_unref (templ);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: ICE transport of an rtcp-mux RTP stream on libnice
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-acsicebin
 * @title: acsicebin
 * @see_also: acssrtpenc, acssrtpdec, webrtcbin, nicesrc, nicesink
 *
 * acsicebin carries the packets of one ICE component (RTP and RTCP
 * multiplexed, RFC 5761) between its `sink` and `src` pads over the best
 * path ICE finds (RFC 8445, trickle ICE RFC 8838), using libnice's
 * #NiceAgent with its own main-context thread.
 *
 * The application exchanges, by whatever signaling it has, the local
 * credentials (`local-ufrag`, `local-pwd`) and the candidates of
 * #GstAcsIceBin::on-ice-candidate with the peer, and hands the peer's to
 * #GstAcsIceBin::set-remote-credentials and
 * #GstAcsIceBin::add-remote-candidate. An empty candidate string tells that
 * the peer has gathered all its candidates.
 *
 * STUN (`stun-server`) gives server-reflexive candidates behind NATs; TURN
 * servers (`turn-server`, #GstAcsIceBin::add-turn-server) give relay
 * candidates over UDP, TCP or TLS. TCP candidates (ICE-TCP, TURN over TCP)
 * have lower priority than UDP ones, so they win only when no UDP pair
 * works.
 *
 * The connection state and the selected pair are posted on the bus as
 * element messages named `acs-ice-state` (field `state`) and
 * `acs-ice-selected-pair` (fields `local-type`, `remote-type`, `transport`,
 * `relay-transport`, `local-address`, `remote-address`). When no packet has
 * arrived for `liveness-timeout` milliseconds on a connected path, or libnice
 * reports consent lost (RFC 7675), the state goes to `disconnected`; if the
 * path does not recover (or an ICE restart does not succeed) within
 * `disconnected-timeout` milliseconds, the state goes to `failed` and an
 * error is posted.
 *
 * Threading: the #NiceAgent runs in a thread of the element's own; signals
 * `on-ice-candidate` and `on-gathering-done` are emitted from it, and the
 * received packets are pushed on `src` from it (one buffer, or a buffer
 * list for the packets one wake-up read), timestamped on arrival. Before
 * PLAYING they are held (the newest 1 MiB) and pushed on PLAYING, so ICE
 * connects in READY and PAUSED. Packets to send are handed to the agent in
 * the upstream streaming thread, a buffer list in one call. Neither side
 * has a queue or thread of its own: a downstream element that blocks (a
 * sink prerolling after PLAYING went back to PAUSED) holds the agent
 * thread, and its ICE timers, until it returns. Action signals may be
 * called from any thread.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 audiotestsrc is-live=true ! opusenc ! rtpopuspay ! \
 *     acssrtpenc inline-key=... ! acsicebin name=ice \
 *       stun-server=stun://203.0.113.3:3478 ! fakesink
 * ]| An application connects to `on-ice-candidate` and calls
 * `set-remote-credentials` and `add-remote-candidate`; gst-launch-1.0 alone
 * cannot do the exchange.
 *
 * Since: 0.1
 */

/* Lock order: GST_OBJECT_LOCK only; it is never held while posting,
 * emitting, pushing or calling into the NiceAgent (which takes its own lock
 * and may emit signals synchronously). The receive path (rx_*) belongs to
 * the agent thread; the send path reads stream_id atomically and takes no
 * lock of ours. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacsniceelements.h"
#include "gstacsicebin.h"

#include <string.h>
#include <gio/gio.h>
#include <nice/nice.h>

#include <acs/acsiceuri.h>

GST_DEBUG_CATEGORY_STATIC (gst_acs_ice_bin_debug);
#define GST_CAT_DEFAULT gst_acs_ice_bin_debug

/* How long finalize waits for libnice to release its TURN allocations */
#define CLOSE_TIMEOUT_MS 1000
/* libnice agent timers (see gst_acs_ice_bin_init) */
#define STUN_INITIAL_TIMEOUT_MS 200u
#define STUN_MAX_RETRANSMISSIONS 4u

#define DEFAULT_STUN_SERVER NULL
#define DEFAULT_CONTROLLING FALSE
#define DEFAULT_ICE_TCP FALSE
#define DEFAULT_ICE_UDP TRUE
#define DEFAULT_TRANSPORT_POLICY GST_ACS_ICE_TRANSPORT_POLICY_ALL
#define DEFAULT_MIN_PORT 0
#define DEFAULT_MAX_PORT 0
#define DEFAULT_INTERFACES NULL
#define DEFAULT_LIVENESS_TIMEOUT 3000
#define DEFAULT_DISCONNECTED_TIMEOUT 5000

#define COMPONENT_ID 1
#define WATCHDOG_INTERVAL_MS 250
/* Received packets held before PLAYING, oldest dropped beyond this */
#define RX_HOLD_BYTES (1024 * 1024)
/* Received packets pushed downstream as one buffer list at most */
#define RX_BATCH 32
/* Buffers sent to the agent in one call at most */
#define TX_BATCH 32

enum
{
  PROP_0,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_CONTROLLING,
  PROP_ICE_TCP,
  PROP_ICE_UDP,
  PROP_TRANSPORT_POLICY,
  PROP_MIN_PORT,
  PROP_MAX_PORT,
  PROP_INTERFACES,
  PROP_LIVENESS_TIMEOUT,
  PROP_DISCONNECTED_TIMEOUT,
  PROP_LOCAL_UFRAG,
  PROP_LOCAL_PWD,
  PROP_STATE,
  PROP_SELECTED_PAIR,
  PROP_STATS,
};

enum
{
  SIGNAL_ON_ICE_CANDIDATE,
  SIGNAL_ON_GATHERING_DONE,
  SIGNAL_ADD_REMOTE_CANDIDATE,
  SIGNAL_SET_REMOTE_CREDENTIALS,
  SIGNAL_RESTART_ICE,
  SIGNAL_ADD_TURN_SERVER,
  LAST_SIGNAL
};

static guint gst_acs_ice_bin_signals[LAST_SIGNAL] = { 0 };

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

GType
gst_acs_ice_state_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ACS_ICE_STATE_NEW, "New: not started", "new"},
    {GST_ACS_ICE_STATE_CHECKING, "Gathering and checking pairs", "checking"},
    {GST_ACS_ICE_STATE_CONNECTED, "Connected", "connected"},
    {GST_ACS_ICE_STATE_DISCONNECTED, "Connection lost, may recover",
        "disconnected"},
    {GST_ACS_ICE_STATE_FAILED, "Failed", "failed"},
    {GST_ACS_ICE_STATE_CLOSED, "Closed", "closed"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstAcsIceState", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_acs_ice_transport_policy_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ACS_ICE_TRANSPORT_POLICY_ALL, "Use every candidate type", "all"},
    {GST_ACS_ICE_TRANSPORT_POLICY_RELAY, "Use relay candidates only",
        "relay"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstAcsIceTransportPolicy", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

struct _GstAcsIceBin
{
  GstBin bin;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* Set in init, destroyed in finalize; the thread runs the context */
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  NiceAgent *agent;

  /* Protected by GST_OBJECT_LOCK */
  AcsIceServer *stun_server;
  GPtrArray *turn_servers;      /* AcsIceServer */
  gboolean controlling;
  gboolean ice_tcp;
  gboolean ice_udp;
  GstAcsIceTransportPolicy transport_policy;
  guint min_port;
  guint max_port;
  gchar *interfaces;
  guint liveness_timeout;
  guint disconnected_timeout;
  guint stream_id;              /* also read atomically by the sink pad */
  GstAcsIceState state;
  gchar *selected_pair;
  gboolean ever_connected;
  gchar *remote_ufrag;
  gint64 disconnected_since;    /* monotonic us, 0 when not disconnected */
  guint n_relay_candidates;
  guint n_srflx_candidates;
  gboolean gathering;

  /* Atomic: monotonic time of the last received packet, in us */
  gsize last_rx;
  /* Atomic: received packets go downstream (PLAYING) or are held */
  gint rx_playing;
  /* Atomic counters of the stats property */
  gsize n_sent;
  gsize n_not_sent;
  gsize n_received;
  gsize n_dropped;

  /* Only touched from the agent thread */
  GSource *watchdog;
  GSource *rx_flush;            /* RxFlushSource: pushes rx_pending */
  GstBuffer *rx_pending[RX_BATCH];      /* timestamped, not yet pushed */
  guint rx_n_pending;
  GstClock *rx_clock;           /* the element's clock at the last burst */
  GstClockTime rx_base_time;
  GQueue rx_held;               /* GstBuffer, received before PLAYING */
  gsize rx_held_bytes;
  gboolean rx_discont;
};

/* Pushes rx_pending in the agent thread once libnice has read what the
 * sockets held, so a burst of packets leaves as one buffer list */
typedef struct
{
  GSource source;
  GstAcsIceBin *self;
} RxFlushSource;

G_DEFINE_TYPE_WITH_CODE (GstAcsIceBin, gst_acs_ice_bin, GST_TYPE_BIN,
    GST_DEBUG_CATEGORY_INIT (gst_acs_ice_bin_debug, "acsicebin", 0,
        "gst-acs ICE transport"));
GST_ELEMENT_REGISTER_DEFINE (acsicebin, "acsicebin", GST_RANK_NONE,
    GST_TYPE_ACS_ICE_BIN);

static void gst_acs_ice_bin_finalize (GObject * object);
static void gst_acs_ice_bin_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_acs_ice_bin_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_acs_ice_bin_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_acs_ice_bin_add_remote_candidate (GstAcsIceBin * self,
    const gchar * candidate);
static gboolean gst_acs_ice_bin_set_remote_credentials (GstAcsIceBin * self,
    const gchar * ufrag, const gchar * pwd);
static gboolean gst_acs_ice_bin_restart_ice (GstAcsIceBin * self);
static gboolean gst_acs_ice_bin_add_turn_server (GstAcsIceBin * self,
    const gchar * uri);
static void on_new_candidate (NiceAgent * agent, NiceCandidate * cand,
    GstAcsIceBin * self);
static void on_gathering_done (NiceAgent * agent, guint stream_id,
    GstAcsIceBin * self);
static void on_component_state_changed (NiceAgent * agent, guint stream_id,
    guint component_id, guint state, GstAcsIceBin * self);
static void on_new_selected_pair (NiceAgent * agent, guint stream_id,
    guint component_id, NiceCandidate * lcand, NiceCandidate * rcand,
    GstAcsIceBin * self);
static GstFlowReturn gst_acs_ice_bin_sink_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buffer);
static GstFlowReturn gst_acs_ice_bin_sink_chain_list (GstPad * pad,
    GstObject * parent, GstBufferList * list);
static gboolean gst_acs_ice_bin_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_acs_ice_bin_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean gst_acs_ice_bin_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_acs_ice_bin_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

static gpointer
agent_thread (gpointer data)
{
  GstAcsIceBin *self = data;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static void
gst_acs_ice_bin_class_init (GstAcsIceBinClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  gobject_class->finalize = gst_acs_ice_bin_finalize;
  gobject_class->set_property = gst_acs_ice_bin_set_property;
  gobject_class->get_property = gst_acs_ice_bin_get_property;
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_acs_ice_bin_change_state);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "ICE transport",
      "Filter/Network/ICE",
      "Carries one rtcp-mux RTP stream over the path ICE finds (libnice)",
      "gst-acs developers");

  g_object_class_install_property (gobject_class, PROP_STUN_SERVER,
      g_param_spec_string ("stun-server", "STUN Server",
          "STUN server as stun://host:port (RFC 7064; port 3478 when left "
          "out), for server-reflexive candidates. Applies to the next "
          "gathering (going to PAUSED, or restart-ice)", DEFAULT_STUN_SERVER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_TURN_SERVER,
      g_param_spec_string ("turn-server", "TURN Server",
          "TURN server as turn://user:pass@host:port?transport=udp|tcp or "
          "turns://user:pass@host:port (TLS), user and password "
          "percent-encoded. Replaces the servers set so far; use "
          "add-turn-server for more. Write-only: it holds credentials",
          NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CONTROLLING,
      g_param_spec_boolean ("controlling", "Controlling",
          "Whether this agent is the controlling one, which nominates the "
          "pair (the offerer, by convention). Exactly one of the two peers "
          "must be controlling", DEFAULT_CONTROLLING,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ICE_TCP,
      g_param_spec_boolean ("ice-tcp", "ICE TCP",
          "Gather ICE-TCP candidates (RFC 6544), used only when no UDP pair "
          "works. Off by default: with TCP candidates libnice nominates only "
          "after every better pair timed out (2 s behind NATs); TURN over "
          "TCP covers UDP-blocked networks without it", DEFAULT_ICE_TCP,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ICE_UDP,
      g_param_spec_boolean ("ice-udp", "ICE UDP",
          "Gather UDP candidates (host and server-reflexive); relay "
          "candidates come from the TURN servers' own transports",
          DEFAULT_ICE_UDP,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TRANSPORT_POLICY,
      g_param_spec_enum ("transport-policy", "Transport Policy",
          "Which local candidates to use: all, or relay only (hides the "
          "local addresses from the peer)", GST_TYPE_ACS_ICE_TRANSPORT_POLICY,
          DEFAULT_TRANSPORT_POLICY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MIN_PORT,
      g_param_spec_uint ("min-port", "Minimum Port",
          "Lowest local UDP/TCP port for host candidates (0: any)", 0, 65535,
          DEFAULT_MIN_PORT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_PORT,
      g_param_spec_uint ("max-port", "Maximum Port",
          "Highest local UDP/TCP port for host candidates (0: any)", 0, 65535,
          DEFAULT_MAX_PORT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_INTERFACES,
      g_param_spec_string ("interfaces", "Interfaces",
          "Comma-separated allow-list of interface names or local IP "
          "addresses to gather host candidates on (NULL: every address "
          "libnice finds, loopback and IPv6 link-local excluded)",
          DEFAULT_INTERFACES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LIVENESS_TIMEOUT,
      g_param_spec_uint ("liveness-timeout", "Liveness Timeout",
          "Milliseconds without any received packet after which a connected "
          "path on which packets have arrived is reported disconnected (0: "
          "rely on RFC 7675 consent freshness alone, which takes 30 s)", 0,
          G_MAXUINT, DEFAULT_LIVENESS_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_DISCONNECTED_TIMEOUT,
      g_param_spec_uint ("disconnected-timeout", "Disconnected Timeout",
          "Milliseconds a disconnected path has to recover, or an ICE "
          "restart to succeed, before the state becomes failed and an error "
          "is posted", 0, G_MAXUINT, DEFAULT_DISCONNECTED_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LOCAL_UFRAG,
      g_param_spec_string ("local-ufrag", "Local Username Fragment",
          "ICE username fragment to send to the peer; set from READY on, "
          "new after each restart-ice", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_LOCAL_PWD,
      g_param_spec_string ("local-pwd", "Local Password",
          "ICE password to send to the peer over the (encrypted) signaling; "
          "set from READY on, new after each restart-ice; never logged", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_STATE,
      g_param_spec_enum ("state", "State",
          "ICE connection state, also posted as acs-ice-state messages",
          GST_TYPE_ACS_ICE_STATE, GST_ACS_ICE_STATE_NEW,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_SELECTED_PAIR,
      g_param_spec_string ("selected-pair", "Selected Pair",
          "The selected candidate pair as `local-type/transport address -> "
          "remote-type/transport address`, NULL before one is selected", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstAcsIceBin:stats:
   *
   * Packet counters since the element was created, as a `application/x-acs-ice-stats`
   * structure of #guint64 fields: `packets-sent` (handed to the selected
   * pair), `packets-not-sent` (dropped: no pair selected yet, or the socket
   * refused them), `packets-received` (media, not STUN), `packets-dropped`
   * (received, but beyond the 1 MiB held before PLAYING, or refused
   * downstream).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Packet counters since the element was created: packets-sent, "
          "packets-not-sent, packets-received, packets-dropped",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstAcsIceBin::on-ice-candidate:
   * @bin: the element
   * @candidate: a local candidate as an SDP `candidate:` attribute value
   *
   * Emitted for every local candidate as it is gathered, and again for all
   * of them after a restart, from the agent thread.
   *
   * Since: 0.1
   */
  gst_acs_ice_bin_signals[SIGNAL_ON_ICE_CANDIDATE] =
      g_signal_new ("on-ice-candidate", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * GstAcsIceBin::on-gathering-done:
   * @bin: the element
   *
   * Emitted when every local candidate has been gathered, from the agent
   * thread: tell the peer there are no more candidates.
   *
   * Since: 0.1
   */
  gst_acs_ice_bin_signals[SIGNAL_ON_GATHERING_DONE] =
      g_signal_new ("on-gathering-done", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * GstAcsIceBin::add-remote-candidate:
   * @bin: the element
   * @candidate: (nullable): a peer candidate as an SDP `candidate:` value
   *   (an `a=` prefix is accepted); %NULL or "" when the peer has gathered
   *   all its candidates
   *
   * Action signal. A malformed candidate posts a warning on the bus.
   *
   * Returns: %TRUE if the candidate was added.
   *
   * Since: 0.1
   */
  gst_acs_ice_bin_signals[SIGNAL_ADD_REMOTE_CANDIDATE] =
      g_signal_new_class_handler ("add-remote-candidate",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_ice_bin_add_remote_candidate), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  /**
   * GstAcsIceBin::set-remote-credentials:
   * @bin: the element
   * @ufrag: the peer's ICE username fragment
   * @pwd: the peer's ICE password
   *
   * Action signal. When the peer's credentials change after they were
   * first set, the peer restarted ICE: the local side restarts too and
   * emits its candidates again.
   *
   * Returns: %TRUE on success.
   *
   * Since: 0.1
   */
  gst_acs_ice_bin_signals[SIGNAL_SET_REMOTE_CREDENTIALS] =
      g_signal_new_class_handler ("set-remote-credentials",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_ice_bin_set_remote_credentials), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstAcsIceBin::restart-ice:
   * @bin: the element
   *
   * Action signal: ICE restart (RFC 8445 section 9). New local credentials
   * are made (read `local-ufrag` and `local-pwd`), the local candidates are
   * emitted again, and media keeps flowing on the old pair until a new one
   * is selected. Send the new credentials and candidates to the peer.
   *
   * Returns: %TRUE on success.
   *
   * Since: 0.1
   */
  gst_acs_ice_bin_signals[SIGNAL_RESTART_ICE] =
      g_signal_new_class_handler ("restart-ice", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_ice_bin_restart_ice), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 0);

  /**
   * GstAcsIceBin::add-turn-server:
   * @bin: the element
   * @uri: a TURN URI as for #GstAcsIceBin:turn-server
   *
   * Action signal: adds one more TURN server; used from the next gathering.
   *
   * Returns: %TRUE if @uri is valid.
   *
   * Since: 0.1
   */
  gst_acs_ice_bin_signals[SIGNAL_ADD_TURN_SERVER] =
      g_signal_new_class_handler ("add-turn-server",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_ice_bin_add_turn_server), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  gst_type_mark_as_plugin_api (GST_TYPE_ACS_ICE_STATE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ACS_ICE_TRANSPORT_POLICY, 0);
}

/* Agent thread: keeps @buf until PLAYING, at most RX_HOLD_BYTES of the
 * newest packets */
static void
rx_hold (GstAcsIceBin * self, GstBuffer * buf)
{
  g_atomic_pointer_set (&self->last_rx, (gsize) g_get_monotonic_time ());
  g_queue_push_tail (&self->rx_held, buf);
  self->rx_held_bytes += gst_buffer_get_size (buf);
  while (self->rx_held_bytes > RX_HOLD_BYTES) {
    GstBuffer *old = g_queue_pop_head (&self->rx_held);

    self->rx_held_bytes -= gst_buffer_get_size (old);
    gst_buffer_unref (old);
    g_atomic_pointer_add (&self->n_dropped, 1);
  }
}

/* Agent thread: pushes the packets received since the last flush as one
 * buffer list. Only a downstream element that blocks (a sink prerolling
 * after PLAYING went back to PAUSED) can hold the agent thread here. */
static void
rx_flush (GstAcsIceBin * self)
{
  GstFlowReturn flow;
  guint i, n = self->rx_n_pending;

  if (n == 0)
    return;
  self->rx_n_pending = 0;
  if (!g_atomic_int_get (&self->rx_playing)) {
    /* Back to PAUSED since they were queued: hold them, a prerolling sink
     * would block this thread */
    for (i = 0; i < n; i++)
      rx_hold (self, self->rx_pending[i]);
    return;
  }
  g_atomic_pointer_set (&self->last_rx, (gsize) g_get_monotonic_time ());

  if (n == 1) {
    /* The usual case at call rates: one packet per wakeup */
    flow = gst_pad_push (self->srcpad, self->rx_pending[0]);
  } else {
    GstBufferList *list = gst_buffer_list_new_sized (n);

    for (i = 0; i < n; i++)
      gst_buffer_list_add (list, self->rx_pending[i]);
    flow = gst_pad_push_list (self->srcpad, list);
  }
  if (flow != GST_FLOW_OK) {
    /* Not linked, flushing, or an error downstream reports itself */
    g_atomic_pointer_add (&self->n_dropped, n);
    GST_LOG_OBJECT (self, "%u received packets dropped: %s", n,
        gst_flow_get_name (flow));
  }
}

/* Called by the agent's main loop before it polls again, that is once
 * libnice has read everything the sockets held: the burst leaves then, and
 * no main loop iteration of its own is spent on it */
static gboolean
rx_flush_prepare (GSource * source, gint * timeout)
{
  *timeout = -1;
  rx_flush (((RxFlushSource *) source)->self);
  return FALSE;
}

static gboolean
rx_flush_dispatch (GSource * source, GSourceFunc callback, gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs rx_flush_funcs = {
  rx_flush_prepare, NULL, rx_flush_dispatch, NULL,
};

/* Agent thread: stamps @buf with the running time of its arrival, as
 * udpsrc's do-timestamp does, and queues it for the next push */
static void
rx_queue (GstAcsIceBin * self, GstBuffer * buf)
{
  if (self->rx_n_pending == 0) {
    /* One look at the clock and base time per burst of packets */
    GST_OBJECT_LOCK (self);
    if (GST_ELEMENT_CLOCK (self) != self->rx_clock)
      gst_object_replace ((GstObject **) & self->rx_clock,
          (GstObject *) GST_ELEMENT_CLOCK (self));
    self->rx_base_time = GST_ELEMENT_CAST (self)->base_time;
    GST_OBJECT_UNLOCK (self);
  }

  if (self->rx_clock) {
    GstClockTime now = gst_clock_get_time (self->rx_clock);

    GST_BUFFER_DTS (buf) = GST_BUFFER_PTS (buf) = now > self->rx_base_time ?
        now - self->rx_base_time : 0;
  }
  if (self->rx_discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->rx_discont = FALSE;
  }
  self->rx_pending[self->rx_n_pending++] = buf;
  if (self->rx_n_pending == RX_BATCH)
    rx_flush (self);
}

/* Agent thread: one received datagram. ICE checks are handled by libnice in
 * the same thread whatever the pipeline's state, so a pipeline can connect
 * in PAUSED; media waits for PLAYING */
static void
on_recv (NiceAgent * agent, guint stream_id, guint component_id, guint len,
    gchar * data, gpointer user_data)
{
  GstAcsIceBin *self = user_data;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, len, NULL);

  gst_buffer_fill (buf, 0, data, len);
  g_atomic_pointer_add (&self->n_received, 1);
  if (g_atomic_int_get (&self->rx_playing))
    rx_queue (self, buf);
  else
    rx_hold (self, buf);
}

/* Agent thread, going to PLAYING: what arrived before goes first */
static gboolean
rx_start (gpointer data)
{
  GstAcsIceBin *self = data;
  gboolean playing;
  guint i, n;

  /* Back to PAUSED before this ran: keep holding */
  GST_OBJECT_LOCK (self);
  playing = GST_STATE_TARGET (self) == GST_STATE_PLAYING;
  GST_OBJECT_UNLOCK (self);
  if (!playing)
    return G_SOURCE_REMOVE;

  /* Before the held packets go: rx_flush holds them again otherwise (and
   * does if PAUSED comes back meanwhile, hence the count taken first) */
  g_atomic_int_set (&self->rx_playing, 1);
  n = g_queue_get_length (&self->rx_held);
  for (i = 0; i < n; i++) {
    GstBuffer *buf = g_queue_pop_head (&self->rx_held);

    if (buf == NULL)
      break;
    self->rx_held_bytes -= gst_buffer_get_size (buf);
    rx_queue (self, buf);
  }
  return G_SOURCE_REMOVE;
}

/* Agent thread, back to READY: nothing received is kept */
static gboolean
rx_stop (gpointer data)
{
  GstAcsIceBin *self = data;

  g_atomic_int_set (&self->rx_playing, 0);
  g_atomic_pointer_add (&self->n_dropped,
      self->rx_n_pending + g_queue_get_length (&self->rx_held));
  while (self->rx_n_pending > 0)
    gst_buffer_unref (self->rx_pending[--self->rx_n_pending]);
  gst_clear_object (&self->rx_clock);
  g_queue_clear_full (&self->rx_held, (GDestroyNotify) gst_buffer_unref);
  self->rx_held_bytes = 0;
  return G_SOURCE_REMOVE;
}

/* Sends @n (at most TX_BATCH) buffers in one call to the agent; what cannot
 * be sent (no selected pair yet, socket full) is dropped, as nicesink
 * does */
static void
tx_send (GstAcsIceBin * self, GstBuffer ** bufs, guint n)
{
  NiceOutputMessage msgs[TX_BATCH];
  GOutputVector vecs[TX_BATCH];
  GstMapInfo maps[TX_BATCH];
  GstBuffer *mapped[TX_BATCH];
  guint stream_id = g_atomic_int_get (&self->stream_id);
  guint i, m = 0;
  gint sent;

  for (i = 0; i < n; i++) {
    if (!gst_buffer_map (bufs[i], &maps[m], GST_MAP_READ))
      continue;
    mapped[m] = bufs[i];
    vecs[m].buffer = maps[m].data;
    vecs[m].size = maps[m].size;
    msgs[m].buffers = &vecs[m];
    msgs[m].n_buffers = 1;
    m++;
  }

  sent = 0;
  if (stream_id != 0 && m > 0)
    sent = nice_agent_send_messages_nonblocking (self->agent, stream_id,
        COMPONENT_ID, msgs, m, NULL, NULL);
  sent = MAX (sent, 0);
  g_atomic_pointer_add (&self->n_sent, sent);
  if (sent < (gint) n) {
    g_atomic_pointer_add (&self->n_not_sent, n - sent);
    GST_LOG_OBJECT (self, "%d of %u packets not sent", (gint) n - sent, n);
  }

  for (i = 0; i < m; i++)
    gst_buffer_unmap (mapped[i], &maps[i]);
}

static void
gst_acs_ice_bin_init (GstAcsIceBin * self)
{
  self->controlling = DEFAULT_CONTROLLING;
  self->ice_tcp = DEFAULT_ICE_TCP;
  self->ice_udp = DEFAULT_ICE_UDP;
  self->transport_policy = DEFAULT_TRANSPORT_POLICY;
  self->min_port = DEFAULT_MIN_PORT;
  self->max_port = DEFAULT_MAX_PORT;
  self->liveness_timeout = DEFAULT_LIVENESS_TIMEOUT;
  self->disconnected_timeout = DEFAULT_DISCONNECTED_TIMEOUT;
  self->turn_servers =
      g_ptr_array_new_with_free_func ((GDestroyNotify) acs_ice_server_free);
  self->state = GST_ACS_ICE_STATE_NEW;

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  /* Aggressive nomination: the first pair that works carries media at once,
   * and a higher-priority one (UDP before TCP) replaces it when it works
   * too; regular nomination waits for the unreachable host pairs to time
   * out, seconds behind a NAT */
  self->agent = nice_agent_new_full (self->context, NICE_COMPATIBILITY_RFC5245,
      NICE_AGENT_OPTION_ICE_TRICKLE | NICE_AGENT_OPTION_CONSENT_FRESHNESS);
  /* A lost check or binding request is re-sent after 200 ms, not libnice's
   * 500 ms (RFC 8445's floor, meant for many pairs on unknown paths): a
   * call has a handful of pairs, and at 10 % loss the wait for a lost
   * check was most of the time from answer to audio. Four sends (libnice
   * counts the first) at 0, 200, 600 and 1,400 ms, given up at 1.8 s;
   * libnice's three went at 0, 500 and 1,500 ms, given up at 2 s.
   * Measured in docs/decisions.md */
  g_object_set (self->agent, "upnp", FALSE, "stun-initial-timeout",
      STUN_INITIAL_TIMEOUT_MS, "stun-max-retransmissions",
      STUN_MAX_RETRANSMISSIONS, NULL);
  g_signal_connect (self->agent, "new-candidate-full",
      G_CALLBACK (on_new_candidate), self);
  g_signal_connect (self->agent, "candidate-gathering-done",
      G_CALLBACK (on_gathering_done), self);
  g_signal_connect (self->agent, "component-state-changed",
      G_CALLBACK (on_component_state_changed), self);
  g_signal_connect (self->agent, "new-selected-pair-full",
      G_CALLBACK (on_new_selected_pair), self);
  self->rx_flush = g_source_new (&rx_flush_funcs, sizeof (RxFlushSource));
  ((RxFlushSource *) self->rx_flush)->self = self;
  g_source_attach (self->rx_flush, self->context);
  g_queue_init (&self->rx_held);
  self->thread = g_thread_new ("acsicebin", agent_thread, self);

  /* Packets go straight to and from the agent: the sink pad sends in the
   * upstream thread, and received packets leave from the agent thread, so
   * no queue or thread sits between libnice and the pipeline */
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_ice_bin_sink_chain));
  gst_pad_set_chain_list_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_ice_bin_sink_chain_list));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_ice_bin_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_acs_ice_bin_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_event_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_acs_ice_bin_src_event));
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_acs_ice_bin_src_query));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  /* A live source and a sink without child elements: say so, for the
   * pipeline's EOS and latency handling */
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE | GST_ELEMENT_FLAG_SINK);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
agent_closed (GObject * source, GAsyncResult * res, gpointer data)
{
  g_main_loop_quit (data);
}

/* In the agent's thread: lets libnice prune its TURN allocations and
 * refreshes (nice_agent_close_async) before the agent goes, as libnice
 * asks; a dead TURN server cannot hold the teardown longer than
 * CLOSE_TIMEOUT_MS */
static gboolean
close_agent (gpointer data)
{
  GstAcsIceBin *self = data;
  GSource *timeout = g_timeout_source_new (CLOSE_TIMEOUT_MS);

  g_source_set_callback (timeout, quit_loop, self->loop, NULL);
  g_source_attach (timeout, self->context);
  g_source_unref (timeout);
  nice_agent_close_async (self->agent, agent_closed, self->loop);
  return G_SOURCE_REMOVE;
}

static void
gst_acs_ice_bin_finalize (GObject * object)
{
  GstAcsIceBin *self = GST_ACS_ICE_BIN (object);
  GSource *source;

  /* A quit before the thread entered g_main_loop_run() would be lost: ask
   * the loop itself to close the agent and quit */
  source = g_idle_source_new ();
  g_source_set_callback (source, close_agent, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
  g_thread_join (self->thread);
  g_source_destroy (self->rx_flush);
  g_source_unref (self->rx_flush);
  while (self->rx_n_pending > 0)
    gst_buffer_unref (self->rx_pending[--self->rx_n_pending]);
  gst_clear_object (&self->rx_clock);
  g_queue_clear_full (&self->rx_held, (GDestroyNotify) gst_buffer_unref);
  g_signal_handlers_disconnect_by_data (self->agent, self);
  g_object_unref (self->agent);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);

  acs_ice_server_free (self->stun_server);
  g_ptr_array_unref (self->turn_servers);
  g_free (self->interfaces);
  g_free (self->selected_pair);
  g_free (self->remote_ufrag);

  G_OBJECT_CLASS (gst_acs_ice_bin_parent_class)->finalize (object);
}

/* Parses @uri; on error posts a warning naming the property and returns
 * NULL. The URI itself is not quoted: it may hold credentials. */
static AcsIceServer *
parse_server (GstAcsIceBin * self, const gchar * what, const gchar * uri,
    AcsIceServerKind kind)
{
  GError *err = NULL;
  AcsIceServer *server = acs_ice_server_parse (uri, &err);

  if (server && server->kind != kind) {
    acs_ice_server_free (server);
    server = NULL;
    g_set_error (&err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "expected a %s: URI", kind == ACS_ICE_SERVER_STUN ? "stun" : "turn");
  }
  if (server == NULL) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Ignoring an invalid %s", what), ("%s", err->message));
    g_clear_error (&err);
  }
  return server;
}

static void
gst_acs_ice_bin_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstAcsIceBin *self = GST_ACS_ICE_BIN (object);

  switch (prop_id) {
    case PROP_STUN_SERVER:{
      const gchar *uri = g_value_get_string (value);
      AcsIceServer *server = NULL;

      if (uri && *uri) {
        server = parse_server (self, "stun-server", uri, ACS_ICE_SERVER_STUN);
        if (server == NULL)
          break;
      }
      GST_OBJECT_LOCK (self);
      acs_ice_server_free (self->stun_server);
      self->stun_server = server;
      GST_OBJECT_UNLOCK (self);
      break;
    }
    case PROP_TURN_SERVER:{
      const gchar *uri = g_value_get_string (value);

      GST_OBJECT_LOCK (self);
      g_ptr_array_set_size (self->turn_servers, 0);
      GST_OBJECT_UNLOCK (self);
      if (uri && *uri)
        gst_acs_ice_bin_add_turn_server (self, uri);
      break;
    }
    case PROP_CONTROLLING:
      GST_OBJECT_LOCK (self);
      self->controlling = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      g_object_set (self->agent, "controlling-mode",
          g_value_get_boolean (value), NULL);
      break;
    case PROP_ICE_TCP:
      GST_OBJECT_LOCK (self);
      self->ice_tcp = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ICE_UDP:
      GST_OBJECT_LOCK (self);
      self->ice_udp = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TRANSPORT_POLICY:
      GST_OBJECT_LOCK (self);
      self->transport_policy = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MIN_PORT:
      GST_OBJECT_LOCK (self);
      self->min_port = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_PORT:
      GST_OBJECT_LOCK (self);
      self->max_port = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_INTERFACES:
      GST_OBJECT_LOCK (self);
      g_free (self->interfaces);
      self->interfaces = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_LIVENESS_TIMEOUT:
      GST_OBJECT_LOCK (self);
      self->liveness_timeout = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_DISCONNECTED_TIMEOUT:
      GST_OBJECT_LOCK (self);
      self->disconnected_timeout = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_acs_ice_bin_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstAcsIceBin *self = GST_ACS_ICE_BIN (object);

  if (prop_id == PROP_LOCAL_UFRAG || prop_id == PROP_LOCAL_PWD) {
    gchar *ufrag = NULL, *pwd = NULL;
    guint stream_id;

    GST_OBJECT_LOCK (self);
    stream_id = self->stream_id;
    GST_OBJECT_UNLOCK (self);
    if (stream_id)
      nice_agent_get_local_credentials (self->agent, stream_id, &ufrag, &pwd);
    g_value_take_string (value, prop_id == PROP_LOCAL_UFRAG ?
        g_steal_pointer (&ufrag) : g_steal_pointer (&pwd));
    g_free (ufrag);
    g_free (pwd);
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_STUN_SERVER:
      g_value_take_string (value, self->stun_server ?
          acs_ice_server_to_safe_string (self->stun_server) : NULL);
      break;
    case PROP_CONTROLLING:
      g_value_set_boolean (value, self->controlling);
      break;
    case PROP_ICE_TCP:
      g_value_set_boolean (value, self->ice_tcp);
      break;
    case PROP_ICE_UDP:
      g_value_set_boolean (value, self->ice_udp);
      break;
    case PROP_TRANSPORT_POLICY:
      g_value_set_enum (value, self->transport_policy);
      break;
    case PROP_MIN_PORT:
      g_value_set_uint (value, self->min_port);
      break;
    case PROP_MAX_PORT:
      g_value_set_uint (value, self->max_port);
      break;
    case PROP_INTERFACES:
      g_value_set_string (value, self->interfaces);
      break;
    case PROP_LIVENESS_TIMEOUT:
      g_value_set_uint (value, self->liveness_timeout);
      break;
    case PROP_DISCONNECTED_TIMEOUT:
      g_value_set_uint (value, self->disconnected_timeout);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_SELECTED_PAIR:
      g_value_set_string (value, self->selected_pair);
      break;
    case PROP_STATS:
      g_value_take_boxed (value,
          gst_structure_new ("application/x-acs-ice-stats", "packets-sent",
              G_TYPE_UINT64, (guint64) g_atomic_pointer_get (&self->n_sent),
              "packets-not-sent", G_TYPE_UINT64,
              (guint64) g_atomic_pointer_get (&self->n_not_sent),
              "packets-received", G_TYPE_UINT64,
              (guint64) g_atomic_pointer_get (&self->n_received),
              "packets-dropped", G_TYPE_UINT64,
              (guint64) g_atomic_pointer_get (&self->n_dropped), NULL));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static const gchar *
state_nick (GstAcsIceState state)
{
  GEnumClass *klass = g_type_class_peek (GST_TYPE_ACS_ICE_STATE);
  GEnumValue *v = g_enum_get_value (klass, state);

  return v ? v->value_nick : "unknown";
}

/* Records the new state and posts it; called with no lock held */
static void
set_state (GstAcsIceBin * self, GstAcsIceState state)
{
  gboolean changed;

  GST_OBJECT_LOCK (self);
  changed = self->state != state;
  self->state = state;
  if (state == GST_ACS_ICE_STATE_CONNECTED)
    self->ever_connected = TRUE;
  if (state == GST_ACS_ICE_STATE_DISCONNECTED) {
    if (self->disconnected_since == 0)
      self->disconnected_since = g_get_monotonic_time ();
  } else {
    self->disconnected_since = 0;
  }
  GST_OBJECT_UNLOCK (self);

  if (!changed)
    return;

  GST_INFO_OBJECT (self, "ICE state %s", state_nick (state));
  g_object_notify (G_OBJECT (self), "state");
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("acs-ice-state", "state", G_TYPE_STRING,
              state_nick (state), NULL)));
}

static const gchar *
candidate_type_name (NiceCandidateType type)
{
  switch (type) {
    case NICE_CANDIDATE_TYPE_HOST:
      return "host";
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return "srflx";
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return "prflx";
    case NICE_CANDIDATE_TYPE_RELAYED:
      return "relay";
    default:
      return "unknown";
  }
}

static const gchar *
candidate_transport_name (NiceCandidateTransport transport)
{
  return transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp";
}

/* libnice gives a relay candidate allocated over UDP the type preference
 * 30 and one allocated over TCP or TLS 20 (halved for a TCP candidate), the
 * only public trace of the allocation's transport */
static const gchar *
relay_transport_name (const NiceCandidate * cand)
{
  guint type_pref = cand->priority >> 24;

  if (cand->type != NICE_CANDIDATE_TYPE_RELAYED)
    return "none";
  return (type_pref == 30 || type_pref == 15) ? "udp" : "tcp";
}

static gchar *
address_string (const NiceAddress * addr)
{
  gchar ip[NICE_ADDRESS_STRING_LEN];

  nice_address_to_string (addr, ip);
  if (nice_address_ip_version (addr) == 6)
    return g_strdup_printf ("[%s]:%u", ip, nice_address_get_port (addr));
  return g_strdup_printf ("%s:%u", ip, nice_address_get_port (addr));
}

static void
emit_candidate (GstAcsIceBin * self, NiceCandidate * cand)
{
  gchar *sdp = nice_agent_generate_local_candidate_sdp (self->agent, cand);
  const gchar *value = sdp;

  if (sdp == NULL)
    return;
  if (g_str_has_prefix (value, "a="))
    value += 2;
  GST_DEBUG_OBJECT (self, "local candidate %s", value);
  g_signal_emit (self, gst_acs_ice_bin_signals[SIGNAL_ON_ICE_CANDIDATE], 0,
      value);
  g_free (sdp);
}

static void
on_new_candidate (NiceAgent * agent, NiceCandidate * cand, GstAcsIceBin * self)
{
  GST_OBJECT_LOCK (self);
  if (cand->type == NICE_CANDIDATE_TYPE_RELAYED)
    self->n_relay_candidates++;
  else if (cand->type == NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE)
    self->n_srflx_candidates++;
  GST_OBJECT_UNLOCK (self);
  emit_candidate (self, cand);
}

static void
on_gathering_done (NiceAgent * agent, guint stream_id, GstAcsIceBin * self)
{
  GSList *cands = nice_agent_get_local_candidates (agent, stream_id,
      COMPONENT_ID);
  guint n_turn, n_relay, n_srflx;
  gboolean stun;

  GST_OBJECT_LOCK (self);
  n_turn = self->turn_servers->len;
  n_relay = self->n_relay_candidates;
  n_srflx = self->n_srflx_candidates;
  stun = self->stun_server != NULL && self->ice_udp
      && self->transport_policy == GST_ACS_ICE_TRANSPORT_POLICY_ALL;
  self->gathering = FALSE;
  GST_OBJECT_UNLOCK (self);

  GST_INFO_OBJECT (self, "gathering done: %u local candidates, %u relayed",
      g_slist_length (cands), n_relay);

  if (cands == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("No local ICE candidate could be gathered"),
        ("check interfaces, min-port/max-port, ice-udp/ice-tcp and, with "
            "transport-policy=relay, the TURN servers"));
  } else if (n_turn > 0 && n_relay == 0) {
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ_WRITE,
        ("No TURN server gave a relay candidate"),
        ("%u TURN server(s) configured: unreachable, or the credentials "
            "were refused", n_turn));
  }
  if (cands != NULL && stun && n_srflx == 0) {
    /* libnice drops a server-reflexive address equal to a host one, so
     * this is not an error on a network without NAT */
    GST_ELEMENT_INFO (self, RESOURCE, OPEN_READ_WRITE,
        ("The STUN server gave no server-reflexive candidate"),
        ("either it is unreachable, or this host is not behind a NAT"));
  }
  g_slist_free_full (cands, (GDestroyNotify) nice_candidate_free);

  g_signal_emit (self, gst_acs_ice_bin_signals[SIGNAL_ON_GATHERING_DONE], 0);
}

static void
on_component_state_changed (NiceAgent * agent, guint stream_id,
    guint component_id, guint state, GstAcsIceBin * self)
{
  gboolean ever_connected;

  GST_DEBUG_OBJECT (self, "component state %s",
      nice_component_state_to_string (state));

  GST_OBJECT_LOCK (self);
  ever_connected = self->ever_connected;
  GST_OBJECT_UNLOCK (self);

  switch (state) {
    case NICE_COMPONENT_STATE_GATHERING:
    case NICE_COMPONENT_STATE_CONNECTING:
      if (!ever_connected)
        set_state (self, GST_ACS_ICE_STATE_CHECKING);
      break;
    case NICE_COMPONENT_STATE_CONNECTED:
    case NICE_COMPONENT_STATE_READY:
      set_state (self, GST_ACS_ICE_STATE_CONNECTED);
      break;
    case NICE_COMPONENT_STATE_FAILED:
      if (ever_connected) {
        /* The watchdog posts the error if nothing recovers in time */
        set_state (self, GST_ACS_ICE_STATE_DISCONNECTED);
      } else {
        set_state (self, GST_ACS_ICE_STATE_FAILED);
        GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
            ("ICE failed: no candidate pair works"),
            ("every connectivity check failed; check the STUN/TURN servers "
                "and the candidates exchanged with the peer"));
      }
      break;
    default:
      break;
  }
}

static void
on_new_selected_pair (NiceAgent * agent, guint stream_id, guint component_id,
    NiceCandidate * lcand, NiceCandidate * rcand, GstAcsIceBin * self)
{
  gchar *laddr = address_string (&lcand->addr);
  gchar *raddr = address_string (&rcand->addr);
  const gchar *transport = candidate_transport_name (lcand->transport);
  gchar *desc;

  desc = g_strdup_printf ("%s/%s %s -> %s/%s %s",
      candidate_type_name (lcand->type), transport, laddr,
      candidate_type_name (rcand->type),
      candidate_transport_name (rcand->transport), raddr);
  GST_INFO_OBJECT (self, "selected pair %s (relay over %s)", desc,
      relay_transport_name (lcand));

  GST_OBJECT_LOCK (self);
  g_free (self->selected_pair);
  self->selected_pair = desc;
  GST_OBJECT_UNLOCK (self);
  g_object_notify (G_OBJECT (self), "selected-pair");

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("acs-ice-selected-pair",
              "local-type", G_TYPE_STRING, candidate_type_name (lcand->type),
              "remote-type", G_TYPE_STRING,
              candidate_type_name (rcand->type), "transport", G_TYPE_STRING,
              transport, "relay-transport", G_TYPE_STRING,
              relay_transport_name (lcand), "local-address", G_TYPE_STRING,
              laddr, "remote-address", G_TYPE_STRING, raddr, NULL)));
  g_free (laddr);
  g_free (raddr);
}

/* Runs every WATCHDOG_INTERVAL_MS in the agent thread: notices a path that
 * went silent, and fails one that stayed disconnected too long */
static gboolean
watchdog_tick (gpointer data)
{
  GstAcsIceBin *self = data;
  gint64 now = g_get_monotonic_time ();
  gint64 last_rx = (gint64) g_atomic_pointer_get (&self->last_rx);
  GstAcsIceState state;
  guint liveness, grace;
  gint64 since;

  GST_OBJECT_LOCK (self);
  state = self->state;
  liveness = self->liveness_timeout;
  grace = self->disconnected_timeout;
  since = self->disconnected_since;
  GST_OBJECT_UNLOCK (self);

  /* Armed by the first received packet only: a send-only peer sends nothing
   * back, and then consent freshness alone watches the path */
  if (state == GST_ACS_ICE_STATE_CONNECTED && liveness > 0 && last_rx != 0
      && now - last_rx > (gint64) liveness * 1000) {
    GST_INFO_OBJECT (self, "nothing received for %" G_GINT64_FORMAT " ms",
        (now - last_rx) / 1000);
    set_state (self, GST_ACS_ICE_STATE_DISCONNECTED);
  } else if (state == GST_ACS_ICE_STATE_DISCONNECTED) {
    if (liveness > 0 && now - last_rx < (gint64) liveness * 1000
        && nice_agent_get_component_state (self->agent, self->stream_id,
            COMPONENT_ID) != NICE_COMPONENT_STATE_FAILED) {
      set_state (self, GST_ACS_ICE_STATE_CONNECTED);
    } else if (since && now - since > (gint64) grace * 1000) {
      set_state (self, GST_ACS_ICE_STATE_FAILED);
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("The ICE connection was lost"),
          ("nothing recovered the path within %u ms (liveness-timeout %u ms)",
              grace, liveness));
    }
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
start_watchdog (gpointer data)
{
  GstAcsIceBin *self = data;

  if (self->watchdog == NULL) {
    self->watchdog = g_timeout_source_new (WATCHDOG_INTERVAL_MS);
    g_source_set_callback (self->watchdog, watchdog_tick, self, NULL);
    g_source_attach (self->watchdog, self->context);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
stop_watchdog (gpointer data)
{
  GstAcsIceBin *self = data;

  if (self->watchdog) {
    g_source_destroy (self->watchdog);
    g_source_unref (self->watchdog);
    self->watchdog = NULL;
  }
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GstAcsIceBin *self;
  GSourceFunc func;
  GMutex lock;
  GCond cond;
  gboolean done;
} SyncCall;

static gboolean
sync_call_run (gpointer data)
{
  SyncCall *call = data;

  call->func (call->self);
  g_mutex_lock (&call->lock);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);
  return G_SOURCE_REMOVE;
}

/* Runs @func in the agent thread and waits until it has run */
static void
invoke_sync (GstAcsIceBin * self, GSourceFunc func)
{
  SyncCall call = { self, func };
  GSource *source;

  if (g_main_context_is_owner (self->context)) {
    func (self);
    return;
  }

  g_mutex_init (&call.lock);
  g_cond_init (&call.cond);
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, sync_call_run, &call, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);

  g_mutex_lock (&call.lock);
  while (!call.done)
    g_cond_wait (&call.cond, &call.lock);
  g_mutex_unlock (&call.lock);
  g_mutex_clear (&call.lock);
  g_cond_clear (&call.cond);
}

/* The addresses libnice finds, minus loopback and IPv6 link-local ones
 * (fe80::/10), which no peer can reach and which only lengthen the
 * candidate list */
static gchar **
default_local_addresses (void)
{
  GList *ips = nice_interfaces_get_local_ips (FALSE), *l;
  GPtrArray *out = g_ptr_array_new ();

  for (l = ips; l; l = l->next) {
    const gchar *ip = l->data;

    if (g_ascii_strncasecmp (ip, "fe8", 3) == 0
        || g_ascii_strncasecmp (ip, "fe9", 3) == 0
        || g_ascii_strncasecmp (ip, "fea", 3) == 0
        || g_ascii_strncasecmp (ip, "feb", 3) == 0)
      continue;
    g_ptr_array_add (out, g_strdup (ip));
  }
  g_list_free_full (ips, g_free);
  if (out->len == 0) {
    g_ptr_array_unref (out);
    return NULL;
  }
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);
}

/* Adds the agent stream with the current settings; from NULL to READY */
static gboolean
gst_acs_ice_bin_setup_stream (GstAcsIceBin * self)
{
  gchar **ifaces = NULL;
  guint stream_id, i;
  gboolean ice_tcp, ice_udp, relay_only, controlling;
  guint min_port, max_port;

  GST_OBJECT_LOCK (self);
  ice_tcp = self->ice_tcp;
  ice_udp = self->ice_udp;
  relay_only = self->transport_policy == GST_ACS_ICE_TRANSPORT_POLICY_RELAY;
  controlling = self->controlling;
  min_port = self->min_port;
  max_port = self->max_port;
  if (self->interfaces && *self->interfaces)
    ifaces = g_strsplit (self->interfaces, ",", -1);
  GST_OBJECT_UNLOCK (self);

  g_object_set (self->agent, "ice-tcp", ice_tcp, "ice-udp", ice_udp,
      "force-relay", relay_only, "controlling-mode", controlling, NULL);

  if (ifaces == NULL)
    ifaces = default_local_addresses ();

  for (i = 0; ifaces && ifaces[i]; i++) {
    NiceAddress addr;
    gchar *name = g_strstrip (ifaces[i]);
    gchar *ip = NULL;

    if (!nice_address_set_from_string (&addr, name)) {
      ip = nice_interfaces_get_ip_for_interface (name);
      if (ip == NULL || !nice_address_set_from_string (&addr, ip)) {
        GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
            ("Interface '%s' has no usable address", name),
            ("ignored in the interfaces allow-list"));
        g_free (ip);
        continue;
      }
    }
    nice_agent_add_local_address (self->agent, &addr);
    g_free (ip);
  }
  g_strfreev (ifaces);

  stream_id = nice_agent_add_stream (self->agent, 1);
  if (stream_id == 0) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("Could not create an ICE stream"),
        ("nice_agent_add_stream failed"));
    return FALSE;
  }
  if (min_port || max_port)
    nice_agent_set_port_range (self->agent, stream_id, COMPONENT_ID,
        min_port, max_port ? max_port : 65535);

  GST_OBJECT_LOCK (self);
  g_atomic_int_set (&self->stream_id, stream_id);
  self->ever_connected = FALSE;
  self->n_relay_candidates = 0;
  self->n_srflx_candidates = 0;
  g_atomic_pointer_set (&self->last_rx, 0);
  g_clear_pointer (&self->remote_ufrag, g_free);
  g_clear_pointer (&self->selected_pair, g_free);
  GST_OBJECT_UNLOCK (self);

  nice_agent_attach_recv (self->agent, stream_id, COMPONENT_ID,
      self->context, on_recv, self);
  return TRUE;
}

/* Resolves @server's host if it is not an IP literal. Blocking: runs in the
 * agent thread only, where it stalls nothing but ICE timers. */
static gchar *
resolve_host (GstAcsIceBin * self, const AcsIceServer * server)
{
  NiceAddress addr;
  GResolver *resolver;
  GList *addrs;
  GError *err = NULL;
  gchar *ip = NULL;

  if (nice_address_set_from_string (&addr, server->host))
    return g_strdup (server->host);

  resolver = g_resolver_get_default ();
  addrs = g_resolver_lookup_by_name (resolver, server->host, NULL, &err);
  if (addrs) {
    ip = g_inet_address_to_string (addrs->data);
    g_resolver_free_addresses (addrs);
  } else {
    gchar *safe = acs_ice_server_to_safe_string (server);

    GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND,
        ("Could not resolve ICE server %s", safe), ("%s", err->message));
    g_free (safe);
    g_clear_error (&err);
  }
  g_object_unref (resolver);
  return ip;
}

static NiceRelayType
relay_type (AcsIceServerTransport transport)
{
  switch (transport) {
    case ACS_ICE_SERVER_TRANSPORT_TCP:
      return NICE_RELAY_TYPE_TURN_TCP;
    case ACS_ICE_SERVER_TRANSPORT_TLS:
      return NICE_RELAY_TYPE_TURN_TLS;
    case ACS_ICE_SERVER_TRANSPORT_UDP:
    default:
      return NICE_RELAY_TYPE_TURN_UDP;
  }
}

/* Applies the STUN/TURN servers and starts gathering; agent thread */
static gboolean
start_gathering (gpointer data)
{
  GstAcsIceBin *self = data;
  AcsIceServer *stun = NULL;
  GPtrArray *turns;
  guint stream_id, i;

  GST_OBJECT_LOCK (self);
  stream_id = self->stream_id;
  if (self->stun_server)
    stun = acs_ice_server_copy (self->stun_server);
  turns = g_ptr_array_new_with_free_func ((GDestroyNotify)
      acs_ice_server_free);
  for (i = 0; i < self->turn_servers->len; i++)
    g_ptr_array_add (turns,
        acs_ice_server_copy (g_ptr_array_index (self->turn_servers, i)));
  self->gathering = TRUE;
  GST_OBJECT_UNLOCK (self);

  if (stun) {
    gchar *ip = resolve_host (self, stun);

    if (ip)
      g_object_set (self->agent, "stun-server", ip, "stun-server-port",
          (guint) stun->port, NULL);
    g_free (ip);
  }

  nice_agent_forget_relays (self->agent, stream_id, COMPONENT_ID);
  for (i = 0; i < turns->len; i++) {
    AcsIceServer *turn = g_ptr_array_index (turns, i);
    gchar *ip = resolve_host (self, turn);

    if (ip && !nice_agent_set_relay_info (self->agent, stream_id,
            COMPONENT_ID, ip, turn->port, turn->user, turn->password,
            relay_type (turn->transport))) {
      gchar *safe = acs_ice_server_to_safe_string (turn);

      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
          ("libnice refused TURN server %s", safe), (NULL));
      g_free (safe);
    }
    g_free (ip);
  }
  g_ptr_array_unref (turns);
  acs_ice_server_free (stun);

  if (!nice_agent_gather_candidates (self->agent, stream_id)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("Could not gather ICE candidates"),
        ("nice_agent_gather_candidates failed: no usable local address or "
            "port in min-port/max-port"));
  }
  return G_SOURCE_REMOVE;
}

static gboolean
remove_stream (gpointer data)
{
  GstAcsIceBin *self = data;
  guint stream_id;

  GST_OBJECT_LOCK (self);
  stream_id = self->stream_id;
  g_atomic_int_set (&self->stream_id, 0);
  GST_OBJECT_UNLOCK (self);

  if (stream_id)
    nice_agent_remove_stream (self->agent, stream_id);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_streaming (gpointer data)
{
  stop_watchdog (data);
  rx_stop (data);
  return G_SOURCE_REMOVE;
}

static GstStateChangeReturn
gst_acs_ice_bin_change_state (GstElement * element, GstStateChange transition)
{
  GstAcsIceBin *self = GST_ACS_ICE_BIN (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!gst_acs_ice_bin_setup_stream (self))
        return GST_STATE_CHANGE_FAILURE;
      set_state (self, GST_ACS_ICE_STATE_NEW);
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      set_state (self, GST_ACS_ICE_STATE_CHECKING);
      g_main_context_invoke (self->context, start_gathering, self);
      g_main_context_invoke (self->context, start_watchdog, self);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      /* Packets arriving from now on are held, not pushed */
      g_atomic_int_set (&self->rx_playing, 0);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_acs_ice_bin_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:{
      gchar *stream_id;

      /* The pad is active now; the events stay on it until it is linked */
      stream_id = gst_pad_create_stream_id (self->srcpad, element, NULL);
      gst_pad_push_event (self->srcpad, gst_event_new_stream_start (stream_id));
      g_free (stream_id);
      {
        GstSegment segment;

        gst_segment_init (&segment, GST_FORMAT_TIME);
        gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));
      }
      self->rx_discont = TRUE;
      /* A live source: no preroll */
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    }
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      g_main_context_invoke (self->context, rx_start, self);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      invoke_sync (self, stop_streaming);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      invoke_sync (self, remove_stream);
      set_state (self, GST_ACS_ICE_STATE_CLOSED);
      break;
    default:
      break;
  }

  return ret;
}

static GstFlowReturn
gst_acs_ice_bin_sink_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstAcsIceBin *self = GST_ACS_ICE_BIN (parent);

  tx_send (self, &buffer, 1);
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_acs_ice_bin_sink_chain_list (GstPad * pad, GstObject * parent,
    GstBufferList * list)
{
  GstAcsIceBin *self = GST_ACS_ICE_BIN (parent);
  guint i, n = gst_buffer_list_length (list);
  GstBuffer *bufs[TX_BATCH];

  for (i = 0; i < n; i += TX_BATCH) {
    guint j, m = MIN (n - i, TX_BATCH);

    for (j = 0; j < m; j++)
      bufs[j] = gst_buffer_list_get (list, i + j);
    tx_send (self, bufs, m);
  }
  gst_buffer_list_unref (list);
  return GST_FLOW_OK;
}

static gboolean
gst_acs_ice_bin_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstAcsIceBin *self = GST_ACS_ICE_BIN (parent);

  /* Nothing of the stream's events crosses the network; EOS ends the
   * sending side, as it did nicesink's */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    GST_DEBUG_OBJECT (self, "end of the stream to send");
    gst_element_post_message (GST_ELEMENT_CAST (self),
        gst_message_new_eos (GST_OBJECT_CAST (self)));
  }
  gst_event_unref (event);
  return TRUE;
}

/* The two pads are two ends of a network path: no query goes from one to
 * the other, as the default handlers would do */
static gboolean
gst_acs_ice_bin_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:
    case GST_QUERY_ACCEPT_CAPS:
      return gst_pad_query_default (pad, parent, query);
    default:
      return FALSE;
  }
}

static gboolean
gst_acs_ice_bin_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  /* Upstream events (QoS, reconfigure, latency) have nowhere to go */
  gst_event_unref (event);
  return TRUE;
}

static gboolean
gst_acs_ice_bin_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:
      /* Live, timestamped on arrival: no latency of its own */
      gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    case GST_QUERY_CAPS:
    case GST_QUERY_ACCEPT_CAPS:
      return gst_pad_query_default (pad, parent, query);
    default:
      return FALSE;
  }
}

static gboolean
gst_acs_ice_bin_add_remote_candidate (GstAcsIceBin * self,
    const gchar * candidate)
{
  NiceCandidate *cand;
  GSList *list;
  gchar *line;
  guint stream_id;
  gint n;

  GST_OBJECT_LOCK (self);
  stream_id = self->stream_id;
  GST_OBJECT_UNLOCK (self);

  if (stream_id == 0) {
    GST_WARNING_OBJECT (self, "remote candidate before READY ignored");
    return FALSE;
  }

  if (candidate == NULL || *candidate == '\0') {
    GST_DEBUG_OBJECT (self, "peer gathered all its candidates");
    return nice_agent_peer_candidate_gathering_done (self->agent, stream_id);
  }

  line = g_str_has_prefix (candidate, "a=") ? g_strdup (candidate) :
      g_strconcat ("a=", candidate, NULL);
  cand = nice_agent_parse_remote_candidate_sdp (self->agent, stream_id, line);
  g_free (line);
  if (cand == NULL) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Ignoring a malformed remote ICE candidate"),
        ("not an SDP candidate attribute: %.80s", candidate));
    return FALSE;
  }
  if (cand->component_id != COMPONENT_ID) {
    GST_DEBUG_OBJECT (self, "ignoring candidate of component %u (rtcp-mux)",
        cand->component_id);
    nice_candidate_free (cand);
    return FALSE;
  }

  GST_DEBUG_OBJECT (self, "remote candidate %s", candidate);
  list = g_slist_append (NULL, cand);
  n = nice_agent_set_remote_candidates (self->agent, stream_id, COMPONENT_ID,
      list);
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  return n == 1;
}

static void
reemit_local_candidates (GstAcsIceBin * self, guint stream_id)
{
  GSList *cands, *l;
  gboolean gathering;

  cands = nice_agent_get_local_candidates (self->agent, stream_id,
      COMPONENT_ID);
  for (l = cands; l; l = l->next)
    emit_candidate (self, l->data);
  g_slist_free_full (cands, (GDestroyNotify) nice_candidate_free);

  GST_OBJECT_LOCK (self);
  gathering = self->gathering;
  GST_OBJECT_UNLOCK (self);
  if (!gathering)
    g_signal_emit (self, gst_acs_ice_bin_signals[SIGNAL_ON_GATHERING_DONE], 0);
}

static gboolean
gst_acs_ice_bin_restart_ice (GstAcsIceBin * self)
{
  guint stream_id;

  GST_OBJECT_LOCK (self);
  stream_id = self->stream_id;
  g_clear_pointer (&self->remote_ufrag, g_free);
  GST_OBJECT_UNLOCK (self);

  if (stream_id == 0 || !nice_agent_restart_stream (self->agent, stream_id))
    return FALSE;

  GST_INFO_OBJECT (self, "ICE restart");
  g_object_notify (G_OBJECT (self), "local-ufrag");
  g_object_notify (G_OBJECT (self), "local-pwd");
  reemit_local_candidates (self, stream_id);
  return TRUE;
}

static gboolean
gst_acs_ice_bin_set_remote_credentials (GstAcsIceBin * self,
    const gchar * ufrag, const gchar * pwd)
{
  guint stream_id;
  gboolean peer_restarted;

  if (ufrag == NULL || pwd == NULL || *ufrag == '\0' || *pwd == '\0') {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Ignoring empty remote ICE credentials"), (NULL));
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  stream_id = self->stream_id;
  peer_restarted = self->remote_ufrag != NULL
      && g_strcmp0 (self->remote_ufrag, ufrag) != 0;
  GST_OBJECT_UNLOCK (self);

  if (stream_id == 0)
    return FALSE;

  if (peer_restarted) {
    GST_INFO_OBJECT (self, "the peer restarted ICE: restarting too");
    gst_acs_ice_bin_restart_ice (self);
  }

  GST_OBJECT_LOCK (self);
  g_free (self->remote_ufrag);
  self->remote_ufrag = g_strdup (ufrag);
  GST_OBJECT_UNLOCK (self);

  return nice_agent_set_remote_credentials (self->agent, stream_id, ufrag, pwd);
}

static gboolean
gst_acs_ice_bin_add_turn_server (GstAcsIceBin * self, const gchar * uri)
{
  AcsIceServer *server;

  if (uri == NULL)
    return FALSE;
  server = parse_server (self, "TURN server", uri, ACS_ICE_SERVER_TURN);
  if (server == NULL)
    return FALSE;

  GST_OBJECT_LOCK (self);
  g_ptr_array_add (self->turn_servers, server);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

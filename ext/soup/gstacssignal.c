/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: client of the signaling controller
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-acssignal
 * @title: acssignal
 * @see_also: acsicebin, acssrtpenc, acssrtpdec, webrtcbin
 *
 * acssignal is the client of the gst-acs signaling controller
 * (`acs-controller`, docs/protocol.md) inside a pipeline. It has no pads:
 * it places and answers one-to-one calls, carries the session descriptions
 * and the trickled ICE candidates, and tells the application what the
 * other party does.
 *
 * Going from READY to PAUSED it opens the user's event stream
 * (`GET /v1/events`, Server-Sent Events) on `controller` with `token`.
 * After a network error on an established stream it reconnects with
 * `Last-Event-ID`, waiting `reconnect-interval` ms, twice as long after
 * each failed attempt (at most 30 s), so that no event is lost or repeated.
 * The controller's `: ping` heartbeat comes every 15 s: a stream silent for
 * 45 s counts as broken.
 *
 * Action signals (#GstAcsSignal::place-call, #GstAcsSignal::ring,
 * #GstAcsSignal::answer, #GstAcsSignal::decline, #GstAcsSignal::cancel,
 * #GstAcsSignal::hang-up, #GstAcsSignal::get-ice-servers) answer through a
 * #GstPromise, as webrtcbin's `create-offer`: a structure named
 * `acs-signal-reply` (or `acs-signal-ice-servers`) on success,
 * `acs-signal-error` with fields `status`, `code`, `message` and `error`
 * when the controller refused or could not be reached; a refusal is also
 * posted as a warning. #GstAcsSignal::add-local-candidate queues the
 * candidate and posts the queue in order, one request at a time: what was
 * gathered while a request was out goes in the next one, as a batch.
 *
 * What the other party does arrives as the signals
 * #GstAcsSignal::on-incoming, #GstAcsSignal::on-ringing,
 * #GstAcsSignal::on-answered, #GstAcsSignal::on-remote-candidate and
 * #GstAcsSignal::on-ended, and as element messages on the bus named
 * `acs-signal-incoming`, `acs-signal-ringing`, `acs-signal-answered`,
 * `acs-signal-remote-candidate`, `acs-signal-ended`, plus `acs-signal-state`
 * when `call-state` changes and `acs-signal-stream` when the event stream
 * connects or reconnects. Bus messages carry session descriptions as
 * #GstSDPMessage, which debug logs print as NULL: SDP holds the SRTP keys.
 *
 * Errors: a controller that cannot be reached when the stream first
 * connects, a TLS certificate that does not verify, an HTTP error on the
 * event stream and a 401 on any request are fatal (#GST_RESOURCE_ERROR,
 * with a details structure holding `http-status`, `code` (the controller's
 * error code) and `reason`). A refused action (such as 409 `wrong_state`)
 * is a warning with the same details, plus the promise's reply.
 *
 * Threading: libsoup runs in a thread of the element's own, with its own
 * #GMainContext, from NULL to READY until back to NULL. Action signals may
 * be emitted from any thread; they hand their work to that thread.
 * Notification signals are emitted from that thread with no lock held; do
 * not change the element's state from their handlers.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m acssignal controller=https://127.0.0.1:8443 \
 *     token="$(acs-controller mint-token --user alice)" \
 *     tls-pinned-certificate=controller.pem
 * ]| This only prints the events of alice's calls; an application places
 * and answers calls with the action signals.
 *
 * Since: 0.1
 */

/* Lock order: GST_OBJECT_LOCK only, held briefly for property fields; never
 * while posting, emitting or calling into libsoup. Everything else belongs
 * to the element's thread. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacssoupelements.h"
#include "gstacssignalpriv.h"

#include <string.h>
#include <gio/gio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>
#include <gst/sdp/sdp.h>

#include <acs/acserror.h>
#include <acs/acsiceuri.h>

GST_DEBUG_CATEGORY (gst_acs_signal_debug);
#define GST_CAT_DEFAULT gst_acs_signal_debug

#define DEFAULT_CONTROLLER NULL
#define DEFAULT_TLS_CA_FILE NULL
#define DEFAULT_TLS_PINNED_CERTIFICATE NULL
#define DEFAULT_PEER NULL
#define DEFAULT_CALL_ID NULL
#define DEFAULT_RECONNECT_INTERVAL 1000

enum
{
  PROP_0,
  PROP_CONTROLLER,
  PROP_TOKEN,
  PROP_TLS_CA_FILE,
  PROP_TLS_PINNED_CERTIFICATE,
  PROP_USER,
  PROP_PEER,
  PROP_CALL_ID,
  PROP_CALL_STATE,
  PROP_RECONNECT_INTERVAL,
};

guint acs_signal_signals[LAST_SIGNAL] = { 0 };

GParamSpec *acs_signal_call_state_pspec;
GParamSpec *acs_signal_call_id_pspec;
GParamSpec *acs_signal_peer_pspec;

GType
gst_acs_signal_call_state_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ACS_SIGNAL_CALL_STATE_IDLE, "No call", "idle"},
    {GST_ACS_SIGNAL_CALL_STATE_CALLING, "Invitation sent", "calling"},
    {GST_ACS_SIGNAL_CALL_STATE_RINGING, "Callee alerting", "ringing"},
    {GST_ACS_SIGNAL_CALL_STATE_ACTIVE, "Answered", "active"},
    {GST_ACS_SIGNAL_CALL_STATE_ENDED, "Ended", "ended"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstAcsSignalCallState", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static const gchar *const action_names[] = {
  "place-call", "ring", "answer", "decline", "cancel", "hang-up",
  "add-local-candidate", "get-ice-servers", "refresh", "decline-busy",
};

G_DEFINE_TYPE_WITH_CODE (GstAcsSignal, gst_acs_signal, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_acs_signal_debug, "acssignal", 0,
        "gst-acs signaling client"));
GST_ELEMENT_REGISTER_DEFINE (acssignal, "acssignal", GST_RANK_NONE,
    GST_TYPE_ACS_SIGNAL);

/* What READY->PAUSED hands to the thread */
typedef struct
{
  GstAcsSignal *self;
  GCancellable *cancellable;
  gchar *base_uri;
  gchar *auth;
  GTlsDatabase *database;
  GTlsCertificate *pinned;
  guint interval;
  gboolean refresh;
} StartConfig;

static void gst_acs_signal_finalize (GObject * object);
static void gst_acs_signal_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_acs_signal_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_acs_signal_change_state (GstElement *
    element, GstStateChange transition);

static void gst_acs_signal_place_call (GstAcsSignal * self,
    const gchar * peer, const gchar * offer, GstPromise * promise);
static void gst_acs_signal_ring (GstAcsSignal * self, GstPromise * promise);
static void gst_acs_signal_answer (GstAcsSignal * self, const gchar * answer,
    GstPromise * promise);
static void gst_acs_signal_decline (GstAcsSignal * self,
    const gchar * reason, GstPromise * promise);
static void gst_acs_signal_cancel (GstAcsSignal * self, GstPromise * promise);
static void gst_acs_signal_hang_up (GstAcsSignal * self, GstPromise * promise);
static void gst_acs_signal_add_local_candidate (GstAcsSignal * self,
    guint mline_index, const gchar * candidate);
static void gst_acs_signal_get_ice_servers (GstAcsSignal * self,
    GstPromise * promise);

static void enqueue_action (GstAcsSignal * self, Action * a);
static void pump_candidates (GstAcsSignal * self);

static gpointer
signal_thread (gpointer data)
{
  GstAcsSignal *self = data;
  GMainContext *context = g_main_loop_get_context (self->loop);

  g_main_context_push_thread_default (context);
  g_main_loop_run (self->loop);
  /* Let every cancelled request and queued action finish, so that promises
   * get their reply and nothing is left behind */
  while (self->n_pending > 0)
    g_main_context_iteration (context, TRUE);
  while (g_main_context_iteration (context, FALSE));
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
gst_acs_signal_class_init (GstAcsSignalClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  gobject_class->finalize = gst_acs_signal_finalize;
  gobject_class->set_property = gst_acs_signal_set_property;
  gobject_class->get_property = gst_acs_signal_get_property;
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_acs_signal_change_state);

  gst_element_class_set_static_metadata (element_class,
      "ACS signaling client", "Network/Signaling",
      "Places and answers calls through the gst-acs signaling controller",
      "gst-acs developers");

  g_object_class_install_property (gobject_class, PROP_CONTROLLER,
      g_param_spec_string ("controller", "Controller",
          "Base URI of the signaling controller, https://host[:port][/path] "
          "(the /v1 paths are appended); read when going to PAUSED",
          DEFAULT_CONTROLLER, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstAcsSignal:token:
   *
   * The bearer token (a JWT from `acs-controller mint-token`). It is never
   * logged, at any debug level, nor put in a message; the element keeps
   * it until finalized and wipes it then. `user` shows its `sub` claim.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TOKEN,
      g_param_spec_string ("token", "Token",
          "Bearer token (JWT) sent with every request; write-only and never "
          "logged; read when going to PAUSED", NULL,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA File",
          "PEM file of the certificate authorities that verify the "
          "controller, instead of the system's (NULL: the system's); read "
          "when going to PAUSED", DEFAULT_TLS_CA_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstAcsSignal:tls-pinned-certificate:
   *
   * A PEM file holding the controller's own certificate, such as the
   * self-signed one it makes by default. When set, exactly that certificate
   * is accepted, whatever its issuer, names or dates, and any other is
   * refused, even one a system CA signed; `tls-ca-file` is then unused.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TLS_PINNED_CERTIFICATE,
      g_param_spec_string ("tls-pinned-certificate", "TLS Pinned Certificate",
          "PEM file of the one certificate the controller must present "
          "(for its self-signed default); any other is refused. Read when "
          "going to PAUSED", DEFAULT_TLS_PINNED_CERTIFICATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_USER,
      g_param_spec_string ("user", "User",
          "The user the token names (its sub claim, decoded without "
          "verifying the signature), NULL if the token is not a JWT", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  acs_signal_peer_pspec = g_param_spec_string ("peer", "Peer",
      "User that place-call calls when given no user; set to the caller "
      "when a call comes in. May change in any state", DEFAULT_PEER,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property (gobject_class, PROP_PEER,
      acs_signal_peer_pspec);
  /**
   * GstAcsSignal:call-id:
   *
   * The call the actions act on: set by place-call and by an incoming
   * call. Setting it selects a call known from elsewhere (to answer it):
   * its state is read from the controller (`GET /v1/calls/{id}`) when the
   * element runs, and its offer comes with #GstAcsSignal::on-incoming
   * when the event stream delivers it.
   *
   * Since: 0.1
   */
  acs_signal_call_id_pspec = g_param_spec_string ("call-id", "Call ID",
      "Id of the current call: set by place-call or an incoming call, or "
      "by the application to act on a known call (any state)",
      DEFAULT_CALL_ID, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property (gobject_class, PROP_CALL_ID,
      acs_signal_call_id_pspec);
  acs_signal_call_state_pspec =
      g_param_spec_enum ("call-state", "Call State",
      "State of the current call as the controller reports it; also posted "
      "as acs-signal-state messages", GST_TYPE_ACS_SIGNAL_CALL_STATE,
      GST_ACS_SIGNAL_CALL_STATE_IDLE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (gobject_class, PROP_CALL_STATE,
      acs_signal_call_state_pspec);
  g_object_class_install_property (gobject_class, PROP_RECONNECT_INTERVAL,
      g_param_spec_uint ("reconnect-interval", "Reconnect Interval",
          "Milliseconds to wait before reconnecting a broken event stream, "
          "doubled after each failed attempt up to 30 s; read when going "
          "to PAUSED", 1, 60000, DEFAULT_RECONNECT_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstAcsSignal::on-incoming:
   * @self: the element
   * @call_id: the call's id, now the `call-id` property
   * @from: the caller's user name
   * @offer: the caller's SDP offer
   *
   * A call came in while no other call was in progress (another one is
   * declined as `busy`). Answer with #GstAcsSignal::ring, then
   * #GstAcsSignal::answer or #GstAcsSignal::decline. Emitted from the
   * element's thread.
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_ON_INCOMING] =
      g_signal_new ("on-incoming", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstAcsSignal::on-ringing:
   * @self: the element
   * @call_id: the call's id
   *
   * The callee's client is alerting (SIP 180). Emitted from the element's
   * thread.
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_ON_RINGING] =
      g_signal_new ("on-ringing", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * GstAcsSignal::on-answered:
   * @self: the element
   * @call_id: the call's id
   * @answer: the callee's SDP answer
   *
   * The callee answered (SIP 200). Emitted from the element's thread.
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_ON_ANSWERED] =
      g_signal_new ("on-answered", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_STRING);

  /**
   * GstAcsSignal::on-remote-candidate:
   * @self: the element
   * @call_id: the call's id
   * @mline_index: the m-line the candidate belongs to
   * @candidate: an SDP `candidate:` value, or "" when the other party has
   *   sent all its candidates
   *
   * A candidate of the other party, for acsicebin's
   * `add-remote-candidate`. Emitted from the element's thread.
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_ON_REMOTE_CANDIDATE] =
      g_signal_new ("on-remote-candidate", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING,
      G_TYPE_UINT, G_TYPE_STRING);

  /**
   * GstAcsSignal::on-ended:
   * @self: the element
   * @call_id: the call's id
   * @reason: the controller's `end_reason`: `hangup`, `cancelled`, `busy`,
   *   `declined`, `unavailable`, `timeout`, `no_answer`
   * @sip_status: the SIP status matching @reason (200, 487, 486, 603, 480,
   *   408)
   *
   * The call is over, whoever ended it. Emitted from the element's thread.
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_ON_ENDED] =
      g_signal_new ("on-ended", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_UINT);

  /**
   * GstAcsSignal::place-call:
   * @self: the element
   * @peer: (nullable): the user to call; %NULL or "" for `peer`
   * @offer: the local SDP offer
   * @promise: (nullable): replied with `acs-signal-reply` (fields
   *   `status`, `call-id`, `state`) or `acs-signal-error`
   *
   * Action signal: `POST /v1/calls`. The new call's id becomes `call-id`;
   * local candidates added before the reply are posted after it.
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_PLACE_CALL] =
      g_signal_new_class_handler ("place-call", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_signal_place_call), NULL, NULL, NULL,
      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, GST_TYPE_PROMISE);

  /**
   * GstAcsSignal::ring:
   * @self: the element
   * @promise: (nullable): replied with `acs-signal-reply` or
   *   `acs-signal-error`
   *
   * Action signal: tell the caller that this client is alerting (SIP 180).
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_RING] =
      g_signal_new_class_handler ("ring", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_signal_ring), NULL, NULL, NULL,
      G_TYPE_NONE, 1, GST_TYPE_PROMISE);

  /**
   * GstAcsSignal::answer:
   * @self: the element
   * @answer: the local SDP answer
   * @promise: (nullable): replied with `acs-signal-reply` or
   *   `acs-signal-error`
   *
   * Action signal: answer the current call (SIP 200).
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_ANSWER] =
      g_signal_new_class_handler ("answer", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_signal_answer), NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, GST_TYPE_PROMISE);

  /**
   * GstAcsSignal::decline:
   * @self: the element
   * @reason: (nullable): `busy` (SIP 486), `decline` (603, the default) or
   *   `unavailable` (480)
   * @promise: (nullable): replied with `acs-signal-reply` or
   *   `acs-signal-error`
   *
   * Action signal: decline the current incoming call.
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_DECLINE] =
      g_signal_new_class_handler ("decline", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_signal_decline), NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, GST_TYPE_PROMISE);

  /**
   * GstAcsSignal::cancel:
   * @self: the element
   * @promise: (nullable): replied with `acs-signal-reply` or
   *   `acs-signal-error`
   *
   * Action signal: cancel the call this user placed before it is answered
   * (SIP CANCEL).
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_CANCEL] =
      g_signal_new_class_handler ("cancel", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_signal_cancel), NULL, NULL, NULL,
      G_TYPE_NONE, 1, GST_TYPE_PROMISE);

  /**
   * GstAcsSignal::hang-up:
   * @self: the element
   * @promise: (nullable): replied with `acs-signal-reply` or
   *   `acs-signal-error`
   *
   * Action signal: end the active call (SIP BYE).
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_HANG_UP] =
      g_signal_new_class_handler ("hang-up", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_signal_hang_up), NULL, NULL, NULL,
      G_TYPE_NONE, 1, GST_TYPE_PROMISE);

  /**
   * GstAcsSignal::add-local-candidate:
   * @self: the element
   * @mline_index: the m-line of the candidate (0 for one audio stream)
   * @candidate: (nullable): a local SDP `candidate:` value (an `a=` prefix
   *   is accepted), as acsicebin's `on-ice-candidate` gives; %NULL or ""
   *   for end-of-candidates
   *
   * Action signal: queue a local candidate. The queue is posted in order,
   * one request at a time, once the call has an id: all that is queued
   * when a request goes out (at most 128 candidates, and the end of
   * candidates) goes in it, as one `candidates` batch; it is dropped when
   * the call ends. A refused candidate posts a warning.
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_ADD_LOCAL_CANDIDATE] =
      g_signal_new_class_handler ("add-local-candidate",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_signal_add_local_candidate), NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);

  /**
   * GstAcsSignal::get-ice-servers:
   * @self: the element
   * @promise: replied with `acs-signal-ice-servers`: `stun-server` (string,
   *   `stun://host:port`, absent when none), `turn-servers` (#GstValueArray
   *   of `turn://user:pass@host:port?transport=udp|tcp` or `turns://...`
   *   strings, credentials percent-encoded, for acsicebin's `turn-server`
   *   and `add-turn-server`), `ttl` (seconds the credentials last); or
   *   `acs-signal-error`
   *
   * Action signal: `GET /v1/ice-servers`. The reply holds TURN
   * credentials: do not log it.
   *
   * Since: 0.1
   */
  acs_signal_signals[SIGNAL_GET_ICE_SERVERS] =
      g_signal_new_class_handler ("get-ice-servers", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_signal_get_ice_servers), NULL, NULL, NULL,
      G_TYPE_NONE, 1, GST_TYPE_PROMISE);

  gst_type_mark_as_plugin_api (GST_TYPE_ACS_SIGNAL_CALL_STATE, 0);
}

static void
gst_acs_signal_init (GstAcsSignal * self)
{
  self->reconnect_interval = DEFAULT_RECONNECT_INTERVAL;
  self->call_state = GST_ACS_SIGNAL_CALL_STATE_IDLE;
  g_queue_init (&self->held_events);
  g_queue_init (&self->candidates);
}

static void
wipe_free (gchar * secret)
{
  if (secret) {
    explicit_bzero (secret, strlen (secret));
    g_free (secret);
  }
}

static void
held_event_free (HeldEvent * ev)
{
  g_free (ev->type);
  g_free (ev->call_id);
  json_node_unref (ev->data);
  g_free (ev);
}

static void
local_candidate_free (LocalCandidate * c)
{
  g_free (c->candidate);
  g_free (c);
}

static void
gst_acs_signal_finalize (GObject * object)
{
  GstAcsSignal *self = GST_ACS_SIGNAL (object);

  g_free (self->controller);
  wipe_free (self->token);
  g_free (self->user);
  g_free (self->tls_ca_file);
  g_free (self->tls_pinned_certificate);
  g_free (self->peer);
  g_free (self->call_id);
  g_free (self->last_event_id);
  g_free (self->ended_call_id);
  g_queue_clear_full (&self->held_events, (GDestroyNotify) held_event_free);
  g_queue_clear_full (&self->candidates, (GDestroyNotify) local_candidate_free);

  G_OBJECT_CLASS (gst_acs_signal_parent_class)->finalize (object);
}

/* The `sub` claim of a JWT, without checking the signature (the
 * controller does) */
static gchar *
user_from_token (const gchar * token)
{
  gchar **parts;
  gchar *user = NULL;
  GString *b64;
  guchar *json;
  gsize len;
  JsonParser *parser;

  parts = g_strsplit (token, ".", 4);
  if (g_strv_length (parts) != 3) {
    g_strfreev (parts);
    return NULL;
  }
  /* base64url without padding to base64 */
  b64 = g_string_new (parts[1]);
  g_strdelimit (b64->str, "-", '+');
  g_strdelimit (b64->str, "_", '/');
  while (b64->len % 4)
    g_string_append_c (b64, '=');
  json = g_base64_decode (b64->str, &len);
  g_string_free (b64, TRUE);
  g_strfreev (parts);

  parser = json_parser_new ();
  if (len > 0 && json_parser_load_from_data (parser, (const gchar *) json,
          len, NULL)) {
    JsonNode *root = json_parser_get_root (parser);

    if (JSON_NODE_HOLDS_OBJECT (root)) {
      JsonNode *sub = json_object_get_member (json_node_get_object (root),
          "sub");

      if (sub && JSON_NODE_HOLDS_VALUE (sub)
          && json_node_get_value_type (sub) == G_TYPE_STRING)
        user = g_strdup (json_node_get_string (sub));
    }
  }
  g_object_unref (parser);
  g_free (json);
  return user;
}

static void
gst_acs_signal_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstAcsSignal *self = GST_ACS_SIGNAL (object);

  switch (prop_id) {
    case PROP_CONTROLLER:
      GST_OBJECT_LOCK (self);
      g_free (self->controller);
      self->controller = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TOKEN:{
      const gchar *token = g_value_get_string (value);
      gchar *user = token ? user_from_token (token) : NULL;

      /* Its length only: the token is a secret */
      GST_DEBUG_OBJECT (self, "token of %" G_GSIZE_FORMAT " bytes for user "
          "%s", token ? strlen (token) : 0, GST_STR_NULL (user));
      if (token && *token && user == NULL)
        GST_WARNING_OBJECT (self, "the token is not a JWT with a sub claim");
      GST_OBJECT_LOCK (self);
      wipe_free (self->token);
      self->token = g_strdup (token);
      g_free (self->user);
      self->user = user;
      GST_OBJECT_UNLOCK (self);
      break;
    }
    case PROP_TLS_CA_FILE:
      GST_OBJECT_LOCK (self);
      g_free (self->tls_ca_file);
      self->tls_ca_file = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TLS_PINNED_CERTIFICATE:
      GST_OBJECT_LOCK (self);
      g_free (self->tls_pinned_certificate);
      self->tls_pinned_certificate = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PEER:
      GST_OBJECT_LOCK (self);
      g_free (self->peer);
      self->peer = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_CALL_ID:{
      GMainContext *context = NULL;

      GST_OBJECT_LOCK (self);
      g_free (self->call_id);
      self->call_id = g_value_dup_string (value);
      self->call_state = GST_ACS_SIGNAL_CALL_STATE_IDLE;
      if (self->call_id && self->run_cancellable)
        context = g_main_context_ref (self->context);
      GST_OBJECT_UNLOCK (self);
      /* Read the call's state from the controller */
      if (context) {
        Action *a = g_new0 (Action, 1);

        a->self = self;
        a->kind = ACTION_REFRESH;
        enqueue_action (self, a);
        g_main_context_unref (context);
      }
      break;
    }
    case PROP_RECONNECT_INTERVAL:
      GST_OBJECT_LOCK (self);
      self->reconnect_interval = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_acs_signal_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstAcsSignal *self = GST_ACS_SIGNAL (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CONTROLLER:
      g_value_set_string (value, self->controller);
      break;
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
      break;
    case PROP_TLS_PINNED_CERTIFICATE:
      g_value_set_string (value, self->tls_pinned_certificate);
      break;
    case PROP_USER:
      g_value_set_string (value, self->user);
      break;
    case PROP_PEER:
      g_value_set_string (value, self->peer);
      break;
    case PROP_CALL_ID:
      g_value_set_string (value, self->call_id);
      break;
    case PROP_CALL_STATE:
      g_value_set_enum (value, self->call_state);
      break;
    case PROP_RECONNECT_INTERVAL:
      g_value_set_uint (value, self->reconnect_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
start_config_free (StartConfig * cfg)
{
  g_clear_object (&cfg->cancellable);
  g_free (cfg->base_uri);
  wipe_free (cfg->auth);
  g_clear_object (&cfg->database);
  g_clear_object (&cfg->pinned);
  g_free (cfg);
}

/* Runs in the element's thread */
static gboolean
do_start (gpointer data)
{
  StartConfig *cfg = data;
  GstAcsSignal *self = cfg->self;

  if (g_cancellable_is_cancelled (cfg->cancellable)) {
    start_config_free (cfg);
    return G_SOURCE_REMOVE;
  }
  self->cancellable = g_steal_pointer (&cfg->cancellable);
  self->base_uri = g_steal_pointer (&cfg->base_uri);
  self->auth = g_steal_pointer (&cfg->auth);
  self->pinned = g_steal_pointer (&cfg->pinned);
  self->interval = cfg->interval;
  /* Two connections: the event stream's and one kept alive for the
   * requests, which queue on it. More would only add TCP and TLS
   * handshakes to a call's set-up (and each handshake's SYN can be lost:
   * a 1 s retransmission on a lossy path, docs/performance.md) */
  self->session = soup_session_new_with_options ("timeout", IO_TIMEOUT_S,
      "max-conns-per-host", MAX_CONNECTIONS, "user-agent", "gst-acs/" VERSION,
      cfg->database ? "tls-database" : NULL, cfg->database, NULL);
  self->attempts = 0;
  self->ever_connected = FALSE;
  self->server_retry = -1;
  GST_DEBUG_OBJECT (self, "session started for %s", self->base_uri);

  acs_signal_stream_connect (self);
  acs_signal_preconnect (self);
  if (cfg->refresh) {
    Action *a = g_new0 (Action, 1);

    a->self = self;
    a->kind = ACTION_REFRESH;
    enqueue_action (self, a);
  }
  start_config_free (cfg);
  return G_SOURCE_REMOVE;
}


/* Runs in the element's thread */
static gboolean
do_stop (gpointer data)
{
  GstAcsSignal *self = data;

  if (self->session == NULL)
    return G_SOURCE_REMOVE;
  GST_DEBUG_OBJECT (self, "stopping");
  if (self->reconnect_source) {
    g_source_destroy (self->reconnect_source);
    g_clear_pointer (&self->reconnect_source, g_source_unref);
  }
  g_cancellable_cancel (self->cancellable);
  /* The stream's pending callback frees it */
  if (self->stream)
    g_cancellable_cancel (self->stream->cancellable);
  self->stream = NULL;
  soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->base_uri, g_free);
  g_clear_pointer (&self->auth, wipe_free);
  g_clear_object (&self->pinned);
  self->placing = FALSE;
  self->candidate_in_flight = FALSE;
  g_queue_clear_full (&self->held_events, (GDestroyNotify) held_event_free);
  g_queue_init (&self->held_events);
  g_queue_clear_full (&self->candidates, (GDestroyNotify) local_candidate_free);
  g_queue_init (&self->candidates);
  return G_SOURCE_REMOVE;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static StartConfig *
make_start_config (GstAcsSignal * self)
{
  StartConfig *cfg = g_new0 (StartConfig, 1);
  gchar *controller, *token, *ca_file, *pinned_file;
  GUri *uri = NULL;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  controller = g_strdup (self->controller);
  token = g_strdup (self->token);
  ca_file = g_strdup (self->tls_ca_file);
  pinned_file = g_strdup (self->tls_pinned_certificate);
  cfg->interval = self->reconnect_interval;
  cfg->refresh = self->call_id != NULL;
  GST_OBJECT_UNLOCK (self);
  cfg->self = self;

  if (controller == NULL || *controller == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No controller URI set"), ("set the controller property"));
    goto fail;
  }
  uri = g_uri_parse (controller, G_URI_FLAGS_NONE, &err);
  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid controller URI"), ("'%s' is not https://host[:port][/path]"
            "%s%s", controller, err ? ": " : "", err ? err->message : ""));
    goto fail;
  }
  cfg->base_uri = g_strdup (controller);
  while (g_str_has_suffix (cfg->base_uri, "/"))
    cfg->base_uri[strlen (cfg->base_uri) - 1] = '\0';

  if (token == NULL || *token == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
        ("No token set"), ("set the token property"));
    goto fail;
  }
  cfg->auth = g_strconcat ("Bearer ", token, NULL);

  if (pinned_file && *pinned_file) {
    cfg->pinned = g_tls_certificate_new_from_file (pinned_file, &err);
    if (cfg->pinned == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Could not read the pinned certificate"), ("%s: %s", pinned_file,
              err->message));
      goto fail;
    }
    if (ca_file && *ca_file)
      GST_INFO_OBJECT (self, "tls-pinned-certificate set: tls-ca-file unused");
  } else if (ca_file && *ca_file) {
    cfg->database = g_tls_file_database_new (ca_file, &err);
    if (cfg->database == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Could not read the TLS CA file"), ("%s: %s", ca_file,
              err->message));
      goto fail;
    }
  }

  cfg->cancellable = g_cancellable_new ();
  goto done;

fail:
  g_clear_pointer (&cfg, start_config_free);
done:
  g_clear_error (&err);
  g_clear_pointer (&uri, g_uri_unref);
  g_free (controller);
  wipe_free (token);
  g_free (ca_file);
  g_free (pinned_file);
  return cfg;
}

static GstStateChangeReturn
gst_acs_signal_change_state (GstElement * element, GstStateChange transition)
{
  GstAcsSignal *self = GST_ACS_SIGNAL (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:{
      GMainContext *context = g_main_context_new ();

      self->loop = g_main_loop_new (context, FALSE);
      self->n_pending = 0;
      GST_OBJECT_LOCK (self);
      self->context = context;
      GST_OBJECT_UNLOCK (self);
      self->thread = g_thread_new ("acssignal", signal_thread, self);
      break;
    }
    case GST_STATE_CHANGE_READY_TO_PAUSED:{
      StartConfig *cfg = make_start_config (self);

      if (cfg == NULL)
        return GST_STATE_CHANGE_FAILURE;
      GST_OBJECT_LOCK (self);
      self->run_cancellable = g_object_ref (cfg->cancellable);
      GST_OBJECT_UNLOCK (self);
      g_main_context_invoke (self->context, do_start, cfg);
      break;
    }
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_acs_signal_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:{
      GCancellable *cancellable;

      GST_OBJECT_LOCK (self);
      cancellable = g_steal_pointer (&self->run_cancellable);
      GST_OBJECT_UNLOCK (self);
      if (cancellable) {
        g_cancellable_cancel (cancellable);
        g_object_unref (cancellable);
      }
      g_main_context_invoke (self->context, do_stop, self);
      break;
    }
    case GST_STATE_CHANGE_READY_TO_NULL:{
      GMainContext *context;
      GSource *source;

      GST_OBJECT_LOCK (self);
      context = g_steal_pointer (&self->context);
      GST_OBJECT_UNLOCK (self);
      /* A quit before the thread entered g_main_loop_run() would be lost:
       * ask the loop itself to quit */
      source = g_idle_source_new ();
      g_source_set_callback (source, quit_loop, self->loop, NULL);
      g_source_attach (source, context);
      g_source_unref (source);
      g_thread_join (self->thread);
      self->thread = NULL;
      g_clear_pointer (&self->loop, g_main_loop_unref);
      g_main_context_unref (context);
      g_clear_pointer (&self->last_event_id, g_free);
      g_clear_pointer (&self->ended_call_id, g_free);
      GST_OBJECT_LOCK (self);
      self->call_state = GST_ACS_SIGNAL_CALL_STATE_IDLE;
      GST_OBJECT_UNLOCK (self);
      break;
    }
    default:
      break;
  }

  return ret;
}

/* ------------------------------------------------------------------------
 * Replies, errors and warnings
 * ------------------------------------------------------------------------ */

static const gchar *
call_state_nick (GstAcsSignalCallState state)
{
  GEnumValue *v =
      g_enum_get_value (g_type_class_peek (GST_TYPE_ACS_SIGNAL_CALL_STATE),
      state);

  return v ? v->value_nick : "idle";
}

gboolean
acs_signal_call_state_from_string (const gchar * s,
    GstAcsSignalCallState * state)
{
  GEnumValue *v;

  if (s == NULL)
    return FALSE;
  v = g_enum_get_value_by_nick (g_type_class_peek
      (GST_TYPE_ACS_SIGNAL_CALL_STATE), s);
  if (v == NULL || v->value == GST_ACS_SIGNAL_CALL_STATE_IDLE)
    return FALSE;
  *state = v->value;
  return TRUE;
}

/* Posts an error (fatal) or a warning from the controller's answer, with a
 * details structure the application can read the HTTP status from. Takes
 * @text and @debug. */
void
acs_signal_post_controller_message (GstAcsSignal * self, GstMessageType type,
    GstResourceError code, gchar * text, gchar * debug, guint status,
    const gchar * err_code, const gchar * reason, const gchar * action)
{
  GstStructure *details;

  details = gst_structure_new ("details", "http-status", G_TYPE_UINT, status,
      "code", G_TYPE_STRING, err_code ? err_code : "", "reason",
      G_TYPE_STRING, reason, NULL);
  if (action)
    gst_structure_set (details, "action", G_TYPE_STRING, action, NULL);
  if (type == GST_MESSAGE_ERROR)
    GST_WARNING_OBJECT (self, "error: %s (%s)", text, debug);
  else
    GST_INFO_OBJECT (self, "warning: %s (%s)", text, debug);
  gst_element_message_full_with_details (GST_ELEMENT (self), type,
      GST_RESOURCE_ERROR, code, text, debug, __FILE__, GST_FUNCTION, __LINE__,
      details);
}

static GstResourceError
resource_code_for_status (guint status)
{
  if (status == 401 || status == 403)
    return GST_RESOURCE_ERROR_NOT_AUTHORIZED;
  if (status == 404)
    return GST_RESOURCE_ERROR_NOT_FOUND;
  return GST_RESOURCE_ERROR_FAILED;
}

void
acs_signal_post_http_error (GstAcsSignal * self, GstMessageType type,
    guint status, const gchar * err_code, const gchar * message,
    const gchar * what)
{
  gchar *text;

  if (status == 401)
    text = g_strdup_printf ("The controller refused the token (HTTP 401)");
  else if (status == 403)
    text = g_strdup_printf ("The controller refused access (HTTP 403)");
  else if (type == GST_MESSAGE_WARNING)
    text = g_strdup_printf ("The controller refused %s (HTTP %u)", what,
        status);
  else
    text = g_strdup_printf ("The controller failed %s (HTTP %u)", what, status);
  acs_signal_post_controller_message (self, type,
      resource_code_for_status (status), text,
      g_strdup_printf ("%s: HTTP %u %s: %s", what, status,
          err_code ? err_code : "-", message ? message : "-"), status, err_code,
      "http", what);
}

/* Whether @err means the controller's certificate (or the TLS set-up) was
 * refused, rather than a connection that broke: a connection cut by a
 * restarting controller fails with G_TLS_ERROR_NOT_TLS (closed during the
 * handshake), _EOF or _MISC, which is a network failure to retry, not a
 * certificate to report. */
gboolean
acs_signal_is_tls_failure (GstAcsSignal * self, const GError * err)
{
  if (err == NULL || err->domain != G_TLS_ERROR)
    return FALSE;
  if (self->tls_errors != 0)
    return TRUE;
  switch (err->code) {
    case G_TLS_ERROR_BAD_CERTIFICATE:
    case G_TLS_ERROR_HANDSHAKE:
    case G_TLS_ERROR_CERTIFICATE_REQUIRED:
    case G_TLS_ERROR_INAPPROPRIATE_FALLBACK:
      return TRUE;
    default:
      return FALSE;
  }
}

void
acs_signal_post_tls_error (GstAcsSignal * self, const GError * err,
    const gchar * what)
{
  gchar *flags = NULL;

  if (self->tls_errors)
    flags = g_flags_to_string (G_TYPE_TLS_CERTIFICATE_FLAGS, self->tls_errors);
  acs_signal_post_controller_message (self, GST_MESSAGE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ_WRITE,
      g_strdup ("Could not verify the controller's TLS certificate"),
      g_strdup_printf ("%s: %s%s%s%s", what, err->message,
          flags ? " (" : "", flags ? flags : "", flags ? ")" : ""), 0,
      "tls", "tls", what);
  g_free (flags);
}

void
acs_signal_post_network_error (GstAcsSignal * self, GstMessageType type,
    const GError * err, const gchar * what)
{
  acs_signal_post_controller_message (self, type,
      GST_RESOURCE_ERROR_OPEN_READ_WRITE,
      g_strdup_printf ("Could not reach the controller"),
      g_strdup_printf ("%s: %s", what, err->message), 0, "network", "network",
      what);
}

void
acs_signal_post_element_message (GstAcsSignal * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
action_free (Action * a)
{
  if (a->promise) {
    /* Never leave the caller waiting */
    GError *err = g_error_new (ACS_ERROR, ACS_ERROR_UNSUPPORTED,
        "the request was dropped");

    gst_promise_reply (a->promise, gst_structure_new ("acs-signal-error",
            "status", G_TYPE_UINT, 0, "code", G_TYPE_STRING, "dropped",
            "message", G_TYPE_STRING, err->message, "error", G_TYPE_ERROR,
            err, NULL));
    g_error_free (err);
    gst_promise_unref (a->promise);
  }
  g_free (a->call_id);
  g_free (a->arg);
  wipe_free (a->sdp);
  g_clear_object (&a->msg);
  g_clear_object (&a->cancellable);
  g_free (a);
}

static void
action_reply (Action * a, GstStructure * s)
{
  if (a->promise) {
    gst_promise_reply (a->promise, s);
    g_clear_pointer (&a->promise, gst_promise_unref);
  } else {
    gst_structure_free (s);
  }
}

/* Replies to @a with an error; a refusal by the controller is also a
 * warning, unless it was already reported as an error */
static void
action_fail (Action * a, guint status, const gchar * code,
    const gchar * message, gboolean warn)
{
  GstAcsSignal *self = a->self;
  GError *err;
  const gchar *what = action_names[a->kind];

  GST_DEBUG_OBJECT (self, "%s failed: %u %s: %s", what, status, code, message);
  if (warn) {
    if (status)
      acs_signal_post_http_error (self, GST_MESSAGE_WARNING, status, code,
          message, what);
    else
      acs_signal_post_controller_message (self, GST_MESSAGE_WARNING,
          GST_RESOURCE_ERROR_FAILED, g_strdup_printf ("Could not %s", what),
          g_strdup_printf ("%s: %s: %s", what, code, message), 0, code,
          "local", what);
  }
  err = g_error_new (ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT, "%s: %s", code,
      message);
  action_reply (a, gst_structure_new ("acs-signal-error", "status",
          G_TYPE_UINT, status, "code", G_TYPE_STRING, code, "message",
          G_TYPE_STRING, message, "error", G_TYPE_ERROR, err, NULL));
  g_error_free (err);
}

/* ------------------------------------------------------------------------
 * Call state
 * ------------------------------------------------------------------------ */

/* Makes @call_id the current call (when not NULL) in @state; notifies and
 * posts acs-signal-state on a change. Element's thread, no lock held. */
void
acs_signal_update_call (GstAcsSignal * self, const gchar * call_id,
    GstAcsSignalCallState state)
{
  gboolean id_changed = FALSE, state_changed;
  gchar *id;

  GST_OBJECT_LOCK (self);
  if (call_id && g_strcmp0 (call_id, self->call_id) != 0) {
    g_free (self->call_id);
    self->call_id = g_strdup (call_id);
    id_changed = TRUE;
  }
  state_changed = id_changed || self->call_state != state;
  self->call_state = state;
  id = g_strdup (self->call_id);
  GST_OBJECT_UNLOCK (self);

  if (id_changed)
    g_object_notify_by_pspec (G_OBJECT (self), acs_signal_call_id_pspec);
  if (state_changed) {
    GST_INFO_OBJECT (self, "call %s: %s", GST_STR_NULL (id),
        call_state_nick (state));
    g_object_notify_by_pspec (G_OBJECT (self), acs_signal_call_state_pspec);
    acs_signal_post_element_message (self,
        gst_structure_new ("acs-signal-state", "call-id", G_TYPE_STRING, id,
            "state", G_TYPE_STRING, call_state_nick (state), NULL));
  }
  g_free (id);
}

gchar *
acs_signal_current_call (GstAcsSignal * self, GstAcsSignalCallState * state)
{
  gchar *id;

  GST_OBJECT_LOCK (self);
  id = g_strdup (self->call_id);
  if (state)
    *state = self->call_state;
  GST_OBJECT_UNLOCK (self);
  return id;
}

gboolean
acs_signal_state_in_progress (GstAcsSignalCallState state)
{
  return state == GST_ACS_SIGNAL_CALL_STATE_CALLING
      || state == GST_ACS_SIGNAL_CALL_STATE_RINGING
      || state == GST_ACS_SIGNAL_CALL_STATE_ACTIVE;
}

void
acs_signal_clear_candidates (GstAcsSignal * self)
{
  g_queue_clear_full (&self->candidates, (GDestroyNotify) local_candidate_free);
  g_queue_init (&self->candidates);
}

/* ------------------------------------------------------------------------
 * JSON helpers
 * ------------------------------------------------------------------------ */

JsonObject *
acs_signal_get_object (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

const gchar *
acs_signal_get_string (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_STRING)
    return json_node_get_string (n);
  return NULL;
}

gint64
acs_signal_get_int (JsonObject * o, const gchar * name, gint64 def)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_INT64)
    return json_node_get_int (n);
  return def;
}

gboolean
acs_signal_get_bool (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_BOOLEAN
      && json_node_get_boolean (n);
}

/* The JSON object in @data, or NULL */
JsonNode *
acs_signal_parse_object (const gchar * data, gsize len)
{
  JsonParser *parser;
  JsonNode *root = NULL;

  if (data == NULL || len == 0)
    return NULL;
  parser = json_parser_new_immutable ();
  if (json_parser_load_from_data (parser, data, len, NULL)) {
    JsonNode *n = json_parser_get_root (parser);

    if (n && JSON_NODE_HOLDS_OBJECT (n))
      root = json_node_ref (n);
  }
  g_object_unref (parser);
  return root;
}

static GBytes *
builder_to_bytes (JsonBuilder * builder)
{
  JsonGenerator *gen = json_generator_new ();
  JsonNode *root = json_builder_get_root (builder);
  gsize len;
  gchar *text;

  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (builder);
  return g_bytes_new_take (text, len);
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

static gboolean
on_accept_certificate (SoupMessage * msg, GTlsCertificate * cert,
    GTlsCertificateFlags errors, GstAcsSignal * self)
{
  gboolean ok = self->pinned && g_tls_certificate_is_same (cert, self->pinned);

  GST_DEBUG_OBJECT (self, "peer certificate: flags 0x%x, %s", errors,
      self->pinned ? (ok ? "the pinned one" : "not the pinned one") :
      "no pinned certificate");
  if (!ok)
    self->tls_errors = errors;
  return ok;
}

static void
on_network_event (SoupMessage * msg, GSocketClientEvent event,
    GIOStream * connection, GstAcsSignal * self)
{
  if (event == G_SOCKET_CLIENT_CONNECTING || event == G_SOCKET_CLIENT_COMPLETE)
    GST_DEBUG_OBJECT (self, "%s: new connection %s",
        g_uri_get_path (soup_message_get_uri (msg)),
        event == G_SOCKET_CLIENT_CONNECTING ? "connecting" : "ready");
  /* With a pinned certificate no CA may vouch for the controller: without
   * a database every handshake asks accept-certificate, which compares */
  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING && self->pinned
      && G_IS_TLS_CONNECTION (connection))
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), NULL);
}

SoupMessage *
acs_signal_new_message (GstAcsSignal * self, const gchar * method,
    const gchar * path, GBytes * body)
{
  gchar *uri = g_strconcat (self->base_uri, path, NULL);
  SoupMessage *msg = soup_message_new (method, uri);
  SoupMessageHeaders *headers;

  if (msg == NULL) {
    g_free (uri);
    return NULL;
  }
  GST_LOG_OBJECT (self, "%s %s", method, uri);
  g_free (uri);
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Authorization", self->auth);
  if (body)
    soup_message_set_request_body_from_bytes (msg, "application/json", body);
  g_signal_connect (msg, "accept-certificate",
      G_CALLBACK (on_accept_certificate), self);
  g_signal_connect (msg, "network-event", G_CALLBACK (on_network_event), self);
  self->tls_errors = 0;
  return msg;
}

static void
on_preconnected (GObject * source, GAsyncResult * res, gpointer user_data)
{
  GstAcsSignal *self = user_data;
  GError *err = NULL;

  if (soup_session_preconnect_finish (SOUP_SESSION (source), res, &err)) {
    GST_DEBUG_OBJECT (self, "requests' connection ready");
  } else {
    if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      GST_DEBUG_OBJECT (self, "requests' connection not made ahead: %s",
          err->message);
    g_error_free (err);
  }
  gst_object_unref (self);
}

/* Opens the requests' connection (TCP and TLS) ahead of the request that
 * needs it: at start, alongside the event stream's instead of after it,
 * and when a call comes in, alongside the ringing, in case the idle one
 * was closed meanwhile. Each handshake can lose a SYN (1 s on a lossy
 * path, docs/performance.md); made in parallel the waits overlap instead
 * of adding up. libsoup keeps the connection idle for the next request
 * and does nothing if one is idle already. Element's thread. */
void
acs_signal_preconnect (GstAcsSignal * self)
{
  SoupMessage *msg;

  if (self->session == NULL)
    return;
  msg = acs_signal_new_message (self, "GET", "/v1/ice-servers", NULL);
  if (msg == NULL)
    return;
  soup_session_preconnect_async (self->session, msg, G_PRIORITY_DEFAULT,
      self->cancellable, on_preconnected, gst_object_ref (self));
  g_object_unref (msg);
}

static void on_action_done (GObject * source, GAsyncResult * res,
    gpointer user_data);

static void
send_action (GstAcsSignal * self, Action * a, const gchar * method,
    const gchar * path, GBytes * body)
{
  a->msg = acs_signal_new_message (self, method, path, body);
  g_clear_pointer (&body, g_bytes_unref);
  if (a->msg == NULL) {
    action_fail (a, 0, "invalid_uri", "could not build the request URI", TRUE);
    action_free (a);
    return;
  }
  /* libsoup opens a new connection for every request it may not repeat
   * (a POST, RFC 9110 section 9.2.2), because it re-sends a request whose
   * kept-alive connection turns out closed. Ours may all be repeated: the
   * controller answers a repeated transition like the first, a repeated
   * candidate is one the peer's ICE agent already has, and a call placed
   * again with the same Idempotency-Key is the call the first request
   * placed (docs/protocol.md, "Repeated requests"). So they reuse the warm
   * TLS connection: no TCP and TLS handshake per request, which costs
   * round trips always and seconds when a SYN is lost. */
  if (a->kind == ACTION_PLACE_CALL) {
    gchar *key = g_uuid_string_random ();

    soup_message_headers_replace (soup_message_get_request_headers (a->msg),
        "Idempotency-Key", key);
    g_free (key);
  }
  soup_message_add_flags (a->msg, SOUP_MESSAGE_IDEMPOTENT);
  a->cancellable = g_object_ref (self->cancellable);
  self->n_pending++;
  soup_session_send_and_read_async (self->session, a->msg,
      G_PRIORITY_DEFAULT, a->cancellable, on_action_done, a);
}

static gchar *
call_path (const gchar * call_id, const gchar * what)
{
  gchar *escaped = g_uri_escape_string (call_id, NULL, FALSE);
  gchar *path = g_strdup_printf ("/v1/calls/%s%s%s", escaped,
      what ? "/" : "", what ? what : "");

  g_free (escaped);
  return path;
}

static void
send_call_action (GstAcsSignal * self, Action * a, const gchar * what,
    GBytes * body)
{
  gchar *path = call_path (a->call_id, what);

  send_action (self, a, "POST", path, body);
  g_free (path);
}

/* Runs in the element's thread */
gboolean
acs_signal_run_action (gpointer data)
{
  Action *a = data;
  GstAcsSignal *self = a->self;
  GstAcsSignalCallState state;
  JsonBuilder *b;

  if (self->session == NULL || g_cancellable_is_cancelled (self->cancellable)) {
    if (a->kind == ACTION_CANDIDATE || a->kind == ACTION_REFRESH)
      action_free (a);
    else {
      action_fail (a, 0, "not_running", "the element is not in PAUSED or "
          "PLAYING", TRUE);
      action_free (a);
    }
    return G_SOURCE_REMOVE;
  }

  switch (a->kind) {
    case ACTION_PLACE_CALL:{
      gchar *id = acs_signal_current_call (self, &state);

      g_free (id);
      if (self->placing || acs_signal_state_in_progress (state)) {
        action_fail (a, 0, "wrong_state", "a call is in progress", TRUE);
        action_free (a);
        break;
      }
      self->placing = TRUE;
      b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, "one-to-one");
      json_builder_set_member_name (b, "to");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "user");
      json_builder_add_string_value (b, a->arg);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "offer");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "sdp");
      json_builder_add_string_value (b, a->sdp);
      json_builder_end_object (b);
      json_builder_end_object (b);
      send_action (self, a, "POST", "/v1/calls", builder_to_bytes (b));
      break;
    }
    case ACTION_ICE_SERVERS:
      send_action (self, a, "GET", "/v1/ice-servers", NULL);
      break;
    case ACTION_CANDIDATE:
      /* Queued; a->arg NULL means end-of-candidates */
    {
      LocalCandidate *c = g_new0 (LocalCandidate, 1);

      c->candidate = g_steal_pointer (&a->arg);
      c->mline_index = a->mline_index;
      g_queue_push_tail (&self->candidates, c);
      action_free (a);
      pump_candidates (self);
    }
      break;
    case ACTION_DECLINE_BUSY:
      b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, "busy");
      json_builder_end_object (b);
      send_call_action (self, a, "decline", builder_to_bytes (b));
      break;
    default:{
      /* Actions on the current call */
      if (a->call_id == NULL)
        a->call_id = acs_signal_current_call (self, &state);
      if (a->call_id == NULL) {
        if (a->kind == ACTION_REFRESH)
          action_free (a);
        else {
          action_fail (a, 0, "no_call", "there is no current call", TRUE);
          action_free (a);
        }
        break;
      }
      switch (a->kind) {
        case ACTION_REFRESH:{
          gchar *path = call_path (a->call_id, NULL);

          send_action (self, a, "GET", path, NULL);
          g_free (path);
          break;
        }
        case ACTION_RING:
          send_call_action (self, a, "ringing", g_bytes_new_static ("{}", 2));
          break;
        case ACTION_ANSWER:
          b = json_builder_new ();
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "answer");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "sdp");
          json_builder_add_string_value (b, a->sdp);
          json_builder_end_object (b);
          json_builder_end_object (b);
          send_call_action (self, a, "answer", builder_to_bytes (b));
          break;
        case ACTION_DECLINE:
          b = json_builder_new ();
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "reason");
          json_builder_add_string_value (b, a->arg ? a->arg : "decline");
          json_builder_end_object (b);
          send_call_action (self, a, "decline", builder_to_bytes (b));
          break;
        case ACTION_CANCEL:
          send_call_action (self, a, "cancel", g_bytes_new_static ("{}", 2));
          break;
        case ACTION_HANG_UP:
          send_call_action (self, a, "hangup", g_bytes_new_static ("{}", 2));
          break;
        default:
          g_assert_not_reached ();
      }
      break;
    }
  }
  return G_SOURCE_REMOVE;
}

/* Hands @a to the element's thread, or fails it when the element has none.
 * Any thread. */
static void
enqueue_action (GstAcsSignal * self, Action * a)
{
  GMainContext *context = NULL;

  GST_OBJECT_LOCK (self);
  if (self->context)
    context = g_main_context_ref (self->context);
  GST_OBJECT_UNLOCK (self);

  if (context == NULL) {
    if (a->kind != ACTION_CANDIDATE && a->kind != ACTION_REFRESH)
      action_fail (a, 0, "not_running", "the element is not in PAUSED or "
          "PLAYING", TRUE);
    action_free (a);
    return;
  }
  GST_DEBUG_OBJECT (self, "queueing %s", action_names[a->kind]);
  g_main_context_invoke (context, acs_signal_run_action, a);
  g_main_context_unref (context);
}

static void
process_held_events (GstAcsSignal * self, const gchar * call_id)
{
  HeldEvent *ev;

  while ((ev = g_queue_pop_head (&self->held_events))) {
    if (g_strcmp0 (ev->call_id, call_id) == 0)
      acs_signal_dispatch_event (self, ev->type,
          json_node_get_object (ev->data));
    else
      GST_DEBUG_OBJECT (self, "dropping held %s of another call", ev->type);
    held_event_free (ev);
  }
}

static GstStructure *
ice_servers_reply (GstAcsSignal * self, guint status, JsonObject * root)
{
  GstStructure *s;
  JsonNode *list = json_object_get_member (root, "ice_servers");
  GValue turns = G_VALUE_INIT;
  gchar *stun = NULL;
  guint i, j;

  g_value_init (&turns, GST_TYPE_ARRAY);
  if (list && JSON_NODE_HOLDS_ARRAY (list)) {
    JsonArray *servers = json_node_get_array (list);

    for (i = 0; i < json_array_get_length (servers); i++) {
      JsonNode *sn = json_array_get_element (servers, i);
      JsonObject *server;
      JsonNode *urls;
      const gchar *username, *credential;
      gchar *user_enc, *cred_enc;

      if (!JSON_NODE_HOLDS_OBJECT (sn))
        continue;
      server = json_node_get_object (sn);
      urls = json_object_get_member (server, "urls");
      if (urls == NULL || !JSON_NODE_HOLDS_ARRAY (urls))
        continue;
      username = acs_signal_get_string (server, "username");
      credential = acs_signal_get_string (server, "credential");
      user_enc = username ? g_uri_escape_string (username, NULL, FALSE) : NULL;
      cred_enc = credential ? g_uri_escape_string (credential, NULL, FALSE) :
          NULL;
      for (j = 0; j < json_array_get_length (json_node_get_array (urls)); j++) {
        const gchar *url =
            json_array_get_string_element (json_node_get_array (urls), j);
        const gchar *rest;
        gchar *uri = NULL;
        AcsIceServer *parsed;

        if (url == NULL)
          continue;
        if (g_str_has_prefix (url, "stun:")) {
          rest = url + 5;
          if (g_str_has_prefix (rest, "//"))
            rest += 2;
          uri = g_strdup_printf ("stun://%s", rest);
        } else if ((g_str_has_prefix (url, "turn:")
                || g_str_has_prefix (url, "turns:")) && user_enc && cred_enc) {
          gboolean secure = url[4] == 's';

          rest = url + (secure ? 6 : 5);
          if (g_str_has_prefix (rest, "//"))
            rest += 2;
          uri = g_strdup_printf ("%s://%s:%s@%s", secure ? "turns" : "turn",
              user_enc, cred_enc, rest);
        }
        /* The URIs hold credentials: never quoted in the log */
        parsed = uri ? acs_ice_server_parse (uri, NULL) : NULL;
        if (parsed == NULL) {
          GST_WARNING_OBJECT (self, "ignoring an unusable ICE server URL");
        } else if (parsed->kind == ACS_ICE_SERVER_STUN) {
          if (stun == NULL)
            stun = g_steal_pointer (&uri);
        } else {
          GValue v = G_VALUE_INIT;

          g_value_init (&v, G_TYPE_STRING);
          g_value_take_string (&v, g_steal_pointer (&uri));
          gst_value_array_append_and_take_value (&turns, &v);
        }
        acs_ice_server_free (parsed);
        wipe_free (uri);
      }
      wipe_free (user_enc);
      wipe_free (cred_enc);
    }
  }
  GST_DEBUG_OBJECT (self, "ICE servers: %s STUN, %u TURN", stun ? "a" : "no",
      gst_value_array_get_size (&turns));
  s = gst_structure_new ("acs-signal-ice-servers", "status", G_TYPE_UINT,
      status, "ttl", G_TYPE_UINT, (guint) acs_signal_get_int (root, "ttl", 0),
      NULL);
  if (stun)
    gst_structure_set (s, "stun-server", G_TYPE_STRING, stun, NULL);
  g_free (stun);
  gst_structure_take_value (s, "turn-servers", &turns);
  return s;
}

void
acs_signal_emit_ended (GstAcsSignal * self, const gchar * call_id,
    JsonObject * call)
{
  const gchar *reason = acs_signal_get_string (call, "end_reason");
  guint sip = (guint) acs_signal_get_int (call, "sip_status", 0);

  if (g_strcmp0 (self->ended_call_id, call_id) == 0)
    return;
  g_free (self->ended_call_id);
  self->ended_call_id = g_strdup (call_id);
  acs_signal_clear_candidates (self);
  GST_INFO_OBJECT (self, "call %s ended: %s (%u)", call_id,
      GST_STR_NULL (reason), sip);
  acs_signal_post_element_message (self, gst_structure_new ("acs-signal-ended",
          "call-id", G_TYPE_STRING, call_id, "end-reason", G_TYPE_STRING,
          reason ? reason : "", "sip-status", G_TYPE_UINT, sip, NULL));
  g_signal_emit (self, acs_signal_signals[SIGNAL_ON_ENDED], 0, call_id,
      reason ? reason : "", sip);
}

/* The request of @a succeeded with @root (NULL when the body was empty) */
static void
action_succeeded (Action * a, guint status, JsonObject * root)
{
  GstAcsSignal *self = a->self;
  JsonObject *call = root;
  const gchar *id = acs_signal_get_string (call, "id");
  GstAcsSignalCallState state = GST_ACS_SIGNAL_CALL_STATE_IDLE;
  gchar *current;

  switch (a->kind) {
    case ACTION_ICE_SERVERS:
      action_reply (a, ice_servers_reply (self, status, root));
      return;
    case ACTION_CANDIDATE:
      self->candidate_in_flight = FALSE;
      pump_candidates (self);
      return;
    case ACTION_DECLINE_BUSY:
      return;
    case ACTION_PLACE_CALL:
      self->placing = FALSE;
      if (id == NULL
          || !acs_signal_call_state_from_string (acs_signal_get_string (call,
                  "state"), &state)) {
        g_queue_clear_full (&self->held_events,
            (GDestroyNotify) held_event_free);
        g_queue_init (&self->held_events);
        action_fail (a, status, "invalid_response",
            "the controller's reply has no call", TRUE);
        return;
      }
      g_clear_pointer (&self->ended_call_id, g_free);
      acs_signal_update_call (self, id, state);
      action_reply (a, gst_structure_new ("acs-signal-reply", "status",
              G_TYPE_UINT, status, "call-id", G_TYPE_STRING, id, "state",
              G_TYPE_STRING, call_state_nick (state), NULL));
      /* Events that came before the reply, then the waiting candidates */
      process_held_events (self, id);
      pump_candidates (self);
      return;
    default:
      break;
  }

  /* A call object from an action on the current call, or a refresh */
  current = acs_signal_current_call (self, NULL);
  if (id && g_strcmp0 (id, current) == 0
      && acs_signal_call_state_from_string (acs_signal_get_string (call,
              "state"), &state)) {
    acs_signal_update_call (self, NULL, state);
    if (state == GST_ACS_SIGNAL_CALL_STATE_ENDED) {
      if (a->kind == ACTION_REFRESH)
        acs_signal_emit_ended (self, id, call);
      else
        acs_signal_clear_candidates (self);
    }
    if (a->kind == ACTION_REFRESH) {
      JsonObject *caller = acs_signal_get_object (call, "caller");
      const gchar *caller_user = acs_signal_get_string (caller, "user");

      GST_OBJECT_LOCK (self);
      if (caller_user && g_strcmp0 (caller_user, self->user) != 0) {
        g_free (self->peer);
        self->peer = g_strdup (caller_user);
      }
      GST_OBJECT_UNLOCK (self);
    }
  }
  if (a->kind == ACTION_ANSWER)
    pump_candidates (self);
  action_reply (a, gst_structure_new ("acs-signal-reply", "status",
          G_TYPE_UINT, status, "call-id", G_TYPE_STRING, a->call_id,
          "state", G_TYPE_STRING,
          acs_signal_call_state_from_string (acs_signal_get_string (call,
                  "state"), &state) ? call_state_nick (state) : "", NULL));
  g_free (current);
}

static void
on_action_done (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Action *a = user_data;
  GstAcsSignal *self = a->self;
  GError *err = NULL;
  GBytes *bytes;
  guint status;
  JsonNode *root = NULL;
  JsonObject *obj, *error_obj;
  const gchar *code, *message;
  gboolean stopped;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &err);
  self->n_pending--;
  stopped = g_cancellable_is_cancelled (a->cancellable);

  if (bytes == NULL) {
    if (stopped) {
      action_fail (a, 0, "cancelled", "the element stopped", FALSE);
    } else if (acs_signal_is_tls_failure (self, err)) {
      acs_signal_post_tls_error (self, err, action_names[a->kind]);
      action_fail (a, 0, "tls", err->message, FALSE);
    } else {
      action_fail (a, 0, "network", err->message,
          a->kind != ACTION_DECLINE_BUSY);
    }
    goto done;
  }
  if (stopped) {
    action_fail (a, 0, "cancelled", "the element stopped", FALSE);
    goto done;
  }

  status = soup_message_get_status (a->msg);
  if (g_bytes_get_size (bytes) <= MAX_BODY_SIZE)
    root = acs_signal_parse_object (g_bytes_get_data (bytes, NULL),
        g_bytes_get_size (bytes));
  obj = root ? json_node_get_object (root) : NULL;
  GST_DEBUG_OBJECT (self, "%s: HTTP %u", action_names[a->kind], status);

  if (status >= 200 && status < 300) {
    action_succeeded (a, status, obj);
    goto done;
  }

  error_obj = acs_signal_get_object (obj, "error");
  code = acs_signal_get_string (error_obj, "code");
  message = acs_signal_get_string (error_obj, "message");
  if (code == NULL)
    code = "http";
  if (message == NULL)
    message = soup_message_get_reason_phrase (a->msg);
  if (message == NULL)
    message = "";

  /* An unusable token stops everything; other refusals concern this action */
  if (status == 401) {
    acs_signal_post_http_error (self, GST_MESSAGE_ERROR, status, code, message,
        action_names[a->kind]);
    action_fail (a, status, code, message, FALSE);
  } else {
    action_fail (a, status, code, message, a->kind != ACTION_REFRESH);
  }

  switch (a->kind) {
    case ACTION_PLACE_CALL:
      self->placing = FALSE;
      g_queue_clear_full (&self->held_events, (GDestroyNotify) held_event_free);
      g_queue_init (&self->held_events);
      acs_signal_clear_candidates (self);
      break;
    case ACTION_CANDIDATE:
      self->candidate_in_flight = FALSE;
      /* The call is gone: so are its candidates */
      if (status == 404 || status == 409 || status == 403)
        acs_signal_clear_candidates (self);
      pump_candidates (self);
      break;
    default:
      break;
  }

done:
  if (bytes == NULL || stopped) {
    if (a->kind == ACTION_PLACE_CALL && !stopped)
      self->placing = FALSE;
    if (a->kind == ACTION_CANDIDATE && !stopped) {
      self->candidate_in_flight = FALSE;
      pump_candidates (self);
    }
  }
  g_clear_pointer (&root, json_node_unref);
  g_clear_pointer (&bytes, g_bytes_unref);
  g_clear_error (&err);
  action_free (a);
}

/* Posts the next queued local candidate, one at a time, once the call has
 * an id. Element's thread. */
static void
pump_candidates (GstAcsSignal * self)
{
  LocalCandidate *c;
  GstAcsSignalCallState state;
  gchar *call_id;
  JsonBuilder *b;
  Action *a;

  if (self->candidate_in_flight || g_queue_is_empty (&self->candidates)
      || self->session == NULL)
    return;
  call_id = acs_signal_current_call (self, &state);
  if (call_id == NULL || self->placing
      || state == GST_ACS_SIGNAL_CALL_STATE_IDLE) {
    g_free (call_id);
    return;
  }
  if (state == GST_ACS_SIGNAL_CALL_STATE_ENDED) {
    GST_DEBUG_OBJECT (self, "call ended: dropping %u local candidates",
        g_queue_get_length (&self->candidates));
    acs_signal_clear_candidates (self);
    g_free (call_id);
    return;
  }

  /* What was gathered while the previous request was out goes in one
   * request (docs/protocol.md 3.2: a batch of 1 to 128 entries and the end
   * of candidates); a lone candidate keeps the one-candidate body */
  b = json_builder_new ();
  json_builder_begin_object (b);
  if (g_queue_get_length (&self->candidates) == 1) {
    c = g_queue_pop_head (&self->candidates);
    if (c->candidate) {
      json_builder_set_member_name (b, "candidate");
      json_builder_add_string_value (b, c->candidate);
      json_builder_set_member_name (b, "mline_index");
      json_builder_add_int_value (b, c->mline_index);
    } else {
      json_builder_set_member_name (b, "end_of_candidates");
      json_builder_add_boolean_value (b, TRUE);
    }
    local_candidate_free (c);
  } else {
    guint n = 0;
    gboolean end = FALSE;

    json_builder_set_member_name (b, "candidates");
    json_builder_begin_array (b);
    while (n < MAX_CANDIDATE_BATCH && !end
        && (c = g_queue_pop_head (&self->candidates)) != NULL) {
      if (c->candidate) {
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "candidate");
        json_builder_add_string_value (b, c->candidate);
        json_builder_set_member_name (b, "mline_index");
        json_builder_add_int_value (b, c->mline_index);
        json_builder_end_object (b);
        n++;
      } else {
        end = TRUE;
      }
      local_candidate_free (c);
    }
    json_builder_end_array (b);
    if (end) {
      json_builder_set_member_name (b, "end_of_candidates");
      json_builder_add_boolean_value (b, TRUE);
    }
    GST_DEBUG_OBJECT (self, "posting %u candidates%s in one request", n,
        end ? " and the end of candidates" : "");
  }
  json_builder_end_object (b);

  a = g_new0 (Action, 1);
  a->self = self;
  a->kind = ACTION_CANDIDATE;
  a->call_id = call_id;
  self->candidate_in_flight = TRUE;
  send_call_action (self, a, "candidates", builder_to_bytes (b));
}

/* ------------------------------------------------------------------------
 * Action signal handlers: any thread
 * ------------------------------------------------------------------------ */

Action *
acs_signal_action_new (GstAcsSignal * self, ActionKind kind,
    GstPromise * promise)
{
  Action *a = g_new0 (Action, 1);

  a->self = self;
  a->kind = kind;
  if (promise)
    a->promise = gst_promise_ref (promise);
  return a;
}

static void
gst_acs_signal_place_call (GstAcsSignal * self, const gchar * peer,
    const gchar * offer, GstPromise * promise)
{
  Action *a = acs_signal_action_new (self, ACTION_PLACE_CALL, promise);

  if (peer && *peer) {
    a->arg = g_strdup (peer);
  } else {
    GST_OBJECT_LOCK (self);
    a->arg = g_strdup (self->peer);
    GST_OBJECT_UNLOCK (self);
  }
  if (a->arg == NULL || offer == NULL || *offer == '\0') {
    action_fail (a, 0, "invalid_argument", a->arg == NULL ?
        "no user to call (peer)" : "no offer", TRUE);
    action_free (a);
    return;
  }
  a->sdp = g_strdup (offer);
  enqueue_action (self, a);
}

static void
gst_acs_signal_ring (GstAcsSignal * self, GstPromise * promise)
{
  enqueue_action (self, acs_signal_action_new (self, ACTION_RING, promise));
}

static void
gst_acs_signal_answer (GstAcsSignal * self, const gchar * answer,
    GstPromise * promise)
{
  Action *a = acs_signal_action_new (self, ACTION_ANSWER, promise);

  if (answer == NULL || *answer == '\0') {
    action_fail (a, 0, "invalid_argument", "no answer", TRUE);
    action_free (a);
    return;
  }
  a->sdp = g_strdup (answer);
  enqueue_action (self, a);
}

static void
gst_acs_signal_decline (GstAcsSignal * self, const gchar * reason,
    GstPromise * promise)
{
  Action *a = acs_signal_action_new (self, ACTION_DECLINE, promise);

  if (reason && *reason && strcmp (reason, "busy") != 0
      && strcmp (reason, "decline") != 0
      && strcmp (reason, "unavailable") != 0) {
    action_fail (a, 0, "invalid_argument",
        "the reason must be busy, decline or unavailable", TRUE);
    action_free (a);
    return;
  }
  a->arg = reason && *reason ? g_strdup (reason) : NULL;
  enqueue_action (self, a);
}

static void
gst_acs_signal_cancel (GstAcsSignal * self, GstPromise * promise)
{
  enqueue_action (self, acs_signal_action_new (self, ACTION_CANCEL, promise));
}

static void
gst_acs_signal_hang_up (GstAcsSignal * self, GstPromise * promise)
{
  enqueue_action (self, acs_signal_action_new (self, ACTION_HANG_UP, promise));
}

static void
gst_acs_signal_add_local_candidate (GstAcsSignal * self, guint mline_index,
    const gchar * candidate)
{
  Action *a = acs_signal_action_new (self, ACTION_CANDIDATE, NULL);

  if (candidate && g_str_has_prefix (candidate, "a="))
    candidate += 2;
  if (candidate && *candidate && !g_str_has_prefix (candidate, "candidate:")) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Ignoring a malformed local candidate"),
        ("a candidate must start with 'candidate:'"));
    action_free (a);
    return;
  }
  a->arg = candidate && *candidate ? g_strdup (candidate) : NULL;
  a->mline_index = mline_index;
  enqueue_action (self, a);
}

static void
gst_acs_signal_get_ice_servers (GstAcsSignal * self, GstPromise * promise)
{
  enqueue_action (self, acs_signal_action_new (self, ACTION_ICE_SERVERS,
          promise));
}

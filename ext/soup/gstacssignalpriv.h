/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: acssignal's private state, shared by gstacssignal.c (element,
 * properties, actions) and gstacssignalstream.c (the event stream) */

#ifndef __GST_ACS_SIGNAL_PRIV_H__
#define __GST_ACS_SIGNAL_PRIV_H__

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "gstacssignal.h"
#include "gstacssse.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_acs_signal_debug);

/* The controller sends a heartbeat every 15 s: three missed ones mean the
 * connection is gone (libsoup's I/O timeout, in seconds) */
#define IO_TIMEOUT_S 45
#define MAX_RECONNECT_DELAY_MS 30000
#define MAX_BODY_SIZE (64 * 1024)
/* Events for a call being placed, received before its id is known */
#define MAX_HELD_EVENTS 64
/* Connections to the controller: the event stream and the requests */
#define MAX_CONNECTIONS 2
/* At most this many candidates in one request (the controller's limit) */
#define MAX_CANDIDATE_BATCH 128
enum
{
  SIGNAL_ON_INCOMING,
  SIGNAL_ON_RINGING,
  SIGNAL_ON_ANSWERED,
  SIGNAL_ON_REMOTE_CANDIDATE,
  SIGNAL_ON_ENDED,
  SIGNAL_PLACE_CALL,
  SIGNAL_RING,
  SIGNAL_ANSWER,
  SIGNAL_DECLINE,
  SIGNAL_CANCEL,
  SIGNAL_HANG_UP,
  SIGNAL_ADD_LOCAL_CANDIDATE,
  SIGNAL_GET_ICE_SERVERS,
  LAST_SIGNAL
};
typedef enum
{
  ACTION_PLACE_CALL,
  ACTION_RING,
  ACTION_ANSWER,
  ACTION_DECLINE,
  ACTION_CANCEL,
  ACTION_HANG_UP,
  ACTION_CANDIDATE,
  ACTION_ICE_SERVERS,
  ACTION_REFRESH,
  ACTION_DECLINE_BUSY,
} ActionKind;
typedef struct _Stream Stream;

struct _GstAcsSignal
{
  GstElement element;

  /* Protected by GST_OBJECT_LOCK */
  gchar *controller;
  gchar *token;                 /* secret: never logged, wiped */
  gchar *user;
  gchar *tls_ca_file;
  gchar *tls_pinned_certificate;
  gchar *peer;
  gchar *call_id;
  GstAcsSignalCallState call_state;
  guint reconnect_interval;
  GMainContext *context;        /* from NULL->READY to READY->NULL */
  GCancellable *run_cancellable;        /* from READY->PAUSED to PAUSED->READY */

  /* Only touched by change_state (under the state lock) */
  GMainLoop *loop;
  GThread *thread;

  /* Only touched from the element's thread */
  SoupSession *session;
  GCancellable *cancellable;
  gchar *base_uri;
  gchar *auth;                  /* "Bearer <token>": secret, wiped */
  GTlsCertificate *pinned;
  guint interval;
  Stream *stream;
  GSource *reconnect_source;
  guint attempts;
  gboolean ever_connected;
  gchar *last_event_id;
  gint64 server_retry;
  guint n_pending;
  gboolean placing;
  GQueue held_events;           /* HeldEvent, while placing */
  GQueue candidates;            /* LocalCandidate, to post in order */
  gboolean candidate_in_flight;
  gchar *ended_call_id;         /* on-ended was emitted for this call */
  GTlsCertificateFlags tls_errors;
};
/* One request of an action, from the signal to the reply */
typedef struct
{
  GstAcsSignal *self;
  ActionKind kind;
  gchar *call_id;
  gchar *arg;                   /* peer, answer SDP, reason, candidate */
  gchar *sdp;                   /* offer SDP of place-call */
  guint mline_index;
  GstPromise *promise;
  SoupMessage *msg;
  GCancellable *cancellable;
} Action;

/* One connection of the event stream */
struct _Stream
{
  GstAcsSignal *self;
  SoupMessage *msg;
  GCancellable *cancellable;
  GDataInputStream *data;
  GInputStream *body;
  GByteArray *error_body;
  GstAcsSseParser parser;
};

typedef struct
{
  gchar *type;
  JsonNode *data;
  gchar *call_id;
} HeldEvent;

typedef struct
{
  gchar *candidate;             /* NULL: end of candidates */
  guint mline_index;
} LocalCandidate;

extern guint acs_signal_signals[LAST_SIGNAL];
extern GParamSpec *acs_signal_call_state_pspec;
extern GParamSpec *acs_signal_call_id_pspec;
extern GParamSpec *acs_signal_peer_pspec;

/* gstacssignal.c */
JsonObject *acs_signal_get_object (JsonObject * o, const gchar * name);
const gchar *acs_signal_get_string (JsonObject * o, const gchar * name);
gint64 acs_signal_get_int (JsonObject * o, const gchar * name, gint64 def);
gboolean acs_signal_get_bool (JsonObject * o, const gchar * name);
JsonNode *acs_signal_parse_object (const gchar * data, gsize len);
void acs_signal_post_element_message (GstAcsSignal * self, GstStructure * s);
void acs_signal_post_controller_message (GstAcsSignal * self,
    GstMessageType type, GstResourceError code, gchar * text, gchar * debug,
    guint status, const gchar * err_code, const gchar * reason,
    const gchar * action);
void acs_signal_post_http_error (GstAcsSignal * self, GstMessageType type,
    guint status, const gchar * err_code, const gchar * message,
    const gchar * what);
gboolean acs_signal_is_tls_failure (GstAcsSignal * self, const GError * err);
void acs_signal_post_tls_error (GstAcsSignal * self, const GError * err,
    const gchar * what);
void acs_signal_post_network_error (GstAcsSignal * self, GstMessageType type,
    const GError * err, const gchar * what);
void acs_signal_update_call (GstAcsSignal * self, const gchar * call_id,
    GstAcsSignalCallState state);
gchar *acs_signal_current_call (GstAcsSignal * self,
    GstAcsSignalCallState * state);
gboolean acs_signal_state_in_progress (GstAcsSignalCallState state);
gboolean acs_signal_call_state_from_string (const gchar * s,
    GstAcsSignalCallState * state);
void acs_signal_clear_candidates (GstAcsSignal * self);
SoupMessage *acs_signal_new_message (GstAcsSignal * self,
    const gchar * method, const gchar * path, GBytes * body);
void acs_signal_preconnect (GstAcsSignal * self);
Action *acs_signal_action_new (GstAcsSignal * self, ActionKind kind,
    GstPromise * promise);
gboolean acs_signal_run_action (gpointer data);
void acs_signal_emit_ended (GstAcsSignal * self, const gchar * call_id,
    JsonObject * call);

/* gstacssignalstream.c */
void acs_signal_stream_connect (GstAcsSignal * self);
void acs_signal_stream_free (Stream * s);
void acs_signal_dispatch_event (GstAcsSignal * self, const gchar * type,
    JsonObject * data);

G_END_DECLS

#endif /* __GST_ACS_SIGNAL_PRIV_H__ */

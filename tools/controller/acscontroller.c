/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: the HTTP API
 *
 * The REST API of docs/protocol.md on a libsoup 3 server, in one
 * single-threaded GLib main loop. A request goes: route (404, 405),
 * token (401, 403 without the `call` scope), body (413, 415, 400), call
 * (404, 403 for non-parties), state machine (403 for the wrong party,
 * 409), fields (400), and only then changes anything: a refused request
 * leaves the call as it was. Calls live in an #AcsCallStore, events in
 * the #AcsEventHub, timers (invite, ring, session expiry of active calls,
 * retention of ended calls) here.
 *
 * Logs: one line per request (method, path template, status, latency,
 * user) and one per call state change; never a token, an SDP or a TURN
 * credential. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acscontroller.h"

#include "acscall.h"
#include "acscallstore.h"
#include "acseventhub.h"
#include "acsjson.h"
#include "acslog.h"
#include "acsmetrics.h"
#include "acsrequest.h"
#include "acstimerqueue.h"

#include <acs/acstoken.h>
#include <acs/acsturncreds.h>
#include <libsoup/soup.h>

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* Verified tokens kept; the cache is emptied when full */
#define TOKEN_CACHE_SIZE 4096

#define BODY_KEY "acs-request-body"
#define SHUTDOWN_DRAIN_MS 800
#define BODY_OVERFLOW_KEY "acs-request-body-overflow"
/* libsoup listens with GSocket's default backlog of 10: a burst of new
 * connections (hundreds of clients connecting at once) overflows the
 * accept queue and stalls them for seconds of SYN retransmissions */
#define LISTEN_BACKLOG 4096
#define USER_TIMEOUT_MS 30000

struct _AcsController
{
  AcsControllerConfig config;   /* strings point to the fields below */
  gchar *listen_address;
  gchar **stun_uris;
  gchar **turn_uris;

  SoupServer *server;
  AcsCallStore *store;
  AcsEventHub *hub;
  AcsMetrics *metrics;
  AcsTimerQueue *timers;        /* one per call, by call id */
  GHashTable *token_cache;      /* verified token -> AcsTokenClaims */
  GQuark sockopts_quark;        /* set on a GSocket once configured */
};

typedef enum
{
  ROUTE_HEALTH,
  ROUTE_METRICS,
  ROUTE_EVENTS,
  ROUTE_ICE_SERVERS,
  ROUTE_CALLS,
  ROUTE_CALL,
  ROUTE_CALL_EVENTS,
  ROUTE_CALL_ACTION,
  ROUTE_CALL_DECLINE,
  ROUTE_CALL_CANDIDATES,
  ROUTE_CALL_REFRESH,
} RouteKind;

typedef struct
{
  RouteKind kind;
  const gchar *method;
  const gchar *template;
  AcsCallAction action;         /* ROUTE_CALL_ACTION */
  gchar *call_id;
} Route;

/* One request being answered */
typedef struct
{
  AcsController *self;
  SoupServerMessage *msg;
  const gchar *method;
  const gchar *template;
  gchar *user;                  /* the token's subject, once verified */
  const gchar *error_code;
  gint64 start;
} Request;

static const struct
{
  const gchar *name;
  AcsCallAction action;
} call_actions[] = {
  {"ringing", ACS_CALL_ACTION_RINGING},
  {"answer", ACS_CALL_ACTION_ANSWER},
  {"cancel", ACS_CALL_ACTION_CANCEL},
  {"hangup", ACS_CALL_ACTION_HANGUP},
};

static const gchar *const action_templates[] = {
  "/v1/calls/{id}/ringing", "/v1/calls/{id}/answer",
  "/v1/calls/{id}/cancel", "/v1/calls/{id}/hangup",
};

static void arm_call_timer (AcsController * self, AcsCall * call);

/* Routing */

static void
set_route (Route * route, RouteKind kind, const gchar * method,
    const gchar * template)
{
  route->kind = kind;
  route->method = method;
  route->template = template;
}

static gboolean
route_match (const gchar * path, Route * route)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", 6);
  guint n = g_strv_length (parts), i;

  memset (route, 0, sizeof (*route));
  if (n < 2 || parts[0][0] != '\0')
    return FALSE;
  if (n == 2 && strcmp (parts[1], "metrics") == 0) {
    set_route (route, ROUTE_METRICS, "GET", "/metrics");
    return TRUE;
  }
  if (strcmp (parts[1], "v1") != 0 || n < 3)
    return FALSE;
  if (n == 3) {
    if (strcmp (parts[2], "health") == 0)
      set_route (route, ROUTE_HEALTH, "GET", "/v1/health");
    else if (strcmp (parts[2], "events") == 0)
      set_route (route, ROUTE_EVENTS, "GET", "/v1/events");
    else if (strcmp (parts[2], "ice-servers") == 0)
      set_route (route, ROUTE_ICE_SERVERS, "GET", "/v1/ice-servers");
    else if (strcmp (parts[2], "calls") == 0)
      set_route (route, ROUTE_CALLS, "POST", "/v1/calls");
    else
      return FALSE;
    return TRUE;
  }
  if (strcmp (parts[2], "calls") != 0 || parts[3][0] == '\0' || n > 5)
    return FALSE;
  if (n == 4) {
    set_route (route, ROUTE_CALL, "GET", "/v1/calls/{id}");
  } else if (strcmp (parts[4], "events") == 0) {
    set_route (route, ROUTE_CALL_EVENTS, "GET", "/v1/calls/{id}/events");
  } else if (strcmp (parts[4], "decline") == 0) {
    set_route (route, ROUTE_CALL_DECLINE, "POST", "/v1/calls/{id}/decline");
  } else if (strcmp (parts[4], "candidates") == 0) {
    set_route (route, ROUTE_CALL_CANDIDATES, "POST",
        "/v1/calls/{id}/candidates");
  } else if (strcmp (parts[4], "refresh") == 0) {
    set_route (route, ROUTE_CALL_REFRESH, "POST", "/v1/calls/{id}/refresh");
  } else {
    for (i = 0; i < G_N_ELEMENTS (call_actions); i++) {
      if (strcmp (parts[4], call_actions[i].name) == 0) {
        set_route (route, ROUTE_CALL_ACTION, "POST", action_templates[i]);
        route->action = call_actions[i].action;
        break;
      }
    }
    if (i == G_N_ELEMENTS (call_actions))
      return FALSE;
  }
  route->call_id = g_strdup (parts[3]);
  return TRUE;
}

/* Responses */

/* Takes @text */
static void
respond_string (Request * req, guint status, GString * text)
{
  gsize len = text->len;

  soup_server_message_set_status (req->msg, status, NULL);
  soup_server_message_set_response (req->msg, "application/json",
      SOUP_MEMORY_TAKE, g_string_free (text, FALSE), len);
}

static void
respond_error_on (SoupServerMessage * msg, const AcsApiError * error)
{
  gchar *text = acs_api_error_to_json (error);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, error->status, NULL);
  if (error->status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (headers, "WWW-Authenticate",
        "Bearer realm=\"acs-controller\"");
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, text, strlen (text));
}

/* Takes @error */
static void
respond_error (Request * req, AcsApiError * error)
{
  respond_error_on (req->msg, error);
  req->error_code = g_intern_string (error->code);
  acs_api_error_free (error);
}

static void
log_request (AcsController * self, SoupServerMessage * msg,
    const gchar * method, const gchar * template, const gchar * user,
    const gchar * error_code, gint64 start)
{
  gdouble seconds = (g_get_monotonic_time () - start) / (gdouble)
      G_USEC_PER_SEC;
  guint status = soup_server_message_get_status (msg);

  gint64 us = (gint64) (seconds * G_USEC_PER_SEC);
  gchar frac[4];
  GString *line;

  acs_metrics_observe_request (self->metrics, method, template, status,
      seconds);
  /* request method=M path=P status=S latency_ms=N.NNN user=U [error=E] */
  line = acs_log_begin ();
  acs_json_append_literal (line, "request method=");
  g_string_append (line, method);
  acs_json_append_literal (line, " path=");
  g_string_append (line, template);
  acs_json_append_literal (line, " status=");
  acs_json_append_int (line, status);
  acs_json_append_literal (line, " latency_ms=");
  acs_json_append_int (line, us / 1000);
  frac[0] = '.';
  frac[1] = '0' + us % 1000 / 100;
  frac[2] = '0' + us % 100 / 10;
  frac[3] = '0' + us % 10;
  g_string_append_len (line, frac, 4);
  acs_json_append_literal (line, " user=");
  g_string_append (line, user ? user : "-");
  if (error_code) {
    acs_json_append_literal (line, " error=");
    g_string_append (line, error_code);
  }
  acs_log_end (line);
}

/* Calls and events */

/* The data of an event about @call: the call object and, for
 * @sdp_member, its session description */
static gchar *
call_event_data (AcsCall * call, const gchar * sdp_member, const gchar * sdp)
{
  GString *s = g_string_sized_new (320 + (sdp ? strlen (sdp) + 64 : 0));

  acs_json_append_literal (s, "{\"call\":");
  acs_call_append_json (call, s);
  if (sdp_member != NULL) {
    g_string_append_c (s, ',');
    acs_json_append_string (s, sdp_member);
    acs_json_append_literal (s, ":{\"sdp\":");
    acs_json_append_string (s, sdp);
    g_string_append_c (s, '}');
  }
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

static void
publish_call_event (AcsController * self, AcsCall * call,
    const gchar * user, const gchar * type, const gchar * sdp_member,
    const gchar * sdp)
{
  g_autofree gchar *data = call_event_data (call, sdp_member, sdp);

  acs_event_hub_publish (self->hub, user, call->id, type, data);
}

static gchar *
candidate_event_data (const AcsCall * call,
    const AcsCandidateRequest * candidate)
{
  GString *s = g_string_sized_new (96 + (candidate->candidate ?
          strlen (candidate->candidate) : 0));

  acs_json_append_literal (s, "{\"call_id\":");
  acs_json_append_string (s, call->id);
  if (candidate->end_of_candidates) {
    acs_json_append_literal (s, ",\"end_of_candidates\":true}");
  } else {
    acs_json_append_literal (s, ",\"candidate\":");
    acs_json_append_string (s, candidate->candidate);
    acs_json_append_literal (s, ",\"mline_index\":");
    acs_json_append_int (s, candidate->mline_index);
    g_string_append_c (s, '}');
  }
  return g_string_free (s, FALSE);
}

/* Applies a transition already checked, stores the call, arms its next
 * timer and sends the events of its new state. */
static void
apply_transition (AcsController * self, AcsCall * call, AcsCallAction action,
    AcsCallRole role)
{
  GString *line;
  guint i;

  if (acs_call_transition (call, action, role,
          g_get_real_time () / G_USEC_PER_SEC) != ACS_CALL_TRANSITION_OK) {
    g_warn_if_reached ();
    return;
  }
  if (call->state == ACS_CALL_STATE_ACTIVE)
    call->caller_seen = call->callee_seen = g_get_monotonic_time ();
  acs_call_store_put (self->store, call);
  arm_call_timer (self, call);
  line = acs_log_begin ();
  acs_json_append_literal (line, "call id=");
  g_string_append (line, call->id);
  acs_json_append_literal (line, " action=");
  g_string_append (line, acs_call_action_to_string (action));
  acs_json_append_literal (line, " state=");
  g_string_append (line, acs_call_state_to_string (call->state));
  acs_json_append_literal (line, " sip_status=");
  acs_json_append_int (line, call->sip_status);
  if (call->end_reason) {
    acs_json_append_literal (line, " end_reason=");
    g_string_append (line, call->end_reason);
  }
  acs_log_end (line);

  switch (call->state) {
    case ACS_CALL_STATE_RINGING:
      publish_call_event (self, call, call->caller, "call.ringing", NULL, NULL);
      break;
    case ACS_CALL_STATE_ACTIVE:
      acs_metrics_call_setup (self->metrics);
      publish_call_event (self, call, call->caller, "call.answered",
          "answer", call->answer_sdp);
      /* The caller has the answer now: the callee's early candidates */
      for (i = 0; i < call->held_for_caller->len; i++)
        acs_event_hub_publish (self->hub, call->caller, call->id,
            "call.candidate", g_ptr_array_index (call->held_for_caller, i));
      g_ptr_array_set_size (call->held_for_caller, 0);
      break;
    case ACS_CALL_STATE_ENDED:
      if (call->answered == 0)
        acs_metrics_call_failure (self->metrics, call->end_reason);
      g_ptr_array_set_size (call->held_for_caller, 0);
      {
        g_autofree gchar *data = call_event_data (call, NULL, NULL);

        acs_event_hub_publish (self->hub, call->caller, call->id, "call.ended",
            data);
        acs_event_hub_publish (self->hub, call->callee, call->id, "call.ended",
            data);
        break;
      }
    case ACS_CALL_STATE_CALLING:
      break;
  }
}

static void
forget_call (AcsController * self, AcsCall * call)
{
  const gchar *users[] = { call->caller, call->callee, NULL };

  g_info ("call id=%s forgotten", call->id);
  acs_event_hub_forget_call (self->hub, call->id, users);
  acs_call_store_remove (self->store, call->id);
}

/* The session timer of an active call: a party is seen at its requests on
 * the call (lookup_call()) and while it has an event stream open */
static gint64
party_seen (AcsController * self, const gchar * user, gint64 seen, gint64 now)
{
  return MAX (seen, acs_event_hub_get_user_seen (self->hub, user, now));
}

/* Returns when the session of active @call expires, monotonic us */
static gint64
session_deadline (AcsController * self, AcsCall * call, gint64 now)
{
  gint64 caller = party_seen (self, call->caller, call->caller_seen, now);
  gint64 callee = party_seen (self, call->callee, call->callee_seen, now);

  return MIN (caller, callee) + self->config.session_expires_ms * (gint64) 1000;
}

static void
on_call_timer (const gchar * call_id, gpointer user_data)
{
  AcsController *self = user_data;
  AcsCall *call = acs_call_store_get (self->store, call_id);
  gint64 now, deadline;

  if (call == NULL)
    return;

  switch (call->state) {
    case ACS_CALL_STATE_CALLING:
      apply_transition (self, call, ACS_CALL_ACTION_INVITE_TIMEOUT,
          ACS_CALL_ROLE_CONTROLLER);
      break;
    case ACS_CALL_STATE_RINGING:
      apply_transition (self, call, ACS_CALL_ACTION_RING_TIMEOUT,
          ACS_CALL_ROLE_CONTROLLER);
      break;
    case ACS_CALL_STATE_ENDED:
      forget_call (self, call);
      break;
    case ACS_CALL_STATE_ACTIVE:
      now = g_get_monotonic_time ();
      deadline = session_deadline (self, call, now);
      if (deadline <= now)
        apply_transition (self, call, ACS_CALL_ACTION_SESSION_EXPIRE,
            ACS_CALL_ROLE_CONTROLLER);
      else
        acs_timer_queue_set (self->timers, call->id, deadline);
      break;
  }
}

/* Each state has one timer: invite, ring, session expiry, retention. The
 * session timer fires at the earliest expiry and is re-armed there for the
 * next one while the parties keep showing up. */
static void
arm_call_timer (AcsController * self, AcsCall * call)
{
  guint ms;

  switch (call->state) {
    case ACS_CALL_STATE_CALLING:
      ms = self->config.invite_timeout_ms;
      break;
    case ACS_CALL_STATE_RINGING:
      ms = self->config.ring_timeout_ms;
      break;
    case ACS_CALL_STATE_ACTIVE:
      ms = self->config.session_expires_ms;
      if (ms == 0) {
        acs_timer_queue_cancel (self->timers, call->id);
        return;
      }
      break;
    case ACS_CALL_STATE_ENDED:
    default:
      ms = self->config.ended_retention_ms;
      break;
  }
  acs_timer_queue_set (self->timers, call->id,
      g_get_monotonic_time () + ms * (gint64) 1000);
}

static gboolean
call_is_live (const gchar * call_id, gpointer user_data)
{
  AcsController *self = user_data;
  AcsCall *call = acs_call_store_get (self->store, call_id);

  return call != NULL && call->state != ACS_CALL_STATE_ENDED;
}

/* Request steps: each one answers the request and returns FALSE (or
 * NULL) when it refuses it. */

static gboolean
authenticate (Request * req)
{
  AcsController *self = req->self;
  SoupMessageHeaders *headers =
      soup_server_message_get_request_headers (req->msg);
  const gchar *auth = soup_message_headers_get_one (headers, "Authorization");
  g_autoptr (AcsTokenClaims) claims = NULL;
  g_autoptr (GError) error = NULL;
  const AcsTokenClaims *cached;
  gint64 now;
  const gchar *why;
  gsize secret_len;
  const guint8 *secret = g_bytes_get_data (self->config.token_secret,
      &secret_len);

  if (auth == NULL) {
    respond_error (req, acs_api_error_new (401, "unauthorized", NULL,
            "a bearer token is required"));
    return FALSE;
  }
  if (g_ascii_strncasecmp (auth, "Bearer ", 7) != 0) {
    respond_error (req, acs_api_error_new (401, "unauthorized", NULL,
            "the Authorization header is not a bearer token"));
    return FALSE;
  }
  auth += 7;
  while (*auth == ' ')
    auth++;

  /* A client sends the same token with every request: verifying it (two
   * JSON parses and an HMAC) was a fifth of the controller's CPU. The cache
   * is keyed by the whole token, signature included, so only a token that
   * verified once is found in it, and its expiry is still checked */
  now = g_get_real_time () / G_USEC_PER_SEC;
  cached = g_hash_table_lookup (self->token_cache, auth);
  if (cached && cached->exp <= now) {
    g_hash_table_remove (self->token_cache, auth);
    cached = NULL;
  }
  if (cached == NULL)
    claims = acs_token_verify (secret, secret_len, auth, now, &error);
  if (cached == NULL && claims == NULL) {
    switch (error->code) {
      case ACS_TOKEN_ERROR_EXPIRED:
        why = "the token has expired";
        break;
      case ACS_TOKEN_ERROR_BAD_SIGNATURE:
        why = "the token's signature is invalid";
        break;
      case ACS_TOKEN_ERROR_UNSUPPORTED_ALG:
        why = "the token is not signed with HS256";
        break;
      default:
        why = "the token is malformed";
        break;
    }
    respond_error (req, acs_api_error_new (401, "unauthorized", NULL, "%s",
            why));
    return FALSE;
  }
  if (cached == NULL) {
    if (g_hash_table_size (self->token_cache) >= TOKEN_CACHE_SIZE)
      g_hash_table_remove_all (self->token_cache);
    cached = claims;
    g_hash_table_insert (self->token_cache, g_strdup (auth),
        g_steal_pointer (&claims));
  }
  req->user = g_strdup (cached->sub);
  if (!acs_token_claims_has_scope (cached, "call")) {
    respond_error (req, acs_api_error_new (403, "forbidden", NULL,
            "the token lacks the 'call' scope"));
    return FALSE;
  }
  return TRUE;
}

static JsonObject *
read_body (Request * req)
{
  GByteArray *body = g_object_get_data (G_OBJECT (req->msg), BODY_KEY);
  SoupMessageHeaders *headers =
      soup_server_message_get_request_headers (req->msg);
  AcsApiError *error = NULL;
  JsonObject *obj;

  if (g_object_get_data (G_OBJECT (req->msg), BODY_OVERFLOW_KEY) != NULL) {
    respond_error (req, acs_api_error_new (413, "too_large", NULL,
            "the body is larger than %u bytes", ACS_REQUEST_MAX_BODY));
    return NULL;
  }
  obj = acs_request_parse_body (soup_message_headers_get_one (headers,
          "Content-Type"), body ? (const gchar *) body->data : NULL,
      body ? body->len : 0, &error);
  if (obj == NULL)
    respond_error (req, error);
  return obj;
}

static AcsCall *
lookup_call (Request * req, const gchar * call_id, AcsCallRole * role)
{
  AcsCall *call = acs_call_store_get (req->self->store, call_id);

  if (call == NULL) {
    respond_error (req, acs_api_error_new (404, "not_found", NULL,
            "no such call"));
    return NULL;
  }
  *role = acs_call_get_role (call, req->user);
  if (*role == ACS_CALL_ROLE_NONE) {
    respond_error (req, acs_api_error_new (403, "forbidden", NULL,
            "you are not a party of this call"));
    return NULL;
  }
  /* Any request of a party on its call refreshes the session (RFC 4028's
   * re-INVITE or UPDATE); the timer reads the time when it fires */
  if (call->state == ACS_CALL_STATE_ACTIVE) {
    if (*role == ACS_CALL_ROLE_CALLER)
      call->caller_seen = g_get_monotonic_time ();
    else
      call->callee_seen = g_get_monotonic_time ();
  }
  return call;
}

static void
respond_call (Request * req, guint status, AcsCall * call)
{
  const gchar *json = acs_call_get_json (call);

  soup_server_message_set_status (req->msg, status, NULL);
  soup_server_message_set_response (req->msg, "application/json",
      SOUP_MEMORY_COPY, json, call->json_len);
}

static gboolean
check_transition (Request * req, AcsCall * call, AcsCallAction action,
    AcsCallRole role)
{
  switch (acs_call_check_transition (call, action, role)) {
    case ACS_CALL_TRANSITION_OK:
      return TRUE;
    case ACS_CALL_TRANSITION_FORBIDDEN:
      respond_error (req, acs_api_error_new (403, "forbidden", NULL,
              "the %s may not do this", role == ACS_CALL_ROLE_CALLER ?
              "caller" : "callee"));
      return FALSE;
    case ACS_CALL_TRANSITION_WRONG_STATE:
      respond_error (req, acs_api_error_new (409, "wrong_state", NULL,
              "not allowed in state '%s'",
              acs_call_state_to_string (call->state)));
      return FALSE;
    case ACS_CALL_TRANSITION_REPEATED:
      /* The first one was applied: the same answer, nothing changes and
       * no event is published again (docs/protocol.md) */
      respond_call (req, SOUP_STATUS_OK, call);
      return FALSE;
  }
  return FALSE;
}

/* Handlers */

#define MAX_IDEMPOTENCY_KEY 255

/* RFC 9110 field value characters, no space: what a UUID or any token a
 * client would generate is made of */
static gboolean
valid_idempotency_key (const gchar * key)
{
  gsize n = 0;

  for (; *key != '\0'; key++, n++)
    if (*key <= 0x20 || *key >= 0x7f || n >= MAX_IDEMPOTENCY_KEY)
      return FALSE;
  return n > 0;
}

static void
handle_place (Request * req)
{
  AcsController *self = req->self;
  g_autoptr (JsonObject) body = NULL;
  g_autofree gchar *id = NULL;
  AcsPlaceRequest place;
  AcsApiError *error = NULL;
  AcsCall *call;
  GString *line;
  const gchar *key =
      soup_message_headers_get_one (soup_server_message_get_request_headers
      (req->msg), "Idempotency-Key");

  if (key != NULL && !valid_idempotency_key (key)) {
    respond_error (req, acs_api_error_new (400, "invalid_field",
            "Idempotency-Key", "1 to %d visible ASCII characters",
            MAX_IDEMPOTENCY_KEY));
    return;
  }
  if (!(body = read_body (req)))
    return;
  if (!acs_request_get_place (body, &place, &error)) {
    respond_error (req, error);
    return;
  }
  if (strcmp (place.to_user, req->user) == 0) {
    acs_place_request_clear (&place);
    respond_error (req, acs_api_error_new (400, "invalid_field", "to.user",
            "a user cannot call themselves"));
    return;
  }

  if (key != NULL) {
    /* A repeat of the request finds the call the first one placed */
    gsize secret_len;
    const guint8 *secret = g_bytes_get_data (self->config.token_secret,
        &secret_len);

    id = acs_call_keyed_id (secret, secret_len, req->user, key);
    if ((call = acs_call_store_get (self->store, id)) != NULL) {
      if (strcmp (call->caller, req->user) != 0
          || strcmp (call->callee, place.to_user) != 0)
        respond_error (req, acs_api_error_new (422, "key_reused",
                "Idempotency-Key", "this key placed another call"));
      else
        respond_call (req, SOUP_STATUS_CREATED, call);
      acs_place_request_clear (&place);
      return;
    }
  } else {
    do {
      g_free (id);
      id = acs_call_new_id ();
    } while (acs_call_store_get (self->store, id) != NULL);
  }
  call = acs_call_new (id, place.kind, req->user, place.to_user,
      place.offer_sdp, g_get_real_time () / G_USEC_PER_SEC);
  call->session_expires = self->config.session_expires_ms / 1000;
  acs_call_changed (call);
  acs_place_request_clear (&place);
  acs_call_store_put (self->store, call);
  arm_call_timer (self, call);
  line = acs_log_begin ();
  acs_json_append_literal (line, "call id=");
  g_string_append (line, call->id);
  acs_json_append_literal (line, " placed caller=");
  g_string_append (line, call->caller);
  acs_json_append_literal (line, " callee=");
  g_string_append (line, call->callee);
  acs_json_append_literal (line, " state=calling");
  acs_log_end (line);
  publish_call_event (self, call, call->callee, "call.incoming", "offer",
      call->offer_sdp);
  respond_call (req, SOUP_STATUS_CREATED, call);
}

static void
handle_call_action (Request * req, const Route * route)
{
  AcsController *self = req->self;
  g_autoptr (JsonObject) body = NULL;
  AcsApiError *error = NULL;
  AcsCallAction action = route->action;
  AcsCallRole role;
  AcsCall *call;
  gchar *answer = NULL;

  if (!(call = lookup_call (req, route->call_id, &role)))
    return;
  if (!(body = read_body (req)))
    return;
  /* All decline reasons have the same rows in the table */
  if (route->kind == ROUTE_CALL_DECLINE)
    action = ACS_CALL_ACTION_DECLINE;
  if (!check_transition (req, call, action, role))
    return;

  if (route->kind == ROUTE_CALL_DECLINE) {
    if (!acs_request_get_decline (body, &action, &error)) {
      respond_error (req, error);
      return;
    }
  } else if (action == ACS_CALL_ACTION_ANSWER) {
    if (!acs_request_get_description (body, "answer", &answer, &error)) {
      respond_error (req, error);
      return;
    }
    call->answer_sdp = answer;
  }
  apply_transition (self, call, action, role);
  respond_call (req, SOUP_STATUS_OK, call);
}

static void
handle_candidate (Request * req, const Route * route)
{
  AcsController *self = req->self;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GArray) candidates = NULL;
  AcsApiError *error = NULL;
  AcsCallRole role;
  AcsCall *call;
  guint *sent, i;

  if (!(call = lookup_call (req, route->call_id, &role)))
    return;
  if (!(body = read_body (req)))
    return;
  if (call->state == ACS_CALL_STATE_ENDED) {
    respond_error (req, acs_api_error_new (409, "wrong_state", NULL,
            "not allowed in state 'ended'"));
    return;
  }
  if (!(candidates = acs_request_get_candidates (body, &error))) {
    respond_error (req, error);
    return;
  }
  sent = role == ACS_CALL_ROLE_CALLER ? &call->candidates_from_caller :
      &call->candidates_from_callee;
  if (*sent + candidates->len > ACS_CALL_MAX_CANDIDATES) {
    respond_error (req, acs_api_error_new (429, "too_many_candidates", NULL,
            "at most %d candidates per party and call",
            ACS_CALL_MAX_CANDIDATES));
    return;
  }
  *sent += candidates->len;

  /* A batch is relayed as the same events, in order, as one request per
   * candidate would be */
  for (i = 0; i < candidates->len; i++) {
    gchar *data = candidate_event_data (call,
        &g_array_index (candidates, AcsCandidateRequest, i));

    if (role == ACS_CALL_ROLE_CALLER) {
      /* The callee got the offer with call.incoming */
      acs_event_hub_publish (self->hub, call->callee, call->id,
          "call.candidate", data);
      g_free (data);
    } else if (call->state == ACS_CALL_STATE_ACTIVE) {
      acs_event_hub_publish (self->hub, call->caller, call->id,
          "call.candidate", data);
      g_free (data);
    } else {
      /* Held until call.answered gives the caller the answer */
      g_ptr_array_add (call->held_for_caller, data);
    }
  }
  acs_call_store_put (self->store, call);

  soup_server_message_set_status (req->msg, SOUP_STATUS_ACCEPTED, NULL);
  soup_server_message_set_response (req->msg, "application/json",
      SOUP_MEMORY_STATIC, "{}", 2);
}

/* POST /v1/calls/{id}/refresh: a session refresh (RFC 4028), for clients
 * that keep no event stream open during a call; lookup_call() did it */
static void
handle_refresh (Request * req, const Route * route)
{
  g_autoptr (JsonObject) body = NULL;
  AcsCallRole role;
  AcsCall *call;

  if (!(call = lookup_call (req, route->call_id, &role)))
    return;
  if (!(body = read_body (req)))
    return;
  if (call->state == ACS_CALL_STATE_ENDED) {
    respond_error (req, acs_api_error_new (409, "wrong_state", NULL,
            "not allowed in state 'ended'"));
    return;
  }
  acs_call_store_put (req->self->store, call);
  respond_call (req, SOUP_STATUS_OK, call);
}

static void
append_uris (GString * s, gchar ** uris)
{
  gchar **uri;

  acs_json_append_literal (s, "{\"urls\":[");
  for (uri = uris; *uri != NULL; uri++) {
    if (uri != uris)
      g_string_append_c (s, ',');
    acs_json_append_string (s, *uri);
  }
  g_string_append_c (s, ']');
}

static void
handle_ice_servers (Request * req)
{
  AcsController *self = req->self;
  GString *s = g_string_sized_new (256);
  gboolean stun = self->stun_uris != NULL && self->stun_uris[0] != NULL;

  acs_json_append_literal (s, "{\"ice_servers\":[");
  if (stun) {
    append_uris (s, self->stun_uris);
    g_string_append_c (s, '}');
  }
  if (self->turn_uris != NULL && self->turn_uris[0] != NULL) {
    g_autofree gchar *username = NULL, *credential = NULL;
    gsize len;
    const guint8 *secret = g_bytes_get_data (self->config.turn_secret, &len);

    acs_turn_creds_compute (secret, len, req->user,
        g_get_real_time () / G_USEC_PER_SEC + self->config.turn_ttl,
        &username, &credential);
    if (stun)
      g_string_append_c (s, ',');
    append_uris (s, self->turn_uris);
    acs_json_append_literal (s, ",\"username\":");
    acs_json_append_string (s, username);
    acs_json_append_literal (s, ",\"credential\":");
    acs_json_append_string (s, credential);
    g_string_append_c (s, '}');
    explicit_bzero (credential, strlen (credential));
  }
  acs_json_append_literal (s, "],\"ttl\":");
  acs_json_append_int (s, self->config.turn_ttl);
  g_string_append_c (s, '}');
  respond_string (req, SOUP_STATUS_OK, s);
}

static void
handle_events (Request * req, const Route * route)
{
  AcsController *self = req->self;
  SoupMessageHeaders *headers =
      soup_server_message_get_request_headers (req->msg);
  AcsApiError *error = NULL;
  AcsCallRole role;

  if (route->kind == ROUTE_CALL_EVENTS
      && lookup_call (req, route->call_id, &role) == NULL)
    return;
  if (!acs_event_hub_open_stream (self->hub, req->msg, req->user,
          route->kind == ROUTE_CALL_EVENTS ? route->call_id : NULL,
          soup_message_headers_get_one (headers, "Last-Event-ID"), &error))
    respond_error (req, error);
}

static void
count_one (AcsCall * call, gpointer user_data)
{
  if (call->state != ACS_CALL_STATE_ENDED)
    (*(guint *) user_data)++;
}

static guint
count_active (AcsController * self)
{
  guint n = 0;

  acs_call_store_foreach (self->store, count_one, &n);
  return n;
}

static void
handle_request (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  AcsController *self = user_data;
  Request req = { self, msg, soup_server_message_get_method (msg), "other",
    NULL, NULL, g_get_monotonic_time ()
  };
  Route route;
  GSocket *sock = soup_server_message_get_socket (msg);

  /* libsoup writes a response's headers and body as separate TLS records:
   * with Nagle's algorithm the second waits for the client's delayed ACK
   * (40 ms on Linux) on every response */
  if (sock && g_object_get_qdata (G_OBJECT (sock), self->sockopts_quark) == NULL
      && g_socket_get_family (sock) != G_SOCKET_FAMILY_UNIX) {
    /* Once per connection, not per request */
    g_object_set_qdata (G_OBJECT (sock), self->sockopts_quark,
        GINT_TO_POINTER (1));
    g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
    /* A client host that vanished leaves its connection open: with data
     * (a heartbeat) unacknowledged this long, the kernel fails it, the
     * event stream ends and the call's session timer can run out */
    g_socket_set_option (sock, IPPROTO_TCP, TCP_USER_TIMEOUT,
        USER_TIMEOUT_MS, NULL);
  }

  if (!route_match (path, &route)) {
    respond_error (&req, acs_api_error_new (404, "not_found", NULL,
            "no such resource"));
    goto done;
  }
  req.template = route.template;
  if (strcmp (req.method, route.method) != 0) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Allow", route.method);
    respond_error (&req, acs_api_error_new (405, "method_not_allowed", NULL,
            "use %s", route.method));
    goto done;
  }

  if (route.kind == ROUTE_HEALTH) {
    const gchar *ok = "{\"status\":\"ok\"}";

    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    soup_server_message_set_response (msg, "application/json",
        SOUP_MEMORY_STATIC, ok, strlen (ok));
    goto done;
  }
  if (route.kind == ROUTE_METRICS) {
    gchar *text = acs_metrics_render (self->metrics, count_active (self),
        acs_event_hub_get_n_streams (self->hub));

    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    soup_server_message_set_response (msg, "text/plain; version=0.0.4",
        SOUP_MEMORY_TAKE, text, strlen (text));
    goto done;
  }

  if (!authenticate (&req))
    goto done;

  switch (route.kind) {
    case ROUTE_EVENTS:
    case ROUTE_CALL_EVENTS:
      handle_events (&req, &route);
      break;
    case ROUTE_ICE_SERVERS:
      handle_ice_servers (&req);
      break;
    case ROUTE_CALLS:
      handle_place (&req);
      break;
    case ROUTE_CALL:{
      AcsCallRole role;
      AcsCall *call = lookup_call (&req, route.call_id, &role);

      if (call != NULL)
        respond_call (&req, SOUP_STATUS_OK, call);
      break;
    }
    case ROUTE_CALL_ACTION:
    case ROUTE_CALL_DECLINE:
      handle_call_action (&req, &route);
      break;
    case ROUTE_CALL_CANDIDATES:
      handle_candidate (&req, &route);
      break;
    case ROUTE_CALL_REFRESH:
      handle_refresh (&req, &route);
      break;
    default:
      g_assert_not_reached ();
  }

done:
  log_request (self, msg, req.method, req.template, req.user, req.error_code,
      req.start);
  g_free (req.user);
  g_free (route.call_id);
}

/* Request bodies: collected here, at most ACS_REQUEST_MAX_BODY bytes, so
 * that a client cannot make the controller buffer more. */

static void
on_got_chunk (SoupServerMessage * msg, GBytes * chunk, GByteArray * body)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (chunk, &len);

  if (body->len + len > ACS_REQUEST_MAX_BODY) {
    g_object_set_data (G_OBJECT (msg), BODY_OVERFLOW_KEY, GINT_TO_POINTER (1));
    return;
  }
  g_byte_array_append (body, data, len);
}

static void
handle_early (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  AcsController *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  GByteArray *body;
  Route route;

  if (soup_message_headers_get_encoding (headers) ==
      SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) >
      ACS_REQUEST_MAX_BODY) {
    g_autoptr (AcsApiError) error = acs_api_error_new (413, "too_large", NULL,
        "the body is larger than %u bytes", ACS_REQUEST_MAX_BODY);

    /* Answered now: libsoup skips the body and closes the connection */
    respond_error_on (msg, error);
    route_match (path, &route);
    log_request (self, msg, soup_server_message_get_method (msg),
        route.template ? route.template : "other", NULL, error->code,
        g_get_monotonic_time ());
    g_free (route.call_id);
    return;
  }

  soup_message_body_set_accumulate (soup_server_message_get_request_body
      (msg), FALSE);
  body = g_byte_array_new ();
  g_object_set_data_full (G_OBJECT (msg), BODY_KEY, body,
      (GDestroyNotify) g_byte_array_unref);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), body);
}

/* Life cycle */

/**
 * acs_controller_new:
 * @config: the configuration; copied
 *
 * Returns: (transfer full): a controller, not listening yet.
 */
AcsController *
acs_controller_new (const AcsControllerConfig * config)
{
  AcsController *self = g_new0 (AcsController, 1);

  self->config = *config;
  self->listen_address = g_strdup (config->listen_address);
  self->stun_uris = g_strdupv ((gchar **) config->stun_uris);
  self->turn_uris = g_strdupv ((gchar **) config->turn_uris);
  self->config.listen_address = self->listen_address;
  self->config.stun_uris = (const gchar * const *) self->stun_uris;
  self->config.turn_uris = (const gchar * const *) self->turn_uris;
  if (config->tls_certificate)
    g_object_ref (config->tls_certificate);
  g_bytes_ref (config->token_secret);
  if (config->turn_secret)
    g_bytes_ref (config->turn_secret);

  self->store = acs_call_store_new_memory ();
  self->metrics = acs_metrics_new ();
  self->timers = acs_timer_queue_new (NULL, on_call_timer, self);
  self->sockopts_quark = g_quark_from_static_string ("acs-controller-sockopts");
  self->token_cache = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, (GDestroyNotify) acs_token_claims_free);
  self->hub = acs_event_hub_new (config->max_streams_per_user,
      config->heartbeat_ms, call_is_live, self);
  acs_event_hub_set_presence_window (self->hub,
      config->session_expires_ms * (gint64) 1000);

  if (config->tls_certificate)
    self->server = soup_server_new ("tls-certificate",
        config->tls_certificate, "server-header", "acs-controller ", NULL);
  else
    self->server = soup_server_new ("server-header", "acs-controller ", NULL);
  soup_server_add_early_handler (self->server, NULL, handle_early, self, NULL);
  soup_server_add_handler (self->server, NULL, handle_request, self, NULL);
  return self;
}

/**
 * acs_controller_start:
 * @self: a controller
 * @port: (out) (optional): the port it listens on
 * @error: (nullable): return location for a #GError
 *
 * Starts listening, with TLS unless the configuration says
 * insecure_http.
 *
 * Returns: whether it listens.
 */
gboolean
acs_controller_start (AcsController * self, guint * port, GError ** error)
{
  g_autoptr (GInetAddress) address = NULL;
  g_autoptr (GSocketAddress) socket_address = NULL;
  GSList *listeners, *l;

  address = g_inet_address_new_from_string (self->listen_address);
  if (address == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "listen address '%s' is not an IP address", self->listen_address);
    return FALSE;
  }
  socket_address = g_inet_socket_address_new (address,
      self->config.listen_port);
  if (!soup_server_listen (self->server, socket_address,
          self->config.insecure_http ? 0 : SOUP_SERVER_LISTEN_HTTPS, error))
    return FALSE;

  /* Not soup_server_get_uris(): libsoup 3.2 leaks an address there */
  listeners = soup_server_get_listeners (self->server);
  for (l = listeners; l != NULL; l = l->next) {
    /* listen() again on a listening socket only changes its backlog
     * (GSocket refuses to set it once listening) */
    if (listen (g_socket_get_fd (l->data), LISTEN_BACKLOG) != 0)
      g_warning ("cannot raise the listen backlog: %s", g_strerror (errno));
  }
  if (port != NULL && listeners != NULL) {
    g_autoptr (GSocketAddress) local =
        g_socket_get_local_address (listeners->data, error);

    if (local == NULL)
      return FALSE;
    *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  }
  g_slist_free (listeners);
  return TRUE;
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/**
 * acs_controller_free:
 * @self: (transfer full) (nullable): a controller
 *
 * Ends the event streams, closes every connection and frees the calls.
 */
void
acs_controller_free (AcsController * self)
{
  GMainLoop *loop;
  gint i;

  if (self == NULL)
    return;

  acs_event_hub_close_streams (self->hub);
  soup_server_disconnect (self->server);
  /* TLS connections close asynchronously, partly in GIO's worker threads:
   * give them time to finish and drop their messages, and let the idle
   * workers exit (after half a second idle), so that the process ends
   * with no thread holding TLS state. The server stays until then:
   * libsoup 3.2 ends a request's I/O with the server as a plain pointer
   * (soup_server_message_read_request() in soup-server.c), and a request
   * cut by the disconnect still reports to it. */
  g_thread_pool_set_max_unused_threads (0);
  g_thread_pool_stop_unused_threads ();
  loop = g_main_loop_new (NULL, FALSE);
  g_timeout_add (SHUTDOWN_DRAIN_MS, quit_loop, loop);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
  for (i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++);
  g_clear_object (&self->server);
  for (i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++);

  acs_timer_queue_free (self->timers);
  g_hash_table_unref (self->token_cache);
  acs_event_hub_free (self->hub);
  acs_call_store_free (self->store);
  acs_metrics_free (self->metrics);

  g_clear_object (&self->config.tls_certificate);
  g_bytes_unref (self->config.token_secret);
  g_clear_pointer (&self->config.turn_secret, g_bytes_unref);
  g_free (self->listen_address);
  g_strfreev (self->stun_uris);
  g_strfreev (self->turn_uris);
  g_free (self);
}

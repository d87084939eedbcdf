/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: a call and its state machine
 *
 * docs/protocol.md section 3.1 as a transition table: every change of
 * state is one row, found by (state, action); the row says who may take
 * the action and what the call becomes. A pair without a row is a
 * 409 wrong_state, a row whose roles do not include the requester's a
 * 403 forbidden. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acscall.h"
#include "acsjson.h"

#include <acs/acstoken.h>

#include <string.h>
#include <sys/random.h>

typedef struct
{
  AcsCallState from;
  AcsCallAction action;
  AcsCallRole by;
  AcsCallState to;
  const gchar *end_reason;
  guint sip_status;
} AcsCallTransition;

#define CALLER ACS_CALL_ROLE_CALLER
#define CALLEE ACS_CALL_ROLE_CALLEE
#define BOTH (ACS_CALL_ROLE_CALLER | ACS_CALL_ROLE_CALLEE)
#define TIMER ACS_CALL_ROLE_CONTROLLER

static const AcsCallTransition transitions[] = {
  {ACS_CALL_STATE_CALLING, ACS_CALL_ACTION_RINGING, CALLEE,
      ACS_CALL_STATE_RINGING, NULL, 180},
  {ACS_CALL_STATE_CALLING, ACS_CALL_ACTION_ANSWER, CALLEE,
      ACS_CALL_STATE_ACTIVE, NULL, 200},
  {ACS_CALL_STATE_RINGING, ACS_CALL_ACTION_ANSWER, CALLEE,
      ACS_CALL_STATE_ACTIVE, NULL, 200},
  {ACS_CALL_STATE_CALLING, ACS_CALL_ACTION_CANCEL, CALLER,
      ACS_CALL_STATE_ENDED, "cancelled", 487},
  {ACS_CALL_STATE_RINGING, ACS_CALL_ACTION_CANCEL, CALLER,
      ACS_CALL_STATE_ENDED, "cancelled", 487},
  {ACS_CALL_STATE_CALLING, ACS_CALL_ACTION_DECLINE_BUSY, CALLEE,
      ACS_CALL_STATE_ENDED, "busy", 486},
  {ACS_CALL_STATE_RINGING, ACS_CALL_ACTION_DECLINE_BUSY, CALLEE,
      ACS_CALL_STATE_ENDED, "busy", 486},
  {ACS_CALL_STATE_CALLING, ACS_CALL_ACTION_DECLINE, CALLEE,
      ACS_CALL_STATE_ENDED, "declined", 603},
  {ACS_CALL_STATE_RINGING, ACS_CALL_ACTION_DECLINE, CALLEE,
      ACS_CALL_STATE_ENDED, "declined", 603},
  {ACS_CALL_STATE_CALLING, ACS_CALL_ACTION_DECLINE_UNAVAILABLE, CALLEE,
      ACS_CALL_STATE_ENDED, "unavailable", 480},
  {ACS_CALL_STATE_RINGING, ACS_CALL_ACTION_DECLINE_UNAVAILABLE, CALLEE,
      ACS_CALL_STATE_ENDED, "unavailable", 480},
  {ACS_CALL_STATE_CALLING, ACS_CALL_ACTION_INVITE_TIMEOUT, TIMER,
      ACS_CALL_STATE_ENDED, "timeout", 408},
  {ACS_CALL_STATE_RINGING, ACS_CALL_ACTION_RING_TIMEOUT, TIMER,
      ACS_CALL_STATE_ENDED, "no_answer", 480},
  {ACS_CALL_STATE_ACTIVE, ACS_CALL_ACTION_HANGUP, BOTH,
      ACS_CALL_STATE_ENDED, "hangup", 200},
  /* RFC 4028: no refresh before the session expires, the controller ends
   * the call as a UA would with a BYE */
  {ACS_CALL_STATE_ACTIVE, ACS_CALL_ACTION_SESSION_EXPIRE, TIMER,
      ACS_CALL_STATE_ENDED, "session_expired", 408},
};

/* Who may take an action at all, whatever the state: a request by
 * another role is 403 even when the state would refuse it too. */
static AcsCallRole
action_roles (AcsCallAction action)
{
  AcsCallRole roles = ACS_CALL_ROLE_NONE;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (transitions); i++)
    if (transitions[i].action == action)
      roles |= transitions[i].by;
  return roles;
}

/* The declines differ by reason only: a repeat may name another */
static AcsCallAction
action_family (AcsCallAction action)
{
  switch (action) {
    case ACS_CALL_ACTION_DECLINE_BUSY:
    case ACS_CALL_ACTION_DECLINE_UNAVAILABLE:
      return ACS_CALL_ACTION_DECLINE;
    default:
      return action;
  }
}

static const AcsCallTransition *
find_transition (const AcsCall * call, AcsCallAction action, AcsCallRole role,
    AcsCallTransitionResult * result)
{
  guint i;

  *result = ACS_CALL_TRANSITION_FORBIDDEN;
  if ((action_roles (action) & role) == 0)
    return NULL;
  *result = ACS_CALL_TRANSITION_WRONG_STATE;
  for (i = 0; i < G_N_ELEMENTS (transitions); i++) {
    const AcsCallTransition *t = &transitions[i];

    if (t->from == call->state && t->action == action && (t->by & role) != 0) {
      *result = ACS_CALL_TRANSITION_OK;
      return t;
    }
  }
  /* A party repeating the transition that brought the call where it is
   * (a request re-sent over a new connection, as a SIP retransmission) */
  if ((call->last_by & role) != 0
      && action_family (call->last_action) == action_family (action))
    *result = ACS_CALL_TRANSITION_REPEATED;
  return NULL;
}

/**
 * acs_call_check_transition:
 * @call: a call
 * @action: what would happen
 * @role: who would do it
 *
 * Returns: whether acs_call_transition() would apply @action now, or why
 *   not; %ACS_CALL_TRANSITION_REPEATED when @role's last transition on
 *   @call was this one (a decline with any reason repeats a decline).
 */
AcsCallTransitionResult
acs_call_check_transition (const AcsCall * call, AcsCallAction action,
    AcsCallRole role)
{
  AcsCallTransitionResult result;

  g_return_val_if_fail (call != NULL, ACS_CALL_TRANSITION_WRONG_STATE);

  find_transition (call, action, role, &result);
  return result;
}

/**
 * acs_call_transition:
 * @call: a call
 * @action: what happens
 * @role: who does it
 * @now: the time, Unix seconds
 *
 * Applies @action to @call if the transition table allows it; @call is
 * unchanged otherwise.
 *
 * Returns: whether it was applied, or why not.
 */
AcsCallTransitionResult
acs_call_transition (AcsCall * call, AcsCallAction action, AcsCallRole role,
    gint64 now)
{
  AcsCallTransitionResult result;
  const AcsCallTransition *t;

  g_return_val_if_fail (call != NULL, ACS_CALL_TRANSITION_WRONG_STATE);

  t = find_transition (call, action, role, &result);
  if (t == NULL)
    return result;
  acs_call_changed (call);
  call->state = t->to;
  call->sip_status = t->sip_status;
  call->last_action = action;
  call->last_by = role;
  if (t->to == ACS_CALL_STATE_ACTIVE)
    call->answered = now;
  if (t->to == ACS_CALL_STATE_ENDED) {
    call->end_reason = t->end_reason;
    call->ended = now;
  }
  return ACS_CALL_TRANSITION_OK;
}

/**
 * acs_call_new:
 * @id: the call id
 * @kind: the kind (`one-to-one`)
 * @caller: the caller's user identity
 * @callee: the callee's user identity
 * @offer_sdp: the caller's offer
 * @now: the time, Unix seconds
 *
 * Returns: (transfer full): a call in state `calling`.
 */
AcsCall *
acs_call_new (const gchar * id, const gchar * kind, const gchar * caller,
    const gchar * callee, const gchar * offer_sdp, gint64 now)
{
  AcsCall *call = g_new0 (AcsCall, 1);

  call->id = g_strdup (id);
  call->kind = g_strdup (kind);
  call->caller = g_strdup (caller);
  call->callee = g_strdup (callee);
  call->offer_sdp = g_strdup (offer_sdp);
  call->state = ACS_CALL_STATE_CALLING;
  call->sip_status = 100;
  call->created = now;
  call->held_for_caller = g_ptr_array_new_with_free_func (g_free);
  return call;
}

/**
 * acs_call_free:
 * @call: (transfer full) (nullable): a call
 *
 * Frees @call.
 */
void
acs_call_free (AcsCall * call)
{
  if (call == NULL)
    return;
  g_free (call->id);
  g_free (call->kind);
  g_free (call->caller);
  g_free (call->callee);
  g_free (call->offer_sdp);
  g_free (call->answer_sdp);
  g_free (call->json);
  g_ptr_array_unref (call->held_for_caller);
  g_free (call);
}

/**
 * acs_call_new_id:
 *
 * Returns: (transfer full): a new random call id: 22 base64url
 *   characters (128 bits).
 */
gchar *
acs_call_new_id (void)
{
  guint8 bytes[16];
  gsize got = 0;

  while (got < sizeof (bytes)) {
    gssize n = getrandom (bytes + got, sizeof (bytes) - got, 0);

    if (n > 0)
      got += n;
  }
  return acs_base64url_encode (bytes, sizeof (bytes));
}

/**
 * acs_call_keyed_id:
 * @secret: the controller's secret
 * @secret_len: its length
 * @user: the caller
 * @key: the request's `Idempotency-Key`
 *
 * The id of the call @user places with @key: the same for a repeat of the
 * request, so the repeat finds the call it created (in any call store),
 * and as unguessable as acs_call_new_id() without @secret. The first 128
 * bits of HMAC-SHA256(@secret, "acs-call-id" NUL @user NUL @key).
 *
 * Returns: (transfer full): 22 base64url characters.
 */
gchar *
acs_call_keyed_id (const guint8 * secret, gsize secret_len,
    const gchar * user, const gchar * key)
{
  static const gchar label[] = "acs-call-id";
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, secret, secret_len);
  guint8 digest[32];
  gsize len = sizeof (digest);
  gchar *id;

  g_hmac_update (hmac, (const guchar *) label, sizeof (label));
  g_hmac_update (hmac, (const guchar *) user, strlen (user) + 1);
  g_hmac_update (hmac, (const guchar *) key, strlen (key));
  g_hmac_get_digest (hmac, digest, &len);
  g_hmac_unref (hmac);
  id = acs_base64url_encode (digest, 16);
  memset (digest, 0, sizeof (digest));
  return id;
}

/**
 * acs_call_get_role:
 * @call: a call
 * @user: a user identity
 *
 * Returns: the role of @user in @call, %ACS_CALL_ROLE_NONE if none.
 */
AcsCallRole
acs_call_get_role (const AcsCall * call, const gchar * user)
{
  if (g_strcmp0 (call->caller, user) == 0)
    return ACS_CALL_ROLE_CALLER;
  if (g_strcmp0 (call->callee, user) == 0)
    return ACS_CALL_ROLE_CALLEE;
  return ACS_CALL_ROLE_NONE;
}

/**
 * acs_call_get_peer:
 * @call: a call
 * @user: a party of @call
 *
 * Returns: (transfer none) (nullable): the other party.
 */
const gchar *
acs_call_get_peer (const AcsCall * call, const gchar * user)
{
  switch (acs_call_get_role (call, user)) {
    case ACS_CALL_ROLE_CALLER:
      return call->callee;
    case ACS_CALL_ROLE_CALLEE:
      return call->caller;
    default:
      return NULL;
  }
}

/**
 * acs_call_state_to_string:
 * @state: a state
 *
 * Returns: the state's name in the protocol.
 */
const gchar *
acs_call_state_to_string (AcsCallState state)
{
  switch (state) {
    case ACS_CALL_STATE_CALLING:
      return "calling";
    case ACS_CALL_STATE_RINGING:
      return "ringing";
    case ACS_CALL_STATE_ACTIVE:
      return "active";
    case ACS_CALL_STATE_ENDED:
      return "ended";
  }
  return "unknown";
}

/**
 * acs_call_action_to_string:
 * @action: an action
 *
 * Returns: a name for logs.
 */
const gchar *
acs_call_action_to_string (AcsCallAction action)
{
  switch (action) {
    case ACS_CALL_ACTION_RINGING:
      return "ringing";
    case ACS_CALL_ACTION_ANSWER:
      return "answer";
    case ACS_CALL_ACTION_CANCEL:
      return "cancel";
    case ACS_CALL_ACTION_DECLINE_BUSY:
      return "decline-busy";
    case ACS_CALL_ACTION_DECLINE:
      return "decline";
    case ACS_CALL_ACTION_DECLINE_UNAVAILABLE:
      return "decline-unavailable";
    case ACS_CALL_ACTION_HANGUP:
      return "hangup";
    case ACS_CALL_ACTION_INVITE_TIMEOUT:
      return "invite-timeout";
    case ACS_CALL_ACTION_RING_TIMEOUT:
      return "ring-timeout";
    case ACS_CALL_ACTION_SESSION_EXPIRE:
      return "session-expire";
  }
  return "unknown";
}

static void
build_json (const AcsCall * call, GString * s)
{
  acs_json_append_literal (s, "{\"id\":");
  acs_json_append_string (s, call->id);
  acs_json_append_literal (s, ",\"kind\":");
  acs_json_append_string (s, call->kind);
  acs_json_append_literal (s, ",\"state\":");
  acs_json_append_string (s, acs_call_state_to_string (call->state));
  acs_json_append_literal (s, ",\"caller\":{\"user\":");
  acs_json_append_string (s, call->caller);
  acs_json_append_literal (s, "},\"callees\":[{\"user\":");
  acs_json_append_string (s, call->callee);
  acs_json_append_literal (s, "}],\"created\":");
  acs_json_append_int (s, call->created);
  acs_json_append_literal (s, ",\"answered\":");
  if (call->answered != 0)
    acs_json_append_int (s, call->answered);
  else
    acs_json_append_literal (s, "null");
  acs_json_append_literal (s, ",\"ended\":");
  if (call->ended != 0)
    acs_json_append_int (s, call->ended);
  else
    acs_json_append_literal (s, "null");
  acs_json_append_literal (s, ",\"end_reason\":");
  acs_json_append_string_or_null (s, call->end_reason);
  acs_json_append_literal (s, ",\"sip_status\":");
  acs_json_append_int (s, call->sip_status);
  if (call->session_expires != 0) {
    acs_json_append_literal (s, ",\"session_expires\":");
    acs_json_append_int (s, call->session_expires);
  }
  g_string_append_c (s, '}');
}

/**
 * acs_call_get_json:
 * @call: a call
 *
 * The call object of docs/protocol.md section 3 (no SDP), as JSON text.
 * Every response about a call and most events carry it: it is written
 * once per change of the call (acs_call_transition(), acs_call_changed())
 * and kept.
 *
 * Returns: (transfer none): the text, valid until @call changes.
 */
const gchar *
acs_call_get_json (AcsCall * call)
{
  if (call->json == NULL) {
    GString *s = g_string_sized_new (512);

    /* Kept as long as the call: not in a GString's power-of-two buffer */
    build_json (call, s);
    call->json_len = s->len;
    call->json = g_strndup (s->str, s->len);
    g_string_free (s, TRUE);
  }
  return call->json;
}

/**
 * acs_call_append_json:
 * @call: a call
 * @out: where to write
 *
 * Appends acs_call_get_json() to @out.
 */
void
acs_call_append_json (AcsCall * call, GString * out)
{
  acs_call_get_json (call);
  g_string_append_len (out, call->json, call->json_len);
}

/**
 * acs_call_changed:
 * @call: a call
 *
 * Says that a field of the call object changed outside
 * acs_call_transition().
 */
void
acs_call_changed (AcsCall * call)
{
  g_clear_pointer (&call->json, g_free);
  call->json_len = 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: a call and its state machine */

#ifndef __ACS_CALL_H__
#define __ACS_CALL_H__

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS
/**
 * AcsCallState:
 * @ACS_CALL_STATE_CALLING: invitation sent (INVITE, 100 Trying)
 * @ACS_CALL_STATE_RINGING: the callee alerts (180 Ringing)
 * @ACS_CALL_STATE_ACTIVE: answered (200 OK)
 * @ACS_CALL_STATE_ENDED: final, see #AcsCall.end_reason
 *
 * The states of docs/protocol.md section 3.1.
 */
    typedef enum
{
  ACS_CALL_STATE_CALLING,
  ACS_CALL_STATE_RINGING,
  ACS_CALL_STATE_ACTIVE,
  ACS_CALL_STATE_ENDED,
} AcsCallState;

/**
 * AcsCallAction:
 *
 * What moves a call from one state to another: a request of a party or
 * a timer of the controller.
 */
typedef enum
{
  ACS_CALL_ACTION_RINGING,
  ACS_CALL_ACTION_ANSWER,
  ACS_CALL_ACTION_CANCEL,
  ACS_CALL_ACTION_DECLINE_BUSY,
  ACS_CALL_ACTION_DECLINE,
  ACS_CALL_ACTION_DECLINE_UNAVAILABLE,
  ACS_CALL_ACTION_HANGUP,
  ACS_CALL_ACTION_INVITE_TIMEOUT,
  ACS_CALL_ACTION_RING_TIMEOUT,
  ACS_CALL_ACTION_SESSION_EXPIRE,
} AcsCallAction;

/**
 * AcsCallRole:
 * @ACS_CALL_ROLE_NONE: not a party of the call
 * @ACS_CALL_ROLE_CALLER: placed the call
 * @ACS_CALL_ROLE_CALLEE: was invited
 * @ACS_CALL_ROLE_CONTROLLER: the controller's timers
 */
typedef enum
{
  ACS_CALL_ROLE_NONE = 0,
  ACS_CALL_ROLE_CALLER = 1 << 0,
  ACS_CALL_ROLE_CALLEE = 1 << 1,
  ACS_CALL_ROLE_CONTROLLER = 1 << 2,
} AcsCallRole;

/**
 * AcsCallTransitionResult:
 * @ACS_CALL_TRANSITION_OK: done
 * @ACS_CALL_TRANSITION_FORBIDDEN: this role may not take this action
 * @ACS_CALL_TRANSITION_WRONG_STATE: not allowed in the current state
 */
typedef enum
{
  ACS_CALL_TRANSITION_OK,
  ACS_CALL_TRANSITION_FORBIDDEN,
  ACS_CALL_TRANSITION_WRONG_STATE,
  ACS_CALL_TRANSITION_REPEATED,
} AcsCallTransitionResult;

/**
 * ACS_CALL_MAX_CANDIDATES:
 *
 * Candidates one party may trickle in a call (held or relayed); bounds
 * the memory of a call.
 */
#define ACS_CALL_MAX_CANDIDATES 128

/**
 * AcsCall:
 *
 * A one-to-one call. Fields are read by the HTTP layer; only
 * acs_call_transition() changes @state.
 */
typedef struct
{
  gchar *id;
  gchar *kind;
  gchar *caller;
  gchar *callee;
  AcsCallState state;
  gint64 created;
  gint64 answered;              /* 0 until active */
  gint64 ended;                 /* 0 until ended */
  const gchar *end_reason;      /* static string, NULL until ended */
  guint sip_status;
  /* the last transition a party made (a repeat of it is absorbed) */
  AcsCallAction last_action;
  AcsCallRole last_by;
  gchar *offer_sdp;
  gchar *answer_sdp;            /* NULL until answered */
  /* candidates (JSON text of the event data) the callee trickled before
   * the caller got the answer, in order */
  GPtrArray *held_for_caller;
  guint candidates_from_caller;
  guint candidates_from_callee;
  /* session timer of an active call (RFC 4028 session expiry): when each
   * party was last seen, monotonic microseconds; 0 before the answer */
  gint64 caller_seen;
  gint64 callee_seen;
  guint session_expires;        /* seconds, 0: no session timer */
  /* acs_call_get_json(), written at the first use after a change */
  gchar *json;
  gsize json_len;
} AcsCall;

AcsCall *acs_call_new (const gchar * id, const gchar * kind,
    const gchar * caller, const gchar * callee, const gchar * offer_sdp,
    gint64 now);

void acs_call_free (AcsCall * call);

gchar *acs_call_new_id (void);

gchar *acs_call_keyed_id (const guint8 * secret, gsize secret_len,
    const gchar * user, const gchar * key);

AcsCallRole acs_call_get_role (const AcsCall * call, const gchar * user);

const gchar *acs_call_get_peer (const AcsCall * call, const gchar * user);

AcsCallTransitionResult acs_call_check_transition (const AcsCall * call,
    AcsCallAction action, AcsCallRole role);

AcsCallTransitionResult acs_call_transition (AcsCall * call,
    AcsCallAction action, AcsCallRole role, gint64 now);

const gchar *acs_call_state_to_string (AcsCallState state);

const gchar *acs_call_action_to_string (AcsCallAction action);

const gchar *acs_call_get_json (AcsCall * call);

void acs_call_append_json (AcsCall * call, GString * out);

void acs_call_changed (AcsCall * call);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AcsCall, acs_call_free);

G_END_DECLS
#endif /* __ACS_CALL_H__ */

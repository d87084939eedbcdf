/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: event logs and Server-Sent Events streams */

#ifndef __ACS_EVENT_HUB_H__
#define __ACS_EVENT_HUB_H__

#include <libsoup/soup.h>

#include "acsrequest.h"

G_BEGIN_DECLS

/**
 * ACS_EVENT_LOG_SIZE:
 *
 * Events kept per user and per call for Last-Event-ID resume.
 */
#define ACS_EVENT_LOG_SIZE 256

/**
 * ACS_EVENT_STREAM_MAX_PENDING:
 *
 * Bytes an event stream may have queued but not written to a slow client;
 * beyond, the controller ends the stream and the client resumes with
 * Last-Event-ID.
 */
#define ACS_EVENT_STREAM_MAX_PENDING (512 * 1024)

typedef struct _AcsEventHub AcsEventHub;

/**
 * AcsEventCallIsLive:
 * @call_id: a call id
 * @user_data: the data given to acs_event_hub_new()
 *
 * Returns: whether the call exists and has not ended.
 */
typedef gboolean (*AcsEventCallIsLive) (const gchar * call_id,
    gpointer user_data);

AcsEventHub *acs_event_hub_new (guint max_streams_per_user,
    guint heartbeat_ms, AcsEventCallIsLive call_is_live, gpointer user_data);

void acs_event_hub_free (AcsEventHub * hub);

void acs_event_hub_publish (AcsEventHub * hub, const gchar * user,
    const gchar * call_id, const gchar * type, const gchar * data);

gboolean acs_event_hub_open_stream (AcsEventHub * hub,
    SoupServerMessage * msg, const gchar * user, const gchar * call_id,
    const gchar * last_event_id, AcsApiError ** error);

void acs_event_hub_forget_call (AcsEventHub * hub, const gchar * call_id,
    const gchar * const *users);

guint acs_event_hub_get_n_streams (AcsEventHub * hub);

gint64 acs_event_hub_get_user_seen (AcsEventHub * hub, const gchar * user,
    gint64 now);

void acs_event_hub_set_presence_window (AcsEventHub * hub, gint64 window_us);

void acs_event_hub_close_streams (AcsEventHub * hub);

G_END_DECLS

#endif /* __ACS_EVENT_HUB_H__ */

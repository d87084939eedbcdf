/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: one main-loop source for the timers of every call */

#ifndef __ACS_TIMER_QUEUE_H__
#define __ACS_TIMER_QUEUE_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AcsTimerQueue AcsTimerQueue;

/**
 * AcsTimerFunc:
 * @key: the key of the timer that expired; valid during the call only
 * @user_data: the data given to acs_timer_queue_new()
 *
 * Called once per expired timer, in the order of the deadlines. It may set
 * or cancel timers, its own key included.
 */
typedef void (*AcsTimerFunc) (const gchar * key, gpointer user_data);

AcsTimerQueue *acs_timer_queue_new (GMainContext * context, AcsTimerFunc func,
    gpointer user_data);

void acs_timer_queue_set (AcsTimerQueue * queue, const gchar * key,
    gint64 deadline);

void acs_timer_queue_cancel (AcsTimerQueue * queue, const gchar * key);

guint acs_timer_queue_size (AcsTimerQueue * queue);

void acs_timer_queue_free (AcsTimerQueue * queue);

G_END_DECLS

#endif /* __ACS_TIMER_QUEUE_H__ */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: one main-loop source for the timers of every call
 *
 * A GSource per call timer (g_timeout_add()) made every iteration of the
 * main loop walk all of them in g_main_context_prepare() and check():
 * with 1,000 setups/s and ended calls kept 60 s, 60,000 sources, each
 * visited several times per request. Here the deadlines are kept sorted
 * in a GSequence (a balanced tree) with a hash table from key to entry,
 * and one source whose ready time is the earliest deadline: setting or
 * cancelling a timer is O(log n), a main loop iteration O(1).
 *
 * Single-threaded: used from the thread of its main context only. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acstimerqueue.h"

typedef struct
{
  gchar *key;
  gint64 deadline;              /* monotonic, microseconds */
  guint64 serial;               /* equal deadlines: first set, first run */
} AcsTimer;

typedef struct
{
  GSource source;
  AcsTimerQueue *queue;
} AcsTimerSource;

struct _AcsTimerQueue
{
  GSequence *timers;            /* AcsTimer, by deadline and serial, owned */
  GHashTable *by_key;           /* key (the timer's) -> GSequenceIter */
  GSource *source;
  AcsTimerFunc func;
  gpointer user_data;
  guint64 next_serial;
};

static void
timer_free (AcsTimer * timer)
{
  g_free (timer->key);
  g_free (timer);
}

static gint
timer_compare (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const AcsTimer *ta = a, *tb = b;

  if (ta->deadline != tb->deadline)
    return ta->deadline < tb->deadline ? -1 : 1;
  if (ta->serial != tb->serial)
    return ta->serial < tb->serial ? -1 : 1;
  return 0;
}

static void
update_ready_time (AcsTimerQueue * queue)
{
  GSequenceIter *first = g_sequence_get_begin_iter (queue->timers);

  if (g_sequence_iter_is_end (first))
    g_source_set_ready_time (queue->source, -1);
  else
    g_source_set_ready_time (queue->source,
        ((AcsTimer *) g_sequence_get (first))->deadline);
}

static gboolean
timer_source_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  AcsTimerQueue *queue = ((AcsTimerSource *) source)->queue;
  gint64 now = g_get_monotonic_time ();

  for (;;) {
    GSequenceIter *first = g_sequence_get_begin_iter (queue->timers);
    AcsTimer *timer;
    gchar *key;

    if (g_sequence_iter_is_end (first))
      break;
    timer = g_sequence_get (first);
    if (timer->deadline > now)
      break;
    /* Out of the queue before the call, which may set it again */
    key = g_steal_pointer (&timer->key);
    g_hash_table_remove (queue->by_key, key);
    g_sequence_remove (first);
    queue->func (key, queue->user_data);
    g_free (key);
  }
  update_ready_time (queue);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_source_funcs = {
  NULL, NULL, timer_source_dispatch, NULL, NULL, NULL,
};

/**
 * acs_timer_queue_new:
 * @context: (nullable): the main context of the timers, %NULL for the
 *   default one
 * @func: (scope notified): called for each expired timer
 * @user_data: passed to @func
 *
 * Returns: (transfer full): an empty timer queue, attached to @context.
 */
AcsTimerQueue *
acs_timer_queue_new (GMainContext * context, AcsTimerFunc func,
    gpointer user_data)
{
  AcsTimerQueue *queue = g_new0 (AcsTimerQueue, 1);

  queue->timers = g_sequence_new ((GDestroyNotify) timer_free);
  /* The keys belong to the timers */
  queue->by_key = g_hash_table_new (g_str_hash, g_str_equal);
  queue->func = func;
  queue->user_data = user_data;
  queue->source = g_source_new (&timer_source_funcs, sizeof (AcsTimerSource));
  ((AcsTimerSource *) queue->source)->queue = queue;
  g_source_set_name (queue->source, "acs-timer-queue");
  g_source_set_ready_time (queue->source, -1);
  g_source_attach (queue->source, context);
  return queue;
}

/**
 * acs_timer_queue_set:
 * @queue: a timer queue
 * @key: names the timer; copied
 * @deadline: when it expires, g_get_monotonic_time() microseconds
 *
 * Sets the timer @key, replacing the one it had.
 */
void
acs_timer_queue_set (AcsTimerQueue * queue, const gchar * key, gint64 deadline)
{
  AcsTimer *timer;
  GSequenceIter *iter;

  acs_timer_queue_cancel (queue, key);
  timer = g_new (AcsTimer, 1);
  timer->key = g_strdup (key);
  timer->deadline = deadline;
  timer->serial = queue->next_serial++;
  iter = g_sequence_insert_sorted (queue->timers, timer, timer_compare, NULL);
  g_hash_table_insert (queue->by_key, timer->key, iter);
  update_ready_time (queue);
}

/**
 * acs_timer_queue_cancel:
 * @queue: a timer queue
 * @key: a timer's key
 *
 * Cancels the timer @key, if set.
 */
void
acs_timer_queue_cancel (AcsTimerQueue * queue, const gchar * key)
{
  GSequenceIter *iter = g_hash_table_lookup (queue->by_key, key);

  if (iter == NULL)
    return;
  g_hash_table_remove (queue->by_key, key);
  g_sequence_remove (iter);
  update_ready_time (queue);
}

/**
 * acs_timer_queue_size:
 * @queue: a timer queue
 *
 * Returns: the number of timers set.
 */
guint
acs_timer_queue_size (AcsTimerQueue * queue)
{
  return g_hash_table_size (queue->by_key);
}

/**
 * acs_timer_queue_free:
 * @queue: (transfer full) (nullable): a timer queue
 *
 * Cancels every timer and detaches the queue from its main context.
 */
void
acs_timer_queue_free (AcsTimerQueue * queue)
{
  if (queue == NULL)
    return;
  g_source_destroy (queue->source);
  g_source_unref (queue->source);
  g_hash_table_unref (queue->by_key);
  g_sequence_free (queue->timers);
  g_free (queue);
}

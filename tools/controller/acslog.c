/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: log lines
 *
 * The controller logs one line per request and one per call state
 * change: at a thousand call setups a second, the way lines are made and
 * written is a visible part of its CPU. With acs_log_install() (the
 * program does it at start):
 *
 * - every line has GLib's format, `acs-controller-Message: HH:MM:SS.mmm:
 *   text`, messages on stderr, info and debug on stdout (G_MESSAGES_DEBUG
 *   as usual); warnings and worse go through GLib's default writer;
 * - GLib's default writer is not used for the others: it formats a line
 *   in several steps and converts it to the locale's charset with
 *   g_convert(), a tenth of the controller's CPU when it was;
 * - the request and call lines of the controller do not go through
 *   g_log() at all: acs_log_begin() gives a buffer with the line's prefix
 *   written, the caller appends the text, acs_log_end() ends the line;
 * - lines to stderr are collected while the main loop dispatches and
 *   written with one write() before it polls again (a source's prepare),
 *   or when 16 KiB are pending, before a warning and at exit: a line
 *   reaches its file within one main loop iteration.
 *
 * Without acs_log_install() (the tests linking the controller's code),
 * acs_log_end() passes the text to g_message(). Single-threaded: only the
 * main loop's thread calls acs_log_begin() and acs_log_end(); lines of
 * other threads go through acs_log_writer() under a lock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acslog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FLUSH_AT (16 * 1024)

static GMutex lock;
static gboolean installed;
static GString *pending;        /* lines for stderr, not written yet */
static GString *scratch;        /* acs_log_begin() without acs_log_install() */

/* The time of day of the last second seen, to format it once a second */
static gint64 prefix_secs = -1;
static gchar prefix_hms[16];

static gboolean
write_all (int fd, const gchar * data, gsize len)
{
  gsize done;
  gssize n;

  for (done = 0; done < len; done += n) {
    n = write (fd, data + done, len - done);
    if (n < 0 && errno == EINTR)
      n = 0;
    else if (n <= 0)
      return FALSE;
  }
  return TRUE;
}

/* With the lock held */
static void
flush_locked (void)
{
  if (pending == NULL || pending->len == 0)
    return;
  write_all (STDERR_FILENO, pending->str, pending->len);
  g_string_truncate (pending, 0);
}

/**
 * acs_log_flush:
 *
 * Writes the pending lines.
 */
void
acs_log_flush (void)
{
  g_mutex_lock (&lock);
  flush_locked ();
  g_mutex_unlock (&lock);
}

/* Appends "<domain>-<level>: HH:MM:SS.mmm: " */
static void
append_prefix (GString * s, const gchar * domain, const gchar * name)
{
  gint64 now = g_get_real_time ();
  gint64 secs = now / G_USEC_PER_SEC;
  guint ms = now / 1000 % 1000;
  gchar frac[6];

  if (secs != prefix_secs) {
    time_t t = secs;
    struct tm tm;

    localtime_r (&t, &tm);
    g_snprintf (prefix_hms, sizeof (prefix_hms), "%02d:%02d:%02d", tm.tm_hour,
        tm.tm_min, tm.tm_sec);
    prefix_secs = secs;
  }
  if (domain != NULL) {
    g_string_append (s, domain);
    g_string_append_c (s, '-');
  } else {
    g_string_append_len (s, "** ", 3);
  }
  g_string_append (s, name);
  g_string_append_len (s, ": ", 2);
  g_string_append (s, prefix_hms);
  frac[0] = '.';
  frac[1] = '0' + ms / 100;
  frac[2] = '0' + ms / 10 % 10;
  frac[3] = '0' + ms % 10;
  frac[4] = ':';
  frac[5] = ' ';
  g_string_append_len (s, frac, sizeof (frac));
}

static gboolean
flush_prepare (GSource * source, gint * timeout)
{
  *timeout = -1;
  acs_log_flush ();
  return FALSE;
}

static gboolean
flush_check (GSource * source)
{
  return FALSE;
}

static gboolean
flush_dispatch (GSource * source, GSourceFunc callback, gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs flush_funcs = {
  flush_prepare, flush_check, flush_dispatch, NULL, NULL, NULL
};

static void
flush_at_exit (void)
{
  acs_log_flush ();
}

/**
 * acs_log_install:
 *
 * Makes acs_log_writer() GLib's log writer, and collects the lines of
 * the default main context's iterations (see above). Call once, before
 * anything logs.
 */
void
acs_log_install (void)
{
  GSource *source;

  g_return_if_fail (!installed);
  pending = g_string_sized_new (FLUSH_AT + 1024);
  installed = TRUE;
  g_log_set_writer_func (acs_log_writer, NULL, NULL);
  source = g_source_new (&flush_funcs, sizeof (GSource));
  g_source_set_name (source, "acs-log-flush");
  /* Its prepare runs last before the poll: lines of every other source
   * dispatched are in the buffer */
  g_source_set_priority (source, G_PRIORITY_LOW);
  g_source_attach (source, NULL);
  g_source_unref (source);
  atexit (flush_at_exit);
}

/**
 * acs_log_begin:
 *
 * Starts a message line of the controller: append its text to the
 * buffer returned, then call acs_log_end(). Main loop thread only.
 *
 * Returns: (transfer none): the buffer.
 */
GString *
acs_log_begin (void)
{
  if (!installed) {
    if (scratch == NULL)
      scratch = g_string_sized_new (256);
    g_string_truncate (scratch, 0);
    return scratch;
  }
  g_mutex_lock (&lock);
  append_prefix (pending, G_LOG_DOMAIN, "Message");
  return pending;
}

/**
 * acs_log_end:
 * @line: the buffer of acs_log_begin()
 *
 * Ends the line.
 */
void
acs_log_end (GString * line)
{
  if (!installed) {
    g_message ("%s", line->str);
    return;
  }
  g_string_append_c (line, '\n');
  if (line->len >= FLUSH_AT)
    flush_locked ();
  g_mutex_unlock (&lock);
}

/**
 * acs_log_writer:
 * @level: the level
 * @fields: the fields
 * @n_fields: their number
 * @user_data: unused
 *
 * The #GLogWriterFunc of acs_log_install().
 *
 * Returns: whether the line was written.
 */
GLogWriterOutput
acs_log_writer (GLogLevelFlags level, const GLogField * fields,
    gsize n_fields, gpointer user_data)
{
  const gchar *domain = NULL, *message = NULL, *name;
  GLogWriterOutput out = G_LOG_WRITER_HANDLED;
  gsize i;

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) {
    acs_log_flush ();
    return g_log_writer_default (level, fields, n_fields, user_data);
  }
  for (i = 0; i < n_fields; i++) {
    if (fields[i].length != -1)
      continue;
    if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;
    else if (strcmp (fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
  }
  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;
  if (message == NULL) {
    acs_log_flush ();
    return g_log_writer_default (level, fields, n_fields, user_data);
  }

  if (level & G_LOG_LEVEL_MESSAGE)
    name = "Message";
  else if (level & G_LOG_LEVEL_INFO)
    name = "INFO";
  else
    name = "DEBUG";

  g_mutex_lock (&lock);
  if (level & G_LOG_LEVEL_MESSAGE) {
    /* As GLib: messages on stderr, collected */
    append_prefix (pending, domain, name);
    g_string_append (pending, message);
    g_string_append_c (pending, '\n');
    if (pending->len >= FLUSH_AT)
      flush_locked ();
  } else {
    /* info and debug on stdout, at once */
    GString *line = g_string_sized_new (128);

    append_prefix (line, domain, name);
    g_string_append (line, message);
    g_string_append_c (line, '\n');
    if (!write_all (STDOUT_FILENO, line->str, line->len))
      out = G_LOG_WRITER_UNHANDLED;
    g_string_free (line, TRUE);
  }
  g_mutex_unlock (&lock);
  return out;
}

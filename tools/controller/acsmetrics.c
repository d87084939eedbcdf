/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: Prometheus metrics
 *
 * Counters and one latency histogram, rendered in the Prometheus text
 * exposition format (version 0.0.4). Label values are path templates,
 * methods, statuses and end reasons: a bounded set, never user input. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acsmetrics.h"

#include <stdlib.h>

static const gdouble buckets[] = {
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
};

struct _AcsMetrics
{
  GHashTable *requests;         /* "method\tpath\tstatus" -> guint64 * */
  GHashTable *failures;         /* reason -> guint64 * */
  guint64 setups;
  guint64 bucket_counts[G_N_ELEMENTS (buckets)];
  guint64 latency_count;
  gdouble latency_sum;
};

/**
 * acs_metrics_new:
 *
 * Returns: (transfer full): zeroed metrics.
 */
AcsMetrics *
acs_metrics_new (void)
{
  AcsMetrics *metrics = g_new0 (AcsMetrics, 1);

  metrics->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  metrics->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  return metrics;
}

/**
 * acs_metrics_free:
 * @metrics: (transfer full) (nullable): metrics
 *
 * Frees @metrics.
 */
void
acs_metrics_free (AcsMetrics * metrics)
{
  if (metrics == NULL)
    return;
  g_hash_table_unref (metrics->requests);
  g_hash_table_unref (metrics->failures);
  g_free (metrics);
}

static void
count (GHashTable * table, const gchar * key)
{
  guint64 *n = g_hash_table_lookup (table, key);

  if (n == NULL) {
    n = g_new0 (guint64, 1);
    g_hash_table_insert (table, g_strdup (key), n);
  }
  (*n)++;
}

/**
 * acs_metrics_observe_request:
 * @metrics: metrics
 * @method: the HTTP method
 * @path: the path template
 * @status: the response status
 * @seconds: the time taken
 *
 * Counts one request.
 */
void
acs_metrics_observe_request (AcsMetrics * metrics, const gchar * method,
    const gchar * path, guint status, gdouble seconds)
{
  gchar buf[128];
  gchar *key = buf;
  guint64 *n;
  guint i;

  /* Looked up without an allocation: methods and templates are short */
  if (g_snprintf (buf, sizeof (buf), "%s\t%s\t%u", method, path,
          status) >= (gint) sizeof (buf))
    key = g_strdup_printf ("%s\t%s\t%u", method, path, status);
  n = g_hash_table_lookup (metrics->requests, key);
  if (n == NULL) {
    n = g_new0 (guint64, 1);
    g_hash_table_insert (metrics->requests, g_strdup (key), n);
  }
  (*n)++;
  if (key != buf)
    g_free (key);
  for (i = 0; i < G_N_ELEMENTS (buckets); i++)
    if (seconds <= buckets[i])
      metrics->bucket_counts[i]++;
  metrics->latency_count++;
  metrics->latency_sum += seconds;
}

/**
 * acs_metrics_call_setup:
 * @metrics: metrics
 *
 * Counts a call answered.
 */
void
acs_metrics_call_setup (AcsMetrics * metrics)
{
  metrics->setups++;
}

/**
 * acs_metrics_call_failure:
 * @metrics: metrics
 * @reason: the end reason of a call never answered
 *
 * Counts a call that ended before it was answered.
 */
void
acs_metrics_call_failure (AcsMetrics * metrics, const gchar * reason)
{
  count (metrics->failures, reason);
}

static gint
compare_keys (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar **) a, *(const gchar **) b);
}

/**
 * acs_metrics_render:
 * @metrics: metrics
 * @calls_active: calls not ended
 * @event_streams: open event streams
 *
 * Returns: (transfer full): the metrics in Prometheus text format.
 */
gchar *
acs_metrics_render (AcsMetrics * metrics, guint calls_active,
    guint event_streams)
{
  GString *s = g_string_new (NULL);
  g_autofree gpointer *keys = NULL;
  gchar num[G_ASCII_DTOSTR_BUF_SIZE];
  guint n, i;

  g_string_append_printf (s,
      "# HELP acs_calls_active Calls not ended.\n"
      "# TYPE acs_calls_active gauge\n"
      "acs_calls_active %u\n"
      "# HELP acs_call_setups_total Calls answered.\n"
      "# TYPE acs_call_setups_total counter\n"
      "acs_call_setups_total %" G_GUINT64_FORMAT "\n"
      "# HELP acs_call_failures_total Calls ended before an answer, "
      "by end reason.\n"
      "# TYPE acs_call_failures_total counter\n", calls_active,
      metrics->setups);
  keys = g_hash_table_get_keys_as_array (metrics->failures, &n);
  qsort (keys, n, sizeof (gpointer), compare_keys);
  for (i = 0; i < n; i++)
    g_string_append_printf (s,
        "acs_call_failures_total{reason=\"%s\"} %" G_GUINT64_FORMAT "\n",
        (gchar *) keys[i], *(guint64 *) g_hash_table_lookup (metrics->failures,
            keys[i]));
  g_clear_pointer (&keys, g_free);

  g_string_append (s, "# HELP acs_http_requests_total HTTP requests.\n"
      "# TYPE acs_http_requests_total counter\n");
  keys = g_hash_table_get_keys_as_array (metrics->requests, &n);
  qsort (keys, n, sizeof (gpointer), compare_keys);
  for (i = 0; i < n; i++) {
    g_auto (GStrv) parts = g_strsplit (keys[i], "\t", 3);

    g_string_append_printf (s, "acs_http_requests_total{method=\"%s\","
        "path=\"%s\",status=\"%s\"} %" G_GUINT64_FORMAT "\n", parts[0],
        parts[1], parts[2], *(guint64 *) g_hash_table_lookup
        (metrics->requests, keys[i]));
  }

  g_string_append (s, "# HELP acs_http_request_duration_seconds "
      "Time to answer a request (to open an event stream).\n"
      "# TYPE acs_http_request_duration_seconds histogram\n");
  for (i = 0; i < G_N_ELEMENTS (buckets); i++)
    g_string_append_printf (s, "acs_http_request_duration_seconds_bucket"
        "{le=\"%s\"} %" G_GUINT64_FORMAT "\n",
        g_ascii_formatd (num, sizeof (num), "%g", buckets[i]),
        metrics->bucket_counts[i]);
  g_string_append_printf (s, "acs_http_request_duration_seconds_bucket"
      "{le=\"+Inf\"} %" G_GUINT64_FORMAT "\n", metrics->latency_count);
  g_string_append_printf (s, "acs_http_request_duration_seconds_sum %s\n",
      g_ascii_dtostr (num, sizeof (num), metrics->latency_sum));
  g_string_append_printf (s, "acs_http_request_duration_seconds_count %"
      G_GUINT64_FORMAT "\n", metrics->latency_count);

  g_string_append_printf (s, "# HELP acs_event_streams Open event streams.\n"
      "# TYPE acs_event_streams gauge\n" "acs_event_streams %u\n",
      event_streams);
  return g_string_free (s, FALSE);
}

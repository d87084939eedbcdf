/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs benchmarks: what acs-mixer-bench and acs-group-bench share to
 * drive elements through their own pads: CPU clocks, a feeder source pad
 * and a sink pad's event function that drops everything */

#ifndef __ACS_BENCH_UTIL_H__
#define __ACS_BENCH_UTIL_H__

#include <gst/gst.h>
#include <time.h>

/* CPU seconds of the whole process (all threads) */
static inline double
bench_cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of the calling thread */
static inline double
bench_thread_cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline gboolean
bench_drop_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  gst_event_unref (event);
  return TRUE;
}

/* A feeder answers the latency query as a source element does (live as
 * the feeder was made): unanswered, GstAggregator would query every
 * upstream pad again before each period, a cost no real pipeline has */
static inline gboolean
bench_feeder_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gst_query_set_latency (query,
        GPOINTER_TO_INT (gst_pad_get_element_private (pad)), 0,
        GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

/* A source pad linked to @sink, active, with stream-start (@stream_id),
 * @caps_str caps and a TIME segment sent */
static inline GstPad *
bench_new_feeder (GstPad * sink, const gchar * stream_id,
    const gchar * caps_str, gboolean live)
{
  GstPad *pad = gst_pad_new (NULL, GST_PAD_SRC);
  GstSegment seg;
  GstCaps *caps;

  gst_pad_set_element_private (pad, GINT_TO_POINTER (live));
  gst_pad_set_query_function (pad, bench_feeder_query);
  g_assert (gst_pad_link (pad, sink) == GST_PAD_LINK_OK);
  gst_pad_set_active (pad, TRUE);
  gst_pad_push_event (pad, gst_event_new_stream_start (stream_id));
  caps = gst_caps_from_string (caps_str);
  g_assert (gst_pad_push_event (pad, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (pad, gst_event_new_segment (&seg));
  return pad;
}

#endif /* __ACS_BENCH_UTIL_H__ */

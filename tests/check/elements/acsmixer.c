/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: unit tests of acsmixer and acsaudiolevelgate
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <acs/acsdecoderreset.h>
#include <gst/check/gsttestclock.h>
#include <gst/base/gstaggregator.h>
#include <gst/rtp/rtp.h>

#define RATE 48000
#define FRAMES 960              /* 20 ms */
#define PERIOD (20 * GST_MSECOND)
#define CAPS_STR "audio/x-raw, format=S16LE, rate=48000, channels=1, " \
    "layout=interleaved"
#define MAX_MEMBERS 8
#define OUTPUT_META "GstAcsMixerOutputMeta"

/* A call: one acsmixer, one harness per member (sink_N in, src_N out) and
 * one on the aggregator's own src pad, whose test clock drives the
 * element. The aggregator's latency keeps timeouts away unless a test
 * cranks the clock. */
typedef struct
{
  GstElement *mixer;
  GstHarness *main;
  GstHarness *m[MAX_MEMBERS];
  guint n;
} Call;

static Call *
call_new (guint n, guint top_k)
{
  Call *c = g_new0 (Call, 1);
  guint i;

  c->mixer = gst_element_factory_make ("acsmixer", NULL);
  fail_unless (c->mixer != NULL);
  g_object_set (c->mixer, "top-k", top_k, "latency", GST_SECOND,
      "hold-time", 0, NULL);
  c->main = gst_harness_new_with_element (c->mixer, NULL, "src");
  for (i = 0; i < n; i++) {
    gchar *sink = g_strdup_printf ("sink_%u", i);
    gchar *src = g_strdup_printf ("src_%u", i);

    c->m[i] = gst_harness_new_with_element (c->mixer, sink, src);
    gst_harness_set_src_caps_str (c->m[i], CAPS_STR);
    g_free (sink);
    g_free (src);
  }
  c->n = n;
  gst_harness_use_testclock (c->main);
  gst_harness_play (c->main);
  return c;
}

static void
call_free (Call * c)
{
  guint i;

  for (i = 0; i < MAX_MEMBERS; i++)
    if (c->m[i])
      gst_harness_teardown (c->m[i]);
  gst_harness_teardown (c->main);
  gst_object_unref (c->mixer);
  g_free (c);
}

static GstBuffer *
make_buffer (const gint16 * samples, gint16 dc, guint period)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, FRAMES * 2, NULL);
  GstMapInfo map;
  guint i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < FRAMES; i++)
    ((gint16 *) map.data)[i] = samples ? samples[i] : dc;
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = period * PERIOD;
  GST_BUFFER_DURATION (buf) = PERIOD;
  return buf;
}

static void
push_dc (GstHarness * h, gint16 dc, guint period)
{
  fail_unless_equals_int (gst_harness_push (h, make_buffer (NULL, dc,
              period)), GST_FLOW_OK);
}

static void
assert_dc (GstBuffer * buf, gint16 expected)
{
  GstMapInfo map;
  guint i;

  fail_unless (buf != NULL);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  fail_unless_equals_int (map.size, FRAMES * 2);
  for (i = 0; i < FRAMES; i++)
    fail_unless_equals_int (((gint16 *) map.data)[i], expected);
  gst_buffer_unmap (buf, &map);
}

static const gchar *
output_group (GstBuffer * buf)
{
  GstCustomMeta *meta = gst_buffer_get_custom_meta (buf, OUTPUT_META);

  fail_unless (meta != NULL);
  return gst_structure_get_string (gst_custom_meta_get_structure (meta),
      "group");
}

/* Every member pushes its DC value for one period; returns the outputs */
static void
call_period (Call * c, const gint16 * dc, guint period, GstBuffer ** out)
{
  guint i;

  for (i = 0; i < c->n; i++)
    push_dc (c->m[i], dc[i], period);
  for (i = 0; i < c->n; i++)
    out[i] = gst_harness_pull (c->m[i]);
  gst_buffer_unref (gst_harness_pull (c->main));
}

static void
call_period_unref (Call * c, const gint16 * dc, guint period)
{
  GstBuffer *out[MAX_MEMBERS];
  guint i;

  call_period (c, dc, period, out);
  for (i = 0; i < c->n; i++)
    gst_buffer_unref (out[i]);
}

GST_START_TEST (test_mix_minus_exact)
{
  Call *c = call_new (3, 3);
  gint16 in[3][FRAMES];
  GstBuffer *out[3];
  guint i, j;

  for (i = 0; i < FRAMES; i++) {
    in[0][i] = (gint16) ((i * 37) % 2000) - 1000;
    in[1][i] = (gint16) ((i * 101) % 3000) - 1500;
    in[2][i] = (gint16) (i % 7) * 100;
  }
  for (j = 0; j < 3; j++)
    fail_unless_equals_int (gst_harness_push (c->m[j],
            make_buffer (in[j], 0, 0)), GST_FLOW_OK);
  for (j = 0; j < 3; j++) {
    GstMapInfo map;

    out[j] = gst_harness_pull (c->m[j]);
    fail_unless (out[j] != NULL);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out[j]), 0);
    fail_unless_equals_string (output_group (out[j]), "member");
    gst_buffer_map (out[j], &map, GST_MAP_READ);
    for (i = 0; i < FRAMES; i++) {
      gint32 expect = (gint32) in[0][i] + in[1][i] + in[2][i] - in[j][i];
      fail_unless_equals_int (((gint16 *) map.data)[i], expect);
    }
    gst_buffer_unmap (out[j], &map);
    gst_buffer_unref (out[j]);
  }
  /* the full mix on src */
  {
    GstBuffer *full = gst_harness_pull (c->main);
    GstMapInfo map;

    gst_buffer_map (full, &map, GST_MAP_READ);
    for (i = 0; i < FRAMES; i++)
      fail_unless_equals_int (((gint16 *) map.data)[i],
          in[0][i] + in[1][i] + in[2][i]);
    gst_buffer_unmap (full, &map);
    gst_buffer_unref (full);
  }
  call_free (c);
}

GST_END_TEST;

/* Mix-minus buffers are reused once released: one still held downstream
 * (or whose memory downstream still shares) keeps its content, one
 * released comes back with the next period's samples and meta */
GST_START_TEST (test_output_reuse)
{
  Call *c = call_new (3, 3);
  const gint16 first[3] = { 100, 200, 400 };
  const gint16 second[3] = { 1, 2, 4 };
  const gint16 third[3] = { 10, 20, 40 };
  GstBuffer *out[3], *held, *shared, *again[3], *released;
  GstCustomMeta *meta;
  guint64 period = 0;
  guint i;

  /* period 0: member 0 keeps its buffer, member 1 keeps a copy sharing
   * the memory, member 2 releases its buffer */
  call_period (c, first, 0, out);
  held = out[0];
  shared = gst_buffer_copy (out[1]);
  gst_buffer_unref (out[1]);
  gst_buffer_unref (out[2]);

  call_period (c, second, 1, again);
  assert_dc (again[0], 6);
  assert_dc (again[1], 5);
  assert_dc (again[2], 3);
  fail_if (again[0] == held);
  /* what downstream still holds is untouched */
  assert_dc (held, 600);
  assert_dc (shared, 500);
  meta = gst_buffer_get_custom_meta (again[2], OUTPUT_META);
  fail_unless (gst_structure_get_uint64 (gst_custom_meta_get_structure
          (meta), "period", &period));
  released = again[2];
  for (i = 0; i < 3; i++)
    gst_buffer_unref (again[i]);

  call_period (c, third, 2, again);
  assert_dc (again[0], 60);
  assert_dc (again[2], 30);
  /* the same buffer again (compared, not dereferenced, before) */
  fail_unless (again[2] == released);
  meta = gst_buffer_get_custom_meta (again[2], OUTPUT_META);
  fail_unless_equals_string (output_group (again[2]), "member");
  {
    guint64 next = 0;
    gint member = -1;

    fail_unless (gst_structure_get_uint64 (gst_custom_meta_get_structure
            (meta), "period", &next));
    fail_unless_equals_uint64 (next, period + 1);
    fail_unless (gst_structure_get_int (gst_custom_meta_get_structure
            (meta), "member", &member));
    fail_unless_equals_int (member, 2);
  }
  for (i = 0; i < 3; i++)
    gst_buffer_unref (again[i]);
  assert_dc (held, 600);
  gst_buffer_unref (held);
  gst_buffer_unref (shared);
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_mix_minus_saturation)
{
  Call *c = call_new (3, 3);
  gint16 dc[3] = { 20000, 20000, 20000 };
  gint16 neg[3] = { -30000, -30000, 30000 };
  GstBuffer *out[3];
  guint i;

  call_period (c, dc, 0, out);
  /* 40000 saturates once */
  for (i = 0; i < 3; i++) {
    assert_dc (out[i], 32767);
    gst_buffer_unref (out[i]);
  }
  call_period (c, neg, 1, out);
  assert_dc (out[0], 0);
  assert_dc (out[1], 0);
  assert_dc (out[2], -32768);
  for (i = 0; i < 3; i++)
    gst_buffer_unref (out[i]);
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_missing_member)
{
  Call *c = call_new (3, 3);
  GstBuffer *out[3];
  guint i;

  /* member 2 is late: the aggregator times out on the test clock and
   * mixes the others */
  push_dc (c->m[0], 1000, 0);
  push_dc (c->m[1], 2000, 0);
  fail_unless (gst_harness_crank_single_clock_wait (c->main));
  for (i = 0; i < 3; i++)
    out[i] = gst_harness_pull (c->m[i]);
  assert_dc (out[0], 2000);
  assert_dc (out[1], 1000);
  assert_dc (out[2], 3000);
  for (i = 0; i < 3; i++)
    gst_buffer_unref (out[i]);
  gst_buffer_unref (gst_harness_pull (c->main));
  {
    GstStructure *s;
    guint64 missing;

    g_object_get (c->mixer, "stats", &s, NULL);
    fail_unless (gst_structure_get_uint64 (s, "missing-periods", &missing));
    fail_unless_equals_uint64 (missing, 1);
    gst_structure_free (s);
  }
  /* it is back in the next period */
  {
    gint16 dc[3] = { 1000, 2000, 4000 };

    call_period (c, dc, 1, out);
    assert_dc (out[0], 6000);
    assert_dc (out[2], 3000);
    for (i = 0; i < 3; i++)
      gst_buffer_unref (out[i]);
  }
  call_free (c);
}

GST_END_TEST;

/* Live, a room starts before anyone speaks: no deadline runs out before
 * the first input (GstAggregator's default start-time-selection=zero would
 * time out with no output format and fail for good), and the mix starts
 * with the first input, however late */
GST_START_TEST (test_live_start_with_first_input)
{
  Call *c = call_new (2, 2);
  GstTestClock *clock = gst_harness_get_testclock (c->main);
  gint16 dc[2] = { 1000, 2000 };
  GstBuffer *out[2];
  GstAggregatorStartTimeSelection sel;
  guint i;

  g_object_get (c->mixer, "start-time-selection", &sel, NULL);
  fail_unless_equals_int (sel, GST_AGGREGATOR_START_TIME_SELECTION_FIRST);
  fail_if (gst_test_clock_timed_wait_for_multiple_pending_ids (clock, 1, 200,
          NULL));
  gst_test_clock_set_time (clock, 5 * GST_SECOND);
  fail_if (gst_test_clock_timed_wait_for_multiple_pending_ids (clock, 1, 200,
          NULL));

  call_period (c, dc, 250, out);
  assert_dc (out[0], 2000);
  assert_dc (out[1], 1000);
  for (i = 0; i < 2; i++) {
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out[i]), 250 * PERIOD);
    gst_buffer_unref (out[i]);
  }
  call_period_unref (c, dc, 251);
  gst_object_unref (clock);
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_join_leave)
{
  Call *c = call_new (2, 3);
  gint16 dc[2] = { 1000, 2000 };
  GstBuffer *out[2];
  GstPad *sink, *peer;
  GstSegment seg;
  guint p, i;

  call_period_unref (c, dc, 0);

  /* member 5 joins mid-stream, talking only */
  sink = gst_element_request_pad_simple (c->mixer, "sink_5");
  fail_unless (sink != NULL);
  peer = gst_pad_new ("member5", GST_PAD_SRC);
  fail_unless_equals_int (gst_pad_link (peer, sink), GST_PAD_LINK_OK);
  gst_pad_set_active (peer, TRUE);
  gst_pad_push_event (peer, gst_event_new_stream_start ("member5"));
  {
    GstCaps *caps = gst_caps_from_string (CAPS_STR);

    fail_unless (gst_pad_push_event (peer, gst_event_new_caps (caps)));
    gst_caps_unref (caps);
  }
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (peer, gst_event_new_segment (&seg));

  for (p = 1; p < 4; p++) {
    push_dc (c->m[0], 1000, p);
    push_dc (c->m[1], 2000, p);
    fail_unless_equals_int (gst_pad_push (peer, make_buffer (NULL, 300, p)),
        GST_FLOW_OK);
    for (i = 0; i < 2; i++)
      out[i] = gst_harness_pull (c->m[i]);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out[0]), p * PERIOD);
    assert_dc (out[0], 2300);
    assert_dc (out[1], 1300);
    gst_buffer_unref (out[0]);
    gst_buffer_unref (out[1]);
    gst_buffer_unref (gst_harness_pull (c->main));
  }

  /* and leaves: the others go on without a glitch */
  gst_pad_unlink (peer, sink);
  gst_element_release_request_pad (c->mixer, sink);
  gst_object_unref (sink);
  gst_pad_set_active (peer, FALSE);
  gst_object_unref (peer);

  for (p = 4; p < 7; p++) {
    call_period (c, dc, p, out);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out[0]), p * PERIOD);
    assert_dc (out[0], 2000);
    assert_dc (out[1], 1000);
    gst_buffer_unref (out[0]);
    gst_buffer_unref (out[1]);
  }
  call_free (c);
}

GST_END_TEST;

static void
ranking_selected (GstElement * mixer, guint * sel, guint * n)
{
  GstStructure *s;
  const GValue *v;
  guint i;

  g_object_get (mixer, "ranking", &s, NULL);
  v = gst_structure_get_value (s, "selected");
  *n = gst_value_array_get_size (v);
  for (i = 0; i < *n; i++)
    sel[i] = g_value_get_uint (gst_value_array_get_value (v, i));
  gst_structure_free (s);
}

static gboolean
is_selected (GstElement * mixer, guint member)
{
  guint sel[MAX_MEMBERS], n, i;

  ranking_selected (mixer, sel, &n);
  for (i = 0; i < n; i++)
    if (sel[i] == member)
      return TRUE;
  return FALSE;
}

GST_START_TEST (test_top_k_shared_output)
{
  Call *c = call_new (5, 2);
  gint16 dc[5] = { 10000, 8000, 100, 200, 300 };
  GstBuffer *out[5];
  guint sel[MAX_MEMBERS], n, i;

  call_period (c, dc, 0, out);
  ranking_selected (c->mixer, sel, &n);
  fail_unless_equals_int (n, 2);
  fail_unless (is_selected (c->mixer, 0) && is_selected (c->mixer, 1));

  /* members 0 and 1 hear each other; everyone else hears both, and
   * gets the very same buffer, marked shared */
  assert_dc (out[0], 8000);
  assert_dc (out[1], 10000);
  assert_dc (out[2], 18000);
  fail_unless_equals_string (output_group (out[0]), "member");
  fail_unless_equals_string (output_group (out[2]), "shared");
  fail_unless (out[2] == out[3] && out[3] == out[4]);
  fail_unless (out[0] != out[1] && out[0] != out[2]);
  for (i = 0; i < 5; i++)
    gst_buffer_unref (out[i]);

  {
    GstStructure *s;
    guint64 distinct, shared;

    g_object_get (c->mixer, "stats", &s, NULL);
    gst_structure_get_uint64 (s, "distinct-outputs", &distinct);
    gst_structure_get_uint64 (s, "shared-outputs", &shared);
    fail_unless_equals_uint64 (distinct, 2);
    fail_unless_equals_uint64 (shared, 3);
    gst_structure_free (s);
  }
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_top_k_hysteresis)
{
  Call *c = call_new (3, 2);
  gint16 dc[3] = { 10000, 8000, 100 };
  guint p;

  for (p = 0; p < 20; p++)
    call_period_unref (c, dc, p);
  fail_unless (is_selected (c->mixer, 1));
  fail_if (is_selected (c->mixer, 2));

  /* louder than member 1, but by less than 6 dB: no change */
  dc[2] = 12000;
  for (; p < 60; p++)
    call_period_unref (c, dc, p);
  fail_unless (is_selected (c->mixer, 1));
  fail_if (is_selected (c->mixer, 2));

  /* 12 dB louder: member 2 replaces member 1 */
  dc[2] = 32000;
  for (; p < 100; p++)
    call_period_unref (c, dc, p);
  fail_unless (is_selected (c->mixer, 2));
  fail_unless (is_selected (c->mixer, 0));
  fail_if (is_selected (c->mixer, 1));
  call_free (c);
}

GST_END_TEST;

static void
on_dominant (GstElement * mixer, gint member, gint previous, GArray * log)
{
  g_array_append_val (log, member);
}

GST_START_TEST (test_dominant_speaker)
{
  Call *c = call_new (3, 3);
  gint16 dc[3] = { 8000, 1000, 1000 };
  GArray *log = g_array_new (FALSE, FALSE, sizeof (gint));
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  gint member = -2;
  guint p;

  gst_element_set_bus (c->mixer, bus);
  g_signal_connect (c->mixer, "on-dominant-speaker", G_CALLBACK (on_dominant),
      log);

  for (p = 0; p < 10; p++)
    call_period_unref (c, dc, p);
  fail_unless_equals_int (log->len, 1);
  fail_unless_equals_int (g_array_index (log, gint, 0), 0);

  /* member 1 a bit louder: no flapping */
  dc[1] = 9000;
  for (; p < 40; p++)
    call_period_unref (c, dc, p);
  fail_unless_equals_int (log->len, 1);

  /* member 2 much louder */
  dc[2] = 30000;
  for (; p < 80; p++)
    call_period_unref (c, dc, p);
  fail_unless_equals_int (log->len, 2);
  fail_unless_equals_int (g_array_index (log, gint, 1), 2);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  fail_unless (gst_message_has_name (msg, "acs-dominant-speaker"));
  gst_structure_get_int (gst_message_get_structure (msg), "member", &member);
  fail_unless_equals_int (member, 0);
  gst_message_unref (msg);

  {
    GstStructure *s;
    gint dom;

    g_object_get (c->mixer, "ranking", &s, NULL);
    gst_structure_get_int (s, "dominant", &dom);
    fail_unless_equals_int (dom, 2);
    fail_unless_equals_int (g_value_get_uint (gst_value_array_get_value
            (gst_structure_get_value (s, "members"), 0)), 2);
    gst_structure_free (s);
  }

  gst_element_set_bus (c->mixer, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  g_array_unref (log);
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_mute)
{
  Call *c = call_new (3, 3);
  gint16 dc[3] = { 1000, 2000, 4000 };
  GstBuffer *out[3];
  GstPad *pad = gst_element_get_static_pad (c->mixer, "sink_2");
  guint i;

  g_object_set (pad, "mute", TRUE, NULL);
  call_period (c, dc, 0, out);
  assert_dc (out[0], 2000);
  assert_dc (out[1], 1000);
  assert_dc (out[2], 3000);
  for (i = 0; i < 3; i++)
    gst_buffer_unref (out[i]);
  g_object_set (pad, "mute", FALSE, NULL);
  call_period (c, dc, 1, out);
  assert_dc (out[0], 6000);
  for (i = 0; i < 3; i++)
    gst_buffer_unref (out[i]);
  gst_object_unref (pad);
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_wrong_caps)
{
  Call *c = call_new (2, 3);
  GstHarness *bad;
  gint16 dc[2] = { 1000, 2000 };
  GstBuffer *out[2];
  guint p;

  bad = gst_harness_new_with_element (c->mixer, "sink_3", NULL);
  gst_harness_use_testclock (c->main);
  /* a rate the call does not use: refused, the others go on */
  gst_pad_push_event (bad->srcpad, gst_event_new_stream_start ("bad"));
  {
    GstCaps *caps = gst_caps_from_string ("audio/x-raw, format=S16LE, "
        "rate=16000, channels=1, layout=interleaved");

    gst_pad_push_event (bad->srcpad, gst_event_new_caps (caps));
    gst_caps_unref (caps);
  }
  {
    GstSegment seg;

    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_pad_push_event (bad->srcpad, gst_event_new_segment (&seg));
  }
  fail_if (gst_harness_push (bad, make_buffer (NULL, 5000, 0)) == GST_FLOW_OK);

  for (p = 0; p < 3; p++) {
    push_dc (c->m[0], 1000, p);
    push_dc (c->m[1], 2000, p);
    /* the refused member never sends: the period times out */
    fail_unless (gst_harness_crank_single_clock_wait (c->main));
    out[0] = gst_harness_pull (c->m[0]);
    out[1] = gst_harness_pull (c->m[1]);
    assert_dc (out[0], dc[1]);
    assert_dc (out[1], dc[0]);
    gst_buffer_unref (out[0]);
    gst_buffer_unref (out[1]);
    gst_buffer_unref (gst_harness_pull (c->main));
  }
  gst_harness_teardown (bad);
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_sfu_not_supported)
{
  GstElement *mixer = gst_element_factory_make ("acsmixer", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (mixer, bus);
  gst_util_set_object_arg (G_OBJECT (mixer), "mode", "sfu");
  fail_unless_equals_int (gst_element_set_state (mixer, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    fail_unless (g_error_matches (err, GST_CORE_ERROR,
            GST_CORE_ERROR_NOT_IMPLEMENTED));
    g_error_free (err);
  }
  gst_message_unref (msg);
  gst_element_set_state (mixer, GST_STATE_NULL);
  gst_element_set_bus (mixer, NULL);
  gst_object_unref (bus);
  gst_object_unref (mixer);
}

GST_END_TEST;

static void
count_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad,
    gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
}

/* The element's documented launch line, live, to its end: one streaming
 * thread pushes every src_N (as tee does), so the sinks run with
 * async=false; every member's output gets the call's buffers and its EOS
 * (what they hold is checked by the mix-minus tests) */
GST_START_TEST (test_launch_line_live)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch ("acsmixer name=m "
      "audiotestsrc freq=440 is-live=true num-buffers=25 ! m.sink_0 "
      "m.src_0 ! fakesink name=k0 async=false signal-handoffs=true "
      "audiotestsrc freq=660 is-live=true num-buffers=25 ! m.sink_1 "
      "m.src_1 ! fakesink name=k1 async=false signal-handoffs=true "
      "audiotestsrc freq=880 is-live=true num-buffers=25 ! m.sink_2 "
      "m.src_2 ! fakesink name=k2 async=false signal-handoffs=true",
      &err);
  gint counts[3] = { 0, 0, 0 };
  GstBus *bus;
  GstMessage *msg;
  guint i;

  fail_unless (pipe != NULL && err == NULL, "%s", err ? err->message : "");
  fail_unless (GST_IS_PIPELINE (pipe));
  for (i = 0; i < 3; i++) {
    gchar *name = g_strdup_printf ("k%u", i);
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), name);

    g_signal_connect (sink, "handoff", G_CALLBACK (count_handoff), &counts[i]);
    gst_object_unref (sink);
    g_free (name);
  }
  bus = gst_element_get_bus (pipe);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *error = NULL;

    gst_message_parse_error (msg, &error, NULL);
    fail ("error from %s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
        error->message);
  }
  gst_message_unref (msg);
  for (i = 0; i < 3; i++)
    fail_unless (g_atomic_int_get (&counts[i]) >= 20, "member %u got %d "
        "buffers", i, g_atomic_int_get (&counts[i]));
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_END_TEST;

GST_START_TEST (test_states)
{
  GstElement *mixer = gst_element_factory_make ("acsmixer", NULL);
  GstPad *a = gst_element_request_pad_simple (mixer, "sink_0");
  GstPad *b = gst_element_request_pad_simple (mixer, "src_0");
  guint i;

  fail_unless (a && b);
  for (i = 0; i < 2; i++) {
    fail_unless (gst_element_set_state (mixer, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    fail_unless_equals_int (gst_element_set_state (mixer, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }
  gst_element_release_request_pad (mixer, a);
  gst_element_release_request_pad (mixer, b);
  gst_object_unref (a);
  gst_object_unref (b);
  gst_object_unref (mixer);

  mixer = gst_element_factory_make ("acsaudiolevelgate", NULL);
  fail_unless (mixer != NULL);
  fail_unless (gst_element_set_state (mixer, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_set_state (mixer, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (mixer);
}

GST_END_TEST;

/* acsaudiolevelgate */

#define LEVEL_EXT_ID 1

static GstBuffer *
make_rtp (guint16 seq, guint32 ts, gint level, GstClockTime pts)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (20, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, 111);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, ts);
  gst_rtp_buffer_set_ssrc (&rtp, 0x1234);
  if (level >= 0) {
    guint8 v = (guint8) level;
    fail_unless (gst_rtp_buffer_add_extension_onebyte_header (&rtp,
            LEVEL_EXT_ID, &v, 1));
  }
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_PTS (buf) = pts;
  return buf;
}

#define RTP_CAPS "application/x-rtp, media=audio, clock-rate=48000, " \
    "encoding-name=OPUS, extmap-1=urn:ietf:params:rtp-hdrext:ssrc-audio-level"

/* Members 0..2 send RTP with audio levels through gates; the mixer ranks
 * them on those levels (their decoded audio is silent here) */
GST_START_TEST (test_gate_selection_from_audio_level)
{
  Call *c = call_new (3, 1);
  GstHarness *g[3];
  gint levels[3] = { 40, 10, 60 };      /* -dBov: member 1 loudest */
  gint16 silence[3] = { 0, 0, 0 };
  guint i, p, forwarded[3] = { 0, 0, 0 };
  guint16 seq = 100;

  for (i = 0; i < 3; i++) {
    g[i] = gst_harness_new ("acsaudiolevelgate");
    g_object_set (g[i]->element, "mixer", c->mixer, "member", i, NULL);
    gst_harness_set_src_caps_str (g[i], RTP_CAPS);
  }

  for (p = 0; p < 10; p++, seq++) {
    for (i = 0; i < 3; i++) {
      GstBuffer *out;

      gst_harness_push (g[i], make_rtp (seq, p * 960, levels[i], p * PERIOD));
      out = gst_harness_try_pull (g[i]);
      if (out) {
        forwarded[i]++;
        gst_buffer_unref (out);
      }
    }
    call_period_unref (c, silence, p);
  }
  fail_unless (is_selected (c->mixer, 1));
  fail_if (is_selected (c->mixer, 0));
  /* after the first period only member 1 goes on to its decoder; every
   * member's first packet goes on, to configure its decoder */
  fail_unless (forwarded[1] >= 9);
  fail_unless_equals_int (forwarded[0], 1);
  fail_unless_equals_int (forwarded[2], 1);

  /* member 0 becomes the loudest: its gate forwards again, DISCONT first */
  levels[0] = 0;
  levels[1] = 50;
  {
    gboolean resumed = FALSE;
    guint resets = 0;
    GstEvent *ev;

    /* the first packet (priming the decoder) came without a reset */
    while ((ev = gst_harness_try_pull_event (g[0]))) {
      fail_if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM);
      gst_event_unref (ev);
    }

    for (; p < 40 && !resumed; p++, seq++) {
      GstBuffer *out;

      for (i = 1; i < 3; i++) {
        gst_harness_push (g[i], make_rtp (seq, p * 960, levels[i], p * PERIOD));
        while ((out = gst_harness_try_pull (g[i])))
          gst_buffer_unref (out);
      }
      gst_harness_push (g[0], make_rtp (seq, p * 960, levels[0], p * PERIOD));
      out = gst_harness_try_pull (g[0]);
      if (out) {
        fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
        resumed = TRUE;
        gst_buffer_unref (out);
      }
      /* and just before it, once, the event that resets its decoder */
      while ((ev = gst_harness_try_pull_event (g[0]))) {
        if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM &&
            gst_event_has_name (ev, ACS_DECODER_RESET_EVENT)) {
          guint member = G_MAXUINT;

          fail_unless (gst_structure_get_uint (gst_event_get_structure (ev),
                  "member", &member));
          fail_unless_equals_int (member, 0);
          fail_unless (out != NULL, "reset event without a packet");
          resets++;
        }
        gst_event_unref (ev);
      }
      call_period_unref (c, silence, p);
    }
    fail_unless (resumed);
    fail_unless_equals_int (resets, 1);
  }
  /* dropped packets became GAP events downstream */
  {
    GstEvent *ev;
    gboolean gap = FALSE;

    while ((ev = gst_harness_try_pull_event (g[2]))) {
      if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP)
        gap = TRUE;
      gst_event_unref (ev);
    }
    fail_unless (gap);
  }

  for (i = 0; i < 3; i++)
    gst_harness_teardown (g[i]);
  call_free (c);
}

GST_END_TEST;

/* gaps=false: a member outside the selection costs downstream nothing */
GST_START_TEST (test_gate_no_gaps)
{
  Call *c = call_new (2, 1);
  GstHarness *g = gst_harness_new ("acsaudiolevelgate");
  gint16 silence[2] = { 0, 0 };
  GstBuffer *out;
  GstEvent *ev;
  GstStructure *stats;
  guint64 dropped = 0;
  guint p, forwarded = 0;

  g_object_set (g->element, "mixer", c->mixer, "member", 1, "gaps", FALSE,
      NULL);
  gst_harness_set_src_caps_str (g, RTP_CAPS);
  /* member 0 is selected (its own decoded audio is louder) */
  for (p = 0; p < 5; p++) {
    const gint16 dc[2] = { 8000, 0 };

    call_period_unref (c, p == 0 ? silence : dc, p);
    gst_harness_push (g, make_rtp (100 + p, p * 960, 127, p * PERIOD));
    while ((out = gst_harness_try_pull (g))) {
      forwarded++;
      gst_buffer_unref (out);
    }
  }
  /* the first packet configures the decoder, then nothing */
  fail_unless_equals_int (forwarded, 1);
  while ((ev = gst_harness_try_pull_event (g))) {
    fail_if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP);
    gst_event_unref (ev);
  }
  g_object_get (g->element, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "packets-dropped", &dropped));
  fail_unless_equals_uint64 (dropped, 4);
  gst_structure_free (stats);

  gst_harness_teardown (g);
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_gate_bad_input)
{
  GstHarness *h = gst_harness_new ("acsaudiolevelgate");
  GstBuffer *garbage = gst_buffer_new_wrapped (g_memdup2 ("\x01\x02\x03", 3),
      3);
  GstBuffer *out;
  GstStructure *s;
  guint64 malformed, no_level, forwarded;

  gst_harness_set_src_caps_str (h, RTP_CAPS);
  /* garbage is dropped, never reaches the decoder */
  fail_unless_equals_int (gst_harness_push (h, garbage), GST_FLOW_OK);
  fail_unless (gst_harness_try_pull (h) == NULL);
  /* no mixer: everything else passes; the first after garbage is DISCONT */
  gst_harness_push (h, make_rtp (1, 0, 127, 0));
  out = gst_harness_pull (h);
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (out);
  gst_harness_push (h, make_rtp (2, 960, -1, PERIOD));
  gst_buffer_unref (gst_harness_pull (h));

  g_object_get (h->element, "stats", &s, NULL);
  gst_structure_get_uint64 (s, "packets-malformed", &malformed);
  gst_structure_get_uint64 (s, "packets-without-level", &no_level);
  gst_structure_get_uint64 (s, "packets-forwarded", &forwarded);
  fail_unless_equals_uint64 (malformed, 1);
  fail_unless_equals_uint64 (no_level, 1);
  fail_unless_equals_uint64 (forwarded, 2);
  gst_structure_free (s);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Non-live: upstream answers the latency query as a non-live source does,
 * so GstAggregator mixes a period once every member's buffer is there (no
 * timeouts) and acsmixer's period gate runs (the thread that brings the
 * last buffer of a period mixes it). Outputs are caught by plain sink pads
 * into queues (buffers, and the EOS event on the aggregator's src). */

typedef struct
{
  GstElement *mixer;
  GstPad *feed[MAX_MEMBERS];
  GstPad *catch[MAX_MEMBERS];
  GAsyncQueue *q[MAX_MEMBERS];
  GstPad *main_catch;
  GAsyncQueue *main_q;
  guint n;
} NlCall;

static GstFlowReturn
nl_catch_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  g_async_queue_push (gst_pad_get_element_private (pad), buf);
  return GST_FLOW_OK;
}

static gboolean
nl_catch_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    g_async_queue_push (gst_pad_get_element_private (pad), event);
  else
    gst_event_unref (event);
  return TRUE;
}

static GstPad *
nl_catch_new (GstPad * src, GAsyncQueue * q)
{
  GstPad *pad = gst_pad_new ("catch", GST_PAD_SINK);

  gst_pad_set_element_private (pad, q);
  gst_pad_set_chain_function (pad, nl_catch_chain);
  gst_pad_set_event_function (pad, nl_catch_event);
  gst_pad_set_active (pad, TRUE);
  fail_unless_equals_int (gst_pad_link (src, pad), GST_PAD_LINK_OK);
  return pad;
}

static gboolean
nl_feed_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gst_query_set_latency (query, FALSE, 0, GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static GstPad *
nl_feed_new (GstPad * sink, guint id)
{
  GstPad *pad = gst_pad_new (NULL, GST_PAD_SRC);
  gchar *sid = g_strdup_printf ("nl-%u", id);
  GstCaps *caps = gst_caps_from_string (CAPS_STR);
  GstSegment seg;

  gst_pad_set_query_function (pad, nl_feed_query);
  fail_unless_equals_int (gst_pad_link (pad, sink), GST_PAD_LINK_OK);
  gst_pad_set_active (pad, TRUE);
  fail_unless (gst_pad_push_event (pad, gst_event_new_stream_start (sid)));
  fail_unless (gst_pad_push_event (pad, gst_event_new_caps (caps)));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_pad_push_event (pad, gst_event_new_segment (&seg)));
  gst_caps_unref (caps);
  g_free (sid);
  return pad;
}

static NlCall *
nl_call_new (guint n, guint top_k)
{
  NlCall *c = g_new0 (NlCall, 1);
  GstPad *src;
  guint i;

  c->mixer = gst_element_factory_make ("acsmixer", NULL);
  fail_unless (c->mixer != NULL);
  g_object_set (c->mixer, "top-k", top_k, "hold-time", 0, NULL);
  c->main_q = g_async_queue_new ();
  src = gst_element_get_static_pad (c->mixer, "src");
  c->main_catch = nl_catch_new (src, c->main_q);
  gst_object_unref (src);
  for (i = 0; i < n; i++) {
    gchar *name = g_strdup_printf ("src_%u", i);

    c->q[i] = g_async_queue_new ();
    src = gst_element_request_pad_simple (c->mixer, name);
    c->catch[i] = nl_catch_new (src, c->q[i]);
    gst_object_unref (src);
    g_free (name);
  }
  fail_unless (gst_element_set_state (c->mixer, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < n; i++) {
    gchar *name = g_strdup_printf ("sink_%u", i);
    GstPad *sink = gst_element_request_pad_simple (c->mixer, name);

    c->feed[i] = nl_feed_new (sink, i);
    gst_object_unref (sink);
    g_free (name);
  }
  c->n = n;
  return c;
}

static void
nl_queue_free (GAsyncQueue * q)
{
  GstMiniObject *o;

  while ((o = g_async_queue_try_pop (q)))
    gst_mini_object_unref (o);
  g_async_queue_unref (q);
}

static void
nl_call_free (NlCall * c)
{
  guint i;

  fail_unless_equals_int (gst_element_set_state (c->mixer, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  for (i = 0; i < MAX_MEMBERS; i++) {
    if (c->feed[i])
      gst_object_unref (c->feed[i]);
    if (c->catch[i])
      gst_object_unref (c->catch[i]);
    if (c->q[i])
      nl_queue_free (c->q[i]);
  }
  gst_object_unref (c->main_catch);
  nl_queue_free (c->main_q);
  gst_object_unref (c->mixer);
  g_free (c);
}

/* the next output of a queue, waiting at most 5 s */
static GstMiniObject *
nl_pop (GAsyncQueue * q)
{
  GstMiniObject *o = g_async_queue_timeout_pop (q, 5 * G_USEC_PER_SEC);

  fail_unless (o != NULL, "no output within 5 s");
  return o;
}

static void
nl_push_dc (NlCall * c, guint m, gint16 dc, guint period)
{
  fail_unless_equals_int (gst_pad_push (c->feed[m], make_buffer (NULL, dc,
              period)), GST_FLOW_OK);
}

static void
nl_expect_dc (GAsyncQueue * q, gint16 dc, guint period)
{
  GstMiniObject *o = nl_pop (q);

  fail_unless (GST_IS_BUFFER (o));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (o), period * PERIOD);
  assert_dc (GST_BUFFER_CAST (o), dc);
  gst_mini_object_unref (o);
}

static void nl_expect_main (NlCall * c, gint16 dc, guint period);

/* Period @p of three members sending DC (p + 1) x 100 x (m + 1), in a
 * different order every period: each hears the others' sum; src all of it,
 * with GstAudioAggregator's timestamps and offsets when @exact_main */
static void
nl_ramp_period (NlCall * c, guint p, gboolean exact_main)
{
  gint16 dc[3], sum = 0;
  guint m;

  for (m = 0; m < 3; m++) {
    dc[m] = (gint16) ((p + 1) * 100 * (m + 1));
    sum += dc[m];
  }
  for (m = 0; m < 3; m++)
    nl_push_dc (c, (m + p) % 3, dc[(m + p) % 3], p);
  for (m = 0; m < 3; m++)
    nl_expect_dc (c->q[m], sum - dc[m], p);
  if (exact_main)
    nl_expect_main (c, sum, p);
  else
    nl_expect_dc (c->main_q, sum, p);
}

GST_START_TEST (test_nonlive_mix_minus)
{
  NlCall *c = nl_call_new (3, 3);
  guint p;

  for (p = 0; p < 10; p++)
    nl_ramp_period (c, p, FALSE);
  {
    GstStructure *s;
    guint64 periods;

    g_object_get (c->mixer, "stats", &s, NULL);
    fail_unless (gst_structure_get_uint64 (s, "periods", &periods));
    fail_unless_equals_uint64 (periods, 10);
    gst_structure_free (s);
  }
  nl_call_free (c);
}

GST_END_TEST;

typedef struct
{
  NlCall *c;
  guint m;
  guint periods;
} NlFeeder;

static gpointer
nl_feeder_thread (gpointer data)
{
  NlFeeder *f = data;
  guint p;

  for (p = 0; p < f->periods; p++) {
    GstFlowReturn ret = gst_pad_push (f->c->feed[f->m],
        make_buffer (NULL, (gint16) (500 * (f->m + 1)), p));

    if (ret != GST_FLOW_OK)
      return GINT_TO_POINTER (ret);
    if (p % 7 == f->m)
      g_thread_yield ();
  }
  return GINT_TO_POINTER (GST_FLOW_OK);
}

/* Every member pushes from its own thread: each period is mixed once, by
 * whichever thread completes it, and nothing is lost or mixed twice */
GST_START_TEST (test_nonlive_threads)
{
  const guint n = 6, periods = 25;
  NlCall *c = nl_call_new (n, n);
  NlFeeder f[MAX_MEMBERS];
  GThread *t[MAX_MEMBERS];
  gint16 sum = 0;
  guint m, p;

  for (m = 0; m < n; m++)
    sum += (gint16) (500 * (m + 1));
  for (m = 0; m < n; m++) {
    f[m].c = c;
    f[m].m = m;
    f[m].periods = periods;
    t[m] = g_thread_new ("feeder", nl_feeder_thread, &f[m]);
  }
  for (p = 0; p < periods; p++) {
    for (m = 0; m < n; m++)
      nl_expect_dc (c->q[m], sum - (gint16) (500 * (m + 1)), p);
    nl_expect_dc (c->main_q, sum, p);
  }
  for (m = 0; m < n; m++)
    fail_unless_equals_int (GPOINTER_TO_INT (g_thread_join (t[m])),
        GST_FLOW_OK);
  fail_unless_equals_int (g_async_queue_length (c->main_q), 0);
  nl_call_free (c);
}

GST_END_TEST;

/* A member ends its stream: the others go on without it; when all have
 * ended, the aggregator's src gets EOS */
GST_START_TEST (test_nonlive_eos)
{
  NlCall *c = nl_call_new (3, 3);
  GstMiniObject *o;
  guint p, m;

  for (p = 0; p < 2; p++) {
    for (m = 0; m < 3; m++)
      nl_push_dc (c, m, (gint16) (100 * (m + 1)), p);
    nl_expect_dc (c->q[0], 500, p);
    nl_expect_dc (c->q[1], 400, p);
    nl_expect_dc (c->q[2], 300, p);
    nl_expect_dc (c->main_q, 600, p);
  }
  fail_unless (gst_pad_push_event (c->feed[2], gst_event_new_eos ()));
  for (p = 2; p < 5; p++) {
    nl_push_dc (c, 1, 200, p);
    nl_push_dc (c, 0, 100, p);
    nl_expect_dc (c->q[0], 200, p);
    nl_expect_dc (c->q[1], 100, p);
    /* member 2 still hears the others */
    nl_expect_dc (c->q[2], 300, p);
    nl_expect_dc (c->main_q, 300, p);
  }
  fail_unless (gst_pad_push_event (c->feed[0], gst_event_new_eos ()));
  fail_unless (gst_pad_push_event (c->feed[1], gst_event_new_eos ()));
  o = nl_pop (c->main_q);
  fail_unless (GST_IS_EVENT (o));
  fail_unless_equals_int (GST_EVENT_TYPE (o), GST_EVENT_EOS);
  gst_mini_object_unref (o);
  /* and every member's output ends with the call */
  for (m = 0; m < 3; m++) {
    o = nl_pop (c->q[m]);
    fail_unless (GST_IS_EVENT (o), "member %u: no event", m);
    fail_unless_equals_int (GST_EVENT_TYPE (o), GST_EVENT_EOS);
    gst_mini_object_unref (o);
  }
  nl_call_free (c);
}

GST_END_TEST;

/* A member leaves (its pads released) while the element waits for its
 * buffer: the period is mixed from the others */
GST_START_TEST (test_nonlive_leave)
{
  NlCall *c = nl_call_new (3, 3);
  GstPad *sink;
  guint p, m;

  for (m = 0; m < 3; m++)
    nl_push_dc (c, m, (gint16) (100 * (m + 1)), 0);
  nl_expect_dc (c->q[0], 500, 0);
  nl_expect_dc (c->q[1], 400, 0);
  nl_expect_dc (c->q[2], 300, 0);
  nl_expect_dc (c->main_q, 600, 0);
  nl_push_dc (c, 0, 100, 1);
  nl_push_dc (c, 1, 200, 1);
  /* member 2 leaves instead of sending period 1 */
  sink = gst_pad_get_peer (c->feed[2]);
  gst_pad_unlink (c->feed[2], sink);
  gst_element_release_request_pad (c->mixer, sink);
  gst_object_unref (sink);
  nl_expect_dc (c->q[0], 200, 1);
  nl_expect_dc (c->q[1], 100, 1);
  nl_expect_dc (c->main_q, 300, 1);
  for (p = 2; p < 4; p++) {
    nl_push_dc (c, 1, 200, p);
    nl_push_dc (c, 0, 100, p);
    nl_expect_dc (c->q[0], 200, p);
    nl_expect_dc (c->q[1], 100, p);
    nl_expect_dc (c->main_q, 300, p);
  }
  nl_call_free (c);
}

GST_END_TEST;

/* Stopping while the element waits for a member's buffer, then playing
 * again */
GST_START_TEST (test_nonlive_stop_while_waiting)
{
  NlCall *c = nl_call_new (3, 3);
  guint m;

  for (m = 0; m < 3; m++)
    nl_push_dc (c, m, (gint16) (100 * (m + 1)), 0);
  nl_expect_dc (c->q[1], 400, 0);
  nl_expect_dc (c->main_q, 600, 0);
  nl_push_dc (c, 0, 100, 1);
  /* waiting for members 1 and 2 */
  g_usleep (20000);
  fail_unless_equals_int (gst_element_set_state (c->mixer, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (gst_element_set_state (c->mixer, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  nl_call_free (c);
}

GST_END_TEST;

/* The fast input path: counted from the element's log (its only trace;
 * the outputs are the same as without it) */
static gint fast_periods, fast_fallbacks;

static void
fast_count_log (GstDebugCategory * cat, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer data)
{
  const gchar *text;

  if (strcmp (gst_debug_category_get_name (cat), "acsmixer") != 0)
    return;
  text = gst_debug_message_get (message);
  if (!text)
    return;
  if (strstr (text, "mixing a fast period"))
    g_atomic_int_inc (&fast_periods);
  else if (strstr (text, "period handed to GstAggregator"))
    g_atomic_int_inc (&fast_fallbacks);
}

static void
fast_count_start (void)
{
  g_atomic_int_set (&fast_periods, 0);
  g_atomic_int_set (&fast_fallbacks, 0);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (fast_count_log, NULL, NULL);
  gst_debug_set_threshold_for_name ("acsmixer", GST_LEVEL_LOG);
}

static void
fast_count_stop (void)
{
  gst_debug_unset_threshold_for_name ("acsmixer");
  gst_debug_remove_log_function (fast_count_log);
  gst_debug_add_log_function (gst_debug_log_default, NULL, NULL);
}

/* The full mix of a period on the aggregator's src: value, timestamps and
 * offsets as GstAudioAggregator makes them */
static void
nl_expect_main (NlCall * c, gint16 dc, guint period)
{
  GstMiniObject *o = nl_pop (c->main_q);
  GstBuffer *buf;

  fail_unless (GST_IS_BUFFER (o));
  buf = GST_BUFFER_CAST (o);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), period * PERIOD);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), PERIOD);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), period * FRAMES);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (buf),
      (period + 1) * FRAMES);
  assert_dc (buf, dc);
  gst_mini_object_unref (o);
}

/* Members 0 to @n - 1 send DC 100 << m in periods @first to @last - 1:
 * each hears the others' sum, src all of it */
static void
nl_dc_periods (NlCall * c, guint n, guint first, guint last)
{
  gint16 sum = 0;
  guint m, p;

  for (m = 0; m < n; m++)
    sum += 100 << m;
  for (p = first; p < last; p++) {
    for (m = 0; m < n; m++)
      nl_push_dc (c, m, (gint16) (100 << m), p);
    for (m = 0; m < n; m++)
      nl_expect_dc (c->q[m], sum - (100 << m), p);
    nl_expect_main (c, sum, p);
  }
}

/* Pushes @buf (a period of @dc or part of it) from member @m */
static void
nl_push (NlCall * c, guint m, GstBuffer * buf)
{
  fail_unless_equals_int (gst_pad_push (c->feed[m], buf), GST_FLOW_OK);
}

/* Every member sends ordinary buffers: after the first period, periods go
 * the fast way; mix-minus, the shared output of the members outside the
 * top k, timestamps and offsets are those of the ordinary path */
GST_START_TEST (test_nonlive_fast_path)
{
  const guint periods = 12;
  NlCall *c;
  guint p, m;

  fast_count_start ();
  c = nl_call_new (3, 3);
  for (p = 0; p < periods; p++)
    nl_ramp_period (c, p, TRUE);
  /* the first period arms it */
  fail_unless (g_atomic_int_get (&fast_periods) >= (gint) periods - 4,
      "%d fast periods", g_atomic_int_get (&fast_periods));
  fail_unless_equals_int (g_atomic_int_get (&fast_fallbacks), 0);
  nl_call_free (c);

  /* top-k = 1: member 2 is the loudest; the others hear the shared mix */
  c = nl_call_new (3, 1);
  g_atomic_int_set (&fast_periods, 0);
  for (p = 0; p < periods; p++) {
    GstMiniObject *o[3];

    nl_push_dc (c, 0, 100, p);
    nl_push_dc (c, 1, 200, p);
    nl_push_dc (c, 2, 3000, p);
    for (m = 0; m < 3; m++) {
      o[m] = nl_pop (c->q[m]);
      fail_unless (GST_IS_BUFFER (o[m]));
    }
    /* member 2 hears nothing mixed but itself removed: silence */
    assert_dc (GST_BUFFER_CAST (o[2]), 0);
    fail_unless_equals_string (output_group (GST_BUFFER_CAST (o[2])), "member");
    assert_dc (GST_BUFFER_CAST (o[0]), 3000);
    fail_unless (o[0] == o[1]);
    fail_unless_equals_string (output_group (GST_BUFFER_CAST (o[0])), "shared");
    for (m = 0; m < 3; m++)
      gst_mini_object_unref (o[m]);
    nl_expect_main (c, 3000, p);
  }
  fail_unless (g_atomic_int_get (&fast_periods) >= (gint) periods - 4);
  nl_call_free (c);
  fast_count_stop ();
}

GST_END_TEST;

/* The outputs of period @p when the members in @in (of DC 100, 200, 400)
 * were mixed */
static void
nl_expect_period (NlCall * c, const gboolean in[3], guint p)
{
  gint16 sum = 0;
  guint m;

  for (m = 0; m < 3; m++)
    if (in[m])
      sum += (gint16) (100 << m);
  for (m = 0; m < 3; m++)
    nl_expect_dc (c->q[m], in[m] ? sum - (100 << m) : sum, p);
  nl_expect_main (c, sum, p);
}

static GstBuffer *
nl_period (guint m, guint p)
{
  return make_buffer (NULL, (gint16) (100 << m), p);
}

typedef struct
{
  NlCall *c;
  guint m;
  GstBuffer *buf;
} NlPush;

static gpointer
nl_push_thread (gpointer data)
{
  NlPush *push = data;

  return GINT_TO_POINTER (gst_pad_push (push->c->feed[push->m], push->buf));
}

/* Ordinary periods from *@p on until one is mixed the fast way: the next
 * one is armed fast when the test pushes it (the thread that mixed a fast
 * period arms the next one before its push returns) */
static gint
nl_until_fast (NlCall * c, guint * p)
{
  const gboolean all[3] = { TRUE, TRUE, TRUE };
  guint i, m;

  for (i = 0; i < 20; i++, (*p)++) {
    gint before = g_atomic_int_get (&fast_periods);

    for (m = 0; m < 3; m++)
      nl_push (c, m, nl_period (m, *p));
    nl_expect_period (c, all, *p);
    if (g_atomic_int_get (&fast_periods) > before) {
      (*p)++;
      return g_atomic_int_get (&fast_fallbacks);
    }
  }
  fail ("no fast period");
  return -1;
}

/* What a buffer that is not ordinary does to a fast period: the period
 * falls back to GstAggregator once, since nl_until_fast() returned
 * @handed */
static void
nl_expect_one_fallback (gint handed)
{
  fail_unless_equals_int (g_atomic_int_get (&fast_fallbacks), handed + 1);
}

/* Buffers that are not ordinary, each in a period armed fast: the period
 * goes back to GstAggregator (with the buffers kept so far) and is mixed as
 * without the fast path; the next periods are fast again. Non-live, a
 * period is mixed once every member has a buffer: when a member's buffer
 * did not finish the period (a half, a late buffer dropped), the period
 * comes out once the others have sent the next one, and that member sends
 * last */
GST_START_TEST (test_nonlive_fast_not_ordinary)
{
  const gboolean all[3] = { TRUE, TRUE, TRUE };
  NlCall *c;
  guint p = 0, m;
  gint handed;

  fast_count_start ();
  c = nl_call_new (3, 3);

  /* member 1 sends two halves, the second after the others; in the next
   * period member 1 sends last: both periods come out */
  handed = nl_until_fast (c, &p);
  {
    GstBuffer *whole = nl_period (1, p), *h1, *h2;

    h1 = gst_buffer_copy_region (whole, GST_BUFFER_COPY_ALL, 0, FRAMES);
    GST_BUFFER_DURATION (h1) = PERIOD / 2;
    h2 = gst_buffer_copy_region (whole, GST_BUFFER_COPY_ALL, FRAMES, FRAMES);
    GST_BUFFER_PTS (h2) = p * PERIOD + PERIOD / 2;
    GST_BUFFER_DURATION (h2) = PERIOD / 2;
    gst_buffer_unref (whole);
    nl_push (c, 0, nl_period (0, p));
    nl_push (c, 1, h1);
    nl_push (c, 2, nl_period (2, p));
    nl_push (c, 1, h2);
    nl_push (c, 0, nl_period (0, p + 1));
    nl_push (c, 2, nl_period (2, p + 1));
    nl_push (c, 1, nl_period (1, p + 1));
    nl_expect_period (c, all, p);
    nl_expect_period (c, all, p + 1);
    p += 2;
  }
  nl_expect_one_fallback (handed);

  /* member 2's buffer is marked DISCONT (aligned all the same) */
  handed = nl_until_fast (c, &p);
  {
    GstBuffer *b = nl_period (2, p);

    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
    nl_push (c, 0, nl_period (0, p));
    nl_push (c, 1, nl_period (1, p));
    nl_push (c, 2, b);
    nl_expect_period (c, all, p);
    p++;
  }
  nl_expect_one_fallback (handed);

  /* member 0 sends a gap: not mixed */
  handed = nl_until_fast (c, &p);
  {
    const gboolean no0[3] = { FALSE, TRUE, TRUE };
    GstBuffer *b = nl_period (0, p);

    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_GAP);
    nl_push (c, 0, b);
    nl_push (c, 1, nl_period (1, p));
    nl_push (c, 2, nl_period (2, p));
    nl_expect_period (c, no0, p);
    p++;
  }
  nl_expect_one_fallback (handed);

  /* member 2 first sends a late copy of its last period (marked DISCONT:
   * resynced, dropped), then this one; in the next period member 2 sends
   * last: both come out */
  handed = nl_until_fast (c, &p);
  {
    GstBuffer *late = make_buffer (NULL, 1234, p - 1);

    GST_BUFFER_FLAG_SET (late, GST_BUFFER_FLAG_DISCONT);
    nl_push (c, 0, nl_period (0, p));
    nl_push (c, 1, nl_period (1, p));
    nl_push (c, 2, late);
    nl_push (c, 2, nl_period (2, p));
    for (m = 0; m < 3; m++)
      nl_push (c, m, nl_period (m, p + 1));
    nl_expect_period (c, all, p);
    nl_expect_period (c, all, p + 1);
    p += 2;
  }
  nl_expect_one_fallback (handed);

  /* member 1 skips a period and sends the next one (early, marked
   * DISCONT) after the others: the period is mixed without it */
  handed = nl_until_fast (c, &p);
  {
    const gboolean no1[3] = { TRUE, FALSE, TRUE };
    GstBuffer *early = nl_period (1, p + 1);

    GST_BUFFER_FLAG_SET (early, GST_BUFFER_FLAG_DISCONT);
    nl_push (c, 0, nl_period (0, p));
    nl_push (c, 2, nl_period (2, p));
    nl_push (c, 1, early);
    nl_expect_period (c, no1, p);
    nl_push (c, 0, nl_period (0, p + 1));
    nl_push (c, 2, nl_period (2, p + 1));
    nl_expect_period (c, all, p + 1);
    p += 2;
  }
  nl_expect_one_fallback (handed);

  /* a second buffer on a pad whose first one is kept: handed back in
   * order. Member 1 sends two periods (the second from its own thread: it
   * waits until the first is mixed), then the others */
  handed = nl_until_fast (c, &p);
  {
    NlPush ahead = { c, 1, nl_period (1, p + 1) };
    GThread *t;

    nl_push (c, 1, nl_period (1, p));
    t = g_thread_new ("ahead", nl_push_thread, &ahead);
    while (g_atomic_int_get (&fast_fallbacks) == handed)
      g_usleep (1000);
    nl_push (c, 0, nl_period (0, p));
    nl_push (c, 2, nl_period (2, p));
    nl_expect_period (c, all, p);
    fail_unless_equals_int (GPOINTER_TO_INT (g_thread_join (t)), GST_FLOW_OK);
    nl_push (c, 2, nl_period (2, p + 1));
    nl_push (c, 0, nl_period (0, p + 1));
    nl_expect_period (c, all, p + 1);
    p += 2;
  }
  nl_expect_one_fallback (handed);

  /* and fast again */
  nl_until_fast (c, &p);
  for (m = 0; m < 3; m++)
    fail_unless_equals_int (g_async_queue_length (c->q[m]), 0);
  fail_unless_equals_int (g_async_queue_length (c->main_q), 0);
  nl_call_free (c);
  fast_count_stop ();
}

GST_END_TEST;

/* The next output of @q: @frames samples of @dc at @pts */
static void
nl_expect_part (GAsyncQueue * q, gint16 dc, GstClockTime pts, guint frames)
{
  GstMiniObject *o = nl_pop (q);
  GstMapInfo map;
  guint i;

  fail_unless (GST_IS_BUFFER (o));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (o), pts);
  gst_buffer_map (GST_BUFFER_CAST (o), &map, GST_MAP_READ);
  fail_unless_equals_int (map.size, frames * 2);
  for (i = 0; i < frames; i++)
    fail_unless_equals_int (((gint16 *) map.data)[i], dc);
  gst_buffer_unmap (GST_BUFFER_CAST (o), &map);
  gst_mini_object_unref (o);
}

/* output-buffer-duration changed while a period is armed fast: the period
 * goes back to GstAggregator, the outputs take the new size, nothing is
 * read beyond an input */
GST_START_TEST (test_nonlive_fast_duration_change)
{
  NlCall *c;
  guint p = 0, m, half, i;

  fast_count_start ();
  c = nl_call_new (3, 3);
  nl_until_fast (c, &p);
  fail_unless_equals_int (g_atomic_int_get (&fast_fallbacks), 0);
  g_object_set (c->mixer, "output-buffer-duration", PERIOD / 2, NULL);
  for (i = 0; i < 3; i++, p++) {
    for (m = 0; m < 3; m++)
      nl_push (c, m, nl_period (m, p));
    for (half = 0; half < 2; half++) {
      GstClockTime pts = p * PERIOD + half * PERIOD / 2;

      for (m = 0; m < 3; m++)
        nl_expect_part (c->q[m], 700 - (100 << m), pts, FRAMES / 2);
      nl_expect_part (c->main_q, 700, pts, FRAMES / 2);
    }
    /* the period armed fast for 20 ms went back to GstAggregator */
    fail_unless (g_atomic_int_get (&fast_fallbacks) >= 1);
  }
  for (m = 0; m < 3; m++)
    fail_unless_equals_int (g_async_queue_length (c->q[m]), 0);
  nl_call_free (c);
  fast_count_stop ();
}

GST_END_TEST;

/* Members join and leave while periods go the fast way */
GST_START_TEST (test_nonlive_fast_join_leave)
{
  NlCall *c;
  GstPad *pad;
  guint p, m;

  fast_count_start ();
  c = nl_call_new (3, 4);
  nl_dc_periods (c, 3, 0, 6);
  fail_unless (g_atomic_int_get (&fast_periods) >= 2);

  /* member 3 joins between periods 6 and 7; members 0 and 1 have sent
   * period 6 already (kept in the fast slots) */
  nl_push_dc (c, 0, 100, 6);
  nl_push_dc (c, 1, 200, 6);
  c->q[3] = g_async_queue_new ();
  pad = gst_element_request_pad_simple (c->mixer, "src_3");
  c->catch[3] = nl_catch_new (pad, c->q[3]);
  gst_object_unref (pad);
  pad = gst_element_request_pad_simple (c->mixer, "sink_3");
  c->feed[3] = nl_feed_new (pad, 3);
  gst_object_unref (pad);
  c->n = 4;
  nl_push_dc (c, 2, 400, 6);
  /* member 3 sends period 6 too (non-live, the others wait for a member
   * that has joined) */
  nl_push_dc (c, 3, 800, 6);
  for (m = 0; m < 4; m++)
    nl_expect_dc (c->q[m], 1500 - (100 << m), 6);
  nl_expect_main (c, 1500, 6);

  g_atomic_int_set (&fast_periods, 0);
  nl_dc_periods (c, 4, 7, 13);
  fail_unless (g_atomic_int_get (&fast_periods) >= 2);

  /* member 1 leaves while period 13 waits for it, after members 0 and 3
   * sent theirs */
  nl_push_dc (c, 0, 100, 13);
  nl_push_dc (c, 3, 800, 13);
  pad = gst_pad_get_peer (c->feed[1]);
  gst_pad_unlink (c->feed[1], pad);
  gst_element_release_request_pad (c->mixer, pad);
  gst_object_unref (pad);
  nl_push_dc (c, 2, 400, 13);
  /* src_1 stays: it hears the full mix */
  nl_expect_dc (c->q[1], 1300, 13);
  nl_expect_dc (c->q[0], 1200, 13);
  nl_expect_dc (c->q[2], 900, 13);
  nl_expect_dc (c->q[3], 500, 13);
  nl_expect_main (c, 1300, 13);

  g_atomic_int_set (&fast_periods, 0);
  for (p = 14; p < 20; p++) {
    nl_push_dc (c, 3, 800, p);
    nl_push_dc (c, 2, 400, p);
    nl_push_dc (c, 0, 100, p);
    nl_expect_dc (c->q[1], 1300, p);
    nl_expect_dc (c->q[0], 1200, p);
    nl_expect_dc (c->q[2], 900, p);
    nl_expect_dc (c->q[3], 500, p);
    nl_expect_main (c, 1300, p);
  }
  fail_unless (g_atomic_int_get (&fast_periods) >= 2);
  nl_call_free (c);
  fast_count_stop ();
}

GST_END_TEST;

static Suite *
acsmixer_suite (void)
{
  Suite *s = suite_create ("acsmixer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_mix_minus_exact);
  tcase_add_test (tc, test_output_reuse);
  tcase_add_test (tc, test_mix_minus_saturation);
  tcase_add_test (tc, test_missing_member);
  tcase_add_test (tc, test_join_leave);
  tcase_add_test (tc, test_top_k_shared_output);
  tcase_add_test (tc, test_top_k_hysteresis);
  tcase_add_test (tc, test_dominant_speaker);
  tcase_add_test (tc, test_mute);
  tcase_add_test (tc, test_wrong_caps);
  tcase_add_test (tc, test_sfu_not_supported);
  tcase_add_test (tc, test_states);
  tcase_add_test (tc, test_launch_line_live);
  tcase_add_test (tc, test_gate_selection_from_audio_level);
  tcase_add_test (tc, test_gate_no_gaps);
  tcase_add_test (tc, test_gate_bad_input);
  tcase_add_test (tc, test_live_start_with_first_input);
  tcase_add_test (tc, test_nonlive_mix_minus);
  tcase_add_test (tc, test_nonlive_threads);
  tcase_add_test (tc, test_nonlive_eos);
  tcase_add_test (tc, test_nonlive_leave);
  tcase_add_test (tc, test_nonlive_stop_while_waiting);
  tcase_add_test (tc, test_nonlive_fast_path);
  tcase_add_test (tc, test_nonlive_fast_not_ordinary);
  tcase_add_test (tc, test_nonlive_fast_join_leave);
  tcase_add_test (tc, test_nonlive_fast_duration_change);
  return s;
}

GST_CHECK_MAIN (acsmixer);

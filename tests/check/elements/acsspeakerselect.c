/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: unit tests of acsspeakerselect
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>

#include <acs/acsdecoderreset.h>

#include "leveltestutil.h"

#define MAX_SLOTS 6
#define PERIOD (20 * GST_MSECOND)
#define TS_PER_PERIOD 960
#define EXT_ID 1
#define SILENT 127
#define ABSENT LEVEL_ABSENT
#define BAD_SIZE LEVEL_BAD_SIZE
#define SSRC(i) (0x1000u + (i))
#define CAPS_STR "application/x-rtp, media=audio, clock-rate=48000, " \
    "encoding-name=OPUS, payload=111, " \
    "extmap-1=urn:ietf:params:rtp-hdrext:ssrc-audio-level"

/* What one src_N pad received, through a test sink pad linked to it */
typedef struct
{
  GstPad *src;                  /* the element's src_N, NULL once released */
  GstPad *sink;                 /* ours */
  GPtrArray *bufs;              /* every buffer, lists flattened */
  GArray *pushes;               /* guint per push: list length, 0 for a
                                 * single buffer */
  GPtrArray *gaps;              /* GAP events */
  GArray *changed;              /* Changed, acs-decoder-reset events */
  gboolean eos;
} Slot;

/* An acs-decoder-reset event, and how many buffers came before it */
typedef struct
{
  guint at;
  guint ssrc;
  guint slot;
} Changed;

typedef struct
{
  guint slot;
  guint ssrc;
} Change;

/* One acsspeakerselect: a harness on its sink pad, our pads on its
 * src_N pads and a bus of its own. Time is the packets' PTS. */
typedef struct
{
  GstElement *sel;
  GstHarness *h;
  Slot slots[MAX_SLOTS];
  GstBus *bus;
  GArray *changes;              /* Change, from on-selection-changed */
  guint16 seq[64];
} Sel;

static GstFlowReturn
slot_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  Slot *slot = gst_pad_get_element_private (pad);
  guint zero = 0;

  g_ptr_array_add (slot->bufs, buf);
  g_array_append_val (slot->pushes, zero);
  return GST_FLOW_OK;
}

static GstFlowReturn
slot_chain_list (GstPad * pad, GstObject * parent, GstBufferList * list)
{
  Slot *slot = gst_pad_get_element_private (pad);
  guint n = gst_buffer_list_length (list), i;

  fail_unless (n > 0);
  for (i = 0; i < n; i++)
    g_ptr_array_add (slot->bufs,
        gst_buffer_ref (gst_buffer_list_get (list, i)));
  g_array_append_val (slot->pushes, n);
  gst_buffer_list_unref (list);
  return GST_FLOW_OK;
}

static gboolean
slot_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  Slot *slot = gst_pad_get_element_private (pad);

  if (GST_EVENT_TYPE (event) == GST_EVENT_GAP)
    g_ptr_array_add (slot->gaps, gst_event_ref (event));
  else if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM &&
      gst_event_has_name (event, ACS_DECODER_RESET_EVENT)) {
    const GstStructure *st = gst_event_get_structure (event);
    Changed c = { slot->bufs->len, 0, G_MAXUINT };

    fail_unless (gst_structure_get_uint (st, "ssrc", &c.ssrc));
    fail_unless (gst_structure_get_uint (st, "slot", &c.slot));
    g_array_append_val (slot->changed, c);
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    slot->eos = TRUE;
  gst_event_unref (event);
  return TRUE;
}

static void
on_selection_changed (GstElement * sel, guint slot, guint ssrc,
    gpointer user_data)
{
  Sel *s = user_data;
  Change c = { slot, ssrc };

  g_array_append_val (s->changes, c);
}

/* Requests src_@i and links our pad to it */
static void
sel_add_slot (Sel * s, guint i)
{
  Slot *slot = &s->slots[i];
  gchar *name = g_strdup_printf ("src_%u", i);

  slot->src = gst_element_request_pad_simple (s->sel, name);
  fail_unless (slot->src != NULL);
  fail_unless_equals_string (GST_PAD_NAME (slot->src), name);
  g_free (name);
  slot->sink = gst_pad_new ("sink", GST_PAD_SINK);
  gst_pad_set_element_private (slot->sink, slot);
  gst_pad_set_chain_function (slot->sink, slot_chain);
  gst_pad_set_chain_list_function (slot->sink, slot_chain_list);
  gst_pad_set_event_function (slot->sink, slot_event);
  gst_pad_set_active (slot->sink, TRUE);
  fail_unless_equals_int (gst_pad_link (slot->src, slot->sink),
      GST_PAD_LINK_OK);
  slot->bufs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  slot->pushes = g_array_new (FALSE, FALSE, sizeof (guint));
  slot->gaps = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_event_unref);
  slot->changed = g_array_new (FALSE, FALSE, sizeof (Changed));
}

static void
sel_release_slot (Sel * s, guint i)
{
  Slot *slot = &s->slots[i];

  gst_element_release_request_pad (s->sel, slot->src);
  gst_clear_object (&slot->src);
}

static Sel *
sel_new (guint n_slots, guint top_k)
{
  Sel *s = g_new0 (Sel, 1);
  guint i;

  s->sel = gst_element_factory_make ("acsspeakerselect", NULL);
  fail_unless (s->sel != NULL);
  g_object_set (s->sel, "top-k", top_k, "level-window", 20, "hold-time", 0,
      NULL);
  s->bus = gst_bus_new ();
  gst_element_set_bus (s->sel, s->bus);
  s->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_signal_connect (s->sel, "on-selection-changed",
      G_CALLBACK (on_selection_changed), s);
  for (i = 0; i < n_slots; i++)
    sel_add_slot (s, i);
  s->h = gst_harness_new_with_element (s->sel, "sink", NULL);
  gst_harness_set_src_caps_str (s->h, CAPS_STR);
  gst_harness_play (s->h);
  return s;
}

static void
slot_clear (Slot * slot)
{
  if (!slot->sink)
    return;
  gst_pad_set_active (slot->sink, FALSE);
  gst_clear_object (&slot->sink);
  gst_clear_object (&slot->src);
  g_ptr_array_unref (slot->bufs);
  g_array_unref (slot->pushes);
  g_ptr_array_unref (slot->gaps);
  g_array_unref (slot->changed);
}

static void
sel_free (Sel * s)
{
  guint i;

  gst_harness_teardown (s->h);
  for (i = 0; i < MAX_SLOTS; i++)
    slot_clear (&s->slots[i]);
  gst_element_set_bus (s->sel, NULL);
  gst_bus_set_flushing (s->bus, TRUE);
  gst_object_unref (s->bus);
  gst_object_unref (s->sel);
  g_array_unref (s->changes);
  g_free (s);
}

/* Forgets what the slots received so far */
static void
sel_clear_received (Sel * s)
{
  guint i;

  for (i = 0; i < MAX_SLOTS; i++) {
    if (!s->slots[i].sink)
      continue;
    g_ptr_array_set_size (s->slots[i].bufs, 0);
    g_array_set_size (s->slots[i].pushes, 0);
    g_ptr_array_set_size (s->slots[i].gaps, 0);
    g_array_set_size (s->slots[i].changed, 0);
  }
  g_array_set_size (s->changes, 0);
}

/* An RTP packet of member @member at period @period; its payload names
 * the member and the sequence number. @level: 0..127, ABSENT (no
 * extension) or BAD_SIZE (2-byte value) */
static GstBuffer *
make_rtp (guint member, guint16 seq, guint period, gint level)
{
  GstBuffer *buf = level_test_make_rtp (member, SSRC (member), seq,
      5000 * member + period * TS_PER_PERIOD, EXT_ID, level, 3);

  GST_BUFFER_PTS (buf) = period * PERIOD;
  return buf;
}

static GstBuffer *
sel_make (Sel * s, guint member, guint period, gint level)
{
  return make_rtp (member, s->seq[member]++, period, level);
}

static void
push (Sel * s, guint member, guint period, gint level)
{
  fail_unless_equals_int (gst_harness_push (s->h, sel_make (s, member, period,
              level)), GST_FLOW_OK);
}

/* Member i with levels[i] != ABSENT sends one packet per period, one
 * buffer each */
static void
push_periods (Sel * s, const gint * levels, guint n, guint first, guint count)
{
  guint p, i;

  for (p = first; p < first + count; p++)
    for (i = 0; i < n; i++)
      if (levels[i] != ABSENT)
        push (s, i, p, levels[i]);
}

static guint
buf_member (GstBuffer * buf)
{
  guint8 m;

  fail_unless_equals_int (gst_buffer_extract (buf, gst_buffer_get_size (buf)
          - 3, &m, 1), 1);
  return m;
}

static guint16
buf_seq (GstBuffer * buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq;

  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  seq = gst_rtp_buffer_get_seq (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  return seq;
}

/* The members a slot received since the last clear, as a bit mask */
static guint
slot_members (Slot * slot)
{
  guint mask = 0, i;

  for (i = 0; i < slot->bufs->len; i++)
    mask |= 1 << buf_member (g_ptr_array_index (slot->bufs, i));
  return mask;
}

static guint64
stat (Sel * s, const gchar * name)
{
  return level_test_stat (s->sel, name);
}

static guint
stat_members (Sel * s)
{
  GstStructure *st;
  guint v = 0;

  g_object_get (s->sel, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint (st, "members", &v));
  gst_structure_free (st);
  return v;
}

/* The selection property, as SSRCs in @ssrcs; returns the slot count */
static guint
selection (Sel * s, guint * ssrcs)
{
  GValue v = G_VALUE_INIT;
  guint i, n;

  g_value_init (&v, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (s->sel), "selection", &v);
  n = gst_value_array_get_size (&v);
  for (i = 0; i < n; i++)
    ssrcs[i] = g_value_get_uint (gst_value_array_get_value (&v, i));
  g_value_unset (&v);
  return n;
}

/* The last acs-speaker-selection message on the bus (NULL if none), its
 * slots in @ssrcs; the others are dropped */
static gboolean
last_selection_message (Sel * s, guint * ssrcs, guint * n)
{
  GstMessage *msg, *last = NULL;
  const GstStructure *st;
  const GValue *v;
  guint i;

  while ((msg = gst_bus_pop_filtered (s->bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, "acs-speaker-selection")) {
      gst_clear_message (&last);
      last = msg;
    } else {
      gst_message_unref (msg);
    }
  }
  if (!last)
    return FALSE;
  st = gst_message_get_structure (last);
  v = gst_structure_get_value (st, "slots");
  fail_unless (v != NULL && GST_VALUE_HOLDS_ARRAY (v));
  fail_unless (gst_structure_has_field_typed (st, "running-time",
          G_TYPE_UINT64));
  *n = gst_value_array_get_size (v);
  for (i = 0; i < *n; i++)
    ssrcs[i] = g_value_get_uint (gst_value_array_get_value (v, i));
  gst_message_unref (last);
  return TRUE;
}

static guint
count_messages (Sel * s)
{
  GstMessage *msg;
  guint n = 0;

  while ((msg = gst_bus_pop_filtered (s->bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, "acs-speaker-selection"))
      n++;
    gst_message_unref (msg);
  }
  return n;
}

/* Index of the slot forwarding @member's SSRC, or -1 */
static gint
slot_of (Sel * s, guint member)
{
  guint ssrcs[MAX_SLOTS], n, i;

  n = selection (s, ssrcs);
  for (i = 0; i < n; i++)
    if (ssrcs[i] == SSRC (member))
      return i;
  return -1;
}

GST_START_TEST (test_select_top_k)
{
  /* 4 slots but top-k 3: one stays empty */
  Sel *s = sel_new (4, 3);
  gint levels[10];
  guint ssrcs[MAX_SLOTS], msg_ssrcs[MAX_SLOTS], n, i, mask = 0, empty = 0;
  guint64 forwarded, dropped;

  /* member i at -(5 + 8 i) dBov: 0, 1, 2 the loudest; all speaking */
  for (i = 0; i < 10; i++)
    levels[i] = 5 + 8 * i;
  /* the quietest first, so that the loud ones must replace them */
  for (i = 0; i < 10; i++)
    push (s, 9 - i, 0, levels[9 - i]);

  n = selection (s, ssrcs);
  fail_unless_equals_int (n, 4);
  for (i = 0; i < 4; i++) {
    if (ssrcs[i] == 0) {
      empty++;
      continue;
    }
    fail_unless (ssrcs[i] >= SSRC (0) && ssrcs[i] <= SSRC (2));
    mask |= 1 << (ssrcs[i] - SSRC (0));
  }
  fail_unless_equals_int (mask, 0x7);
  fail_unless_equals_int (empty, 1);
  fail_unless (last_selection_message (s, msg_ssrcs, &n));
  fail_unless_equals_int (n, 4);
  fail_unless (memcmp (ssrcs, msg_ssrcs, sizeof (guint) * 4) == 0);
  /* the signals replay into the same selection */
  {
    guint replay[4] = { 0, 0, 0, 0 };

    for (i = 0; i < s->changes->len; i++) {
      Change *c = &g_array_index (s->changes, Change, i);

      fail_unless (c->slot < 4);
      replay[c->slot] = c->ssrc;
    }
    fail_unless (memcmp (ssrcs, replay, sizeof (replay)) == 0);
    fail_unless_equals_int (stat (s, "selection-changes"), s->changes->len);
  }

  forwarded = stat (s, "forwarded");
  dropped = stat (s, "dropped-unselected");
  sel_clear_received (s);
  push_periods (s, levels, 10, 1, 5);

  /* only the 3 loudest, each on its own slot, every packet of theirs */
  for (i = 0; i < 4; i++) {
    Slot *slot = &s->slots[i];

    if (ssrcs[i] == 0) {
      fail_unless_equals_int (slot->bufs->len, 0);
      continue;
    }
    fail_unless_equals_int (slot->bufs->len, 5);
    fail_unless_equals_int (slot_members (slot), 1 << (ssrcs[i] - SSRC (0)));
    /* single buffers in, single buffers out */
    fail_unless_equals_int (g_array_index (slot->pushes, guint, 0), 0);
  }
  fail_unless_equals_int (s->changes->len, 0);
  fail_unless_equals_int (count_messages (s), 0);
  fail_unless_equals_int (stat (s, "forwarded") - forwarded, 15);
  fail_unless_equals_int (stat (s, "dropped-unselected") - dropped, 35);
  fail_unless_equals_int (stat (s, "received"), 60);
  fail_unless_equals_int (stat (s, "received"), stat (s, "forwarded") +
      stat (s, "dropped-unselected"));
  fail_unless_equals_int (stat_members (s), 10);
  fail_unless_equals_int (stat (s, "malformed"), 0);
  fail_unless_equals_int (stat (s, "no-level"), 0);
  sel_free (s);
}

GST_END_TEST;

GST_START_TEST (test_select_hysteresis_hold)
{
  Sel *s = sel_new (1, 1);
  Slot *slot = &s->slots[0];
  guint p, i;

  g_object_set (s->sel, "hold-time", 100, "hysteresis", 6.0, NULL);
  /* A (0) at -30 dBov is selected first */
  push (s, 0, 0, 30);
  fail_unless_equals_int (slot_of (s, 0), 0);
  fail_unless_equals_int (slot->bufs->len, 1);
  /* the first packet of a slot resets the decoder */
  fail_unless (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (slot->bufs, 0),
          GST_BUFFER_FLAG_DISCONT));

  /* B (1) only 3 dB louder: never replaces A, hold time or not */
  for (p = 1; p < 15; p++) {
    push (s, 0, p, 30);
    push (s, 1, p, 27);
  }
  fail_unless_equals_int (slot_of (s, 0), 0);
  fail_unless_equals_int (slot_members (slot), 0x1);
  fail_unless_equals_int (slot->bufs->len, 15);
  for (i = 1; i < slot->bufs->len; i++)
    fail_if (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (slot->bufs, i),
            GST_BUFFER_FLAG_DISCONT));

  /* C (2), 20 dB louder, replaces A once A held the slot 100 ms: A was
   * selected at 0 ms; restart the hold with a fresh element state */
  sel_free (s);
  s = sel_new (1, 1);
  slot = &s->slots[0];
  g_object_set (s->sel, "hold-time", 100, NULL);
  push (s, 0, 0, 30);
  for (p = 1; p < 8; p++) {
    push (s, 0, p, 30);
    push (s, 2, p, 10);
    if (p < 5)
      fail_unless_equals_int (slot_of (s, 0), 0);
  }
  fail_unless_equals_int (slot_of (s, 2), 0);
  /* A: periods 0..4 and 5 (before C's packet of period 5); C from 5 on */
  fail_unless_equals_int (slot->bufs->len, 6 + 3);
  for (i = 0; i < slot->bufs->len; i++) {
    GstBuffer *buf = g_ptr_array_index (slot->bufs, i);

    fail_unless_equals_int (buf_member (buf), i < 6 ? 0 : 2);
    /* DISCONT on the very first and on C's first packet only */
    fail_unless_equals_int (GST_BUFFER_FLAG_IS_SET (buf,
            GST_BUFFER_FLAG_DISCONT), i == 0 || i == 6);
  }
  /* the packet that made C enter is C's first of period 5 */
  fail_unless_equals_uint64 (GST_BUFFER_PTS (g_ptr_array_index (slot->bufs,
              6)), 5 * PERIOD);
  fail_unless_equals_int (s->changes->len, 2);
  fail_unless_equals_int (g_array_index (s->changes, Change, 1).slot, 0);
  fail_unless_equals_int (g_array_index (s->changes, Change, 1).ssrc, SSRC (2));
  fail_unless_equals_int (stat (s, "selection-changes"), 2);
  sel_free (s);
}

GST_END_TEST;

GST_START_TEST (test_select_buffer_list)
{
  Sel *s = sel_new (3, 2);
  GstBufferList *list;
  guint p, i;
  gint s0, s1;

  /* period 0: the selection forms inside the list */
  list = gst_buffer_list_new ();
  for (i = 0; i < 6; i++)
    gst_buffer_list_add (list, sel_make (s, i, 0, 10 + 10 * i));
  fail_unless_equals_int (gst_pad_push_list (s->h->srcpad, list), GST_FLOW_OK);
  s0 = slot_of (s, 0);
  s1 = slot_of (s, 1);
  fail_unless (s0 >= 0 && s1 >= 0 && s0 != s1);
  /* one list per slot at most for the input list; the third slot is over
   * top-k */
  for (i = 0; i < 3; i++)
    fail_unless (s->slots[i].pushes->len <= 1);
  fail_unless_equals_int (s->slots[3 - s0 - s1].pushes->len, 0);
  sel_clear_received (s);

  /* then lists where member 0 sends twice, member 1 once, the others
   * once; the buffers after the first have no PTS */
  for (p = 1; p < 4; p++) {
    list = gst_buffer_list_new ();
    for (i = 0; i < 6; i++) {
      GstBuffer *buf = sel_make (s, i, p, 10 + 10 * i);

      if (i > 0)
        GST_BUFFER_PTS (buf) = GST_CLOCK_TIME_NONE;
      gst_buffer_list_add (list, buf);
    }
    gst_buffer_list_add (list, sel_make (s, 0, p, 10));
    fail_unless_equals_int (gst_pad_push_list (s->h->srcpad, list),
        GST_FLOW_OK);
  }
  for (p = 0; p < 3; p++) {
    fail_unless_equals_int (g_array_index (s->slots[s0].pushes, guint, p), 2);
    fail_unless_equals_int (g_array_index (s->slots[s1].pushes, guint, p), 1);
  }
  fail_unless_equals_int (s->slots[s0].pushes->len, 3);
  fail_unless_equals_int (s->slots[s1].pushes->len, 3);
  fail_unless_equals_int (s->slots[3 - s0 - s1].pushes->len, 0);
  fail_unless_equals_int (slot_members (&s->slots[s0]), 0x1);
  fail_unless_equals_int (slot_members (&s->slots[s1]), 0x2);
  /* in order, none lost */
  for (i = 1; i < s->slots[s0].bufs->len; i++)
    fail_unless_equals_int (buf_seq (g_ptr_array_index (s->slots[s0].bufs,
                i)), (guint16) (buf_seq (g_ptr_array_index (s->slots[s0].bufs,
                    i - 1)) + 1));
  fail_unless_equals_int (stat (s, "received"), 6 + 3 * 7);
  fail_unless_equals_int (stat (s, "dropped-unselected"), stat (s,
          "received") - stat (s, "forwarded"));
  sel_free (s);
}

GST_END_TEST;

GST_START_TEST (test_select_timeout)
{
  Sel *s = sel_new (1, 1);
  Slot *slot = &s->slots[0];
  guint ssrcs[MAX_SLOTS], n, p;

  g_object_set (s->sel, "member-timeout", 100, NULL);
  push (s, 0, 0, 20);
  fail_unless_equals_int (slot_of (s, 0), 0);
  /* A stops; B, not speaking (-100 dBov), goes on */
  for (p = 1; p <= 5; p++)
    push (s, 1, p, 100);
  fail_unless_equals_int (slot_of (s, 0), 0);
  fail_unless_equals_int (stat_members (s), 2);
  /* 120 ms after A's last packet */
  push (s, 1, 6, 100);
  fail_unless_equals_int (selection (s, ssrcs), 1);
  fail_unless_equals_int (ssrcs[0], 0);
  fail_unless_equals_int (stat_members (s), 1);
  fail_unless_equals_int (s->changes->len, 2);
  fail_unless_equals_int (g_array_index (s->changes, Change, 1).ssrc, 0);
  fail_unless (last_selection_message (s, ssrcs, &n));
  fail_unless_equals_int (n, 1);
  fail_unless_equals_int (ssrcs[0], 0);

  /* A comes back: selected again, with DISCONT */
  sel_clear_received (s);
  push (s, 0, 7, 20);
  fail_unless_equals_int (slot_of (s, 0), 0);
  fail_unless_equals_int (slot->bufs->len, 1);
  fail_unless (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (slot->bufs, 0),
          GST_BUFFER_FLAG_DISCONT));
  sel_free (s);
}

GST_END_TEST;

GST_START_TEST (test_select_bad_input)
{
  Sel *s = sel_new (2, 2);
  static const guint8 garbage[] = { 0x00, 0x01, 0x02 };
  GstBuffer *buf;
  guint p;

  push (s, 0, 0, 20);
  push (s, 1, 0, 30);
  for (p = 1; p <= 3; p++) {
    buf = gst_buffer_new_memdup (garbage, sizeof (garbage));
    GST_BUFFER_PTS (buf) = p * PERIOD;
    fail_unless_equals_int (gst_harness_push (s->h, buf), GST_FLOW_OK);
    /* a selected member's bad level: counted, packet still forwarded,
     * level unchanged */
    push (s, 0, p, BAD_SIZE);
    push (s, 1, p, 30);
    /* a member with a bad level or none is never selected on that */
    push (s, 2, p, BAD_SIZE);
    push (s, 3, p, ABSENT);
  }
  fail_unless_equals_int (stat (s, "malformed"), 3);
  fail_unless_equals_int (stat (s, "bad-level"), 6);
  fail_unless_equals_int (stat (s, "no-level"), 3);
  fail_unless_equals_int (stat (s, "received"), 2 + 3 * 4);
  fail_unless_equals_int (stat (s, "forwarded"), 2 + 3 * 2);
  fail_unless_equals_int (stat (s, "dropped-unselected"), 6);
  fail_unless_equals_int (s->slots[0].bufs->len, 4);
  fail_unless_equals_int (s->slots[1].bufs->len, 4);
  fail_unless (slot_of (s, 0) >= 0 && slot_of (s, 1) >= 0);

  /* free slots stay free for no-level members */
  sel_free (s);
  s = sel_new (2, 2);
  for (p = 0; p < 5; p++) {
    push (s, 3, p, ABSENT);
    push (s, 2, p, BAD_SIZE);
  }
  fail_unless_equals_int (slot_of (s, 3), -1);
  fail_unless_equals_int (slot_of (s, 2), -1);
  fail_unless_equals_int (stat (s, "dropped-unselected"), 10);
  fail_unless_equals_int (stat (s, "no-level"), 5);
  fail_unless_equals_int (stat (s, "bad-level"), 5);
  fail_unless_equals_int (stat_members (s), 2);
  fail_unless_equals_int (s->changes->len, 0);
  sel_free (s);
}

GST_END_TEST;

GST_START_TEST (test_select_gaps)
{
  Sel *s = sel_new (2, 2);
  guint p;

  /* default: no GAP events */
  push_periods (s, (const gint[]) {
        20, 100
      }, 2, 0, 3);
  fail_unless_equals_int (s->slots[1].gaps->len, 0);
  sel_free (s);

  s = sel_new (2, 2);
  g_object_set (s->sel, "gaps", TRUE, NULL);
  /* one speaker, one member not speaking: slot 1 stays empty and gets
   * one GAP per period, not one per packet */
  for (p = 0; p < 5; p++) {
    push (s, 0, p, 20);
    push (s, 1, p, 100);
  }
  fail_unless_equals_int (slot_of (s, 0), 0);
  fail_unless_equals_int (s->slots[0].gaps->len, 0);
  fail_unless_equals_int (s->slots[1].bufs->len, 0);
  fail_unless_equals_int (s->slots[1].gaps->len, 5);
  for (p = 0; p < 5; p++) {
    GstClockTime ts, dur;

    gst_event_parse_gap (g_ptr_array_index (s->slots[1].gaps, p), &ts, &dur);
    fail_unless_equals_uint64 (ts, p * PERIOD);
    fail_unless_equals_uint64 (dur, PERIOD);
  }
  sel_free (s);
}

GST_END_TEST;

GST_START_TEST (test_select_release_slot)
{
  Sel *s = sel_new (2, 2);
  guint ssrcs[MAX_SLOTS], n;
  gint a;

  push_periods (s, (const gint[]) {
        20, 30, 40
      }, 3, 0, 2);
  a = slot_of (s, 0);
  fail_unless (a >= 0);
  count_messages (s);

  /* the slot of member 0 goes away while members go on sending */
  sel_release_slot (s, a);
  fail_unless (last_selection_message (s, ssrcs, &n));
  fail_unless_equals_int (n, 1);
  fail_unless_equals_int (ssrcs[0], SSRC (1));
  sel_clear_received (s);
  push_periods (s, (const gint[]) {
        20, 30, 40
      }, 3, 2, 3);
  /* one slot left: member 0, 10 dB louder than 1 (more than the
   * hysteresis, hold-time 0), takes it at its first packet */
  fail_unless_equals_int (selection (s, ssrcs), 1);
  fail_unless_equals_int (ssrcs[0], SSRC (0));
  fail_unless_equals_int (s->slots[a].bufs->len, 0);
  fail_unless_equals_int (slot_members (&s->slots[1 - a]), 0x1);
  fail_unless (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (s->slots[1 -
                  a].bufs, 0), GST_BUFFER_FLAG_DISCONT));

  /* a slot requested later gets the sticky events, its own stream-id */
  {
    GstEvent *ev;
    const gchar *id0, *id1;
    GstEvent *ev0;

    sel_add_slot (s, 4);
    ev = gst_pad_get_sticky_event (s->slots[4].src, GST_EVENT_CAPS, 0);
    fail_unless (ev != NULL);
    gst_event_unref (ev);
    ev = gst_pad_get_sticky_event (s->slots[4].src, GST_EVENT_SEGMENT, 0);
    fail_unless (ev != NULL);
    gst_event_unref (ev);
    ev = gst_pad_get_sticky_event (s->slots[4].src, GST_EVENT_STREAM_START, 0);
    ev0 = gst_pad_get_sticky_event (s->slots[1 - a].src,
        GST_EVENT_STREAM_START, 0);
    fail_unless (ev != NULL && ev0 != NULL);
    gst_event_parse_stream_start (ev, &id1);
    gst_event_parse_stream_start (ev0, &id0);
    fail_if (g_strcmp0 (id0, id1) == 0);
    gst_event_unref (ev);
    gst_event_unref (ev0);
  }
  push_periods (s, (const gint[]) {
        20, 30, 40
      }, 3, 5, 2);
  fail_unless_equals_int (selection (s, ssrcs), 2);
  fail_unless_equals_int (slot_members (&s->slots[4]), 0x2);

  /* EOS reaches every slot */
  fail_unless (gst_harness_push_event (s->h, gst_event_new_eos ()));
  fail_unless (s->slots[1 - a].eos);
  fail_unless (s->slots[4].eos);
  sel_free (s);
}

GST_END_TEST;

typedef struct
{
  Sel *s;
  gint done;
} Pusher;

static gpointer
push_thread (gpointer user_data)
{
  Pusher *pu = user_data;
  guint p;

  for (p = 0; p < 500; p++) {
    GstBufferList *list = gst_buffer_list_new ();
    guint i;

    for (i = 0; i < 8; i++)
      gst_buffer_list_add (list, make_rtp (i, p, p, 10 + 5 * ((i + p / 50)
                  % 8)));
    gst_pad_push_list (pu->s->h->srcpad, list);
  }
  g_atomic_int_set (&pu->done, 1);
  return NULL;
}

/* Slots requested and released while another thread streams lists */
GST_START_TEST (test_select_release_while_streaming)
{
  Sel *s = sel_new (2, 3);
  Pusher pu = { s, 0 };
  GThread *thread;
  guint n = 0;

  thread = g_thread_new ("pusher", push_thread, &pu);
  while (!g_atomic_int_get (&pu.done)) {
    GstPad *pad = gst_element_request_pad_simple (s->sel, "src_%u");

    fail_unless (pad != NULL);
    g_thread_yield ();
    gst_element_release_request_pad (s->sel, pad);
    gst_object_unref (pad);
    n++;
  }
  g_thread_join (thread);
  fail_unless (n > 0);
  fail_unless_equals_int (stat (s, "received"), 500 * 8);
  fail_unless_equals_int (stat (s, "received"), stat (s, "forwarded") +
      stat (s, "dropped-unselected"));
  /* the two linked slots got their speakers all along */
  fail_unless (s->slots[0].bufs->len > 0);
  fail_unless (s->slots[1].bufs->len > 0);
  sel_free (s);
}

GST_END_TEST;

GST_START_TEST (test_select_states)
{
  GstElement *sel = gst_element_factory_make ("acsspeakerselect", NULL);
  GstPad *src;

  src = gst_element_request_pad_simple (sel, "src_%u");
  fail_unless_equals_string (GST_PAD_NAME (src), "src_0");
  fail_unless (gst_element_request_pad_simple (sel, "src_x") == NULL);
  fail_unless_equals_int (gst_element_set_state (sel, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (sel, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_release_request_pad (sel, src);
  gst_object_unref (src);
  gst_object_unref (sel);
}

GST_END_TEST;

/* The first packet of a new member on a slot comes after an
 * acs-decoder-reset event naming the slot and the member, in order with
 * the packets of the previous member, inside a buffer list too */
GST_START_TEST (test_select_speaker_changed_event)
{
  Sel *s = sel_new (2, 1);
  Slot *slot = &s->slots[0];
  GstBufferList *list;
  Changed *c;
  guint p;

  g_object_set (s->sel, "hysteresis", 0.0, NULL);
  for (p = 0; p < 3; p++)
    push (s, 0, p, 30);
  fail_unless_equals_int (slot->bufs->len, 3);
  fail_unless_equals_int (slot->changed->len, 1);
  c = &g_array_index (slot->changed, Changed, 0);
  fail_unless_equals_int (c->at, 0);
  fail_unless_equals_int (c->ssrc, SSRC (0));
  fail_unless_equals_int (c->slot, 0);

  /* member 0 then member 1, much louder, in one list: member 1 takes the
   * slot at its packet; the event goes between the two */
  list = gst_buffer_list_new ();
  gst_buffer_list_add (list, sel_make (s, 0, 3, 30));
  gst_buffer_list_add (list, sel_make (s, 1, 3, 0));
  gst_buffer_list_add (list, sel_make (s, 0, 3, 30));
  fail_unless_equals_int (gst_pad_push_list (s->h->srcpad, list), GST_FLOW_OK);
  fail_unless_equals_int (slot_of (s, 1), 0);
  fail_unless_equals_int (slot->bufs->len, 5);
  fail_unless_equals_int (slot->changed->len, 2);
  c = &g_array_index (slot->changed, Changed, 1);
  fail_unless_equals_int (c->at, 4);
  fail_unless_equals_int (c->ssrc, SSRC (1));
  fail_unless_equals_int (buf_member (g_ptr_array_index (slot->bufs, 3)), 0);
  fail_unless_equals_int (buf_member (g_ptr_array_index (slot->bufs, 4)), 1);
  fail_unless (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (slot->bufs, 4),
          GST_BUFFER_FLAG_DISCONT));
  fail_if (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (slot->bufs, 3),
          GST_BUFFER_FLAG_DISCONT));
  /* the other slot (over top-k) never had a member, nor an event */
  fail_unless_equals_int (s->slots[1].changed->len, 0);

  /* member 1 goes on: no more events */
  push (s, 1, 4, 0);
  fail_unless_equals_int (slot->changed->len, 2);
  sel_free (s);
}

GST_END_TEST;

#define TONE_FRAMES 12

/* A tone of *(const gdouble *) data Hz throughout */
static gdouble
steady_tone (guint period, gconstpointer data)
{
  return *(const gdouble *) data;
}

/* @n packets of member @member's @freq Hz tone, with level @level, from
 * period @first */
static GPtrArray *
opus_tone_packets (guint member, gdouble freq, guint n, guint first,
    guint level)
{
  GPtrArray *out = level_test_opus_packets (n, steady_tone, &freq, 12000);
  guint i;

  for (i = 0; i < n; i++)
    out->pdata[i] = level_test_mark (out->pdata[i], SSRC (member), EXT_ID,
        level, first + i);
  return out;
}

static GstFlowReturn
decoded_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  g_ptr_array_add (gst_pad_get_element_private (pad), buf);
  return GST_FLOW_OK;
}

/* The samples of the @n buffers of @bufs from @first, as one GBytes */
static GBytes *
samples_of (GPtrArray * bufs, guint first, guint n)
{
  GByteArray *a = g_byte_array_new ();
  guint i;

  fail_unless (first + n <= bufs->len);
  for (i = first; i < first + n; i++) {
    GstMapInfo map;

    fail_unless (gst_buffer_map (g_ptr_array_index (bufs, i), &map,
            GST_MAP_READ));
    g_byte_array_append (a, map.data, map.size);
    gst_buffer_unmap (g_ptr_array_index (bufs, i), &map);
  }
  return g_byte_array_free_to_bytes (a);
}

/* A slot's decoder starts afresh on a new member: with the probe of
 * acsdecoderreset.h on opusdec, what a slot decodes of member 1 after
 * member 0 is sample for sample what a new decoder makes of member 1's
 * packets alone */
GST_START_TEST (test_select_decoder_reset)
{
  Sel *s = sel_new (0, 1);
  GPtrArray *a = opus_tone_packets (0, 440.0, TONE_FRAMES, 0, 30);
  GPtrArray *b = opus_tone_packets (1, 1000.0, TONE_FRAMES, TONE_FRAMES, 0);
  GPtrArray *decoded = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GPtrArray *fresh = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstElement *chain, *dec;
  GstPad *src, *sinkpad, *out;
  GstHarness *ref;
  GBytes *got, *want;
  guint i, n_a;

  g_object_set (s->sel, "hysteresis", 0.0, NULL);
  chain = gst_parse_bin_from_description ("rtpopusdepay ! "
      "opusdec name=dec plc=false", TRUE, NULL);
  fail_unless (chain != NULL);
  dec = gst_bin_get_by_name (GST_BIN (chain), "dec");
  fail_unless (acs_decoder_reset_attach (dec) != 0);
  src = gst_element_request_pad_simple (s->sel, "src_0");
  sinkpad = gst_element_get_static_pad (chain, "sink");
  fail_unless_equals_int (gst_pad_link (src, sinkpad), GST_PAD_LINK_OK);
  out = gst_pad_new ("sink", GST_PAD_SINK);
  gst_pad_set_element_private (out, decoded);
  gst_pad_set_chain_function (out, decoded_chain);
  gst_pad_set_active (out, TRUE);
  {
    GstPad *chain_src = gst_element_get_static_pad (chain, "src");

    fail_unless_equals_int (gst_pad_link (chain_src, out), GST_PAD_LINK_OK);
    gst_object_unref (chain_src);
  }
  fail_unless (gst_element_set_state (chain, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_SUCCESS);

  /* member 0 alone, then member 1 alone and louder: it takes the slot at
   * its first packet */
  for (i = 0; i < a->len; i++)
    fail_unless_equals_int (gst_harness_push (s->h,
            gst_buffer_ref (g_ptr_array_index (a, i))), GST_FLOW_OK);
  n_a = decoded->len;
  fail_unless (n_a > 0);
  for (i = 0; i < b->len; i++)
    fail_unless_equals_int (gst_harness_push (s->h,
            gst_buffer_ref (g_ptr_array_index (b, i))), GST_FLOW_OK);
  fail_unless_equals_int (slot_of (s, 1), 0);

  /* a new decoder on member 1's packets alone */
  ref = gst_harness_new_parse ("rtpopusdepay ! opusdec plc=false");
  gst_harness_set_src_caps_str (ref, CAPS_STR);
  for (i = 0; i < b->len; i++)
    fail_unless_equals_int (gst_harness_push (ref,
            gst_buffer_ref (g_ptr_array_index (b, i))), GST_FLOW_OK);
  while (gst_harness_buffers_in_queue (ref) > 0)
    g_ptr_array_add (fresh, gst_harness_pull (ref));
  fail_unless (fresh->len > 0);
  fail_unless_equals_int (decoded->len - n_a, fresh->len);

  got = samples_of (decoded, n_a, fresh->len);
  want = samples_of (fresh, 0, fresh->len);
  fail_unless (g_bytes_equal (got, want),
      "member 1 decoded from member 0's decoder state");
  g_bytes_unref (got);
  g_bytes_unref (want);

  gst_harness_teardown (ref);
  gst_element_set_state (chain, GST_STATE_NULL);
  gst_pad_set_active (out, FALSE);
  gst_element_release_request_pad (s->sel, src);
  gst_object_unref (src);
  gst_object_unref (sinkpad);
  gst_object_unref (out);
  gst_object_unref (dec);
  gst_object_unref (chain);
  g_ptr_array_unref (a);
  g_ptr_array_unref (b);
  g_ptr_array_unref (decoded);
  g_ptr_array_unref (fresh);
  sel_free (s);
}

GST_END_TEST;

static Suite *
acsspeakerselect_suite (void)
{
  Suite *s = suite_create ("acsspeakerselect");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_select_top_k);
  tcase_add_test (tc, test_select_hysteresis_hold);
  tcase_add_test (tc, test_select_buffer_list);
  tcase_add_test (tc, test_select_timeout);
  tcase_add_test (tc, test_select_bad_input);
  tcase_add_test (tc, test_select_gaps);
  tcase_add_test (tc, test_select_release_slot);
  tcase_add_test (tc, test_select_release_while_streaming);
  tcase_add_test (tc, test_select_states);
  tcase_add_test (tc, test_select_speaker_changed_event);
  tcase_add_test (tc, test_select_decoder_reset);
  return s;
}

GST_CHECK_MAIN (acsspeakerselect);

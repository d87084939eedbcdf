/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: unit tests of acssfu (the SFU mode of acsmixer)
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>

#include "leveltestutil.h"

#define MAX_MEMBERS 6
#define PERIOD (20 * GST_MSECOND)
#define TS_PER_PERIOD 960
#define EXT_ID 1
#define SILENT 127
#define ABSENT LEVEL_ABSENT
#define BAD_SIZE LEVEL_BAD_SIZE
#define MEMBER_SSRC(i) (0x1000u + (i))
#define VIDEO_SSRC(i) (0x2000u + (i))
#define VIDEO_CAPS_STR "application/x-rtp, media=video, clock-rate=90000, " \
    "encoding-name=VP8, payload=96"
#define VIDEO_TS_PER_PERIOD 1800
#define CAPS_STR "application/x-rtp, media=audio, clock-rate=48000, " \
    "encoding-name=OPUS, payload=111, " \
    "extmap-1=urn:ietf:params:rtp-hdrext:ssrc-audio-level"

/* A call: one acssfu, one harness per member (sink_N in, src_N out); the
 * first member's harness gives the element a test clock. Time is the
 * packets' PTS, set by the test. */
typedef struct
{
  GstElement *sfu;
  GstHarness *m[MAX_MEMBERS];
  GstHarness *v[MAX_MEMBERS];   /* video_sink_N / video_src_N, or NULL */
  guint n;
  guint16 seq[MAX_MEMBERS];
  guint16 vseq[MAX_MEMBERS];
} Call;

typedef struct
{
  guint32 ssrc;
  guint16 seq;
  guint32 ts;
  gboolean marker;
  guint member;                 /* sender, from the payload */
  guint16 in_seq;               /* sender's sequence number, from the payload */
} Out;

/* FCI fields; memcpy because the data may be unaligned */
static inline guint32
read_be32 (const guint8 * p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return GUINT32_FROM_BE (v);
}

static inline guint16
read_be16 (const guint8 * p)
{
  guint16 v;

  memcpy (&v, p, 2);
  return GUINT16_FROM_BE (v);
}

static inline void
write_be32 (guint8 * p, guint32 v)
{
  v = GUINT32_TO_BE (v);
  memcpy (p, &v, 4);
}

static inline void
write_be16 (guint8 * p, guint16 v)
{
  v = GUINT16_TO_BE (v);
  memcpy (p, &v, 2);
}

static Call *
call_new (guint n, guint top_k)
{
  Call *c = g_new0 (Call, 1);
  guint i;

  c->sfu = gst_element_factory_make ("acssfu", NULL);
  fail_unless (c->sfu != NULL);
  g_object_set (c->sfu, "top-k", top_k, "level-window", 20, "hold-time", 0,
      NULL);
  for (i = 0; i < n; i++) {
    gchar *sink = g_strdup_printf ("sink_%u", i);
    gchar *src = g_strdup_printf ("src_%u", i);

    c->m[i] = gst_harness_new_with_element (c->sfu, sink, src);
    gst_harness_set_src_caps_str (c->m[i], CAPS_STR);
    c->seq[i] = 100 * i;
    g_free (sink);
    g_free (src);
  }
  c->n = n;
  gst_harness_use_testclock (c->m[0]);
  gst_harness_play (c->m[0]);
  return c;
}

static void
call_free (Call * c)
{
  guint i;

  for (i = 0; i < MAX_MEMBERS; i++)
    if (c->v[i])
      gst_harness_teardown (c->v[i]);
  for (i = 0; i < MAX_MEMBERS; i++)
    if (c->m[i])
      gst_harness_teardown (c->m[i]);
  gst_object_unref (c->sfu);
  g_free (c);
}

/* An RTP packet from @member; its payload names the member and the
 * sequence number, so that the receiver's side can tell what it got.
 * @level: 0..127, ABSENT (no extension) or BAD_SIZE (2-byte value) */
static GstBuffer *
make_rtp (guint member, guint16 seq, guint period, gint level)
{
  GstBuffer *buf = level_test_make_rtp (member, MEMBER_SSRC (member), seq,
      5000 * member + period * TS_PER_PERIOD, EXT_ID, level, 4);

  GST_BUFFER_PTS (buf) = period * PERIOD;
  return buf;
}

static void
push_rtp (Call * c, guint member, guint period, gint level)
{
  fail_unless_equals_int (gst_harness_push (c->m[member],
          make_rtp (member, c->seq[member]++, period, level)), GST_FLOW_OK);
}

/* Every member i with levels[i] != ABSENT sends one packet per period */
static void
call_periods (Call * c, const gint * levels, guint first, guint count)
{
  guint p, i;

  for (p = first; p < first + count; p++)
    for (i = 0; i < c->n; i++)
      if (levels[i] != ABSENT)
        push_rtp (c, i, p, levels[i]);
}

/* Pulls everything @h received; RTP into @out (may be NULL), RTCP into
 * @rtcp (may be NULL) */
static void
drain_harness (GstHarness * h, GArray * out, GPtrArray * rtcp)
{
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (h))) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    guint8 head[2];

    /* RFC 5761: RTCP packet types 192 to 223 */
    fail_unless_equals_int (gst_buffer_extract (buf, 0, head, 2), 2);
    if ((head[1] & 0x7f) >= 64 && (head[1] & 0x7f) <= 95) {
      fail_unless (gst_rtcp_buffer_validate_reduced (buf));
      if (rtcp)
        g_ptr_array_add (rtcp, buf);
      else
        gst_buffer_unref (buf);
      continue;
    }
    fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
    if (out) {
      Out o;
      guint8 *payload = gst_rtp_buffer_get_payload (&rtp);

      o.ssrc = gst_rtp_buffer_get_ssrc (&rtp);
      o.seq = gst_rtp_buffer_get_seq (&rtp);
      o.ts = gst_rtp_buffer_get_timestamp (&rtp);
      o.marker = gst_rtp_buffer_get_marker (&rtp);
      o.member = payload[0];
      o.in_seq = read_be16 (payload + 1);
      g_array_append_val (out, o);
    }
    gst_rtp_buffer_unmap (&rtp);
    gst_buffer_unref (buf);
  }
}

/* Pulls everything member @r received on src_N */
static void
drain (Call * c, guint r, GArray * out, GPtrArray * rtcp)
{
  drain_harness (c->m[r], out, rtcp);
}

static GArray *
outs_new (void)
{
  return g_array_new (FALSE, FALSE, sizeof (Out));
}

/* The set of senders member @r received, as a bit mask */
static guint
senders (GArray * out)
{
  guint mask = 0, i;

  for (i = 0; i < out->len; i++)
    mask |= 1 << g_array_index (out, Out, i).member;
  return mask;
}

/* Every SSRC in @out is one continuous stream: sequence numbers +1 per
 * packet and timestamps going forward (@frames: or staying, for the
 * packets of one video frame). Returns the number of SSRCs. */
static guint
assert_continuous_full (GArray * out, gboolean frames)
{
  GHashTable *last = g_hash_table_new (NULL, NULL);
  guint i, n;

  for (i = 0; i < out->len; i++) {
    Out *o = &g_array_index (out, Out, i);
    Out *prev = g_hash_table_lookup (last, GUINT_TO_POINTER (o->ssrc));

    if (prev) {
      fail_unless_equals_int ((guint16) (prev->seq + 1), o->seq);
      if (frames)
        fail_unless ((gint32) (o->ts - prev->ts) >= 0);
      else
        fail_unless ((gint32) (o->ts - prev->ts) > 0);
    }
    g_hash_table_insert (last, GUINT_TO_POINTER (o->ssrc), o);
  }
  n = g_hash_table_size (last);
  g_hash_table_unref (last);
  return n;
}

static guint
assert_continuous (GArray * out)
{
  return assert_continuous_full (out, FALSE);
}

static guint64
stat (Call * c, const gchar * name)
{
  return level_test_stat (c->sfu, name);
}

/* The ranking's selection as a bit mask */
static guint
selected (Call * c)
{
  GstStructure *s;
  const GValue *v;
  guint mask = 0, i;

  g_object_get (c->sfu, "ranking", &s, NULL);
  v = gst_structure_get_value (s, "selected");
  for (i = 0; i < gst_value_array_get_size (v); i++)
    mask |= 1 << g_value_get_uint (gst_value_array_get_value (v, i));
  gst_structure_free (s);
  return mask;
}

GST_START_TEST (test_sfu_top_k_never_self)
{
  Call *c = call_new (4, 2);
  const gint levels[] = { 10, 20, 30, SILENT };
  GArray *out[4];
  guint i, j;

  call_periods (c, levels, 0, 5);
  /* K + 1 speakers are selected; the silent member is not */
  fail_unless_equals_int (selected (c), 0x7);

  for (i = 0; i < 4; i++) {
    out[i] = outs_new ();
    drain (c, i, out[i], NULL);
    for (j = 0; j < out[i]->len; j++)
      fail_if (g_array_index (out[i], Out, j).member == i,
          "member %u received itself", i);
    /* K slots, each a continuous stream */
    fail_unless_equals_int (assert_continuous (out[i]), 2);
  }
  fail_unless_equals_int (senders (out[0]), 0x6);
  fail_unless_equals_int (senders (out[1]), 0x5);
  fail_unless_equals_int (senders (out[2]), 0x3);
  /* The silent member gets two of the three speakers */
  fail_unless_equals_int (senders (out[3]), 0x3);
  fail_unless_equals_int (out[3]->len, 10);
  /* Every receiver's slots have SSRCs of their own */
  for (i = 0; i < 4; i++)
    for (j = 0; j < out[i]->len; j++) {
      guint k = (i + 1) % 4;

      fail_if (g_array_index (out[i], Out, j).ssrc ==
          g_array_index (out[k], Out, 0).ssrc);
      fail_if (g_array_index (out[i], Out, j).ssrc ==
          MEMBER_SSRC (g_array_index (out[i], Out, j).member));
    }

  fail_unless_equals_int (stat (c, "packets-received"), 20);
  /* 3 speakers x 5 periods x 3 receivers, but member 3 gets only 2 */
  fail_unless_equals_int (stat (c, "packets-forwarded"), 40);
  for (i = 0; i < 4; i++)
    g_array_unref (out[i]);
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_sfu_switch_continuity)
{
  Call *c = call_new (4, 1);
  const gint before[] = { 10, 20, SILENT, SILENT };
  const gint quiet[] = { SILENT, 20, SILENT, SILENT };
  const gint after[] = { ABSENT, 20, 5, SILENT };
  GArray *out = outs_new ();
  guint i, switch_at = 0;
  guint32 ssrc;

  /* Periods 0-4: members 0 and 1 selected; member 3's one slot gets 0 */
  call_periods (c, before, 0, 5);
  fail_unless_equals_int (selected (c), 0x3);
  /* Period 5: member 0 falls silent, then stops sending */
  call_periods (c, quiet, 5, 1);
  /* Period 7: member 2 speaks up and replaces member 0 */
  call_periods (c, after, 7, 3);
  fail_unless_equals_int (selected (c), 0x6);

  drain (c, 3, out, NULL);
  fail_unless_equals_int (out->len, 6 + 3);
  ssrc = g_array_index (out, Out, 0).ssrc;
  fail_unless (g_array_index (out, Out, 0).marker);
  for (i = 0; i < out->len; i++) {
    Out *o = &g_array_index (out, Out, i);

    fail_unless_equals_int (o->ssrc, ssrc);
    fail_unless_equals_int (o->member, i < 6 ? 0 : 2);
    if (i > 0)
      fail_unless_equals_int (o->marker, i == 6);
    if (i > 0 && o->member == 2 && !switch_at)
      switch_at = i;
  }
  fail_unless_equals_int (switch_at, 6);
  /* One stream: seq +1 per packet across the switch */
  fail_unless_equals_int (assert_continuous (out), 1);
  /* Timestamps: 960 per period, and 40 ms elapsed across the switch */
  fail_unless_equals_int (g_array_index (out, Out, 5).ts -
      g_array_index (out, Out, 4).ts, TS_PER_PERIOD);
  fail_unless_equals_int (g_array_index (out, Out, 6).ts -
      g_array_index (out, Out, 5).ts, 2 * TS_PER_PERIOD);
  fail_unless_equals_int (g_array_index (out, Out, 7).ts -
      g_array_index (out, Out, 6).ts, TS_PER_PERIOD);
  g_array_set_size (out, 0);

  /* Member 1 kept receiving member 0's slot, now member 2 on it */
  drain (c, 1, out, NULL);
  fail_unless_equals_int (assert_continuous (out), 1);
  fail_unless_equals_int (senders (out), 0x5);
  g_array_set_size (out, 0);

  /* Member 0 kept member 1 all along: no switch, one marker */
  drain (c, 0, out, NULL);
  fail_unless_equals_int (senders (out), 0x2);
  fail_unless_equals_int (assert_continuous (out), 1);
  for (i = 1; i < out->len; i++)
    fail_if (g_array_index (out, Out, i).marker);
  g_array_set_size (out, 0);

  /* Member 2 left member 0's stream for member 1's (itself excluded) */
  drain (c, 2, out, NULL);
  fail_unless_equals_int (senders (out), 0x3);
  fail_unless_equals_int (assert_continuous (out), 1);

  fail_unless (stat (c, "slot-switches") >= 7);
  g_array_unref (out);
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_sfu_hysteresis)
{
  Call *c = call_new (4, 1);
  gint levels[] = { 10, 20, SILENT, SILENT };
  guint p = 0, i;

  call_periods (c, levels, p, 3);
  p += 3;
  fail_unless_equals_int (selected (c), 0x3);

  /* 2 dB above the weakest selected: below the 6 dB hysteresis */
  levels[2] = 18;
  call_periods (c, levels, p, 10);
  p += 10;
  fail_unless_equals_int (selected (c), 0x3);

  /* 8 dB above: replaces member 1 */
  levels[2] = 12;
  call_periods (c, levels, p, 1);
  p += 1;
  fail_unless_equals_int (selected (c), 0x5);

  /* Hold time: member 1 comes back louder, but member 2 was just
   * selected and member 0 is not 6 dB quieter */
  g_object_set (c->sfu, "hold-time", 1000, NULL);
  levels[0] = 3;
  levels[1] = 0;
  call_periods (c, levels, p, 10);
  p += 10;
  fail_unless_equals_int (selected (c), 0x5);
  /* ... until member 2's hold time (1 s after period 13) has passed */
  call_periods (c, levels, p, 39);
  p += 39;
  fail_unless_equals_int (selected (c), 0x5);
  call_periods (c, levels, p, 2);
  fail_unless_equals_int (selected (c), 0x3);

  for (i = 0; i < 4; i++)
    drain (c, i, NULL, NULL);
  call_free (c);
}

GST_END_TEST;

static GstBuffer *
make_feedback (guint32 sender, GstRTCPType type, guint fbtype,
    guint32 media, const guint8 * fci, guint words)
{
  GstBuffer *buf = gst_rtcp_buffer_new (1000);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  fail_unless (gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp));
  fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet));
  gst_rtcp_packet_rr_set_ssrc (&packet, sender);
  fail_unless (gst_rtcp_buffer_add_packet (&rtcp, type, &packet));
  gst_rtcp_packet_fb_set_type (&packet, fbtype);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, sender);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, media);
  if (words) {
    fail_unless (gst_rtcp_packet_fb_set_fci_length (&packet, words));
    memcpy (gst_rtcp_packet_fb_get_fci (&packet), fci, 4 * words);
  }
  gst_rtcp_buffer_unmap (&rtcp);
  return buf;
}

static GstBuffer *
make_nack (guint32 sender, guint32 media, guint16 pid, guint16 blp)
{
  guint8 fci[4];

  write_be16 (fci, pid);
  write_be16 (fci + 2, blp);
  return make_feedback (sender, GST_RTCP_TYPE_RTPFB,
      GST_RTCP_RTPFB_TYPE_NACK, media, fci, 1);
}

/* The one feedback packet in @rtcp: checks its type and media SSRC,
 * returns its FCI (or NULL) */
static GBytes *
parse_feedback (GPtrArray * rtcp, GstRTCPType type, guint fbtype, guint32 media)
{
  GstRTCPBuffer r = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GBytes *fci = NULL;
  guint words;

  fail_unless_equals_int (rtcp->len, 1);
  fail_unless (gst_rtcp_buffer_map (g_ptr_array_index (rtcp, 0),
          GST_MAP_READ, &r));
  fail_unless (gst_rtcp_buffer_get_first_packet (&r, &packet));
  fail_unless_equals_int (gst_rtcp_packet_get_type (&packet), type);
  fail_unless_equals_int (gst_rtcp_packet_fb_get_type (&packet), fbtype);
  fail_unless_equals_int (gst_rtcp_packet_fb_get_media_ssrc (&packet), media);
  fail_unless_equals_int (gst_rtcp_packet_fb_get_sender_ssrc (&packet),
      MEMBER_SSRC (3));
  words = gst_rtcp_packet_fb_get_fci_length (&packet);
  if (words)
    fci = g_bytes_new (gst_rtcp_packet_fb_get_fci (&packet), 4 * words);
  fail_if (gst_rtcp_packet_move_to_next (&packet));
  gst_rtcp_buffer_unmap (&r);
  g_ptr_array_set_size (rtcp, 0);
  return fci;
}

GST_START_TEST (test_sfu_rtcp_routing)
{
  Call *c = call_new (4, 1);
  const gint before[] = { 10, 20, SILENT, SILENT };
  const gint quiet[] = { SILENT, 20, SILENT, SILENT };
  const gint after[] = { ABSENT, 20, 5, SILENT };
  GArray *out = outs_new ();
  GPtrArray *rtcp = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GArray *other = outs_new ();
  guint32 slot, other_slot;
  guint16 first_seq;
  GBytes *fci;
  const guint8 *d;
  gsize size;
  guint8 fir[8] = { 0, };

  call_periods (c, before, 0, 5);
  drain (c, 3, out, NULL);
  fail_unless_equals_int (out->len, 5);
  slot = g_array_index (out, Out, 0).ssrc;
  first_seq = g_array_index (out, Out, 0).seq;
  fail_unless_equals_int (g_array_index (out, Out, 0).member, 0);
  drain (c, 1, other, NULL);
  other_slot = g_array_index (other, Out, 0).ssrc;
  drain (c, 0, NULL, NULL);
  drain (c, 2, NULL, NULL);

  /* PLI about member 3's slot goes to member 0, about member 0's SSRC */
  fail_unless_equals_int (gst_harness_push (c->m[3],
          make_feedback (MEMBER_SSRC (3), GST_RTCP_TYPE_PSFB,
              GST_RTCP_PSFB_TYPE_PLI, slot, NULL, 0)), GST_FLOW_OK);
  drain (c, 0, NULL, rtcp);
  fci = parse_feedback (rtcp, GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI,
      MEMBER_SSRC (0));
  fail_unless (fci == NULL);
  drain (c, 1, NULL, rtcp);
  drain (c, 2, NULL, rtcp);
  fail_unless_equals_int (rtcp->len, 0);

  /* FIR: the FCI's SSRC is rewritten too */
  write_be32 (fir, slot);
  fir[4] = 7;
  fail_unless_equals_int (gst_harness_push (c->m[3],
          make_feedback (MEMBER_SSRC (3), GST_RTCP_TYPE_PSFB,
              GST_RTCP_PSFB_TYPE_FIR, 0, fir, 2)), GST_FLOW_OK);
  drain (c, 0, NULL, rtcp);
  fci = parse_feedback (rtcp, GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_FIR, 0);
  d = g_bytes_get_data (fci, &size);
  fail_unless_equals_int (size, 8);
  fail_unless_equals_int (read_be32 (d), MEMBER_SSRC (0));
  g_bytes_unref (fci);

  /* NACK of the 2nd and 4th packets: mapped to member 0's numbers */
  fail_unless_equals_int (gst_harness_push (c->m[3],
          make_nack (MEMBER_SSRC (3), slot, first_seq + 1, 1 << 1)),
      GST_FLOW_OK);
  drain (c, 0, NULL, rtcp);
  fci = parse_feedback (rtcp, GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK,
      MEMBER_SSRC (0));
  d = g_bytes_get_data (fci, &size);
  fail_unless_equals_int (size, 4);
  fail_unless_equals_int (read_be16 (d), g_array_index (out, Out, 1).in_seq);
  fail_unless_equals_int (read_be16 (d + 2), 1 << 1);
  g_bytes_unref (fci);
  fail_unless_equals_int (stat (c, "nack-mapped"), 2);

  /* After a switch to member 2, one NACK spanning both senders is split */
  call_periods (c, quiet, 5, 1);
  call_periods (c, after, 7, 3);
  g_array_set_size (out, 0);
  drain (c, 3, out, NULL);
  fail_unless_equals_int (out->len, 4);
  fail_unless_equals_int (g_array_index (out, Out, 0).member, 0);
  fail_unless_equals_int (g_array_index (out, Out, 1).member, 2);
  fail_unless_equals_int (g_array_index (out, Out, 1).seq,
      (guint16) (first_seq + 6));
  /* Lost: member 0's last packet (first_seq + 5), first_seq + 6, + 7 */
  fail_unless_equals_int (gst_harness_push (c->m[3],
          make_nack (MEMBER_SSRC (3), slot, first_seq + 5, 0x3)), GST_FLOW_OK);
  drain (c, 0, NULL, rtcp);
  fci = parse_feedback (rtcp, GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK,
      MEMBER_SSRC (0));
  d = g_bytes_get_data (fci, &size);
  fail_unless_equals_int (read_be16 (d), 5);
  fail_unless_equals_int (read_be16 (d + 2), 0);
  g_bytes_unref (fci);
  drain (c, 2, NULL, rtcp);
  fci = parse_feedback (rtcp, GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK,
      MEMBER_SSRC (2));
  d = g_bytes_get_data (fci, &size);
  fail_unless_equals_int (read_be16 (d), 206);
  fail_unless_equals_int (read_be16 (d + 2), 1);
  g_bytes_unref (fci);

  /* Feedback about someone else's slot or an unknown SSRC goes nowhere */
  fail_unless_equals_int (gst_harness_push (c->m[3],
          make_feedback (MEMBER_SSRC (3), GST_RTCP_TYPE_PSFB,
              GST_RTCP_PSFB_TYPE_PLI, other_slot, NULL, 0)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (c->m[3],
          make_feedback (MEMBER_SSRC (3), GST_RTCP_TYPE_PSFB,
              GST_RTCP_PSFB_TYPE_PLI, 0xdeadbeef, NULL, 0)), GST_FLOW_OK);
  drain (c, 0, NULL, rtcp);
  drain (c, 1, NULL, rtcp);
  drain (c, 2, NULL, rtcp);
  fail_unless_equals_int (rtcp->len, 0);
  fail_unless_equals_int (stat (c, "feedback-unroutable"), 2);
  fail_unless_equals_int (stat (c, "feedback-forwarded"), 5);
  /* The RR of each compound packet is terminated */
  fail_unless_equals_int (stat (c, "rtcp-ignored"), 6);

  g_ptr_array_unref (rtcp);
  g_array_unref (other);
  g_array_unref (out);
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_sfu_bad_input)
{
  Call *c = call_new (3, 2);
  const gint levels[] = { 10, ABSENT, SILENT };
  static const guint8 garbage[] = { 'h', 'e', 'l', 'l', 'o', '!', '!', '!' };
  static const guint8 bad_rtcp[] = { 0x80, 0xc8, 0xff, 0xff, 1, 2, 3, 4 };
  GArray *out = outs_new ();
  guint p;

  for (p = 0; p < 10; p++) {
    call_periods (c, levels, p, 1);
    switch (p % 5) {
      case 0:
        gst_harness_push (c->m[1], gst_buffer_new_memdup (garbage,
                sizeof (garbage)));
        break;
      case 1:
        gst_harness_push (c->m[1], gst_buffer_new_memdup (bad_rtcp,
                sizeof (bad_rtcp)));
        break;
      case 2:
        push_rtp (c, 1, p, ABSENT);
        break;
      case 3:
        push_rtp (c, 1, p, BAD_SIZE);
        break;
      default:
        gst_harness_push (c->m[1], gst_buffer_new_memdup (garbage, 1));
        break;
    }
  }

  /* Member 0 reached both others, untouched by member 1's input */
  drain (c, 2, out, NULL);
  fail_unless_equals_int (out->len, 10);
  fail_unless_equals_int (senders (out), 0x1);
  fail_unless_equals_int (assert_continuous (out), 1);
  g_array_set_size (out, 0);
  drain (c, 1, out, NULL);
  fail_unless_equals_int (out->len, 10);
  g_array_set_size (out, 0);
  /* Member 1 never entered the selection */
  drain (c, 0, out, NULL);
  fail_unless_equals_int (out->len, 0);
  fail_unless_equals_int (selected (c), 0x1);

  fail_unless_equals_int (stat (c, "packets-malformed"), 6);
  fail_unless_equals_int (stat (c, "packets-without-level"), 2);
  fail_unless_equals_int (stat (c, "levels-invalid"), 2);
  g_array_unref (out);
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_sfu_leave)
{
  Call *c = call_new (3, 1);
  const gint levels[] = { 20, SILENT, SILENT };
  const gint later[] = { 20, SILENT, 30 };
  GArray *out = outs_new ();
  GstPad *sink, *peer;
  GstSegment seg;
  GstCaps *caps;
  guint p;

  /* Member 5 joins mid-call, sending only, and is the loudest */
  sink = gst_element_request_pad_simple (c->sfu, "sink_5");
  fail_unless (sink != NULL);
  peer = gst_pad_new ("member5", GST_PAD_SRC);
  fail_unless_equals_int (gst_pad_link (peer, sink), GST_PAD_LINK_OK);
  gst_pad_set_active (peer, TRUE);
  gst_pad_push_event (peer, gst_event_new_stream_start ("member5"));
  caps = gst_caps_from_string (CAPS_STR);
  fail_unless (gst_pad_push_event (peer, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (peer, gst_event_new_segment (&seg));
  for (p = 0; p < 3; p++) {
    call_periods (c, levels, p, 1);
    fail_unless_equals_int (gst_pad_push (peer, make_rtp (5, 500 + p, p,
                10)), GST_FLOW_OK);
  }
  fail_unless_equals_int (selected (c), 0x21);

  /* ... and leaves: member 0's slot is free until member 2 speaks */
  gst_pad_unlink (peer, sink);
  gst_element_release_request_pad (c->sfu, sink);
  gst_object_unref (sink);
  gst_pad_set_active (peer, FALSE);
  gst_object_unref (peer);
  fail_unless_equals_int (selected (c), 0x1);

  call_periods (c, later, 3, 3);
  fail_unless_equals_int (selected (c), 0x5);
  drain (c, 0, out, NULL);
  fail_unless_equals_int (out->len, 6);
  fail_unless_equals_int (senders (out), 0x24);
  fail_unless_equals_int (assert_continuous (out), 1);
  fail_unless (g_array_index (out, Out, 3).marker);
  fail_unless_equals_int (stat (c, "members"), 3);
  drain (c, 1, NULL, NULL);
  drain (c, 2, NULL, NULL);

  g_array_unref (out);
  call_free (c);
}

GST_END_TEST;

/* Two-byte header extensions (RFC 8285) and the ID from `ext-id` when the
 * caps name no extmap */
GST_START_TEST (test_sfu_two_byte_ext_id)
{
  GstElement *sfu = gst_element_factory_make ("acssfu", NULL);
  GstHarness *h[2];
  GstStructure *s;
  guint i, p;
  guint64 forwarded = 0;

  g_object_set (sfu, "top-k", 1, "ext-id", 20, NULL);
  for (i = 0; i < 2; i++) {
    gchar *sink = g_strdup_printf ("sink_%u", i);
    gchar *src = g_strdup_printf ("src_%u", i);

    h[i] = gst_harness_new_with_element (sfu, sink, src);
    gst_harness_set_src_caps_str (h[i], "application/x-rtp, media=audio, "
        "clock-rate=48000, encoding-name=OPUS, payload=111");
    g_free (sink);
    g_free (src);
  }
  gst_harness_use_testclock (h[0]);
  gst_harness_play (h[0]);

  for (p = 0; p < 3; p++) {
    GstBuffer *buf = gst_rtp_buffer_new_allocate (4, 0, 0);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    guint8 level = 0x80 | 15;

    fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READWRITE, &rtp));
    gst_rtp_buffer_set_ssrc (&rtp, MEMBER_SSRC (0));
    gst_rtp_buffer_set_seq (&rtp, p);
    fail_unless (gst_rtp_buffer_add_extension_twobytes_header (&rtp, 0, 20,
            &level, 1));
    gst_rtp_buffer_unmap (&rtp);
    GST_BUFFER_PTS (buf) = p * PERIOD;
    fail_unless_equals_int (gst_harness_push (h[0], buf), GST_FLOW_OK);
  }
  for (p = 0; p < 3; p++) {
    GstBuffer *buf = gst_harness_pull (h[1]);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

    fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
    fail_if (gst_rtp_buffer_get_ssrc (&rtp) == MEMBER_SSRC (0));
    gst_rtp_buffer_unmap (&rtp);
    gst_buffer_unref (buf);
  }
  g_object_get (sfu, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, "packets-forwarded", &forwarded));
  fail_unless_equals_int (forwarded, 3);
  gst_structure_free (s);
  g_object_get (sfu, "ranking", &s, NULL);
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (s, "selected")), 1);
  gst_structure_free (s);

  for (i = 0; i < 2; i++)
    gst_harness_teardown (h[i]);
  gst_object_unref (sfu);
}

GST_END_TEST;

/* Member @i also sends and receives video */
static void
call_add_video (Call * c, guint i)
{
  gchar *sink = g_strdup_printf ("video_sink_%u", i);
  gchar *src = g_strdup_printf ("video_src_%u", i);

  c->v[i] = gst_harness_new_with_element (c->sfu, sink, src);
  gst_harness_set_src_caps_str (c->v[i], VIDEO_CAPS_STR);
  c->vseq[i] = 1000 * i;
  g_free (sink);
  g_free (src);
}

/* A video packet from @member; payload as make_rtp's, marker on the
 * second packet of each period (two packets a period, one frame) */
static GstBuffer *
make_video_rtp (guint member, guint16 seq, guint period, gboolean marker)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (4, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *payload;

  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READWRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 96);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, 7000 * member +
      period * VIDEO_TS_PER_PERIOD);
  gst_rtp_buffer_set_ssrc (&rtp, VIDEO_SSRC (member));
  gst_rtp_buffer_set_marker (&rtp, marker);
  payload = gst_rtp_buffer_get_payload (&rtp);
  payload[0] = member;
  write_be16 (payload + 1, seq);
  payload[3] = marker;
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_PTS (buf) = period * PERIOD;
  return buf;
}

/* Every member with video sends one frame (two packets) in @period */
static void
video_period (Call * c, guint period)
{
  guint i, k;

  for (i = 0; i < c->n; i++)
    for (k = 0; c->v[i] && k < 2; k++)
      fail_unless_equals_int (gst_harness_push (c->v[i],
              make_video_rtp (i, c->vseq[i]++, period, k == 1)), GST_FLOW_OK);
}

/* The ranking's video set as a bit mask */
static guint
video_set (Call * c)
{
  GstStructure *s;
  const GValue *v;
  guint mask = 0, i;

  g_object_get (c->sfu, "ranking", &s, NULL);
  v = gst_structure_get_value (s, "video");
  for (i = 0; i < gst_value_array_get_size (v); i++)
    mask |= 1 << g_value_get_uint (gst_value_array_get_value (v, i));
  gst_structure_free (s);
  return mask;
}

GST_START_TEST (test_sfu_video_last_n)
{
  Call *c = call_new (5, 1);
  const gint two[] = { 10, 20, SILENT, SILENT, SILENT };
  const gint three[] = { 10, ABSENT, SILENT, 0, SILENT };
  GArray *out = outs_new ();
  GPtrArray *rtcp = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstRTCPBuffer r = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint32 slot_ssrc = 0;
  guint16 nack_seq = 0, nack_in_seq = 0;
  GBytes *fci;
  const guint8 *d;
  gsize size;
  guint i, p = 0, switches = 0;

  g_object_set (c->sfu, "last-n", 2, NULL);
  for (i = 0; i < 5; i++)
    call_add_video (c, i);

  /* Nobody spoke yet: the lowest indices fill the last-n + 1 places */
  video_period (c, p++);
  fail_unless_equals_int (video_set (c), 0x7);
  drain_harness (c->v[4], out, NULL);
  fail_unless_equals_int (senders (out), 0x3);
  g_array_set_size (out, 0);
  drain_harness (c->v[0], out, NULL);
  fail_unless_equals_int (senders (out), 0x6);
  g_array_set_size (out, 0);
  for (i = 1; i < 4; i++)
    drain_harness (c->v[i], NULL, NULL);

  /* Members 0 and 1 speak: they stay in front; member 2 stays third */
  for (; p < 4; p++) {
    call_periods (c, two, p, 1);
    video_period (c, p);
  }
  fail_unless_equals_int (selected (c), 0x3);
  fail_unless_equals_int (video_set (c), 0x7);

  /* Member 3 speaks up and replaces member 1 (quieter) as a speaker: it
   * is now the most recent speaker, member 2 drops out of the video */
  for (; p < 8; p++) {
    call_periods (c, three, p, 1);
    video_period (c, p);
  }
  fail_unless_equals_int (selected (c), 0x9);
  fail_unless_equals_int (video_set (c), 0xb);

  /* Member 4 received 0 and 1, then 3 instead of 1: two continuous
   * streams, the marker bits as the senders set them */
  drain_harness (c->v[4], out, rtcp);
  fail_unless_equals_int (rtcp->len, 0);
  fail_unless_equals_int (senders (out), 0xb);
  fail_unless_equals_int (assert_continuous_full (out, TRUE), 2);
  for (i = 0; i < out->len; i++) {
    Out *o = &g_array_index (out, Out, i);

    fail_if (o->ssrc == VIDEO_SSRC (o->member));
    if (o->member == 3 && !slot_ssrc) {
      slot_ssrc = o->ssrc;
      nack_seq = o->seq;
      nack_in_seq = o->in_seq;
    }
  }
  /* member 3 took over member 1's slot: one slot carried both */
  for (i = 0; i < out->len; i++) {
    Out *o = &g_array_index (out, Out, i);

    if (o->ssrc == slot_ssrc && o->member == 1)
      switches++;
    if (o->ssrc == slot_ssrc && o->member == 0)
      fail ("member 0 on member 3's slot");
  }
  fail_unless (switches > 0);
  for (i = 0; i < out->len; i++) {
    Out *o = &g_array_index (out, Out, i);

    /* every packet's marker is the sender's: on each frame's second */
    fail_unless_equals_int (o->marker, (o->in_seq - 1000 * o->member) % 2);
  }
  g_array_set_size (out, 0);

  /* The switch asked member 3 for a keyframe, about its own SSRC */
  drain_harness (c->v[3], out, rtcp);
  fail_if (senders (out) & 0x8);
  fail_unless (rtcp->len >= 1);
  fail_unless (gst_rtcp_buffer_map (g_ptr_array_index (rtcp, 0),
          GST_MAP_READ, &r));
  fail_unless (gst_rtcp_buffer_get_first_packet (&r, &packet));
  fail_unless_equals_int (gst_rtcp_packet_get_type (&packet),
      GST_RTCP_TYPE_PSFB);
  fail_unless_equals_int (gst_rtcp_packet_fb_get_type (&packet),
      GST_RTCP_PSFB_TYPE_PLI);
  fail_unless_equals_int (gst_rtcp_packet_fb_get_media_ssrc (&packet),
      VIDEO_SSRC (3));
  gst_rtcp_buffer_unmap (&r);
  g_ptr_array_set_size (rtcp, 0);
  fail_unless (stat (c, "keyframe-requests") >= 1);
  g_array_set_size (out, 0);

  /* A PLI from member 4 about its video slot reaches member 3's video */
  fail_unless_equals_int (gst_harness_push (c->v[4],
          make_feedback (MEMBER_SSRC (3), GST_RTCP_TYPE_PSFB,
              GST_RTCP_PSFB_TYPE_PLI, slot_ssrc, NULL, 0)), GST_FLOW_OK);
  drain_harness (c->v[3], NULL, rtcp);
  fail_unless_equals_int (rtcp->len, 1);
  fail_unless (gst_rtcp_buffer_map (g_ptr_array_index (rtcp, 0),
          GST_MAP_READ, &r));
  fail_unless (gst_rtcp_buffer_get_first_packet (&r, &packet));
  fail_unless_equals_int (gst_rtcp_packet_fb_get_media_ssrc (&packet),
      VIDEO_SSRC (3));
  gst_rtcp_buffer_unmap (&r);
  g_ptr_array_set_size (rtcp, 0);
  /* ... not its audio */
  drain (c, 3, NULL, rtcp);
  fail_unless_equals_int (rtcp->len, 0);

  /* A NACK about the slot's first packet from member 3 is mapped back to
   * member 3's video SSRC and sequence number */
  fail_unless_equals_int (gst_harness_push (c->v[4],
          make_nack (MEMBER_SSRC (3), slot_ssrc, nack_seq, 0)), GST_FLOW_OK);
  drain_harness (c->v[3], NULL, rtcp);
  fci = parse_feedback (rtcp, GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK,
      VIDEO_SSRC (3));
  d = g_bytes_get_data (fci, &size);
  fail_unless_equals_int (size, 4);
  fail_unless_equals_int (read_be16 (d), nack_in_seq);
  g_bytes_unref (fci);

  /* Garbage on a video pad is dropped and counted, nothing else moves */
  fail_unless_equals_int (gst_harness_push (c->v[2],
          gst_buffer_new_wrapped (g_memdup2 ("\x80\x01", 2), 2)), GST_FLOW_OK);
  fail_unless_equals_int (stat (c, "packets-malformed"), 1);
  drain_harness (c->v[4], out, rtcp);
  fail_unless_equals_int (out->len, 0);
  fail_unless_equals_int (rtcp->len, 0);

  /* Audio is not disturbed: member 4 hears one speaker slot */
  drain (c, 4, out, NULL);
  fail_unless_equals_int (assert_continuous (out), 1);
  fail_unless (stat (c, "video-packets-forwarded") > 0);
  fail_unless_equals_int (stat (c, "video-packets-received"), 8 * 5 * 2);

  for (i = 0; i < 5; i++) {
    drain (c, i, NULL, NULL);
    drain_harness (c->v[i], NULL, NULL);
  }
  g_ptr_array_unref (rtcp);
  g_array_unref (out);
  call_free (c);
}

GST_END_TEST;

static void
on_dominant (GstElement * sfu, gint member, gint previous, GArray * changes)
{
  gint pair[2] = { member, previous };

  g_array_append_vals (changes, pair, 2);
}

GST_START_TEST (test_sfu_dominant_speaker)
{
  Call *c = call_new (3, 2);
  gint levels[] = { 20, 10, SILENT };
  GArray *changes = g_array_new (FALSE, FALSE, sizeof (gint));
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  const GstStructure *s;
  GstStructure *ranking;
  GstPad *sink, *peer;
  GstSegment seg;
  GstCaps *caps;
  gint v;
  guint i, p = 0;

  gst_element_set_bus (c->sfu, bus);
  g_signal_connect (c->sfu, "on-dominant-speaker", G_CALLBACK (on_dominant),
      changes);

  /* Member 0's first packet makes it dominant, member 1's (-10 dBov, 10 dB
   * more active) takes over right away */
  call_periods (c, levels, p, 3);
  p += 3;
  fail_unless_equals_int (changes->len, 4);
  fail_unless_equals_int (g_array_index (changes, gint, 0), 0);
  fail_unless_equals_int (g_array_index (changes, gint, 1), -1);
  fail_unless_equals_int (g_array_index (changes, gint, 2), 1);
  fail_unless_equals_int (g_array_index (changes, gint, 3), 0);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  gst_message_unref (msg);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  s = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (s, "acs-dominant-speaker"));
  fail_unless (gst_structure_get_int (s, "member", &v));
  fail_unless_equals_int (v, 1);
  fail_unless (gst_structure_get_int (s, "previous", &v));
  fail_unless_equals_int (v, 0);
  fail_unless (gst_structure_has_field (s, "running-time"));
  gst_message_unref (msg);

  /* 3 dB more active than member 1: below the hysteresis, no change */
  levels[0] = 7;
  call_periods (c, levels, p, 5);
  p += 5;
  fail_unless_equals_int (changes->len, 4);
  /* 10 dB: member 0 takes over */
  levels[0] = 0;
  call_periods (c, levels, p, 1);
  p += 1;
  fail_unless_equals_int (changes->len, 6);
  fail_unless_equals_int (g_array_index (changes, gint, 4), 0);
  fail_unless_equals_int (g_array_index (changes, gint, 5), 1);
  g_object_get (c->sfu, "ranking", &ranking, NULL);
  fail_unless (gst_structure_get_int (ranking, "dominant", &v));
  fail_unless_equals_int (v, 0);
  gst_structure_free (ranking);

  /* Member 5 joins, louder still, and leaves: -1 until someone speaks */
  sink = gst_element_request_pad_simple (c->sfu, "sink_5");
  peer = gst_pad_new ("member5", GST_PAD_SRC);
  fail_unless_equals_int (gst_pad_link (peer, sink), GST_PAD_LINK_OK);
  gst_pad_set_active (peer, TRUE);
  gst_pad_push_event (peer, gst_event_new_stream_start ("member5"));
  caps = gst_caps_from_string (CAPS_STR);
  fail_unless (gst_pad_push_event (peer, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (peer, gst_event_new_segment (&seg));
  for (i = 0; i < 2; i++, p++)
    fail_unless_equals_int (gst_pad_push (peer, make_rtp (5, 500 + i, p,
                SILENT)), GST_FLOW_OK);
  fail_unless_equals_int (changes->len, 6);
  /* Member 0 falls to -15 dBov (member 1 at -10 is not 6 dB above it),
   * then member 5 speaks at 0 dBov and takes over */
  levels[0] = 15;
  call_periods (c, levels, p, 1);
  fail_unless_equals_int (changes->len, 6);
  fail_unless_equals_int (gst_pad_push (peer, make_rtp (5, 510, p, 0)),
      GST_FLOW_OK);
  p++;
  fail_unless_equals_int (changes->len, 8);
  fail_unless_equals_int (g_array_index (changes, gint, 6), 5);
  fail_unless_equals_int (g_array_index (changes, gint, 7), 0);
  gst_pad_unlink (peer, sink);
  gst_element_release_request_pad (c->sfu, sink);
  gst_object_unref (sink);
  gst_pad_set_active (peer, FALSE);
  gst_object_unref (peer);
  fail_unless_equals_int (changes->len, 10);
  fail_unless_equals_int (g_array_index (changes, gint, 8), -1);
  fail_unless_equals_int (g_array_index (changes, gint, 9), 5);
  /* the next packet with a level names the most active selected one */
  call_periods (c, levels, p, 1);
  fail_unless_equals_int (changes->len, 12);
  fail_unless_equals_int (g_array_index (changes, gint, 10), 1);
  fail_unless_equals_int (g_array_index (changes, gint, 11), -1);
  fail_unless_equals_int (stat (c, "dominant-changes"), 6);

  for (i = 0; i < 3; i++)
    drain (c, i, NULL, NULL);
  g_signal_handlers_disconnect_by_func (c->sfu, on_dominant, changes);
  gst_element_set_bus (c->sfu, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  g_array_unref (changes);
  call_free (c);
}

GST_END_TEST;

/* Pulls @h's events up to EOS; whether a stream-start came before it */
static gboolean
pull_to_eos (GstHarness * h, gboolean * started)
{
  GstEvent *ev;
  gboolean eos = FALSE;

  *started = FALSE;
  while (!eos && (ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_STREAM_START)
      *started = TRUE;
    eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  return eos;
}

/* The call ends when every member's input has: then every src pad ends,
 * also one that never forwarded a packet (with a stream-start first) */
GST_START_TEST (test_sfu_eos)
{
  Call *c = call_new (3, 1);
  const gint levels[] = { 20, SILENT, SILENT };
  gboolean started;
  guint i;

  /* member 3 only listens */
  c->m[3] = gst_harness_new_with_element (c->sfu, NULL, "src_3");
  call_periods (c, levels, 0, 3);
  /* member 0 is the only speaker: it hears nobody */
  fail_if (gst_harness_try_pull (c->m[0]));
  for (i = 1; i < 4; i++)
    drain (c, i, NULL, NULL);

  fail_unless (gst_harness_push_event (c->m[0], gst_event_new_eos ()));
  fail_unless (gst_harness_push_event (c->m[1], gst_event_new_eos ()));
  for (i = 0; i < 4; i++)
    fail_if (pull_to_eos (c->m[i], &started), "member %u ended early", i);

  fail_unless (gst_harness_push_event (c->m[2], gst_event_new_eos ()));
  for (i = 0; i < 4; i++) {
    fail_unless (pull_to_eos (c->m[i], &started), "member %u: no EOS", i);
    /* only src_0 had no stream yet */
    fail_unless_equals_int (started, i == 0);
  }
  call_free (c);
}

GST_END_TEST;

GST_START_TEST (test_sfu_states)
{
  GstElement *sfu = gst_element_factory_make ("acssfu", NULL);
  GstPad *sink, *src;

  sink = gst_element_request_pad_simple (sfu, "sink_%u");
  src = gst_element_request_pad_simple (sfu, "src_%u");
  fail_unless_equals_string (GST_PAD_NAME (sink), "sink_0");
  fail_unless_equals_string (GST_PAD_NAME (src), "src_0");
  fail_unless (gst_element_request_pad_simple (sfu, "src_x") == NULL);
  fail_unless_equals_int (gst_element_set_state (sfu, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (sfu, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_release_request_pad (sfu, sink);
  gst_element_release_request_pad (sfu, src);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (sfu);
}

GST_END_TEST;

static Suite *
acsmixersfu_suite (void)
{
  Suite *s = suite_create ("acssfu");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sfu_top_k_never_self);
  tcase_add_test (tc, test_sfu_switch_continuity);
  tcase_add_test (tc, test_sfu_hysteresis);
  tcase_add_test (tc, test_sfu_rtcp_routing);
  tcase_add_test (tc, test_sfu_bad_input);
  tcase_add_test (tc, test_sfu_leave);
  tcase_add_test (tc, test_sfu_two_byte_ext_id);
  tcase_add_test (tc, test_sfu_video_last_n);
  tcase_add_test (tc, test_sfu_dominant_speaker);
  tcase_add_test (tc, test_sfu_states);
  tcase_add_test (tc, test_sfu_eos);
  return s;
}

GST_CHECK_MAIN (acsmixersfu);

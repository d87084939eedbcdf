/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: acssrtpfanout unit tests
 *
 * The output is checked by unprotecting each copy with libsrtp2 directly,
 * with the key of the destination it is for. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <srtp2/srtp.h>

#include "srtptestutil.h"

#define IN_SSRC 0xabcdef01
#define CAPS "application/x-rtp, media=(string)audio, clock-rate=(int)48000, " \
  "encoding-name=(string)OPUS, payload=(int)96"
#define FRAME_NS (20 * GST_MSECOND)
#define PAYLOAD 40

/* One harness on `sink`/`src`, and the sizes of the lists `src` pushed */
typedef struct
{
  GstHarness *h;
  GArray *lists;                /* guint: length of each pushed list */
  GMutex lock;
} Fanout;

static GstPadProbeReturn
count_lists (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Fanout *f = user_data;
  guint len;

  fail_unless (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER_LIST,
      "the src pad pushed a buffer outside a list");
  len = gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  g_mutex_lock (&f->lock);
  g_array_append_val (f->lists, len);
  g_mutex_unlock (&f->lock);
  return GST_PAD_PROBE_OK;
}

static Fanout *
fanout_new (const gchar * profile)
{
  Fanout *f = g_new0 (Fanout, 1);
  GstPad *src;

  f->h = gst_harness_new_with_padnames ("acssrtpfanout", "sink", "src");
  if (profile)
    gst_util_set_object_arg (G_OBJECT (f->h->element), "profile", profile);
  f->lists = g_array_new (FALSE, FALSE, sizeof (guint));
  g_mutex_init (&f->lock);
  src = gst_element_get_static_pad (f->h->element, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, count_lists, f, NULL);
  gst_object_unref (src);
  gst_harness_set_src_caps_str (f->h, CAPS);
  return f;
}

static void
fanout_free (Fanout * f)
{
  gst_harness_teardown (f->h);
  g_array_unref (f->lists);
  g_mutex_clear (&f->lock);
  g_free (f);
}

static guint
fanout_n_lists (Fanout * f)
{
  guint n;

  g_mutex_lock (&f->lock);
  n = f->lists->len;
  g_mutex_unlock (&f->lock);
  return n;
}

static guint
fanout_list_len (Fanout * f, guint i)
{
  guint n;

  g_mutex_lock (&f->lock);
  fail_unless (i < f->lists->len);
  n = g_array_index (f->lists, guint, i);
  g_mutex_unlock (&f->lock);
  return n;
}

static guint32
dest_ssrc (guint id)
{
  return 0x10000000 + id * 0x1111;
}

static gboolean
add_dest_key (GstElement * e, guint id, GstBuffer * key)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (e, "add-destination", id, dest_ssrc (id), key, &ok);
  return ok;
}

static gboolean
add_dest (GstElement * e, guint id)
{
  GstBuffer *key = test_key_new (28, id);
  gboolean ok = add_dest_key (e, id, key);

  gst_buffer_unref (key);
  return ok;
}

static gboolean
remove_dest (GstElement * e, guint id)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (e, "remove-destination", id, &ok);
  return ok;
}

static gboolean
route (GstElement * e, guint pad_index, gint id)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (e, "route", pad_index, id, &ok);
  return ok;
}

static guint
n_destinations (GstElement * e)
{
  guint n = G_MAXUINT;

  g_object_get (e, "destinations", &n, NULL);
  return n;
}

/* A packet with a PTS, or none when @pts is GST_CLOCK_TIME_NONE */
static GstBuffer *
rtp_at (guint16 seq, guint32 ts, GstClockTime pts)
{
  GstBuffer *buf = test_rtp_new (IN_SSRC, seq, ts, PAYLOAD);

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = pts;
  return buf;
}

static void
push_ok (GstHarness * h, GstBuffer * buf)
{
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
}

typedef enum
{
  SUITE_AES_CM_128_HMAC_SHA1_80,
  SUITE_AEAD_AES_128_GCM,
  SUITE_AEAD_AES_256_GCM,
} TestSuite;

/* A libsrtp2 session of the key made from @seed: for @ssrc when @sender,
 * else for any inbound SSRC with a replay window of @window packets */
static srtp_t
session_new (guint8 seed, TestSuite suite, gboolean sender, guint32 ssrc,
    gulong window)
{
  srtp_policy_t policy;
  srtp_t session = NULL;
  GstBuffer *key = test_key_new (suite == SUITE_AEAD_AES_256_GCM ? 44 :
      suite == SUITE_AEAD_AES_128_GCM ? 28 : 30, seed);
  GstMapInfo map;

  memset (&policy, 0, sizeof (policy));
  if (suite == SUITE_AEAD_AES_256_GCM) {
    srtp_crypto_policy_set_aes_gcm_256_16_auth (&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth (&policy.rtcp);
  } else if (suite == SUITE_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
  } else {
    srtp_crypto_policy_set_rtp_default (&policy.rtp);
    srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
  }
  if (sender) {
    policy.ssrc.type = ssrc_specific;
    policy.ssrc.value = ssrc;
  } else {
    policy.ssrc.type = ssrc_any_inbound;
  }
  fail_unless (gst_buffer_map (key, &map, GST_MAP_READ));
  policy.key = map.data;
  policy.window_size = window;
  fail_unless_equals_int (srtp_create (&session, &policy), srtp_err_status_ok);
  gst_buffer_unmap (key, &map);
  gst_buffer_unref (key);
  return session;
}

/* Receiving side of one destination: a libsrtp2 session with its key */
static srtp_t
receiver_new (guint8 seed, gboolean gcm)
{
  return session_new (seed, gcm ? SUITE_AEAD_AES_128_GCM :
      SUITE_AES_CM_128_HMAC_SHA1_80, FALSE, 0, 1024);
}

/* Returns the clear packet, or NULL when @session cannot unprotect @buf */
static GstBuffer *
receiver_unprotect (srtp_t session, GstBuffer * buf)
{
  GstMapInfo map;
  guint8 *data;
  gint len;
  srtp_err_status_t err;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  data = g_memdup2 (map.data, map.size);
  len = map.size;
  gst_buffer_unmap (buf, &map);
  err = srtp_unprotect (session, data, &len);
  if (err != srtp_err_status_ok) {
    g_free (data);
    return NULL;
  }
  return gst_buffer_new_wrapped (data, len);
}

typedef struct
{
  guint16 seq;
  guint32 ts;
  guint32 ssrc;
  gboolean marker;
} Header;

/* The RTP header of an SRTP packet is in the clear */
static Header
header_of (GstBuffer * buf)
{
  Header hdr;
  guint8 d[12];

  fail_unless_equals_int (gst_buffer_extract (buf, 0, d, 12), 12);
  hdr.marker = (d[1] & 0x80) != 0;
  hdr.seq = GST_READ_UINT16_BE (d + 2);
  hdr.ts = GST_READ_UINT32_BE (d + 4);
  hdr.ssrc = GST_READ_UINT32_BE (d + 8);
  return hdr;
}

/* Unprotects @out with @rx, checks that its payload is the one of @in and
 * returns the clear header */
static Header
check_copy (srtp_t rx, GstBuffer * out, GstBuffer * in)
{
  GstBuffer *clear = receiver_unprotect (rx, out);
  GstMapInfo a, b;
  Header hdr;

  fail_unless (clear != NULL, "the destination's key does not unprotect");
  fail_unless (gst_buffer_map (in, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (clear, &b, GST_MAP_READ));
  fail_unless_equals_int (a.size, b.size);
  fail_unless (memcmp (a.data + 12, b.data + 12, a.size - 12) == 0,
      "payload differs");
  fail_unless_equals_int (a.data[1] & 0x7f, b.data[1] & 0x7f);
  gst_buffer_unmap (in, &a);
  gst_buffer_unmap (clear, &b);
  hdr = header_of (clear);
  gst_buffer_unref (clear);
  return hdr;
}

GST_START_TEST (test_three_destinations)
{
  Fanout *f = fanout_new (NULL);
  srtp_t rx[3], wrong;
  Header base[3];
  guint i, d;

  for (d = 0; d < 3; d++) {
    fail_unless (add_dest (f->h->element, d + 1));
    rx[d] = receiver_new (d + 1, TRUE);
  }
  fail_unless_equals_int (n_destinations (f->h->element), 3);

  for (i = 0; i < 5; i++) {
    GstBuffer *in = rtp_at (100 + i, 960 * i, i * FRAME_NS);

    push_ok (f->h, gst_buffer_ref (in));
    fail_unless_equals_int (fanout_n_lists (f), i + 1);
    fail_unless_equals_int (fanout_list_len (f, i), 3);
    fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 3);

    for (d = 0; d < 3; d++) {
      GstBuffer *out = gst_harness_pull (f->h);
      Header hdr = header_of (out), clear;

      fail_unless_equals_int (hdr.ssrc, dest_ssrc (d + 1));
      fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * FRAME_NS);
      fail_unless_equals_uint64 (GST_BUFFER_DTS (out), i * FRAME_NS);
      fail_unless_equals_int (gst_buffer_get_size (out), 12 + PAYLOAD + 16);

      /* Any other destination's key fails */
      wrong = receiver_new (((d + 1) % 3) + 1, TRUE);
      fail_unless (receiver_unprotect (wrong, out) == NULL);
      srtp_dealloc (wrong);

      clear = check_copy (rx[d], out, in);
      fail_unless_equals_int (clear.ssrc, dest_ssrc (d + 1));
      if (i == 0) {
        base[d] = clear;
        fail_unless (clear.marker, "no marker on the base packet");
      } else {
        fail_unless (!clear.marker);
        fail_unless_equals_int (clear.seq, (guint16) (base[d].seq + i));
        fail_unless_equals_int (clear.ts, base[d].ts + 960 * i);
      }
      gst_buffer_unref (out);
    }
    gst_buffer_unref (in);
  }

  /* Sequence numbers and timestamps of the destinations are their own */
  fail_if (base[0].seq == base[1].seq && base[1].seq == base[2].seq);

  for (d = 0; d < 3; d++)
    srtp_dealloc (rx[d]);
  fanout_free (f);
}

GST_END_TEST;

GST_START_TEST (test_profile)
{
  Fanout *f = fanout_new ("AES_CM_128_HMAC_SHA1_80");
  GstBuffer *key28 = test_key_new (28, 1), *key30 = test_key_new (30, 1);
  GstBuffer *in, *out;
  srtp_t rx = receiver_new (1, FALSE);
  Header hdr;

  fail_if (add_dest_key (f->h->element, 1, key28));
  fail_unless (add_dest_key (f->h->element, 1, key30));

  in = rtp_at (1, 1000, 0);
  push_ok (f->h, gst_buffer_ref (in));
  out = gst_harness_pull (f->h);
  fail_unless_equals_int (gst_buffer_get_size (out), 12 + PAYLOAD + 10);
  hdr = check_copy (rx, out, in);
  fail_unless_equals_int (hdr.ssrc, dest_ssrc (1));

  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_buffer_unref (key28);
  gst_buffer_unref (key30);
  srtp_dealloc (rx);
  fanout_free (f);
}

GST_END_TEST;

/* Pulls the @n copies of one input packet, checks that none is for
 * @absent and returns the clear header of the one for @ssrc */
static Header
pull_for_not (Fanout * f, guint n, guint32 ssrc, srtp_t rx, GstBuffer * in,
    guint32 absent)
{
  Header ret = { 0, };
  gboolean found = FALSE;
  guint i;

  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), n);
  for (i = 0; i < n; i++) {
    GstBuffer *out = gst_harness_pull (f->h);

    fail_if (absent != 0 && header_of (out).ssrc == absent,
        "a copy for SSRC %08x", absent);
    if (header_of (out).ssrc == ssrc) {
      fail_if (found, "two copies for one destination");
      ret = check_copy (rx, out, in);
      found = TRUE;
    }
    gst_buffer_unref (out);
  }
  fail_unless (found, "no copy for SSRC %08x", ssrc);
  return ret;
}

static Header
pull_for (Fanout * f, guint n, guint32 ssrc, srtp_t rx, GstBuffer * in)
{
  return pull_for_not (f, n, ssrc, rx, in, 0);
}

GST_START_TEST (test_route)
{
  Fanout *f = fanout_new (NULL);
  GstHarness *h0;
  srtp_t rx2 = receiver_new (2, TRUE), rx1 = receiver_new (1, TRUE);
  GstBuffer *in;
  Header h, last, last1;
  guint d;

  for (d = 1; d <= 3; d++)
    fail_unless (add_dest (f->h->element, d));
  h0 = gst_harness_new_with_element (f->h->element, "sink_0", NULL);
  gst_harness_set_src_caps_str (h0, CAPS);

  /* Shared stream at PTS 0 and 20 ms: every destination */
  in = rtp_at (10, 50000, 0);
  push_ok (f->h, gst_buffer_ref (in));
  pull_for (f, 3, dest_ssrc (2), rx2, in);
  gst_buffer_unref (in);
  in = rtp_at (11, 50960, FRAME_NS);
  push_ok (f->h, gst_buffer_ref (in));
  last = pull_for (f, 3, dest_ssrc (2), rx2, in);
  gst_buffer_unref (in);

  /* Route sink_0 to destination 2; unknown destination refused */
  fail_if (route (f->h->element, 0, 99));
  fail_unless (route (f->h->element, 0, 2));

  /* The shared stream no longer goes to destination 2 */
  in = rtp_at (12, 51920, 2 * FRAME_NS);
  push_ok (f->h, gst_buffer_ref (in));
  fail_unless_equals_int (fanout_list_len (f, fanout_n_lists (f) - 1), 2);
  last1 = pull_for_not (f, 2, dest_ssrc (1), rx1, in, dest_ssrc (2));
  gst_buffer_unref (in);

  /* sink_0's stream, with its own timestamps, goes to destination 2 only:
   * its timestamps continue from the last one sent, + 20 ms of PTS */
  in = rtp_at (500, 7000, 2 * FRAME_NS);
  push_ok (h0, gst_buffer_ref (in));
  fail_unless_equals_int (fanout_list_len (f, fanout_n_lists (f) - 1), 1);
  h = pull_for (f, 1, dest_ssrc (2), rx2, in);
  gst_buffer_unref (in);
  fail_unless_equals_int (h.seq, (guint16) (last.seq + 1));
  fail_unless_equals_int (h.ts, last.ts + 960);
  fail_unless (h.marker, "no marker after the switch");
  last = h;

  in = rtp_at (501, 7960, 3 * FRAME_NS);
  push_ok (h0, gst_buffer_ref (in));
  h = pull_for (f, 1, dest_ssrc (2), rx2, in);
  gst_buffer_unref (in);
  fail_unless_equals_int (h.seq, (guint16) (last.seq + 1));
  fail_unless_equals_int (h.ts, last.ts + 960);
  fail_if (h.marker);
  last = h;

  /* Unrouted: destination 2 gets the shared stream again, 60 ms of PTS
   * after its last packet; destination 1 goes on as before */
  fail_unless (route (f->h->element, 0, -1));
  in = rtp_at (13, 52880 + 1920, 6 * FRAME_NS);
  push_ok (f->h, gst_buffer_ref (in));
  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 3);
  {
    guint i;

    for (i = 0; i < 3; i++) {
      GstBuffer *out = gst_harness_pull (f->h);
      Header o = header_of (out);

      if (o.ssrc == dest_ssrc (2)) {
        h = check_copy (rx2, out, in);
        fail_unless_equals_int (h.seq, (guint16) (last.seq + 1));
        fail_unless_equals_int (h.ts, last.ts + 3 * 960);
        fail_unless (h.marker);
      } else if (o.ssrc == dest_ssrc (1)) {
        h = check_copy (rx1, out, in);
        fail_unless_equals_int (h.seq, (guint16) (last1.seq + 1));
        fail_unless_equals_int (h.ts, last1.ts + 960 + 1920);
        fail_if (h.marker);
      }
      gst_buffer_unref (out);
    }
  }
  gst_buffer_unref (in);

  /* Unrouted pad: counted, nothing out */
  push_ok (h0, rtp_at (502, 8920, 4 * FRAME_NS));
  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 0);
  fail_unless_equals_uint64 (test_get_stat (f->h->element,
          "dropped-no-destination"), 1);

  /* Removing a routed destination removes its route */
  fail_unless (route (f->h->element, 0, 3));
  fail_unless (remove_dest (f->h->element, 3));
  push_ok (h0, rtp_at (503, 9880, 5 * FRAME_NS));
  fail_unless_equals_uint64 (test_get_stat (f->h->element,
          "dropped-no-destination"), 2);

  gst_harness_teardown (h0);
  srtp_dealloc (rx1);
  srtp_dealloc (rx2);
  fanout_free (f);
}

GST_END_TEST;

/* Timestamps across a switch when the buffers carry no PTS: one frame, from
 * the buffer duration and the new stream's clock-rate, else 20 ms */
GST_START_TEST (test_route_no_pts)
{
  Fanout *f = fanout_new (NULL);
  GstHarness *h0;
  srtp_t rx = receiver_new (1, TRUE);
  GstBuffer *in;
  Header base, h;

  fail_unless (add_dest (f->h->element, 1));
  h0 = gst_harness_new_with_element (f->h->element, "sink_4", NULL);
  gst_harness_set_src_caps_str (h0, "application/x-rtp, media=(string)audio, "
      "clock-rate=(int)16000, encoding-name=(string)OPUS, payload=(int)96");

  in = rtp_at (1, 1000, GST_CLOCK_TIME_NONE);
  push_ok (f->h, gst_buffer_ref (in));
  base = pull_for (f, 1, dest_ssrc (1), rx, in);
  gst_buffer_unref (in);

  fail_unless (route (f->h->element, 4, 1));
  in = rtp_at (1, 123456, GST_CLOCK_TIME_NONE);
  GST_BUFFER_DURATION (in) = FRAME_NS;
  push_ok (h0, gst_buffer_ref (in));
  h = pull_for (f, 1, dest_ssrc (1), rx, in);
  gst_buffer_unref (in);
  fail_unless_equals_int (h.ts, base.ts + 320);
  fail_unless_equals_int (h.seq, (guint16) (base.seq + 1));
  fail_unless (h.marker);
  base = h;

  fail_unless (route (f->h->element, 4, -1));
  in = rtp_at (2, 2000, GST_CLOCK_TIME_NONE);
  push_ok (f->h, gst_buffer_ref (in));
  h = pull_for (f, 1, dest_ssrc (1), rx, in);
  gst_buffer_unref (in);
  fail_unless_equals_int (h.ts, base.ts + 960);
  fail_unless_equals_int (h.seq, (guint16) (base.seq + 1));

  gst_harness_teardown (h0);
  srtp_dealloc (rx);
  fanout_free (f);
}

GST_END_TEST;

GST_START_TEST (test_buffer_list)
{
  Fanout *f = fanout_new (NULL);
  GstBufferList *list = gst_buffer_list_new ();
  GstBuffer *in[4];
  srtp_t rx[3];
  Header base[3];
  guint i, d;

  for (d = 0; d < 3; d++) {
    fail_unless (add_dest (f->h->element, d + 1));
    rx[d] = receiver_new (d + 1, TRUE);
  }
  for (i = 0; i < 4; i++) {
    in[i] = rtp_at (i, 960 * i, i * FRAME_NS);
    gst_buffer_list_add (list, gst_buffer_ref (in[i]));
  }
  fail_unless_equals_int (gst_pad_push_list (f->h->srcpad, list), GST_FLOW_OK);

  fail_unless_equals_int (fanout_n_lists (f), 1);
  fail_unless_equals_int (fanout_list_len (f, 0), 12);
  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 12);
  for (i = 0; i < 4; i++) {
    for (d = 0; d < 3; d++) {
      GstBuffer *out = gst_harness_pull (f->h);
      Header h = check_copy (rx[d], out, in[i]);

      fail_unless_equals_int (h.ssrc, dest_ssrc (d + 1));
      if (i == 0)
        base[d] = h;
      else
        fail_unless_equals_int (h.seq, (guint16) (base[d].seq + i));
      fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * FRAME_NS);
      gst_buffer_unref (out);
    }
  }
  fail_unless_equals_uint64 (test_get_stat (f->h->element, "packets-in"), 4);
  fail_unless_equals_uint64 (test_get_stat (f->h->element,
          "packets-protected"), 12);

  for (i = 0; i < 4; i++)
    gst_buffer_unref (in[i]);
  for (d = 0; d < 3; d++)
    srtp_dealloc (rx[d]);
  fanout_free (f);
}

GST_END_TEST;

GST_START_TEST (test_add_remove)
{
  Fanout *f = fanout_new (NULL);
  srtp_t rx2 = receiver_new (2, TRUE);
  GstBuffer *in;
  Header h, last;

  fail_unless (add_dest (f->h->element, 1));
  push_ok (f->h, rtp_at (1, 0, 0));
  fail_unless_equals_int (fanout_list_len (f, 0), 1);

  fail_unless (add_dest (f->h->element, 2));
  fail_unless_equals_int (n_destinations (f->h->element), 2);
  in = rtp_at (2, 960, FRAME_NS);
  push_ok (f->h, gst_buffer_ref (in));
  fail_unless_equals_int (fanout_list_len (f, 1), 2);
  gst_buffer_unref (gst_harness_pull (f->h));
  last = pull_for (f, 2, dest_ssrc (2), rx2, in);
  gst_buffer_unref (in);
  fail_unless (last.marker);

  fail_unless (remove_dest (f->h->element, 1));
  fail_if (remove_dest (f->h->element, 1));
  fail_unless_equals_int (n_destinations (f->h->element), 1);
  in = rtp_at (3, 1920, 2 * FRAME_NS);
  push_ok (f->h, gst_buffer_ref (in));
  fail_unless_equals_int (fanout_list_len (f, 2), 1);
  h = pull_for (f, 1, dest_ssrc (2), rx2, in);
  gst_buffer_unref (in);
  fail_unless_equals_int (h.seq, (guint16) (last.seq + 1));
  fail_unless_equals_int (h.ts, last.ts + 960);

  fail_unless (remove_dest (f->h->element, 2));
  fail_unless_equals_int (n_destinations (f->h->element), 0);
  push_ok (f->h, rtp_at (4, 2880, 3 * FRAME_NS));
  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 0);

  srtp_dealloc (rx2);
  fanout_free (f);
}

GST_END_TEST;

typedef struct
{
  GstHarness *h;
  guint n;
} PushJob;

static gpointer
push_thread (gpointer data)
{
  PushJob *job = data;
  guint i;

  for (i = 0; i < job->n; i++)
    gst_harness_push (job->h, rtp_at (i, 960 * i, i * FRAME_NS));
  return NULL;
}

/* sink and sink_0 stream from two threads while the application adds,
 * removes and routes destinations */
GST_START_TEST (test_concurrent)
{
  Fanout *f = fanout_new (NULL);
  GstHarness *h0 = gst_harness_new_with_element (f->h->element, "sink_0",
      NULL);
  PushJob jobs[2] = { {f->h, 400}, {h0, 400}
  };
  GThread *threads[2];
  guint i, n_out;

  gst_harness_set_src_caps_str (h0, CAPS);
  fail_unless (add_dest (f->h->element, 100));
  fail_unless (add_dest (f->h->element, 101));
  fail_unless (route (f->h->element, 0, 100));

  threads[0] = g_thread_new ("shared", push_thread, &jobs[0]);
  threads[1] = g_thread_new ("routed", push_thread, &jobs[1]);
  for (i = 0; i < 200; i++) {
    guint id = 1 + i % 8;

    add_dest (f->h->element, id);
    if (i % 3 == 0)
      route (f->h->element, 0, i % 2 ? 100 : 101);
    if (i % 2)
      remove_dest (f->h->element, 1 + (i * 5) % 8);
  }
  g_thread_join (threads[0]);
  g_thread_join (threads[1]);

  n_out = gst_harness_buffers_in_queue (f->h);
  fail_unless_equals_uint64 (test_get_stat (f->h->element, "packets-in"), 800);
  fail_unless_equals_uint64 (test_get_stat (f->h->element,
          "packets-protected"), n_out);
  fail_unless_equals_uint64 (test_get_stat (f->h->element,
          "protect-failures"), 0);
  fail_unless (n_out >= 400);

  gst_harness_teardown (h0);
  fanout_free (f);
}

GST_END_TEST;

GST_START_TEST (test_refused)
{
  Fanout *f = fanout_new (NULL);
  GstBus *bus = test_harness_add_bus (f->h);
  GstBuffer *short_key = test_key_new (16, 1);
  GstMessage *msg;

  fail_if (add_dest_key (f->h->element, 1, short_key));
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for a short key");
  gst_message_unref (msg);
  fail_unless_equals_int (n_destinations (f->h->element), 0);

  fail_unless (add_dest (f->h->element, 1));
  fail_if (add_dest (f->h->element, 1));
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for an id in use");
  gst_message_unref (msg);
  fail_unless_equals_int (n_destinations (f->h->element), 1);
  fail_if (gst_bus_have_pending (bus));

  gst_element_set_bus (f->h->element, NULL);
  gst_object_unref (bus);
  gst_buffer_unref (short_key);
  fanout_free (f);
}

GST_END_TEST;

GST_START_TEST (test_bad_input)
{
  Fanout *f = fanout_new (NULL);
  srtp_t rx = receiver_new (1, TRUE);
  static const guint8 garbage[] = { 0x00, 0x01, 0x02 };
  guint8 v1[20] = { 0x40, 96, };
  GstBuffer *in;
  GstHarness *hr;
  Header h, last;

  fail_unless (add_dest (f->h->element, 1));
  in = rtp_at (1, 0, 0);
  push_ok (f->h, gst_buffer_ref (in));
  last = pull_for (f, 1, dest_ssrc (1), rx, in);
  gst_buffer_unref (in);

  push_ok (f->h, test_buffer_from_data (garbage, sizeof (garbage)));
  push_ok (f->h, test_buffer_from_data (v1, sizeof (v1)));
  push_ok (f->h, gst_buffer_new ());
  push_ok (f->h, test_rtcp_sr_new (IN_SSRC));
  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 0);
  fail_unless_equals_uint64 (test_get_stat (f->h->element,
          "dropped-malformed"), 3);
  fail_unless_equals_uint64 (test_get_stat (f->h->element, "dropped-rtcp"), 1);

  /* The next packets are unaffected */
  in = rtp_at (2, 960, FRAME_NS);
  push_ok (f->h, gst_buffer_ref (in));
  h = pull_for (f, 1, dest_ssrc (1), rx, in);
  gst_buffer_unref (in);
  fail_unless_equals_int (h.seq, (guint16) (last.seq + 1));
  fail_unless_equals_int (h.ts, last.ts + 960);

  /* A request pad with RTCP caps: every buffer is RTCP */
  hr = gst_harness_new_with_element (f->h->element, "sink_1", NULL);
  gst_harness_set_src_caps_str (hr, "application/x-rtcp");
  fail_unless (route (f->h->element, 1, 1));
  push_ok (hr, test_rtcp_rr_new (IN_SSRC, 1));
  push_ok (hr, rtp_at (3, 1920, 2 * FRAME_NS));
  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 0);
  fail_unless_equals_uint64 (test_get_stat (f->h->element, "dropped-rtcp"), 3);
  fail_unless_equals_uint64 (test_get_stat (f->h->element, "packets-in"), 8);

  gst_harness_teardown (hr);
  srtp_dealloc (rx);
  fanout_free (f);
}

GST_END_TEST;

static const GstStructure *
dest_stats (const GstStructure * s, guint id)
{
  const GValue *arr = gst_structure_get_value (s, "destinations");
  guint i, v;

  fail_unless (arr != NULL && GST_VALUE_HOLDS_ARRAY (arr));
  for (i = 0; i < gst_value_array_get_size (arr); i++) {
    const GstStructure *d =
        gst_value_get_structure (gst_value_array_get_value (arr, i));

    fail_unless (gst_structure_has_name (d,
            "application/x-srtp-fanout-destination"));
    if (gst_structure_get_uint (d, "id", &v) && v == id)
      return d;
  }
  return NULL;
}

GST_START_TEST (test_stats)
{
  Fanout *f = fanout_new (NULL);
  GstStructure *s = NULL;
  const GstStructure *d;
  guint64 bytes = 0, v;
  guint ssrc, i;

  /* No destination: counted, nothing out */
  push_ok (f->h, rtp_at (1, 0, 0));
  push_ok (f->h, rtp_at (2, 960, FRAME_NS));
  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 0);
  fail_unless_equals_int (fanout_n_lists (f), 0);
  fail_unless_equals_uint64 (test_get_stat (f->h->element,
          "dropped-no-destination"), 2);

  fail_unless (add_dest (f->h->element, 7));
  fail_unless (add_dest (f->h->element, 8));
  for (i = 0; i < 3; i++)
    push_ok (f->h, rtp_at (3 + i, 1920 + 960 * i, (2 + i) * FRAME_NS));
  fail_unless (remove_dest (f->h->element, 8));
  push_ok (f->h, rtp_at (6, 4800, 5 * FRAME_NS));
  push_ok (f->h, test_buffer_from_data ((const guint8 *) "xyz", 3));

  while (gst_harness_buffers_in_queue (f->h) > 0) {
    GstBuffer *out = gst_harness_pull (f->h);

    bytes += gst_buffer_get_size (out);
    gst_buffer_unref (out);
  }

  g_object_get (f->h->element, "stats", &s, NULL);
  fail_unless (gst_structure_has_name (s, "application/x-srtp-fanout-stats"));
  fail_unless (gst_structure_get_uint64 (s, "packets-in", &v));
  fail_unless_equals_uint64 (v, 7);
  fail_unless (gst_structure_get_uint64 (s, "packets-protected", &v));
  fail_unless_equals_uint64 (v, 7);
  fail_unless (gst_structure_get_uint64 (s, "bytes-protected", &v));
  fail_unless_equals_uint64 (v, bytes);
  fail_unless_equals_uint64 (bytes, 7 * (12 + PAYLOAD + 16));
  fail_unless (gst_structure_get_uint64 (s, "dropped-malformed", &v));
  fail_unless_equals_uint64 (v, 1);
  fail_unless (gst_structure_get_uint64 (s, "dropped-rtcp", &v));
  fail_unless_equals_uint64 (v, 0);
  fail_unless (gst_structure_get_uint64 (s, "dropped-no-destination", &v));
  fail_unless_equals_uint64 (v, 2);
  fail_unless (gst_structure_get_uint64 (s, "protect-failures", &v));
  fail_unless_equals_uint64 (v, 0);

  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (s, "destinations")), 1);
  d = dest_stats (s, 7);
  fail_unless (d != NULL);
  fail_unless (gst_structure_get_uint (d, "ssrc", &ssrc));
  fail_unless_equals_int (ssrc, dest_ssrc (7));
  fail_unless (gst_structure_get_uint64 (d, "packets", &v));
  fail_unless_equals_uint64 (v, 4);
  fail_unless (dest_stats (s, 8) == NULL);
  gst_structure_free (s);

  fanout_free (f);
}

GST_END_TEST;

GST_START_TEST (test_src_caps)
{
  Fanout *f = fanout_new (NULL);
  GstCaps *caps;
  GstStructure *s;
  gint rate = 0;

  fail_unless (add_dest (f->h->element, 1));
  push_ok (f->h, rtp_at (1, 0, 0));
  caps = gst_pad_get_current_caps (f->h->sinkpad);
  fail_unless (caps != NULL);
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_has_name (s, "application/x-srtp"));
  fail_unless (gst_structure_get_int (s, "clock-rate", &rate));
  fail_unless_equals_int (rate, 48000);
  fail_unless_equals_string (gst_structure_get_string (s, "srtp-cipher"),
      "aes-128-gcm");
  fail_if (gst_structure_has_field (s, "srtp-key"));
  gst_caps_unref (caps);
  fanout_free (f);
}

GST_END_TEST;

GST_START_TEST (test_states)
{
  GstElement *e = gst_element_factory_make ("acssrtpfanout", NULL);
  GstPad *pad;

  fail_unless (e != NULL);
  fail_unless (add_dest (e, 1));
  pad = gst_element_request_pad_simple (e, "sink_%u");
  fail_unless (pad != NULL);
  fail_unless_equals_string (GST_PAD_NAME (pad), "sink_0");
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_release_request_pad (e, pad);
  gst_object_unref (pad);
  fail_unless_equals_int (n_destinations (e), 1);
  gst_object_unref (e);
}

GST_END_TEST;

/* Keys must not reach the debug log at any level */
static GString *log_text;
static GMutex log_lock;

static void
capture_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *text = gst_debug_message_get (message);

  g_mutex_lock (&log_lock);
  if (log_text && text)
    g_string_append_printf (log_text, "%s\n", text);
  if (log_text && object)
    g_string_append_printf (log_text, "%" GST_PTR_FORMAT "\n", object);
  g_mutex_unlock (&log_lock);
}

static void
assert_no_key (const gchar * text, GstBuffer * key, const gchar * where)
{
  GstMapInfo map;
  GString *hex = g_string_new (NULL), *spaced = g_string_new (NULL);
  gchar *b64, *upper;
  guint i;

  fail_unless (gst_buffer_map (key, &map, GST_MAP_READ));
  for (i = 0; i < 8; i++) {
    g_string_append_printf (hex, "%02x", map.data[i]);
    g_string_append_printf (spaced, "%02x ", map.data[i]);
  }
  b64 = g_base64_encode (map.data, map.size);
  b64[16] = '\0';
  gst_buffer_unmap (key, &map);
  upper = g_ascii_strup (hex->str, -1);

  fail_if (strstr (text, hex->str) != NULL, "key hex in %s", where);
  fail_if (strstr (text, upper) != NULL, "key hex in %s", where);
  fail_if (strstr (text, spaced->str) != NULL, "key dump in %s", where);
  fail_if (strstr (text, b64) != NULL, "key base64 in %s", where);

  g_free (upper);
  g_free (b64);
  g_string_free (hex, TRUE);
  g_string_free (spaced, TRUE);
}

GST_START_TEST (test_no_key_in_log)
{
  Fanout *f;
  GstBuffer *key = test_key_new (28, 42), *short_key = test_key_new (27, 42);
  GstStructure *s = NULL;
  GstCaps *caps;
  gchar *str;
  gboolean ok = FALSE;

  g_mutex_lock (&log_lock);
  log_text = g_string_new (NULL);
  g_mutex_unlock (&log_lock);
  gst_debug_set_active (TRUE);
  gst_debug_add_log_function (capture_log, NULL, NULL);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_set_default_threshold (GST_LEVEL_MEMDUMP);

  f = fanout_new (NULL);
  g_signal_emit_by_name (f->h->element, "add-destination", 1, 0x1234, key, &ok);
  fail_unless (ok);
  g_signal_emit_by_name (f->h->element, "add-destination", 2, 0x1234,
      short_key, &ok);
  fail_if (ok);
  fail_unless (route (f->h->element, 0, 1));
  fail_unless (route (f->h->element, 0, -1));
  push_ok (f->h, rtp_at (1, 0, 0));
  push_ok (f->h, rtp_at (2, 960, FRAME_NS));
  g_object_get (f->h->element, "stats", &s, NULL);
  caps = gst_pad_get_current_caps (f->h->sinkpad);
  fail_unless (remove_dest (f->h->element, 1));
  fanout_free (f);

  /* capture_log stays installed, idle: every change of the log function
   * list leaks the previous list (gstinfo.c), and this test runs in its own
   * forked process */
  gst_debug_set_default_threshold (GST_LEVEL_NONE);

  g_mutex_lock (&log_lock);
  fail_unless (strstr (log_text->str, "acssrtpfanout") != NULL,
      "nothing was logged");
  assert_no_key (log_text->str, key, "the debug log");
  assert_no_key (log_text->str, short_key, "the debug log");
  g_mutex_unlock (&log_lock);

  str = gst_structure_to_string (s);
  assert_no_key (str, key, "stats");
  g_free (str);
  str = gst_caps_to_string (caps);
  assert_no_key (str, key, "caps");
  g_free (str);

  gst_caps_unref (caps);
  gst_structure_free (s);
  g_mutex_lock (&log_lock);
  g_string_free (log_text, TRUE);
  log_text = NULL;
  g_mutex_unlock (&log_lock);
  gst_buffer_unref (key);
  gst_buffer_unref (short_key);
}

GST_END_TEST;

/* libsrtp2 sessions of the key made from @seed, for @ssrc (a sender) or
 * any inbound SSRC (a receiver, with acssrtpdec's default replay window),
 * AES-GCM with 128- or 256-bit keys */
static srtp_t
gcm_session_new (guint8 seed, gboolean aes256, gboolean sender, guint32 ssrc)
{
  return session_new (seed, aes256 ? SUITE_AEAD_AES_256_GCM :
      SUITE_AEAD_AES_128_GCM, sender, ssrc, 128);
}

/* An RTP packet with two CSRCs, a one-byte header extension (an RFC 6464
 * level) and @payload_len bytes of payload */
static GstBuffer *
rtp_with_csrcs_and_extension (guint16 seq, gsize payload_len)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 28 + payload_len, NULL);
  GstMapInfo map;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  map.data[0] = 0x92;           /* V=2, X, CC=2 */
  map.data[1] = 96;
  GST_WRITE_UINT16_BE (map.data + 2, seq);
  GST_WRITE_UINT32_BE (map.data + 4, 960 * seq);
  GST_WRITE_UINT32_BE (map.data + 8, IN_SSRC);
  GST_WRITE_UINT32_BE (map.data + 12, 0x01020304);
  GST_WRITE_UINT32_BE (map.data + 16, 0x05060708);
  GST_WRITE_UINT16_BE (map.data + 20, 0xbede);
  GST_WRITE_UINT16_BE (map.data + 22, 1);
  map.data[24] = 0x10;          /* id 1, one byte */
  map.data[25] = 0x80 | 42;
  map.data[26] = map.data[27] = 0;
  for (i = 0; i < payload_len; i++)
    map.data[28 + i] = (guint8) (i * 5 + seq);
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* Unprotects @out with @rx, protects the clear packet again with the
 * libsrtp2 sender @tx and checks that the bytes are those of @out: the
 * element's GCM (key derivation, IV, associated data, tag) is libsrtp2's.
 * Returns the clear packet's sequence number */
static guint16
check_same_as_libsrtp (srtp_t rx, srtp_t tx, GstBuffer * out, GstBuffer * in)
{
  GstBuffer *clear = receiver_unprotect (rx, out);
  GstMapInfo a, b, c;
  guint8 *again;
  gint len;
  guint16 seq;

  fail_unless (clear != NULL, "libsrtp2 does not unprotect the copy");
  fail_unless (gst_buffer_map (clear, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (in, &c, GST_MAP_READ));
  fail_unless_equals_int (a.size, c.size);
  /* everything but sequence number, timestamp, SSRC and marker is kept */
  fail_unless (memcmp (a.data + 12, c.data + 12, a.size - 12) == 0);
  gst_buffer_unmap (in, &c);
  seq = GST_READ_UINT16_BE (a.data + 2);
  again = g_malloc (a.size + SRTP_MAX_TRAILER_LEN);
  memcpy (again, a.data, a.size);
  len = a.size;
  gst_buffer_unmap (clear, &a);
  fail_unless_equals_int (srtp_protect (tx, again, &len), srtp_err_status_ok);
  fail_unless (gst_buffer_map (out, &b, GST_MAP_READ));
  fail_unless_equals_int (b.size, len);
  fail_unless (memcmp (b.data, again, len) == 0,
      "the copy is not what libsrtp2 makes of the same packet");
  gst_buffer_unmap (out, &b);
  g_free (again);
  gst_buffer_unref (clear);
  return seq;
}

static void
check_gcm_profile (const gchar * profile, gboolean aes256)
{
  Fanout *f = fanout_new (profile);
  GstBuffer *key = test_key_new (aes256 ? 44 : 28, 9);
  srtp_t rx = gcm_session_new (9, aes256, FALSE, 0);
  srtp_t tx = gcm_session_new (9, aes256, TRUE, dest_ssrc (1));
  GstBuffer *in[4];
  guint i;

  fail_unless (add_dest_key (f->h->element, 1, key));
  in[0] = rtp_at (1, 960, 0);
  in[1] = rtp_with_csrcs_and_extension (2, PAYLOAD);
  /* a header and nothing else, and a payload of one byte */
  in[2] = rtp_with_csrcs_and_extension (3, 0);
  in[3] = rtp_with_csrcs_and_extension (4, 1);
  for (i = 0; i < G_N_ELEMENTS (in); i++) {
    GstBuffer *out;

    push_ok (f->h, gst_buffer_ref (in[i]));
    out = gst_harness_pull (f->h);
    fail_unless_equals_int (gst_buffer_get_size (out),
        gst_buffer_get_size (in[i]) + 16);
    check_same_as_libsrtp (rx, tx, out, in[i]);
    gst_buffer_unref (out);
    gst_buffer_unref (in[i]);
  }
  fail_unless_equals_uint64 (test_get_stat (f->h->element,
          "protect-failures"), 0);

  gst_buffer_unref (key);
  srtp_dealloc (rx);
  srtp_dealloc (tx);
  fanout_free (f);
}

GST_START_TEST (test_gcm_same_as_libsrtp)
{
  check_gcm_profile ("AEAD_AES_128_GCM", FALSE);
  check_gcm_profile ("AEAD_AES_256_GCM", TRUE);
}

GST_END_TEST;

/* The rollover counter goes up when a destination's sequence numbers wrap:
 * the packets after the wrap still unprotect, and are byte for byte what
 * libsrtp2 makes of them */
GST_START_TEST (test_gcm_rollover)
{
  Fanout *f = fanout_new (NULL);
  srtp_t rx = gcm_session_new (3, FALSE, FALSE, 0);
  srtp_t tx = gcm_session_new (3, FALSE, TRUE, dest_ssrc (3));
  GstBuffer *in = rtp_at (0, 0, 0), *out;
  /* not "first": fail_unless_equals_int () has a local of that name */
  guint16 start, seq;
  guint i, n, pulled = 0, wrapped = 0;

  fail_unless (add_dest (f->h->element, 3));
  push_ok (f->h, gst_buffer_ref (in));
  out = gst_harness_pull (f->h);
  start = check_same_as_libsrtp (rx, tx, out, in);
  gst_buffer_unref (out);

  /* up to 3 packets past the wrap, in lists of up to 4,096 */
  n = 65536 - start + 2;
  for (i = 0; i < n;) {
    GstBufferList *list = gst_buffer_list_new ();
    guint j;

    for (j = 0; j < 4096 && i < n; j++, i++)
      gst_buffer_list_add (list, gst_buffer_ref (in));
    fail_unless_equals_int (gst_pad_push_list (f->h->srcpad, list),
        GST_FLOW_OK);
    while ((out = gst_harness_try_pull (f->h))) {
      seq = header_of (out).seq;
      fail_unless_equals_int (seq, (guint16) (start + 1 + pulled));
      pulled++;
      /* libsrtp2's receiver follows the index by itself: a packet every
       * 1,024 and those around the wrap are enough */
      if (seq % 1024 == 0 || seq < 3 || seq > 65533) {
        fail_unless_equals_int (check_same_as_libsrtp (rx, tx, out, in), seq);
        if (seq < 3)
          wrapped++;
      }
      gst_buffer_unref (out);
    }
  }
  fail_unless_equals_int (pulled, n);
  fail_unless_equals_int (wrapped, 3);

  gst_buffer_unref (in);
  srtp_dealloc (rx);
  srtp_dealloc (tx);
  fanout_free (f);
}

GST_END_TEST;

/* The copies of one packet share one block of memory: a copy kept while
 * the others go, while more packets come and after the element is gone
 * still holds its bytes; writing into a copy does not touch the others */
GST_START_TEST (test_block_lifetime)
{
  Fanout *f = fanout_new (NULL);
  GstBuffer *in = rtp_at (1, 960, 0), *kept[3], *out;
  srtp_t rx[3];
  GstMapInfo map;
  guint i, d;

  for (d = 0; d < 3; d++) {
    fail_unless (add_dest (f->h->element, d + 1));
    rx[d] = receiver_new (d + 1, TRUE);
  }
  push_ok (f->h, gst_buffer_ref (in));
  for (d = 0; d < 3; d++) {
    kept[d] = gst_harness_pull (f->h);
    /* read-only memory: a writer gets a copy of its own */
    fail_unless (GST_MEMORY_IS_READONLY (gst_buffer_peek_memory (kept[d], 0)));
  }
  fail_unless (gst_buffer_map (kept[0], &map, GST_MAP_WRITE));
  memset (map.data, 0xa5, map.size);
  gst_buffer_unmap (kept[0], &map);
  gst_buffer_unref (kept[0]);

  /* later packets: new blocks, some of them freed at once */
  for (i = 2; i < 40; i++) {
    GstBuffer *more = rtp_at (i, 960 * i, i * FRAME_NS);

    push_ok (f->h, more);
    while ((out = gst_harness_try_pull (f->h)))
      gst_buffer_unref (out);
  }
  fanout_free (f);

  for (d = 1; d < 3; d++) {
    Header h = check_copy (rx[d], kept[d], in);

    fail_unless_equals_int (h.ssrc, dest_ssrc (d + 1));
    gst_buffer_unref (kept[d]);
  }
  for (d = 0; d < 3; d++)
    srtp_dealloc (rx[d]);
  gst_buffer_unref (in);
}

GST_END_TEST;

/* acssrtpdec's GCM path -------------------------------------------------
 *
 * acssrtpdec decrypts the SRTP of an SSRC with its own AEAD_AES_*_GCM key
 * (request-key: the group path's single decoder) with NSS directly, as
 * acssrtpfanout encrypts, keeping the packet index and the replay window
 * itself. These tests feed it and a libsrtp2 receiver the same packets,
 * out of order, repeated, too old, tampered with, across a rollover, and
 * want the same answer from both, byte for byte. */

#define DEC_SSRC 0x5eed0001

static GstCaps *
dec_on_request_key (GstElement * dec, guint ssrc, gpointer aes256)
{
  GstBuffer *key = test_key_new (aes256 ? 44 : 28, 21);
  const gchar *cipher = aes256 ? "aes-256-gcm" : "aes-128-gcm";
  GstCaps *caps = gst_caps_new_simple ("application/x-srtp",
      "srtp-key", GST_TYPE_BUFFER, key,
      "srtp-cipher", G_TYPE_STRING, cipher,
      "srtp-auth", G_TYPE_STRING, "null",
      "srtcp-cipher", G_TYPE_STRING, cipher,
      "srtcp-auth", G_TYPE_STRING, "null", NULL);

  gst_buffer_unref (key);
  return ssrc == DEC_SSRC ? caps : (gst_caps_unref (caps), NULL);
}

/* Feeds @pkt (not taken) to @dec and to the libsrtp2 receiver @rx; both
 * must accept it, with the same clear bytes, or both drop it. Returns
 * whether it was accepted */
static gboolean
dec_same_as_libsrtp (GstHarness * dec, srtp_t rx, GstBuffer * pkt)
{
  GstBuffer *want = receiver_unprotect (rx, pkt), *got;

  fail_unless_equals_int (gst_harness_push (dec, gst_buffer_copy_deep (pkt)),
      GST_FLOW_OK);
  got = gst_harness_try_pull (dec);
  if (want == NULL) {
    fail_unless (got == NULL, "acssrtpdec took a packet libsrtp2 refuses");
    return FALSE;
  }
  fail_unless (got != NULL, "acssrtpdec refused a packet libsrtp2 takes");
  fail_unless (test_buffer_equal (got, want), "clear bytes differ");
  gst_buffer_unref (got);
  gst_buffer_unref (want);
  return TRUE;
}

static void
check_dec_gcm (gboolean aes256)
{
  GstHarness *dec = gst_harness_new_with_padnames ("acssrtpdec", "sink",
      "src");
  srtp_t tx = gcm_session_new (21, aes256, TRUE, DEC_SSRC);
  srtp_t rx = gcm_session_new (21, aes256, FALSE, 0);
  GPtrArray *pkts = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  /* indices into pkts, in the order they arrive */
  static const gint order[] = {
    0, 1, 2, 2, 4, 3, 5, 1, 6, 7, 10, 9, 8, 8,
    /* across the wrap (index 536), out of order */
    530, 533, 531, 536, 535, 537, 534, 532, 538, 536,
    /* a gap, then packets just in and just out of the window */
    900, 773, 772, 771, 900, 901, 640,
    /* tampered with (-1 - index) */
    -1 - 902, 902, -1 - 903,
  };
  guint i, accepted = 0;
  guint32 roc = 0;
  GstStructure *stats;
  const GValue *streams;

  g_signal_connect (dec->element, "request-key",
      G_CALLBACK (dec_on_request_key), GINT_TO_POINTER (aes256));
  gst_harness_set_src_caps_str (dec, "application/x-srtp, media=audio, "
      "clock-rate=48000, encoding-name=OPUS, payload=96");

  /* 1,000 packets of the sender, sequence numbers from 65,000: the
   * rollover counter goes to 1 at index 536. Every third one with CSRCs
   * and a header extension */
  for (i = 0; i < 1000; i++) {
    guint16 seq = (guint16) (65000 + i);
    GstBuffer *clear = i % 3 ? rtp_at (seq, 960 * i, i * FRAME_NS) :
        rtp_with_csrcs_and_extension (seq, PAYLOAD);
    GstMapInfo map;
    guint8 *data;
    gint len;

    fail_unless (gst_buffer_map (clear, &map, GST_MAP_READ));
    data = g_malloc (map.size + SRTP_MAX_TRAILER_LEN);
    memcpy (data, map.data, map.size);
    len = map.size;
    gst_buffer_unmap (clear, &map);
    GST_WRITE_UINT32_BE (data + 8, DEC_SSRC);
    fail_unless_equals_int (srtp_protect (tx, data, &len), srtp_err_status_ok);
    g_ptr_array_add (pkts, gst_buffer_new_wrapped (data, len));
    gst_buffer_unref (clear);
  }

  for (i = 0; i < G_N_ELEMENTS (order); i++) {
    GstBuffer *pkt;

    if (order[i] >= 0) {
      pkt = gst_buffer_ref (g_ptr_array_index (pkts, order[i]));
    } else {
      GstMapInfo map;

      pkt = gst_buffer_copy_deep (g_ptr_array_index (pkts, -1 - order[i]));
      fail_unless (gst_buffer_map (pkt, &map, GST_MAP_WRITE));
      map.data[map.size - 20] ^= 0x01;
      gst_buffer_unmap (pkt, &map);
    }
    if (dec_same_as_libsrtp (dec, rx, pkt))
      accepted++;
    gst_buffer_unref (pkt);
  }
  /* repeated, too old and tampered packets were dropped */
  fail_unless (accepted > 10 && accepted < G_N_ELEMENTS (order));
  fail_unless_equals_int (srtp_get_stream_roc (rx, DEC_SSRC, &roc),
      srtp_err_status_ok);
  fail_unless_equals_int (roc, 1);

  /* the stats show the rollover counter and the drops */
  g_object_get (dec->element, "stats", &stats, NULL);
  streams = gst_structure_get_value (stats, "streams");
  fail_unless_equals_int (gst_value_array_get_size (streams), 1);
  fail_unless (gst_structure_get_uint (gst_value_get_structure
          (gst_value_array_get_value (streams, 0)), "roc", &roc));
  fail_unless_equals_int (roc, 1);
  gst_structure_free (stats);
  fail_unless_equals_uint64 (test_get_stat (dec->element,
          "packets-unprotected"), accepted);
  fail_unless (test_get_stat (dec->element, "replay-failures") >= 5);
  fail_unless_equals_uint64 (test_get_stat (dec->element, "auth-failures"), 2);

  g_ptr_array_unref (pkts);
  srtp_dealloc (tx);
  srtp_dealloc (rx);
  gst_harness_teardown (dec);
}

GST_START_TEST (test_dec_gcm_same_as_libsrtp)
{
  check_dec_gcm (FALSE);
  check_dec_gcm (TRUE);
}

GST_END_TEST;

/* What acssrtpfanout protects, acssrtpdec (keyed per SSRC, as a member's
 * receiver) takes back, CSRCs and header extension included */
GST_START_TEST (test_fanout_to_dec)
{
  Fanout *f = fanout_new (NULL);
  GstHarness *dec = gst_harness_new_with_padnames ("acssrtpdec", "sink",
      "src");
  GstBuffer *key = test_key_new (28, 21);
  guint i;

  fail_unless (g_signal_connect (dec->element, "request-key",
          G_CALLBACK (dec_on_request_key), GINT_TO_POINTER (FALSE)));
  gst_harness_set_src_caps_str (dec, "application/x-srtp, media=audio, "
      "clock-rate=48000, encoding-name=OPUS, payload=96");
  g_signal_emit_by_name (f->h->element, "add-destination", 7, DEC_SSRC, key,
      &i);
  fail_unless (i);
  for (i = 0; i < 20; i++) {
    GstBuffer *in = i % 2 ? rtp_at (i, 960 * i, i * FRAME_NS) :
        rtp_with_csrcs_and_extension (i, PAYLOAD + i);
    GstBuffer *out, *clear;
    GstMapInfo a, b;

    push_ok (f->h, gst_buffer_ref (in));
    out = gst_harness_pull (f->h);
    fail_unless_equals_int (gst_harness_push (dec, out), GST_FLOW_OK);
    clear = gst_harness_pull (dec);
    fail_unless (gst_buffer_map (in, &a, GST_MAP_READ));
    fail_unless (gst_buffer_map (clear, &b, GST_MAP_READ));
    fail_unless_equals_int (a.size, b.size);
    fail_unless (memcmp (a.data + 12, b.data + 12, a.size - 12) == 0);
    gst_buffer_unmap (in, &a);
    gst_buffer_unmap (clear, &b);
    gst_buffer_unref (clear);
    gst_buffer_unref (in);
  }
  fail_unless_equals_uint64 (test_get_stat (dec->element, "packets-dropped"),
      0);

  gst_buffer_unref (key);
  gst_harness_teardown (dec);
  fanout_free (f);
}

GST_END_TEST;

static Suite *
acssrtpfanout_suite (void)
{
  Suite *s = suite_create ("acssrtpfanout");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_three_destinations);
  tcase_add_test (tc, test_profile);
  tcase_add_test (tc, test_route);
  tcase_add_test (tc, test_route_no_pts);
  tcase_add_test (tc, test_buffer_list);
  tcase_add_test (tc, test_add_remove);
  tcase_add_test (tc, test_concurrent);
  tcase_add_test (tc, test_refused);
  tcase_add_test (tc, test_bad_input);
  tcase_add_test (tc, test_stats);
  tcase_add_test (tc, test_src_caps);
  tcase_add_test (tc, test_states);
  tcase_add_test (tc, test_no_key_in_log);
  tcase_add_test (tc, test_gcm_same_as_libsrtp);
  tcase_add_test (tc, test_gcm_rollover);
  tcase_add_test (tc, test_block_lifetime);
  tcase_add_test (tc, test_dec_gcm_same_as_libsrtp);
  tcase_add_test (tc, test_fanout_to_dec);
  return s;
}

GST_CHECK_MAIN (acssrtpfanout);

/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: unit tests of acssrtpdec, fed by acssrtpenc
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpmeta.h>

#include <acs/acssdes.h>

#include "srtptestutil.h"

#define SSRC 0x5501a0b2
#define SSRC2 0x0badcafe

/* Encoder and decoder side by side */
typedef struct
{
  const TestProfile *p;
  GstBuffer *key;
  GstHarness *enc;
  GstHarness *dec;
} Pair;

static Pair *
pair_new (const TestProfile * p, guint8 seed)
{
  Pair *pair = g_new0 (Pair, 1);

  pair->p = p;
  pair->key = test_key_new (p->key_len, seed);
  pair->enc = test_enc_new (p, pair->key);
  pair->dec = test_dec_new (p, pair->key);
  return pair;
}

static void
pair_free (Pair * pair)
{
  gst_harness_teardown (pair->enc);
  gst_harness_teardown (pair->dec);
  gst_buffer_unref (pair->key);
  g_free (pair);
}

/* Protects a copy of @in; the caller keeps @in */
static GstBuffer *
pair_protect (Pair * pair, GstBuffer * in)
{
  GstBuffer *out = test_protect (pair->enc, gst_buffer_copy_deep (in));

  fail_unless (out != NULL, "acssrtpenc dropped a packet");
  return out;
}

/* Protects and unprotects @in (transfer full) and checks that what comes
 * out equals it */
static void
pair_round_trip (Pair * pair, GstBuffer * in, guint tag)
{
  GstBuffer *out, *clear;

  out = pair_protect (pair, in);
  fail_unless_equals_int (gst_buffer_get_size (out),
      gst_buffer_get_size (in) + tag);
  fail_if (test_buffer_equal (out, in));
  clear = test_unprotect (pair->dec, out);
  fail_unless (clear != NULL, "acssrtpdec dropped a packet");
  fail_unless (test_buffer_equal (clear, in),
      "the decrypted packet differs from the original");
  gst_buffer_unref (clear);
  gst_buffer_unref (in);
}

static guint64
dec_stat (Pair * pair, const gchar * field)
{
  return test_get_stat (pair->dec->element, field);
}

GST_START_TEST (test_round_trip_key)
{
  static const gsize sizes[] = { 160, 1200 };
  guint i, j;

  for (i = 0; i < n_test_profiles; i++) {
    Pair *pair = pair_new (&test_profiles[i], i);

    for (j = 0; j < 6; j++)
      pair_round_trip (pair, test_rtp_new (SSRC, 1000 + j, j * 160,
              sizes[j % 2]), pair->p->rtp_tag);
    pair_round_trip (pair, test_rtcp_sr_new (SSRC), 4 + pair->p->rtcp_tag);
    fail_unless_equals_uint64 (dec_stat (pair, "packets-unprotected"), 7);
    fail_unless_equals_uint64 (dec_stat (pair, "rtcp-packets-unprotected"), 1);
    fail_unless_equals_uint64 (dec_stat (pair, "bytes-unprotected"),
        3 * (12 + 160) + 3 * (12 + 1200) + 44);
    fail_unless_equals_uint64 (dec_stat (pair, "packets-dropped"), 0);
    pair_free (pair);
  }
}

GST_END_TEST;

GST_START_TEST (test_round_trip_inline_key)
{
  static const gsize sizes[] = { 160, 1200 };
  guint i, j;

  for (i = 0; i < n_test_profiles; i++) {
    const TestProfile *p = &test_profiles[i];
    GstBuffer *key = test_key_new (p->key_len, 40 + i);
    GstMapInfo map;
    gchar *inline_key, *with_lifetime;
    Pair pair = { p, NULL, NULL, NULL };

    fail_unless (gst_buffer_map (key, &map, GST_MAP_READ));
    inline_key = acs_sdes_format_inline (map.data, map.size);
    gst_buffer_unmap (key, &map);
    with_lifetime = g_strconcat (inline_key + strlen ("inline:"), "|2^31",
        NULL);

    pair.enc = test_enc_new (p, NULL);
    g_object_set (pair.enc->element, "inline-key", inline_key, NULL);
    pair.dec = test_dec_new (p, NULL);
    g_object_set (pair.dec->element, "inline-key", with_lifetime, NULL);

    for (j = 0; j < 4; j++)
      pair_round_trip (&pair, test_rtp_new (SSRC, j, j * 160, sizes[j % 2]),
          p->rtp_tag);
    pair_round_trip (&pair, test_rtcp_rr_new (SSRC, SSRC2), 4 + p->rtcp_tag);

    /* The same key given as a buffer decrypts what the inline key made */
    gst_harness_teardown (pair.dec);
    pair.dec = test_dec_new (p, key);
    pair_round_trip (&pair, test_rtp_new (SSRC, 10, 0, 160), p->rtp_tag);

    gst_harness_teardown (pair.enc);
    gst_harness_teardown (pair.dec);
    acs_secret_free (inline_key, strlen (inline_key));
    g_free (with_lifetime);
    gst_buffer_unref (key);
  }
}

GST_END_TEST;

GST_START_TEST (test_rtcp_muxed)
{
  guint i, k;

  for (i = 0; i < n_test_profiles; i++) {
    Pair *pair = pair_new (&test_profiles[i], 50 + i);

    for (k = 0; k < 10; k++) {
      pair_round_trip (pair, test_rtp_new (SSRC, k, k * 160, 160),
          pair->p->rtp_tag);
      if (k % 5 == 2)
        pair_round_trip (pair, test_rtcp_sr_new (SSRC), 4 + pair->p->rtcp_tag);
      if (k % 5 == 4)
        pair_round_trip (pair, test_rtcp_rr_new (SSRC2, SSRC),
            4 + pair->p->rtcp_tag);
    }
    fail_unless_equals_uint64 (test_get_stat (pair->enc->element,
            "rtcp-packets-protected"), 4);
    fail_unless_equals_uint64 (test_get_stat (pair->enc->element,
            "packets-protected"), 14);
    fail_unless_equals_uint64 (dec_stat (pair, "rtcp-packets-unprotected"), 4);
    fail_unless_equals_uint64 (dec_stat (pair, "packets-unprotected"), 14);
    pair_free (pair);
  }
}

GST_END_TEST;

GST_START_TEST (test_roc_wrap)
{
  guint i;

  for (i = 0; i < n_test_profiles; i++) {
    Pair *pair = pair_new (&test_profiles[i], 60 + i);
    GstBuffer *in[12], *out[12], *late = NULL, *clear;
    guint order[12], n = 0, k;

    /* 65530..65535, 0..5, all protected in order */
    for (k = 0; k < 12; k++) {
      in[k] = test_rtp_new (SSRC, (guint16) (65530 + k), k * 160, 160);
      out[k] = pair_protect (pair, in[k]);
    }
    fail_unless_equals_int (test_get_roc (pair->enc->element, SSRC), 1);

    /* Delivered with 65534 (index 4) held back until after seq 3 */
    for (k = 0; k < 12; k++) {
      if (k == 4)
        continue;
      order[n++] = k;
      if (k == 9)
        order[n++] = 4;
    }
    fail_unless_equals_int (n, 12);
    for (k = 0; k < 12; k++) {
      clear = test_unprotect (pair->dec, out[order[k]]);
      fail_unless (clear != NULL, "%s: packet %u (seq %u) dropped",
          pair->p->name, k, (guint16) (65530 + order[k]));
      fail_unless (test_buffer_equal (clear, in[order[k]]));
      if (order[k] == 4)
        late = clear;
      else
        gst_buffer_unref (clear);
    }
    fail_unless (late != NULL);
    gst_buffer_unref (late);
    fail_unless_equals_uint64 (dec_stat (pair, "packets-unprotected"), 12);
    fail_unless_equals_int (test_get_roc (pair->dec->element, SSRC), 1);

    for (k = 0; k < 12; k++)
      gst_buffer_unref (in[k]);
    pair_free (pair);
  }
}

GST_END_TEST;

GST_START_TEST (test_replay)
{
  Pair *pair = pair_new (&test_profiles[0], 70);
  GstBuffer *in = test_rtp_new (SSRC, 7, 0, 160);
  GstBuffer *out = pair_protect (pair, in), *clear;

  clear = test_unprotect (pair->dec, gst_buffer_copy_deep (out));
  fail_unless (clear != NULL);
  gst_buffer_unref (clear);
  fail_unless (test_unprotect (pair->dec, out) == NULL);
  fail_unless_equals_uint64 (dec_stat (pair, "replay-failures"), 1);
  fail_unless_equals_uint64 (dec_stat (pair, "packets-dropped"), 1);
  fail_unless_equals_uint64 (dec_stat (pair, "auth-failures"), 0);

  gst_buffer_unref (in);
  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_wrong_key)
{
  guint i, k;

  for (i = 0; i < n_test_profiles; i++) {
    const TestProfile *p = &test_profiles[i];
    GstBuffer *key = test_key_new (p->key_len, 80);
    GstBuffer *other = test_key_new (p->key_len, 81);
    GstHarness *enc = test_enc_new (p, key);
    GstHarness *dec = test_dec_new (p, other);

    for (k = 0; k < 5; k++) {
      GstBuffer *out = test_protect (enc, test_rtp_new (SSRC, k, 0, 160));

      fail_unless (out != NULL);
      fail_unless (test_unprotect (dec, out) == NULL);
    }
    {
      GstBuffer *out = test_protect (enc, test_rtcp_sr_new (SSRC));

      fail_unless (test_unprotect (dec, out) == NULL);
    }
    fail_unless_equals_uint64 (test_get_stat (dec->element, "auth-failures"),
        6);
    fail_unless_equals_uint64 (test_get_stat (dec->element,
            "packets-dropped"), 6);
    fail_unless_equals_uint64 (test_get_stat (dec->element,
            "packets-unprotected"), 0);
    fail_unless_equals_int (gst_harness_buffers_received (dec), 0);

    gst_harness_teardown (enc);
    gst_harness_teardown (dec);
    gst_buffer_unref (key);
    gst_buffer_unref (other);
  }
}

GST_END_TEST;

static GstBuffer *
truncated (GstBuffer * buf, gsize len)
{
  GstBuffer *ret = gst_buffer_copy_region (buf, GST_BUFFER_COPY_ALL, 0, len);

  return ret;
}

GST_START_TEST (test_truncated)
{
  guint i;

  for (i = 0; i < n_test_profiles; i++) {
    Pair *pair = pair_new (&test_profiles[i], 90 + i);
    GstBuffer *in = test_rtp_new (SSRC, 1, 0, 160);
    GstBuffer *out = pair_protect (pair, in), *clear;
    GstBuffer *rtcp_in = test_rtcp_sr_new (SSRC);
    GstBuffer *rtcp = pair_protect (pair, rtcp_in);
    gsize size = gst_buffer_get_size (out);

    fail_unless (test_unprotect (pair->dec, truncated (out, 5)) == NULL);
    fail_unless (test_unprotect (pair->dec, truncated (out, 11)) == NULL);
    fail_unless_equals_uint64 (dec_stat (pair, "too-short"), 2);
    fail_unless (test_unprotect (pair->dec, truncated (out,
                size - pair->p->rtp_tag)) == NULL);
    fail_unless (test_unprotect (pair->dec, truncated (out, size - 1)) == NULL);
    fail_unless (test_unprotect (pair->dec, truncated (out, 12)) == NULL);
    fail_unless (test_unprotect (pair->dec, truncated (rtcp,
                gst_buffer_get_size (rtcp) - 1)) == NULL);
    fail_unless (test_unprotect (pair->dec, truncated (rtcp, 12)) == NULL);
    fail_unless (test_unprotect (pair->dec, truncated (rtcp, 8)) == NULL);
    fail_unless (test_unprotect (pair->dec, truncated (rtcp, 7)) == NULL);
    fail_unless_equals_uint64 (dec_stat (pair, "too-short"), 3);
    fail_unless_equals_uint64 (dec_stat (pair, "packets-dropped"), 9);
    /* Cut packets fail authentication (or are too short for a tag) */
    fail_unless_equals_uint64 (dec_stat (pair, "auth-failures") +
        dec_stat (pair, "other-failures"), 6);
    fail_unless_equals_uint64 (dec_stat (pair, "packets-unprotected"), 0);
    fail_unless_equals_uint64 (dec_stat (pair, "malformed"), 0);

    /* The whole packets still decrypt afterwards */
    clear = test_unprotect (pair->dec, out);
    fail_unless (clear != NULL);
    fail_unless (test_buffer_equal (clear, in));
    gst_buffer_unref (clear);
    clear = test_unprotect (pair->dec, rtcp);
    fail_unless (clear != NULL);
    fail_unless (test_buffer_equal (clear, rtcp_in));
    gst_buffer_unref (clear);

    gst_buffer_unref (rtcp_in);
    gst_buffer_unref (in);
    pair_free (pair);
  }
}

GST_END_TEST;

GST_START_TEST (test_garbage)
{
  Pair *pair = pair_new (&test_profiles[0], 100);
  GRand *rand = g_rand_new_with_seed (4242);
  guint8 d[256];
  guint64 dropped;
  guint k, n;

  /* Version 1, 0 and 3 */
  memset (d, 0xab, sizeof (d));
  d[0] = 0x40;
  fail_unless (test_unprotect (pair->dec, test_buffer_from_data (d,
              64)) == NULL);
  d[0] = 0x00;
  fail_unless (test_unprotect (pair->dec, test_buffer_from_data (d,
              64)) == NULL);
  d[0] = 0xc0;
  fail_unless (test_unprotect (pair->dec, test_buffer_from_data (d,
              64)) == NULL);
  /* 15 CSRCs past the end */
  d[0] = 0x8f;
  d[1] = TEST_PT;
  fail_unless (test_unprotect (pair->dec, test_buffer_from_data (d,
              40)) == NULL);
  /* Extension length past the end */
  d[0] = 0x90;
  d[14] = 0x40;
  d[15] = 0x00;
  fail_unless (test_unprotect (pair->dec, test_buffer_from_data (d,
              64)) == NULL);
  /* Extension bit but no extension header */
  fail_unless (test_unprotect (pair->dec, test_buffer_from_data (d,
              15)) == NULL);
  fail_unless_equals_uint64 (dec_stat (pair, "malformed"), 6);
  fail_unless_equals_uint64 (dec_stat (pair, "packets-dropped"), 6);
  /* None of them added a stream */
  fail_unless_equals_int (test_get_n_streams (pair->dec->element), 0);

  /* Random bytes of random lengths: all dropped, none crash */
  for (k = 0; k < 500; k++) {
    GstBuffer *buf;

    n = g_rand_int_range (rand, 0, sizeof (d));
    for (guint j = 0; j < n; j++)
      d[j] = g_rand_int_range (rand, 0, 256);
    if (k % 2)
      d[0] = 0x80 | (d[0] & 0x3f);
    buf = n > 0 ? test_buffer_from_data (d, n) : gst_buffer_new ();
    fail_unless (test_unprotect (pair->dec, buf) == NULL);
  }
  dropped = dec_stat (pair, "packets-dropped");
  fail_unless_equals_uint64 (dropped, 506);
  fail_unless_equals_uint64 (dec_stat (pair, "auth-failures") +
      dec_stat (pair, "replay-failures") + dec_stat (pair, "too-short") +
      dec_stat (pair, "malformed") + dec_stat (pair, "no-key") +
      dec_stat (pair, "other-failures"), dropped);
  fail_unless_equals_uint64 (dec_stat (pair, "packets-unprotected"), 0);
  fail_unless (test_get_n_streams (pair->dec->element) == 0,
      "packets that never authenticated created streams");

  /* And a genuine packet still goes through */
  pair_round_trip (pair, test_rtp_new (SSRC, 1, 0, 160), pair->p->rtp_tag);

  g_rand_free (rand);
  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_many_ssrcs)
{
  Pair *pair = pair_new (&test_profiles[2], 110);
  guint round, k;

  for (round = 0; round < 3; round++)
    for (k = 0; k < 50; k++)
      pair_round_trip (pair, test_rtp_new (0x10000 + k * 7919, round,
              round * 160, 160), pair->p->rtp_tag);

  fail_unless_equals_int (test_get_n_streams (pair->enc->element), 50);
  fail_unless_equals_int (test_get_n_streams (pair->dec->element), 50);
  fail_unless_equals_uint64 (dec_stat (pair, "packets-unprotected"), 150);
  for (k = 0; k < 50; k++) {
    GstStructure *st = NULL;
    guint64 packets = 0;

    fail_unless (test_get_stream (pair->dec->element, 0x10000 + k * 7919, &st));
    fail_unless (gst_structure_get_uint64 (st, "packets", &packets));
    fail_unless_equals_uint64 (packets, 3);
    gst_structure_free (st);
  }
  pair_free (pair);
}

GST_END_TEST;

/* Hundreds of SSRCs spread over the decoder's sessions: a new default key
 * reaches every one of them, and during the grace period each one's
 * packets under the old key still go through */
GST_START_TEST (test_many_ssrcs_rekey)
{
  const TestProfile *p = &test_profiles[0];
  GstBuffer *key_a = test_key_new (p->key_len, 130);
  GstBuffer *key_b = test_key_new (p->key_len, 131);
  GstHarness *enc = test_enc_new (p, key_a);
  GstHarness *dec = test_dec_new (p, key_a);
  guint k, seq;

  for (seq = 1; seq <= 3; seq++) {
    if (seq == 2)
      g_object_set (dec->element, "key", key_b, NULL);
    if (seq == 3)
      g_object_set (enc->element, "key", key_b, NULL);
    for (k = 0; k < 300; k++) {
      GstBuffer *in = test_rtp_new (0x20000 + k * 7919, seq, seq * 160, 160);
      GstBuffer *clear = test_unprotect (dec, test_protect (enc,
              gst_buffer_ref (in)));

      fail_unless (clear != NULL, "SSRC %u, packet %u dropped", k, seq);
      fail_unless (test_buffer_equal (clear, in));
      gst_buffer_unref (clear);
      gst_buffer_unref (in);
    }
  }
  fail_unless_equals_int (test_get_n_streams (dec->element), 300);
  fail_unless_equals_uint64 (test_get_stat (dec->element,
          "packets-unprotected"), 900);
  fail_unless_equals_uint64 (test_get_stat (dec->element, "packets-old-key"),
      300);
  fail_unless_equals_uint64 (test_get_stat (dec->element, "packets-dropped"),
      0);

  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
  gst_buffer_unref (key_a);
  gst_buffer_unref (key_b);
}

GST_END_TEST;

/* Packets 1..10 under key A, then 11..20 under key B; the decoder gets key
 * B after packet 7, so 8..10 arrive under the old key */
static void
run_rekey (guint grace, guint expect_out, guint64 expect_old,
    guint64 expect_auth)
{
  const TestProfile *p = &test_profiles[0];
  GstBuffer *key_a = test_key_new (p->key_len, 120);
  GstBuffer *key_b = test_key_new (p->key_len, 121);
  GstHarness *enc = test_enc_new (p, key_a);
  GstHarness *dec = test_dec_new (p, key_a);
  GstBuffer *in[21], *out[21];
  guint k, n_out = 0;

  if (grace != G_MAXUINT)
    g_object_set (dec->element, "key-grace-period", grace, NULL);

  for (k = 1; k <= 20; k++) {
    if (k == 11)
      g_object_set (enc->element, "key", key_b, NULL);
    in[k] = test_rtp_new (SSRC, 100 + k, k * 160, 160);
    out[k] = test_protect (enc, gst_buffer_ref (in[k]));
    fail_unless (out[k] != NULL);
  }
  /* The encoder kept the stream (and its ROC) across the re-key */
  fail_unless_equals_int (test_get_n_streams (enc->element), 1);

  for (k = 1; k <= 20; k++) {
    GstBuffer *clear;

    if (k == 8)
      g_object_set (dec->element, "key", key_b, NULL);
    clear = test_unprotect (dec, out[k]);
    if (clear) {
      fail_unless (test_buffer_equal (clear, in[k]));
      gst_buffer_unref (clear);
      n_out++;
    } else {
      fail_unless (k >= 8 && k <= 10, "packet %u was dropped", k);
    }
    gst_buffer_unref (in[k]);
  }
  fail_unless_equals_int (n_out, expect_out);
  fail_unless_equals_uint64 (test_get_stat (dec->element, "packets-old-key"),
      expect_old);
  fail_unless_equals_uint64 (test_get_stat (dec->element, "auth-failures"),
      expect_auth);

  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
  gst_buffer_unref (key_a);
  gst_buffer_unref (key_b);
}

GST_START_TEST (test_rekey_grace)
{
  run_rekey (G_MAXUINT, 20, 3, 0);
}

GST_END_TEST;

GST_START_TEST (test_rekey_no_grace)
{
  run_rekey (0, 17, 0, 3);
}

GST_END_TEST;

/* RFC 3711 section 3.3.1: a new master key does not reset the rollover
 * counter, on either side */
GST_START_TEST (test_rekey_after_wrap)
{
  guint i;

  for (i = 0; i < n_test_profiles; i++) {
    Pair *pair = pair_new (&test_profiles[i], 125);
    GstBuffer *key_b = test_key_new (pair->p->key_len, 126);
    guint k;

    for (k = 0; k < 8; k++) {
      if (k == 4) {
        fail_unless_equals_int (test_get_roc (pair->enc->element, SSRC), 1);
        g_object_set (pair->enc->element, "key", key_b, NULL);
        g_object_set (pair->dec->element, "key", key_b,
            "key-grace-period", 0, NULL);
      }
      pair_round_trip (pair, test_rtp_new (SSRC, (guint16) (65534 + k), k,
              160), pair->p->rtp_tag);
    }
    fail_unless_equals_int (test_get_roc (pair->enc->element, SSRC), 1);
    fail_unless_equals_int (test_get_roc (pair->dec->element, SSRC), 1);
    fail_unless_equals_uint64 (dec_stat (pair, "packets-old-key"), 0);

    gst_buffer_unref (key_b);
    pair_free (pair);
  }
}

GST_END_TEST;

GST_START_TEST (test_buffer_list)
{
  Pair *pair = pair_new (&test_profiles[1], 130);
  GstBufferList *list = gst_buffer_list_new ();
  GstBuffer *orig[10];
  guint k;

  for (k = 0; k < 10; k++) {
    orig[k] = test_rtp_new (SSRC, k, k * 160, 160);
    gst_buffer_list_add (list, gst_buffer_copy_deep (orig[k]));
  }
  fail_unless_equals_int (gst_pad_push_list (pair->enc->srcpad, list),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (pair->enc), 10);

  list = gst_buffer_list_new ();
  for (k = 0; k < 10; k++)
    gst_buffer_list_add (list, gst_harness_pull (pair->enc));
  /* A replayed packet inside the list is dropped from it */
  gst_buffer_list_insert (list, 3,
      gst_buffer_copy_deep (gst_buffer_list_get (list, 1)));
  fail_unless_equals_int (gst_pad_push_list (pair->dec->srcpad, list),
      GST_FLOW_OK);

  fail_unless_equals_int (gst_harness_buffers_in_queue (pair->dec), 10);
  for (k = 0; k < 10; k++) {
    GstBuffer *clear = gst_harness_pull (pair->dec);

    fail_unless (test_buffer_equal (clear, orig[k]));
    gst_buffer_unref (clear);
    gst_buffer_unref (orig[k]);
  }
  fail_unless_equals_uint64 (dec_stat (pair, "replay-failures"), 1);
  fail_unless_equals_uint64 (dec_stat (pair, "packets-unprotected"), 10);
  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_metadata)
{
  Pair *pair = pair_new (&test_profiles[2], 140);
  GstBuffer *in = test_rtp_new (SSRC, 1, 0, 160), *out, *clear;
  guint32 ssrc = SSRC;
  GstRTPSourceMeta *meta;

  out = pair_protect (pair, in);
  GST_BUFFER_PTS (out) = 3 * GST_SECOND;
  GST_BUFFER_DTS (out) = 2 * GST_SECOND;
  GST_BUFFER_DURATION (out) = 20 * GST_MSECOND;
  GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DISCONT);
  gst_buffer_add_rtp_source_meta (out, &ssrc, NULL, 0);

  /* Not writable: the decoder must copy and keep the metadata */
  clear = test_unprotect (pair->dec, gst_buffer_ref (out));
  fail_unless (clear != NULL);
  fail_unless (test_buffer_equal (clear, in));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (clear), 3 * GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (clear), 2 * GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (clear), 20 * GST_MSECOND);
  fail_unless (GST_BUFFER_FLAG_IS_SET (clear, GST_BUFFER_FLAG_DISCONT));
  meta = gst_buffer_get_rtp_source_meta (clear);
  fail_unless (meta != NULL && meta->ssrc == SSRC);
  /* and the shared input is untouched */
  fail_unless_equals_int (gst_buffer_get_size (out),
      12 + 160 + pair->p->rtp_tag);
  fail_if (test_buffer_equal (out, in));

  gst_buffer_unref (clear);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  pair_free (pair);
}

GST_END_TEST;

/* request-key ------------------------------------------------------------ */

typedef struct
{
  const TestProfile *p;
  GstBuffer *key;
  guint32 keyed_ssrc;
  guint calls[2];
} KeyRequest;

static GstCaps *
on_request_key (GstElement * dec, guint ssrc, KeyRequest * req)
{
  if (ssrc == req->keyed_ssrc) {
    req->calls[0]++;
    return test_key_caps (req->p, req->key, "application/x-srtp", -1);
  }
  req->calls[1]++;
  return NULL;
}

static GstCaps *
on_request_key_count (GstElement * dec, guint ssrc, guint * count)
{
  (*count)++;
  return NULL;
}

GST_START_TEST (test_request_key)
{
  guint i;

  for (i = 0; i < n_test_profiles; i++) {
    const TestProfile *p = &test_profiles[i];
    KeyRequest req = { p, NULL, SSRC, {0, 0} };
    GstHarness *enc, *dec;
    GstBuffer *in, *out, *clear;
    guint k;

    req.key = test_key_new (p->key_len, 150 + i);
    enc = test_enc_new (p, req.key);
    dec = test_dec_new (p, NULL);
    g_signal_connect (dec->element, "request-key",
        G_CALLBACK (on_request_key), &req);

    for (k = 0; k < 4; k++) {
      in = test_rtp_new (SSRC, k, 0, 160);
      out = test_protect (enc, gst_buffer_ref (in));
      clear = test_unprotect (dec, out);
      fail_unless (clear != NULL);
      fail_unless (test_buffer_equal (clear, in));
      gst_buffer_unref (clear);
      gst_buffer_unref (in);

      /* The other SSRC has no key */
      out = test_protect (enc, test_rtp_new (SSRC2, k, 0, 160));
      fail_unless (test_unprotect (dec, out) == NULL);
    }
    /* Asked once per SSRC */
    fail_unless_equals_int (req.calls[0], 1);
    fail_unless_equals_int (req.calls[1], 1);
    fail_unless_equals_uint64 (test_get_stat (dec->element, "no-key"), 4);
    fail_unless_equals_uint64 (test_get_stat (dec->element,
            "packets-unprotected"), 4);

    /* SRTCP of the keyed SSRC uses its key */
    in = test_rtcp_sr_new (SSRC);
    out = test_protect (enc, gst_buffer_ref (in));
    clear = test_unprotect (dec, out);
    fail_unless (clear != NULL);
    fail_unless (test_buffer_equal (clear, in));
    gst_buffer_unref (clear);
    gst_buffer_unref (in);

    gst_harness_teardown (enc);
    gst_harness_teardown (dec);
    gst_buffer_unref (req.key);
  }
}

GST_END_TEST;

GST_START_TEST (test_clear_and_remove_keys)
{
  const TestProfile *p = &test_profiles[0];
  KeyRequest req = { p, NULL, SSRC, {0, 0} };
  GstHarness *enc, *dec;
  GstBuffer *in, *out, *clear;
  guint16 seq = 0;
  guint k;

  req.key = test_key_new (p->key_len, 160);
  enc = test_enc_new (p, req.key);
  dec = test_dec_new (p, NULL);
  g_signal_connect (dec->element, "request-key", G_CALLBACK (on_request_key),
      &req);

  for (k = 0; k < 3; k++) {
    in = test_rtp_new (SSRC, seq++, 0, 160);
    out = test_protect (enc, gst_buffer_ref (in));
    clear = test_unprotect (dec, out);
    fail_unless (clear != NULL, "round %u: not decrypted", k);
    fail_unless (test_buffer_equal (clear, in));
    gst_buffer_unref (clear);
    gst_buffer_unref (in);
    /* A second packet does not ask again */
    in = test_rtp_new (SSRC, seq++, 0, 160);
    out = test_protect (enc, gst_buffer_ref (in));
    clear = test_unprotect (dec, out);
    fail_unless (clear != NULL);
    gst_buffer_unref (clear);
    gst_buffer_unref (in);
    fail_unless_equals_int (req.calls[0], k + 1);

    if (k == 0)
      g_signal_emit_by_name (dec->element, "clear-keys");
    else if (k == 1)
      g_signal_emit_by_name (dec->element, "remove-key", (guint) SSRC);
  }

  /* Removing another SSRC's key does not make us ask again */
  g_signal_emit_by_name (dec->element, "remove-key", (guint) SSRC2);
  in = test_rtp_new (SSRC, seq++, 0, 160);
  out = test_protect (enc, gst_buffer_ref (in));
  clear = test_unprotect (dec, out);
  fail_unless (clear != NULL);
  gst_buffer_unref (clear);
  gst_buffer_unref (in);
  fail_unless_equals_int (req.calls[0], 3);

  /* After clear-keys without a handler answer, nothing decrypts */
  g_signal_handlers_disconnect_by_func (dec->element, on_request_key, &req);
  g_signal_emit_by_name (dec->element, "clear-keys");
  out = test_protect (enc, test_rtp_new (SSRC, seq++, 0, 160));
  fail_unless (test_unprotect (dec, out) == NULL);
  fail_unless_equals_uint64 (test_get_stat (dec->element, "no-key"), 1);

  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
  gst_buffer_unref (req.key);
}

GST_END_TEST;

GST_START_TEST (test_default_key_request)
{
  Pair *pair = pair_new (&test_profiles[0], 165);
  guint count = 0, k;

  /* With a default key, request-key is still asked once per new SSRC, and
   * a NULL answer means the default key */
  g_signal_connect (pair->dec->element, "request-key",
      G_CALLBACK (on_request_key_count), &count);
  for (k = 0; k < 3; k++) {
    pair_round_trip (pair, test_rtp_new (SSRC, k, 0, 160), pair->p->rtp_tag);
    pair_round_trip (pair, test_rtp_new (SSRC2, k, 0, 160), pair->p->rtp_tag);
  }
  fail_unless_equals_int (count, 2);
  pair_free (pair);
}

GST_END_TEST;

static void
caps_key_round_trip (const TestProfile * p, gint caps_ssrc, guint8 seed)
{
  GstBuffer *key = test_key_new (p->key_len, seed);
  GstHarness *enc = test_enc_new (p, key);
  GstHarness *dec = gst_harness_new ("acssrtpdec");
  GstCaps *caps = test_key_caps (p, key, "application/x-srtp", caps_ssrc);
  GstBuffer *in, *out, *clear;
  guint k, count = 0;

  /* The profile property says something else: the caps win */
  gst_util_set_object_arg (G_OBJECT (dec->element), "profile",
      g_str_equal (p->name, "AEAD_AES_128_GCM") ? "AEAD_AES_256_GCM" :
      "AEAD_AES_128_GCM");
  g_signal_connect (dec->element, "request-key",
      G_CALLBACK (on_request_key_count), &count);
  gst_harness_set_src_caps (dec, caps);

  for (k = 0; k < 3; k++) {
    in = test_rtp_new (SSRC, k, 0, 160);
    out = test_protect (enc, gst_buffer_ref (in));
    clear = test_unprotect (dec, out);
    fail_unless (clear != NULL, "%s (ssrc in caps: %d): packet %u dropped",
        p->name, caps_ssrc >= 0, k);
    fail_unless (test_buffer_equal (clear, in));
    gst_buffer_unref (clear);
    gst_buffer_unref (in);
  }
  /* A key for this very SSRC needs no asking; a default key is still
   * offered to request-key once */
  fail_unless_equals_int (count, caps_ssrc >= 0 ? 0 : 1);

  /* The src caps are plain RTP, without the key */
  caps = gst_pad_get_current_caps (dec->sinkpad);
  fail_unless (caps != NULL);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "application/x-rtp"));
  fail_if (gst_structure_has_field (gst_caps_get_structure (caps, 0),
          "srtp-key"));
  gst_caps_unref (caps);

  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
  gst_buffer_unref (key);
}

GST_START_TEST (test_caps_key)
{
  guint i;

  for (i = 0; i < n_test_profiles; i++)
    caps_key_round_trip (&test_profiles[i], -1, 170 + i);
}

GST_END_TEST;

GST_START_TEST (test_caps_key_ssrc)
{
  guint i;

  for (i = 0; i < n_test_profiles; i++)
    caps_key_round_trip (&test_profiles[i], SSRC, 175 + i);
}

GST_END_TEST;

/* errors ----------------------------------------------------------------- */

static void
assert_library_error (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;

  fail_unless (msg != NULL, "no error message posted");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (err->domain == GST_LIBRARY_ERROR, "error domain %s",
      g_quark_to_string (err->domain));
  g_clear_error (&err);
  gst_message_unref (msg);
}

static void
free_bus (GstBus * bus)
{
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

GST_START_TEST (test_wrong_key_length_error)
{
  guint i;

  for (i = 0; i < n_test_profiles; i++) {
    const TestProfile *p = &test_profiles[i];
    GstBuffer *key = test_key_new (p->key_len, 180);
    GstBuffer *short_key = test_key_new (p->key_len - 1, 180);
    GstHarness *enc = test_enc_new (p, key);
    GstHarness *dec = test_dec_new (p, short_key);
    GstBus *bus = test_harness_add_bus (dec);
    GstBuffer *out;

    out = test_protect (enc, test_rtp_new (SSRC, 1, 0, 160));
    fail_unless_equals_int (gst_harness_push (dec, out), GST_FLOW_ERROR);
    test_assert_no_output (dec);
    assert_library_error (bus);

    free_bus (bus);
    gst_harness_teardown (enc);
    gst_harness_teardown (dec);
    gst_buffer_unref (key);
    gst_buffer_unref (short_key);
  }
}

GST_END_TEST;

GST_START_TEST (test_bad_inline_key_error)
{
  Pair *pair = pair_new (&test_profiles[0], 190);
  GstBus *bus = test_harness_add_bus (pair->dec);
  GstBuffer *out;

  g_object_set (pair->dec->element, "inline-key", "inline:QUJD!EFG", NULL);
  out = test_protect (pair->enc, test_rtp_new (SSRC, 2, 0, 160));
  fail_unless_equals_int (gst_harness_push (pair->dec, out), GST_FLOW_ERROR);
  test_assert_no_output (pair->dec);
  assert_library_error (bus);

  free_bus (bus);
  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_no_key)
{
  const TestProfile *p = &test_profiles[0];
  GstBuffer *key = test_key_new (p->key_len, 200);
  GstHarness *enc = test_enc_new (p, key);
  GstHarness *dec = test_dec_new (p, NULL);
  GstBus *bus = test_harness_add_bus (dec);
  GstBuffer *out;
  GstMessage *msg;

  /* Without a default key the decoder waits for keys from request-key or
   * caps: packets are dropped as no-key, without an error */
  out = test_protect (enc, test_rtp_new (SSRC, 1, 0, 160));
  fail_unless (test_unprotect (dec, out) == NULL);
  fail_unless_equals_uint64 (test_get_stat (dec->element, "no-key"), 1);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg == NULL);

  /* A key set later is taken */
  g_object_set (dec->element, "key", key, NULL);
  out = test_protect (enc, test_rtp_new (SSRC, 2, 0, 160));
  out = test_unprotect (dec, out);
  fail_unless (out != NULL);
  gst_buffer_unref (out);

  free_bus (bus);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
  gst_buffer_unref (key);
}

GST_END_TEST;

GST_START_TEST (test_states)
{
  GstElement *dec = gst_element_factory_make ("acssrtpdec", NULL);
  GstBuffer *key = test_key_new (28, 210);
  guint i;

  for (i = 0; i < 3; i++) {
    if (i == 1)
      g_object_set (dec, "key", key, NULL);
    fail_unless_equals_int (gst_element_set_state (dec, GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (dec, GST_STATE_PAUSED),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (dec, GST_STATE_PLAYING),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (dec, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }
  fail_unless_equals_int (gst_element_set_state (dec, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (dec, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  gst_object_unref (dec);
  gst_buffer_unref (key);
}

GST_END_TEST;

GST_START_TEST (test_state_reset)
{
  Pair *pair = pair_new (&test_profiles[0], 220);

  pair_round_trip (pair, test_rtp_new (SSRC, 1, 0, 160), pair->p->rtp_tag);
  fail_unless_equals_uint64 (dec_stat (pair, "packets-unprotected"), 1);
  gst_element_set_state (pair->dec->element, GST_STATE_READY);
  fail_unless_equals_uint64 (dec_stat (pair, "packets-unprotected"), 0);
  fail_unless_equals_int (test_get_n_streams (pair->dec->element), 0);
  gst_harness_play (pair->dec);
  pair_round_trip (pair, test_rtp_new (SSRC, 2, 0, 160), pair->p->rtp_tag);
  pair_free (pair);
}

GST_END_TEST;

static Suite *
acssrtpdec_suite (void)
{
  Suite *s = suite_create ("acssrtpdec");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip_key);
  tcase_add_test (tc, test_round_trip_inline_key);
  tcase_add_test (tc, test_rtcp_muxed);
  tcase_add_test (tc, test_roc_wrap);
  tcase_add_test (tc, test_replay);
  tcase_add_test (tc, test_wrong_key);
  tcase_add_test (tc, test_truncated);
  tcase_add_test (tc, test_garbage);
  tcase_add_test (tc, test_many_ssrcs);
  tcase_add_test (tc, test_many_ssrcs_rekey);
  tcase_add_test (tc, test_rekey_grace);
  tcase_add_test (tc, test_rekey_no_grace);
  tcase_add_test (tc, test_rekey_after_wrap);
  tcase_add_test (tc, test_buffer_list);
  tcase_add_test (tc, test_metadata);
  tcase_add_test (tc, test_request_key);
  tcase_add_test (tc, test_clear_and_remove_keys);
  tcase_add_test (tc, test_default_key_request);
  tcase_add_test (tc, test_caps_key);
  tcase_add_test (tc, test_caps_key_ssrc);
  tcase_add_test (tc, test_wrong_key_length_error);
  tcase_add_test (tc, test_bad_inline_key_error);
  tcase_add_test (tc, test_no_key);
  tcase_add_test (tc, test_states);
  tcase_add_test (tc, test_state_reset);
  return s;
}

GST_CHECK_MAIN (acssrtpdec);

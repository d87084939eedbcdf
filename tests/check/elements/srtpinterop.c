/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: byte-exact interoperability of acssrtpenc/acssrtpdec with
 * gst-plugins-bad's srtpenc/srtpdec
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "srtptestutil.h"

#define SSRC 0x2fe0a31c
#define SSRC2 0x71b5c0de
#define N_PACKETS 10

/* srtpenc and srtpdec have separate RTP and RTCP pads: one harness per
 * pad pair around the same element */
typedef struct
{
  GstElement *element;
  GstHarness *rtp;
  GstHarness *rtcp;
} UpstreamHarness;

static GstElement *
make_upstream (const gchar * factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  fail_unless (e != NULL, "the %s element of gst-plugins-bad is missing: "
      "install gstreamer1.0-plugins-bad to run the interoperability tests",
      factory);
  return e;
}

static void
upstream_set_suite (GstElement * e, const TestProfile * p)
{
  gst_util_set_object_arg (G_OBJECT (e), "rtp-cipher", p->rtp_cipher);
  gst_util_set_object_arg (G_OBJECT (e), "rtp-auth", p->rtp_auth);
  gst_util_set_object_arg (G_OBJECT (e), "rtcp-cipher", p->rtcp_cipher);
  gst_util_set_object_arg (G_OBJECT (e), "rtcp-auth", p->rtcp_auth);
}

static void
upstream_init (UpstreamHarness * u, GstElement * e, const gchar * rtp_sink,
    const gchar * rtp_src, const gchar * rtcp_sink, const gchar * rtcp_src)
{
  u->element = e;
  u->rtp = gst_harness_new_with_element (e, rtp_sink, rtp_src);
  u->rtcp = gst_harness_new_with_element (e, rtcp_sink, rtcp_src);
}

static void
upstream_clear (UpstreamHarness * u)
{
  gst_harness_teardown (u->rtcp);
  gst_harness_teardown (u->rtp);
  gst_object_unref (u->element);
}

static GstBuffer *
upstream_push (UpstreamHarness * u, GstBuffer * buf, gboolean rtcp)
{
  GstHarness *h = rtcp ? u->rtcp : u->rtp;

  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  return gst_harness_try_pull (h);
}

/* RTP of two SSRCs and sizes, and SR/RR compounds, interleaved */
static GstBuffer *
make_packet (guint i, gboolean * rtcp)
{
  *rtcp = FALSE;
  switch (i) {
    case 3:
      *rtcp = TRUE;
      return test_rtcp_sr_new (SSRC);
    case 7:
      *rtcp = TRUE;
      return test_rtcp_rr_new (SSRC2, SSRC);
    case 8:
      *rtcp = TRUE;
      return test_rtcp_sr_new (SSRC);
    default:
      return test_rtp_new (i == 5 ? SSRC2 : SSRC, 4000 + i, i * 160,
          i % 2 ? 1200 : 160);
  }
}

typedef struct
{
  const TestProfile *p;
  GstBuffer *key;
  guint calls;
} KeyRequest;

static GstCaps *
on_srtpdec_request_key (GstElement * dec, guint ssrc, KeyRequest * req)
{
  fail_unless_equals_int (ssrc, SSRC2);
  req->calls++;
  return test_key_caps (req->p, req->key, "application/x-srtp", ssrc);
}

static void
run_interop (const TestProfile * p, guint8 seed)
{
  GstBuffer *key = test_key_new (p->key_len, seed);
  GstBuffer *clear[N_PACKETS], *theirs[N_PACKETS], *ours[N_PACKETS];
  gboolean is_rtcp[N_PACKETS];
  UpstreamHarness enc, dec;
  GstHarness *acs_enc, *acs_dec;
  GstElement *e;
  KeyRequest req = { p, key, 0 };
  guint i;

  /* srtpenc */
  e = make_upstream ("srtpenc");
  g_object_set (e, "key", key, NULL);
  upstream_set_suite (e, p);
  upstream_init (&enc, e, "rtp_sink_0", "rtp_src_0", "rtcp_sink_0",
      "rtcp_src_0");
  gst_harness_set_src_caps_str (enc.rtp, "application/x-rtp");
  gst_harness_set_src_caps_str (enc.rtcp, "application/x-rtcp");

  acs_enc = test_enc_new (p, key);

  for (i = 0; i < N_PACKETS; i++) {
    GstMapInfo a, b;

    clear[i] = make_packet (i, &is_rtcp[i]);
    theirs[i] = upstream_push (&enc, gst_buffer_copy_deep (clear[i]),
        is_rtcp[i]);
    fail_unless (theirs[i] != NULL, "%s: srtpenc dropped packet %u", p->name,
        i);
    ours[i] = test_protect (acs_enc, gst_buffer_copy_deep (clear[i]));
    fail_unless (ours[i] != NULL, "%s: acssrtpenc dropped packet %u",
        p->name, i);

    fail_unless (gst_buffer_map (theirs[i], &a, GST_MAP_READ));
    fail_unless (gst_buffer_map (ours[i], &b, GST_MAP_READ));
    fail_unless_equals_int (b.size, a.size);
    if (memcmp (a.data, b.data, a.size) != 0) {
      GST_MEMDUMP ("srtpenc", a.data, a.size);
      GST_MEMDUMP ("acssrtpenc", b.data, b.size);
      fail ("%s: packet %u (%s) differs from srtpenc's", p->name, i,
          is_rtcp[i] ? "RTCP" : "RTP");
    }
    gst_buffer_unmap (theirs[i], &a);
    gst_buffer_unmap (ours[i], &b);
  }
  gst_harness_teardown (acs_enc);
  upstream_clear (&enc);

  /* srtpenc -> acssrtpdec, on one muxed pad */
  acs_dec = test_dec_new (p, key);
  for (i = 0; i < N_PACKETS; i++) {
    GstBuffer *out = test_unprotect (acs_dec, theirs[i]);

    fail_unless (out != NULL, "%s: acssrtpdec dropped srtpenc's packet %u",
        p->name, i);
    fail_unless (test_buffer_equal (out, clear[i]));
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (test_get_stat (acs_dec->element,
          "rtcp-packets-unprotected"), 3);
  gst_harness_teardown (acs_dec);

  /* acssrtpenc -> srtpdec: SSRC keyed by caps, SSRC2 by request-key */
  e = make_upstream ("srtpdec");
  g_signal_connect (e, "request-key", G_CALLBACK (on_srtpdec_request_key),
      &req);
  upstream_init (&dec, e, "rtp_sink", "rtp_src", "rtcp_sink", "rtcp_src");
  gst_harness_set_src_caps (dec.rtp, test_key_caps (p, key,
          "application/x-srtp", SSRC));
  gst_harness_set_src_caps (dec.rtcp, test_key_caps (p, key,
          "application/x-srtcp", SSRC));
  for (i = 0; i < N_PACKETS; i++) {
    GstBuffer *out = upstream_push (&dec, ours[i], is_rtcp[i]);

    fail_unless (out != NULL, "%s: srtpdec dropped acssrtpenc's packet %u",
        p->name, i);
    fail_unless (test_buffer_equal (out, clear[i]));
    gst_buffer_unref (out);
    gst_buffer_unref (clear[i]);
  }
  fail_unless (req.calls >= 1);
  upstream_clear (&dec);

  gst_buffer_unref (key);
}

GST_START_TEST (test_interop_aead_aes_128_gcm)
{
  run_interop (&test_profiles[0], 1);
}

GST_END_TEST;

GST_START_TEST (test_interop_aead_aes_256_gcm)
{
  run_interop (&test_profiles[1], 2);
}

GST_END_TEST;

GST_START_TEST (test_interop_aes_cm_128_hmac_sha1_80)
{
  run_interop (&test_profiles[2], 3);
}

GST_END_TEST;

GST_START_TEST (test_interop_aes_cm_128_hmac_sha1_32)
{
  run_interop (&test_profiles[3], 4);
}

GST_END_TEST;

/* srtpenc and acssrtpenc re-keyed alike in PLAYING, before a wrap of the
 * sequence number, keep producing the same bytes. (Not after a wrap:
 * srtpenc makes a new session on a key change and so restarts the rollover
 * counter at 0, which RFC 3711 section 3.3.1 forbids; acssrtpenc keeps it,
 * see test_rekey_after_wrap in acssrtpdec.c.) */
GST_START_TEST (test_interop_rekey_roc)
{
  const TestProfile *p = &test_profiles[2];
  GstBuffer *key_a = test_key_new (p->key_len, 5);
  GstBuffer *key_b = test_key_new (p->key_len, 6);
  GstHarness *theirs, *ours;
  GstElement *e;
  guint i;

  e = make_upstream ("srtpenc");
  g_object_set (e, "key", key_a, NULL);
  upstream_set_suite (e, p);
  theirs = gst_harness_new_with_element (e, "rtp_sink_0", "rtp_src_0");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (theirs, "application/x-rtp");
  ours = test_enc_new (p, key_a);

  for (i = 0; i < 12; i++) {
    GstBuffer *in = test_rtp_new (SSRC, (guint16) (65528 + i), i, 160);
    GstBuffer *a, *b;

    if (i == 2) {
      g_object_set (theirs->element, "key", key_b, NULL);
      g_object_set (ours->element, "key", key_b, NULL);
    }
    fail_unless_equals_int (gst_harness_push (theirs,
            gst_buffer_copy_deep (in)), GST_FLOW_OK);
    a = gst_harness_pull (theirs);
    b = test_protect (ours, in);
    fail_unless (b != NULL);
    fail_unless (test_buffer_equal (a, b), "packet %u differs", i);
    gst_buffer_unref (a);
    gst_buffer_unref (b);
  }
  fail_unless_equals_int (test_get_roc (ours->element, SSRC), 1);

  gst_harness_teardown (theirs);
  gst_harness_teardown (ours);
  gst_buffer_unref (key_a);
  gst_buffer_unref (key_b);
}

GST_END_TEST;

static Suite *
srtpinterop_suite (void)
{
  Suite *s = suite_create ("srtpinterop");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_interop_aead_aes_128_gcm);
  tcase_add_test (tc, test_interop_aead_aes_256_gcm);
  tcase_add_test (tc, test_interop_aes_cm_128_hmac_sha1_80);
  tcase_add_test (tc, test_interop_aes_cm_128_hmac_sha1_32);
  tcase_add_test (tc, test_interop_rekey_roc);
  return s;
}

GST_CHECK_MAIN (srtpinterop);
